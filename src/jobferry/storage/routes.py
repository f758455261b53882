"""Routes: every saved version of every route of a project, and the promotions made along each.

The tables share the schema's metadata (``tables.metadata``); ``migrations/env.py`` imports this
module so Alembic sees them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    Index,
    Integer,
    String,
    Table,
    Text,
    and_,
    func,
    or_,
    select,
    update,
)

from jobferry.domain.enums import TaskStatus
from jobferry.storage.columns import at_and_by, project_id
from jobferry.storage.records import first_record, insert_record, record
from jobferry.storage.tables import metadata, system_tasks, versioned_documents
from jobferry.storage.tx import Tx
from jobferry.storage.versioned import DocumentVersion, VersionedDocuments

# Every saved version of a route; the newest is the route.
route_versions = versioned_documents("route_versions", project_id(primary_key=True))

# One row per promotion along a route: the package built from the source (kept as an upload of
# the target) and, once it was imported, the import's task.
route_promotions = Table(
    "route_promotions",
    metadata,
    Column("id", String(32), primary_key=True),
    project_id(),
    Column("route", String(128), nullable=False),
    Column("route_version", Integer, nullable=False),
    Column("snapshot_at", BigInteger, nullable=False),
    Column("since", BigInteger),
    Column("package_path", String(64), nullable=False),
    Column("package_sha256", String(64), nullable=False),
    Column("jobs", Integer, nullable=False),
    Column("deletions", Integer, nullable=False),
    # The scripts and resources its package carried beside its jobs (0034); None: a row
    # recorded before jobferry counted them.
    Column("scripts", Integer),
    Column("resources", Integer),
    Column("plan_id", String(32)),
    Column("task_id", String(32)),
    *at_and_by("created"),
    # None: between two workspaces of this server; "out": cut here for a target on another
    # server (package_path is then the download id); "in": taken in from another server.
    Column("carried", String(8)),
    # What the import changed of the route's settings, and who (JSON); None: nothing.
    Column("overrides", Text),
    # The import request its newest plan was made for (canonical JSON), kept for the apply.
    Column("request", Text),
    # Which route made (or took in) a package: asked by every plan, for the route's policy.
    Index("ix_route_promotions_package", "project_id", "package_path"),
    # A route's promotions newest first: its history's pages, each plan's read back (0040).
    Index("ix_route_promotions_route_time", "project_id", "route", "created_at", "id"),
    # The promotion an import task was, joined by a job's provenance (0041).
    Index("ix_route_promotions_task", "task_id"),
)


@dataclass(frozen=True)
class PromotionFacts:
    """What a promotion along a route is, as stored and as answered: its package, the source's
    read it carries, and the plan and import task it went through."""

    id: str
    route: str
    route_version: int
    snapshot_at: int
    """When the source was read: the next promotion carries what changed after it."""
    since: int | None
    package_path: str
    """The upload the target imports; for a package carried out, its download id."""
    package_sha256: str
    jobs: int
    deletions: int
    scripts: int | None
    """The scripts its package carried (``None``: recorded before jobferry counted them)."""
    resources: int | None
    """The resources its package carried (``None``: as ``scripts``)."""
    plan_id: str | None
    task_id: str | None
    created_at: int
    created_by: str


@dataclass(frozen=True)
class PromotionRecord(PromotionFacts):
    """One promotion along a route, as its row holds it."""

    project_id: str
    carried: str | None = None
    """``Carried`` value: ``None`` between two workspaces of this server."""
    overrides: str | None = None
    """What its import changed of the route's settings, and who, as JSON (``None``: it took
    the route's settings, or it is not imported yet)."""
    request: str | None = None
    """The import request its newest plan was made for (canonical JSON; ``None``: planned by
    its client, or not planned)."""


ROUTES = VersionedDocuments(route_versions, route_versions.c.project_id, DocumentVersion)
"""The project's routes: every version of each, by project id and name."""


