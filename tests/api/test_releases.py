"""The release calls on the wire (in-process, SQLite and PostgreSQL): the DataArts envelope of
every refusal, enterprise mode switched with ``update_work_space_old``, and imports into an
enterprise workspace (as submitted: pending items; as released: production, no item)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from support.accounts import new_user
from support.builders import make_job
from support.clients import SignedClient, assert_error
from support.importing import connected_workspace, run_import, upload
from support.packages import write_package


def _enterprise(api: SignedClient, name: str = "em") -> str:
    ws = connected_workspace(api, name)
    answer = api.call("PUT", f"/{api.project_id}/workspace/{ws}", {"name": name, "mode": "1"})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"message": None, "is_success": True}
    return ws


def _v2(api: SignedClient, method: str, path: str, body: Any = None, **kw: Any) -> Any:
    return api.call(method, f"/factory{path}", body, version="v2", **kw)


def _pending(api: SignedClient, ws: str) -> list[dict[str, Any]]:
    answer = _v2(api, "GET", "/pending-items", workspace=ws, query={"limit": "100"})
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["data"]
    assert answer.json()["total"] == len(items)
    return items


def test_update_work_space_old_switches_to_enterprise_mode(api: SignedClient) -> None:
    ws = connected_workspace(api, "em")
    path = f"/{api.project_id}/workspace/{ws}"
    refused = api.call("PUT", path, {"name": "other", "mode": "1", "description": "d"})
    assert_error(refused, "DLF.3051", "name 'other'", "description is not kept")
    assert_error(api.call("PUT", path, {"name": "em", "mode": "2"}), "DLF.3051", "mode '2'")
    listed = {w["id"]: w for w in api.call("GET", "/workspaces").json()["workspaces"]}
    assert listed[ws]["mode"] == "0"

    assert api.call("PUT", path, {"name": "em", "mode": "1"}).status_code == 200
    listed = {w["id"]: w for w in api.call("GET", "/workspaces").json()["workspaces"]}
    assert listed[ws]["mode"] == "1"
    production = listed[ws]["productionWorkspaceId"]
    assert production not in listed
    assert_error(api.call("PUT", path, {"name": "em", "mode": "0"}), "DLF.3051", "no downgrade")
    assert api.call("PUT", path, {"name": "em", "mode": "1"}).status_code == 200
    created = api.call("POST", "/jobs", make_job("direct"), workspace=production)
    assert_error(created, "DLF.9070", "only by a release")
    review = api.call("PUT", f"/workspaces/{ws}", {"approvalEnabled": True})
    assert_error(review, "DLF.3051", "no review of submissions")


def test_the_release_calls_refuse_in_the_dataarts_envelope(api: SignedClient) -> None:
    simple = connected_workspace(api, "simple")
    assert_error(_v2(api, "GET", "/pending-items", workspace=simple), "DLF.3051", "simple mode")
    ws = _enterprise(api)
    assert_error(_v2(api, "GET", "/pending-items"), "DLF.0802", "'workspace' header")
    bad_limit = _v2(api, "GET", "/pending-items", workspace=ws, query={"limit": "500"})
    assert_error(bad_limit, "DLF.3051", "limit 500")
    refused = _v2(api, "POST", "/pending-items/package", {"package_name": "p"}, workspace=ws)
    assert_error(refused, "DLF.3051", "no applicant is named", "pending items are not a list")
    assert "Send 1 to 100 pending_item_list ids" in refused.json()["error_msg"]  # the fix
    assert refused.json()["remedy"] == "mend_package_request"
    assert len(refused.json()["problems"]) >= 3
    assert_error(_v2(api, "GET", "/release-packages/77", workspace=ws), "DLF.0810", "'77'")
    assert_error(_v2(api, "POST", "/release-packages/deploy", {}, workspace=ws), "DLF.3051")
    unknown = _v2(api, "POST", "/release-packages/unpack", {"package_ids": ["9"]}, workspace=ws)
    assert_error(unknown, "DLF.0810")
    listed = _v2(api, "POST", "/release-packages", {}, workspace=ws)
    assert listed.status_code == 200
    assert listed.json() == {"total": 0, "data": []}
    assert listed.headers["X-request-id"]
    bad_status = _v2(
        api, "POST", "/release-packages", {"deploy_status_filter": ["x"]}, workspace=ws
    )
    assert_error(bad_status, "DLF.3051", "deploy_status_filter")


BIG = str(10**23)
"""A number past what either database stores (and past orjson's 64 bits)."""


def test_numbers_past_what_the_database_stores_are_unknown_ids_or_refused_parameters(
    api: SignedClient,
) -> None:
    ws = _enterprise(api)
    for method, path, body, named in (
        ("GET", f"/release-packages/{BIG}", None, BIG),
        ("GET", f"/release-packages/{2**31}", None, str(2**31)),  # past PostgreSQL's integer
        ("GET", f"/release-packages/{BIG}/approvals", None, BIG),
        ("POST", f"/release-packages/{BIG}/plan", None, BIG),
        ("POST", f"/release-packages/{BIG}/rollback", None, BIG),
        ("POST", "/release-packages/deploy", {"package_ids": [BIG]}, BIG),
        ("POST", "/release-packages/unpack", {"package_ids": [BIG]}, BIG),
    ):
        unknown = f"Release package '{named}' does not exist in workspace 'em'"
        assert_error(_v2(api, method, path, body, workspace=ws), "DLF.0810", unknown)
    entry = _v2(api, "POST", f"/release-ledger/{BIG}/restore", workspace=ws)
    assert_error(entry, "DLF.9016", f"Entry {BIG} ", "is not a release")
    assert entry.json()["entry_id"] == BIG
    for path, query, parameter in (
        ("/pending-items", {"offset": BIG}, "offset"),
        ("/pending-items", {"start_time": BIG}, "start_time"),
        ("/workspaces/approval", {"begin_time": BIG}, "begin_time"),
        ("/release-ledger", {"at": BIG}, "at"),
    ):
        refused = _v2(api, "GET", path, workspace=ws, query=query)
        assert_error(refused, "DLF.3051", f"{parameter} {BIG} is out of range")
        assert refused.json()["parameter"] == parameter
    body = f'{{"offset": {BIG}}}'.encode()  # no 64-bit JSON integer holds it
    listed = _v2(api, "POST", "/release-packages", body, workspace=ws)
    assert_error(listed, "DLF.3051", "the number at 'offset'", "larger than 64 bits")
    assert listed.json()["rule"] == "json.integer"


def test_an_import_as_submitted_keeps_pending_items(api: SignedClient, tmp_path: Path) -> None:
    ws = _enterprise(api)
    path = upload(api, write_package(tmp_path / "p.zip").read_bytes(), ws)
    task = run_import(api, {"path": path, "targetStatus": "SUBMITTED"}, ws)
    assert task["status"] == "SUCCESSFUL", task
    items = {(i["task_type"], i["item_name"]): i for i in _pending(api, ws)}
    assert set(items) == {(1, "daily_sales"), (2, "daily_sales_sql"), (2, "daily_sales_sh")}
    assert items[1, "daily_sales"]["update_type"] == 1
    assert items[1, "daily_sales"]["package_flag"] == 0
    assert items[1, "daily_sales"]["project_id"] == f"{api.project_id}-workspace-{ws}"
    changed = write_package(tmp_path / "v2.zip", [make_job("daily_sales", description="v2")])
    second = upload(api, changed.read_bytes(), ws)
    again = run_import(
        api, {"path": second, "targetStatus": "SUBMITTED", "sameNamePolicy": "OVERWRITE"}, ws
    )
    assert again["status"] == "SUCCESSFUL", again
    after = {(i["task_type"], i["item_name"]): i for i in _pending(api, ws)}
    assert set(after) == set(items)
    assert after[1, "daily_sales"]["pending_item_id"] == items[1, "daily_sales"]["pending_item_id"]
    assert after[1, "daily_sales"]["pending_version"] == 2


def test_an_import_as_released_writes_production_directly(
    api: SignedClient, tmp_path: Path
) -> None:
    ws = _enterprise(api)
    path = upload(api, write_package(tmp_path / "p.zip").read_bytes(), ws)
    task = run_import(api, {"path": path, "targetStatus": "PRODUCTION"}, ws)
    assert task["status"] == "SUCCESSFUL", task
    assert _pending(api, ws) == []
    assert_error(api.call("GET", "/jobs/daily_sales", workspace=ws), "DLF.0100")
    listed = {w["id"]: w for w in api.call("GET", "/workspaces").json()["workspaces"]}
    production = listed[ws]["productionWorkspaceId"]
    shown = api.call("GET", "/jobs/daily_sales", workspace=production)
    assert shown.status_code == 200, shown.text
    # Signed packages only would refuse every release into it: refused on a production side.
    signed_only = api.call("PUT", f"/workspaces/{production}", {"requireSigned": True})
    assert_error(signed_only, "DLF.3051", "is a production side")
    assert api.call("PUT", f"/workspaces/{ws}", {"requireSigned": True}).status_code == 200


def test_the_review_centre_lists_submissions_made_with_approvers(api: SignedClient) -> None:
    ws = connected_workspace(api, "reviewed")
    settings = api.call("PUT", f"/workspaces/{ws}", {"approvalEnabled": True})
    assert settings.status_code == 200, settings.text
    body = {**make_job("reviewed_job"), "targetStatus": "SUBMITTED"}
    body["approvers"] = [{"approverName": "admin"}]
    assert api.call("POST", "/jobs", body, workspace=ws).status_code == 204

    def listed(**query: str) -> Any:
        return _v2(api, "GET", "/workspaces/approval", workspace=ws, query=query)

    mine = listed()
    assert mine.status_code == 200, mine.text
    assert mine.json()["total"] == 1
    item = mine.json()["job_apply_search_list"][0]
    assert (item["object_name"], item["object_type"], item["status"]) == (
        "reviewed_job",
        "JOB",
        "APPROVED",
    )
    assert item["approver_name"] == "admin"
    assert item["actual_approver"] is None
    assert listed(status="DEVELOPING").json()["total"] == 0
    blank = listed(offset="")  # refused as every other list refuses it
    assert_error(blank, "DLF.3051", "offset must be a whole number from 0 to 1000000000, not ''")
    assert listed(type="DEVELOPING").json()["total"] == 0
    assert listed(object_type="SCRIPT").json()["total"] == 0
    assert listed(type="FINISHED").json()["total"] == 1
    assert_error(listed(type="MINE"), "DLF.3051", "type 'MINE'")
    to_enterprise = {"name": "reviewed", "mode": "1"}
    refused = api.call("PUT", f"/{api.project_id}/workspace/{ws}", to_enterprise)
    assert_error(refused, "DLF.3051", "approval switched on")


def test_workspace_members_and_roles_name_the_approvers(api: SignedClient) -> None:
    ws = _enterprise(api, "members")
    new_user(api, "dora", role="deployer", workspace=ws)
    answer = api.call("GET", f"/{ws}/users", version="v2", query={"limit": "10"})
    assert answer.status_code == 200, answer.text
    found = {m["user_name"]: m["roles"][0]["role_code"] for m in answer.json()["data"]}
    assert found == {"admin": "admin", "dora": "deployer"}
    assert answer.json()["count"] == 2
    codes = [r["role_code"] for r in api.call("GET", "/users/role", version="v2").json()]
    assert codes == ["admin", "developer", "operator", "viewer", "deployer"]
    stranger = api.call("GET", "/no-such-workspace/users", version="v2")
    assert_error(stranger, "DLF.0819")
