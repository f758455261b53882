"""PostgreSQL sessions compress stored definitions with lz4 when the server offers it."""

from __future__ import annotations

import pytest

from jobferry.services.container import Services
from support.builders import make_job
from support.clients import ADMIN_AK, PROJECT_ID


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
