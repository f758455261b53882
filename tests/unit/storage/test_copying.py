"""``jobferry db copy`` below the command (``storage/copying.py``): a server's whole database
copied into an empty one of either kind comes back whole (every row of every table, each column
as it was) and serves as it did; the refusals (a target with rows, the same database, a source
behind the schema) and a row the target refuses leave the target without a row."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from jobferry.errors import DatabaseNotEmptyError, SameDatabaseError, StorageError
from jobferry.services.container import Services
from jobferry.settings import Settings
from jobferry.storage import Database, copying
from jobferry.storage.copying import copied_tables, copy_database, shown_url
from jobferry.storage.schema import current_revision, head_revision, revisions, upgrade
from support.accounts import new_user
from support.apps import api_app
from support.audits import entries_since
from support.builders import make_job
from support.clients import ADMIN_AK, ADMIN_SK, SignedClient
from support.databases import migrate
from support.exporting import seed
from support.importing import connected_workspace, run_import
from support.revisions import database_at

ROUTE = {
    "source": {"workspace": "default"},
    "target": {"workspace": "prod"},
    "propagateDeletes": True,
    "scheduling": "PAUSE_AND_RESTORE",
}

LIVED_IN = {
    "projects", "workspaces", "users", "credentials", "role_bindings", "jobs", "job_versions",
    "job_refs", "scripts", "script_versions", "resources", "environment_objects",
    "environment_secrets", "audit_log", "system_tasks",
    "route_versions", "route_promotions", "promotion_ledger", "signing_keys", "trusted_keys",
    "policies", "env_profiles", "uploads",
}  # fmt: skip
"""Tables :func:`a_servers_life` leaves rows in: the copy is shown on each."""


def promote(api: SignedClient, prod: str) -> dict[str, Any]:
    """Package route ``to-prod``, import it with the route's settings into ``prod`` and
    record the import on the promotion (as ``jobferry promote to-prod --apply``); the task."""
    made = api.call("POST", "/routes/to-prod/package").json()
    body = {"path": made["promotion"]["path"], **made["importOptions"]}
    task = run_import(api, body, workspace=prod)
    assert task["status"] == "SUCCESSFUL", task
    promotion = made["promotion"]["id"]
    recorded = api.call("POST", f"/routes/to-prod/promotions/{promotion}", {"taskId": task["id"]})
    assert recorded.status_code == 200, recorded.text
    return task


def a_servers_life(api: SignedClient) -> tuple[str, str]:
    """Jobs, scripts, a resource and connections; a second workspace with a profile, a policy
    and a trusted key; a user with a key and a role; a route promoted twice (the ledger, the
    imports and their rollbacks). The workspace ``prod`` and the second promotion's task."""
    seed(api, ("daily_sales", "weekly_sales"))
    prod = connected_workspace(api)
    new_user(api, "ada", "developer", prod)
    key = api.call("POST", "/signing-key").json()
    trusted = {"name": "source", "publicKey": key["publicKey"]}
    assert api.call("POST", "/trusted-keys", trusted, workspace=prod).status_code == 200
    policy = {"description": "kept", "owners": ["*"]}
    assert api.call("PUT", "/policies/workspace", policy, workspace=prod).status_code == 200
    profile = {"params": {"env": "prod"}}
    assert api.call("PUT", "/profiles/prod", profile, workspace=prod).status_code == 200
    assert api.call("PUT", "/routes/to-prod", ROUTE).status_code == 200
    promote(api, prod)
    job = make_job("daily_sales", description="v2")
    job["nodes"][0]["properties"].append({"name": "resourceName", "value": "udf_jar"})
    assert api.call("PUT", "/jobs/daily_sales", job).status_code == 204
    second = promote(api, prod)
    return prod, str(second["id"])


def every_row(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every jobferry table, each column as the database gives it back with its
    Python type (``True`` and ``1`` are equal, a boolean and an integer not), in one order
    whatever the database."""
    with db.engine.connect() as conn:
        return {
            table.name: sorted(
                (
                    tuple((type(v).__name__, v) for v in row)
                    for row in conn.execute(sa.select(table))
                ),
                key=repr,
            )
            for table in copied_tables()
        }


def empty_database(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new, empty database of ``kind``."""
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'copy.db'}"
    url: str = request.getfixturevalue("pg_schema_url")
    return url


@pytest.fixture
def other_kind(request: pytest.FixtureRequest, database_url: str, tmp_path: Path) -> str:
    """An empty database of the other kind than the test's own: SQLite to PostgreSQL and
    PostgreSQL to SQLite."""
    kind = "postgresql" if database_url.startswith("sqlite") else "sqlite"
    return empty_database(kind, request, tmp_path)


@pytest.fixture
def opened(services: Services, other_kind: str) -> Iterator[Database]:
    target = Database(other_kind)
    yield target
    target.dispose()


