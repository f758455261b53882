"""Which databases a test runs on.

The fixtures that give a test its database or its server (``database_url`` and
``empty_database_url`` in tests/conftest.py, ``server`` of the CLI, end-to-end and Terraform
tests) have a SQLite and a PostgreSQL variant. Where the two databases can differ (locking,
sequences, transactions, what a query orders or refuses) is the storage and the services above
it: the tests of ``tests/unit`` and ``tests/api`` run on both. The adapters above the API see
the same answers from either (every time is stored as an integer of milliseconds, every record
is the same typed value), so the tests of the CLI, the console, the clients and the end-to-end
wire stories run on SQLite only.

A test says otherwise with the ``databases`` mark: ``@pytest.mark.databases("sqlite",
"postgresql")`` on an adapter's test whose behaviour depends on the database (a server killed
and started again on it), ``@pytest.mark.databases("sqlite")`` on a service or API test that
shows nothing of the database (a wire story against a second server, whose pushes the service
tests run on both). A variant left out is deselected, and the run says how many.

A run can be limited to some databases with ``--databases`` (``--databases sqlite``): the fast
tier (``make test-fast``) runs on SQLite, the embedded default; ``make test`` on both.
"""

from __future__ import annotations

from pathlib import Path

import pytest

BACKENDS = ("sqlite", "postgresql")
BACKEND_FIXTURES = ("database_url", "empty_database_url", "server")
"""The fixtures whose parameter is the database, one of ``BACKENDS``."""

SQLITE_ONLY_FOLDERS = ("cli", "console", "clients", "e2e")
"""The folders of ``tests/`` whose tests run on SQLite unless marked."""


def runs_on(item: pytest.Item, tests_root: Path) -> tuple[str, ...]:
    """The databases ``item``'s test runs on: its ``databases`` mark's, else its folder's."""
    mark = item.get_closest_marker("databases")
    if mark is not None:
        if not mark.args or not set(mark.args) <= set(BACKENDS):
            raise pytest.UsageError(f"{item.nodeid}: databases{mark.args}: name {BACKENDS}")
        return tuple(mark.args)
    folder = item.path.relative_to(tests_root).parts[0]
    if folder in SQLITE_ONLY_FOLDERS:
        return ("sqlite",)
    return BACKENDS


def chosen(option: str | None) -> tuple[str, ...]:
    """The databases the run is limited to (``--databases sqlite``, comma-separated; all of
    ``BACKENDS`` when not given)."""
    if not option:
        return BACKENDS
    names = tuple(name.strip() for name in option.split(",") if name.strip())
    if not names or not set(names) <= set(BACKENDS):
        raise pytest.UsageError(f"--databases {option}: name some of {', '.join(BACKENDS)}")
    return names


def left_out(
    items: list[pytest.Item], tests_root: Path, run_on: tuple[str, ...] = BACKENDS
) -> list[pytest.Item]:
    """The variants of ``items`` on a database their test does not run on, or that the run
    leaves out (``run_on``: the databases of ``--databases``)."""
    out = []
    for item in items:
        params = getattr(item, "callspec", None)
        if params is None:
            continue
        backends = {params.params.get(name) for name in BACKEND_FIXTURES} & set(BACKENDS)
        if backends and not backends <= set(runs_on(item, tests_root)) & set(run_on):
            out.append(item)
    return out
