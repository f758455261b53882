"""Every row of one jobferry database copied into another, empty one (``jobferry db copy``):
SQLite to PostgreSQL, PostgreSQL to SQLite, PostgreSQL to PostgreSQL.

The steps, each refusal before anything is written to the target:

1. the two URLs must name two databases (asked of the databases themselves: one file, or one
   PostgreSQL server, database and schema), and the source must be at this version's schema;
2. the target must hold no row in any jobferry table; it is then brought to the newest schema
   by the upgrade every server runs (an empty database gets the whole schema);
3. the source is read in one read-only transaction (one snapshot: on PostgreSQL ``REPEATABLE
   READ``), table by table in the order of their foreign keys, in batches of
   :data:`BATCH_ROWS` (memory does not grow with the database), and every row is written in
   one transaction of the target: a failure leaves the target with the schema and no row;
4. PostgreSQL's sequences continue after the ids copied, and every table's rows are counted on
   both sides before the target commits.

The schema's bookkeeping (``alembic_version``, ``schema_release``) is the target's own, written
by its upgrade; it is not copied.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

import jobferry

# The feature modules that register their tables in the metadata, as the migrations' env does.
import jobferry.storage.approvals
import jobferry.storage.importing.tables
import jobferry.storage.ledger
import jobferry.storage.policies
import jobferry.storage.releases
import jobferry.storage.remotes
import jobferry.storage.remotes_journal
import jobferry.storage.routes
from jobferry.errors import DatabaseNotEmptyError, SameDatabaseError, StorageError
from jobferry.storage.database import Database
from jobferry.storage.schema import (
    current_revision,
    head_revision,
    require_current,
    revisions,
    upgrade,
)
from jobferry.storage.tables import metadata

BATCH_ROWS = 1000
"""Rows read from the source and written to the target at a time."""

HIDDEN = "***"
"""What a shown URL says in place of a password."""

Progress = Callable[[str, int], None]
"""Told each table's name and its rows copied, as the table ends."""


@dataclass(frozen=True)
class Copied:
    """What a copy wrote: each table's rows, in the order they were copied."""

    tables: dict[str, int]

    @property
    def rows(self) -> int:
        """Every row copied."""
        return sum(self.tables.values())


def shown_url(url: str) -> str:
    """``url`` as it may be printed: its password (in the address or as a ``password``
    parameter) replaced by ``***``, and without the driver jobferry picked (``+psycopg``)."""
    parsed = make_url(url)
    parsed = parsed.set(drivername=parsed.get_backend_name())
    secret = [key for key in parsed.query if key.lower() in ("password", "sslpassword")]
    shown = parsed.difference_update_query(secret).render_as_string(hide_password=True)
    hidden = "&".join(f"{key}={HIDDEN}" for key in secret)
    return f"{shown}{'&' if '?' in shown else '?'}{hidden}" if hidden else shown


def copied_tables() -> list[sa.Table]:
    """Every jobferry table, parents before the tables that refer to them."""
    return list(metadata.sorted_tables)


def copy_database(source: Database, target: Database, progress: Progress | None = None) -> Copied:
    """Copy every row of ``source`` into ``target`` (see the module's steps); ``progress``
    is told of each table as it ends. The target is committed only once every table's rows
    are counted the same on both sides."""
    _refuse_same(source, target)
    _require_current(source)
    _refuse_rows(target)
    upgrade(target)
    told = progress or (lambda _name, _rows: None)
    with _snapshot(source) as read, _writing(target) as write:
        _refuse_rows_in(write, target)  # written meanwhile, between the check and now
        tables: dict[str, int] = {}
        for table in copied_tables():
            name = str(table.name)  # a plain str: SQLAlchemy's quoted_name is not JSON's
            tables[name] = _copy_table(read, write, table)
            told(name, tables[name])
        _continue_sequences(write)
        _check_counts(read, write, tables)
    return Copied(tables)


def _identity(db: Database) -> tuple[object, ...] | None:
    """What tells one database from every other, asked of the database: a SQLite file's real
    path; a PostgreSQL server (its port and when it started), database and schema."""
    if db.dialect == "sqlite":
        name = make_url(db.url).database
        if not name or name == ":memory:":
            return None
        return ("sqlite", str(Path(name).resolve()))
    with db.connect() as conn:
        row = conn.exec_driver_sql(
            "SELECT pg_postmaster_start_time(), current_setting('port'), current_database(), "
            "current_schema()"
        ).one()
    return ("postgresql", *row)


def _refuse_same(source: Database, target: Database) -> None:
    found = _identity(source)
    if found is None or found != _identity(target):
        return
    raise SameDatabaseError(
        f"The database to copy to ({shown_url(target.url)}) is the one this server uses "
        "(JOBFERRY_DATABASE_URL, or the SQLite file of its data folder): a database cannot be "
        "copied into itself; nothing was written.",
        fix="Name another, empty database with --to: a new PostgreSQL database (createdb) or "
        "schema, or a new SQLite file.",
        target=shown_url(target.url),
    )


