"""PostgreSQL sessions compress stored definitions with lz4 when the server offers it."""

from __future__ import annotations

from pathlib import Path

from builders import make_job
from conftest import ADMIN_AK, ADMIN_SK, PROJECT_ID
from jobferry.services.container import Services
from jobferry.settings import Settings
from jobferry.storage import Database
from jobferry.storage.schema import upgrade


def test_definitions_are_compressed_with_lz4_when_the_server_has_it(
    pg_schema_url: str, tmp_path: Path
) -> None:
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=pg_schema_url,
        project_id=PROJECT_ID,
        admin_ak=ADMIN_AK,
        admin_sk=ADMIN_SK,
    )
    db = Database(settings.resolved_database_url())
    try:
        upgrade(db)
        services = Services.build(settings, db)
        services.accounts.bootstrap(PROJECT_ID, ADMIN_AK, ADMIN_SK)
        actor = services.accounts.actor_for(ADMIN_AK)
        ws = services.accounts.create_workspace(actor, PROJECT_ID, "toast")
        scope = services.accounts.scope(actor, PROJECT_ID, ws)
        job = make_job("long_job")
        job["params"] = [
            {"name": f"p{k}", "value": f"value number {k} of a long job", "type": "variable"}
            for k in range(200)
        ]
        services.jobs.create(scope, job)
        with db.engine.connect() as conn:
            offered = conn.exec_driver_sql(
                "SELECT 'lz4' = ANY(enumvals) FROM pg_settings "
                "WHERE name = 'default_toast_compression'"
            ).scalar()
            setting = conn.exec_driver_sql("SHOW default_toast_compression").scalar()
            stored = conn.exec_driver_sql(
                "SELECT pg_column_compression(document) FROM jobs WHERE name = 'long_job'"
            ).scalar()
        expected = "lz4" if offered else "pglz"
        assert (setting, stored) == (expected, expected)
    finally:
        db.dispose()
