"""Moving connections between environments: ``POST /connections/export`` and ``…/import``.

Export answers ``DLF_All_DataConnections.zip`` with every development-side connection of the
workspace, settings without secrets. Import reads such a bundle from ``upload://`` or
``obs://``, applies the request's ``params`` per connection (the target's cluster names,
passwords…), and writes every connection in one transaction: new names are created, existing
ones skipped or overwritten per ``sameNamePolicy`` (secrets the bundle cannot carry are kept).
The answer is a finished system task (``taskId``) with one subtask per connection.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jobferry.domain.connections import SECRET_MASK, split_secrets
from jobferry.domain.enums import Role, SameNamePolicy, TaskKind, TaskStatus
from jobferry.domain.shapes import BodyShape, Extra, Field, JsonType, choice, text
from jobferry.errors import InvalidRequestError
from jobferry.package.connections import BundledConnection, read_bundle, write_bundle
from jobferry.services.connections.store import (
    KIND,
    ConnectionStore,
    ConnectionWrite,
    check_name,
    shown_config,
)
from jobferry.services.context import Scope, now_ms
from jobferry.services.importing.uploads import PackageSource
from jobferry.services.support.switches import Switches
from jobferry.services.tasks import TaskService
from jobferry.storage import Database
from jobferry.storage import environment as repo

# Connections carry no ledger: AUTO (a job import's value) has nothing to decide by.
_POLICIES = (SameNamePolicy.SKIP, SameNamePolicy.OVERWRITE)
POLICIES = ", ".join(p.value for p in _POLICIES)
_SETTINGS = (JsonType.OBJECT,)
IMPORT_CONNECTIONS = BodyShape(
    "ImportConnectionReq (DataArts)",
    (
        text("path", "the bundle: upload://<id> or obs://bucket/key.zip", required=True),
        Field(
            "params",
            "settings per connection of the bundle",
            (JsonType.ARRAY,),
            items=BodyShape(
                "one connection's settings",
                (
                    text("name", "a connection of the bundle", required=True),
                    text("type", "its type (checked against the bundle's)", nullable=True),
                    text("connectionType", "the Go SDK's name for type", nullable=True),
                    Field("params", "settings to apply", _SETTINGS, nullable=True),
                ),
                Extra.IGNORED,
            ),
            nullable=True,
        ),
        choice(
            "sameNamePolicy",
            "a connection of the same name: SKIP (default) or OVERWRITE",
            _POLICIES,
        ),
    ),
)
"""The body :func:`parse_import` reads; other keys are refused."""


@dataclass(frozen=True)
class ConnectionParams:
    """Settings the import request gives one connection of the bundle."""

    type: str | None
    params: dict[str, Any]


@dataclass(frozen=True)
class ImportConnectionsRequest:
    """DataArts' ImportConnectionReq, checked."""

    path: str
    policy: SameNamePolicy
    params: dict[str, ConnectionParams]

    def to_wire(self) -> dict[str, Any]:
        """The canonical body the task stores: every key written, connections by name, each
        secret a setting gives as the mask (it is kept sealed with its connection, never in
        the task)."""
        return {
            "params": [
                {"name": name, "params": _without_secrets(given.params), "type": given.type}
                for name, given in sorted(self.params.items())
            ],
            "path": self.path,
            "sameNamePolicy": str(self.policy),
        }


def _without_secrets(settings: dict[str, Any]) -> dict[str, Any]:
    public, secrets = split_secrets(settings)
    return {**public, **dict.fromkeys(secrets, SECRET_MASK)}


def _param_entry(item: Any, index: int, problems: list[str]) -> tuple[str, ConnectionParams]:
    if not isinstance(item, dict):
        problems.append(f"params[{index}] must be an object {{name, type, params}}")
        return "", ConnectionParams(None, {})
    name = item.get("name")
    # The API reference calls it type, the Go SDK connectionType: both are accepted.
    type_ = item.get("type", item.get("connectionType"))
    values = item.get("params") or {}
    if not isinstance(name, str) or not name:
        problems.append(f"params[{index}].name must name a connection of the bundle")
    if type_ is not None and not isinstance(type_, str):
        problems.append(f"params[{index}].type must be text")
    if not isinstance(values, dict):
        problems.append(f"params[{index}].params must be an object of settings")
        values = {}
    return str(name), ConnectionParams(type_, dict(values))


