"""Migrations that change existing tables keep their rows, both ways, on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from jobferry.storage import Database
from jobferry.storage.database import MIGRATIONS_DIR
from jobferry.storage.schema import current_revision, head_revision


def _config(conn: sa.Connection) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = conn
    return cfg


def _migrate(db: Database, revision: str, *, down: bool = False) -> None:
    with db.engine.begin() as conn:
        cfg = _config(conn)
        (command.downgrade if down else command.upgrade)(cfg, revision)


def _workspace(conn: sa.Connection) -> None:
    """Project 'p' with workspace 'w' (as every revision since 0001 stores them)."""
    conn.exec_driver_sql("INSERT INTO projects (id, name, created_at) VALUES ('p', 'p', 0)")
    conn.exec_driver_sql(
        "INSERT INTO workspaces (id, project_id, name, is_default, lock_policy, "
        "approval_enabled, created_at) VALUES ('w', 'p', 'w', FALSE, 'soft', FALSE, 0)"
    )


def _job(conn: sa.Connection, job_id: int, name: str, directory: str = "/") -> None:
    """A stopped job of workspace 'w' with the columns every revision before 0011 has."""
    conn.exec_driver_sql(
        "INSERT INTO jobs (id, workspace_id, name, directory, process_type, status, document, "
        "created_at, created_by, updated_at, updated_by) VALUES "
        f"({job_id}, 'w', '{name}', '{directory}', 'BATCH', 'STOPPED', '{{}}', 0, 'a', 0, 'a')"
    )


def _job_ref_keys(db: Database) -> list[dict[str, object]]:
    return sa.inspect(db.engine).get_foreign_keys("job_refs")


def test_0005_drops_the_job_refs_foreign_key_and_keeps_the_rows(empty_database_url: str) -> None:
    db = Database(empty_database_url)
    try:
        _migrate(db, "0004")
        assert [k["referred_table"] for k in _job_ref_keys(db)] == ["jobs"]
        with db.engine.begin() as conn:
            _workspace(conn)
            _job(conn, 7, "j", "/")
            conn.exec_driver_sql(
                "INSERT INTO job_refs (job_id, kind, name, ref_workspace) "
                "VALUES (7, 'script', 's', '')"
            )

        _migrate(db, "head")

        assert current_revision(db) == head_revision()
        assert _job_ref_keys(db) == []
        indexes = {i["name"] for i in sa.inspect(db.engine).get_indexes("job_refs")}
        assert {"ix_job_refs_lookup", "ix_job_refs_job"} <= indexes
        with db.engine.begin() as conn:
            rows = conn.exec_driver_sql("SELECT job_id, kind, name FROM job_refs").all()
            assert [tuple(r) for r in rows] == [(7, "script", "s")]
            # Rows of jobs that are gone can exist now (nothing refuses them) ...
            conn.exec_driver_sql(
                "INSERT INTO job_refs (job_id, kind, name, ref_workspace) "
                "VALUES (8, 'script', 'orphan', '')"
            )

        # ... and going back drops them before the foreign key returns.
        _migrate(db, "0004", down=True)

        assert [k["referred_table"] for k in _job_ref_keys(db)] == ["jobs"]
        with db.engine.begin() as conn:
            rows = conn.exec_driver_sql("SELECT job_id, name FROM job_refs").all()
            assert [tuple(r) for r in rows] == [(7, "s")]
    finally:
        db.dispose()


def test_0006_gives_environment_objects_a_side_and_an_id_and_keeps_them(
    empty_database_url: str,
) -> None:
    db = Database(empty_database_url)
    try:
        _migrate(db, "0005")
        with db.engine.begin() as conn:
            _workspace(conn)
            for name in ("a", "b"):
                conn.exec_driver_sql(
                    "INSERT INTO environment_objects (workspace_id, kind, name, type, config, "
                    f"created_at, updated_at, updated_by) VALUES ('w', 'connection', '{name}', "
                    "'DWS', '{}', 0, 0, 'alice')"
                )
            conn.exec_driver_sql(
                "INSERT INTO environment_secrets (workspace_id, kind, name, secret_keys, "
                "secrets_encrypted) VALUES ('w', 'connection', 'a', '[\"password\"]', 'x')"
            )

        _migrate(db, "head")

        with db.engine.begin() as conn:
            rows = conn.exec_driver_sql(
                "SELECT name, env, object_id, created_by, description FROM environment_objects "
                "ORDER BY name"
            ).all()
            assert [(r[0], r[1], r[3], r[4]) for r in rows] == [
                ("a", "development", "alice", ""),
                ("b", "development", "alice", ""),
            ]
            assert len({r[2] for r in rows}) == 2
            assert all(len(r[2]) == 32 for r in rows)
            assert conn.exec_driver_sql("SELECT env FROM environment_secrets").scalar() == (
                "development"
            )
            conn.exec_driver_sql(
                "INSERT INTO environment_objects (workspace_id, kind, name, env, type, config, "
                "created_at, updated_at, updated_by, object_id) VALUES ('w', 'connection', 'a', "
                "'production', 'DWS', '{}', 0, 0, 'bob', 'ffffffffffffffffffffffffffffffff')"
            )

        _migrate(db, "0005", down=True)

        with db.engine.begin() as conn:
            rows = conn.exec_driver_sql(
                "SELECT name, updated_by FROM environment_objects ORDER BY name"
            ).all()
            assert [tuple(r) for r in rows] == [("a", "alice"), ("b", "alice")]
            secrets = conn.exec_driver_sql("SELECT name FROM environment_secrets").all()
            assert [tuple(r) for r in secrets] == [("a",)]
    finally:
        db.dispose()


def test_0009_indexes_folders_and_keeps_the_rows_both_ways(empty_database_url: str) -> None:
    db = Database(empty_database_url)
    folder_indexes = {"jobs": "ix_jobs_folder", "scripts": "ix_scripts_folder"}
    folder_indexes["resources"] = "ix_resources_folder"
    try:
        _migrate(db, "0008")
        with db.engine.begin() as conn:
            _workspace(conn)
            _job(conn, 7, "j", "/etl")

        _migrate(db, "0009")

        inspector = sa.inspect(db.engine)
        for table, index in folder_indexes.items():
            assert index in {i["name"] for i in inspector.get_indexes(table)}
        with db.engine.begin() as conn:
            assert conn.exec_driver_sql("SELECT name, directory FROM jobs").all() == [("j", "/etl")]

        _migrate(db, "0008", down=True)

        inspector = sa.inspect(db.engine)
        for table, index in folder_indexes.items():
            assert index not in {i["name"] for i in inspector.get_indexes(table)}
        with db.engine.begin() as conn:
            assert conn.exec_driver_sql("SELECT name FROM jobs").all() == [("j",)]
    finally:
        db.dispose()


def test_0012_gives_tasks_their_caller_and_an_index_of_running_ones_and_keeps_them(
    empty_database_url: str,
) -> None:
    db = Database(empty_database_url)
    try:
        _migrate(db, "0011")
        with db.engine.begin() as conn:
            _workspace(conn)
            for task, status in (("t1", "RUNNING"), ("t2", "SUCCESSFUL")):
                conn.exec_driver_sql(
                    "INSERT INTO system_tasks (id, project_id, workspace_id, kind, name, status, "
                    "progress, created_by, start_time, last_update, owner) VALUES "
                    f"('{task}', 'p', 'w', 'import', 'i', '{status}', 0, 'alice', 1, 1, 'x')"
                )

        _migrate(db, "head")

        indexes = {i["name"] for i in sa.inspect(db.engine).get_indexes("system_tasks")}
        assert "ix_system_tasks_running" in indexes
        with db.engine.begin() as conn:
            rows = conn.exec_driver_sql(
                "SELECT id, status, owner, actor FROM system_tasks ORDER BY id"
            ).all()
            assert [tuple(r) for r in rows] == [
                ("t1", "RUNNING", "x", None),
                ("t2", "SUCCESSFUL", "x", None),
            ]

        _migrate(db, "0011", down=True)

        indexes = {i["name"] for i in sa.inspect(db.engine).get_indexes("system_tasks")}
        assert "ix_system_tasks_running" not in indexes
        with db.engine.begin() as conn:
            rows = conn.exec_driver_sql("SELECT id, status FROM system_tasks ORDER BY id").all()
            assert [tuple(r) for r in rows] == [("t1", "RUNNING"), ("t2", "SUCCESSFUL")]
    finally:
        db.dispose()


def test_0011_gives_every_job_a_distinct_uid_and_keeps_the_rows_both_ways(
    empty_database_url: str,
) -> None:
    db = Database(empty_database_url)
    try:
        _migrate(db, "0010")
        with db.engine.begin() as conn:
            _workspace(conn)
            for job_id in (7, 8, 9):
                _job(conn, job_id, f"j{job_id}")

        _migrate(db, "0011")

        with db.engine.begin() as conn:
            rows = conn.exec_driver_sql("SELECT name, uid FROM jobs ORDER BY name").all()
        assert [r[0] for r in rows] == ["j7", "j8", "j9"]
        uids = {r[1] for r in rows}
        assert len(uids) == 3
        assert all(len(u) == 32 for u in uids)
        tables = set(sa.inspect(db.engine).get_table_names())
        assert {"promotion_ledger", "deletions", "promotion_exports"} <= tables

        _migrate(db, "0010", down=True)

        assert "uid" not in {c["name"] for c in sa.inspect(db.engine).get_columns("jobs")}
        assert "promotion_ledger" not in set(sa.inspect(db.engine).get_table_names())
        with db.engine.begin() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM jobs").scalar() == 3
    finally:
        db.dispose()


def test_0015_gives_ledger_rows_the_package_of_their_import_and_keeps_them_both_ways(
    empty_database_url: str,
) -> None:
    sha = "ab" * 32
    db = Database(empty_database_url)
    try:
        _migrate(db, "0014")
        with db.engine.begin() as conn:
            _workspace(conn)
            results = {"t1": f'{{"packageSha256": "{sha}", "written": 1}}', "t2": '{"plan": {}}'}
            for task, result in results.items():
                conn.exec_driver_sql(
                    "INSERT INTO system_tasks (id, project_id, workspace_id, kind, name, status, "
                    "progress, result, created_by, start_time, last_update) VALUES "
                    f"('{task}', 'p', 'w', 'import', 'i', 'SUCCESSFUL', 100, '{result}', 'a', 1, 1)"
                )
            for uid, task in (("u1", "t1"), ("u2", "t2"), ("u3", "gone")):
                conn.execute(
                    sa.text(
                        "INSERT INTO promotion_ledger (target_workspace_id, source_workspace_id, "
                        "kind, source_uid, target_uid, name, written_sha256, written, source, "
                        "task_id, recorded_at) VALUES ('w', 's', 'job', :uid, :uid, :uid, 'x', "
                        ":blob, :blob, :task, 1)"
                    ),
                    {"uid": uid, "task": task, "blob": b"z"},
                )

        _migrate(db, "0015")

        with db.engine.begin() as conn:
            rows = conn.exec_driver_sql(
                "SELECT source_uid, package_sha256 FROM promotion_ledger ORDER BY source_uid"
            ).all()
        assert [tuple(r) for r in rows] == [("u1", sha), ("u2", None), ("u3", None)]

        _migrate(db, "0014", down=True)

        columns = {c["name"] for c in sa.inspect(db.engine).get_columns("promotion_ledger")}
        assert "package_sha256" not in columns
        with db.engine.begin() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM promotion_ledger").scalar() == 3
    finally:
        db.dispose()


def test_0017_says_which_way_a_promotion_was_carried_and_keeps_them_both_ways(
    empty_database_url: str,
) -> None:
    db = Database(empty_database_url)
    try:
        _migrate(db, "0016")
        with db.engine.begin() as conn:
            _workspace(conn)
            conn.exec_driver_sql(
                "INSERT INTO route_promotions (id, project_id, route, route_version, "
                "snapshot_at, since, package_path, package_sha256, jobs, deletions, plan_id, "
                "task_id, created_at, created_by) VALUES ('r1', 'p', 'test-prod', 1, 5, NULL, "
                "'upload://u', 'ab', 2, 0, NULL, NULL, 5, 'a')"
            )

        _migrate(db, "0017")

        with db.engine.begin() as conn:
            rows = conn.exec_driver_sql("SELECT id, jobs, carried FROM route_promotions").all()
            assert [tuple(r) for r in rows] == [("r1", 2, None)]
            conn.exec_driver_sql("UPDATE route_promotions SET carried = 'out'")

        _migrate(db, "0016", down=True)

        columns = {c["name"] for c in sa.inspect(db.engine).get_columns("route_promotions")}
        assert "carried" not in columns
        with db.engine.begin() as conn:
            rows = conn.exec_driver_sql("SELECT id, jobs FROM route_promotions").all()
        assert [tuple(r) for r in rows] == [("r1", 2)]
    finally:
        db.dispose()


def test_0020_gives_remotes_a_studio_endpoint_and_keeps_them_both_ways(
    empty_database_url: str,
) -> None:
    db = Database(empty_database_url)
    try:
        _migrate(db, "0019")
        with db.engine.begin() as conn:
            _workspace(conn)
            conn.exec_driver_sql(
                "INSERT INTO remotes (project_id, name, workspace_id, endpoint, "
                "remote_project_id, remote_workspace, access_key, secret_encrypted, created_at, "
                "created_by) VALUES ('p', 'prod', 'w', 'https://dlf', 'rp', 'rw', 'AK', 'x', 5, "
                "'a')"
            )

        _migrate(db, "0020")

        with db.engine.begin() as conn:
            rows = conn.exec_driver_sql("SELECT name, endpoint, studio_endpoint FROM remotes").all()
            assert [tuple(r) for r in rows] == [("prod", "https://dlf", None)]
            conn.exec_driver_sql("UPDATE remotes SET studio_endpoint = 'https://dayu'")

        _migrate(db, "0019", down=True)

        columns = {c["name"] for c in sa.inspect(db.engine).get_columns("remotes")}
        assert "studio_endpoint" not in columns
        with db.engine.begin() as conn:
            rows = conn.exec_driver_sql("SELECT name, endpoint FROM remotes").all()
        assert [tuple(r) for r in rows] == [("prod", "https://dlf")]
    finally:
        db.dispose()


def test_0021_records_what_a_promotion_overrode_and_keeps_them_both_ways(
    empty_database_url: str,
) -> None:
    db = Database(empty_database_url)
    try:
        _migrate(db, "0020")
        with db.engine.begin() as conn:
            _workspace(conn)
            conn.exec_driver_sql(
                "INSERT INTO route_promotions (id, project_id, route, route_version, "
                "snapshot_at, since, package_path, package_sha256, jobs, deletions, plan_id, "
                "task_id, created_at, created_by, carried) VALUES ('r1', 'p', 'test-prod', 1, 5, "
                "NULL, 'upload://u', 'ab', 2, 0, 'pl', 't1', 5, 'a', NULL)"
            )

        _migrate(db, "0021")

        with db.engine.begin() as conn:
            rows = conn.exec_driver_sql("SELECT id, task_id, overrides FROM route_promotions")
            assert [tuple(r) for r in rows.all()] == [("r1", "t1", None)]
            conn.exec_driver_sql('UPDATE route_promotions SET overrides = \'{"by": "a"}\'')

        _migrate(db, "0020", down=True)

        columns = {c["name"] for c in sa.inspect(db.engine).get_columns("route_promotions")}
        assert "overrides" not in columns
        with db.engine.begin() as conn:
            rows = conn.exec_driver_sql("SELECT id, task_id FROM route_promotions")
            assert [tuple(r) for r in rows.all()] == [("r1", "t1")]
    finally:
        db.dispose()


def test_0034_counts_a_promotion_s_scripts_and_resources_and_keeps_them_both_ways(
    empty_database_url: str,
) -> None:
    db = Database(empty_database_url)
    try:
        _migrate(db, "0033")
        with db.engine.begin() as conn:
            _workspace(conn)
            conn.exec_driver_sql(
                "INSERT INTO route_promotions (id, project_id, route, route_version, "
                "snapshot_at, since, package_path, package_sha256, jobs, deletions, plan_id, "
                "task_id, created_at, created_by, carried) VALUES ('r1', 'p', 'test-prod', 1, 5, "
                "NULL, 'upload://u', 'ab', 2, 0, 'pl', 't1', 5, 'a', NULL)"
            )

        _migrate(db, "0034")

        with db.engine.begin() as conn:
            rows = conn.exec_driver_sql("SELECT id, jobs, scripts, resources FROM route_promotions")
            assert [tuple(r) for r in rows.all()] == [("r1", 2, None, None)]  # not counted then
            conn.exec_driver_sql("UPDATE route_promotions SET scripts = 3, resources = 1")

        _migrate(db, "0033", down=True)

        columns = {c["name"] for c in sa.inspect(db.engine).get_columns("route_promotions")}
        assert not {"scripts", "resources"} & columns
        with db.engine.begin() as conn:
            rows = conn.exec_driver_sql("SELECT id, jobs FROM route_promotions")
            assert [tuple(r) for r in rows.all()] == [("r1", 2)]
    finally:
        db.dispose()


def test_0035_stamps_no_task_as_dropped_and_forgets_the_stamps_going_back(
    empty_database_url: str,
) -> None:
    db = Database(empty_database_url)
    try:
        _migrate(db, "0034")
        with db.engine.begin() as conn:
            _workspace(conn)
            conn.exec_driver_sql(
                "INSERT INTO system_tasks (id, project_id, workspace_id, kind, name, status, "
                "progress, created_by, start_time, end_time, last_update) VALUES "
                "('t1', 'p', 'w', 'import', 'i', 'SUCCESSFUL', 100, 'a', 1, 2, 2)"
            )

        _migrate(db, "0035")

        with db.engine.begin() as conn:
            rows = conn.exec_driver_sql(
                "SELECT id, lines_dropped_at, lines_kept_days, lines_dropped FROM system_tasks"
            )
            assert [tuple(r) for r in rows.all()] == [("t1", None, None, None)]  # kept
            conn.exec_driver_sql("UPDATE system_tasks SET lines_dropped_at = 9, lines_dropped = 3")
            conn.exec_driver_sql(
                'INSERT INTO dropped_audit (id, "before", dropped_at, kept_days) '
                "VALUES (1, 5, 9, 7)"
            )

        _migrate(db, "0034", down=True)

        columns = {c["name"] for c in sa.inspect(db.engine).get_columns("system_tasks")}
        assert not {"lines_dropped_at", "lines_kept_days", "lines_dropped"} & columns
        assert "dropped_audit" not in sa.inspect(db.engine).get_table_names()
        with db.engine.begin() as conn:
            rows = conn.exec_driver_sql("SELECT id, status FROM system_tasks")
            assert [tuple(r) for r in rows.all()] == [("t1", "SUCCESSFUL")]
    finally:
        db.dispose()


def test_0038_gives_every_push_no_wait_and_hands_a_waiting_one_back_as_unclaimed(
    empty_database_url: str,
) -> None:
    db = Database(empty_database_url)
    try:
        _migrate(db, "0035")
        with db.engine.begin() as conn:
            _workspace(conn)
            conn.exec_driver_sql(
                "INSERT INTO remote_pushes (task_id, project_id, workspace_id, remote, state, "
                "owner, started_at, ended_at) VALUES ('t1', 'p', 'w', 'prod', 'recovering', "
                "'proc', 1, NULL)"
            )

        _migrate(db, "0038")

        with db.engine.begin() as conn:
            rows = conn.exec_driver_sql(
                "SELECT task_id, state, retry_at, tries, last_error FROM remote_pushes"
            )
            assert [tuple(r) for r in rows.all()] == [("t1", "recovering", None, 0, None)]
            conn.exec_driver_sql(
                "UPDATE remote_pushes SET state = 'waiting', retry_at = 9, tries = 2, "
                "last_error = 'refused'"
            )

        _migrate(db, "0035", down=True)

        columns = {c["name"] for c in sa.inspect(db.engine).get_columns("remote_pushes")}
        assert not {"retry_at", "tries", "last_error"} & columns
        with db.engine.begin() as conn:
            rows = conn.exec_driver_sql("SELECT task_id, state, owner FROM remote_pushes")
            assert [tuple(r) for r in rows.all()] == [("t1", "recovering", None)]
    finally:
        db.dispose()
