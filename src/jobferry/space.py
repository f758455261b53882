"""A full store is the operator's to mend, not an internal error.

A write that finds no space left (``ENOSPC``, ``EDQUOT``; SQLite's "database or disk is full";
PostgreSQL's ``disk_full``, SQLSTATE 53100) becomes :class:`~jobferry.errors.StoreFullError`,
naming the store and what was being written: the place that writes wraps the write in
:func:`writing`, and a task's last resort asks :func:`full_error`. The failure may come from a
helper process (pickled back with its errno, or as its text) or through SQLAlchemy (the
driver's error as ``orig``), so the whole chain of causes is searched.
"""

from __future__ import annotations

import errno
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum

from jobferry.errors import StoreFullError

_NO_SPACE = frozenset({errno.ENOSPC, errno.EDQUOT})
_NO_SPACE_TEXT = ("No space left on device", "database or disk is full", "Disk quota exceeded")
_PG_DISK_FULL = "53100"


class Store(StrEnum):
    """Where jobferry writes; the value goes in the error envelope's ``store`` field."""

    DATABASE = "database"
    PACKAGES = "packages"
    UPLOADS = "uploads"
    SCRATCH = "scratch"


_WHERE = {
    Store.DATABASE: ("The database", "where the database keeps its files (JOBFERRY_DATABASE_URL)"),
    Store.PACKAGES: ("The package store", "the packages folder of JOBFERRY_DATA_DIR"),
    Store.UPLOADS: ("The upload store", "the uploads folder of JOBFERRY_DATA_DIR"),
    Store.SCRATCH: ("The scratch folder", "the tmp folder of JOBFERRY_DATA_DIR"),
}


def _causes(exc: BaseException) -> Iterator[tuple[BaseException, bool]]:
    """``exc`` and what it wraps, each with whether the database driver raised it."""
    pending: list[tuple[BaseException, bool]] = [(exc, False)]
    seen: set[int] = set()
    while pending:
        current, from_db = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        orig = getattr(current, "orig", None)  # SQLAlchemy's DBAPIError: the driver's error
        from_db = from_db or isinstance(orig, BaseException)
        yield current, from_db
        if isinstance(orig, BaseException):
            pending.append((orig, True))
        for linked in (current.__cause__, current.__context__):
            if linked is not None:
                pending.append((linked, from_db))


def _no_space(exc: BaseException) -> bool:
    if isinstance(exc, OSError) and exc.errno in _NO_SPACE:
        return True
    if isinstance(exc, sqlite3.Error) and getattr(exc, "sqlite_errorcode", None) == 13:
        return True  # SQLITE_FULL
    if _PG_DISK_FULL in (getattr(exc, "sqlstate", None), getattr(exc, "pgcode", None)):
        return True
    text = str(exc)
    return any(words in text for words in _NO_SPACE_TEXT)


def full_error(exc: BaseException, store: Store, writing: str) -> StoreFullError | None:
    """``exc`` as a full store (``store``, or the database when the database driver raised
    it) while ``writing``; ``None`` when it is some other failure."""
    for cause, from_db in _causes(exc):
        if _no_space(cause):
            return store_full(Store.DATABASE if from_db else store, writing)
    return None


def store_full(store: Store, writing: str) -> StoreFullError:
    """The refusal for ``store`` having no space for ``writing``."""
    name, where = _WHERE[store]
    return StoreFullError(
        f"{name} is full: no space was left for {writing}. Nothing half-written was kept; "
        f"free space in {where} and try again.",
        store=str(store),
        writing=writing,
    )


@contextmanager
def writing(store: Store, what: str) -> Iterator[None]:
    """Run a write to ``store``; no space left becomes :class:`StoreFullError` naming
    ``what`` (the caller removes what it had begun)."""
    try:
        yield
    except StoreFullError:
        raise
    except Exception as exc:
        full = full_error(exc, store, what)
        if full is None:
            raise
        raise full from exc
