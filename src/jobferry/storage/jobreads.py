"""The hot read of one job by name (``show_job``), outside SQLAlchemy's statement building: one
statement, no transaction of its own (a single ``SELECT`` reads one consistent snapshot); on
PostgreSQL in autocommit, prepared once per connection (no ``BEGIN``/``COMMIT``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.engine import URL

from jobferry.errors import DatabaseBusyError, StorageError
from jobferry.storage.records import JobRecord

_COLUMNS = ", ".join(f.name for f in fields(JobRecord))
_READ = f"SELECT {_COLUMNS} FROM jobs WHERE workspace_id = {{0}} AND name = {{0}}"


class JobReads:
    """The ``show_job`` read, for one database."""

    def __init__(
        self,
        engine: Engine,
        url: URL,
        contention: Callable[[BaseException], DatabaseBusyError | None],
    ) -> None:
        self.engine = engine
        self._contention = contention  # a lock waited for past lock_timeout: busy, to retry
        self._postgres = url.get_backend_name() == "postgresql"
        self._sql = _READ.format("%s" if self._postgres else "?")

    def read(self, workspace_id: str, name: str) -> JobRecord | None:
        """The job named ``name`` in the workspace (``None``: no such job)."""
        raw = self.engine.raw_connection()
        try:
            if self._postgres:
                row = _select_autocommit(raw.driver_connection, self._sql, workspace_id, name)
            else:
                cursor = raw.cursor()
                cursor.execute(self._sql, (workspace_id, name))
                row = cursor.fetchone()
                cursor.close()
        except self.engine.dialect.loaded_dbapi.Error as exc:
            busy = self._contention(exc)
            if busy is not None:  # the statement was cancelled; the connection is sound
                raise busy from exc
            raw.invalidate(exc)  # its state is unknown: the pool opens another
            raise StorageError(
                "The database is not available: check JOBFERRY_DATABASE_URL and that the "
                "database server is running.",
                reason=str(exc),
            ) from exc
        finally:
            raw.close()
        return None if row is None else JobRecord(*row)


def _select_autocommit(conn: Any, sql: str, workspace_id: str, name: str) -> Any:
    """The row, read outside a transaction: no ``BEGIN``, and no ``ROLLBACK`` when the pool
    takes the connection back; prepared once per connection."""
    conn.autocommit = True
    try:
        return conn.execute(sql, (workspace_id, name), prepare=True).fetchone()
    finally:
        conn.autocommit = False
