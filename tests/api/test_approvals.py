"""Signed approvals on the wire (in-process, SQLite and PostgreSQL): approval keys of the
caller, a workspace's approval rule, a package's approvals file, an approval kept or refused in
the DataArts envelope, and a deploy refused until enough approvals count."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jobferry.package.approvals import check_approvals, sign_statement
from jobferry.package.keys import generate_key_pair
from jobferry.services.container import Services
from support.accounts import new_user
from support.clients import SignedClient, assert_error
from support.importing import connected_workspace, run_import, upload
from support.packages import write_package
from support.releases import connected_team, signed_release


def _v2(api: SignedClient, method: str, path: str, body: Any = None, **kw: Any) -> Any:
    return api.call(method, f"/factory{path}", body, version="v2", **kw)


def _me(api: SignedClient) -> str:
    return str(api.call("GET", "/users/me").json()["id"])


def _approver_id(api: SignedClient, name: str) -> str:
    return next(
        str(u["id"]) for u in api.call("GET", "/users").json()["users"] if u["name"] == name
    )


def _package(api: SignedClient, tmp_path: Path, approver: str) -> tuple[str, int]:
    ws = connected_workspace(api, "signed")
    assert api.call("PUT", f"/users/{approver}/roles/{ws}", {"role": "deployer"}).status_code == 204
    assert api.call("PUT", f"/{api.project_id}/workspace/{ws}", {"name": "signed", "mode": "1"})
    path = upload(api, write_package(tmp_path / "p.zip").read_bytes(), ws)
    assert run_import(api, {"path": path, "targetStatus": "SUBMITTED"}, ws)["status"] == (
        "SUCCESSFUL"
    )
    items = _v2(api, "GET", "/pending-items", workspace=ws, query={"limit": "100"}).json()
    body = {
        "apply_user_id": _me(api),
        "package_name": "signed_release",
        "pending_item_list": [str(i["pending_item_id"]) for i in items["data"]],
        "approver_ids": [_approver_id(api, approver)],
    }
    created = _v2(api, "POST", "/pending-items/package", body, workspace=ws)
    assert created.status_code == 200, created.text
    return ws, int(created.json()["release_package_id"])


def test_keys_of_the_caller_and_of_the_members(api: SignedClient) -> None:
    pair = generate_key_pair()
    added = api.call("POST", "/users/me/approval-keys", {"publicKey": pair.public_key, "name": "l"})
    assert added.status_code == 200, added.text
    assert added.json()["keyId"] == pair.key_id
    assert added.json()["revokeTime"] is None
    again = api.call("POST", "/users/me/approval-keys", {"publicKey": pair.public_key})
    assert_error(again, "DLF.9010", pair.key_id)
    bad = api.call("POST", "/users/me/approval-keys", {"publicKey": "ed25519:nope"})
    assert_error(bad, "DLF.3051", "publicKey is not usable")
    listed = api.call("GET", "/users/me/approval-keys").json()
    assert [k["keyId"] for k in listed["keys"]] == [pair.key_id]
    members = api.call("GET", "/approval-keys").json()
    assert pair.key_id in {k["keyId"] for k in members["keys"]}
    revoked = api.call("DELETE", f"/users/me/approval-keys/{pair.key_id}")
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revokeTime"] is not None
    gone = api.call("DELETE", "/users/me/approval-keys/0000000000000000")
    assert_error(gone, "DLF.9007", "is not one of")


def test_a_deploy_waits_for_the_signed_approval(api: SignedClient, tmp_path: Path) -> None:
    dora = new_user(api, "dora")
    ws, package = _package(api, tmp_path, "dora")
    refused_rule = api.call("PUT", "/approval-rule", {"requireApprovals": -1}, workspace=ws)
    assert_error(refused_rule, "DLF.3051", "requireApprovals")
    rule = api.call("PUT", "/approval-rule", {"requireApprovals": 1}, workspace=ws)
    assert rule.json() == {"requireApprovals": 1}
    assert api.call("GET", "/approval-rule", workspace=ws).json() == {"requireApprovals": 1}

    deploy = {"package_ids": [str(package)], "startup_mode": 0}
    missing = _v2(dora, "POST", "/release-packages/deploy", deploy, workspace=ws)
    assert_error(missing, "DLF.9044", "1 approval of its plan is required, 0 count")
    assert missing.json()["remedy"] == "approve_plan"

    approvals = f"/release-packages/{package}/approvals"
    document = _v2(dora, "GET", approvals, workspace=ws).json()
    assert document["statement"].startswith("jobferry-approval/1\n")
    pair = generate_key_pair()
    dora.call("POST", "/users/me/approval-keys", {"publicKey": pair.public_key})
    signed = {
        "keyId": pair.key_id,
        "planHash": document["planHash"],
        "signature": sign_statement(pair.private_pem, document["statement"]),
    }
    own = generate_key_pair()
    api.call("POST", "/users/me/approval-keys", {"publicKey": own.public_key})
    mine = {**signed, "keyId": own.key_id}
    mine["signature"] = sign_statement(own.private_pem, document["statement"])
    self_approval = _v2(api, "POST", approvals, mine, workspace=ws)
    assert_error(self_approval, "DLF.9043", "nobody approves their own plan")
    assert self_approval.json()["rule"] == "approval.self"
    forged = _v2(dora, "POST", approvals, {**signed, "signature": mine["signature"]}, workspace=ws)
    assert_error(forged, "DLF.9043", "is not key")
    assert_error(_v2(dora, "POST", approvals, {"keyId": 1}, workspace=ws), "DLF.9043", "planHash")

    kept = _v2(dora, "POST", approvals, signed, workspace=ws)
    assert kept.status_code == 200, kept.text
    assert kept.json()["counted"] == 1
    assert check_approvals(kept.json()).ok
    started = _v2(dora, "POST", "/release-packages/deploy", deploy, workspace=ws)
    assert started.status_code == 200, started.text


def test_a_signed_release_approved_with_a_distrusted_key_is_refused_in_the_envelope(
    api: SignedClient, services: Services
) -> None:
    data, pair = signed_release(services, connected_team(services, "sales"))
    ops = connected_team(services, "ops").admin.workspace
    leaked = {"publicKey": pair.public_key, "name": "alice's laptop"}
    assert api.call("POST", "/trusted-keys/distrust", leaked, workspace=ops.id).status_code == 200
    path = upload(api, data, ops.id)

    refused = api.call(
        "POST",
        "/factory/release-packages/signed-release",
        {"path": path},
        workspace=ops.id,
        version="v2",
    )

    assert_error(
        refused,
        "DLF.9067",
        f"signed by key {pair.key_id} ('alice's laptop'), which the workspace distrusts",
        "approve the package again",
    )
    body = refused.json()
    assert (body["key_id"], body["rule"], body["remedy"]) == (
        pair.key_id,
        "approval.distrusted",
        "distrusted_approver",
    )
    assert body["workspace"] == ops.name