def parse_import(body: dict[str, Any]) -> ImportConnectionsRequest:
    """Check an import body, every problem at once."""
    problems: list[str] = []
    path = body.get("path")
    if not isinstance(path, str) or not path:
        problems.append("path must name the bundle: upload://<id> or obs://bucket/key.zip")
    policy = body.get("sameNamePolicy", SameNamePolicy.SKIP.value)
    if policy not in _POLICIES:  # a tuple: an object or a list is refused too
        problems.append(f"sameNamePolicy must be one of {POLICIES}, not {policy!r}")
    raw = body.get("params") or []
    if not isinstance(raw, list):
        problems.append("params must be a list of {name, type, params}")
        raw = []
    params = dict(_param_entry(item, i, problems) for i, item in enumerate(raw))
    unknown = IMPORT_CONNECTIONS.unknown(body)
    if unknown:
        problems.append(
            f"unknown field(s) {', '.join(unknown)} (send path, params, sameNamePolicy)"
        )
    if problems:
        raise InvalidRequestError(f"The connection import is invalid: {'; '.join(problems)}.")
    return ImportConnectionsRequest(str(path), SameNamePolicy(policy), params)


def _write(item: BundledConnection, given: ConnectionParams | None) -> ConnectionWrite:
    if given is not None and given.type and given.type.lower() != item.type.lower():
        raise InvalidRequestError(
            f"params for connection '{item.name}' say type {given.type} but the bundle's "
            f"connection is of type {item.type} ({item.entry}); fix the type in params.",
            name=item.name,
        )
    config = {**item.config, **(given.params if given else {})}
    return ConnectionWrite(check_name(item.name), item.type, config, item.description)


@dataclass
class ConnectionMigration:
    """Export and import the DataArts connection bundle."""

    db: Database
    store: ConnectionStore
    source: PackageSource
    tasks: TaskService
    switches: Switches

    def export(self, scope: Scope) -> bytes:
        """The bundle of the workspace's connections, without secrets."""
        self.switches.require_export()
        with self.db.transaction(readonly=True) as tx:
            items = repo.list_objects(tx, scope.workspace.id, KIND)
        return write_bundle(
            {
                "name": obj.name,
                "type": obj.type,
                "config": {k: v for k, v in shown_config(obj).items() if k not in obj.secret_keys},
                "description": obj.description,
            }
            for obj in items
        )

    def import_bundle(self, scope: Scope, body: dict[str, Any]) -> str:
        """Import a bundle in one transaction; answers the id of the finished task."""
        self.switches.require_import()
        scope.require((Role.ADMIN,), "import data connections")
        request = parse_import(body)
        local = self.source.fetch(scope, request.path)
        try:
            bundled = read_bundle(local, self.source.limits)
        finally:
            local.unlink(missing_ok=True)
        unknown = sorted(set(request.params) - {c.name for c in bundled})
        if unknown:
            raise InvalidRequestError(
                f"params name connection(s) {', '.join(unknown)} that the bundle does not "
                f"hold (it holds: {', '.join(sorted(c.name for c in bundled))}).",
            )
        writes = [_write(item, request.params.get(item.name)) for item in bundled]
        task_id = self.tasks.create(
            scope, TaskKind.CONNECTIONS, "import connections", request.to_wire()
        )
        try:
            subtasks = self._apply(scope, writes, request.policy)
        except BaseException as exc:
            self.tasks.finish(task_id, TaskStatus.FAILED, f"nothing imported: {exc}")
            raise
        self.tasks.finish(
            task_id,
            TaskStatus.SUCCESSFUL,
            f"{len(writes)} connection(s) imported from {request.path}",
            subtasks=subtasks,
        )
        return task_id

    def _apply(
        self, scope: Scope, writes: list[ConnectionWrite], policy: SameNamePolicy
    ) -> list[dict[str, Any]]:
        subtasks = []
        with self.db.transaction() as tx:
            for write in writes:
                exists = repo.get_object(tx, scope.workspace.id, KIND, write.name) is not None
                if exists and policy is SameNamePolicy.SKIP:
                    action = "SKIPPED (exists; sameNamePolicy=SKIP)"
                else:
                    self.store.save(tx, scope, write, keep_type=False)
                    action = "OVERWRITTEN" if exists else "CREATED"
                subtasks.append(
                    {
                        "id": write.name,
                        "name": write.name,
                        "lastUpdate": now_ms(),
                        "status": TaskStatus.SUCCESSFUL,
                        "message": action,
                    }
                )
        return subtasks
