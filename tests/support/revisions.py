"""Empty databases at an earlier schema revision, for the upgrade tests, without running the
migrations up to it for each test.

Each test process migrates once, a revision at a time, and keeps what each step left: on
SQLite a copy of the file after every revision; on PostgreSQL the SQL the migrations sent,
with where each revision ends (the replay is the migration itself, minus Alembic's Python, as
``support/databases.py`` does for the newest schema). A test then copies the file, or replays
the SQL up to its revision into its own schema. The upgrade under test runs for real.
"""

from __future__ import annotations

import atexit
import shutil
import sqlite3
import tempfile
from contextlib import closing
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from jobferry.storage import Database
from jobferry.storage.database import MIGRATIONS_DIR
from jobferry.storage.schema import revisions
from support.databases import Statement, fresh_schema_url
from support.databases import _batched as batched  # the template's own batching and replay
from support.databases import _replay as replay

_sqlite: dict[str, Path] = {}
_postgres: dict[str, list[Statement]] = {}


def migrate(db: Database, revision: str, *, down: bool = False) -> None:
    """Alembic's upgrade (``down``: downgrade) of ``db`` to ``revision``, in one transaction:
    the migration scripts themselves, without ``schema.upgrade``'s bookkeeping. On SQLite the
    foreign keys are off while they run, as ``schema.upgrade`` has them (a rebuilt table's
    drop would delete the rows referring to it)."""
    with db.engine.connect() as conn:
        driver = conn.connection.driver_connection
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            driver.execute("PRAGMA foreign_keys = OFF")  # type: ignore[union-attr]
        try:
            with conn.begin():
                cfg = Config()
                cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
                cfg.attributes["connection"] = conn
                (command.downgrade if down else command.upgrade)(cfg, revision)
        finally:
            if sqlite:
                driver.execute("PRAGMA foreign_keys = ON")  # type: ignore[union-attr]


def database_at(url: str, revision: str) -> None:
    """Make the empty database at ``url`` (a SQLite file not yet there, or an empty schema)
    an empty database at ``revision``."""
    if url.startswith("sqlite:///"):
        shutil.copyfile(_sqlite_file(revision), url.removeprefix("sqlite:///"))
    else:
        replay(url, _postgres_prefix(revision))


def _sqlite_file(revision: str) -> Path:
    if not _sqlite:
        folder = Path(tempfile.mkdtemp(prefix="jobferry-revisions-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        work = folder / "work.db"
        for step in revisions():
            db = Database(f"sqlite:///{work}")
            migrate(db, step)
            db.dispose()
            with closing(sqlite3.connect(work)) as conn:  # everything in the main file
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            _sqlite[step] = folder / f"{step}.db"
            shutil.copyfile(work, _sqlite[step])
    return _sqlite[revision]


def _postgres_prefix(revision: str) -> list[Statement]:
    if not _postgres:
        recorded: list[Statement] = []

        def record(
            conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
        ) -> None:
            recorded.append((statement, parameters, many))

        schemas = fresh_schema_url()
        db = Database(next(schemas))
        sa.event.listen(db.engine, "before_cursor_execute", record)
        for step in revisions():
            migrate(db, step)
            _postgres[step] = batched(list(recorded))
        db.dispose()
        schemas.close()
    return _postgres[revision]


UPGRADE_FAILS_AT = ("0031", "0033")
"""A database :func:`upgrade_that_fails` makes is at the first revision, and the upgrade fails
at the second (``0032`` runs between them)."""


def upgrade_that_fails(url: str) -> Database:
    """The empty database at ``url`` at revision 0031 with the column migration 0033 adds
    already there, added by hand (as an operator, or a restore mixing two versions, leaves
    it): its upgrade fails at 0033, after 0032 ran."""
    database_at(url, UPGRADE_FAILS_AT[0])
    db = Database(url)
    with db.engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE promotion_ledger ADD COLUMN package_created_at BIGINT")
    return db
