"""Test databases: PostgreSQL availability, and migrated schemas copied from one template.

Running every Alembic migration costs about 0.2 s a test. Instead the first test of a session
migrates a template once per backend, and each test gets a copy:

- SQLite: the template's file, checkpointed, copied byte for byte.
- PostgreSQL: a schema cannot be copied, so the template records the SQL the migrations sent
  (every statement with its parameters, in order) and a fresh schema replays it, param-less
  statements batched into one round trip. The replay is the migration itself, minus Alembic's
  Python; ``tests/unit/storage/test_migrations.py`` still runs the real thing. Creating,
  replaying and dropping a schema still costs about 0.18 s, so each test process (xdist
  worker) replays once into a schema of its own and every test starts by emptying it (no
  migration seeds rows; ``alembic_version`` and ``schema_release`` are kept): one round trip
  of ``DELETE FROM`` every table, children first, and a ``setval`` of every sequence to its
  start, committed without waiting for the WAL's flush. That is what ``TRUNCATE … RESTART
  IDENTITY`` does, at a small part of its cost on tables this small (TRUNCATE gives every
  table and index a new file, ~0.3 s for the 37 tables). The tests' ``Database`` over that
  schema is kept open too (``worker_database``).

The service and API tests (``database_url`` in tests/conftest.py) go one step further on SQLite:
each test process copies the template once into a file of its own and every test starts by
emptying it (``DELETE FROM`` every table, as on PostgreSQL), over a ``Database`` kept open from
test to test. A file and an engine per test cost ~30 ms of CPU a test: the copy, the engine and
its pool, the WAL checkpoint at dispose, and above all SQLAlchemy compiling every statement of
the test again (its compiled-statement cache belongs to the engine). Tests that need a file of
their own (a second database, a full disk) name one in their ``tmp_path``; it gets a copy of
the template, as before.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sqlite3
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from jobferry.storage import Database
from jobferry.storage.schema import upgrade
from jobferry.storage.tables import metadata

PG_URL = os.environ.get("JOBFERRY_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")

_pg_state: dict[str, bool] = {}
_templates: dict[str, Any] = {}
_migrated: set[str] = set()  # URLs already at the newest schema (the worker's reused ones)
_worker: dict[str, Any] = {}  # this process's PostgreSQL schema
_sqlite_worker: dict[str, Any] = {}  # this process's SQLite file
_kept: dict[str, Database] = {}  # URL -> the Database kept open over the worker's database


def postgres_available() -> bool:
    """Whether the test PostgreSQL answers (CI must have it; locally it may be absent)."""
    if "ok" not in _pg_state:
        try:
            engine = sa.create_engine(_driver_url(PG_URL))
            with engine.connect() as conn:
                conn.exec_driver_sql("select 1")
            engine.dispose()
            _pg_state["ok"] = True
        except Exception:
            _pg_state["ok"] = False
    return _pg_state["ok"]


def require_postgres() -> None:
    """Skip locally when PostgreSQL is absent; fail in CI, where it must be there."""
    if not postgres_available():
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is not reachable at {PG_URL} but CI requires it")
        pytest.skip(f"PostgreSQL is not reachable at {PG_URL}")


def _driver_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def fresh_schema_url() -> Iterator[str]:
    """A PostgreSQL URL whose connections use a new, empty schema, dropped afterwards."""
    require_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(_driver_url(PG_URL))
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        yield schema_url(schema)
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


def language_schema_url(locale: str = "zh-Hans-CN") -> Iterator[str]:
    """A PostgreSQL URL whose connections use a new, empty schema (dropped afterwards) of a
    database that orders text as ``locale`` does (ICU), as a database created under
    ``LANG=zh_CN.UTF-8`` orders it by pinyin: the test server's own database orders text by
    code point (``C.UTF-8``), as SQLite and Python do. The database is made once and kept."""
    require_postgres()
    server = sa.engine.make_url(PG_URL)
    name = f"{server.database}_{locale.lower().replace('-', '_')}"
    admin = sa.create_engine(
        _driver_url(PG_URL), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool
    )
    with admin.connect() as conn:
        found = "SELECT 1 FROM pg_database WHERE datname = %s"
        if conn.exec_driver_sql(found, (name,)).first() is None:
            try:
                conn.exec_driver_sql(
                    f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8' "
                    f"LOCALE_PROVIDER icu ICU_LOCALE '{locale}' LOCALE 'C.UTF-8'"
                )
            except sa.exc.DBAPIError:  # another test process made it meanwhile
                assert conn.exec_driver_sql(found, (name,)).first() is not None
    admin.dispose()
    database = server.set(database=name).render_as_string(hide_password=False)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    owner = sa.create_engine(_driver_url(database), poolclass=sa.pool.NullPool)
    with owner.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        yield schema_url(schema, database)
    finally:
        with owner.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        owner.dispose()


def schema_url(schema: str, server_url: str = PG_URL) -> str:
    """The test server's URL with ``schema`` first on the search path.

    Its sessions commit without waiting for the WAL to reach the disk (``synchronous_commit``
    off: what a commit makes visible, and when, is the same; only a crash of PostgreSQL itself
    could lose the last commits, which no test does). A commit waited ~1.8 ms for the flush
    here, and a test commits tens of times: the sign-in's replay record, the audit, the task
    runner's heartbeat."""
    sep = "&" if "?" in server_url else "?"
    return f"{server_url}{sep}options={quote(f'-csearch_path={schema} -csynchronous_commit=off')}"


