"""Migrations that change existing tables keep their rows, both ways, on SQLite and PostgreSQL.

Each test is one migration's round trip (``support/migrations.py``): the rows made at the
revision before it, what the upgrade made of them, rows only the new schema holds, and what
the downgrade left."""

from __future__ import annotations

import hashlib
import importlib

import pytest

from support.migrations import job_row, round_trip, schema

PROMOTION_0020 = (
    "INSERT INTO route_promotions (id, project_id, route, route_version, snapshot_at, since, "
    "package_path, package_sha256, jobs, deletions, plan_id, task_id, created_at, created_by, "
    "carried) VALUES ('r1', 'p', 'test-prod', 1, 5, NULL, 'upload://u', 'ab', 2, 0, 'pl', 't1', "
    "5, 'a', NULL)"
)
"""A route's promotion of two jobs as revisions 0020 to 0033 store it (task 't1')."""


def test_0005_drops_the_job_refs_foreign_key_and_keeps_the_rows(empty_database_url: str) -> None:
    round_trip(
        empty_database_url,
        "0004",
        "head",
        made=[
            job_row(7, "j"),
            "INSERT INTO job_refs (job_id, kind, name, ref_workspace) "
            "VALUES (7, 'script', 's', '')",
        ],
        drops=schema(refers={"job_refs": ["jobs"]}),
        keeps=schema(indexes={"job_refs": ["ix_job_refs_lookup", "ix_job_refs_job"]}),
        upgraded={"SELECT job_id, kind, name FROM job_refs": [(7, "script", "s")]},
        # Rows of jobs that are gone can exist now (nothing refuses them) ...
        written=[
            "INSERT INTO job_refs (job_id, kind, name, ref_workspace) "
            "VALUES (8, 'script', 'orphan', '')"
        ],
        # ... and going back drops them before the foreign key returns.
        downgraded={"SELECT job_id, name FROM job_refs": [(7, "s")]},
    )


def test_0006_gives_environment_objects_a_side_and_an_id_and_keeps_them(
    empty_database_url: str,
) -> None:
    objects = [
        "INSERT INTO environment_objects (workspace_id, kind, name, type, config, created_at, "
        f"updated_at, updated_by) VALUES ('w', 'connection', '{name}', 'DWS', '{{}}', 0, 0, "
        "'alice')"
        for name in ("a", "b")
    ]
    round_trip(
        empty_database_url,
        "0005",
        "head",
        made=[
            *objects,
            "INSERT INTO environment_secrets (workspace_id, kind, name, secret_keys, "
            "secrets_encrypted) VALUES ('w', 'connection', 'a', '[\"password\"]', 'x')",
        ],
        upgraded={
            "SELECT name, env, created_by, description FROM environment_objects ORDER BY name": [
                ("a", "development", "alice", ""),
                ("b", "development", "alice", ""),
            ],
            "SELECT env FROM environment_secrets": [("development",)],
        },
        new_ids={"SELECT object_id FROM environment_objects": 2},
        written=[
            "INSERT INTO environment_objects (workspace_id, kind, name, env, type, config, "
            "created_at, updated_at, updated_by, object_id) VALUES ('w', 'connection', 'a', "
            "'production', 'DWS', '{}', 0, 0, 'bob', 'ffffffffffffffffffffffffffffffff')"
        ],
        downgraded={
            "SELECT name, updated_by FROM environment_objects ORDER BY name": [
                ("a", "alice"),
                ("b", "alice"),
            ],
            "SELECT name FROM environment_secrets": [("a",)],
        },
    )


def test_0009_indexes_folders_and_keeps_the_rows_both_ways(empty_database_url: str) -> None:
    round_trip(
        empty_database_url,
        "0008",
        "0009",
        made=[job_row(7, "j", "/etl")],
        adds=schema(
            indexes={
                "jobs": ["ix_jobs_folder"],
                "scripts": ["ix_scripts_folder"],
                "resources": ["ix_resources_folder"],
            }
        ),
        upgraded={"SELECT name, directory FROM jobs": [("j", "/etl")]},
        downgraded={"SELECT name FROM jobs": [("j",)]},
    )


