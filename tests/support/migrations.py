"""One migration's round trip, for ``tests/unit/storage/test_migrations.py``: rows made at the
revision before it, the upgrade, what the rows became, rows only the new schema holds, the
downgrade, what the rows are back at the revision before.

A test names the two revisions, the rows and what it expects of them as data
(:func:`round_trip`); the schema parts a migration adds, drops or keeps are checked at the
three points (before the upgrade, after it, after the downgrade). The database starts at the
revision before as the upgrade tests' databases do (``support/revisions.py``: a copy of that
revision's file, or a replay of its SQL); the migration under test runs for real, both ways.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import sqlalchemy as sa

from jobferry.storage import Database
from jobferry.storage.schema import current_revision, head_revision
from support.revisions import database_at, migrate

Sql = str | tuple[str, Mapping[str, object]]
"""A statement: plain SQL, or SQL with ``:name`` parameters and their values."""
Found = Mapping[str, Sequence[tuple[object, ...]]]
"""Queries and the rows each must find, in order."""
Schema = frozenset[tuple[str, str, str]]
"""Parts of a schema: ``(kind, table, name)``, kind one of table, column, index, refers (a
foreign key of ``table`` to the table ``name``)."""

WORKSPACE: tuple[Sql, ...] = (
    "INSERT INTO projects (id, name, created_at) VALUES ('p', 'p', 0)",
    "INSERT INTO workspaces (id, project_id, name, is_default, lock_policy, approval_enabled, "
    "created_at) VALUES ('w', 'p', 'w', FALSE, 'soft', FALSE, 0)",
)
"""Project 'p' with workspace 'w' (as every revision since 0001 stores them): made first."""


def job_row(job_id: int, name: str, directory: str = "/") -> str:
    """A stopped job of workspace 'w' with the columns every revision before 0011 has."""
    return (
        "INSERT INTO jobs (id, workspace_id, name, directory, process_type, status, document, "
        "created_at, created_by, updated_at, updated_by) VALUES "
        f"({job_id}, 'w', '{name}', '{directory}', 'BATCH', 'STOPPED', '{{}}', 0, 'a', 0, 'a')"
    )


def schema(
    *,
    tables: Collection[str] = (),
    columns: Mapping[str, Collection[str]] | None = None,
    indexes: Mapping[str, Collection[str]] | None = None,
    refers: Mapping[str, Collection[str]] | None = None,
) -> Schema:
    """The parts named, by table: ``refers`` names the tables a table's foreign keys refer to."""
    parts = {("table", table, "") for table in tables}
    for kind, named in (("column", columns), ("index", indexes), ("refers", refers)):
        parts |= {(kind, table, name) for table, names in (named or {}).items() for name in names}
    return frozenset(parts)


NOTHING = schema()


def round_trip(
    url: str,
    before: str,
    after: str,
    *,
    made: Sequence[Sql],
    upgraded: Found,
    downgraded: Found,
    written: Sequence[Sql] = (),
    new_ids: Mapping[str, int] | None = None,
    adds: Schema = NOTHING,
    drops: Schema = NOTHING,
    keeps: Schema = NOTHING,
) -> None:
    """Upgrade the empty database at ``url`` from ``before`` to ``after`` ("head": the newest)
    and back, and check each step.

    At ``before``: :data:`WORKSPACE` and the rows ``made``. Upgraded: the database is at
    ``after``; each query of ``upgraded`` finds its rows, each of ``new_ids`` finds that many
    rows, each a different 32-character id the migration gave; then ``written`` runs (rows
    that only the new schema holds, which the downgrade must drop or fold back). Downgraded:
    each query of ``downgraded`` finds its rows. ``adds`` is in the schema only after the
    upgrade, ``drops`` only before it and after the downgrade, ``keeps`` at all three."""
    database_at(url, before)
    db = Database(url)
    try:
        _check_schema(db, absent=adds, present=drops | keeps)
        _run(db, [*WORKSPACE, *made])

        migrate(db, after)

        assert current_revision(db) == (head_revision() if after == "head" else after)
        _check_schema(db, absent=drops, present=adds | keeps)
        assert _found(db, upgraded) == _listed(upgraded)
        for query, count in (new_ids or {}).items():
            ids = [id_ for (id_,) in _found(db, {query: ()})[query]]
            assert len(set(ids)) == len(ids) == count, (query, ids)
            assert all(isinstance(id_, str) and len(id_) == 32 for id_ in ids), (query, ids)
        _run(db, written)

        migrate(db, before, down=True)

        assert current_revision(db) == before
        _check_schema(db, absent=adds, present=drops | keeps)
        assert _found(db, downgraded) == _listed(downgraded)
    finally:
        db.dispose()


def _run(db: Database, statements: Sequence[Sql]) -> None:
    with db.engine.begin() as conn:
        for statement in statements:
            if isinstance(statement, str):
                conn.exec_driver_sql(statement)
            else:
                conn.execute(sa.text(statement[0]), dict(statement[1]))


def _found(db: Database, queries: Found) -> dict[str, list[tuple[object, ...]]]:
    with db.engine.connect() as conn:
        return {q: [tuple(row) for row in conn.exec_driver_sql(q).all()] for q in queries}


def _listed(found: Found) -> dict[str, list[tuple[object, ...]]]:
    return {query: list(rows) for query, rows in found.items()}


def _check_schema(db: Database, *, absent: Schema, present: Schema) -> None:
    held = _held(db, absent | present)
    assert held & absent == NOTHING, f"still there: {sorted(held & absent)}"
    assert present - held == NOTHING, f"missing: {sorted(present - held)}"


def _held(db: Database, asked: Schema) -> Schema:
    """The parts of ``asked`` the database has."""
    inspector = sa.inspect(db.engine)
    tables = set(inspector.get_table_names())
    held: set[tuple[str, str, str]] = set()
    for kind, table, name in asked:
        if table not in tables:
            continue
        if kind == "table":
            found = {""}
        elif kind == "column":
            found = {c["name"] for c in inspector.get_columns(table)}
        elif kind == "index":
            found = {i["name"] or "" for i in inspector.get_indexes(table)}
        else:
            found = {k["referred_table"] for k in inspector.get_foreign_keys(table)}
        if name in found:
            held.add((kind, table, name))
    return frozenset(held)