def delete_route(tx: Tx, project_id: str, name: str) -> bool:
    """Remove every version of a route and its promotions; whether it existed."""
    tx.conn.execute(
        route_promotions.delete().where(
            route_promotions.c.project_id == project_id, route_promotions.c.route == name
        )
    )
    return ROUTES.remove(tx, project_id, name)


def insert_promotion(tx: Tx, item: PromotionRecord) -> None:
    """Remember a promotion's package."""
    insert_record(tx, route_promotions, item)


def set_import(
    tx: Tx, promotion_id: str, plan_id: str, task_id: str, overrides: str | None = None
) -> None:
    """The plan and import task a promotion's package went through, and what that import
    changed of the route's settings (JSON)."""
    tx.conn.execute(
        update(route_promotions)
        .where(route_promotions.c.id == promotion_id)
        .values(plan_id=plan_id, task_id=task_id, overrides=overrides)
    )


def set_request(tx: Tx, promotion_id: str, request: str) -> None:
    """The import request a promotion's newest plan was made for (canonical JSON)."""
    tx.conn.execute(
        update(route_promotions)
        .where(route_promotions.c.id == promotion_id)
        .values(request=request)
    )


def promotion(tx: Tx, project_id: str, route: str, promotion_id: str) -> PromotionRecord | None:
    """One promotion of a route."""
    return first_record(
        tx, PromotionRecord, route_promotions, project_id=project_id, route=route, id=promotion_id
    )


def newest_promotion(tx: Tx, project_id: str, route: str) -> PromotionRecord | None:
    """A route's newest promotion, listed or not."""
    c = route_promotions.c
    row = tx.conn.execute(
        select(route_promotions)
        .where(c.project_id == project_id, c.route == route)
        .order_by(c.created_at.desc(), c.id.desc())
        .limit(1)
    ).first()
    return record(PromotionRecord, row) if row else None


def imported_packages(
    tx: Tx, project_id: str, route: str, package_sha256: str
) -> list[PromotionRecord]:
    """A route's promotions of the package ``package_sha256`` whose import is recorded (a
    task), newest first."""
    c = route_promotions.c
    rows = tx.conn.execute(
        select(route_promotions)
        .where(
            c.project_id == project_id,
            c.route == route,
            c.package_sha256 == package_sha256,
            c.task_id.is_not(None),
        )
        .order_by(c.created_at.desc(), c.id.desc())
    )
    return [record(PromotionRecord, r) for r in rows]


def _listed(project_id: str, route: str) -> ColumnElement[bool]:
    c = route_promotions.c
    return and_(
        c.project_id == project_id,
        c.route == route,
        or_(c.task_id.is_not(None), c.carried == "out"),
    )


def listed_promotions(
    tx: Tx, project_id: str, route: str, limit: int = 100, offset: int = 0
) -> list[PromotionRecord]:
    """A route's promotions whose package was imported (a task is recorded) or carried out to
    another server, newest first (a package only planned is not listed)."""
    rows = tx.conn.execute(
        select(route_promotions)
        .where(_listed(project_id, route))
        .order_by(route_promotions.c.created_at.desc(), route_promotions.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [record(PromotionRecord, r) for r in rows]


def count_listed(tx: Tx, project_id: str, route: str) -> int:
    """How many promotions :func:`listed_promotions` lists in all."""
    query = select(func.count()).select_from(route_promotions).where(_listed(project_id, route))
    return int(tx.conn.execute(query).scalar_one())


def importing_promotions(tx: Tx, project_id: str, route: str) -> list[PromotionRecord]:
    """A route's promotions whose import task is still RUNNING (queued or claimed), newest
    first: read from the running tasks (few, by their partial index) to their promotion."""
    c = route_promotions.c
    rows = tx.conn.execute(
        select(route_promotions)
        .join(system_tasks, system_tasks.c.id == c.task_id)
        .where(
            system_tasks.c.status == TaskStatus.RUNNING,
            c.project_id == project_id,
            c.route == route,
        )
        .order_by(c.created_at.desc(), c.id.desc())
    )
    return [record(PromotionRecord, r) for r in rows]
