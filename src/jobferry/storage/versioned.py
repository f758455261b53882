"""Named documents saved as versions (environment profiles, routes, policies): every save is a
new row ``(owner, name, version)``, the newest version is the document, and all versions stay
until the name is removed. One set of queries for every such table, answering the repository's
own record type; a repository exports its table's instance (``routes.ROUTES.get(...)``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Column, Table, delete, func, select

from jobferry.storage.records import insert_record, record
from jobferry.storage.tx import Tx

R = TypeVar("R")


@dataclass(frozen=True)
class DocumentVersion:
    """One saved version of a project's named document (a route; a policy, whose name says
    whose: ``workspace/<id>``, ``route/<name>``), its document as JSON text."""

    project_id: str
    name: str
    version: int
    document: str
    created_at: int
    created_by: str


@dataclass(frozen=True)
class VersionedDocuments(Generic[R]):
    """The queries of one versioned table, whose rows belong to ``owner`` (a column naming
    the workspace or project) and have ``name`` and ``version`` columns; its rows are read as
    ``kind`` records (a dataclass whose fields are columns of the table)."""

    table: Table
    owner: Column[Any]
    kind: type[R]

    def _of(self, owner: str, name: str) -> Any:
        return (self.owner == owner) & (self.table.c.name == name)

    def latest_version(self, tx: Tx, owner: str, name: str) -> int:
        """The newest version number (0 when the name has none)."""
        value = tx.conn.execute(
            select(func.max(self.table.c.version)).where(self._of(owner, name))
        ).scalar()
        return int(value or 0)

    def insert_version(self, tx: Tx, item: R) -> None:
        """Save a new version (``item`` names its owner, name and version)."""
        insert_record(tx, self.table, item)

    def get(self, tx: Tx, owner: str, name: str, version: int | None = None) -> R | None:
        """A version (the newest when ``version`` is None)."""
        stmt = select(self.table).where(self._of(owner, name))
        if version is not None:
            stmt = stmt.where(self.table.c.version == version)
        row = tx.conn.execute(stmt.order_by(self.table.c.version.desc()).limit(1)).first()
        return record(self.kind, row) if row else None

    def versions(self, tx: Tx, owner: str, name: str) -> list[R]:
        """Every version, newest first."""
        stmt = select(self.table).where(self._of(owner, name))
        rows = tx.conn.execute(stmt.order_by(self.table.c.version.desc()))
        return [record(self.kind, r) for r in rows]

    def versions_page(self, tx: Tx, owner: str, name: str, limit: int, offset: int) -> list[R]:
        """A page of the versions, newest first."""
        stmt = select(self.table).where(self._of(owner, name))
        stmt = stmt.order_by(self.table.c.version.desc()).limit(limit).offset(offset)
        return [record(self.kind, r) for r in tx.conn.execute(stmt)]

    def count(self, tx: Tx, owner: str, name: str) -> int:
        """How many versions the name has."""
        query = select(func.count()).select_from(self.table).where(self._of(owner, name))
        return int(tx.conn.execute(query).scalar_one())

    def latest_all(self, tx: Tx, owner: str) -> list[R]:
        """The newest version of every name of ``owner``, by name."""
        t = self.table
        newest = (
            select(t.c.name, func.max(t.c.version).label("v"))
            .where(self.owner == owner)
            .group_by(t.c.name)
            .subquery()
        )
        rows = tx.conn.execute(
            select(t)
            .join(newest, (newest.c.name == t.c.name) & (newest.c.v == t.c.version))
            .where(self.owner == owner)
            .order_by(tx.by_name(t.c.name))
        )
        return [record(self.kind, r) for r in rows]

    def remove(self, tx: Tx, owner: str, name: str) -> bool:
        """Remove every version of a name; whether it had any."""
        return bool(tx.conn.execute(delete(self.table).where(self._of(owner, name))).rowcount)
