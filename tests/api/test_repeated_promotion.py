"""Repeated promotion from a test workspace to a prod workspace, round after round: edits,
renames, deletes, a hot-fix made in prod, a job scheduled in prod, and rollback of each round.

Each round exports the whole test workspace (so the package carries its inventory), plans it in
prod and asserts the plan exactly, imports it, and checks what prod holds.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from jobferry.api.app import create_app
from jobferry.services.container import Services
from jobferry.settings import Settings
from jobferry.storage import Database
from jobferry.tasks.runner import TaskRunner
from support.builders import make_job
from support.clients import ADMIN_AK, ADMIN_SK, SignedClient
from support.databases import migrate
from support.exporting import rename_job, seed, workspace_package
from support.importing import connected_workspace, new_workspace, run_import, upload

CONN = {"type": "DWS", "config": {"host": "db"}, "secrets": {"password": "pw"}}
SCRIPTS = [
    ("script", f"{job}_{kind}", "UNCHANGED")
    for job in ("a_job", "b_job", "c_job")
    for kind in ("sh", "sql")
]


def job(name: str, *upstream: str, **overrides: Any) -> dict[str, Any]:
    doc = make_job(name, **overrides)
    doc["nodes"][0]["properties"].append({"name": "resourceName", "value": "udf_jar"})
    if upstream:
        depend = {"jobs": list(upstream), "dependPeriod": "SAME_PERIOD"}
        doc["schedule"]["cron"]["dependJobs"] = depend
    return doc


def prod_workspace(api: SignedClient) -> str:
    return connected_workspace(api, "prod")


class Round:
    """One promotion round into prod: the package uploaded, its plan, its import."""

    def __init__(self, api: SignedClient, prod: str, **options: Any) -> None:
        self.api, self.prod = api, prod
        self.body = {
            "path": upload(api, workspace_package(api), prod),
            "sameNamePolicy": "OVERWRITE",
        }
        self.body.update(options)

    def plan(self, **options: Any) -> dict[str, Any]:
        answer = self.api.call(
            "POST", "/jobs/import/plan", {**self.body, **options}, workspace=self.prod
        )
        assert answer.status_code == 200, answer.text
        plan: dict[str, Any] = answer.json()
        return plan

    def actions(self, **options: Any) -> list[tuple[str, ...]]:
        """(kind, name, action[, previous name]) of every object, sorted; UNCHANGED ones too."""
        out = []
        for line in self.plan(**options)["objects"]:
            item = (line["kind"], line["name"], line["action"])
            out.append(item + ((line["previousName"],) if "previousName" in line else ()))
        return sorted(out)

    def run(self, **options: Any) -> dict[str, Any]:
        task = run_import(self.api, {**self.body, **options}, workspace=self.prod)
        assert task["status"] == "SUCCESSFUL", task
        return task


def prod_jobs(api: SignedClient, prod: str) -> dict[str, dict[str, Any]]:
    listed = api.call("GET", "/jobs", query={"limit": 100}, workspace=prod).json()["jobs"]
    return {j["name"]: api.call("GET", f"/jobs/{j['name']}", workspace=prod).json() for j in listed}


def depends_on(doc: dict[str, Any]) -> list[str]:
    jobs: list[str] = doc["schedule"]["cron"].get("dependJobs", {}).get("jobs", [])
    return jobs


def rollback(api: SignedClient, prod: str, task_id: str) -> dict[str, Any]:
    answer = api.call("POST", f"/system-tasks/{task_id}/rollback", {}, workspace=prod)
    assert answer.status_code == 200, answer.text
    out: dict[str, Any] = answer.json()
    return out


def three_jobs(api: SignedClient) -> None:
    """Test holds a_job, b_job and c_job (which depends on b_job), each with two scripts."""
    seed(api, ())
    for name, upstream in (("a_job", ()), ("b_job", ()), ("c_job", ("b_job",))):
        api.call("POST", "/scripts", {"name": f"{name}_sql", "type": "DWSSQL", "content": "1"})
        api.call("POST", "/scripts", {"name": f"{name}_sh", "type": "Shell", "content": "e"})
        assert api.call("POST", "/jobs", job(name, *upstream)).status_code == 204


def test_a_test_to_prod_story_over_several_rounds(api: SignedClient) -> None:
    three_jobs(api)
    prod = prod_workspace(api)

    # Round 1: the first promotion creates everything.
    first = Round(api, prod, propagateDeletes=True)
    assert first.actions() == sorted(
        [("job", n, "CREATE") for n in ("a_job", "b_job", "c_job")]
        + [(kind, name, "CREATE") for kind, name, _ in SCRIPTS]
        + [("resource", "udf_jar", "CREATE")]
    )
    first.run()
    # Planned again right after, everything is UNCHANGED.
    assert {line[2] for line in first.actions()} == {"UNCHANGED"}

    # Round 2: an edit and a rename (which rewrote c_job's dependency in test).
    assert api.call("PUT", "/jobs/a_job", job("a_job", description="v2")).status_code == 204
    rename_job(api, "b_job", "b_new")
    before = prod_jobs(api, prod)
    second = Round(api, prod, propagateDeletes=True)
    assert second.actions() == sorted(
        [
            ("job", "a_job", "OVERWRITE"),
            ("job", "b_new", "RENAME", "b_job"),
            ("job", "c_job", "OVERWRITE"),
            ("resource", "udf_jar", "UNCHANGED"),
            *SCRIPTS,
        ]
    )
    round2_plan = second.actions()
    round2 = second.run()["id"]
    after = prod_jobs(api, prod)
    assert sorted(after) == ["a_job", "b_new", "c_job"]
    assert after["b_new"]["id"] == before["b_job"]["id"], "the renamed job keeps its id"
    assert depends_on(after["c_job"]) == ["b_new"]
    assert after["a_job"]["description"] == "v2"
    assert {line[2] for line in second.actions()} == {"UNCHANGED"}

    # Round 3: c_job and its scripts are deleted in test; a_job is edited in test and hot-fixed
    # in prod meanwhile.
    for path in ("/jobs/c_job", "/scripts/c_job_sql", "/scripts/c_job_sh"):
        assert api.call("DELETE", path).status_code == 204, path
    assert api.call("PUT", "/jobs/a_job", job("a_job", description="v3")).status_code == 204
    own = job("prod_only", targetStatus="SAVED")
    own["nodes"][0]["properties"][0]["value"] = "a_job_sql"
    own["nodes"][1]["properties"][0]["value"] = "a_job_sh"
    assert api.call("POST", "/jobs", own, workspace=prod).status_code == 204
    hotfix = job("a_job", description="hotfix", targetStatus="SAVED")
    assert api.call("PUT", "/jobs/a_job", hotfix, workspace=prod).status_code == 204
    third = Round(api, prod, propagateDeletes=True)
    plan = third.plan()
    drifted = next(line for line in plan["objects"] if line["name"] == "a_job")
    assert drifted["drift"] is True
    assert [p["reason"] for p in drifted["problems"]] == ["drift"]
    assert {"path": "description", "op": "changed", "before": "v2", "after": "hotfix"} in [
        {k: c[k] for k in ("path", "op", "before", "after")} for c in drifted["driftDiff"]
    ]
    expected = [
        ("job", "a_job", "SKIP"),
        ("job", "b_new", "UNCHANGED"),
        ("job", "c_job", "DELETE"),
        ("resource", "udf_jar", "UNCHANGED"),
        ("script", "c_job_sh", "DELETE"),
        ("script", "c_job_sql", "DELETE"),
    ] + [s for s in SCRIPTS if not s[1].startswith("c_job")]
    assert third.actions(onDrift="KEEP_TARGET") == sorted(expected)
    # Without propagateDeletes nothing is deleted.
    assert "DELETE" not in {line[2] for line in third.actions(propagateDeletes=False)}
    round3 = third.run(onDrift="KEEP_TARGET")["id"]
    after = prod_jobs(api, prod)
    assert sorted(after) == ["a_job", "b_new", "prod_only"], "prod's own job is not touched"
    assert after["a_job"]["description"] == "hotfix", "the prod hot-fix was kept"
    scripts = api.call("GET", "/scripts", query={"limit": 100}, workspace=prod).json()
    assert sorted(s["name"] for s in scripts["scripts"]) == [
        "a_job_sh",
        "a_job_sql",
        "b_job_sh",
        "b_job_sql",
    ]

    # Round 4: b_new runs on its schedule in prod while test edits it.
    assert api.call("POST", "/jobs/b_new/start", {}, workspace=prod).status_code == 204
    running = api.call("GET", "/jobs/b_new/status", workspace=prod).json()["status"]
    assert running != "STOPPED"
    edited = api.call("GET", "/jobs/b_new").json()
    edited["description"] = "v4"
    assert api.call("PUT", "/jobs/b_new", edited).status_code == 204
    fourth = Round(api, prod, propagateDeletes=True, onDrift="KEEP_TARGET")
    assert fourth.actions() == sorted(
        [
            ("job", "a_job", "SKIP"),  # still drifted, still kept
            ("job", "b_new", "OVERWRITE"),
            ("resource", "udf_jar", "UNCHANGED"),
            *(s for s in SCRIPTS if not s[1].startswith("c_job")),
        ]
    )
    refused = next(line for line in fourth.plan()["objects"] if line["name"] == "b_new")
    assert [p["reason"] for p in refused["problems"]] == ["scheduled"]
    paused = fourth.plan(scheduling="PAUSE_AND_RESTORE")
    line = next(line for line in paused["objects"] if line["name"] == "b_new")
    assert (line["action"], line.get("pause"), line.get("problems")) == ("OVERWRITE", True, None)
    round4 = fourth.run(scheduling="PAUSE_AND_RESTORE")["id"]
    b_new = api.call("GET", "/jobs/b_new", workspace=prod).json()
    assert b_new["description"] == "v4"
    status = api.call("GET", "/jobs/b_new/status", workspace=prod).json()
    assert status["status"] == running, "the paused job runs again"

    # Rollback, newest first: round 4 keeps b_new scheduled, round 3 brings c_job and its
    # scripts back, round 2 gives b_new its old name and a_job its old definition.
    undone = rollback(api, prod, round4)
    assert [(o["name"], o["action"]) for o in undone["objects"]] == [("b_new", "RESTORED")]
    assert api.call("GET", "/jobs/b_new/status", workspace=prod).json()["status"] == running
    undone = rollback(api, prod, round3)
    assert sorted((o["kind"], o["name"], o["action"]) for o in undone["objects"]) == [
        ("job", "c_job", "RECREATED"),
        ("script", "c_job_sh", "RECREATED"),
        ("script", "c_job_sql", "RECREATED"),
    ]
    c_job = api.call("GET", "/jobs/c_job", workspace=prod).json()
    assert depends_on(c_job) == ["b_new"]
    # The scheduled b_new must be stopped before round 2's rename can be undone.
    blocked = api.call("POST", f"/system-tasks/{round2}/rollback", {}, workspace=prod)
    assert blocked.status_code == 400, blocked.text
    assert "job 'b_new' is scheduled" in blocked.json()["error_msg"]
    assert api.call("POST", "/jobs/b_new/stop", {}, workspace=prod).status_code == 204
    # and a_job's hot-fix (saved, not submitted) was made after round 2 wrote it: it refuses
    # too, until it is undone.
    assert "job 'a_job' was edited" in blocked.json()["error_msg"]
    restore = job("a_job", description="v2", targetStatus="SAVED")
    assert api.call("PUT", "/jobs/a_job", restore, workspace=prod).status_code == 204
    undone = rollback(api, prod, round2)
    assert sorted((o["name"], o["action"], o.get("from")) for o in undone["objects"]) == [
        ("a_job", "RESTORED", None),
        ("b_job", "RENAMED", "b_new"),
        ("c_job", "RESTORED", None),
    ]
    after = prod_jobs(api, prod)
    assert sorted(after) == ["a_job", "b_job", "c_job", "prod_only"]
    assert after["b_job"]["id"] == before["b_job"]["id"]
    assert depends_on(after["c_job"]) == ["b_job"]
    assert not after["a_job"].get("description"), "round 1's definition"
    # The ledger is back as round 1 left it: round 2's package plans as it did then.
    assert second.actions() == round2_plan


def promoted(api: SignedClient) -> str:
    """Test's three jobs, promoted once to a new 'prod' workspace (its id)."""
    three_jobs(api)
    prod = prod_workspace(api)
    Round(api, prod).run()
    return prod


