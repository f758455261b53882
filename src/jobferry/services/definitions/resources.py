"""Resources: definitions of jar/file/archive objects referenced by jobs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from jobferry.domain.enums import ObjectKind, RefKind
from jobferry.domain.names import storable
from jobferry.domain.validation import validate_resource
from jobferry.errors import (
    InUseError,
    InvalidRequestError,
    ResourceExistsError,
    ResourceNotFoundError,
)
from jobferry.services.audit import audit_in_scope
from jobferry.services.context import WRITERS, Scope, now_ms
from jobferry.services.definitions.documents import dump, raise_violations, split_body
from jobferry.services.definitions.records import JobUse, ShownResource
from jobferry.services.definitions.tombstones import remember_deletion
from jobferry.services.definitions.usage import users_of
from jobferry.services.support.paging import Given, name_filter, page, read_page
from jobferry.settings import OffsetMode
from jobferry.storage import Database, Tx
from jobferry.storage import jobs as job_repo
from jobferry.storage import resources as repo
from jobferry.storage.ids import new_id
from jobferry.storage.records import ResourceRecord
from jobferry.storage.rows import ResourceRow, Stamp


def get_resource_or_raise(
    tx: Tx, scope: Scope, resource_id: str, *, locked: bool = False
) -> ResourceRecord:
    """The resource of the scope's workspace (``locked``: its row, for a write that the read
    decides), or DLF.6241."""
    res = None
    if storable(resource_id):
        res = repo.get_resource(tx, scope.workspace.id, resource_id, locked=locked)
    if res is None:
        raise ResourceNotFoundError(
            f"The resource does not exist: no resource with id '{resource_id}' in workspace "
            f"'{scope.workspace.name}'. List resources to find its id.",
            resource_id=resource_id,
        )
    return res


def wire_resource(doc: dict[str, Any]) -> dict[str, Any]:
    """The resource as stored: the snake_case ``depend_packages`` some clients send (the
    Terraform provider does) becomes ``dependPackages``, in the same place, as DataArts reads
    it back; both at once are refused rather than one silently dropped."""
    if "depend_packages" not in doc:
        return doc
    if "dependPackages" in doc:
        raise InvalidRequestError(
            "The resource gives both depend_packages and dependPackages; send only "
            "dependPackages (depend_packages is read as the same field).",
            parameter="depend_packages",
        )
    return {("dependPackages" if k == "depend_packages" else k): v for k, v in doc.items()}


def save_resource(
    tx: Tx, scope: Scope, doc: dict[str, Any], existing: ResourceRecord | None
) -> str:
    """Write a validated resource definition; returns its id."""
    stamp = Stamp(now_ms(), scope.actor.name)
    name = str(doc["name"])
    row = ResourceRow.of(doc, dump(doc))
    if existing is None:
        resource_id = new_id()
        repo.insert_resource(tx, resource_id, scope.workspace.id, row, stamp)
    else:
        resource_id = existing.id
        repo.update_resource(tx, resource_id, row, stamp)
    action = "resource.create" if existing is None else "resource.update"
    audit_in_scope(tx, scope, action, ObjectKind.RESOURCE, name, {"id": resource_id})
    return resource_id


@dataclass
class ResourceService:
    """The DataArts resource calls."""

    db: Database
    offset_mode: OffsetMode = field(kw_only=True)

    def create(self, scope: Scope, body: dict[str, Any]) -> str:
        """Create a resource; returns its id (DLF.6259 when the name is taken)."""
        scope.require_change(WRITERS, "create resources")
        doc, _, _ = split_body(ObjectKind.RESOURCE, body)
        doc = wire_resource(doc)
        raise_violations(ObjectKind.RESOURCE, doc.get("name"), validate_resource(doc))
        with self.db.transaction() as tx:
            self._name_free(tx, scope, str(doc["name"]), None)
            return save_resource(tx, scope, doc, None)

    def update(self, scope: Scope, resource_id: str, body: dict[str, Any]) -> None:
        """Replace a resource's definition; renaming is refused while jobs use the old name."""
        scope.require_change(WRITERS, "change resources")
        doc, _, _ = split_body(ObjectKind.RESOURCE, body)
        doc = wire_resource(doc)
        with self.db.transaction() as tx:
            # Locked before a rename counts the jobs using the old name (see ``delete``).
            res = get_resource_or_raise(tx, scope, resource_id, locked=True)
            doc.setdefault("name", res.name)
            raise_violations(ObjectKind.RESOURCE, doc.get("name"), validate_resource(doc))
            new_name = str(doc["name"])
            if new_name != res.name:
                self._name_free(tx, scope, new_name, resource_id)
                self._unused(tx, scope, res.name, f"rename it to '{new_name}'")
            save_resource(tx, scope, doc, res)

    def show(self, scope: Scope, resource_id: str) -> ShownResource:
        """A resource with its id and the jobs that use it (jobRelation)."""
        with self.db.transaction(readonly=True) as tx:
            res = get_resource_or_raise(tx, scope, resource_id)
            users = job_repo.jobs_referencing_with_ids(
                tx, scope.workspace.id, RefKind.RESOURCE.value, res.name
            )
        return ShownResource.of(res, tuple(JobUse(job_id, name) for job_id, name in users))

    def detail(self, scope: Scope, name: str) -> ShownResource:
        """A resource by name, as ``show`` answers it (with the jobs that use it), for its
        console page (jobs address resources by name)."""
        with self.db.transaction(readonly=True) as tx:
            res = repo.find_resource(tx, scope.workspace.id, name) if storable(name) else None
        if res is None:
            raise ResourceNotFoundError(
                f"The resource does not exist: no resource named '{name}' in workspace "
                f"'{scope.workspace.name}'. Check the name (names are case-sensitive).",
                resource_name=name,
            )
        return self.show(scope, res.id)

    def list_resources(
        self, scope: Scope, *, resource_name: str | None, limit: Given, offset: Given
    ) -> tuple[int, list[ShownResource]]:
        """One page of resources, and how many match."""
        p = page(limit, offset, self.offset_mode)
        names = name_filter(resource_name, "resourceName")
        total, rows = read_page(self.db, repo.list_resources, scope.workspace.id, names, p)
        return total, [ShownResource.of(r) for r in rows]

    def delete(self, scope: Scope, resource_id: str) -> None:
        """Delete a resource no job uses; its row locked before the jobs using it are
        counted, so that an import that found it there is counted among them (or, waiting,
        finds it gone), never a job imported naming a resource deleted beside it."""
        scope.require_change(WRITERS, "delete resources")
        with self.db.transaction() as tx:
            res = get_resource_or_raise(tx, scope, resource_id, locked=True)
            self._unused(tx, scope, res.name, "delete it")
            repo.delete_resource(tx, resource_id)
            remember_deletion(tx, scope, ObjectKind.RESOURCE, resource_id, res.name)
            audit_in_scope(
                tx, scope, "resource.delete", ObjectKind.RESOURCE, res.name, {"id": resource_id}
            )

    @staticmethod
    def _name_free(tx: Tx, scope: Scope, name: str, own_id: str | None) -> None:
        other = repo.find_resource(tx, scope.workspace.id, name)
        if other is not None and other.id != own_id:
            raise ResourceExistsError(
                f"A resource named '{name}' already exists in workspace "
                f"'{scope.workspace.name}' (id {other.id}); jobs reference resources by name, so "
                "names are unique per workspace. Choose another name or update that resource.",
                resource_name=name,
            )

    @staticmethod
    def _unused(tx: Tx, scope: Scope, name: str, action: str) -> None:
        users = users_of(tx, scope.workspace.id, RefKind.RESOURCE.value, name)
        if users:
            raise InUseError(
                f"Resource '{name}' is used by {users.said()}; nothing was changed.",
                fix=f"{users.fix('Change those jobs')}, before you {action}.",
                resource_name=name,
                **users.context(),
            )
