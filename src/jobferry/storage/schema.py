"""Schema migrations through Alembic, driven in-process (no alembic.ini needed).

Beside Alembic's own ``alembic_version``, ``db upgrade`` keeps one row of bookkeeping in
``schema_release``: the schema revision, the oldest jobferry release that runs it and the
jobferry that wrote it. An older jobferry knows neither the revision nor the releases after its
own, so this row is how it can say which version to use instead.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

import jobferry
from jobferry.errors import StorageError
from jobferry.releases import first_release_needing
from jobferry.storage.database import MIGRATIONS_DIR, Database

_bookkeeping = sa.MetaData()
schema_release = sa.Table(
    "schema_release",
    _bookkeeping,
    sa.Column("revision", sa.String(32), primary_key=True),
    sa.Column("needs_release", sa.String(32), nullable=False),
    sa.Column("written_by", sa.String(32), nullable=False),
    sa.Column("written_at", sa.BigInteger, nullable=False),
)
"""One row: the revision the database is at and the oldest jobferry release that runs it
(outside the migrations, as ``alembic_version``; ``tables.py`` does not hold it)."""


@dataclass(frozen=True)
class Upgraded:
    """What ``upgrade`` did: the revision the database was at (None: it was empty) and the one
    it is at now."""

    before: str | None
    after: str

    @property
    def changed(self) -> bool:
        """Whether any migration ran."""
        return self.before != self.after


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


@cache
def revisions() -> tuple[str, ...]:
    """Every migration this version of jobferry ships, oldest first (read from the scripts)."""
    scripts = ScriptDirectory.from_config(_config())
    return tuple(reversed([script.revision for script in scripts.walk_revisions()]))


def head_revision() -> str:
    """The newest migration this version of jobferry ships: the schema it needs."""
    return revisions()[-1]


def current_revision(db: Database) -> str | None:
    """The migration the database is at (None for an empty database)."""
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def needs_release() -> str:
    """The oldest jobferry release that runs this code's schema: a release, or this very
    version when no release has the schema yet (a version in development)."""
    release = first_release_needing(head_revision(), revisions())
    return release.version if release is not None else jobferry.__version__


def upgrade(db: Database) -> Upgraded:
    """Bring the database to the newest schema, from any earlier one, in one transaction.

    Refuses a database at a revision this jobferry does not know (a newer jobferry's), naming
    the version to use, and changes nothing then."""
    before = current_revision(db)
    _refuse_newer(db, before)
    cfg = _config()
    with db.engine.connect() as conn, _foreign_keys_deferred(conn), conn.begin():
        broken = _broken_references(conn)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        _refuse_new_broken_references(conn, broken)
        _record_release(conn)
    return Upgraded(before, head_revision())


def require_current(db: Database) -> None:
    """Refuse to serve a database that is not at this version's schema."""
    current, head = current_revision(db), head_revision()
    if current == head:
        return
    _refuse_newer(db, current)
    raise StorageError(
        f"The database schema is at revision {current or 'none (empty database)'} but this "
        f"jobferry ({jobferry.__version__}) needs {head}; run 'jobferry db upgrade' first "
        "(it upgrades from any earlier revision; back the database up before)."
    )


def _refuse_newer(db: Database, current: str | None) -> None:
    """Refuse a database at a revision that is not among this code's migrations."""
    if current is None or current in revisions():
        return
    needed = _recorded_release(db, current)
    use = (
        f"use jobferry {needed} or newer"
        if needed
        else "use the jobferry that upgraded it, or a newer one (CHANGELOG.md names the schema "
        "each release needs)"
    )
    raise StorageError(
        f"The database is at schema revision {current}, which this jobferry "
        f"({jobferry.__version__}, schema {head_revision()}) does not know: this jobferry is "
        f"older than the database; {use}. Nothing was changed.",
        revision=current,
        needs_release=needed,
    )


def _recorded_release(db: Database, revision: str) -> str | None:
    """The release the database's bookkeeping names for ``revision`` (None when it has none)."""
    with db.engine.connect() as conn:
        if not sa.inspect(conn).has_table(schema_release.name):
            return None
        found = conn.execute(
            sa.select(schema_release.c.needs_release).where(schema_release.c.revision == revision)
        ).scalar_one_or_none()
    return str(found) if found is not None else None


def _record_release(conn: sa.Connection) -> None:
    schema_release.create(conn, checkfirst=True)
    conn.execute(sa.delete(schema_release))
    conn.execute(
        sa.insert(schema_release).values(
            revision=head_revision(),
            needs_release=needs_release(),
            written_by=jobferry.__version__,
            written_at=int(time.time() * 1000),
        )
    )


@contextmanager
def _foreign_keys_deferred(conn: sa.Connection) -> Iterator[None]:
    """SQLite's foreign keys off for the migrations, on again after.

    A migration rebuilds an altered SQLite table (Alembic's batch mode: copy, drop, rename);
    with foreign keys on, dropping a table that other tables' rows refer to fails (a database
    made at 0001 with a job could not pass 0004). The pragma is a no-op inside a transaction,
    so it is set before the migration's begins, on the driver's connection; the references
    are checked once the migrations ran (``_refuse_new_broken_references``). PostgreSQL's
    keys hold all along."""
    if conn.dialect.name != "sqlite":
        yield
        return
    driver = conn.connection.driver_connection
    assert driver is not None
    driver.execute("PRAGMA foreign_keys = OFF")
    try:
        yield
    finally:
        driver.execute("PRAGMA foreign_keys = ON")


def _broken_references(conn: sa.Connection) -> Counter[tuple[str, str]]:
    """Rows referring to nothing, by table and the table they refer to (SQLite only: its
    foreign keys are off while the migrations run)."""
    if conn.dialect.name != "sqlite":
        return Counter()
    rows = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
    return Counter((str(row[0]), str(row[2])) for row in rows)


def _refuse_new_broken_references(conn: sa.Connection, before: Counter[tuple[str, str]]) -> None:
    """Refuse (and so roll back) migrations that left more rows referring to nothing than the
    database held before them. Rows broken before (foreign keys turned off by hand) are not
    the upgrade's to judge."""
    added = _broken_references(conn) - before
    if added:
        tables = sorted({table for table, _ in added})
        raise StorageError(
            f"Upgrading the database would leave {added.total()} row(s) of {', '.join(tables)} "
            "referring to rows that do not exist; nothing was changed. Report this with the "
            "database's revision: the migrations must keep every reference.",
            tables=tables,
        )
