"""Encryption at rest for secret keys and connection secrets (Fernet: AES-128-CBC + HMAC)."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from jobferry.errors import JobferryError


class SecretBox:
    """Encrypts and decrypts small secrets with one key shared by every replica."""

    def __init__(self, key: str | bytes) -> None:
        try:
            self._fernet = Fernet(key)
        except (ValueError, TypeError) as exc:
            raise JobferryError(
                "JOBFERRY_SECRET_KEY is not a valid key; generate one with "
                "python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'."
            ) from exc

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
        return cls(path.read_bytes().strip())

    def encrypt(self, plain: str) -> str:
        """Encrypt a text secret."""
        return self._fernet.encrypt(plain.encode()).decode()

    def decrypt(self, token: str) -> str:
        """Decrypt a secret stored by ``encrypt``."""
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise JobferryError(
                "A stored secret cannot be decrypted with the configured key; every replica must "
                "share the same JOBFERRY_SECRET_KEY (or secret.key file)."
            ) from exc
