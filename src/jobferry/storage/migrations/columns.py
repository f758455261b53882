"""Columns and constraints the revisions in ``versions/`` declare again and again.

Each function returns what Alembic's autogenerate wrote out in full in the revisions, named by
the same naming convention (``op.f`` marks a name as already converted). These belong to the
migrations' history: a revision that uses one emits the DDL it emitted when it was written, so
a function here never changes (a new shape is a new function), and nothing here reads the live
schema in ``tables.py``, which moves on. This module sits beside ``versions/``, not in it,
so that Alembic does not load it as a revision.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


def big_id(name: str = "id") -> sa.Column[int]:
    """An autoincrementing integer primary key column: 64-bit, ``INTEGER`` on SQLite."""
    return sa.Column(name, _big_integer(), autoincrement=True, nullable=False)


def big_ref(name: str) -> sa.Column[int]:
    """A column that holds another table's ``big_id``."""
    return sa.Column(name, _big_integer(), nullable=False)


def _big_integer() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def workspace_id() -> sa.Column[str]:
    """The workspace a row belongs to."""
    return sa.Column("workspace_id", sa.String(length=64), nullable=False)


def at_and_by(verb: str) -> tuple[sa.Column[int], sa.Column[str]]:
    """When (``<verb>_at``) and by whom (``<verb>_by``) a row was written."""
    return (
        sa.Column(f"{verb}_at", sa.BigInteger(), nullable=False),
        sa.Column(f"{verb}_by", sa.String(length=128), nullable=False),
    )


def foreign_key(
    table: str, column: str, referred: str = "workspaces.id", ondelete: str | None = None
) -> sa.ForeignKeyConstraint:
    """``table.column`` refers to ``referred`` (``"<table>.<column>"``), named by convention."""
    referred_table = referred.split(".")[0]
    return sa.ForeignKeyConstraint(
        [column],
        [referred],
        name=op.f(f"fk_{table}_{column}_{referred_table}"),
        ondelete=ondelete,
    )


def primary_key(table: str, *columns: str) -> sa.PrimaryKeyConstraint:
    """The primary key of ``table`` on ``columns``, named by convention."""
    return sa.PrimaryKeyConstraint(*columns, name=op.f(f"pk_{table}"))