def _require_current(source: Database) -> None:
    """Refuse a source that is not at this version's schema (a newer one as ``require_current``
    refuses it, naming the version to use)."""
    current = current_revision(source)
    if current == head_revision():
        return
    if current is not None and current not in revisions():
        require_current(source)  # refuses a newer jobferry's revision, naming the version
    if current is None:
        raise StorageError(
            f"The database to copy from ({shown_url(source.url)}) holds no jobferry schema: "
            "it is empty, so it is not the database a server used; nothing was written.",
            fix="Run jobferry db copy with the server's own settings: its JOBFERRY_DATABASE_URL, "
            "or its JOBFERRY_DATA_DIR for the SQLite file there.",
        )
    raise StorageError(
        f"The database to copy from ({shown_url(source.url)}) is at schema revision "
        f"{current} but this jobferry ({jobferry.__version__}) "
        f"copies a database at {head_revision()}; nothing was written.",
        fix="Run jobferry db upgrade on it first (with the same settings), then copy again.",
        revision=current,
    )


def _refuse_rows(target: Database) -> None:
    """Refuse a target holding a row in any jobferry table (whatever its revision)."""
    with target.connect() as conn:
        _refuse_rows_in(conn, target)


def _refuse_rows_in(conn: sa.Connection, target: Database) -> None:
    present = set(sa.inspect(conn).get_table_names())
    for table in copied_tables():
        if table.name not in present:
            continue
        if conn.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first():
            _refuse_filled(target, table.name)


def _refuse_filled(target: Database, table: str) -> None:
    raise DatabaseNotEmptyError(
        f"The database to copy to ({shown_url(target.url)}) already holds jobferry data (table "
        f"{table} has rows): a copy goes into an empty database only, so that nothing of it "
        "mixes with rows already there; nothing was written.",
        fix="Name an empty database with --to (a new PostgreSQL database or schema, a new "
        "SQLite file), or drop this one and create it again empty.",
        table=table,
        target=shown_url(target.url),
    )


@contextmanager
def _snapshot(source: Database) -> Iterator[sa.Connection]:
    """One read-only transaction of the source: every table read at the same moment."""
    with source.connect() as raw:
        conn = raw.execution_options(jobferry_readonly=True)
        if source.dialect == "postgresql":
            conn = conn.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
        with conn.begin():
            yield conn


@contextmanager
def _writing(target: Database) -> Iterator[sa.Connection]:
    """The one transaction of the target every row is written in."""
    with target.connect() as conn, conn.begin():
        yield conn


def _copy_table(read: sa.Connection, write: sa.Connection, table: sa.Table) -> int:
    """Stream ``table``'s rows from ``read`` into ``write``, a batch at a time; the rows
    written."""
    query = sa.select(table).order_by(*table.primary_key.columns)
    written = 0
    result = read.execution_options(yield_per=BATCH_ROWS).execute(query)
    for batch in result.partitions():  # yield_per's batches
        try:
            write.execute(table.insert(), [dict(row._mapping) for row in batch])
        except (sa.exc.IntegrityError, sa.exc.DataError, sa.exc.ProgrammingError) as exc:
            raise _refused_row(table.name, exc) from exc
        written += len(batch)
    return written


def _refused_row(table: str, exc: sa.exc.DBAPIError) -> StorageError:
    said = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else type(exc).__name__
    return StorageError(
        f"The database to copy to refused a row of table {table} ({said}); the copy was "
        "rolled back whole: the target holds the schema and no row.",
        fix="Make the target a plain database of this jobferry's schema (no constraint or "
        "trigger added by hand), then copy again.",
        table=table,
    )


def _continue_sequences(write: sa.Connection) -> None:
    """On PostgreSQL, each sequence of an id column continues after the largest id copied
    (rows were written with their ids, which does not move a sequence)."""
    if write.dialect.name != "postgresql":
        return  # SQLite gives the next row the largest id + 1
    owned = write.exec_driver_sql(
        "SELECT table_name, column_name, seq FROM (SELECT table_name, column_name, "
        "pg_get_serial_sequence(quote_ident(table_name), column_name) AS seq "
        "FROM information_schema.columns WHERE table_schema = current_schema()) AS owned "
        "WHERE seq IS NOT NULL"
    ).all()
    quote = write.dialect.identifier_preparer.quote
    for table, column, sequence in owned:
        write.exec_driver_sql(
            f"SELECT setval(%(seq)s, COALESCE(MAX({quote(column)}), 0) + 1, false) "
            f"FROM {quote(table)}",
            {"seq": sequence},
        )


def _check_counts(read: sa.Connection, write: sa.Connection, copied: dict[str, int]) -> None:
    """Refuse (and so roll back) a copy whose target does not count the source's rows."""
    for table in copied_tables():
        counted = sa.select(sa.func.count()).select_from(table)
        have, made = read.execute(counted).scalar_one(), write.execute(counted).scalar_one()
        if have == made == copied[table.name]:
            continue
        raise StorageError(
            f"The copy of table {table.name} counts {made} rows where the source counts "
            f"{have}; the copy was rolled back whole: the target holds the schema and no row.",
            fix="Stop every server using either database and copy again.",
            table=table.name,
        )
