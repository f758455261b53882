"""The DataArts Studio data-connection calls: ``/v1/{project_id}/data-connections[/{dw_id}]``.

Snake_case wire shape (``dw_name``, ``dw_type``, ``dw_config``, ``env_type``…). A connection may
have two sides under one name: ``env_type`` 0 (development, the side jobs reference and every
other API sees) and 1 (production, for enterprise-mode workspaces). Each side has its own
``dw_id``. ``agent_id``, ``agent_name``, ``supportService`` and ``dw_category`` are kept as the
settings ``agentId``, ``agentName``, ``supportService`` and ``dwCategory`` (the Factory
connection calls carry the CDM agent the same way), so every API sees them. Secrets inside
``dw_config`` are never answered: they read as ``*********``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jobferry.domain.enums import EnvType, Role
from jobferry.domain.remedies import Remedy
from jobferry.errors import (
    ConnectionExistsError,
    ConnectionNotFoundError,
    InvalidRequestError,
    NotSupportedError,
)
from jobferry.services.connections.store import (
    KIND,
    ConnectionCalls,
    ConnectionWrite,
    check_name,
    description_problem,
    shown_config,
)
from jobferry.services.context import Scope
from jobferry.services.support.paging import page
from jobferry.storage import environment as repo
from jobferry.storage.records import EnvironmentObjectRecord

ENV_TYPES = {0: EnvType.DEVELOPMENT, 1: EnvType.PRODUCTION}
ENV_CODES = {env: code for code, env in ENV_TYPES.items()}
# Studio attribute -> the connection setting that holds it.
ATTRIBUTES = {
    "agent_id": "agentId",
    "agent_name": "agentName",
    "supportService": "supportService",
    "dw_category": "dwCategory",
}
VO_FIELDS = {"dw_name", "dw_type", "dw_config", "env_type", "description", *ATTRIBUTES}
# Server-filled fields the API reference lists as accepted in bodies: ignored.
IGNORED = {"qualified_name", "dw_id", "create_user", "create_time"}
_ADDRESS_KEYS = ("ip", "host", "address", "url", "endpoint")


def _split(obj: EnvironmentObjectRecord) -> tuple[dict[str, Any], dict[str, Any]]:
    """(dw_config, studio attributes) of a stored connection, secrets masked."""
    config = shown_config(obj)
    attrs = {wire: config.pop(key) for wire, key in ATTRIBUTES.items() if key in config}
    return config, attrs


@dataclass(frozen=True)
class DataConnection:
    """One side of a data connection: settings (secrets masked) without the Studio attributes,
    which are fields of their own."""

    dw_id: str
    name: str
    type: str
    env: EnvType
    config: dict[str, Any]
    description: str
    agent_id: Any
    agent_name: Any
    category: Any
    """The attributes are whatever JSON value the client sent ('' when unset)."""
    created_by: str
    created_at: int
    updated_at: int

    @classmethod
    def of(cls, obj: EnvironmentObjectRecord) -> DataConnection:
        """The stored side, its attributes taken out of its settings."""
        config, attrs = _split(obj)
        return cls(
            obj.object_id,
            obj.name,
            obj.type,
            EnvType(obj.env),
            config,
            obj.description,
            attrs.get("agent_id", ""),
            attrs.get("agent_name", ""),
            attrs.get("dw_category", ""),
            obj.created_by,
            obj.created_at,
            obj.updated_at,
        )


@dataclass(frozen=True)
class DataConnectionPage:
    """A page of data connections: how many match the filters, how many there are."""

    matched: int
    total: int
    items: tuple[DataConnection, ...]


def _vo_problems(vo: dict[str, Any], where: str) -> list[str]:
    problems = []
    unknown = sorted(set(vo) - VO_FIELDS - IGNORED)
    if unknown:
        problems.append(f"{where} has unknown field(s) {', '.join(unknown)}")
    for key in ("dw_name", "dw_type"):
        if not isinstance(vo.get(key), str) or not vo[key].strip():
            problems.append(f"{where}.{key} must be a non-empty string")
    if not isinstance(vo.get("dw_config", {}), dict):
        problems.append(f"{where}.dw_config must be an object of settings")
    if vo.get("env_type", 0) not in ENV_TYPES:
        problems.append(f"{where}.env_type must be 0 (development) or 1 (production)")
    if problem := description_problem(vo.get("description"), f"{where}.description"):
        problems.append(problem)
    return problems


def _write(vo: dict[str, Any]) -> ConnectionWrite:
    config = dict(vo.get("dw_config") or {})
    for wire, key in ATTRIBUTES.items():
        if vo.get(wire) is not None:
            config[key] = vo[wire]
    env = ENV_TYPES[vo.get("env_type", 0)]
    return ConnectionWrite(
        check_name(vo["dw_name"]), vo["dw_type"], config, vo.get("description"), env
    )


def parse_sources(body: dict[str, Any]) -> list[ConnectionWrite]:
    """Check an ApigDataSourcesVo, every problem at once."""
    vos = body.get("data_source_vos")
    problems = []
    unknown = sorted(set(body) - {"mode", "visible", "data_source_vos"})
    if unknown:
        problems.append(f"unknown field(s) {', '.join(unknown)}")
    if body.get("mode", 0) not in (0, 1) or body.get("visible", 1) not in (0, 1):
        problems.append("mode and visible must be 0 or 1")
    if not isinstance(vos, list) or not 1 <= len(vos) <= 50:
        problems.append("data_source_vos must list 1 to 50 data sources")
        vos = []
    for i, vo in enumerate(vos):
        if isinstance(vo, dict):
            problems += _vo_problems(vo, f"data_source_vos[{i}]")
        else:
            problems.append(f"data_source_vos[{i}] must be an object")
    sides = [(vo.get("dw_name"), vo.get("env_type", 0)) for vo in vos if isinstance(vo, dict)]
    if len(set(sides)) != len(sides):
        problems.append("a name appears twice for the same env_type")
    if problems:
        raise InvalidRequestError(f"The data connections are invalid: {'; '.join(problems)}.")
    return [_write(vo) for vo in vos]


def _address_matches(obj: EnvironmentObjectRecord, ip: str) -> bool:
    config, _ = _split(obj)
    return any(
        ip in str(value) for key, value in config.items() if key.lower().endswith(_ADDRESS_KEYS)
    )


class DataConnectionService(ConnectionCalls):
    """Create, list, read, update and delete data connections the DataArts Studio way."""

    def create(self, scope: Scope, body: dict[str, Any]) -> None:
        """Create every listed side in one transaction; any taken (name, side) refuses all."""
        scope.require((Role.ADMIN,), "create data connections")
        writes = parse_sources(body)
        with self.db.transaction() as tx:
            for write in writes:
                if repo.get_object(tx, scope.workspace.id, KIND, write.name, write.env.value):
                    raise ConnectionExistsError(
                        f"A data connection named '{write.name}' ({write.env.value} side) "
                        f"already exists in workspace '{scope.workspace.name}'.",
                        fix="Choose another name or update it with PUT "
                        "/v1/{project_id}/data-connections/{dw_id}.",
                        remedy=Remedy.UPDATE_CONNECTION,
                        name=write.name,
                    )
                self.store.save(tx, scope, write, keep_type=True)

    def list(self, scope: Scope, query: dict[str, str | None]) -> DataConnectionPage:
        """ListDataconnectionsResponse: filters ``name`` (part), ``type``, ``ip`` (part)."""
        rows = page(query.get("limit"), query.get("offset"), self.offset_mode)
        with self.db.transaction(readonly=True) as tx:
            every = repo.list_objects(tx, scope.workspace.id, KIND, env=None)
        name, type_, ip = query.get("name"), query.get("type"), query.get("ip")
        chosen = [
            o
            for o in every
            if (not name or name in o.name)
            and (not type_ or o.type.lower() == type_.lower())
            and (not ip or _address_matches(o, ip))
        ]
        shown = chosen[rows.skip : rows.skip + rows.limit]
        return DataConnectionPage(
            len(chosen), len(every), tuple(DataConnection.of(o) for o in shown)
        )

    def get(self, scope: Scope, dw_id: str) -> DataConnection:
        """One side of a connection, secrets masked."""
        with self.db.transaction(readonly=True) as tx:
            return DataConnection.of(self._find(tx, scope, dw_id))

    def update(self, scope: Scope, dw_id: str, body: dict[str, Any]) -> None:
        """Replace one side's settings; its name and side cannot change."""
        scope.require((Role.ADMIN,), "update data connections")
        writes = parse_sources(body)
        with self.db.transaction() as tx:
            obj = self._find(tx, scope, dw_id)
            code = ENV_CODES[EnvType(obj.env)]
            if len(writes) != 1 or (writes[0].name, writes[0].env.value) != (obj.name, obj.env):
                raise InvalidRequestError(
                    f"Data connection {dw_id} is '{obj.name}' ({obj.env} side): send exactly one "
                    f"data source with dw_name '{obj.name}' and env_type {code}; a connection "
                    "cannot be renamed or moved to the other side.",
                    dw_id=dw_id,
                )
            self.store.save(tx, scope, writes[0], keep_type=True)

    def delete(self, scope: Scope, dw_id: str) -> None:
        """Remove one side (the development side only when no job uses it)."""
        scope.require((Role.ADMIN,), "delete data connections")
        with self.db.transaction() as tx:
            obj = self._find(tx, scope, dw_id)
            self.store.remove(tx, scope, obj.name, EnvType(obj.env))

    @staticmethod
    def validate(scope: Scope, body: dict[str, Any]) -> None:
        """debug_dataconnection: jobferry does not reach data sources."""
        raise NotSupportedError(
            "jobferry does not reach data sources, so it cannot test a data connection "
            "(POST /data-connections/validation); test it from a machine that can reach it.",
            workspace=scope.workspace.name,
        )

    @staticmethod
    def _find(tx: Any, scope: Scope, dw_id: str) -> EnvironmentObjectRecord:
        obj = repo.get_by_id(tx, scope.workspace.id, dw_id)
        if obj is None or obj.kind != KIND:
            raise ConnectionNotFoundError(
                f"No data connection has id '{dw_id}' in workspace '{scope.workspace.name}'.",
                fix="GET /v1/{project_id}/data-connections lists them with their dw_id.",
                remedy=Remedy.LIST_CONNECTIONS,
                dw_id=dw_id,
            )
        return obj
