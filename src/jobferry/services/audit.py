"""Audit: every change is recorded in the transaction that makes it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from jobferry.domain.audit import AuditQuery
from jobferry.domain.enums import ObjectKind, Role
from jobferry.services.context import Actor, Scope, now_ms, require_project_admin
from jobferry.services.definitions.documents import dump, load
from jobferry.services.retention import audit_dropped_said
from jobferry.storage import Database, Tx
from jobferry.storage import audit as repo
from jobferry.storage import jobs as job_repo
from jobferry.storage import resources as resource_repo
from jobferry.storage import scripts as script_repo
from jobferry.storage.audit import AuditRow, DroppedAudit
from jobferry.storage.importing import history
from jobferry.storage.importing.rollbacks import rolled_back_among

Entry = tuple[str, str | None, str | None, dict[str, Any] | None]
"""An audit line to write: (action, object kind, object name, detail)."""
OBJECT_NAME_LENGTH = 256
"""The longest object name an entry records (the log's column holds no more): a longer one,
such as the title of a download-center package that names its workspace, is recorded by its
first characters."""


def record_audit(
    tx: Tx,
    project_id: str,
    workspace_id: str | None,
    actor: str,
    action: str,
    object_kind: str | None,
    object_name: str | None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append an audit entry inside the caller's transaction."""
    entry = (action, object_kind, object_name, detail)
    repo.append(tx, _row(project_id, workspace_id, actor, entry, now_ms()))


def audit_in_scope(
    tx: Tx,
    scope: Scope,
    action: str,
    object_kind: str,
    object_name: str,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append an audit entry for an action in a workspace."""
    record_audit(
        tx,
        scope.actor.project_id,
        scope.workspace.id,
        scope.actor.name,
        action,
        object_kind,
        object_name,
        detail,
    )


def audit_many_in_scope(tx: Tx, scope: Scope, entries: Iterable[Entry]) -> None:
    """Append entries for actions in a workspace, (action, object kind, object name, detail)
    each, in one bulk insert: what :func:`audit_in_scope` writes for each, in that order."""
    at, actor, ws = now_ms(), scope.actor, scope.workspace.id
    repo.append_many(tx, [_row(actor.project_id, ws, actor.name, e, at) for e in entries])


def _row(project_id: str, workspace_id: str | None, actor: str, entry: Entry, at: int) -> AuditRow:
    action, kind, name, detail = entry
    text = dump(detail) if detail is not None else None
    named = None if name is None else name[:OBJECT_NAME_LENGTH]
    return AuditRow(project_id, workspace_id, actor, action, kind, named, text, at)


@dataclass(frozen=True)
class AuditEntry:
    """One line of the audit log: who did what to which object, when."""

    id: int
    at: int
    actor: str
    action: str
    object_kind: str | None
    object_name: str | None
    detail: dict[str, Any] | str | None
    """What the action recorded: an object of fields (ids, versions, counts), or a text."""


@dataclass(frozen=True)
class AuditPage:
    """A page of the entries a search matched, newest first, and how many it matched."""

    total: int
    entries: list[AuditEntry]
    dropped: DroppedAudit | None = None
    """The search reaches before the moment ``JOBFERRY_AUDIT_DAYS`` dropped entries up to:
    what it would have found there is gone (``None``: nothing it asks for was dropped)."""

    @property
    def dropped_said(self) -> str:
        """The sentence that says so ("" when nothing was)."""
        return audit_dropped_said(self.dropped) if self.dropped is not None else ""


@dataclass
class AuditService:
    """Reading the audit log (workspace admins)."""

    db: Database

    def list_entries(
        self, scope: Scope, limit: int, offset: int, query: AuditQuery = AuditQuery()
    ) -> AuditPage:
        """Newest entries of the workspace first, those ``query`` asks for (all by default)."""
        scope.require((Role.ADMIN,), "read the audit log")
        return self._page(scope.actor.project_id, scope.workspace.id, limit, offset, query)

    def project_entries(
        self, actor: Actor, limit: int, offset: int, query: AuditQuery = AuditQuery()
    ) -> AuditPage:
        """Newest entries of the project that belong to no workspace first (users, their
        access, approval keys and passwords, sign-ins, tokens, the secret key), those
        ``query`` asks for: what no workspace's log shows (project admins)."""
        require_project_admin(actor, "read the project's audit log")
        return self._page(actor.project_id, None, limit, offset, query)

    def _page(
        self, project_id: str, workspace_id: str | None, limit: int, offset: int, query: AuditQuery
    ) -> AuditPage:
        query = query.checked()
        with self.db.transaction(readonly=True, seeking=True) as tx:
            total, rows = repo.list_entries(
                tx,
                project_id,
                workspace_id,
                query,
                limit=limit,
                offset=offset,
                outside_workspaces=workspace_id is None,
            )
            mark = repo.dropped(tx)
        reaches = mark is not None and (query.since is None or query.since < mark.before)
        return AuditPage(
            total, [_entry(entry_id, r) for entry_id, r in rows], mark if reaches else None
        )

    def imports_of(
        self, scope: Scope, kind: str | None, name: str, query: AuditQuery = AuditQuery()
    ) -> list[ObjectImport]:
        """The newest imports (promotions and releases among them) that created, overwrote or
        renamed the job, script or resource named ``name`` now (of every kind when ``kind`` is
        ``None``; found by its id, so under older names too), started within ``query``'s
        window: what its audit lines do not say one by one (an import writes one line for its
        whole package). An object deleted since is not found: its own audit lines remain.
        ``kind`` and ``name`` are read as a search's filters are: blank is no kind, spaces
        around them are none of the name."""
        scope.require((Role.ADMIN,), "read the audit log")
        window = (query.since, query.until)
        kind, name = (kind or "").strip(), name.strip()
        kinds = [kind] if kind else [k.value for k in HISTORY_KINDS]
        with self.db.transaction(readonly=True) as tx:
            changes: list[tuple[str, history.ObjectChange]] = []
            for each in kinds:
                object_id = _object_id(tx, scope.workspace.id, each, name)
                if object_id is not None:
                    found = history.changes_of(
                        tx, scope.workspace.id, each, object_id, IMPORTS_SHOWN, window
                    )
                    changes += [(each, c) for c in found]
            changes.sort(key=lambda kc: kc[1].at, reverse=True)
            changes = changes[:IMPORTS_SHOWN]
            undone = rolled_back_among(tx, sorted({c.task_id for _, c in changes}))
        return [_object_import(k, c, c.task_id in undone) for k, c in changes]


HISTORY_KINDS = (ObjectKind.JOB, ObjectKind.SCRIPT, ObjectKind.RESOURCE)
"""The kinds of object whose imports an object's history lists."""


def _object_import(kind: str, change: history.ObjectChange, undone: bool) -> ObjectImport:
    return ObjectImport(
        change.task_id,
        change.action,
        change.name,
        change.at,
        change.by,
        undone,
        kind,
        change.title,
    )


IMPORTS_SHOWN = 50
"""How many of an object's newest imports its history lists."""


@dataclass(frozen=True)
class ObjectImport:
    """An import that changed one object: its task, what it did (``CREATE``, ``OVERWRITE``,
    ``RENAME``, ``DELETE``, ``REFERENCES``: its references rewritten), the name it wrote,
    when and by whom, whether it was rolled back since, the object's kind and the task's
    title."""

    task_id: str
    action: str
    name: str
    at: int
    by: str
    rolled_back: bool
    kind: str = ""
    title: str = ""
    """The import task's name: a route's promotion, a release, a package's file."""


def _object_id(tx: Tx, workspace_id: str, kind: str, name: str) -> str | None:
    """The id imports record an object by (a job's number), of the object named so now."""
    if kind == ObjectKind.JOB:
        job = job_repo.get_job(tx, workspace_id, name)
        return str(job.id) if job is not None else None
    if kind == ObjectKind.SCRIPT:
        script = script_repo.get_script(tx, workspace_id, name)
        return script.id if script is not None else None
    if kind == ObjectKind.RESOURCE:
        resource = resource_repo.find_resource(tx, workspace_id, name)
        return resource.id if resource is not None else None
    return None


def _entry(entry_id: int, row: AuditRow) -> AuditEntry:
    detail = row.detail
    return AuditEntry(
        id=entry_id,
        at=row.at,
        actor=row.actor,
        action=row.action,
        object_kind=row.object_kind,
        object_name=row.object_name,
        detail=load(detail) if detail and detail.startswith("{") else detail,
    )
