"""Telling no space left apart from other failures, wherever it was raised."""

from __future__ import annotations

import errno
import pickle
import sqlite3

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from jobferry.errors import StoreFullError
from jobferry.space import Store, full_error, writing


def test_no_space_on_a_file_system_names_the_store_and_what_was_written() -> None:
    full = full_error(OSError(errno.ENOSPC, "No space left on device"), Store.PACKAGES, "p.zip")
    assert full is not None
    assert full.status == 507
    assert full.code == "DLF.9507"
    assert full.message.startswith("The package store is full: no space was left for p.zip.")
    assert full.context == {"store": "packages", "writing": "p.zip"}


def test_a_full_quota_is_a_full_store_too() -> None:
    assert full_error(OSError(errno.EDQUOT, "Disk quota exceeded"), Store.SCRATCH, "x")


def test_sqlite_full_in_the_package_index_is_the_store_given() -> None:
    full = full_error(sqlite3.OperationalError("database or disk is full"), Store.SCRATCH, "x")
    assert full is not None
    assert full.context["store"] == "scratch"


def test_a_full_database_behind_sqlalchemy_is_the_database() -> None:
    wrapped = OperationalError("INSERT", {}, sqlite3.OperationalError("database or disk is full"))
    full = full_error(wrapped, Store.SCRATCH, "x")
    assert full is not None
    assert full.context["store"] == "database"


def test_no_space_sent_back_by_a_helper_process_is_recognised() -> None:
    travelled = pickle.loads(pickle.dumps(OSError(errno.ENOSPC, "No space left on device")))
    assert full_error(travelled, Store.SCRATCH, "x") is not None
    as_text = RuntimeError(repr(OSError(errno.ENOSPC, "No space left on device")))
    assert full_error(as_text, Store.SCRATCH, "x") is not None


def test_a_cause_further_down_the_chain_is_found() -> None:
    inner = OSError(errno.ENOSPC, "No space left on device")
    outer = ValueError("writing failed")
    outer.__cause__ = inner
    assert full_error(outer, Store.UPLOADS, "x") is not None


def test_other_failures_are_not_a_full_store() -> None:
    assert full_error(OSError(errno.EACCES, "Permission denied"), Store.SCRATCH, "x") is None
    assert full_error(sqlite3.OperationalError("no such table: t"), Store.SCRATCH, "x") is None
    with pytest.raises(PermissionError), writing(Store.SCRATCH, "x"):
        raise PermissionError(errno.EACCES, "Permission denied")


def test_writing_turns_a_full_store_into_the_refusal() -> None:
    with pytest.raises(StoreFullError) as caught, writing(Store.SCRATCH, "the index"):
        raise OSError(errno.ENOSPC, "No space left on device")
    assert caught.value.context["writing"] == "the index"
    assert isinstance(caught.value.__cause__, OSError)


def test_a_real_sqlite_database_that_cannot_grow_is_a_full_store() -> None:
    engine = sa.create_engine("sqlite://")
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA max_page_count = 2")
        conn.exec_driver_sql("CREATE TABLE t (v TEXT)")
        with pytest.raises(StoreFullError) as caught, writing(Store.DATABASE, "rows"):
            conn.exec_driver_sql("INSERT INTO t VALUES (?)", (("x" * 100_000),))
    assert caught.value.context["store"] == "database"
