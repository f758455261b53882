"""Administration extensions: workspaces, settings, approval, locks, tags, audit, credentials."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from jobferry.domain.definitions import LOCKED_BY_HEADER as LOCKED_BY
from jobferry.server import write_credentials_file
from jobferry.services.accounts.service import IssuedCredential
from jobferry.settings import Settings
from support.accounts import default_workspace, new_user
from support.builders import make_job, make_script
from support.clients import ADMIN_AK, ADMIN_SK, PROJECT_ID, SignedClient, assert_error


def settings(api: SignedClient, **values: Any) -> Any:
    return api.call("PUT", f"/workspaces/{default_workspace(api)}", values)


def job_total(api: SignedClient) -> int:
    total: int = api.call("GET", "/jobs").json()["total"]
    return total


# -- workspaces ------------------------------------------------------------------------------


def test_a_fresh_project_has_one_default_workspace(api: SignedClient) -> None:
    listed = api.call("GET", "/workspaces").json()
    assert listed["total"] == 1
    ws = listed["workspaces"][0]
    assert ws["isDefault"] is True
    assert ws["name"] == "default"
    assert ws["lockPolicy"] == "soft"
    assert ws["approvalEnabled"] is False
    assert ws["role"] == "admin"


def test_create_workspace_returns_its_id_and_lists_it(api: SignedClient) -> None:
    response = api.call("POST", "/workspaces", {"name": "team_b"})
    assert response.status_code == 200, response.text
    ws_id = response.json()["id"]
    listed = api.call("GET", "/workspaces").json()
    assert listed["total"] == 2
    assert [w["name"] for w in listed["workspaces"]] == ["default", "team_b"]
    created = listed["workspaces"][1]
    assert created["id"] == ws_id
    assert created["isDefault"] is False
    assert created["lockPolicy"] == "soft"
    assert created["approvalEnabled"] is False


def test_duplicate_workspace_name_is_refused_with_dlf_9010(api: SignedClient) -> None:
    api.call("POST", "/workspaces", {"name": "team_b"})
    response = api.call("POST", "/workspaces", {"name": "team_b"})
    assert_error(response, "DLF.9010", "team_b", "already exists")
    assert_error(api.call("POST", "/workspaces", {"name": "default"}), "DLF.9010", "default")
    assert api.call("GET", "/workspaces").json()["total"] == 2


def test_bad_workspace_bodies_are_refused(api: SignedClient) -> None:
    for body in ({}, {"name": ""}, {"name": "bad name!"}, {"name": 7}, []):
        assert_error(api.call("POST", "/workspaces", body), "DLF.3051")
    assert api.call("GET", "/workspaces").json()["total"] == 1


def test_workspace_settings_can_be_changed(api: SignedClient) -> None:
    response = settings(api, lockPolicy="hard", approvalEnabled=True)
    assert response.status_code == 200, response.text
    assert response.json()["lockPolicy"] == "hard"
    assert response.json()["approvalEnabled"] is True
    ws = api.call("GET", "/workspaces").json()["workspaces"][0]
    assert (ws["lockPolicy"], ws["approvalEnabled"]) == ("hard", True)

    assert settings(api, approvalEnabled=False).status_code == 200
    ws = api.call("GET", "/workspaces").json()["workspaces"][0]
    assert (ws["lockPolicy"], ws["approvalEnabled"]) == ("hard", False), "partial update"


def test_bad_workspace_settings_are_refused_and_change_nothing(api: SignedClient) -> None:
    for body, word in (
        ({"lockPolicy": "medium"}, "lockPolicy"),
        ({"lockPolicy": "hard", "approvalEnabled": "yes"}, "approvalEnabled"),
        ({"approvalEnabled": 1}, "approvalEnabled"),
        ({"lockPolicy": "hard", "colour": "red"}, "colour"),
    ):
        assert_error(settings(api, **body), "DLF.3051", word)
    ws = api.call("GET", "/workspaces").json()["workspaces"][0]
    assert (ws["lockPolicy"], ws["approvalEnabled"]) == ("soft", False)


def test_a_lock_policy_that_is_not_text_is_refused_with_400(api: SignedClient) -> None:
    for value in (["hard"], {"policy": "hard"}):
        assert_error(settings(api, lockPolicy=value), "DLF.3051", "lockPolicy")
    ws = api.call("GET", "/workspaces").json()["workspaces"][0]
    assert ws["lockPolicy"] == "soft"


def test_settings_of_an_unknown_workspace_answer_dlf_0819(api: SignedClient) -> None:
    response = api.call("PUT", "/workspaces/nowhere", {"lockPolicy": "hard"})
    assert_error(response, "DLF.0819", "nowhere")


def test_only_workspace_admins_change_settings(api: SignedClient) -> None:
    developer = new_user(api, "dave", "developer")
    response = developer.call(
        "PUT", f"/workspaces/{default_workspace(api)}", {"lockPolicy": "hard"}
    )
    assert_error(response, "DLF.6888", "dave", status=403)
    assert api.call("GET", "/workspaces").json()["workspaces"][0]["lockPolicy"] == "soft"


# -- approval --------------------------------------------------------------------------------


def test_with_approval_on_create_job_needs_target_status(api: SignedClient) -> None:
    settings(api, approvalEnabled=True)
    response = api.call("POST", "/jobs", make_job())
    assert_error(response, "DLF.0802", "targetStatus")
    assert response.json()["parameter"] == "targetStatus"
    assert job_total(api) == 0


def test_with_approval_on_submitting_needs_approvers(api: SignedClient) -> None:
    settings(api, approvalEnabled=True)
    response = api.call("POST", "/jobs", make_job(targetStatus="SUBMITTED"))
    assert_error(response, "DLF.0802", "approver")
    empty = api.call("POST", "/jobs", make_job(targetStatus="SUBMITTED", approvers=[]))
    assert_error(empty, "DLF.0802", "approver")
    assert job_total(api) == 0

    body = make_job(targetStatus="SUBMITTED", approvers=[{"approverName": "alice"}])
    accepted = api.call("POST", "/jobs", body)
    assert accepted.status_code == 204, accepted.text
    versions = api.call("GET", "/jobs/daily_sales/versions").json()["versions"]
    assert [(v["version"], v["status"]) for v in versions] == [(1, "SUBMITTED")]
    shown = api.call("GET", "/jobs/daily_sales").json()
    assert "approvers" not in shown
    assert "targetStatus" not in shown

    update = api.call("PUT", "/jobs/daily_sales", make_job(params=[]))
    assert_error(update, "DLF.0802", "targetStatus")
    assert api.call("GET", "/jobs/daily_sales").json()["params"] == make_job()["params"]


def test_with_approval_on_saving_needs_no_approvers(api: SignedClient) -> None:
    settings(api, approvalEnabled=True)
    assert api.call("POST", "/jobs", make_job(targetStatus="SAVED")).status_code == 204
    assert api.call("GET", "/jobs/daily_sales/versions").json()["total"] == 0


def test_with_approval_on_scripts_need_target_status_too(api: SignedClient) -> None:
    settings(api, approvalEnabled=True)
    assert_error(api.call("POST", "/scripts", make_script()), "DLF.0802", "targetStatus")
    assert api.call("GET", "/scripts").json()["total"] == 0


def test_malformed_approvers_and_target_status_are_refused(api: SignedClient) -> None:
    bad = api.call("POST", "/jobs", make_job(targetStatus="SUBMITTED", approvers=["alice"]))
    assert_error(bad, "DLF.3051", "approvers")
    bad = api.call("POST", "/jobs", make_job(targetStatus="PUBLISHED"))
    assert_error(bad, "DLF.3051", "PUBLISHED")
    assert job_total(api) == 0


# -- locks -----------------------------------------------------------------------------------


def test_lock_is_listed_with_its_holder(api: SignedClient) -> None:
    api.call("POST", "/jobs", make_job())
    alice = new_user(api, "alice", "developer")
    response = alice.call("POST", "/locks/job/daily_sales")
    assert response.status_code == 200, response.text
    assert response.json()["holder"] == "alice"
    assert alice.call("POST", "/locks/job/daily_sales").status_code == 200, "idempotent"
    locks = api.call("GET", "/locks").json()
    assert locks["total"] == 1
    assert [(lk["kind"], lk["name"], lk["holder"]) for lk in locks["locks"]] == [
        ("job", "daily_sales", "alice")
    ]


def test_locking_an_unknown_object_or_kind_is_refused(api: SignedClient) -> None:
    assert_error(api.call("POST", "/locks/job/nope"), "DLF.0100", "nope")
    assert_error(api.call("POST", "/locks/script/nope"), "DLF.6201", "nope")
    assert_error(api.call("POST", "/locks/resource/x"), "DLF.3051", "jobs and scripts")
    assert api.call("GET", "/locks").json()["total"] == 0


def _locked_by_alice(
    api: SignedClient, collection: str, created: dict[str, Any]
) -> tuple[SignedClient, SignedClient]:
    """``created`` made in ``collection`` and locked by the developer alice: her client and the
    developer bob's."""
    api.call("POST", collection, created)
    alice = new_user(api, "alice", "developer")
    bob = new_user(api, "bob", "developer")
    kind = collection.removeprefix("/").removesuffix("s")
    locked = alice.call("POST", f"/locks/{kind}/{created['name']}")
    assert locked.status_code == 200, locked.text
    return alice, bob


