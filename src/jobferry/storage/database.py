"""Engine, transactions and schema management: the only door to the database."""

from __future__ import annotations

import threading
import time
from collections.abc import Hashable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    DisconnectionError,
    IntegrityError,
    OperationalError,
    ProgrammingError,
)
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

from jobferry.errors import ConflictError, DatabaseBusyError, InvalidRequestError, StorageError
from jobferry.extras import POSTGRES, needs_extra
from jobferry.storage.changes import ChangeToken
from jobferry.storage.checkpoint import WalCheckpointer, wal_pragmas
from jobferry.storage.commits import committed
from jobferry.storage.jobreads import JobReads
from jobferry.storage.pagehints import PageHints
from jobferry.storage.refusals import (
    Pool,
    connection_limit,
    connections_full,
    contention,
    schema_gone,
)
from jobferry.storage.sqlitebegin import busy, sqlite_begin, sqlite_no_isolation
from jobferry.storage.tx import CODE_POINT_ORDER, Tx

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
STATISTICS_AFTER = 5000
"""Objects a bulk write (an import, a remote's refresh) writes or deletes past which the
database refreshes its statistics of the tables it grew (PostgreSQL; autovacuum would get
there, but maybe not before the next plan)."""


@contextmanager
def _page_cache(conn: Connection, kib: int | None) -> Iterator[None]:
    """A SQLite connection's page cache at ``kib`` KiB for the block, then SQLite's default
    again (which frees the pages above it). Set on the driver's connection, outside any
    transaction, so SQLAlchemy does not begin one for it."""
    if kib is None or conn.dialect.name != "sqlite":
        yield
        return
    driver = conn.connection.driver_connection
    assert driver is not None
    driver.execute(f"PRAGMA cache_size = -{kib}")
    try:
        yield
    finally:
        driver.execute(f"PRAGMA cache_size = -{DEFAULT_CACHE_KIB}")


POSTGRES_SCHEMES = ("postgresql", "postgres")
"""How a PostgreSQL URL may begin: ``postgresql://`` as SQLAlchemy and libpq write it, and
``postgres://``, which libpq, Heroku, Django's and many tools' URLs use; any driver named after
a ``+`` is replaced by psycopg 3, the one jobferry ships."""


SETTING = "JOBFERRY_DATABASE_URL"


def normalise_url(url: str, setting: str = SETTING) -> str:
    """Pick our drivers: psycopg 3 for PostgreSQL (``postgres://`` and ``postgresql://``, with
    or without a driver); refuse what we do not support, clearly, naming the ``setting`` (or
    option) that gave the URL."""
    unset = ", or unset it for the SQLite file in JOBFERRY_DATA_DIR" if setting == SETTING else ""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise InvalidRequestError(
            f"{setting} is not a database URL that can be read (the URL is not "
            "repeated here: it may hold a password).",
            fix=f"Give sqlite:///FILE or postgresql://user@host:5432/db{unset}.",
        ) from None
    backend = parsed.get_backend_name()
    if backend in POSTGRES_SCHEMES:
        try:
            import psycopg  # noqa: F401
        except ImportError as exc:
            raise InvalidRequestError(
                needs_extra(f"A PostgreSQL database ({setting})", POSTGRES)
            ) from exc
        return str(parsed.set(drivername="postgresql+psycopg").render_as_string(False))
    if backend == "sqlite":
        return url
    raise InvalidRequestError(
        f"{setting} names a '{parsed.drivername}' database, which jobferry does not "
        "support (the rest of the URL is not repeated here: it may hold a password).",
        fix="Use PostgreSQL (postgresql://user@host:5432/db; postgres:// and "
        f"postgresql+psycopg:// are read alike) or SQLite (sqlite:///FILE){unset}.",
    )


# Job documents are 1–10 KB: with SQLite's default 4 KB pages most take a page of their own
# and half of it is wasted; 16 KB pages pack them, and a 10,000-job import writes (and
# checkpoints) a third less. It only takes effect when the database file is created.
SQLITE_PAGE_SIZE = 16384