@pytest.fixture
def at_head(services: Services, other_kind: str) -> Iterator[Database]:
    """An empty database of the other kind already at the newest schema, a copy of the tests'
    template (``support/databases.py``), for a test whose story is not the copy's upgrade of
    an empty target: that upgrade runs every migration again, about a second of CPU."""
    migrate(other_kind)
    target = Database(other_kind)
    yield target
    target.dispose()


@contextmanager
def serving(settings: Settings, opened: Database) -> Iterator[tuple[Services, SignedClient]]:
    """The services and a signed client over the copy, as a server started on it with the
    same settings (the same data folder: its secret key and package store). The test
    process's one app is wired to them: the source's client reaches the copy too."""
    moved = Services.build(settings.model_copy(update={"database_url": opened.url}), opened)
    moved.accounts.bootstrap(settings.project_id, settings.admin_ak, settings.admin_sk)
    with TestClient(api_app(moved), raise_server_exceptions=False) as client:
        yield moved, SignedClient(client, ADMIN_AK, ADMIN_SK)


def counts(db: Database) -> dict[str, int]:
    """Rows of every jobferry table the database has."""
    with db.engine.connect() as conn:
        present = set(sa.inspect(conn).get_table_names())
        return {
            t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
            for t in copied_tables()
            if t.name in present
        }


def test_a_servers_database_copied_to_the_other_kind_serves_the_same_objects(
    api: SignedClient,
    services: Services,
    settings: Settings,
    opened: Database,
) -> None:
    prod, second = a_servers_life(api)
    answered = answers(api, prod)
    audit = entries_since(services, 0)
    held = every_row(services.db)
    told: list[tuple[str, int]] = []

    copied = copy_database(services.db, opened, lambda name, rows: told.append((name, rows)))

    assert every_row(services.db) == held  # the source is only read
    assert told == list(copied.tables.items())
    assert [name for name, _ in told] == [t.name for t in copied_tables()]
    assert copied.rows == sum(len(rows) for rows in held.values())
    with serving(settings, opened) as (moved, moved_api):  # the one app, on the copy now
        assert answers(moved_api, prod) == answered
        assert entries_since(moved, 0) == audit
        undone = moved_api.call("POST", f"/system-tasks/{second}/rollback", {}, workspace=prod)
        assert undone.status_code == 200, undone.text
        shown = moved_api.call("GET", "/jobs/daily_sales", workspace=prod).json()
    assert answered[f"{prod} /jobs/daily_sales"]["description"] == "v2"
    assert "description" not in shown  # the copied import's rollback restored the first


def answers(api: SignedClient, prod: str) -> dict[str, Any]:
    """Both workspaces' jobs, a job, the users and the route's promotions as the API answers
    them, by workspace and path."""
    found: dict[str, Any] = {}
    for ws in (None, prod):
        for path in ("/jobs", "/jobs/daily_sales"):
            found[f"{ws} {path}"] = api.call("GET", path, workspace=ws).json()
    for path in ("/users", "/routes/to-prod/promotions"):
        found[path] = api.call("GET", path).json()
    return found


def test_new_rows_on_the_copy_take_ids_after_the_copied_ones(
    api: SignedClient,
    services: Services,
    settings: Settings,
    at_head: Database,
) -> None:
    seed(api, ("daily_sales", "weekly_sales"))
    new_user(api, "ada", "developer")
    copy_database(services.db, at_head)
    before = {name: ids(at_head, name) for name in ("jobs", "users", "audit_log")}

    with serving(settings, at_head) as (_, moved_api):
        assert moved_api.call("POST", "/jobs", make_job("monthly_sales")).status_code == 204
        new_user(moved_api, "bob", "developer")

    for name, kept in before.items():
        now = ids(at_head, name)
        assert now[: len(kept)] == kept, name
        assert min(now[len(kept) :]) > max(kept), name