def test_a_lock_held_by_another_user_cannot_be_taken(api: SignedClient) -> None:
    _, bob = _locked_by_alice(api, "/jobs", make_job())
    response = bob.call("POST", "/locks/job/daily_sales")
    assert_error(response, "DLF.9012", "alice")
    assert [lk["holder"] for lk in api.call("GET", "/locks").json()["locks"]] == ["alice"]


def test_hard_lock_refuses_another_users_update_with_dlf_9012(api: SignedClient) -> None:
    alice, bob = _locked_by_alice(api, "/jobs", make_job())
    settings(api, lockPolicy="hard")
    before = api.call("GET", "/jobs/daily_sales").json()

    changed = make_job(params=[{"name": "bizdate", "value": "bob", "type": "variable"}])
    response = bob.call("PUT", "/jobs/daily_sales", changed)
    assert_error(response, "DLF.9012", "daily_sales", "alice", "hard")
    assert_error(bob.call("DELETE", "/jobs/daily_sales"), "DLF.9012", "alice")
    assert api.call("GET", "/jobs/daily_sales").json() == before
    assert api.call("GET", "/jobs/daily_sales/versions").json()["total"] == 1

    assert alice.call("PUT", "/jobs/daily_sales", changed).status_code == 204, "holder may"


def test_hard_lock_on_a_script_refuses_another_users_update(api: SignedClient) -> None:
    _, bob = _locked_by_alice(api, "/scripts", make_script())
    settings(api, lockPolicy="hard")
    response = bob.call("PUT", "/scripts/daily_sales_sql", make_script(content="bob"))
    assert_error(response, "DLF.9012", "alice")
    assert_error(bob.call("DELETE", "/scripts/daily_sales_sql"), "DLF.9012", "alice")
    assert api.call("GET", "/scripts/daily_sales_sql").json()["content"] == "select 1;"


