"""Changing the server's secret key: every stored secret encrypted again under the new key
(``jobferry db rotate-secret-key``), while the old key still opens what it holds."""

from __future__ import annotations

from dataclasses import dataclass

from jobferry.errors import InvalidRequestError
from jobferry.services.accounts.service import LOCAL_OPERATOR_NAME
from jobferry.services.audit import record_audit
from jobferry.services.support.secretbox import SecretBox
from jobferry.storage import Database
from jobferry.storage import accounts as accounts_repo
from jobferry.storage import sealed as sealed_repo


@dataclass(frozen=True)
class Resealed:
    """What :func:`rotate_secrets` did: for each kind of stored secret, what it is, how many
    it encrypted again under the new key and how many the new key held already."""

    kinds: tuple[tuple[str, int, int], ...]

    @property
    def written(self) -> int:
        return sum(written for _, written, _ in self.kinds)

    @property
    def kept(self) -> int:
        return sum(kept for _, _, kept in self.kinds)


def rotate_secrets(db: Database, box: SecretBox) -> Resealed:
    """Encrypt every stored secret again under the box's first key, in one transaction (all or
    none), and say so in each project's audit log (by ``local-admin``: whoever runs it reads the
    database and its key directly). Refused when the box holds one key: there is no new key
    to move to. Servers running meanwhile keep working when they hold both keys (any opens)."""
    if box.key_count < 2:
        raise InvalidRequestError(
            f"The secret key cannot be rotated: {_lower_first(box.source)} holds one key, so "
            "there is no new key to encrypt the stored secrets under (rule: the new key comes "
            "first, the old after it). Put the new key first and keep the old one after it "
            "(JOBFERRY_SECRET_KEY=NEW,OLD, or NEW and OLD on two lines of secret.key) for every "
            "server process, restart them, then run this again; generate a key with python -c "
            "'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'."
        )
    with db.transaction() as tx:
        kinds = tuple(sealed_repo.reseal(tx, box.resealed))
        detail = {"keys": box.key_count, "kinds": [list(kind) for kind in kinds]}
        for project in accounts_repo.list_projects(tx):
            audit = (tx, project.id, None, LOCAL_OPERATOR_NAME, "secret_key.rotate", "project")
            record_audit(*audit, project.id, detail)
    return Resealed(kinds)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]
