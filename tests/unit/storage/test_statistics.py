"""PostgreSQL's statistics after a large import.

A table PostgreSQL has never analyzed is taken for nearly empty, and it then looked a batch of
ledger rows up by scanning every row of the workspace with the uid list as a filter: one scan
per batch, quadratic in the import (a 100,000-job re-import spent minutes there). An import
that writes many objects has the tables it grew analyzed once it commits.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from jobferry.services.container import Services
from jobferry.storage import Database, database
from jobferry.storage.importing import target as import_repo
from support.clients import SignedClient
from support.console import admin_scope
from support.importing import run_import, upload
from support.packages import bulk_package
from support.waiting import pauses

on_postgresql = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


def _analyses(services: Services) -> dict[str, int]:
    """table → how many times it was analyzed by hand, for the tables an import grows (the
    schema may be one an earlier test used: compare counts, not "ever")."""
    with services.db.transaction(readonly=True) as tx:
        rows = tx.conn.execute(
            sa.text(
                "SELECT relname, analyze_count FROM pg_stat_user_tables "
                "WHERE schemaname = current_schema()"
            )
        )
        seen = {name: int(count) for name, count in rows}
    return {name: seen[name] for name in import_repo.GROWN_BY_IMPORT}


def _more(after: dict[str, int], before: dict[str, int]) -> list[str]:
    return sorted(name for name in before if after[name] > before[name])


def _analysed_since(services: Services, before: dict[str, int], timeout: float = 10) -> list[str]:
    """The tables analyzed since ``before``, once every one an import grows is (or the
    timeout passed): an import's task ends before its statistics step runs, and a backend
    reports its counts to the statistics views a moment after its statement."""
    deadline, waits = time.monotonic() + timeout, pauses(0.01, 0.2)
    while True:
        more = _more(_analyses(services), before)
        if len(more) == len(import_repo.GROWN_BY_IMPORT) or time.monotonic() > deadline:
            return more
        time.sleep(next(waits))


@on_postgresql
def test_refresh_statistics_analyzes_the_tables(services: Services) -> None:
    before = _analyses(services)
    services.db.refresh_statistics(import_repo.GROWN_BY_IMPORT)
    assert _analysed_since(services, before) == sorted(import_repo.GROWN_BY_IMPORT)


def test_refresh_statistics_is_nothing_on_sqlite(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        db.refresh_statistics(["jobs"])  # no table yet: it would fail if it ran anything
    finally:
        db.dispose()


@on_postgresql
def test_a_large_import_refreshes_them(
    services: Services, api: SignedClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = {"type": "DWS", "config": {}, "secrets": {"password": "pw"}}
    services.environment.put(admin_scope(services), "connection", "dws_conn", body)
    monkeypatch.setattr(database, "STATISTICS_AFTER", 3)
    before = _analyses(services)
    small = run_import(api, {"path": upload(api, bulk_package(2)), "sameNamePolicy": "SKIP"})
    assert small["status"] == "SUCCESSFUL", small
    assert _more(_analyses(services), before) == []  # 2 objects written: under the threshold
    large = run_import(api, {"path": upload(api, bulk_package(5)), "sameNamePolicy": "SKIP"})
    assert large["status"] == "SUCCESSFUL", large
    assert _analysed_since(services, before) == sorted(import_repo.GROWN_BY_IMPORT)