def test_soft_lock_lets_another_user_update(api: SignedClient) -> None:
    _, bob = _locked_by_alice(api, "/jobs", make_job())
    changed = make_job(params=[{"name": "bizdate", "value": "bob", "type": "variable"}])
    response = bob.call("PUT", "/jobs/daily_sales", changed)
    assert response.status_code == 204, response.text
    assert response.headers[LOCKED_BY] == "alice"  # only warns: says whose lock it passed
    shown = api.call("GET", "/jobs/daily_sales").json()
    assert shown["params"][0]["value"] == "bob"
    assert [lk["holder"] for lk in api.call("GET", "/locks").json()["locks"]] == ["alice"]


def test_a_soft_lock_s_holder_is_named_in_a_header_of_another_user_s_change_only(
    api: SignedClient,
) -> None:
    alice, bob = _locked_by_alice(api, "/scripts", make_script())
    own = alice.call("PUT", "/scripts/daily_sales_sql", make_script(content="alice"))
    assert own.status_code == 204, own.text
    assert LOCKED_BY not in own.headers  # one's own lock says nothing
    deleted = bob.call("DELETE", "/scripts/daily_sales_sql")
    assert deleted.status_code == 204, deleted.text
    assert deleted.content == b""  # DataArts' answer, as ever
    assert deleted.headers[LOCKED_BY] == "alice"
    api.call("POST", "/jobs", make_job("other_job"))
    assert LOCKED_BY not in bob.call("DELETE", "/jobs/other_job").headers  # nobody's lock


def test_only_the_holder_or_an_admin_releases_a_lock(api: SignedClient) -> None:
    alice, bob = _locked_by_alice(api, "/jobs", make_job())

    refused = bob.call("DELETE", "/locks/job/daily_sales")
    assert_error(refused, "DLF.6888", "bob", "alice", status=403)
    assert api.call("GET", "/locks").json()["total"] == 1

    assert api.call("DELETE", "/locks/job/daily_sales").status_code == 204
    assert api.call("GET", "/locks").json()["total"] == 0
    assert_error(api.call("DELETE", "/locks/job/daily_sales"), "DLF.3051", "not locked")

    alice.call("POST", "/locks/job/daily_sales")
    assert alice.call("DELETE", "/locks/job/daily_sales").status_code == 204
    assert api.call("GET", "/locks").json()["total"] == 0