def test_0012_gives_tasks_their_caller_and_an_index_of_running_ones_and_keeps_them(
    empty_database_url: str,
) -> None:
    round_trip(
        empty_database_url,
        "0011",
        "head",
        made=[
            "INSERT INTO system_tasks (id, project_id, workspace_id, kind, name, status, "
            "progress, created_by, start_time, last_update, owner) VALUES "
            f"('{task}', 'p', 'w', 'import', 'i', '{status}', 0, 'alice', 1, 1, 'x')"
            for task, status in (("t1", "RUNNING"), ("t2", "SUCCESSFUL"))
        ],
        adds=schema(indexes={"system_tasks": ["ix_system_tasks_running"]}),
        upgraded={
            "SELECT id, status, owner, actor FROM system_tasks ORDER BY id": [
                ("t1", "RUNNING", "x", None),
                ("t2", "SUCCESSFUL", "x", None),
            ]
        },
        downgraded={
            "SELECT id, status FROM system_tasks ORDER BY id": [
                ("t1", "RUNNING"),
                ("t2", "SUCCESSFUL"),
            ]
        },
    )


def test_0011_gives_every_job_a_distinct_uid_and_keeps_the_rows_both_ways(
    empty_database_url: str,
) -> None:
    round_trip(
        empty_database_url,
        "0010",
        "0011",
        made=[job_row(job_id, f"j{job_id}") for job_id in (7, 8, 9)],
        adds=schema(
            tables=["promotion_ledger", "deletions", "promotion_exports"],
            columns={"jobs": ["uid"]},
        ),
        upgraded={"SELECT name FROM jobs ORDER BY name": [("j7",), ("j8",), ("j9",)]},
        new_ids={"SELECT uid FROM jobs": 3},
        downgraded={"SELECT count(*) FROM jobs": [(3,)]},
    )


def test_0015_gives_ledger_rows_the_package_of_their_import_and_keeps_them_both_ways(
    empty_database_url: str,
) -> None:
    sha = "ab" * 32
    results = {"t1": f'{{"packageSha256": "{sha}", "written": 1}}', "t2": '{"plan": {}}'}
    tasks = [
        "INSERT INTO system_tasks (id, project_id, workspace_id, kind, name, status, progress, "
        "result, created_by, start_time, last_update) VALUES "
        f"('{task}', 'p', 'w', 'import', 'i', 'SUCCESSFUL', 100, '{result}', 'a', 1, 1)"
        for task, result in results.items()
    ]
    ledger = (
        "INSERT INTO promotion_ledger (target_workspace_id, source_workspace_id, kind, "
        "source_uid, target_uid, name, written_sha256, written, source, task_id, recorded_at) "
        "VALUES ('w', 's', 'job', :uid, :uid, :uid, 'x', :blob, :blob, :task, 1)"
    )
    entries = [
        (ledger, {"uid": uid, "task": task, "blob": b"z"})
        for uid, task in (("u1", "t1"), ("u2", "t2"), ("u3", "gone"))
    ]
    round_trip(
        empty_database_url,
        "0014",
        "0015",
        made=[*tasks, *entries],
        adds=schema(columns={"promotion_ledger": ["package_sha256"]}),
        upgraded={
            "SELECT source_uid, package_sha256 FROM promotion_ledger ORDER BY source_uid": [
                ("u1", sha),
                ("u2", None),
                ("u3", None),
            ]
        },
        downgraded={"SELECT count(*) FROM promotion_ledger": [(3,)]},
    )


def test_0017_says_which_way_a_promotion_was_carried_and_keeps_them_both_ways(
    empty_database_url: str,
) -> None:
    round_trip(
        empty_database_url,
        "0016",
        "0017",
        made=[
            "INSERT INTO route_promotions (id, project_id, route, route_version, snapshot_at, "
            "since, package_path, package_sha256, jobs, deletions, plan_id, task_id, created_at, "
            "created_by) VALUES ('r1', 'p', 'test-prod', 1, 5, NULL, 'upload://u', 'ab', 2, 0, "
            "NULL, NULL, 5, 'a')"
        ],
        adds=schema(columns={"route_promotions": ["carried"]}),
        upgraded={"SELECT id, jobs, carried FROM route_promotions": [("r1", 2, None)]},
        written=["UPDATE route_promotions SET carried = 'out'"],
        downgraded={"SELECT id, jobs FROM route_promotions": [("r1", 2)]},
    )


