"""The id type, columns and groups of columns many tables declare alike (``tables.py`` and the
feature modules with tables of their own): each call makes fresh ``Column`` objects, as a table
needs."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Column, ForeignKey, Integer, String

from jobferry.domain.bounds import INT64_MAX

# Integer primary keys that autoincrement on SQLite and are 64-bit elsewhere (job ids are int64).
BigId = BigInteger().with_variant(Integer(), "sqlite")
INT32_MAX = 2**31 - 1
"""The largest ``Integer`` PostgreSQL stores (``integer``; SQLite's holds 64 bits)."""


def holds(column: Column[Any], value: int) -> bool:
    """Whether the integer ``column`` can hold ``value`` on both databases: an id a request
    names past that (``…/release-packages/99999999999999999999999``) is no row, and the look-up
    answers so rather than send it (SQLite's driver refuses to bind it, PostgreSQL refuses it
    for the column's type)."""
    top = INT64_MAX if isinstance(column.type, BigInteger) else INT32_MAX
    return -top - 1 <= value <= top


def _owner_id(name: str, owner: str, primary_key: bool, index: bool | None) -> Column[str]:
    if primary_key:
        return Column(name, String(64), ForeignKey(owner), primary_key=True)
    return Column(name, String(64), ForeignKey(owner), nullable=False, index=index)


def workspace_id(*, primary_key: bool = False, index: bool | None = None) -> Column[str]:
    """The workspace a row belongs to (part of the primary key, or a plain foreign key)."""
    return _owner_id("workspace_id", "workspaces.id", primary_key, index)


def project_id(*, primary_key: bool = False) -> Column[str]:
    """The project a row belongs to (part of the primary key, or a plain foreign key)."""
    return _owner_id("project_id", "projects.id", primary_key, None)


def user_id(*, primary_key: bool = False) -> Column[int]:
    """The user a row belongs to, deleted with the user (part of the primary key, or a plain
    foreign key)."""
    user = ForeignKey("users.id", ondelete="CASCADE")
    if primary_key:
        return Column("user_id", BigId, user, primary_key=True)
    return Column("user_id", BigId, user, nullable=False)


def at_and_by(verb: str, *, nullable: bool = False) -> tuple[Column[int], Column[str]]:
    """When (``<verb>_at``, ms) and by whom (``<verb>_by``) a row was written."""
    return (
        Column(f"{verb}_at", BigInteger, nullable=nullable),
        Column(f"{verb}_by", String(128), nullable=nullable),
    )


def by_and_at(verb: str) -> tuple[Column[str], Column[int]]:
    """The two columns of :func:`at_and_by` in the other order, by whom (``<verb>_by``) then
    when (``<verb>_at``), as some tables declare them."""
    at, by = at_and_by(verb)
    return by, at


def user_and_time(verb: str, *, nullable: bool = False) -> tuple[Column[Any], ...]:
    """Who (``<verb>_user_id``, ``<verb>_user_name``) did ``verb`` to a row, and when
    (``<verb>_timestamp``, ms), as DataArts' release records name them."""
    return (
        Column(f"{verb}_user_id", String(64), nullable=nullable),
        Column(f"{verb}_user_name", String(128), nullable=nullable),
        Column(f"{verb}_timestamp", BigInteger, nullable=nullable),
    )
