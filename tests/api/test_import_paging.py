"""Plans, subtasks and rollbacks of any size: kept plans are paged, subtasks are rows read a page
at a time (and streamed whole to DataArts clients), rollbacks undo a batch at a time."""

from __future__ import annotations

import pytest

from jobferry.services.importing import plans, rollback, undoing
from support.builders import make_job
from support.clients import SignedClient
from support.importing import new_workspace, run_import, upload
from support.packages import write_package

CONN = {"type": "DWS", "config": {"host": "db"}, "secrets": {"password": "pw"}}


@pytest.fixture
def prod(api: SignedClient) -> str:
    ws = new_workspace(api, "prod")
    for name in ("dws_conn", "ssh_conn"):
        assert api.call("PUT", f"/environment/connection/{name}", CONN, workspace=ws).status_code
    return ws


@pytest.fixture
def path(api: SignedClient, prod: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A package of 3 jobs with their 6 scripts and a resource (10 objects), uploaded."""
    folder = tmp_path_factory.mktemp("pkg")
    package = write_package(folder / "p.zip", [make_job(n) for n in ("a_job", "b_job", "c_job")])
    return upload(api, package.read_bytes(), prod)


def test_a_plan_lists_its_first_objects_and_pages_the_rest(
    api: SignedClient, prod: str, path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(plans, "INLINE_OBJECTS", 4)
    plan = api.call("POST", "/jobs/import/plan", {"path": path}, workspace=prod).json()
    assert (len(plan["objects"]), plan["objectsTotal"]) == (4, 10)

    pages = []
    for offset in (0, 4, 8):
        page = api.call(
            "GET",
            f"/jobs/import/plans/{plan['planId']}/objects",
            query={"offset": offset, "limit": 4},
            workspace=prod,
        ).json()
        assert page["total"] == 10
        pages += page["objects"]

    assert pages[:4] == plan["objects"]
    assert [o["kind"] for o in pages] == ["script"] * 6 + ["resource"] + ["job"] * 3
    jobs = api.call(
        "GET",
        f"/jobs/import/plans/{plan['planId']}/objects",
        query={"kind": "job", "action": "CREATE"},
        workspace=prod,
    ).json()
    assert [o["name"] for o in jobs["objects"]] == ["a_job", "b_job", "c_job"]


def test_paging_a_plan_refuses_a_bad_action_and_an_unknown_plan(
    api: SignedClient, prod: str, path: str
) -> None:
    plan = api.call("POST", "/jobs/import/plan", {"path": path}, workspace=prod).json()
    url = f"/jobs/import/plans/{plan['planId']}/objects"

    bad = api.call("GET", url, query={"action": "DESTROY"}, workspace=prod)
    assert bad.status_code == 400
    assert "DESTROY" in bad.json()["error_msg"]
    gone = api.call(
        "GET", "/jobs/import/plans/0123456789abcdef0123456789abcdef/objects", workspace=prod
    )
    assert (gone.status_code, gone.json()["error_code"]) == (400, "DLF.9015")
    assert "Make a plan first" in gone.json()["error_msg"]


def test_subtasks_are_streamed_whole_and_paged_on_request(
    api: SignedClient, prod: str, path: str
) -> None:
    task = run_import(api, {"path": path}, workspace=prod)
    assert task["status"] == "SUCCESSFUL"
    assert len(task["subtasks"]) == 10
    assert task["subtasks"][0]["id"] == "script:a_job_sh"

    page = api.call(
        "GET",
        f"/system-tasks/{task['id']}/subtasks",
        query={"offset": 8, "limit": 5},
        workspace=prod,
    ).json()

    assert page["total"] == 10
    assert page["subtasks"] == task["subtasks"][8:]
    too_many = api.call(
        "GET", f"/system-tasks/{task['id']}/subtasks", query={"limit": 5000}, workspace=prod
    )
    assert too_many.status_code == 400


def test_a_task_asked_for_without_its_subtasks_is_answered_whole_but_them(
    api: SignedClient, prod: str, path: str
) -> None:
    task = run_import(api, {"path": path}, workspace=prod)
    url = f"/system-tasks/{task['id']}"

    brief = api.call("GET", url, query={"subtasks": "false"}, workspace=prod).json()

    assert brief == {k: v for k, v in task.items() if k != "subtasks"}
    assert brief["result"]["summary"]
    whole = api.call("GET", url, query={"subtasks": "true"}, workspace=prod).json()
    assert whole == task


def test_a_rollback_in_batches_refuses_whole_when_a_later_batch_changed(
    api: SignedClient, prod: str, path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rollback, "BATCH", 3)
    task = run_import(api, {"path": path}, workspace=prod)
    edited = {**api.call("GET", "/scripts/c_job_sql", workspace=prod).json(), "content": "x"}
    assert api.call("PUT", "/scripts/c_job_sql", edited, workspace=prod).status_code == 204

    refused = api.call("POST", f"/system-tasks/{task['id']}/rollback", workspace=prod)

    assert (refused.status_code, refused.json()["error_code"]) == (400, "DLF.9016")
    assert "script 'c_job_sql' was edited" in refused.json()["error_msg"]
    jobs = api.call("GET", "/jobs", workspace=prod).json()
    assert {j["name"] for j in jobs["jobs"]} == {"a_job", "b_job", "c_job"}, "nothing undone"

    assert api.call("DELETE", "/jobs/c_job", workspace=prod).status_code in (200, 204)
    again = api.call("POST", f"/system-tasks/{task['id']}/rollback", workspace=prod)
    assert "job 'c_job' was deleted, renamed or replaced" in again.json()["error_msg"]


def test_a_rollback_in_batches_undoes_everything_and_lists_the_first_objects(
    api: SignedClient, prod: str, path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rollback, "BATCH", 3)
    monkeypatch.setattr(undoing, "SHOWN_OBJECTS", 4)
    task = run_import(api, {"path": path}, workspace=prod)

    done = api.call("POST", f"/system-tasks/{task['id']}/rollback", workspace=prod).json()

    assert done["rolledBack"] == 10
    assert (len(done["objects"]), done["objectsShown"]) == (4, 4)
    assert done["actions"] == {"DELETED": 10}  # every one, not only those listed
    assert api.call("GET", "/jobs", workspace=prod).json()["total"] == 0
    assert api.call("GET", "/scripts", workspace=prod).json()["total"] == 0
