"""A page of a workspace's release packages, filtered and ordered in SQL as
``list_factory_release_packages`` asks: a workspace keeps its packages for ever, so the list
reads the page it answers (and counts the rest), not every package it ever made.

A package's state is the one it is listed with: a release marked releasing whose import
failed, was lost, or was never queued within ``UNQUEUED_MS`` is a failed one
(``services/releases/listing.py`` says the same of one package)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, func, select

from jobferry.domain.enums import TaskStatus
from jobferry.domain.releases import DeployStatus
from jobferry.storage.records import record
from jobferry.storage.releases import PackageRecord, release_packages
from jobferry.storage.tables import system_tasks
from jobferry.storage.tx import Tx

UNQUEUED_MS = 60_000
"""A deploy marked releasing whose import was never queued after this long failed (its
process died between the two)."""


@dataclass(frozen=True)
class PackageFilter:
    """Which packages a page lists and in what order (empty or ``None``: any)."""

    key_word: str | None = None
    """Part of the package's name (as written: upper and lower case differ)."""
    apply_user_names: tuple[str, ...] = ()
    deploy_user_names: tuple[str, ...] = ()
    statuses: tuple[int, ...] = ()
    """States now (:func:`state_now`); a cancelled package is in none of them."""
    cancelled: bool = False
    """Only the cancelled packages."""
    apply_between: tuple[int | None, int | None] = (None, None)
    deploy_between: tuple[int | None, int | None] = (None, None)
    order_column: str = "apply_timestamp"
    """``apply_timestamp``, ``deploy_timestamp`` (none: 0), ``package_name`` or
    ``deploy_status`` (the state now); ties by package id."""
    ascending: bool = False


def state_now(production_id: str, now: int) -> ColumnElement[int]:
    """A package's state now (``DeployStatus``): its stored one, but failed for a release
    whose import task (in production ``production_id``) failed or is gone, or that was never
    queued ``UNQUEUED_MS`` before ``now``."""
    p, t = release_packages.c, system_tasks.c
    task_alive = exists().where(
        t.workspace_id == production_id,
        t.id == p.task_id,
        t.status.not_in((TaskStatus.FAILED.value, TaskStatus.WARNING.value)),
    )
    lost = case(
        (p.task_id.is_not(None), ~task_alive),
        else_=func.coalesce(p.deploy_timestamp, 0) < now - UNQUEUED_MS,
    )
    return case(
        (and_(p.status == int(DeployStatus.RELEASING), lost), int(DeployStatus.FAILED)),
        else_=p.status,
    )


def _between(
    column: ColumnElement[int], bounds: tuple[int | None, int | None]
) -> list[ColumnElement[bool]]:
    low, high = bounds
    found = [] if low is None else [column >= low]
    return found if high is None else [*found, column <= high]


def _conditions(
    tx: Tx, workspace_id: str, where: PackageFilter, state: ColumnElement[int]
) -> list[ColumnElement[bool]]:
    p = release_packages.c
    found = [p.workspace_id == workspace_id]
    if where.key_word is not None:
        found.append(tx.holds(release_packages.c.name, where.key_word))
    if where.apply_user_names:
        found.append(p.apply_user_name.in_(where.apply_user_names))
    if where.deploy_user_names:
        found.append(p.deploy_user_name.in_(where.deploy_user_names))
    if where.cancelled:
        found.append(p.delete_flag != 0)
    elif where.statuses:
        found += [p.delete_flag == 0, state.in_(where.statuses)]
    return [
        *found,
        *_between(p.apply_timestamp, where.apply_between),
        *_between(p.deploy_timestamp, where.deploy_between),
    ]


def _order(tx: Tx, column: str, state: ColumnElement[int]) -> ColumnElement[Any]:
    p = release_packages.c
    if column == "deploy_timestamp":
        return func.coalesce(p.deploy_timestamp, 0)
    if column == "package_name":
        # Code point order, as Python compares text (SQLite's own order already is).
        return tx.by_name(p.name)
    if column == "deploy_status":
        return state
    return p.apply_timestamp


def package_page(
    tx: Tx,
    workspace_id: str,
    production_id: str,
    where: PackageFilter,
    page: tuple[int, int],
    now: int,
) -> tuple[int, list[PackageRecord]]:
    """The workspace's packages ``where`` selects, as they stand at ``now`` in production
    ``production_id``: (how many in all, the page ``(limit, offset)``)."""
    state = state_now(production_id, now)
    conditions = _conditions(tx, workspace_id, where, state)
    total = tx.conn.execute(
        select(func.count()).select_from(release_packages).where(*conditions)
    ).scalar_one()
    key, tie = _order(tx, where.order_column, state), release_packages.c.id
    limit, offset = page
    rows = tx.conn.execute(
        select(release_packages)
        .where(*conditions)
        .order_by(*((key, tie) if where.ascending else (key.desc(), tie.desc())))
        .limit(limit)
        .offset(offset)
    )
    return int(total), [record(PackageRecord, r) for r in rows]