def test_0020_gives_remotes_a_studio_endpoint_and_keeps_them_both_ways(
    empty_database_url: str,
) -> None:
    round_trip(
        empty_database_url,
        "0019",
        "0020",
        made=[
            "INSERT INTO remotes (project_id, name, workspace_id, endpoint, remote_project_id, "
            "remote_workspace, access_key, secret_encrypted, created_at, created_by) VALUES "
            "('p', 'prod', 'w', 'https://dlf', 'rp', 'rw', 'AK', 'x', 5, 'a')"
        ],
        adds=schema(columns={"remotes": ["studio_endpoint"]}),
        upgraded={
            "SELECT name, endpoint, studio_endpoint FROM remotes": [("prod", "https://dlf", None)]
        },
        written=["UPDATE remotes SET studio_endpoint = 'https://dayu'"],
        downgraded={"SELECT name, endpoint FROM remotes": [("prod", "https://dlf")]},
    )


def test_0021_records_what_a_promotion_overrode_and_keeps_them_both_ways(
    empty_database_url: str,
) -> None:
    round_trip(
        empty_database_url,
        "0020",
        "0021",
        made=[PROMOTION_0020],
        adds=schema(columns={"route_promotions": ["overrides"]}),
        upgraded={"SELECT id, task_id, overrides FROM route_promotions": [("r1", "t1", None)]},
        written=['UPDATE route_promotions SET overrides = \'{"by": "a"}\''],
        downgraded={"SELECT id, task_id FROM route_promotions": [("r1", "t1")]},
    )


def test_0034_counts_a_promotion_s_scripts_and_resources_and_keeps_them_both_ways(
    empty_database_url: str,
) -> None:
    round_trip(
        empty_database_url,
        "0033",
        "0034",
        made=[PROMOTION_0020],
        adds=schema(columns={"route_promotions": ["scripts", "resources"]}),
        upgraded={  # not counted then
            "SELECT id, jobs, scripts, resources FROM route_promotions": [("r1", 2, None, None)]
        },
        written=["UPDATE route_promotions SET scripts = 3, resources = 1"],
        downgraded={"SELECT id, jobs FROM route_promotions": [("r1", 2)]},
    )


def test_0035_stamps_no_task_as_dropped_and_forgets_the_stamps_going_back(
    empty_database_url: str,
) -> None:
    round_trip(
        empty_database_url,
        "0034",
        "0035",
        made=[
            "INSERT INTO system_tasks (id, project_id, workspace_id, kind, name, status, "
            "progress, created_by, start_time, end_time, last_update) VALUES "
            "('t1', 'p', 'w', 'import', 'i', 'SUCCESSFUL', 100, 'a', 1, 2, 2)"
        ],
        adds=schema(
            tables=["dropped_audit"],
            columns={"system_tasks": ["lines_dropped_at", "lines_kept_days", "lines_dropped"]},
        ),
        upgraded={  # kept
            "SELECT id, lines_dropped_at, lines_kept_days, lines_dropped FROM system_tasks": [
                ("t1", None, None, None)
            ]
        },
        written=[
            "UPDATE system_tasks SET lines_dropped_at = 9, lines_dropped = 3",
            'INSERT INTO dropped_audit (id, "before", dropped_at, kept_days) VALUES (1, 5, 9, 7)',
        ],
        downgraded={"SELECT id, status FROM system_tasks": [("t1", "SUCCESSFUL")]},
    )


def test_0038_gives_every_push_no_wait_and_hands_a_waiting_one_back_as_unclaimed(
    empty_database_url: str,
) -> None:
    round_trip(
        empty_database_url,
        "0035",
        "0038",
        made=[
            "INSERT INTO remote_pushes (task_id, project_id, workspace_id, remote, state, "
            "owner, started_at, ended_at) VALUES ('t1', 'p', 'w', 'prod', 'recovering', "
            "'proc', 1, NULL)"
        ],
        adds=schema(columns={"remote_pushes": ["retry_at", "tries", "last_error"]}),
        upgraded={
            "SELECT task_id, state, retry_at, tries, last_error FROM remote_pushes": [
                ("t1", "recovering", None, 0, None)
            ]
        },
        written=[
            "UPDATE remote_pushes SET state = 'waiting', retry_at = 9, tries = 2, "
            "last_error = 'refused'"
        ],
        downgraded={  # a waiting recovery goes back unclaimed, for an older keeper to take
            "SELECT task_id, state, owner FROM remote_pushes": [("t1", "recovering", None)]
        },
    )