def depended_on_from_reports(api: SignedClient) -> None:
    """A job of workspace 'reports' depends on prod's a_job."""
    other = new_workspace(api, "reports")
    downstream = job("report")
    downstream["schedule"]["cron"]["dependJobs"] = {
        "otherWorkSpaceJobs": [{"workSpace": "prod", "jobName": "a_job"}]
    }
    answer = api.call("POST", "/jobs", downstream, workspace=other)
    assert answer.status_code == 204, answer.text


def a_job_renamed_while_reports_depends_on_it(api: SignedClient) -> str:
    """prod promoted, a job of 'reports' depending on prod's a_job, and a_job renamed a_new in
    test since: prod's id."""
    prod = promoted(api)
    depended_on_from_reports(api)
    rename_job(api, "a_job", "a_new")
    return prod


def test_two_jobs_swapping_names_are_renamed_and_rolled_back(api: SignedClient) -> None:
    prod = promoted(api)
    before = prod_jobs(api, prod)
    rename_job(api, "a_job", "swap")
    rename_job(api, "b_job", "a_job")
    rename_job(api, "swap", "b_job")
    swap = Round(api, prod)
    assert [a for a in swap.actions() if a[0] == "job"] == [
        ("job", "a_job", "RENAME", "b_job"),
        ("job", "b_job", "RENAME", "a_job"),
        ("job", "c_job", "OVERWRITE"),
    ]
    task = swap.run()
    after = prod_jobs(api, prod)
    assert after["a_job"]["id"] == before["b_job"]["id"]
    assert after["b_job"]["id"] == before["a_job"]["id"]
    assert depends_on(after["c_job"]) == ["a_job"], "c_job follows its upstream's new name"
    undone = rollback(api, prod, task["id"])
    assert sorted((o["name"], o["action"], o.get("from")) for o in undone["objects"]) == [
        ("a_job", "RENAMED", "b_job"),
        ("b_job", "RENAMED", "a_job"),
        ("c_job", "RESTORED", None),
    ]
    again = prod_jobs(api, prod)
    assert {n: j["id"] for n, j in again.items()} == {n: j["id"] for n, j in before.items()}
    assert depends_on(again["c_job"]) == ["b_job"]


