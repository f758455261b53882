"""Encryption at rest for secret keys and connection secrets (Fernet: AES-128-CBC + HMAC)."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from jobferry.errors import InvalidRequestError, SecretKeyError
from jobferry.storage import Database
from jobferry.storage import sealed as sealed_repo

RESTORE = (
    "Restore the secret.key backed up with this database into {folder} (or set "
    "JOBFERRY_SECRET_KEY to it, the same for every server process) and start the server again; "
    "nothing was changed."
)


class SecretBox:
    """Encrypts and decrypts small secrets with the keys shared by every replica: the first
    encrypts, any opens (a key being changed: the new one first, the old after it, until
    ``jobferry db rotate-secret-key`` has encrypted every stored secret again under the new)."""

    def __init__(self, key: str | bytes, source: str = "JOBFERRY_SECRET_KEY") -> None:
        keys = key_list(key)
        try:
            fernets = [Fernet(one) for one in keys] or [Fernet(b"")]
        except (ValueError, TypeError) as exc:
            several = " (or several, the new first, separated by commas or lines)"
            raise InvalidRequestError(
                f"{source} does not hold a valid key (32 bytes, URL-safe base64{several}); "
                "generate one with "
                "python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'"
                + (
                    ", or restore the secret.key backed up with the database."
                    if source != "JOBFERRY_SECRET_KEY"
                    else "."
                )
            ) from exc
        self._fernet = MultiFernet(fernets)
        self._first = fernets[0]
        self.key_count = len(fernets)
        """How many keys open secrets (the first of them encrypts)."""
        self.source = source
        """Where the keys came from (the setting, or the key file's path)."""

    @classmethod
    def from_key_or_file(cls, key: str | None, data_dir: Path) -> SecretBox:
        """Use the configured key, else the key file in the data folder (created 0600 once)."""
        if key:
            return cls(key)
        path = data_dir / "secret.key"
        if not path.exists():
            data_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(Fernet.generate_key())
        try:
            held = path.read_bytes()
        except OSError as exc:
            raise InvalidRequestError(
                f"The secret key file {path} cannot be read ({exc.strerror}): make it a "
                "readable file holding the key, or set JOBFERRY_SECRET_KEY."
            ) from exc
        return cls(held, f"The secret key file {path}")

    @classmethod
    def for_database(cls, key: str | None, data_dir: Path, db: Database) -> SecretBox:
        """The box of the database's secrets: the configured key, else the key file in the
        data folder, which is generated only for a database that holds no secret yet (a new
        key opens none of them). Refuses (``SecretKeyError``) a key that does not open one
        stored secret of each kind, and a database with secrets but no key, such as a restore
        without its ``secret.key``: started so, every signed call would fail."""
        with db.transaction(readonly=True) as tx:
            held = sealed_repo.one_of_each(tx)
        path = data_dir / "secret.key"
        if held and not key and not path.exists():
            raise SecretKeyError(
                f"This database holds secrets encrypted with a secret key ({_kinds(held)}), "
                f"but there is none: JOBFERRY_SECRET_KEY is not set and there is no {path}. "
                "jobferry generates a key only for a database without secrets. "
                + RESTORE.format(folder=data_dir),
                secret_key_file=str(path),
            )
        box = cls.from_key_or_file(key, data_dir)
        unopened = [(what, token) for what, token in held if not box.opens(token)]
        if unopened:
            source = "JOBFERRY_SECRET_KEY" if key else str(path)
            raise SecretKeyError(
                f"The secret key (from {source}) does not open the secrets this database holds "
                f"({_kinds(unopened)}): it is not the key they were encrypted with, and every "
                "signed call would fail. "
                + RESTORE.format(folder=data_dir)
                + " If they were encrypted again under a new key (jobferry db "
                "rotate-secret-key), give that key instead.",
                secret_key_source=source,
            )
        return box

    def opens(self, token: str) -> bool:
        """Whether one of the keys decrypts a stored secret."""
        try:
            self._fernet.decrypt(token.encode())
        except InvalidToken:
            return False
        return True

    def resealed(self, token: str) -> str | None:
        """``token`` encrypted again under the first key, or ``None`` when the first key holds
        it already. A token no key opens is refused, as :meth:`decrypt` refuses it."""
        try:
            self._first.decrypt(token.encode())
            return None
        except InvalidToken:
            pass
        try:
            return self._fernet.rotate(token.encode()).decode()
        except InvalidToken as exc:
            raise self._unopened() from exc

    def encrypt(self, plain: str) -> str:
        """Encrypt a text secret."""
        return self._fernet.encrypt(plain.encode()).decode()

    def decrypt(self, token: str) -> str:
        """Decrypt a secret stored by ``encrypt``."""
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise self._unopened() from exc

    @staticmethod
    def _unopened() -> SecretKeyError:
        return SecretKeyError(
            "A stored secret cannot be decrypted with the configured key; every replica must "
            "share the same JOBFERRY_SECRET_KEY (or secret.key file)."
        )


def key_list(key: str | bytes) -> list[bytes]:
    """The keys a setting or a key file holds: one, or several separated by commas or lines
    (blank ones left out), in their order."""
    raw = key.encode() if isinstance(key, str) else key
    return [part.strip() for part in raw.replace(b",", b"\n").splitlines() if part.strip()]


def _kinds(held: list[tuple[str, str]]) -> str:
    return ", ".join(what for what, _ in held)