def test_0039_keeps_iam_tokens_by_their_hash_and_drops_them_going_back(
    empty_database_url: str,
) -> None:
    round_trip(
        empty_database_url,
        "0038",
        "0039",
        made=[
            "INSERT INTO users (id, project_id, name, is_project_admin, created_at) "
            "VALUES (1, 'p', 'alice', FALSE, 0)"
        ],
        adds=schema(
            tables=["iam_tokens"],
            indexes={"iam_tokens": ["ix_iam_tokens_expires_at"]},
            refers={"iam_tokens": ["users", "projects"]},
        ),
        upgraded={"SELECT id, name FROM users": [(1, "alice")]},
        written=[
            "INSERT INTO iam_tokens (id, user_id, project_id, issued_at, expires_at) "
            "VALUES ('h1', 1, 'p', 1, 2)"
        ],
        downgraded={"SELECT id, name FROM users": [(1, "alice")]},
    )


def test_0040_indexes_a_route_s_promotions_by_time_and_keeps_them_both_ways(
    empty_database_url: str,
) -> None:
    promotions = "SELECT id, route, created_at FROM route_promotions"
    round_trip(
        empty_database_url,
        "0039",
        "0040",
        made=[
            "INSERT INTO route_promotions (id, project_id, route, route_version, snapshot_at, "
            "package_path, package_sha256, jobs, deletions, created_at, created_by) "
            "VALUES ('r1', 'p', 'dev-qa', 1, 5, 'u1', 'sha', 2, 0, 7, 'alice')"
        ],
        adds=schema(indexes={"route_promotions": ["ix_route_promotions_route_time"]}),
        upgraded={promotions: [("r1", "dev-qa", 7)]},
        downgraded={promotions: [("r1", "dev-qa", 7)]},
    )


def _job_at_0040(job_id: int, name: str, document: str) -> str:
    return (
        "INSERT INTO jobs (id, uid, workspace_id, name, directory, process_type, status, "
        "document, created_at, created_by, updated_at, updated_by) VALUES "
        f"({job_id}, 'u{job_id}', 'w', '{name}', '/', 'BATCH', 'STOPPED', '{document}', "
        "0, 'a', 0, 'a')"
    )


def test_0041_summarises_every_job_and_indexes_promotions_by_task_and_keeps_them_both_ways(
    empty_database_url: str,
) -> None:
    owned = '{"name":"j","basicConfig":{"owner":"bob","priority":2,"tags":["t"]},"x":1}'
    round_trip(
        empty_database_url,
        "0040",
        "0041",
        made=[
            _job_at_0040(7, "j", owned),
            _job_at_0040(8, "k", '{"name":"k","singleNodeJobFlag":true}'),
            "INSERT INTO route_promotions (id, project_id, route, route_version, snapshot_at, "
            "package_path, package_sha256, jobs, deletions, created_at, created_by, task_id) "
            "VALUES ('r1', 'p', 'dev-qa', 1, 5, 'u1', 'sha', 2, 0, 7, 'alice', 't1')",
        ],
        adds=schema(
            columns={"jobs": ["summary"]},
            indexes={"route_promotions": ["ix_route_promotions_task"]},
        ),
        upgraded={
            "SELECT name, summary FROM jobs ORDER BY id": [
                ("j", '{"owner":"bob","priority":2}'),
                ("k", '{"singleNodeJobFlag":true}'),
            ],
            "SELECT id, task_id FROM route_promotions": [("r1", "t1")],
        },
        downgraded={
            "SELECT name, document FROM jobs ORDER BY id": [
                ("j", owned),
                ("k", '{"name":"k","singleNodeJobFlag":true}'),
            ],
            "SELECT id, task_id FROM route_promotions": [("r1", "t1")],
        },
    )


def _definitions_at_0041(document: str) -> list[str]:
    """Job 'j', script 's' and resource 'r' of workspace 'w', each holding ``document``."""
    return [
        _job_at_0040(7, "j", document),
        "INSERT INTO scripts (id, workspace_id, name, type, directory, document, created_at, "
        f"created_by, updated_at, updated_by) VALUES ('s1', 'w', 's', 'SQL', '/', '{document}', "
        "0, 'a', 0, 'a')",
        "INSERT INTO resources (id, workspace_id, name, type, directory, document, created_at, "
        f"created_by, updated_at, updated_by) VALUES ('r1', 'w', 'r', 'jar', '/', '{document}', "
        "0, 'a', 0, 'a')",
    ]


