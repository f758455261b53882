"""The data folder's ``admin-credentials.json``: the admin's key pair a first start generated
(``jobferry serve`` writes it, ``jobferry config init`` reads it into a context), removed once
that key is revoked, however it is revoked (the API, the console, ``jobferry admin``): kept, it
would hand out a secret good for nothing."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("jobferry.security")

FILE_NAME = "admin-credentials.json"
"""The file's name in the data folder (``JOBFERRY_DATA_DIR``)."""


def credentials_file(data_dir: Path) -> Path:
    """Where the generated admin credentials are kept in the data folder ``data_dir``."""
    return data_dir / FILE_NAME


@dataclass(frozen=True)
class RemovedFile:
    """The credentials file removed, and the revoked access key it held."""

    path: Path
    access_key: str


def forget_revoked_credentials(data_dir: Path, access_keys: Iterable[str]) -> RemovedFile | None:
    """Remove the data folder's credentials file when it holds one of ``access_keys``, just
    revoked (or deleted with their user); what was removed, if anything. A file that holds
    another key, or cannot be read, stays; so does one the folder will not let go (read-only,
    another owner), with a ``warning`` line: the revocation it follows is done, and is not
    refused for it."""
    path = credentials_file(data_dir)
    try:
        held = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    access_key = held.get("accessKey") if isinstance(held, dict) else None
    if not isinstance(access_key, str) or access_key not in set(access_keys):
        return None
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:  # the key is revoked already: that is done, whatever the file says
        log.warning(
            "cannot remove %s (%s): it holds access key %s, revoked; remove it yourself "
            "(jobferry config init would read that key from it)",
            path,
            exc.strerror or exc,
            access_key,
        )
        return None
    log.info("removed %s: it held access key %s, revoked", path, access_key)
    return RemovedFile(path, access_key)
