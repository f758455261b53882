"""Filtering and ordering release packages as ``list_factory_release_packages`` asks."""

from __future__ import annotations

from typing import Any

from jobferry.services.releases.records import PackageQuery, PackageView


def _between(value: int | None, bounds: tuple[int | None, int | None]) -> bool:
    low, high = bounds
    if low is None and high is None:
        return True
    if value is None:
        return False
    return (low is None or value >= low) and (high is None or value <= high)


def matches(view: PackageView, query: PackageQuery) -> bool:
    """Whether the package passes every filter of ``query``."""
    record = view.record
    return (
        (query.key_word is None or query.key_word in record.name)
        and (not query.apply_user_names or record.apply_user_name in query.apply_user_names)
        and (not query.deploy_user_names or record.deploy_user_name in query.deploy_user_names)
        and (not query.statuses or int(view.status) in query.statuses)
        and _between(record.apply_timestamp, query.apply_between)
        and _between(record.deploy_timestamp, query.deploy_between)
    )


def order_key(view: PackageView, column: str) -> tuple[Any, int]:
    """The sort key of ``column`` (ties by package id)."""
    record = view.record
    value: Any = {
        "apply_timestamp": record.apply_timestamp,
        "deploy_timestamp": record.deploy_timestamp or 0,
        "package_name": record.name,
        "deploy_status": int(view.status),
    }.get(column, record.apply_timestamp)
    return value, record.id
