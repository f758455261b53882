"""A database made at any earlier schema upgrades to the newest with every row kept, on SQLite
and PostgreSQL.

The earlier schemas are the migration scripts themselves (``schema.revisions()``), so a new
migration is covered as soon as it exists; each test process builds them once
(``support/revisions.py``). A database starts at the first revision and is upgraded one
revision at a time (``upgrade(db, to=...)``, the upgrade's own transaction and foreign-key
handling); at every revision, each table gets rows of its own made from its reflected columns
(every column filled, foreign keys pointing at that revision's parents' rows). At the newest
schema every table that ever existed still does and holds every row made at every revision,
in every column it still has: rows made at revision N have passed through every migration
after N, which is what a database made at N meets when it upgrades. Each migration runs once
(upgrading a fresh database from each revision ran the later ones again for every start: 378
migrations a database instead of 27). The jump in one transaction from the first revision
straight to the newest is tested on its own. A database newer than the code is refused, naming
the release to use. The migration files make one line (each names the file before it), and the
schema they build is the one the code declares; either failure says which migration to write.
"""

from __future__ import annotations

import ast
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import jobferry
from jobferry.errors import StorageError
from jobferry.storage import Database
from jobferry.storage.schema import (
    current_revision,
    head_revision,
    migrated,
    require_current,
    revisions,
    schema_release,
    upgrade,
)
from jobferry.storage.tables import metadata
from support.revisions import database_at

ROWS = 2
"""Rows made in every table: two, so a migration that keeps only one (or merges them) fails."""


Rows = dict[str, list[dict[str, object]]]


def _columns(conn: sa.Connection) -> dict[str, list[Any]]:
    """The database's tables and their columns as they are (read in one pass)."""
    found = sa.inspect(conn).get_multi_columns()
    return {name: list(cols) for (_, name), cols in found.items() if name != "alembic_version"}


def _parents_first(conn: sa.Connection, tables: list[str]) -> list[tuple[str, list[Any]]]:
    """``tables`` with their foreign keys, every table after the tables it refers to."""
    found = sa.inspect(conn).get_multi_foreign_keys()
    keys = {name: list(fks) for (_, name), fks in found.items()}
    ordered: list[tuple[str, list[Any]]] = []
    placed: set[str] = set()
    while len(placed) < len(tables):
        ready = [
            name
            for name in sorted(tables)
            if name not in placed
            and all(k["referred_table"] in placed | {name} for k in keys.get(name, []))
        ]
        assert ready, f"foreign keys in a circle among {sorted(set(tables) - placed)}"
        ordered += [(name, keys.get(name, [])) for name in ready]
        placed.update(ready)
    return ordered


def _plain_value(table: str, column: dict[str, Any], i: int) -> object:
    """Row ``i``'s value of a column no foreign key constrains: different in every row, so
    every unique key holds, and of the column's type and length. Unbounded text is a JSON
    object, as the documents, configs and results such columns hold are (a migration may read
    them)."""
    kind, name = column["type"], f"{table}.{column['name']}"
    if isinstance(kind, sa.Boolean):
        return i % 2 == 0
    if isinstance(kind, sa.Integer):
        return i + 1
    if isinstance(kind, sa.Float | sa.Numeric):
        return i + 0.5
    if isinstance(kind, sa.LargeBinary):
        return f"{i}:{name}".encode()
    assert isinstance(kind, sa.String), f"{name}: teach _plain_value a {kind!r} value"
    length = getattr(kind, "length", None)
    if length is None:
        return json.dumps({"row": i, "column": name})
    return f"{i}:{name}"[:length]


