"""A connection's password typed as a setting (``jobferry env put … --config password=…``, the
console's Environment form, ``PUT /environment/connection/{name}`` with it in ``config``) is
kept as the DataArts connection calls keep it: split off into the encrypted secrets, never
stored or answered in plain text, to any role."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from jobferry.domain.connections import SECRET_MASK
from jobferry.domain.enums import EnvironmentKind
from jobferry.errors import InvalidRequestError
from jobferry.services.container import Services
from jobferry.storage import environment as repo
from jobferry.storage.sealed import SEALED
from support.console import admin_scope

PASSWORD = "hunter2-plain-typed"


def _stored(services: Services, name: str) -> tuple[str, dict[str, str]]:
    """The object's stored settings (as the database holds them) and its decrypted secrets."""
    scope = admin_scope(services)
    with services.db.transaction(readonly=True) as tx:
        row = repo.get_object(tx, scope.workspace.id, EnvironmentKind.CONNECTION.value, name)
        token = repo.read_secrets(tx, scope.workspace.id, EnvironmentKind.CONNECTION.value, name)
    assert row is not None
    return row.config, {} if token is None else json.loads(services.environment.box.decrypt(token))


def _put(services: Services, name: str, body: dict[str, Any]) -> None:
    services.environment.put(admin_scope(services), "connection", name, body)


def test_a_password_sent_as_a_setting_is_kept_encrypted_and_read_as_the_mask(
    services: Services,
) -> None:
    _put(services, "dws", {"type": "DWS", "config": {"host": "10.0.0.2", "password": PASSWORD}})

    config, secrets = _stored(services, "dws")
    assert PASSWORD not in config
    assert secrets == {"password": PASSWORD}
    shown = services.environment.get(admin_scope(services), "connection", "dws")
    assert shown.config == {"host": "10.0.0.2"}
    assert shown.secret_keys == ("password",)
    with services.db.transaction(readonly=True) as tx:
        sealed = [t for _, column in SEALED for t in tx.conn.execute(select(column)).scalars()]
    assert all(PASSWORD not in token for token in sealed)


def test_a_secret_setting_joins_the_stored_secrets_and_the_mask_keeps_them(
    services: Services,
) -> None:
    _put(services, "dws", {"type": "DWS", "config": {}, "secrets": {"sk": "k-1"}})
    _put(services, "dws", {"type": "DWS", "config": {"password": PASSWORD}})
    assert _stored(services, "dws")[1] == {"sk": "k-1", "password": PASSWORD}

    # Read, change a setting, write back what was read: the mask keeps every secret.
    _put(services, "dws", {"type": "DWS", "config": {"password": SECRET_MASK, "port": 8000}})
    config, secrets = _stored(services, "dws")
    assert secrets == {"sk": "k-1", "password": PASSWORD}
    assert "password" not in config


def test_explicit_secrets_and_a_secret_setting_are_both_kept(services: Services) -> None:
    body = {"type": "DWS", "config": {"token": "t-1"}, "secrets": {"password": PASSWORD}}
    _put(services, "dws", body)
    assert _stored(services, "dws")[1] == {"password": PASSWORD, "token": "t-1"}


def test_a_password_an_older_write_left_in_the_settings_reads_as_the_mask_and_moves_on_save(
    services: Services,
) -> None:
    scope = admin_scope(services)
    kind = EnvironmentKind.CONNECTION.value
    with services.db.transaction() as tx:  # as a write before the split left it
        repo.upsert_object(
            tx,
            scope.workspace.id,
            kind,
            "old",
            type_="DWS",
            config=json.dumps({"host": "h", "password": PASSWORD}),
            now=1,
            actor="admin",
        )
    shown = services.environment.get(scope, "connection", "old")
    assert shown.config == {"host": "h", "password": SECRET_MASK}
    assert services.connections.get(scope, "old").config["password"] == SECRET_MASK

    _put(services, "old", {"type": "DWS", "config": dict(shown.config)})  # written back as read
    config, secrets = _stored(services, "old")
    assert secrets == {"password": PASSWORD}
    assert PASSWORD not in config


def test_other_kinds_keep_their_settings_as_sent(services: Services) -> None:
    body = {"type": "DLI", "config": {"tokenUrl": "https://iam.example"}}
    services.environment.put(admin_scope(services), "dli_queue", "q", body)
    shown = services.environment.get(admin_scope(services), "dli_queue", "q")
    assert shown.config == {"tokenUrl": "https://iam.example"}


def test_a_type_copied_as_the_placeholder_of_a_suggested_command_is_refused(
    services: Services,
) -> None:
    """A plan's fix says ``jobferry env put connection dws_conn --type … --secret KEY=@FILE``:
    run as printed, the connection was saved with the type ``…``. A type is a name."""
    scope = admin_scope(services)
    for placeholder in ("…", "<type>", "TYPE?", "DWS…"):
        with pytest.raises(InvalidRequestError) as refused:
            _put(services, "dws_conn", {"type": placeholder, "secrets": {"password": PASSWORD}})
        said = str(refused.value)
        assert f"type '{placeholder}' is not a type's name" in said, said
        assert "e.g. DWS or HIVE;" in said, said
    assert services.environment.list_objects(scope, "connection") == []
    # A queue's example is a queue's type, not a connection's.
    for wrong in ("…", ""):
        with pytest.raises(InvalidRequestError) as refused:
            services.environment.put(scope, "dli_queue", "q", {"type": wrong})
        assert "e.g. DLI" in str(refused.value)
        assert "DWS" not in str(refused.value)
    for name_like in ("DWS", "MRS Hive", "http.request", "MRS_HIVE_CONNECTION", "dws-2"):
        _put(services, "dws_conn", {"type": name_like})