def ids(db: Database, table: str) -> list[int]:
    with db.engine.connect() as conn:
        return list(conn.exec_driver_sql(f"SELECT id FROM {table} ORDER BY id").scalars())


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_every_row_of_every_table_arrives_with_each_column_as_it_was(
    api: SignedClient,
    services: Services,
    kind: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    a_servers_life(api)
    target = Database(empty_database(kind, request, tmp_path))
    monkeypatch.setattr(copying, "BATCH_ROWS", 7)  # tables of several batches and a part one

    copied = copy_database(services.db, target)

    source = every_row(services.db)
    try:
        assert every_row(target) == source
        assert {name for name, rows in source.items() if rows} >= LIVED_IN
        assert copied.tables == {name: len(rows) for name, rows in source.items()}
        assert current_revision(target) == head_revision()
    finally:
        target.dispose()


def test_a_target_holding_rows_is_refused_and_left_as_it_was(
    services: Services, at_head: Database
) -> None:
    copy_database(services.db, at_head)
    held = every_row(at_head)

    with pytest.raises(DatabaseNotEmptyError, match="already holds jobferry data") as refused:
        copy_database(services.db, at_head)

    assert refused.value.code == "DLF.9068"
    assert refused.value.context["table"] in {name for name, rows in held.items() if rows}
    assert "an empty database" in refused.value.message
    assert every_row(at_head) == held


def test_a_target_holding_rows_at_an_earlier_schema_is_refused_before_its_upgrade(
    services: Services, other_kind: str
) -> None:
    database_at(other_kind, revisions()[-2])
    target = Database(other_kind)
    with target.engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO projects (id, name, created_at) VALUES ('p', 'p', 0)"))
    try:
        with pytest.raises(DatabaseNotEmptyError, match="table projects has rows"):
            copy_database(services.db, target)
        assert current_revision(target) == revisions()[-2]
    finally:
        target.dispose()


def test_the_same_database_under_another_spelling_is_refused(services: Services) -> None:
    url = services.db.url
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        spelt = f"sqlite:///{path.parent / '..' / path.parent.name / path.name}"
    else:
        spelt = url.replace("postgresql+psycopg://", "postgres://", 1)
    same = Database(spelt)
    held = every_row(services.db)
    try:
        with pytest.raises(SameDatabaseError, match="cannot be copied into itself") as refused:
            copy_database(services.db, same)
    finally:
        same.dispose()
    assert refused.value.code == "DLF.9069"
    assert every_row(services.db) == held


def test_a_source_behind_the_schema_is_refused_naming_the_upgrade(
    empty_database_url: str, tmp_path: Path
) -> None:
    database_at(empty_database_url, revisions()[-2])
    source, target = Database(empty_database_url), Database(f"sqlite:///{tmp_path / 'to.db'}")
    try:
        with pytest.raises(StorageError, match="Run jobferry db upgrade on it first") as refused:
            copy_database(source, target)
        assert refused.value.code == "DLF.9503"
        assert f"schema revision {revisions()[-2]}" in refused.value.message
        assert current_revision(target) is None
        assert counts(target) == {}
    finally:
        source.dispose()
        target.dispose()


def refuse_rows_of(db: Database, table: str) -> None:
    """Make ``table`` of ``db`` refuse every row (a constraint added by hand)."""
    with db.engine.begin() as conn:
        if db.dialect == "sqlite":
            conn.exec_driver_sql(
                f"CREATE TRIGGER refuse BEFORE INSERT ON {table} "
                "BEGIN SELECT RAISE(ABORT, 'refused by hand'); END"
            )
        else:
            conn.exec_driver_sql(f"ALTER TABLE {table} ADD CONSTRAINT refuse CHECK (version < 0)")


def test_a_row_the_target_refuses_midway_leaves_it_without_a_row(
    api: SignedClient, services: Services, at_head: Database
) -> None:
    seed(api, ("daily_sales",))
    refuse_rows_of(at_head, "job_versions")  # one of the last tables copied

    with pytest.raises(StorageError, match="refused a row of table job_versions") as refused:
        copy_database(services.db, at_head)

    assert refused.value.context["table"] == "job_versions"
    assert "rolled back whole" in refused.value.message
    assert set(counts(at_head).values()) == {0}


def test_a_shown_url_hides_its_password_and_the_driver_jobferry_picked() -> None:
    url = "postgresql+psycopg://jf:s3cret@db.example:5432/jobferry?sslpassword=k3y&sslmode=require"
    shown = shown_url(url)
    assert "s3cret" not in shown
    assert "k3y" not in shown
    assert shown == ("postgresql://jf:***@db.example:5432/jobferry?sslmode=require&sslpassword=***")
    assert shown_url("sqlite:////srv/jobferry/jobferry.db") == "sqlite:////srv/jobferry/jobferry.db"


def test_the_copy_reads_the_source_at_one_moment_while_it_is_written(
    api: SignedClient, services: Services, at_head: Database
) -> None:
    seed(api, ("daily_sales",))
    held = every_row(services.db)
    written: list[str] = []

    def meanwhile(table: str, _rows: int) -> None:
        if not written:  # after the first table: a new job and its rows in later tables
            assert api.call("POST", "/jobs", make_job("late_sales")).status_code == 204
            written.append(table)

    copy_database(services.db, at_head, meanwhile)

    assert written == [copied_tables()[0].name]
    assert every_row(at_head) == held
    assert every_row(services.db) != held


def test_an_empty_source_is_refused_naming_the_servers_settings(
    empty_database_url: str, tmp_path: Path
) -> None:
    source, target = Database(empty_database_url), Database(f"sqlite:///{tmp_path / 'to.db'}")
    try:
        with pytest.raises(StorageError, match="holds no jobferry schema") as refused:
            copy_database(source, target)
        assert "with the server's own settings" in refused.value.message
        assert counts(target) == {}
        assert current_revision(source) is None
    finally:
        source.dispose()
        target.dispose()


def test_a_source_newer_than_this_jobferry_is_refused_naming_that(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'newer.db'}"
    source, target = Database(url), Database(f"sqlite:///{tmp_path / 'to.db'}")
    upgrade(source)
    with source.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    try:
        with pytest.raises(StorageError, match="this jobferry is older than the database"):
            copy_database(source, target)
        assert counts(target) == {}
    finally:
        source.dispose()
        target.dispose()
