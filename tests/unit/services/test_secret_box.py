"""The server's secret key against the secrets its database holds: a key is generated only for
a database without secrets, and a key that does not open them (a restore without its
``secret.key``, another replica's key) is refused before anything is served or written."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from jobferry.errors import InvalidRequestError, SecretKeyError
from jobferry.services.container import Services
from jobferry.services.support.secretbox import SecretBox
from jobferry.storage.tables import credentials
from support.clients import ADMIN_AK, PROJECT_ID


def _restored(tmp_path: Path) -> Path:
    """A data folder restored without its secret key, beside a database that holds the
    secrets ``services`` encrypted with the key of its own data folder."""
    folder = tmp_path / "restored"
    folder.mkdir()
    return folder


def test_a_database_with_secrets_and_no_key_is_refused_and_no_key_is_written(
    services: Services, tmp_path: Path
) -> None:
    folder = _restored(tmp_path)
    with pytest.raises(SecretKeyError) as refused:
        SecretBox.for_database(None, folder, services.db)
    message = refused.value.message
    assert "the secret keys of access keys" in message
    assert "there is none" in message
    assert "Restore the secret.key backed up with this database into" in message
    assert refused.value.code == "DLF.9510"
    assert not (folder / "secret.key").exists()


def test_a_key_that_does_not_open_the_secrets_is_refused(
    services: Services, tmp_path: Path
) -> None:
    folder = _restored(tmp_path)
    (folder / "secret.key").write_bytes(Fernet.generate_key())
    with pytest.raises(SecretKeyError) as from_file:
        SecretBox.for_database(None, folder, services.db)
    assert f"(from {folder / 'secret.key'}) does not open" in from_file.value.message
    assert "every signed call would fail" in from_file.value.message

    with pytest.raises(SecretKeyError) as from_setting:
        SecretBox.for_database(Fernet.generate_key().decode(), folder, services.db)
    assert "(from JOBFERRY_SECRET_KEY) does not open" in from_setting.value.message


def test_every_kind_of_secret_is_checked(services: Services, tmp_path: Path) -> None:
    """A database whose only secret is a remote's (or an environment secret, a signing key)
    is refused as well as one with access keys."""
    actor = services.accounts.actor_for(ADMIN_AK)
    scope = services.accounts.scope(actor, PROJECT_ID, None)
    services.keys.create_signing_key(scope)  # a workspace's signing key, encrypted
    with services.db.transaction() as tx:
        tx.conn.execute(credentials.delete())
    folder = _restored(tmp_path)
    with pytest.raises(SecretKeyError) as refused:
        SecretBox.for_database(None, folder, services.db)
    assert "workspaces' signing keys" in refused.value.message
    assert "access keys" not in refused.value.message


def test_the_right_key_opens_the_database(services: Services) -> None:
    settings = services.settings
    box = SecretBox.for_database(settings.secret_key, settings.data_dir, services.db)
    assert box.decrypt(box.encrypt("s3cret")) == "s3cret"
    assert Services.build(settings, services.db).db is services.db


def test_a_key_is_generated_for_a_database_without_secrets(
    services: Services, tmp_path: Path
) -> None:
    with services.db.transaction() as tx:
        tx.conn.execute(credentials.delete())
    folder = _restored(tmp_path)
    box = SecretBox.for_database(None, folder, services.db)
    key = (folder / "secret.key").read_bytes().strip()
    assert Fernet(key).decrypt(box.encrypt("s3cret").encode()) == b"s3cret"


def test_a_key_that_is_none_is_a_bad_setting_and_another_key_a_key_error() -> None:
    with pytest.raises(InvalidRequestError, match="JOBFERRY_SECRET_KEY does not hold a valid key"):
        SecretBox("notakey")
    sealed = SecretBox(Fernet.generate_key()).encrypt("s3cret")
    with pytest.raises(SecretKeyError, match="cannot be decrypted with the configured key"):
        SecretBox(Fernet.generate_key()).decrypt(sealed)


def test_a_broken_or_unreadable_key_file_is_named_not_the_setting(tmp_path: Path) -> None:
    """A corrupt secret.key was reported as JOBFERRY_SECRET_KEY (not set), and one that cannot
    be read (a folder) as a bare OS error."""
    (tmp_path / "secret.key").write_bytes(b"")
    with pytest.raises(InvalidRequestError) as empty:
        SecretBox.from_key_or_file(None, tmp_path)
    said = empty.value.message
    assert f"The secret key file {tmp_path / 'secret.key'} does not hold a valid key" in said
    assert "JOBFERRY_SECRET_KEY" not in said
    assert "restore the secret.key backed up with the database" in said
    (tmp_path / "secret.key").unlink()
    (tmp_path / "secret.key").mkdir()
    with pytest.raises(InvalidRequestError, match=r"cannot be read \(Is a directory\)"):
        SecretBox.from_key_or_file(None, tmp_path)