def _fill(db: Database, made: Rows, at: int) -> None:
    """Rows in every table of the database's schema as it is now (the ``at``-th revision),
    foreign keys pointing at the parents' rows made now; added to ``made`` by table."""
    now: Rows = {}
    with db.engine.begin() as conn:
        columns = _columns(conn)
        for name, keys in _parents_first(conn, list(columns)):
            rows = []
            for i in range(ROWS):
                row = {c["name"]: _plain_value(name, c, at * ROWS + i) for c in columns[name]}
                for key in keys:
                    parent = row if key["referred_table"] == name else now[key["referred_table"]][i]
                    for child, referred in zip(
                        key["constrained_columns"], key["referred_columns"], strict=True
                    ):
                        row[child] = parent[referred]
                rows.append(row)
            table = sa.table(name, *(sa.column(c["name"], c["type"]) for c in columns[name]))
            conn.execute(table.insert(), rows)
            now[name] = rows
    for name, rows in now.items():
        made.setdefault(name, []).extend(rows)


def _sorted(rows: Any) -> list[tuple[object, ...]]:
    """Rows in one order, booleans as SQLite returns them (1 and 0)."""
    plain = (tuple(int(v) if isinstance(v, bool) else v for v in row) for row in rows)
    return sorted(plain, key=repr)


def _missing(db: Database, made: Rows) -> dict[str, str]:
    """What the upgraded database lost of ``made``, by table: a table gone, rows gone, or
    rows whose values changed, in the columns the table still has (a column a migration drops
    is that migration's own decision, reviewed with it)."""
    lost: dict[str, str] = {}
    with db.engine.connect() as conn:
        columns = {name: {c["name"] for c in cols} for name, cols in _columns(conn).items()}
        for name, rows in made.items():
            if name not in columns:
                lost[name] = "the table was dropped"
                continue
            held = conn.execute(sa.select(sa.func.count()).select_from(sa.table(name))).scalar()
            if held != len(rows):
                lost[name] = f"{held} of {len(rows)} rows kept"
                continue
            groups: dict[tuple[str, ...], list[dict[str, object]]] = {}
            for row in rows:
                groups.setdefault(tuple(sorted(columns[name] & set(row))), []).append(row)
            for kept, group in groups.items():
                query = sa.select(*(sa.column(c) for c in kept)).select_from(sa.table(name))
                found = Counter(_sorted(conn.execute(query).all()))
                wanted = Counter(_sorted([row[c] for c in kept] for row in group))
                if wanted - found:
                    lost[name] = f"rows changed: {sorted(wanted - found, key=repr)[:2]}"
    return lost


def test_a_database_upgraded_a_revision_at_a_time_keeps_every_row_of_every_schema(
    empty_database_url: str,
) -> None:
    database_at(empty_database_url, revisions()[0])
    later = revisions()[1:]
    db = Database(empty_database_url)
    made: Rows = {}
    try:
        for at, revision in enumerate(later):
            _fill(db, made, at)

            done = upgrade(db, to=revision)

            assert (done.before, done.after) == (revisions()[at], revision)
            assert current_revision(db) == revision
        require_current(db)
        assert _missing(db, made) == {}
    finally:
        db.dispose()


def test_a_database_at_the_first_schema_upgrades_to_the_newest_in_one_step(
    empty_database_url: str,
) -> None:
    first = revisions()[0]
    database_at(empty_database_url, first)
    db = Database(empty_database_url)
    made: Rows = {}
    try:
        _fill(db, made, 0)

        done = upgrade(db)

        assert (done.before, done.after) == (first, head_revision())
        require_current(db)
        assert _missing(db, made) == {}
    finally:
        db.dispose()


VERSIONS = Path(jobferry.__file__).parent / "storage" / "migrations" / "versions"


def line_problems(scripts: dict[str, str]) -> list[str]:
    """How the migration ``scripts`` (file name → text) fail to make one line: each file
    ``NNNN_what_it_does.py`` says ``revision = "NNNN"`` and, as ``down_revision``, the revision
    of the file before it (the first: ``None``)."""
    problems, before = [], None
    for name in sorted(scripts):
        said = {
            target.id: node.value.value
            for node in ast.parse(scripts[name]).body
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
            for target in node.targets
            if isinstance(target, ast.Name) and target.id in ("revision", "down_revision")
        }
        number = name.split("_", 1)[0]
        if said.get("revision") != number:
            problems.append(f'{name}: revision = "{number}" (its file\'s number)')
        if said.get("down_revision", "missing") != before:
            problems.append(
                f"{name}: down_revision = {before!r} (the migration before it), not "
                f"{said.get('down_revision', 'missing')!r}: two migrations on one revision are "
                "two heads, which no upgrade can follow"
            )
        before = number
    return problems


