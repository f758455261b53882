"""The DataArts Factory connection calls: ``/v1/{project_id}/connections[/{name}]``.

Bodies ``{"name", "type", "config", "description"}`` (camelCase settings inside ``config``), as
the Go SDKs send them. Answers (``api.presenters.connections``) show every secret that is set
as ``*********``; sending the mask back keeps the stored value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jobferry.domain.enums import EnvType, Role
from jobferry.domain.remedies import Remedy
from jobferry.errors import ConnectionExistsError, InvalidRequestError, NotSupportedError
from jobferry.services.connections.store import (
    KIND,
    ConnectionCalls,
    ConnectionWrite,
    check_name,
    description_problem,
    missing,
    shown_config,
)
from jobferry.services.context import Scope
from jobferry.services.support.paging import Given, name_filter, page
from jobferry.storage import environment as repo
from jobferry.storage.records import EnvironmentObjectRecord

FIELDS = ("name", "type", "config", "description")


@dataclass(frozen=True)
class Connection:
    """A data connection: its settings with every secret that is set shown as the mask."""

    name: str
    type: str
    config: dict[str, Any]
    description: str

    @classmethod
    def of(cls, obj: EnvironmentObjectRecord) -> Connection:
        """The stored connection, secrets masked."""
        return cls(obj.name, obj.type, shown_config(obj), obj.description)


@dataclass(frozen=True)
class ConnectionPage:
    """A page of connections and how many match in all."""

    total: int
    items: tuple[Connection, ...]


def parse_connection(body: dict[str, Any], path_name: str | None = None) -> ConnectionWrite:
    """Check a create/update body, every problem at once."""
    name = body.get("name", path_name)
    type_, config = body.get("type"), body.get("config", {})
    description = body.get("description")
    problems = []
    unknown = sorted(set(body) - set(FIELDS))
    if unknown:
        problems.append(f"unknown field(s) {', '.join(unknown)} (send {', '.join(FIELDS)})")
    if path_name is not None and name != path_name:
        problems.append(
            f"the body names '{name}' but the path names '{path_name}'; a connection cannot be "
            "renamed: create the new name and delete the old one"
        )
    if not isinstance(type_, str) or not type_.strip():
        problems.append("type must be a non-empty string: DWS, DLI, SparkSQL, HIVE, RDS, …")
    if config is None:
        config = {}
    if not isinstance(config, dict):
        problems.append("config must be an object of settings")
    if problem := description_problem(description, "description"):
        problems.append(problem)
    if problems:
        raise InvalidRequestError(
            f"The connection cannot be saved: {'; '.join(problems)}.",
            name=name if isinstance(name, str) else None,
        )
    return ConnectionWrite(check_name(name), str(type_), dict(config), description)


class DlfConnectionService(ConnectionCalls):
    """Create, list, read, update and delete connections the DataArts Factory way."""

    def create(self, scope: Scope, body: dict[str, Any]) -> None:
        """A new connection; a taken name is refused (DLF.6309)."""
        scope.require((Role.ADMIN,), "create data connections")
        write = parse_connection(body)
        with self.db.transaction() as tx:
            if repo.get_object(tx, scope.workspace.id, KIND, write.name) is not None:
                raise ConnectionExistsError(
                    f"A data connection named '{write.name}' already exists in workspace "
                    f"'{scope.workspace.name}'.",
                    fix="Choose another name or update it with PUT "
                    f"/v1/{{project_id}}/connections/{write.name}.",
                    remedy=Remedy.UPDATE_CONNECTION,
                    name=write.name,
                )
            self.store.save(tx, scope, write, keep_type=True)

    def update(self, scope: Scope, name: str, body: dict[str, Any], check: bool) -> None:
        """Change an existing connection's settings and description (not its type)."""
        scope.require((Role.ADMIN,), "update data connections")
        if check:
            raise NotSupportedError(
                "jobferry does not reach data sources, so it cannot test connection "
                f"'{name}' (ischeck=true); save it without ischeck.",
                name=name,
            )
        write = parse_connection(body, name)
        with self.db.transaction() as tx:
            if repo.get_object(tx, scope.workspace.id, KIND, name) is None:
                raise missing(scope, name)
            self.store.save(tx, scope, write, keep_type=True)

    def get(self, scope: Scope, name: str) -> Connection:
        """One connection (secrets masked)."""
        with self.db.transaction(readonly=True) as tx:
            obj = repo.get_object(tx, scope.workspace.id, KIND, name)
        if obj is None:
            raise missing(scope, name)
        return Connection.of(obj)

    def list(
        self, scope: Scope, *, name: str | None, limit: Given, offset: Given
    ) -> ConnectionPage:
        """A page of the workspace's connections by name; ``name`` matches part of it."""
        rows = page(limit, offset, self.offset_mode)
        with self.db.transaction(readonly=True) as tx:
            total, items = repo.page_objects(
                tx,
                scope.workspace.id,
                KIND,
                env=repo.DEVELOPMENT,
                name=name_filter(name, "connectionName"),
                type_=None,
                offset=rows.skip,
                limit=rows.limit,
            )
        return ConnectionPage(total, tuple(Connection.of(o) for o in items))

    def delete(self, scope: Scope, name: str) -> None:
        """Remove a connection no job references."""
        scope.require((Role.ADMIN,), "delete data connections")
        with self.db.transaction() as tx:
            self.store.remove(tx, scope, name, EnvType.DEVELOPMENT)