def test_viewers_cannot_lock(api: SignedClient) -> None:
    api.call("POST", "/jobs", make_job())
    viewer = new_user(api, "vera", "viewer")
    assert_error(viewer.call("POST", "/locks/job/daily_sales"), "DLF.6888", status=403)
    assert api.call("GET", "/locks").json()["total"] == 0


def test_deleting_a_job_releases_its_lock(api: SignedClient) -> None:
    api.call("POST", "/jobs", make_job())
    api.call("POST", "/locks/job/daily_sales")
    assert api.call("DELETE", "/jobs/daily_sales").status_code == 204
    assert api.call("GET", "/locks").json()["total"] == 0


# -- tags ------------------------------------------------------------------------------------


def test_put_tag_creates_a_locked_tag_and_lists_it(api: SignedClient) -> None:
    response = api.call("PUT", "/tags/finance", {"locked": True})
    assert response.status_code == 200, response.text
    assert response.json() == {"name": "finance", "locked": True}
    api.call("POST", "/jobs", make_job())
    tags = api.call("GET", "/tags").json()
    assert tags["total"] == 2
    assert [(t["name"], t["locked"]) for t in tags["tags"]] == [
        ("daily", False),
        ("finance", True),
    ]

    assert api.call("PUT", "/tags/finance", {"locked": False}).status_code == 200
    tags = api.call("GET", "/tags").json()["tags"]
    assert [(t["name"], t["locked"]) for t in tags] == [("daily", False), ("finance", False)]


def test_bad_tag_requests_are_refused(api: SignedClient) -> None:
    assert_error(api.call("PUT", "/tags/finance", {"locked": "yes"}), "DLF.3051", "locked")
    developer = new_user(api, "dave", "developer")
    refused = developer.call("PUT", "/tags/finance", {"locked": True})
    assert_error(refused, "DLF.6888", "dave", status=403)
    assert api.call("GET", "/tags").json() == {"total": 0, "tags": []}


def test_delete_tag_removes_a_tag_no_job_carries_and_refuses_the_others(
    api: SignedClient,
) -> None:
    api.call("POST", "/jobs", make_job())  # tagged daily
    api.call("PUT", "/tags/finance", {"locked": True})
    api.call("PUT", "/tags/weekly")
    listed = api.call("GET", "/tags").json()["tags"]
    assert [(t["name"], t["locked"], t["jobCount"]) for t in listed] == [
        ("daily", False, 1),
        ("finance", True, 0),
        ("weekly", False, 0),
    ]

    carried = api.call("DELETE", "/tags/daily")
    assert_error(carried, "DLF.9013", "Tag 'daily' is carried by 1 job(s)", "daily_sales")
    assert carried.json()["jobs"] == ["daily_sales"]
    assert carried.json()["jobs_total"] == 1
    assert_error(api.call("DELETE", "/tags/finance"), "DLF.9091", "Unlock it first")
    assert_error(api.call("DELETE", "/tags/monthly"), "DLF.3051", "Tag 'monthly' does not exist")
    developer = new_user(api, "dave", "developer")
    assert_error(developer.call("DELETE", "/tags/weekly"), "DLF.6888", "dave", status=403)

    assert api.call("DELETE", "/tags/weekly").status_code == 204
    assert [t["name"] for t in api.call("GET", "/tags").json()["tags"]] == ["daily", "finance"]
    assert_error(api.call("DELETE", "/tags/weekly"), "DLF.3051", "does not exist")


# -- audit -----------------------------------------------------------------------------------


def test_audit_lists_changes_newest_first(api: SignedClient) -> None:
    api.call("POST", "/jobs", make_job())
    api.call("PUT", "/jobs/daily_sales", make_job(targetStatus="SAVED"))
    api.call("POST", "/jobs/daily_sales/start", {})
    api.call("POST", "/jobs/daily_sales/stop")
    api.call("DELETE", "/jobs/daily_sales")
    response = api.call("GET", "/audit")
    assert response.status_code == 200, response.text
    body = response.json()
    entries = body["entries"]
    assert [e["action"] for e in entries[:5]] == [
        "job.delete",
        "job.stop",
        "job.start",
        "job.update",
        "job.create",
    ]
    assert all(e["actor"] == "admin" for e in entries[:5])
    assert all((e["objectKind"], e["objectName"]) == ("job", "daily_sales") for e in entries[:5])
    assert entries[4]["detail"] == {"targetStatus": "SUBMITTED", "version": 1}
    assert entries[3]["detail"] == {"targetStatus": "SAVED"}
    times = [e["time"] for e in entries]
    assert times == sorted(times, reverse=True)
    assert body["total"] >= 5


