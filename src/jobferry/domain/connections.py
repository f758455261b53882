"""Which settings of a data connection are secrets, and how answers show them.

The DataArts connection calls (``/v1/{project_id}/connections`` and the DataArts Studio
``data-connections``) send passwords inside the connection's settings, next to host names and
user names, in objects whose keys vary with the connection type. jobferry stores every setting
whose key looks like a secret apart, encrypted (the environment objects' write-only
``secrets``), and answers such a setting only with ``SECRET_MASK``. Sending the mask back (or
leaving the key out) keeps the stored value: a client can read a connection, change its
description and write it back without knowing the password.

Only top-level settings are split; a nested object is kept as it is and must not carry secrets.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

SECRET_MASK = "*********"
"""What an answer shows in place of a secret that is set (the DataArts connection API's mask)."""

# A key is a secret when, lower-cased and without '_' and '-', it contains one of these parts
# (db_password, nsPassword, secretKey, accessToken, privateKey…) or is one of the exact names.
_SECRET_PARTS = ("password", "passwd", "secret", "token", "privatekey", "credential")
_SECRET_NAMES = frozenset({"sk", "pwd", "pass", "keytab"})


def is_secret_key(key: str) -> bool:
    """Whether a connection setting named ``key`` holds a secret."""
    folded = key.lower().replace("_", "").replace("-", "")
    return folded in _SECRET_NAMES or any(part in folded for part in _SECRET_PARTS)


_ROLES = (
    ("password", "password"),
    ("passwd", "password"),
    ("privatekey", "privatekey"),
    ("secret", "secret"),
    ("token", "token"),
    ("credential", "credential"),
)
_ROLE_NAMES = {"pwd": "password", "pass": "password", "sk": "secret", "keytab": "keytab"}


def secret_role(key: str) -> str:
    """What a secret setting is for, whatever the API calls it: ``password``, ``db_password``,
    ``passwd`` and ``pwd`` are all a ``password``; ``sk`` and ``secretKey`` a ``secret``.

    The import check compares roles, not spellings, so a connection made through one API
    (``db_password`` in a DataArts Studio data connection) satisfies a package whose source
    connection came from another (``password`` in an environment object).
    """
    folded = key.lower().replace("_", "").replace("-", "")
    if folded in _ROLE_NAMES:
        return _ROLE_NAMES[folded]
    for part, role in _ROLES:
        if part in folded:
            return role
    return folded


def split_secrets(
    config: dict[str, Any], held: Collection[str] = ()
) -> tuple[dict[str, Any], dict[str, str]]:
    """(settings without secrets, secrets as text); masks and nulls are not secrets to store.

    ``held`` names the secrets the connection has already: such a key stays a secret whatever
    it is called (one registered as a secret under a plain name, ``apiKey``), so a write that
    sends it, as read (the mask) or with a new value, never makes it a plain setting."""
    public: dict[str, Any] = {}
    secrets: dict[str, str] = {}
    for key, value in config.items():
        if not is_secret_key(key) and key not in held:
            public[key] = value
        elif value is not None and value != SECRET_MASK:
            secrets[key] = value if isinstance(value, str) else str(value)
    return public, secrets


def masked(config: dict[str, Any], secret_keys: tuple[str, ...] | list[str]) -> dict[str, Any]:
    """Settings as answers show them: every secret that is set as ``SECRET_MASK``, and so is a
    setting whose key looks like a secret that the settings hold themselves (one saved as a
    plain setting before such settings were split off on every write path)."""
    plain = {key: SECRET_MASK for key, value in config.items() if holds_secret(key, value)}
    return {**config, **plain, **{key: SECRET_MASK for key in secret_keys}}


def holds_secret(key: str, value: object) -> bool:
    """Whether a setting is a secret with a value (not empty, not the mask)."""
    return is_secret_key(key) and value not in (None, "", SECRET_MASK)


def merged_secrets(stored: dict[str, str], sent: dict[str, str]) -> dict[str, str]:
    """Secrets after an update: the stored ones, each sent one replacing its own; an empty
    value removes that secret."""
    merged = {**stored, **sent}
    return {key: value for key, value in merged.items() if value != ""}
