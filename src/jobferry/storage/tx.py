"""One open transaction (``Tx``) and what every repository builds its queries with: ``IN``
lists of bounded size, expressions no index can serve.

Kept apart from ``database`` (engines, the transaction's life) so that records and the hot
read path can name ``Tx`` without importing the engine that imports them."""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Connection,
    Row,
    Select,
    String,
    Table,
    UnaryExpression,
    and_,
    any_,
    bindparam,
    func,
    or_,
    select,
)
from sqlalchemy.sql import operators

from jobferry.storage.pagehints import PageHints, Resume, query_key

CHUNK = 900  # values per IN list on SQLite: stays under builds that cap a statement at 999

CODE_POINT_ORDER = "code_point_order"
"""Key of a PostgreSQL connection's ``info``: whether its database orders text by code point
(a C collation), which the connection found out when it opened."""

T = TypeVar("T")


def unindexed(column: ColumnElement[str]) -> ColumnElement[str]:
    """``column`` as an expression no index can serve (``column || ''``, the same value).

    For a condition that only checks rows another condition finds: without statistics SQLite
    picks an index for any equality it can, even one matching most of the table, and then
    walks all of it (a whole workspace's rows, for every batch of a look-up)."""
    return column.concat("")


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[list[T]]:
    """``items`` in consecutive parts of ``size`` (the last one may be shorter): one ``IN``
    list, one batch, each."""
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


@dataclass
class Tx:
    """One open transaction; repositories take it as their first argument. ``hints``: where
    recent pages of long lists ended, for :meth:`page` (a read-only transaction opened with
    ``Database.transaction(seeking=True)``; ``None`` otherwise); ``opened``: the database's
    change token read before that transaction began."""

    conn: Connection
    hints: PageHints | None = None
    opened: Hashable | None = None

    @property
    def dialect(self) -> str:
        """Name of the database dialect ("sqlite" or "postgresql")."""
        return self.conn.dialect.name

    def among(self, column: ColumnElement[str], names: Sequence[str]) -> ColumnElement[bool]:
        """``column IN names``: on PostgreSQL one array parameter (``= ANY``), which the server
        plans at once however long the list; elsewhere an expanding ``IN``."""
        if self.dialect == "postgresql":
            return column == any_(bindparam(None, list(names), type_=ARRAY(String)))
        return column.in_(names)

    @property
    def chunk(self) -> int:
        """How many values one ``IN (...)`` list may bind: ``CHUNK`` on SQLite; PostgreSQL takes
        65,535 parameters, and each round trip costs more there."""
        return CHUNK if self.dialect == "sqlite" else 20_000

    def holds(self, column: ColumnElement[str], part: str) -> ColumnElement[bool]:
        """``column`` holds ``part`` as written, case counting, on either database: ``LIKE``
        ignores the case of ASCII letters in SQLite and not in PostgreSQL."""
        if self.dialect == "postgresql":
            return func.strpos(column, part) > 0
        return func.instr(column, part) > 0

    def by_name(self, column: ColumnElement[str]) -> ColumnElement[str]:
        """``column`` to order by in code point order, as SQLite and Python order text. A
        PostgreSQL database orders text by its collation: one created under a language's
        locale (``zh_CN.UTF-8``: by pinyin; ``en_US``: case folded) is ordered as C here, which
        its name indexes cannot serve; a C-ordered one keeps its indexes."""
        if self.dialect == "postgresql" and not self.conn.info.get(CODE_POINT_ORDER):
            return column.collate("C")
        return column

    def page(
        self,
        table: Table,
        where: ColumnElement[bool],
        order_by: Sequence[ColumnElement[Any]],
        limit: int,
        offset: int,
        columns: Sequence[ColumnElement[Any]] = (),
        seek: Sequence[ColumnElement[Any]] = (),
    ) -> tuple[int, list[Row[Any]]]:
        """One page of a table's matching rows (only ``columns``, when given), and how many
        match in all.

        ``seek``: the selected columns whose values ``order_by`` orders the rows by, one for each
        of its expressions in turn (each ascending or descending: a name; the newest first by
        time, then id), unique together among the matching rows. The page then continues where
        a recent page of the same query ended when nothing was committed since
        (``storage.pagehints``): the same rows and total, without stepping over the rows before
        it."""
        query = _Query(table, where, order_by, columns)
        hints = self.hints
        if not seek or hints is None:
            return query.plain(self.conn, limit, offset)
        key = query_key(table, where, order_by)
        start = None if key is None else hints.first(self.conn, self.opened)
        if key is None or start is None:
            return query.plain(self.conn, limit, offset)
        return self._hinted(hints, key, start, query, seek, limit, offset)

    def _hinted(
        self,
        hints: PageHints,
        key: Hashable,
        start: Hashable,
        query: _Query,
        seek: Sequence[ColumnElement[Any]],
        limit: int,
        offset: int,
    ) -> tuple[int, list[Row[Any]]]:
        """:meth:`page` of the query ``key`` in the state ``start`` (the change token read
        before the page's statements): resumed where a hint says, else plain and noted."""
        resume = hints.resume(key, start, offset)
        if resume is None:
            total, rows = query.plain(self.conn, limit, offset)
        else:
            total, rows = resume.total, query.resumed(self.conn, limit, resume)
        if hints.now(self.conn) != start:  # committed meanwhile: the plain read is the answer
            return query.plain(self.conn, limit, offset) if resume is not None else (total, rows)
        last = tuple(rows[-1]._mapping[column] for column in seek) if rows else None
        hints.note(key, start, total, offset + len(rows) if rows else 0, last)
        return total, rows