def migrated_schema_url() -> str:
    """A PostgreSQL URL at the newest schema with no rows: this process's schema, emptied."""
    require_postgres()
    admin = _worker.get("admin")
    if admin is None:
        schema = f"w_{uuid.uuid4().hex[:12]}"
        admin = sa.create_engine(_driver_url(PG_URL), pool_size=1)
        with admin.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        atexit.register(_drop_worker_schema)
        url = schema_url(schema)
        _worker.update(admin=admin, schema=schema, url=url)
        _replay(url, _postgres_template())
        _worker["empty"] = _emptying_script(admin, schema)
        _migrated.add(url)
    else:
        with admin.begin() as conn:
            conn.exec_driver_sql(
                "SET LOCAL lock_timeout = '20s'; SET LOCAL synchronous_commit = off"
            )
            conn.exec_driver_sql(_worker["empty"])
    url_: str = _worker["url"]
    return url_


def _emptying_script(admin: sa.Engine, schema: str) -> str:
    """DELETE every table of ``schema`` (children before parents, in the order of the
    tables' foreign keys) and restart every sequence: ``setval`` to its start, next value
    not yet taken. ``ALTER SEQUENCE … RESTART`` does the same as a change of the schema (a
    new file for each sequence): the five of them cost more than the 45 deletes."""
    with admin.begin() as conn:
        found = set(
            conn.exec_driver_sql(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
                "AND table_type = 'BASE TABLE' "
                "AND table_name NOT IN ('alembic_version', 'schema_release')",
                (schema,),
            ).scalars()
        )
        sequences = conn.exec_driver_sql(
            "SELECT sequence_name, start_value FROM information_schema.sequences "
            "WHERE sequence_schema = %s",
            (schema,),
        ).all()
        starts = [
            f'setval(\'"{schema}"."{name}"\', {int(start)}, false)' for name, start in sequences
        ]
        restarts = [f"SELECT {', '.join(starts)}"] if starts else []
    ordered = [table.name for table in reversed(metadata.sorted_tables)]
    # A table the migrations create but tables.py does not know would keep its rows.
    assert set(ordered) == found, f"tables.py and the migrations differ: {set(ordered) ^ found}"
    deletes = [f'DELETE FROM "{schema}"."{name}"' for name in ordered]
    return ";\n".join(deletes + restarts)