def test_a_rename_or_delete_whose_old_name_was_taken_since_cannot_be_rolled_back(
    api: SignedClient,
) -> None:
    prod = promoted(api)
    rename_job(api, "a_job", "a_new")
    assert api.call("DELETE", "/jobs/c_job").status_code == 204
    task = Round(api, prod, propagateDeletes=True).run()
    for name in ("a_job", "c_job"):
        made = job(name)
        assert api.call("POST", "/jobs", made, workspace=prod).status_code == 204
    refused = api.call("POST", f"/system-tasks/{task['id']}/rollback", {}, workspace=prod)
    assert refused.status_code == 400, refused.text
    assert sorted(refused.json()["conflicts"]) == [
        "job 'a_job' was made after the import, which renamed or deleted the job of that name; "
        "rename or delete it first",
        "job 'c_job' was made after the import, which renamed or deleted the job of that name; "
        "rename or delete it first",
    ]
    assert sorted(prod_jobs(api, prod)) == ["a_job", "a_new", "b_job", "c_job"], "unchanged"
    for name in ("a_job", "c_job"):
        assert api.call("DELETE", f"/jobs/{name}", workspace=prod).status_code == 204
    rollback(api, prod, task["id"])
    assert sorted(prod_jobs(api, prod)) == ["a_job", "b_job", "c_job"]