BUSY_TIMEOUT_MS = 10_000
"""How long a request's transaction waits for a lock another transaction holds (an import's, a
migration's) before it is refused as :class:`~jobferry.errors.DatabaseBusyError`: SQLite's one
write lock, a PostgreSQL row or table lock (``lock_timeout``, :func:`_postgres_begin`); both
read as each connection opens."""


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute(f"PRAGMA page_size={SQLITE_PAGE_SIZE}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()


def _postgres_session(dbapi_conn: Any, record: Any) -> None:
    """A new connection's settings: its ``lock_timeout`` (every statement on it waits for a lock
    at most :data:`BUSY_TIMEOUT_MS`, :func:`_postgres_begin`) and lz4 TOAST compression; and
    whether the database orders text by code point."""
    with dbapi_conn.cursor() as cursor:
        cursor.execute(f"SET lock_timeout = {BUSY_TIMEOUT_MS}")
        # Definitions of 1–10 KB pass the 2 KB TOAST threshold: each is compressed. lz4 (14+,
        # when built with it) is several times faster than pglz for ~10 % more bytes (COPYing
        # 10,000 job versions: 0.39–0.47 s with pglz, 0.27–0.31 s with lz4).
        cursor.execute(
            "SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' "
            "AND 'lz4' = ANY(enumvals)"
        )
        if cursor.fetchone():
            cursor.execute("SET default_toast_compression = 'lz4'")
        # Text compares in the database's collation: a C one orders by code point, as SQLite
        # and Python do; a language's (zh_CN: pinyin; en_US: case folded) does not (Tx.by_name).
        cursor.execute("SELECT 'B' < 'a' AND 'Z' < '_' AND 'z' < '报'")
        record.info[CODE_POINT_ORDER] = bool(cursor.fetchone()[0])
    dbapi_conn.commit()


def _postgres_begin(conn: Connection) -> None:
    """A request's transaction on PostgreSQL, a read as a write, waits for a lock at most
    :data:`BUSY_TIMEOUT_MS` (the connection's own limit, :func:`_postgres_session`: no round trip
    per transaction, and the hot job read in autocommit, ``jobreads``, is limited too), as a
    SQLite write waits for the write lock, and is then refused as busy (``refusals``): without it
    a write behind an import's rows waits until the import commits, and a read behind a table's
    exclusive lock (a migration's, ``VACUUM FULL``'s) as long as that is held. A task thread's
    transaction (``Database.patient``) lifts it and waits as long as it takes, as on SQLite;
    ``SET LOCAL`` ends with the transaction, so the pool's next user is limited again."""
    if not conn.get_execution_options().get("jobferry_patient", False):
        return
    driver = conn.connection.driver_connection
    assert driver is not None
    statement = "SET LOCAL lock_timeout = 0"
    dbapi = conn.dialect.loaded_dbapi
    try:
        driver.execute(statement)  # psycopg begins the transaction first
    except dbapi.Error as exc:  # wrapped as SQLAlchemy wraps its own statements' (refusal)
        raise DBAPIError.instance(statement, None, exc, dbapi.Error, dialect=conn.dialect) from exc


def _contention(error: BaseException | None) -> DatabaseBusyError | None:
    return contention(error, max(1, BUSY_TIMEOUT_MS // 1000))


BULK_CACHE_KIB = 64 * 1024
"""SQLite page cache of a bulk transaction (an import, a rollback), in KiB; every other
transaction keeps SQLite's 2 MiB. One import writes a row or more per object into tables whose
indexes are keyed by name or by reference (``job_refs``, ``promotion_ledger``…), so its inserts
land all over indexes of tens of megabytes. With 125 pages of 16 KiB each, almost every insert
found its page evicted: a 100,000-job import wrote 1.3 million WAL frames and read 1.35 million
back (a page spilled, re-read, written again), 40 times the 10,000-job figures. With 64 MiB it
writes each dirty page about once (230,000 WAL writes); 128 and 256 MiB did no better. The cache
is a fixed budget, not a share of the package: a 10,000-job import fills it as well, so memory
does not grow with the package. It is given back when the transaction ends."""
DEFAULT_CACHE_KIB = 2000
"""SQLite's own default page cache (``PRAGMA cache_size = -2000``), restored after a bulk
transaction."""


PING_AFTER_IDLE_SECONDS = 5.0
"""A pooled PostgreSQL connection idle longer than this is pinged before it is handed out (the
server may have closed it); one used more recently is not: a ping is a round trip, as dear as
the look-up it would precede. A connection that died within the window fails one request, and
the pool replaces it."""


def _mark_used(_dbapi_conn: Any, record: ConnectionPoolEntry) -> None:
    record.info["used_at"] = time.monotonic()


def _ping_if_idle(
    dbapi_conn: Any, record: ConnectionPoolEntry, _proxy: PoolProxiedConnection
) -> None:
    used_at = record.info.get("used_at", 0.0)
    if time.monotonic() - used_at < PING_AFTER_IDLE_SECONDS:
        return
    try:
        with dbapi_conn.cursor() as cursor:
            # autocommit for the ping, so it opens no transaction
            dbapi_conn.autocommit = True
            cursor.execute("SELECT 1")
            dbapi_conn.autocommit = False
    except Exception as exc:
        raise DisconnectionError("a pooled connection no longer answers") from exc
    record.info["used_at"] = time.monotonic()


POOL = Pool()
"""Connections kept open: as many as requests commonly run at once (the server's thread pool
runs up to 40). The default five made busy servers open and close a connection (and run its
session set-up) on most requests. The settings ``database_pool_size`` and
``database_pool_overflow`` choose others."""


def _folder_of(file: Path) -> None:
    """Make the SQLite file's folder, refused naming the settings that put it there."""
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(
            f"The folder of the SQLite database, {file.parent}, cannot be made or used "
            f"({exc.strerror or exc}); set JOBFERRY_DATA_DIR (or the file JOBFERRY_DATABASE_URL "
            "names) to a folder this user may write."
        ) from exc


class Database:
    """The engine plus transaction scopes. Built once at the entry point."""

    def __init__(self, url: str, pool: Pool = POOL) -> None:
        self.url = normalise_url(url)
        self.pool = pool
        pooled = {"pool_size": pool.size, "max_overflow": pool.overflow}
        parsed = make_url(self.url)
        self.dialect = parsed.get_backend_name()
        kwargs: dict[str, Any] = {}
        self.checkpointer: WalCheckpointer | None = None
        if self.dialect == "sqlite":
            database = parsed.database
            if database and database != ":memory:":
                _folder_of(Path(database))
                if not parsed.query.get("uri"):
                    self.checkpointer = WalCheckpointer(Path(database))
            kwargs["connect_args"] = {"check_same_thread": False}
            if database and database != ":memory:":
                kwargs.update(pooled)  # an in-memory database keeps one connection per thread
        elif self.dialect == "postgresql":
            kwargs.update(pooled)
        self.engine: Engine = create_engine(self.url, **kwargs)
        self._writing = threading.local()
        if self.dialect == "postgresql":
            event.listen(self.engine, "connect", _postgres_session)
            event.listen(self.engine, "connect", _mark_used)
            event.listen(self.engine, "checkin", _mark_used)
            event.listen(self.engine, "checkout", _ping_if_idle)
            event.listen(self.engine, "begin", _postgres_begin)
        self.job_reads = JobReads(self.engine, parsed, _contention)
        self.changes = ChangeToken(parsed)
        self.page_hints = PageHints(self.dialect, self.changes.sqlite)
        if self.dialect == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
            if self.checkpointer is not None:
                event.listen(self.engine, "connect", wal_pragmas)
            # Let SQLite take the write lock at BEGIN so concurrent writers queue on
            # busy_timeout instead of failing on lock upgrade.
            event.listen(self.engine, "begin", sqlite_begin)
            event.listen(self.engine, "connect", sqlite_no_isolation)

    @contextmanager
    def transaction(
        self,
        *,
        readonly: bool = False,
        bulk: bool = False,
        snapshot: bool = False,
        waiting: bool = True,
        seeking: bool = False,
    ) -> Iterator[Tx]:
        """A transaction: committed when the block ends, rolled back on any exception.

        ``readonly`` transactions do not take SQLite's write lock up front, so reads never queue
        behind an import; ``waiting=False`` ones are refused busy at once when another holds it
        (bookkeeping a read may skip). ``bulk`` ones (tens of thousands of rows written) get a
        page cache of ``BULK_CACHE_KIB`` on SQLite for their duration. ``snapshot`` ones read
        one moment in every statement (an export's batches, never half before an import and
        half after): PostgreSQL's ``REPEATABLE READ``; a SQLite transaction reads one moment
        already. ``readonly`` and ``seeking`` ones note the change token first, so that a page
        of a long list may continue where a recent one ended (``Tx.page``,
        ``storage.pagehints``; never in a transaction that writes: the token does not count its
        own writes).
        """
        hints, opened = self._seeking(readonly, seeking)
        depth = getattr(self._writing, "depth", 0)
        self._writing.depth = depth if readonly else depth + 1
        try:
            with self.engine.connect() as raw:
                # never when this thread holds the lock already: it would wait for itself
                patient = depth == 0 and getattr(self._writing, "patient", False)
                conn = raw.execution_options(
                    jobferry_readonly=readonly,
                    jobferry_patient=patient,
                    jobferry_nowait=not waiting,
                )
                if snapshot and self.dialect == "postgresql":
                    conn = conn.execution_options(isolation_level="REPEATABLE READ")
                with _page_cache(conn, BULK_CACHE_KIB if bulk else None), conn.begin():
                    yield Tx(conn, hints, opened)
        except IntegrityError as exc:
            raise ConflictError(
                "The change clashes with data stored meanwhile (a concurrent request wrote the "
                "same object); retry the request."
            ) from exc
        except OperationalError as exc:
            raise self.refusal(exc) from exc
        except ProgrammingError as exc:  # PostgreSQL's undefined table or column
            if (gone := schema_gone(exc.orig)) is None:
                raise
            raise gone from exc
        finally:
            self._writing.depth = depth
        if not readonly:
            committed()  # counted in the request's scope (storage/commits.py)
            if self.checkpointer is not None:
                self.checkpointer.wake()

    def _seeking(self, readonly: bool, seeking: bool) -> tuple[PageHints | None, Hashable | None]:
        """The hints a transaction pages with, and the change token read before it begins:
        ``None`` and ``None`` but for a read-only one opened for seeking."""
        if not (readonly and seeking):
            return None, None
        return self.page_hints, self.page_hints.opening()

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A connection outside a transaction scope (the schema's reads and upgrade), refused
        as :meth:`transaction` refuses one when the database cannot be opened."""
        try:
            with self.engine.connect() as conn:
                yield conn
        except OperationalError as exc:
            raise self.refusal(exc, opening=True) from exc

    def refusal(self, exc: OperationalError, *, opening: bool = False) -> StorageError:
        """The refusal of a database error: a write lock not granted in time (:meth:`busy`;
        on PostgreSQL a lock timeout, a deadlock or a serialization failure, ``refusals``),
        PostgreSQL at its connection limit (a request's to retry; ``opening``: a command's,
        at its start), a table or column it lacks (``schema_gone``), else the database cannot
        be reached (:meth:`unavailable`)."""
        if busy(exc.orig):
            return self.busy()
        if (limit := connection_limit(exc.orig)) is not None:
            return connections_full(limit, self.pool, opening=opening)
        return _contention(exc.orig) or schema_gone(exc.orig) or self.unavailable(exc)

    def busy(self) -> DatabaseBusyError:
        """The refusal of a write that waited :data:`BUSY_TIMEOUT_MS` for SQLite's one write
        lock while another transaction held it: nothing of it was written."""
        seconds = max(1, BUSY_TIMEOUT_MS // 1000)
        return DatabaseBusyError(
            "The database is busy with another write: SQLite lets one write run at a time, and "
            f"another (an import or a rollback, most often) held the write lock for all the "
            f"{seconds} s this write waited; this write was not made.",
            fix=f"Try again in {seconds} s or once that import ends. On PostgreSQL other "
            "writes run beside an import (JOBFERRY_DATABASE_URL; docs/operations.md, "
            '"Sizing").',
            retry_after=seconds,
        )

    def unavailable(self, exc: OperationalError) -> StorageError:
        """The refusal of a database that cannot be reached or opened, naming what to check."""
        check = (
            "check that the folder of the SQLite file (JOBFERRY_DATA_DIR, or the file "
            "JOBFERRY_DATABASE_URL names) exists and this user may write there"
            if self.dialect == "sqlite"
            else "check JOBFERRY_DATABASE_URL (host, port, database, user) and that the "
            "database server is running"
        )
        return StorageError(f"The database is not available: {check}.", reason=str(exc.orig))

    @contextmanager
    def patient(self) -> Iterator[None]:
        """On this thread, for the block: a write transaction that finds SQLite's write lock
        taken waits for it as long as it takes, busy timeout after busy timeout, instead of
        being refused as busy. For a task thread: nobody waits on its answer, and a task queued
        behind an import (into another workspace) should run after it, not fail."""
        before = getattr(self._writing, "patient", False)
        self._writing.patient = True
        try:
            yield
        finally:
            self._writing.patient = before

    @property
    def writing_here(self) -> bool:
        """Whether this thread holds a write transaction of this database open."""
        return bool(getattr(self._writing, "depth", 0))

    @property
    def writes_side_by_side(self) -> bool:
        """Whether a second transaction may write while another is open (PostgreSQL; SQLite
        has one write lock, which the open one holds)."""
        return self.dialect == "postgresql"

    @property
    def reads_beside_writes(self) -> bool:
        """Whether a read-only transaction on another connection reads the database as last
        committed while a write transaction is open: SQLite in WAL mode, on a file (an in-memory
        database keeps one connection per thread)."""
        return self.checkpointer is not None

    def refresh_statistics(self, tables: Sequence[str]) -> None:
        """Have PostgreSQL's planner look at these tables again (``ANALYZE``), after a write
        that grew them by tens of thousands of rows at once.

        Until autovacuum gets to them, their statistics describe them as they were; a table
        never analyzed is taken for nearly empty. With such figures PostgreSQL looked a batch
        of ledger rows up by scanning every row of the workspace (the uid list as a filter
        instead of an index condition): a lookup per batch over all rows, quadratic in the
        import. SQLite plans from its indexes without statistics: nothing to do there."""
        if self.dialect != "postgresql" or not tables:
            return
        with self.engine.connect() as raw:  # a task's: it waits for a lock as long as it takes
            conn = raw.execution_options(jobferry_patient=True)
            with conn.begin():
                conn.exec_driver_sql("ANALYZE " + ", ".join(tables))

    def grown(self, written: int, tables: Sequence[str]) -> None:
        """After a bulk write of ``written`` objects into ``tables``: their statistics
        refreshed once it wrote :data:`STATISTICS_AFTER` or more (see
        :meth:`refresh_statistics`)."""
        if written >= STATISTICS_AFTER:
            self.refresh_statistics(tables)

    def dispose(self) -> None:
        """Finish a pending WAL checkpoint, then close every pooled connection."""
        if self.checkpointer is not None:
            self.checkpointer.drain()
        self.changes.close()
        self.engine.dispose()
