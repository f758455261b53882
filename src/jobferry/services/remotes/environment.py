"""What a refresh reads of a remote's environment: its data connections and its workspace
environment variables, copied into the shadow workspace so that a plan against the shadow does
not report a connection the remote has as missing.

**Connections** (development side, the one jobs reference): ``list_dataconnections`` pages for
the names, then ``show_dataconnection`` for each one's type and settings (the list answers no
settings, and DataArts has no bulk read of them; a workspace holds tens, not thousands), a few
calls in flight. Their secrets are never read (the remote masks them): the shadow's connection
names the secret settings the remote has set, without values, so a plan's secret check sees
them set, as they are, on the remote. A connection registered by hand in the shadow with its
secrets keeps them. **Variables**: ``show_factory_env``, one call, made beside the connections'.

Both are DataArts Studio calls: an endpoint that does not publish them (404, ``APIGW.0101``)
leaves the shadow's environment as it was, and the refresh says so in its notes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from jobferry.domain.connections import is_secret_key, split_secrets
from jobferry.domain.enums import RefreshAction
from jobferry.errors import RemoteError
from jobferry.services.audit import audit_in_scope
from jobferry.services.connections.studio import ATTRIBUTES
from jobferry.services.context import now_ms
from jobferry.services.definitions.documents import dump, load
from jobferry.services.environment.variables import NAME_LENGTH, TYPE_LENGTH
from jobferry.services.remotes.client import DataArtsClient
from jobferry.services.remotes.records import CONNECTION, VARIABLE
from jobferry.services.remotes.refusals import studio_fix
from jobferry.services.remotes.shadow import KindRead, ShadowWriter
from jobferry.services.support.secretbox import SecretBox
from jobferry.storage import environment as env_repo
from jobferry.storage import variables as variable_repo
from jobferry.storage.records import VariableRecord

IN_FLIGHT = 8
"""Reads a refresh has in flight at once (batch exports, connection shows)."""
NOT_OFFERED = frozenset({"APIGW.0101"})
SHOWN_ATTRIBUTES = {
    "agent_id": ATTRIBUTES["agent_id"],
    "agent_name": ATTRIBUTES["agent_name"],
    "dw_catagory": ATTRIBUTES["dw_category"],
}
"""The Studio attributes ``show_dataconnection`` answers (``ShowDataconnectionResponse``) →
the connection setting that keeps each. The answer spells the category ``dw_catagory`` (sic,
as the SDK's model does; a create or update body spells it ``dw_category``); the model has no
``supportService``."""

T = TypeVar("T")
R = TypeVar("R")


def bounded_map(call: Callable[[T], R], items: Iterable[T], width: int = IN_FLIGHT) -> Iterator[R]:
    """``call`` of every item, at most ``width`` at once, answers in the items' order; holds
    at most ``width`` answers at a time."""
    with ThreadPoolExecutor(max_workers=width) as pool:
        waiting: list[Future[R]] = []
        for item in items:
            waiting.append(pool.submit(call, item))
            if len(waiting) >= width:
                yield waiting.pop(0).result()
        for future in waiting:
            yield future.result()


def connection_value(
    type_: str, config: dict[str, Any], description: str, secret_keys: Iterable[str]
) -> dict[str, Any]:
    """What a refresh keeps (and hashes) of a connection: never a secret's value."""
    public, _ = split_secrets(config)
    return {
        "type": type_,
        "config": public,
        "description": description,
        "secretKeys": sorted(set(secret_keys)),
    }


def _development_side(shown: dict[str, Any]) -> bool:
    return shown.get("env_type") in (None, 0, "0")


def _connection(shown: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """(name, value) of a ``show_dataconnection`` answer (``None``: not a development side)."""
    name, type_ = shown.get("dw_name"), shown.get("dw_type")
    if not isinstance(name, str) or not isinstance(type_, str) or not _development_side(shown):
        return None
    config = shown.get("dw_config")
    config = dict(config) if isinstance(config, dict) else {}
    for wire, key in SHOWN_ATTRIBUTES.items():
        if shown.get(wire) not in (None, ""):
            config[key] = shown[wire]
    secrets = [k for k, v in config.items() if is_secret_key(k) and v not in (None, "")]
    description = shown.get("description")
    text = description if isinstance(description, str) else ""
    return name, connection_value(type_, config, text, secrets)


def _not_offered(exc: RemoteError) -> bool:
    context = exc.context
    return context.get("remote_status") == 404 or context.get("remote_error_code") in NOT_OFFERED


def read_environment(
    client: DataArtsClient, known: dict[str, dict[str, str]]
) -> tuple[list[KindRead], list[str]]:
    """The remote's connections and variables as reads, and notes on what could not be read."""
    connections = KindRead(CONNECTION, known.get(CONNECTION, {}))
    variables = KindRead(VARIABLE, known.get(VARIABLE, {}))
    try:
        with ThreadPoolExecutor(max_workers=1) as beside:  # one call, beside the connections'
            params = beside.submit(client.environment_variables)
            ids = [str(c["dw_id"]) for c in client.data_connections() if c.get("dw_id")]
            for shown in bounded_map(client.show_data_connection, ids):
                found = _connection(shown)
                if found is not None:
                    connections.add(*found)
            for param in params.result():
                if isinstance(param.get("name"), str):
                    variables.add(str(param["name"]), kept_variable(client.remote, param))
    except BaseException as exc:
        connections.spool.close()
        variables.spool.close()
        if not isinstance(exc, RemoteError) or not _not_offered(exc):
            raise
        call = exc.context.get("call")
        fix = studio_fix(client.remote, client.endpoint.endpoint, client.endpoint.studio)
        note = (
            f"the remote's endpoint does not offer {call} ({exc.context.get('remote_error_code')}"
            f"): the shadow's connections and environment variables were left as they were; {fix}"
        )
        return [], [note]
    return [connections, variables], []


def kept_variable(remote: str, param: dict[str, Any]) -> dict[str, str]:
    """What a refresh keeps of a variable the remote holds, refused (failing the refresh,
    nothing written) when a workspace here cannot keep it as it is: a name or a type longer
    than its column."""
    value, name = variable_value(param), str(param["name"])
    too_long = [
        f"its {what} is {len(text)} characters, at most {most} are kept"
        for what, text, most in (("name", name, NAME_LENGTH), ("type", value["type"], TYPE_LENGTH))
        if len(text) > most
    ]
    if too_long:
        raise RemoteError(
            f"Remote '{remote}' holds the environment variable '{name}', which its shadow "
            f"workspace cannot keep as it is: {'; '.join(too_long)}. Nothing was refreshed.",
            fix="Shorten it in the DataArts workspace, then refresh again.",
            remote=remote,
            variable=name,
        )
    return value


def variable_value(param: dict[str, Any]) -> dict[str, str]:
    """What a refresh keeps (and hashes) of a variable."""
    return {
        "type": str(param.get("type") or "variable"),
        "value": str(param.get("value") or ""),
        "desc": str(param.get("desc") or ""),
    }


@dataclass
class EnvironmentWriter:
    """Writes the environment reads of a refresh, inside the refresh's transaction."""

    box: SecretBox
    reads: list[KindRead]

    def __call__(self, writer: ShadowWriter) -> None:
        for read in self.reads:
            apply = self._connection if read.kind == CONNECTION else self._variable
            for name, value in read.spool:
                created = apply(writer, name, value)
                action = RefreshAction.CREATED if created else RefreshAction.UPDATED
                writer.count(read.kind, action)
            writer.count(read.kind, RefreshAction.UNCHANGED, len(read.hashes) - len(read.changed))
            self._delete(writer, read)
            writer.remember(read, now_ms())
            read.spool.close()

    def _connection(self, writer: ShadowWriter, name: str, value: dict[str, Any]) -> bool:
        tx, scope = writer.tx, writer.scope
        ws = scope.workspace.id
        existing = env_repo.get_object(tx, ws, CONNECTION, name)
        created = env_repo.upsert_object(
            tx,
            ws,
            CONNECTION,
            name,
            type_=value["type"],
            config=dump(value["config"]),
            now=now_ms(),
            actor=scope.actor.name,
            description=value["description"],
        )
        keys = list(value["secretKeys"])
        if existing is None or not self._given_here(writer, name):
            # set on the remote, never read from it: the names are known, the values are not
            env_repo.replace_secrets(tx, ws, CONNECTION, name, keys, self.box.encrypt(dump({})))
        remote = scope.workspace.shadow_of
        detail = {"remote": remote, "refreshOf": remote, "secretKeys": keys}
        verb = "create" if created else "update"
        audit_in_scope(tx, scope, f"environment.{verb}", CONNECTION, name, detail)
        return created

    def _given_here(self, writer: ShadowWriter, name: str) -> bool:
        """Whether the shadow's connection ``name`` holds secret values, given by hand here
        (kept); one a refresh wrote holds only the names the remote said were set, which the
        next refresh says anew."""
        token = env_repo.read_secrets(writer.tx, writer.scope.workspace.id, CONNECTION, name)
        return token is not None and load(self.box.decrypt(token)) != {}

    @staticmethod
    def _variable(writer: ShadowWriter, name: str, value: dict[str, str]) -> bool:
        scope = writer.scope
        item = VariableRecord(
            scope.workspace.id,
            name,
            value["type"],
            value["value"],
            value["desc"],
            now_ms(),
            scope.actor.name,
        )
        created = variable_repo.upsert_variable(writer.tx, item)
        verb = "create" if created else "update"
        detail = {"refreshOf": scope.workspace.shadow_of}
        audit_in_scope(writer.tx, scope, f"variable.{verb}", VARIABLE, name, detail)
        return created

    @staticmethod
    def _delete(writer: ShadowWriter, read: KindRead) -> None:
        tx, scope = writer.tx, writer.scope
        detail = {"refreshOf": scope.workspace.shadow_of}
        for name in read.gone:
            if read.kind == CONNECTION:
                env_repo.delete_object(tx, scope.workspace.id, CONNECTION, name)
                audit_in_scope(tx, scope, "environment.delete", CONNECTION, name, detail)
            else:
                variable_repo.delete_variable(tx, scope.workspace.id, name)
                audit_in_scope(tx, scope, "variable.delete", VARIABLE, name, detail)
        writer.count(read.kind, RefreshAction.DELETED, len(read.gone))