def test_a_transformed_and_time_zone_moved_import_plans_unchanged_right_after(
    api: SignedClient,
) -> None:
    prod = promoted(api)
    rename_job(api, "a_job", "a_new")
    profile = {
        "params": {"bizdate": "prod-date"},
        "owner": "ops",
        "directory": {"from": "/sales", "to": "/prod/sales"},
        "timeZone": {"zone": "America/New_York", "mode": "keepWallClock"},
    }
    moved = Round(api, prod, profile=profile)
    assert ("job", "a_new", "RENAME", "a_job") in moved.actions()
    moved.run()
    assert api.call("GET", "/jobs/a_new", workspace=prod).json()["basicConfig"]["owner"] == "ops"
    assert {line[2] for line in moved.actions()} == {"UNCHANGED"}


def test_renaming_a_job_that_another_workspace_depends_on_is_a_problem(
    api: SignedClient,
) -> None:
    prod = a_job_renamed_while_reports_depends_on_it(api)
    plan = Round(api, prod).plan()
    line = next(o for o in plan["objects"] if o["name"] == "a_new")
    assert line["action"] == "RENAME"
    assert [(p["reason"], p["detail"]) for p in line["problems"]] == [
        (
            "in_use",
            "job 'a_job' would be renamed to 'a_new' in workspace 'prod', but job(s) "
            "reports/report of other workspaces depend on it by its current name",
        )
    ]