def test_audit_pages(api: SignedClient) -> None:
    for i in range(3):
        api.call("POST", "/jobs", make_job(f"job_{i}"))
    first = api.call("GET", "/audit", query={"limit": 2}).json()
    second = api.call("GET", "/audit", query={"limit": 2, "offset": 2}).json()
    assert first["total"] == second["total"]
    assert [e["objectName"] for e in first["entries"]] == ["job_2", "job_1"]
    assert second["entries"][0]["objectName"] == "job_0"


def test_audit_is_per_workspace(api: SignedClient) -> None:
    ws_b = api.call("POST", "/workspaces", {"name": "team_b"}).json()["id"]
    api.call("POST", "/jobs", make_job("in_default"))
    api.call("POST", "/jobs", make_job("in_b"), workspace=ws_b)
    names = {e["objectName"] for e in api.call("GET", "/audit").json()["entries"]}
    assert "in_default" in names
    assert "in_b" not in names
    names_b = {e["objectName"] for e in api.call("GET", "/audit", workspace=ws_b).json()["entries"]}
    assert "in_b" in names_b
    assert "in_default" not in names_b


def test_audit_searches_by_object_kind_user_action_and_time(api: SignedClient) -> None:
    api.call("POST", "/jobs", make_job())
    api.call("POST", "/scripts", make_script())
    api.call("PUT", "/jobs/daily_sales", make_job(description="v2"))
    every = api.call("GET", "/audit").json()["entries"]
    query = {"objectName": "daily_sales", "objectKind": "job", "actor": "admin", "action": "job"}
    found = api.call("GET", "/audit", query=query).json()
    assert [e["action"] for e in found["entries"]] == ["job.update", "job.create"]
    assert found["total"] == 2
    one = api.call("GET", "/audit", query={"action": "script.create"}).json()["entries"]
    assert [e["objectName"] for e in one] == ["daily_sales_sql"]
    newest = every[0]["time"]
    since = api.call("GET", "/audit", query={"since": newest}).json()["entries"]
    assert since
    assert all(e["time"] >= newest for e in since)
    until = api.call("GET", "/audit", query={"until": newest}).json()["entries"]
    assert len(since) + len(until) == len(every)


def test_audit_refuses_a_bad_search_by_name(api: SignedClient) -> None:
    bad = api.call("GET", "/audit", query={"action": "Job Update"})
    assert_error(bad, "DLF.3051", "action 'Job Update'", "job.update")
    assert bad.json()["parameter"] == "action"
    window = api.call("GET", "/audit", query={"since": 20, "until": 10})
    assert_error(window, "DLF.3051", "since 20 is not before until 10")
    assert_error(api.call("GET", "/audit", query={"since": "yesterday"}), "DLF.3051", "since")


def test_only_workspace_admins_read_the_audit(api: SignedClient) -> None:
    developer = new_user(api, "dave", "developer")
    assert_error(developer.call("GET", "/audit"), "DLF.6888", "audit", status=403)


def test_refused_changes_leave_no_audit_entry(api: SignedClient) -> None:
    api.call("POST", "/jobs", make_job())
    before = api.call("GET", "/audit").json()["total"]
    api.call("POST", "/jobs", make_job())
    api.call("PUT", "/jobs/daily_sales", make_job(name="other"))
    api.call("DELETE", "/jobs/nope")
    assert api.call("GET", "/audit").json()["total"] == before


# -- users and credentials -------------------------------------------------------------------


def test_users_are_listed_with_roles_and_access_keys(api: SignedClient) -> None:
    new_user(api, "dave", "developer")
    users = {u["name"]: u for u in api.call("GET", "/users").json()["users"]}
    assert set(users) == {"admin", "dave"}
    assert users["admin"]["projectAdmin"] is True
    assert users["admin"]["accessKeys"] == [ADMIN_AK]
    assert users["dave"]["projectAdmin"] is False
    assert [r["role"] for r in users["dave"]["roles"]] == ["developer"]
    assert len(users["dave"]["accessKeys"]) == 1
    assert "secret" not in str(users).lower()