def test_0042_hashes_every_definition_and_keeps_them_both_ways(
    empty_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    migration = importlib.import_module(
        "jobferry.storage.migrations.versions.0042_definition_hashes"
    )
    monkeypatch.setattr(migration, "BATCH", 1)  # each row its own batch: the batches meet
    document = '{"name":"é","x":1}'
    sha, empty = hashlib.sha256(document.encode()).hexdigest(), hashlib.sha256(b"{}").hexdigest()
    round_trip(
        empty_database_url,
        "0041",
        "0042",
        made=[*_definitions_at_0041(document), _job_at_0040(8, "k", "{}")],
        adds=schema(columns={t: ["document_sha256"] for t in ("jobs", "scripts", "resources")}),
        upgraded={
            "SELECT name, document_sha256 FROM jobs ORDER BY id": [("j", sha), ("k", empty)],
            "SELECT name, document_sha256 FROM scripts": [("s", sha)],
            "SELECT name, document_sha256 FROM resources": [("r", sha)],
        },
        downgraded={
            "SELECT name, document FROM jobs ORDER BY id": [("j", document), ("k", "{}")],
            "SELECT name, document FROM scripts": [("s", document)],
            "SELECT name, document FROM resources": [("r", document)],
        },
    )


def test_0043_keeps_trusted_keys_marks_none_distrusted_and_drops_the_distrusted_going_back(
    empty_database_url: str,
) -> None:
    """The downgrade deletes the distrusted keys: an older jobferry would trust every key it
    finds, so keeping them would silently trust again a key distrusted since the upgrade."""
    key = (
        "INSERT INTO trusted_keys (workspace_id, key_id, name, public_key, added_at, added_by) "
        "VALUES ('w', '{id}', '{id}', 'ed25519:{id}', 1, 'a')"
    )
    round_trip(
        empty_database_url,
        "0042",
        "0043",
        made=[key.format(id="kept"), key.format(id="leaked")],
        adds=schema(columns={"trusted_keys": ["distrusted_at", "distrusted_by"]}),
        upgraded={
            "SELECT key_id, distrusted_at, distrusted_by FROM trusted_keys ORDER BY key_id": [
                ("kept", None, None),
                ("leaked", None, None),
            ]
        },
        written=[
            "UPDATE trusted_keys SET distrusted_at = 9, distrusted_by = 'b' WHERE key_id = 'leaked'"
        ],
        downgraded={"SELECT key_id, name FROM trusted_keys": [("kept", "kept")]},
    )


def test_0045_remembers_what_imports_deleted_of_a_source_and_forgets_it_going_back(
    empty_database_url: str,
) -> None:
    """The downgrade drops the table: an older jobferry plans such an object as new, as it
    did before."""
    ledger = (
        "INSERT INTO promotion_ledger (target_workspace_id, source_workspace_id, kind, "
        "source_uid, target_uid, name, written_sha256, written, source, task_id, recorded_at) "
        "VALUES ('t', 's', 'job', 'u1', 'x1', 'daily', 'h', :blob, :blob, 'task', 1)"
    )
    round_trip(
        empty_database_url,
        "0044",
        "0045",
        made=[(ledger, {"blob": b"z"})],
        adds=schema(tables=["promotion_ledger_deletions"]),
        upgraded={"SELECT source_uid, name FROM promotion_ledger": [("u1", "daily")]},
        written=[
            "INSERT INTO promotion_ledger_deletions (target_workspace_id, source_workspace_id, "
            "kind, source_uid, package_created_at, task_id, deleted_at) "
            "VALUES ('t', 's', 'job', 'u2', 5, 'task', 6)"
        ],
        downgraded={"SELECT source_uid, name FROM promotion_ledger": [("u1", "daily")]},
    )


def test_0046_gives_a_removed_users_id_to_no_later_user_and_keeps_every_user(
    empty_database_url: str,
) -> None:
    """Rebuilt (SQLite), the table keeps its users, their ids and keys; a user made after the
    newest one was removed takes a new id (PostgreSQL's sequence did already)."""
    user = (
        "INSERT INTO users (project_id, name, is_project_admin, created_at) "
        "VALUES ('p', :name, FALSE, 1)"
    )
    key = (
        "INSERT INTO credentials (access_key, user_id, secret_encrypted, created_at) "
        "VALUES ('AK1', 1, 's', 1)"
    )
    ids = "SELECT id, name FROM users ORDER BY id"
    round_trip(
        empty_database_url,
        "0045",
        "0046",
        made=[(user, {"name": "ann"}), (user, {"name": "bob"}), key],
        upgraded={ids: [(1, "ann"), (2, "bob")], "SELECT access_key FROM credentials": [("AK1",)]},
        written=["DELETE FROM users WHERE id = 2", (user, {"name": "cid"})],
        downgraded={ids: [(1, "ann"), (3, "cid")]},
    )
