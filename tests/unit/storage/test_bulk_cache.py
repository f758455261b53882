"""A bulk transaction (an import, a rollback) has a page cache of its own on SQLite: with
SQLite's default 2 MiB, a 100,000-job import evicted and read back index pages over a million
times. Every other transaction, and the connection once the bulk one ends, keep the default."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from jobferry.storage import Database
from jobferry.storage.database import BULK_CACHE_KIB, DEFAULT_CACHE_KIB


def _cache_size(db: Database, **options: bool) -> int:
    with db.transaction(**options) as tx:
        return int(tx.conn.exec_driver_sql("PRAGMA cache_size").scalar_one())


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'x.db'}")
    yield database
    database.dispose()


def test_a_bulk_transaction_has_the_bulk_cache(db: Database) -> None:
    assert _cache_size(db, bulk=True) == -BULK_CACHE_KIB


def test_other_transactions_keep_the_default_cache(db: Database) -> None:
    assert _cache_size(db) == -DEFAULT_CACHE_KIB
    assert _cache_size(db, readonly=True) == -DEFAULT_CACHE_KIB


def test_the_cache_is_given_back_when_a_bulk_transaction_ends(db: Database) -> None:
    _cache_size(db, bulk=True)
    assert _cache_size(db) == -DEFAULT_CACHE_KIB  # the same pooled connection


def test_the_cache_is_given_back_when_a_bulk_transaction_fails(db: Database) -> None:
    with pytest.raises(RuntimeError), db.transaction(bulk=True):
        raise RuntimeError("the import failed")
    assert _cache_size(db) == -DEFAULT_CACHE_KIB