def test_duplicate_user_name_is_refused_with_dlf_9010(api: SignedClient) -> None:
    new_user(api, "dave")
    assert_error(api.call("POST", "/users", {"name": "dave"}), "DLF.9010", "dave")
    assert api.call("GET", "/users").json()["total"] == 2


def test_project_admin_flag_must_be_a_boolean(api: SignedClient) -> None:
    for flag in ("false", "no", 1):
        response = api.call("POST", "/users", {"name": "mallory", "projectAdmin": flag})
        assert_error(response, "DLF.3051", "projectAdmin")
    assert [u["name"] for u in api.call("GET", "/users").json()["users"]] == ["admin"]

    created = api.call("POST", "/users", {"name": "pat", "projectAdmin": True})
    assert created.status_code == 200, created.text
    assert created.json()["projectAdmin"] is True
    plain = api.call("POST", "/users", {"name": "dave"}).json()
    assert plain["projectAdmin"] is False


def test_revoked_credentials_get_401(api: SignedClient) -> None:
    dave = new_user(api, "dave", "developer")
    assert dave.call("GET", "/jobs").status_code == 200
    response = api.call("DELETE", f"/users/dave/credentials/{dave.ak}")
    assert response.status_code == 204, response.text
    refused = dave.call("GET", "/jobs")
    assert refused.status_code == 401
    assert refused.json()["error_code"] == "APIGW.0301"
    assert api.call("GET", "/users").json()["users"][1]["accessKeys"] == []


def test_revoking_the_key_admin_credentials_json_holds_removes_that_file(
    api: SignedClient, settings: Settings
) -> None:
    """The guide has the generated admin's printed key pair replaced, then revoked, over the API
    as with ``jobferry admin revoke-credentials``: the data folder's file keeping it, which
    ``config init`` reads, goes with it. A revocation of another key leaves it."""
    held = write_credentials_file(
        settings.data_dir, PROJECT_ID, IssuedCredential(ADMIN_AK, ADMIN_SK)
    )
    dave = new_user(api, "dave", "developer")
    assert api.call("DELETE", f"/users/dave/credentials/{dave.ak}").status_code == 204
    assert held.exists()

    issued = api.call("POST", "/users/admin/credentials").json()
    replaced = api.as_user(issued["accessKey"], issued["secretKey"])
    revoked = replaced.call("DELETE", f"/users/admin/credentials/{ADMIN_AK}")

    assert revoked.status_code == 204, revoked.text
    assert not held.exists()
    assert api.call("GET", "/jobs").status_code == 401


def test_removing_the_user_whose_key_admin_credentials_json_holds_removes_that_file(
    api: SignedClient, settings: Settings
) -> None:
    held = write_credentials_file(
        settings.data_dir, PROJECT_ID, IssuedCredential(ADMIN_AK, ADMIN_SK)
    )
    new_user(api, "erin")
    assert api.call("DELETE", "/users/erin").status_code == 200
    assert held.exists()
    assert api.call("POST", "/users", {"name": "dora", "projectAdmin": True}).status_code == 200
    issued = api.call("POST", "/users/dora/credentials").json()
    dora = api.as_user(issued["accessKey"], issued["secretKey"])

    removed = dora.call("DELETE", "/users/admin")

    assert removed.status_code == 200, removed.text
    assert "removedFile" not in removed.json()  # the server's own path stays its own
    assert not held.exists()