@dataclass(frozen=True)
class _Query:
    """A list query of :meth:`Tx.page`: matching rows of a table, in order."""

    table: Table
    where: ColumnElement[bool]
    order_by: Sequence[ColumnElement[Any]]
    columns: Sequence[ColumnElement[Any]]

    def _select(self) -> Select[Any]:
        return select(*self.columns) if self.columns else select(self.table)

    def plain(self, conn: Connection, limit: int, offset: int) -> tuple[int, list[Row[Any]]]:
        """The rows ``offset`` to ``offset + limit``, and how many match in all."""
        count = select(func.count()).select_from(self.table).where(self.where)
        total = int(conn.execute(count).scalar_one())
        query = self._select().where(self.where).order_by(*self.order_by)
        return total, list(conn.execute(query.limit(limit).offset(offset)))

    def resumed(self, conn: Connection, limit: int, resume: Resume) -> list[Row[Any]]:
        """``limit`` rows from where ``resume`` says the page starts."""
        query = self._select().where(self.where)
        if resume.last is not None:
            query = query.where(after(self.order_by, resume.last))
        query = query.order_by(*self.order_by).limit(limit)
        return list(conn.execute(query.offset(resume.skip) if resume.skip else query))


def after(order_by: Sequence[ColumnElement[Any]], last: Sequence[Any]) -> ColumnElement[bool]:
    """The rows that ``order_by`` puts after a row whose keys (one for each of its expressions)
    are ``last``: past it on the first key, or equal on it and past it on the next, and so on;
    with two keys or more, the first key's bound also on its own, which an index on it serves
    (``at <= :at AND (at < :at OR id < :id)``, the newest first)."""
    keys = [_key(element) for element in order_by]
    past: list[ColumnElement[bool]] = [
        key < value if desc else key > value for (key, desc), value in zip(keys, last, strict=True)
    ]
    if len(keys) == 1:
        return past[0]
    tied = [key == value for (key, _), value in zip(keys, last, strict=True)]
    either = or_(*(and_(*tied[:n], past[n]) for n in range(len(keys))))
    (first, desc), value = keys[0], last[0]
    return and_(first <= value if desc else first >= value, either)


def _key(element: ColumnElement[Any]) -> tuple[ColumnElement[Any], bool]:
    """An expression of an ``ORDER BY``: what it orders by, and whether descending."""
    if isinstance(element, UnaryExpression) and element.modifier in (
        operators.desc_op,
        operators.asc_op,
    ):
        return element.element, element.modifier is operators.desc_op
    return element, False
