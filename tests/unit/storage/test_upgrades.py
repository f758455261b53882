"""A database made at any earlier schema upgrades to the newest with every row kept, on SQLite
and PostgreSQL.

The earlier schemas are the migration scripts themselves (``schema.revisions()``), so a new
migration is covered as soon as it exists; each test process builds them once
(``support/revisions.py``). Each table of the earlier schema gets rows made from its reflected
columns (every column filled, foreign keys pointing at the parents' rows), and after the
upgrade every table that still exists holds the same rows in every column it still has.
A database newer than the code is refused, naming the release to use.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

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
Held = dict[str, list[tuple[object, ...]]]


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


def _fill(db: Database) -> Rows:
    """Rows in every table of the database's schema, foreign keys pointing at the parents'
    rows; returns them by table."""
    made: Rows = {}
    with db.engine.begin() as conn:
        columns = _columns(conn)
        for name, keys in _parents_first(conn, list(columns)):
            rows = []
            for i in range(ROWS):
                row = {c["name"]: _plain_value(name, c, i) for c in columns[name]}
                for key in keys:
                    parent = (
                        row if key["referred_table"] == name else made[key["referred_table"]][i]
                    )
                    for child, referred in zip(
                        key["constrained_columns"], key["referred_columns"], strict=True
                    ):
                        row[child] = parent[referred]
                rows.append(row)
            table = sa.table(name, *(sa.column(c["name"], c["type"]) for c in columns[name]))
            conn.execute(table.insert(), rows)
            made[name] = rows
    return made


def _sorted(rows: Any) -> list[tuple[object, ...]]:
    """Rows in one order, booleans as SQLite returns them (1 and 0)."""
    plain = (tuple(int(v) if isinstance(v, bool) else v for v in row) for row in rows)
    return sorted(plain, key=repr)


def _kept(db: Database, made: Rows) -> tuple[Held, Held]:
    """The rows of ``made`` as the upgraded database holds them, and as they were made: the
    tables that still exist, in the columns they still have (a column a migration drops is
    that migration's own decision, reviewed with it)."""
    held: Held = {}
    expected: Held = {}
    with db.engine.connect() as conn:
        for name, columns in _columns(conn).items():
            if name not in made:
                continue
            kept = sorted({c["name"] for c in columns} & set(made[name][0]))
            query = sa.select(*(sa.column(c) for c in kept)).select_from(sa.table(name))
            held[name] = _sorted(conn.execute(query).all())
            expected[name] = _sorted([row[c] for c in kept] for row in made[name])
    return held, expected


EARLIER = revisions()[:-1]


@pytest.mark.parametrize("revision", EARLIER)
def test_a_database_made_at_an_earlier_schema_upgrades_with_every_row_kept(
    empty_database_url: str, revision: str
) -> None:
    database_at(empty_database_url, revision)
    db = Database(empty_database_url)
    try:
        assert current_revision(db) == revision
        made = _fill(db)

        done = upgrade(db)

        assert (done.before, done.after) == (revision, head_revision())
        assert current_revision(db) == head_revision()
        require_current(db)
        held, expected = _kept(db, made)
        assert set(held) == set(made), "a table of the earlier schema was dropped"
        for name, rows in held.items():
            assert len(rows) == ROWS, f"{name}: {len(rows)} of {ROWS} rows kept"
        assert held == expected
    finally:
        db.dispose()


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
    finally:
        db.dispose()