def migrated_sqlite_url() -> str:
    """A SQLite URL at the newest schema with no rows: this process's file, emptied."""
    url: str | None = _sqlite_worker.get("url")
    if url is None:
        folder = Path(tempfile.mkdtemp(prefix="jobferry-worker-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        path = folder / "jobferry.db"
        shutil.copyfile(_sqlite_template(), path)
        url = f"sqlite:///{path}"
        tables = [f'DELETE FROM "{table.name}"' for table in reversed(metadata.sorted_tables)]
        emptier = _emptier(path)
        empty = ";\n".join(["BEGIN IMMEDIATE", *tables])
        _sqlite_worker.update(url=url, path=path, empty=empty, emptier=emptier)
        _migrated.add(url)
        atexit.register(_close_kept, url)  # registered after the rmtree: runs before it
        atexit.register(emptier.close)
        return url
    _sqlite_worker["emptier"].executescript(_sqlite_worker["empty"] + ";\nCOMMIT")
    return url


def _emptier(path: Path) -> sqlite3.Connection:
    """The connection that empties this process's SQLite file before each test, kept open
    (a new one read the schema again, ~10 ms). Foreign keys are off on it, and the script's
    BEGIN IMMEDIATE waits (up to the timeout) for a write the test before left running, as a
    server would. It commits without waiting for the disk (``synchronous`` off: the file is
    thrown away at the end of the run), ~20 ms a test on a busy disk."""
    conn = sqlite3.connect(path, timeout=20, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA synchronous = OFF")
    return conn


def worker_database(url: str) -> Database | None:
    """The open ``Database`` over this process's PostgreSQL schema or SQLite file when ``url``
    is theirs (``migrated_schema_url``, ``migrated_sqlite_url``), else None. It is opened once
    and kept from test to test, as a server keeps its own: an engine per test opened new
    connections (a PostgreSQL backend and its session set-up each) and compiled every
    statement again, about 35 ms of CPU a test here and 20 ms in PostgreSQL. A test sees
    nothing of the one before: the database is emptied before each test, and the answer cache
    and its task runner belong to each test's services."""
    if url not in (_worker.get("url"), _sqlite_worker.get("url")):
        return None
    db = _kept.get(url)
    if db is None:
        db = _kept[url] = Database(url)
    return db


def _close_kept(url: str) -> None:
    database = _kept.pop(url, None)
    if database is not None:
        database.dispose()


def _drop_worker_schema() -> None:
    _close_kept(_worker.get("url", ""))
    admin = _worker.pop("admin", None)
    if admin is not None:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{_worker["schema"]}" CASCADE')
        admin.dispose()


def migrate(url: str) -> None:
    """Give the database at ``url`` the newest schema: an empty one gets a copy of the
    template; one that already has tables (a server started again on it) is upgraded."""
    if url in _migrated:
        return
    if _has_tables(url):
        db = Database(url)
        upgrade(db)
        db.dispose()
    elif url.startswith("sqlite:///"):
        shutil.copyfile(_sqlite_template(), url.removeprefix("sqlite:///"))
    else:
        _replay(url, _postgres_template())
    _migrated.add(url)


def _has_tables(url: str) -> bool:
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        return path.exists() and path.stat().st_size > 0
    engine = sa.create_engine(_driver_url(url), poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        found = conn.exec_driver_sql(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()"
        ).scalar()
    engine.dispose()
    return bool(found)


def _sqlite_template() -> Path:
    if "sqlite" not in _templates:
        folder = tempfile.mkdtemp(prefix="jobferry-template-")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        path = Path(folder) / "template.db"
        db = Database(f"sqlite:///{path}")
        upgrade(db)
        db.dispose()
        with closing(sqlite3.connect(path)) as conn:  # everything in the main file, no WAL
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        _templates["sqlite"] = path
    template: Path = _templates["sqlite"]
    return template


Statement = tuple[str, Any, bool]


def _postgres_template() -> list[Statement]:
    if "postgresql" not in _templates:
        recorded: list[Statement] = []

        def record(
            conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
        ) -> None:
            recorded.append((statement, parameters, many))

        gen = fresh_schema_url()
        url = next(gen)
        db = Database(url)
        sa.event.listen(db.engine, "before_cursor_execute", record)
        upgrade(db)
        sa.event.remove(db.engine, "before_cursor_execute", record)
        db.dispose()
        gen.close()
        _templates["postgresql"] = _batched(recorded)
    statements: list[Statement] = _templates["postgresql"]
    return statements


def _batched(recorded: list[Statement]) -> list[Statement]:
    """Consecutive statements without parameters joined into one script."""
    out: list[Statement] = []
    script: list[str] = []
    for statement, parameters, many in recorded:
        if not parameters and not many:
            script.append(statement.strip().rstrip(";"))
            continue
        if script:
            out.append((";\n".join(script), None, False))
            script = []
        out.append((statement, parameters, many))
    if script:
        out.append((";\n".join(script), None, False))
    return out


def _replay(url: str, statements: list[Statement]) -> None:
    engine = sa.create_engine(_driver_url(url), poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        with raw.cursor() as cursor:
            for statement, parameters, many in statements:
                if many:
                    cursor.executemany(statement, parameters)
                else:
                    cursor.execute(statement, parameters or None)
    engine.dispose()


def orphan_reference_rows(db: Database) -> int:
    """Rows of the reference index whose job is gone (job_refs has no foreign key: 0005)."""
    with db.engine.connect() as conn:
        count = conn.exec_driver_sql(
            "SELECT count(*) FROM job_refs WHERE job_id NOT IN (SELECT id FROM jobs)"
        ).scalar()
    return int(count or 0)