def test_a_revocation_whose_credentials_file_cannot_be_removed_still_answers_it_revoked(
    api: SignedClient,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The key is revoked once the transaction commits: a data folder that refuses the file's
    removal (read-only, another owner) must not turn that done revocation into a 500 the
    client would take for a failure. The file stays, and the log says so for the operator."""
    held = write_credentials_file(
        settings.data_dir, PROJECT_ID, IssuedCredential(ADMIN_AK, ADMIN_SK)
    )
    unlink = Path.unlink

    def refused(path: Path, missing_ok: bool = False) -> None:
        if path == held:
            raise PermissionError(13, "Permission denied", str(path))
        unlink(path, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", refused)
    caplog.set_level(logging.WARNING, logger="jobferry.security")
    issued = api.call("POST", "/users/admin/credentials").json()
    replaced = api.as_user(issued["accessKey"], issued["secretKey"])

    revoked = replaced.call("DELETE", f"/users/admin/credentials/{ADMIN_AK}")

    assert revoked.status_code == 204, revoked.text
    assert api.call("GET", "/jobs").status_code == 401
    assert held.exists()
    said = [r.getMessage() for r in caplog.records if r.name == "jobferry.security"]
    assert any(str(held) in line and "remove it" in line for line in said), said


def test_revoking_an_unknown_or_foreign_key_answers_dlf_9003(api: SignedClient) -> None:
    new_user(api, "dave")
    response = api.call("DELETE", f"/users/dave/credentials/{ADMIN_AK}")
    assert_error(response, "DLF.9003", "dave", ADMIN_AK)
    assert api.call("GET", "/jobs").status_code == 200, "the admin key still works"
    assert_error(api.call("DELETE", "/users/ghost/credentials/X"), "DLF.9003", "ghost")


def test_a_user_may_issue_and_revoke_their_own_keys_only(api: SignedClient) -> None:
    dave = new_user(api, "dave", "developer")
    new_user(api, "erin", "developer")
    second = dave.call("POST", "/users/dave/credentials")
    assert second.status_code == 200, second.text
    other = dave.as_user(second.json()["accessKey"], second.json()["secretKey"])
    assert other.call("GET", "/jobs").status_code == 200
    assert dave.call("DELETE", f"/users/dave/credentials/{other.ak}").status_code == 204
    assert other.call("GET", "/jobs").status_code == 401

    assert_error(dave.call("POST", "/users/erin/credentials"), "DLF.6888", status=403)
    erin_keys = next(
        u["accessKeys"] for u in api.call("GET", "/users").json()["users"] if u["name"] == "erin"
    )
    assert len(erin_keys) == 1
    refused = dave.call("DELETE", f"/users/erin/credentials/{erin_keys[0]}")
    assert_error(refused, "DLF.6888", status=403)


def test_non_admins_cannot_create_users_or_workspaces(api: SignedClient) -> None:
    developer = new_user(api, "dave", "developer")
    refused = developer.call("POST", "/users", {"name": "mallory"})
    assert_error(refused, "DLF.6888", "dave", "project admin", status=403)
    refused = developer.call("POST", "/users", {"name": "mallory", "projectAdmin": True})
    assert_error(refused, "DLF.6888", status=403)
    assert_error(developer.call("GET", "/users"), "DLF.6888", status=403)
    assert_error(developer.call("POST", "/workspaces", {"name": "rogue"}), "DLF.6888", status=403)
    assert [u["name"] for u in api.call("GET", "/users").json()["users"]] == ["admin", "dave"]
    assert api.call("GET", "/workspaces").json()["total"] == 1


def test_only_workspace_admins_grant_roles(api: SignedClient) -> None:
    developer = new_user(api, "dave", "developer")
    new_user(api, "erin")
    ws = default_workspace(api)
    refused = developer.call("PUT", f"/users/erin/roles/{ws}", {"role": "admin"})
    assert_error(refused, "DLF.6888", status=403)
    refused = developer.call("PUT", f"/users/dave/roles/{ws}", {"role": "admin"})
    assert_error(refused, "DLF.6888", status=403)
    users = {u["name"]: u["roles"] for u in api.call("GET", "/users").json()["users"]}
    assert users["erin"] == []
    assert [r["role"] for r in users["dave"]] == ["developer"]


def test_bad_role_and_unknown_user_are_refused(api: SignedClient) -> None:
    new_user(api, "dave")
    ws = default_workspace(api)
    assert_error(api.call("PUT", f"/users/dave/roles/{ws}", {"role": "owner"}), "DLF.3051", "owner")
    assert_error(api.call("PUT", f"/users/dave/roles/{ws}", {}), "DLF.3051", "Role")
    assert_error(api.call("PUT", f"/users/ghost/roles/{ws}", {"role": "viewer"}), "DLF.9003")
    assert_error(api.call("PUT", "/users/dave/roles/nowhere", {"role": "viewer"}), "DLF.0819")
    users = {u["name"]: u["roles"] for u in api.call("GET", "/users").json()["users"]}
    assert users["dave"] == []


def test_a_role_that_is_not_text_is_refused_with_400(api: SignedClient) -> None:
    new_user(api, "dave")
    ws = default_workspace(api)
    for value in (["admin"], {"role": "admin"}):
        response = api.call("PUT", f"/users/dave/roles/{ws}", {"role": value})
        assert_error(response, "DLF.3051", "Role")
    users = {u["name"]: u["roles"] for u in api.call("GET", "/users").json()["users"]}
    assert users["dave"] == []


def test_removing_a_role_takes_access_away(api: SignedClient) -> None:
    dave = new_user(api, "dave", "developer")
    ws = default_workspace(api)
    assert api.call("DELETE", f"/users/dave/roles/{ws}").status_code == 204
    assert_error(dave.call("GET", "/jobs"), "DLF.6888", "no role", status=403)
    assert_error(api.call("DELETE", f"/users/dave/roles/{ws}"), "DLF.9003", "dave")


def test_the_projects_own_entries_are_read_with_project_true(api: SignedClient) -> None:
    # users, their access keys and sign-ins belong to no workspace: no workspace's log shows
    # them, the project's does (project admins)
    ada = new_user(api, "ada", "admin")
    project = api.call("GET", "/audit", query={"project": "true", "objectName": "ada"})
    assert project.status_code == 200, project.text
    found = [(e["actor"], e["action"], e["objectKind"]) for e in project.json()["entries"]]
    assert found == [("admin", "credential.create", "user"), ("admin", "user.create", "user")]
    assert project.json()["total"] == 2
    assert "imports" not in project.json()
    workspace = api.call("GET", "/audit", query={"objectName": "ada"}).json()
    assert [e["action"] for e in workspace["entries"]] == ["role.set"]
    # a workspace admin who is no project admin reads their workspace's log, not the project's
    assert ada.call("GET", "/audit").status_code == 200
    assert_error(
        ada.call("GET", "/audit", query={"project": "true"}),
        "DLF.6888",
        "project admin",
        status=403,
    )


# -- removing users ---------------------------------------------------------------------------


def test_a_removed_users_keys_are_refused_at_once_and_the_answer_says_what_went(
    api: SignedClient,
) -> None:
    ada = new_user(api, "ada", "developer")
    assert ada.call("GET", "/jobs").status_code == 200
    keys = [
        u["accessKeys"] for u in api.call("GET", "/users").json()["users"] if u["name"] == "ada"
    ]

    removed = api.call("DELETE", "/users/ada")

    assert removed.status_code == 200, removed.text
    assert removed.json() == {
        "user": "ada",
        "accessKeys": keys[0],
        "roles": ["default"],
        "sessionsEnded": 0,
        "tokensRevoked": 0,
        "approvalKeys": 0,
        "locksReleased": 0,
        "routesLeftShort": [],
        "packagesLeftShort": [],
    }
    assert_error(ada.call("GET", "/jobs"), "APIGW.0301", status=401)
    assert [u["name"] for u in api.call("GET", "/users").json()["users"]] == ["admin"]


def test_removing_oneself_or_no_such_user_is_refused_in_the_envelope(api: SignedClient) -> None:
    own = api.call("DELETE", "/users/admin")
    assert_error(own, "DLF.3051", "cannot remove themselves")
    assert (own.json()["rule"], own.json()["user"]) == ("user.self", "admin")
    assert own.json()["error_msg"].endswith("Have another project admin remove this user.")
    assert_error(api.call("DELETE", "/users/nobody"), "DLF.9003", "'nobody' does not exist")
    ada = new_user(api, "ada", "admin")
    assert_error(ada.call("DELETE", "/users/admin"), "DLF.6888", status=403)
    assert len(api.call("GET", "/users").json()["users"]) == 2


def test_a_user_made_project_admin_manages_users_and_the_last_admin_stays_one(
    api: SignedClient,
) -> None:
    ada = new_user(api, "ada")
    assert_error(ada.call("GET", "/users"), "DLF.6888", status=403)

    made = api.call("PUT", "/users/ada", {"projectAdmin": True})

    assert (made.status_code, made.json()) == (200, {"name": "ada", "projectAdmin": True})
    assert ada.call("GET", "/users").status_code == 200
    assert ada.call("PUT", "/users/admin", {"projectAdmin": False}).status_code == 200
    last = ada.call("PUT", "/users/ada", {"projectAdmin": False})
    assert_error(
        last, "DLF.3051", "last admin", "Make another user a project admin first (PUT /v1/"
    )
    assert (last.json()["rule"], last.json()["remedy"]) == ("user.last_admin", "keep_project_admin")
    assert_error(ada.call("PUT", "/users/ada", {}), "DLF.3051", "projectAdmin must be true")
    assert_error(api.call("GET", "/users"), "DLF.6888", status=403)