def test_an_overwrite_says_where_each_change_comes_from_and_keeps_target_owned_fields(
    api: SignedClient,
) -> None:
    prod = promoted(api)
    edited = job("a_job", description="v2")
    edited["nodes"][0]["location"] = {"x": "99", "y": "20"}
    assert api.call("PUT", "/jobs/a_job", edited).status_code == 204
    in_prod = job("a_job", targetStatus="SAVED")
    in_prod["schedule"]["cron"]["expression"] = "0 0 5 * * ?"
    assert api.call("PUT", "/jobs/a_job", in_prod, workspace=prod).status_code == 204
    profile = {"owner": "ops", "targetOwned": ["schedule.cron.expression"]}
    second = Round(api, prod, profile=profile)
    line = next(o for o in second.plan()["objects"] if o["name"] == "a_job")
    assert "drift" not in line, "a target-owned field is the target's to change"
    assert line["action"] == "OVERWRITE"
    assert sorted(line["diff"], key=lambda c: c["path"]) == [
        {
            "path": "basicConfig.owner",
            "op": "changed",
            "before": "alice",
            "after": "ops",
            "origin": "transform",
        },
        {"path": "description", "op": "added", "after": "v2", "origin": "source"},
        {
            "path": "nodes[load].location.x",
            "op": "changed",
            "before": "10",
            "after": "99",
            "origin": "source",
            "cosmetic": True,
        },
        {
            "path": "schedule.cron.expression",
            "op": "kept",
            "package": "0 30 2 * * ?",
            "target": "0 0 5 * * ?",
        },
    ]
    second.run()
    cron = api.call("GET", "/jobs/a_job", workspace=prod).json()["schedule"]["cron"]
    assert cron["expression"] == "0 0 5 * * ?"
    assert {line[2] for line in second.actions()} == {"UNCHANGED"}


@pytest.fixture
def other_server(settings: Settings, tmp_path: Path) -> Iterator[SignedClient]:
    """A second, separate server (its own SQLite database and data folder): prod across an air
    gap from the test fixture's server."""
    data = tmp_path / "prod-server"
    configured = settings.model_copy(
        update={"data_dir": data, "database_url": f"sqlite:///{tmp_path / 'prod.db'}"}
    )
    url = configured.resolved_database_url()
    migrate(url)
    db = Database(url)
    services = Services.build(configured, db)
    services.accounts.bootstrap(configured.project_id, ADMIN_AK, ADMIN_SK)
    app = create_app(services, TaskRunner(services))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield SignedClient(client, ADMIN_AK, ADMIN_SK)
    db.dispose()


def export_names(api: SignedClient, *names: str) -> bytes:
    """A package of these jobs with what they use, carrying the deletions since the last
    export for 'prod'."""
    body = {"jobList": list(names), "deletionsFor": "prod"}
    answer = api.call("POST", "/jobs/batch-export", body)
    assert answer.status_code == 200, answer.text
    content: bytes = answer.content
    return content


