"""Changing the server's secret key (``services/support/keyrotation.py``): with the new key
first and the old after it, every stored secret of every kind is encrypted again under the new
key in one transaction; then the new key alone opens the database, and the old alone no longer
does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from jobferry.domain.audit import AuditQuery
from jobferry.errors import InvalidRequestError, SecretKeyError
from jobferry.services.container import Services
from jobferry.services.support.keyrotation import rotate_secrets
from jobferry.services.support.secretbox import SecretBox, key_list
from jobferry.storage import audit as audit_repo
from jobferry.storage.sealed import SEALED
from support.clients import PROJECT_ID
from support.console import admin_actor, admin_scope
from support.standin import DataArtsStandin


def _every_kind(services: Services) -> None:
    """One secret of each kind beside the bootstrap admin's access key: a remote's secret key,
    a connection's password, a workspace's signing key."""
    services.remotes.transport = DataArtsStandin().transport()
    services.remotes.add(admin_actor(services), DataArtsStandin().spec())
    scope = admin_scope(services)
    body = {"type": "DWS", "config": {}, "secrets": {"password": "pw-1"}}
    services.environment.put(scope, "connection", "dws", body)
    services.keys.create_signing_key(scope)


def _stored(services: Services) -> dict[str, list[str]]:
    with services.db.transaction(readonly=True) as tx:
        return {what: sorted(tx.conn.execute(select(column)).scalars()) for what, column in SEALED}


def _old_key(services: Services) -> str:
    return (services.settings.data_dir / "secret.key").read_text().strip()


def test_every_stored_secret_is_encrypted_again_under_the_new_key(services: Services) -> None:
    _every_kind(services)
    old, new = _old_key(services), Fernet.generate_key().decode()
    before = _stored(services)
    plain = {w: sorted(SecretBox(old).decrypt(t) for t in ts) for w, ts in before.items()}
    assert all(plain.values())  # one of each kind at least

    box = SecretBox.for_database(f"{new},{old}", services.settings.data_dir, services.db)
    done = rotate_secrets(services.db, box)

    assert [(what, written, kept) for what, written, kept in done.kinds] == [
        (what, len(tokens), 0) for what, tokens in before.items()
    ]
    after = _stored(services)
    assert {w: sorted(SecretBox(new).decrypt(t) for t in ts) for w, ts in after.items()} == plain
    # the new key alone opens the database; the old alone is refused at start
    folder = services.settings.data_dir
    assert SecretBox.for_database(new, folder, services.db).key_count == 1
    with pytest.raises(SecretKeyError, match="give that key instead"):
        SecretBox.for_database(old, folder, services.db)
    started = Services.build(services.settings.model_copy(update={"secret_key": new}), services.db)
    assert started.remotes.box.decrypt(after["the secret keys of remotes"][0])

    query = AuditQuery(action="secret_key.rotate")
    with services.db.transaction(readonly=True) as tx:
        _, [(_, entry)] = audit_repo.list_entries(tx, PROJECT_ID, None, query, limit=5, offset=0)
    assert (entry.actor, entry.workspace_id, entry.object_name) == ("local-admin", None, PROJECT_ID)
    assert entry.detail is not None
    assert json.loads(entry.detail)["keys"] == 2

    again = rotate_secrets(services.db, box)  # nothing left under the old key
    assert (again.written, again.kept) == (0, done.written)
    assert _stored(services) == after


def test_one_key_is_refused_naming_how_to_give_the_new_one_and_nothing_changes(
    services: Services,
) -> None:
    _every_kind(services)
    before = _stored(services)
    box = SecretBox.for_database(None, services.settings.data_dir, services.db)
    with pytest.raises(InvalidRequestError) as refused:
        rotate_secrets(services.db, box)
    said = refused.value.message
    assert "the secret key file" in said
    assert "holds one key" in said
    assert "JOBFERRY_SECRET_KEY=NEW,OLD" in said
    assert _stored(services) == before


def test_a_key_list_with_a_key_that_opens_nothing_is_refused_before_anything_is_written(
    services: Services,
) -> None:
    """Both keys new (the old one mistyped): the check at start refuses it, so nothing is
    encrypted under a key no backup could be read with."""
    _every_kind(services)
    before = _stored(services)
    keys = f"{Fernet.generate_key().decode()},{Fernet.generate_key().decode()}"
    with pytest.raises(SecretKeyError, match="does not open the secrets"):
        SecretBox.for_database(keys, services.settings.data_dir, services.db)
    assert _stored(services) == before


def test_keys_are_read_from_commas_or_lines_in_their_order(tmp_path: Path) -> None:
    one, two = Fernet.generate_key(), Fernet.generate_key()
    assert key_list(f" {one.decode()} ,\n{two.decode()},") == [one, two]
    (tmp_path / "secret.key").write_bytes(b"\n" + two + b"\n\n" + one + b"\n")
    box = SecretBox.from_key_or_file(None, tmp_path)
    assert box.key_count == 2
    sealed = box.encrypt("s3cret")
    assert Fernet(two).decrypt(sealed.encode()) == b"s3cret"  # the first key encrypts
    assert box.decrypt(Fernet(one).encrypt(b"old").decode()) == "old"  # any key opens
    with pytest.raises(InvalidRequestError, match="or several, the new first"):
        SecretBox(f"{one.decode()},notakey")
