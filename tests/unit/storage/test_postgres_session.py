"""PostgreSQL sessions compress stored definitions with lz4 when the server offers it, and know
whether their database orders text by code point (as SQLite and Python do)."""

from __future__ import annotations

import pytest
from sqlalchemy import column, select, table

from jobferry.services.container import Services
from jobferry.storage import Database
from jobferry.storage.tx import Tx
from support.builders import make_job
from support.clients import ADMIN_AK, PROJECT_ID
from support.databases import language_schema_url


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_definitions_are_compressed_with_lz4_when_the_server_has_it(services: Services) -> None:
    actor = services.accounts.actor_for(ADMIN_AK)
    ws = services.accounts.create_workspace(actor, PROJECT_ID, "toast")
    scope = services.accounts.scope(actor, PROJECT_ID, ws)
    job = make_job("long_job")
    job["params"] = [
        {"name": f"p{k}", "value": f"value number {k} of a long job", "type": "variable"}
        for k in range(200)
    ]
    services.jobs.create(scope, job)
    with services.db.engine.connect() as conn:
        offered = conn.exec_driver_sql(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
        ).scalar()
        setting = conn.exec_driver_sql("SHOW default_toast_compression").scalar()
        stored = conn.exec_driver_sql(
            "SELECT pg_column_compression(document) FROM jobs WHERE name = 'long_job'"
        ).scalar()
    expected = "lz4" if offered else "pglz"
    assert (setting, stored) == (expected, expected)


def _name_order(db: Database) -> str:
    with db.engine.connect() as conn:
        names = table("jobs", column("name"))
        query = select(names.c.name).order_by(Tx(conn).by_name(names.c.name))
        return str(query.compile(conn)).split("ORDER BY ")[1]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_database_that_orders_by_code_point_keeps_its_name_indexes(services: Services) -> None:
    assert _name_order(services.db) == "jobs.name"  # the test server's database is C.UTF-8


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_database_in_a_languages_order_is_ordered_by_code_point(database_url: str) -> None:
    for url in language_schema_url():
        db = Database(url)
        try:
            assert _name_order(db) == 'jobs.name COLLATE "C"'
        finally:
            db.dispose()