def test_a_package_carried_to_a_separate_server_renames_and_deletes_by_identity(
    api: SignedClient, other_server: SignedClient
) -> None:
    three_jobs(api)
    prod = prod_workspace(other_server)
    first = export_names(api, "a_job", "b_job", "c_job")
    body = {"path": upload(other_server, first, prod), "propagateDeletes": True}
    assert run_import(other_server, body, workspace=prod)["status"] == "SUCCESSFUL"

    rename_job(api, "b_job", "b_new")
    assert api.call("DELETE", "/jobs/c_job").status_code == 204
    second = export_names(api, "a_job", "b_new")
    body = {
        "path": upload(other_server, second, prod),
        "propagateDeletes": True,
        "sameNamePolicy": "OVERWRITE",
    }
    plan = other_server.call("POST", "/jobs/import/plan", body, workspace=prod).json()
    moves = sorted(
        (o["kind"], o["name"], o["action"], o.get("previousName"))
        for o in plan["objects"]
        if o["action"] != "UNCHANGED"
    )
    assert moves == [("job", "b_new", "RENAME", "b_job"), ("job", "c_job", "DELETE", None)]
    assert run_import(other_server, body, workspace=prod)["status"] == "SUCCESSFUL"
    assert sorted(prod_jobs(other_server, prod)) == ["a_job", "b_new"]
    # Nothing was deleted since: the next package carries no deletions.
    third = export_names(api, "a_job")
    body["path"] = upload(other_server, third, prod)
    plan = other_server.call("POST", "/jobs/import/plan", body, workspace=prod).json()
    assert plan["summary"]["DELETE"] == 0


def test_deletes_go_downstream_first_and_one_that_would_break_a_remaining_job_is_a_problem(
    api: SignedClient,
) -> None:
    prod = promoted(api)
    user = job("prod_user", "b_job", targetStatus="SAVED")
    for node, script in zip(user["nodes"], ("a_job_sql", "a_job_sh"), strict=True):
        node["properties"][0]["value"] = script
    assert api.call("POST", "/jobs", user, workspace=prod).status_code == 204
    for name in ("c_job", "b_job"):
        assert api.call("DELETE", f"/jobs/{name}").status_code == 204
    both = Round(api, prod, propagateDeletes=True)
    plan = both.plan()
    deletes = [o for o in plan["objects"] if o["action"] == "DELETE"]
    assert [(o["kind"], o["name"]) for o in deletes if o["kind"] == "job"] == [
        ("job", "c_job"),
        ("job", "b_job"),
    ], "c_job depends on b_job: it goes first"
    b_job = next(o for o in deletes if o["name"] == "b_job")
    assert [(p["reason"], p["detail"]) for p in b_job["problems"]] == [
        (
            "in_use",
            "job 'b_job' is gone from the source, but job(s) prod_user would still use it in "
            "workspace 'prod'",
        )
    ]
    assert "problems" not in next(o for o in deletes if o["name"] == "c_job")
    assert api.call("DELETE", "/jobs/prod_user", workspace=prod).status_code == 204
    both.run()
    assert sorted(prod_jobs(api, prod)) == ["a_job"]


def test_a_rename_that_fails_in_per_object_mode_leaves_the_job_under_its_old_name(
    api: SignedClient,
) -> None:
    prod = a_job_renamed_while_reports_depends_on_it(api)
    rename_job(api, "b_job", "b_new")
    task = run_import(
        api,
        {**Round(api, prod).body, "mode": "PER_OBJECT"},
        workspace=prod,
    )
    assert task["status"] == "WARNING", task
    failed = [s for s in task["subtasks"] if s["status"] == "FAILED"]
    assert [s["name"] for s in failed] == ["Import the a_new job."]
    assert sorted(prod_jobs(api, prod)) == ["a_job", "b_new", "c_job"]


def test_a_renamed_job_counts_in_the_dependency_order_and_cycles(api: SignedClient) -> None:
    prod = promoted(api)
    rename_job(api, "b_job", "b_new")
    looped = api.call("GET", "/jobs/b_new").json()
    looped["schedule"]["cron"]["dependJobs"] = {"jobs": ["c_job"], "dependPeriod": "SAME_PERIOD"}
    for key in ("id", "createTime", "version"):
        looped.pop(key, None)
    assert api.call("PUT", "/jobs/b_new", looped).status_code == 204
    plan = Round(api, prod).plan()
    cycles = [p for p in plan["problems"] if p["reason"] == "dependency_cycle"]
    assert cycles, plan["problems"]
    assert "b_new" in cycles[0]["detail"]
    assert "c_job" in cycles[0]["detail"]