def test_the_migrations_make_one_line_in_the_order_of_their_files() -> None:
    scripts = {path.name: path.read_text(encoding="utf-8") for path in VERSIONS.glob("[0-9]*.py")}
    problems = line_problems(scripts)
    assert not problems, "\n".join(problems)


def test_a_migration_off_the_line_is_told_its_down_revision() -> None:
    script = 'revision = "{}"\ndown_revision = {!r}\n'.format
    line = {"0001_a.py": script("0001", None), "0002_b.py": script("0002", "0001")}
    assert line_problems(line) == []
    assert line_problems({**line, "0003_c.py": script("0003", "0001")}) == [
        "0003_c.py: down_revision = '0002' (the migration before it), not '0001': two "
        "migrations on one revision are two heads, which no upgrade can follow"
    ]
    assert line_problems({**line, "0004_d.py": script("0003", "0002")}) == [
        '0004_d.py: revision = "0004" (its file\'s number)'
    ]


def test_an_autogenerated_revision_leaves_the_release_bookkeeping_alone(
    empty_database_url: str,
) -> None:
    db = Database(empty_database_url)
    try:
        upgrade(db)
        with db.engine.connect() as conn:
            plain = compare_metadata(MigrationContext.configure(conn), metadata)
            ours = compare_metadata(
                MigrationContext.configure(conn, opts={"include_name": migrated}), metadata
            )
        assert any("schema_release" in str(change) for change in plain)  # what it guards
        assert not any("schema_release" in str(change) for change in ours)
    finally:
        db.dispose()


def test_the_migrations_build_every_table_column_and_index_the_code_declares(
    empty_database_url: str,
) -> None:
    """The tables the code reads and writes (``storage/tables.py`` and the modules beside it)
    and the schema the migrations build are the same, types included: a column added to a
    table without its migration (or the other way round) fails here, not on an upgraded
    server."""
    db = Database(empty_database_url)
    try:
        upgrade(db)
        with db.engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"include_name": migrated, "compare_type": True}
            )
            drift = compare_metadata(context, metadata)
        assert drift == [], (
            "the tables the code declares and the schema the migrations build differ: add "
            'storage/migrations/versions/NNNN_what_it_does.py (CONTRIBUTING.md, "Adding a '
            'migration") that makes these changes, or take them out of the tables:\n'
            + "\n".join(map(str, drift))
        )
    finally:
        db.dispose()


def test_a_database_newer_than_the_code_is_refused_naming_the_release_and_kept(
    empty_database_url: str,
) -> None:
    database_at(empty_database_url, head_revision())
    db = Database(empty_database_url)
    try:
        upgrade(db)  # records the release this schema needs
        with db.engine.begin() as conn:
            conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
            conn.execute(sa.update(schema_release).values(revision="9999", needs_release="9.1.0"))

        for check in (upgrade, require_current):
            with pytest.raises(StorageError) as refused:
                check(db)
            assert "this jobferry is older than the database; use jobferry 9.1.0 or newer" in (
                refused.value.message
            )
            assert refused.value.context == {"revision": "9999", "needs_release": "9.1.0"}
        assert current_revision(db) == "9999"

        # Upgraded by a later build of the very version in development: "use 0.3.0.dev0 or
        # newer" would name the version running; it says a later build.
        with db.engine.begin() as conn:
            conn.execute(sa.update(schema_release).values(needs_release=jobferry.__version__))
        with pytest.raises(StorageError) as same_version:
            require_current(db)
        assert f"use a later build of jobferry {jobferry.__version__} (one whose schema is " in (
            same_version.value.message
        )
    finally:
        db.dispose()
