"""Bulk inserts at driver speed, for the import's tens of thousands of rows.

SQLAlchemy's executemany processes every parameter of every row in Python; for an import of
10,000 jobs (documents, versions, ~100,000 reference rows) that was half the write time. Here
the rows go straight to the driver: one ``executemany`` of a plain INSERT on SQLite, and
``COPY ... FROM STDIN`` on PostgreSQL, the fastest way in. Values must already be what the
column stores (str, int, None): nothing is converted.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table

from jobferry.storage.tx import Tx


def insert_tuples(
    tx: Tx, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Insert ``rows`` of values in the order of ``columns`` (named tuples pass as they are)."""
    if not rows:
        return
    unknown = [name for name in columns if name not in table.c]
    if unknown:
        raise ValueError(f"{table.name} has no column {', '.join(unknown)}")
    names = ", ".join(columns)
    if tx.dialect == "postgresql":
        cursor = tx.conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        with cursor, cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join("?" * len(columns))
    # sqlite3 binds exact tuples on its fast path; a named tuple costs a third more per row.
    values = rows if type(rows[0]) is tuple else [tuple(row) for row in rows]
    tx.conn.exec_driver_sql(f"INSERT INTO {table.name} ({names}) VALUES ({marks})", list(values))
