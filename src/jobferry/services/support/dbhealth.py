"""How the database answers, for ``GET /health``: its kind (``sqlite``, ``postgresql``) and
whether a read goes through now. ``/health`` needs no signature, so what it says names no
host, port, user, database name or file: why a database does not answer (the driver's words,
which name them) is for the server log only."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from jobferry.errors import StorageError
from jobferry.storage import Database


@dataclass(frozen=True)
class DatabaseState:
    """The database's kind, and why it did not answer (``None``: it answered)."""

    kind: str
    problem: str | None = None

    @property
    def answers(self) -> bool:
        """Whether the database answered the read."""
        return self.problem is None


def database_state(db: Database, read: Callable[[], object]) -> DatabaseState:
    """The state of ``db`` as ``read`` (one cheap read through it) finds it."""
    try:
        read()
    except StorageError as exc:
        return DatabaseState(db.dialect, exc.message)
    return DatabaseState(db.dialect)
