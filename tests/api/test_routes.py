"""Routes through the API: saved as versions, read back in canonical form, refused with every
problem (and nothing stored), changed only by project admins."""

from __future__ import annotations

from typing import Any

from support.accounts import new_user
from support.clients import SignedClient, assert_error
from support.importing import new_workspace

ROUTE: dict[str, Any] = {
    "description": "test to prod",
    "source": {"workspace": "default"},
    "target": {"workspace": "prod"},
    "selection": {"kind": "FOLDERS", "values": ["/sales"]},
    "profile": "prod",
    "propagateDeletes": True,
    "scheduling": "PAUSE_AND_RESTORE",
}


def _prod(api: SignedClient) -> str:
    """Workspace prod, holding the profile ROUTE names."""
    ws = new_workspace(api, "prod")
    saved = api.call("PUT", "/profiles/prod", {"params": {"env": "prod"}}, workspace=ws)
    assert saved.status_code == 200, saved.text
    return ws


def _routes(api: SignedClient) -> list[Any]:
    listed = api.call("GET", "/routes")
    assert listed.status_code == 200, listed.text
    return list(listed.json()["routes"])


def test_a_route_is_saved_as_versions_with_every_setting_written_out(api: SignedClient) -> None:
    _prod(api)
    first = api.call("PUT", "/routes/test-prod", ROUTE)
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["version"] == 1
    assert {k: body[k] for k in ("sameNamePolicy", "onDrift", "mode", "requireSignature")} == {
        "sameNamePolicy": "AUTO",
        "onDrift": "FAIL",
        "mode": "ATOMIC",
        "requireSignature": False,
    }
    assert body["selection"] == {"kind": "FOLDERS", "values": ["/sales"], "withUpstream": True}
    assert body["propagateDeletes"] is True
    second = api.call("PUT", "/routes/test-prod", {**ROUTE, "onDrift": "KEEP_TARGET"})
    assert second.json()["version"] == 2
    assert api.call("GET", "/routes/test-prod").json()["onDrift"] == "KEEP_TARGET"
    old = api.call("GET", "/routes/test-prod", query={"version": 1}).json()
    assert (old["version"], old["onDrift"]) == (1, "FAIL")
    versions = api.call("GET", "/routes/test-prod/versions").json()["versions"]
    assert [v["version"] for v in versions] == [2, 1]
    assert [(r["name"], r["version"]) for r in _routes(api)] == [("test-prod", 2)]
    assert api.call("DELETE", "/routes/test-prod").status_code == 204
    gone = api.call("GET", "/routes/test-prod")
    assert gone.status_code == 400
    assert gone.json()["error_code"] == "DLF.9040"
    assert "GET /v1/{project_id}/routes" in gone.json()["error_msg"]


def test_an_invalid_route_is_refused_with_every_problem_and_not_stored(api: SignedClient) -> None:
    bad = {
        "source": {"workspace": "default"},
        "target": {"workspace": "default"},
        "selection": {"kind": "TAGS"},
        "sameNamePolicy": "MERGE",
        "schedule": "now",
    }
    refused = api.call("PUT", "/routes/bad", bad)
    assert refused.status_code == 400
    body = refused.json()
    assert body["error_code"] == "DLF.3051"
    problems = " | ".join(body["problems"])
    for words in ("different workspaces", "TAGS needs", "MERGE", "schedule"):
        assert words in problems, problems
    assert _routes(api) == []


def test_a_route_s_inline_profile_is_checked_as_a_saved_profile_is(api: SignedClient) -> None:
    _prod(api)
    inline = {"owner": "ops", "targetOwned": ["nodes[*].properties[retryTimes]"]}
    refused = api.call("PUT", "/routes/owned", {**ROUTE, "profile": inline})
    assert refused.status_code == 400
    body = refused.json()
    assert body["error_code"] == "DLF.3051"
    assert body["problems"] == [
        "profile: targetOwned[0]: 'nodes[*].properties[retryTimes]' names no field: retryTimes "
        "is a field of the node, not one of its properties; write nodes[*].retryTimes"
    ]
    assert _routes(api) == []
    inline["targetOwned"] = ["nodes[*].retryTimes"]
    saved = api.call("PUT", "/routes/owned", {**ROUTE, "profile": inline})
    assert saved.status_code == 200, saved.text


def test_a_route_to_a_missing_workspace_names_the_fix(api: SignedClient) -> None:
    refused = api.call("PUT", "/routes/r", {**ROUTE, "target": {"workspace": "nowhere"}})
    assert refused.status_code == 400
    message = refused.json()["error_msg"]
    assert "'nowhere' does not exist" in message
    assert '"carried": true' in message
    carried = api.call("PUT", "/routes/r", {**ROUTE, "target": {"carried": True}})
    assert carried.status_code == 200, carried.text
    assert carried.json()["target"] == {"carried": True}


def test_a_route_naming_a_profile_its_target_lacks_is_refused_saying_how_to_save_it(
    api: SignedClient,
) -> None:
    ws = new_workspace(api, "prod")
    refused = api.call("PUT", "/routes/test-prod", ROUTE)
    assert_error(refused, "DLF.9006", "environment profile 'prod'", "workspace 'prod'")
    body = refused.json()
    assert "PUT /v1/{project_id}/profiles/prod" in body["error_msg"]
    assert (body["remedy"], body["route"], body["profile"]) == (
        "route_profile",
        "test-prod",
        "prod",
    )
    assert _routes(api) == []
    api.call("PUT", "/profiles/prod", {"params": {"env": "prod"}}, workspace=ws)
    assert api.call("PUT", "/routes/test-prod", ROUTE).status_code == 200


def test_a_route_s_inline_profile_with_an_unknown_zone_is_refused(api: SignedClient) -> None:
    new_workspace(api, "prod")
    inline = {"timeZone": {"zone": "Europe/Londn", "mode": "keepInstant"}}
    refused = api.call("PUT", "/routes/uk", {**ROUTE, "profile": inline})
    assert_error(refused, "DLF.3051", "profile: timeZone.zone", "'Europe/Londn' is not known")
    assert "did you mean 'Europe/London'?" in refused.json()["error_msg"]
    assert _routes(api) == []


def test_only_project_admins_change_routes(api: SignedClient) -> None:
    _prod(api)
    dev = new_user(api, "route_dev", role="admin")
    refused = dev.call("PUT", "/routes/test-prod", ROUTE)
    assert refused.status_code == 403
    assert "project admin" in refused.json()["error_msg"]
    assert _routes(api) == []
    assert api.call("PUT", "/routes/test-prod", ROUTE).status_code == 200
    assert [r["name"] for r in _routes(dev)] == ["test-prod"]
    assert dev.call("DELETE", "/routes/test-prod").status_code == 403


def test_a_save_on_a_condition_never_saves_over_a_version_it_did_not_read(
    api: SignedClient,
) -> None:
    """The HTTP conditions of a versioned document: the version as its entity tag, a create
    (If-None-Match: *) that finds one and a change (If-Match) of a version saved over since are
    refused with 412 DLF.9018, naming the newest, and save nothing."""
    _prod(api)
    created = api.call("PUT", "/routes/r", ROUTE, extra_headers={"If-None-Match": "*"})
    assert (created.status_code, created.headers["ETag"]) == (200, '"1"'), created.text
    assert api.call("GET", "/routes/r").headers["ETag"] == '"1"'

    again = api.call("PUT", "/routes/r", ROUTE, extra_headers={"If-None-Match": "*"})
    assert again.status_code == 412, again.text
    assert again.json()["error_code"] == "DLF.9018"
    assert "Route 'r' exists (version 1, saved by " in again.json()["error_msg"]
    assert again.json()["version"] == 1

    changed = {**ROUTE, "description": "changed"}
    assert (
        api.call("PUT", "/routes/r", changed, extra_headers={"If-Match": '"1"'}).json()["version"]
        == 2
    )
    stale = api.call("PUT", "/routes/r", ROUTE, extra_headers={"If-Match": 'W/"1"'})
    assert stale.status_code == 412
    assert "is at version 2" in stale.json()["error_msg"]
    assert "not version 1: it changed since it was read" in stale.json()["error_msg"]
    assert (stale.json()["version"], stale.json()["expected_version"]) == (2, 1)
    assert api.call("GET", "/routes/r").json()["description"] == "changed"  # nothing saved

    assert api.call("PUT", "/routes/r", ROUTE, extra_headers={"If-Match": "*"}).status_code == 200
    missing = api.call("PUT", "/routes/none", ROUTE, extra_headers={"If-Match": "*"})
    assert missing.status_code == 412
    assert "Route 'none' does not exist" in missing.json()["error_msg"]
    assert api.call("GET", "/routes/none").status_code == 400  # nothing saved

    for headers in ({"If-Match": "v1"}, {"If-Match": '"0"'}, {"If-None-Match": '"1"'}):
        bad = api.call("PUT", "/routes/r", ROUTE, extra_headers=headers)
        assert (bad.status_code, bad.json()["error_code"]) == (400, "DLF.3051"), headers
    both = api.call(
        "PUT", "/routes/r", ROUTE, extra_headers={"If-Match": "*", "If-None-Match": "*"}
    )
    assert both.status_code == 400
    assert [v["version"] for v in api.call("GET", "/routes/r/versions").json()["versions"]] == [
        3,
        2,
        1,
    ]


def test_profiles_and_policies_take_the_same_conditions(api: SignedClient) -> None:
    profile = {"params": {"env": "prod"}}
    assert api.call("PUT", "/profiles/p", profile).headers["ETag"] == '"1"'
    assert api.call("PUT", "/profiles/p", profile).status_code == 200
    stale = api.call("PUT", "/profiles/p", profile, extra_headers={"If-Match": '"1"'})
    assert (stale.status_code, stale.json()["error_code"]) == (412, "DLF.9018")
    assert "Profile 'p' is at version 2" in stale.json()["error_msg"]

    policy = {"maxDeletions": 3}
    put = api.call("PUT", "/policies/workspace", policy, extra_headers={"If-None-Match": "*"})
    assert (put.status_code, put.headers["ETag"]) == (200, '"1"'), put.text
    assert api.call("GET", "/policies/workspace").headers["ETag"] == '"1"'
    again = api.call("PUT", "/policies/workspace", policy, extra_headers={"If-None-Match": "*"})
    assert again.status_code == 412
    assert "The policy of workspace 'default' exists (version 1" in again.json()["error_msg"]


def test_a_removal_on_a_condition_never_removes_a_version_it_did_not_read(
    api: SignedClient,
) -> None:
    """DELETE honours If-Match as a save does: a remover that read version 1 of a route or a
    profile saved again since is refused (412), and nothing is removed."""
    _prod(api)
    for path, document in (("/routes/r", ROUTE), ("/profiles/p", {"params": {"env": "prod"}})):
        assert api.call("PUT", path, document).status_code == 200
        assert api.call("PUT", path, document).status_code == 200
        stale = api.call("DELETE", path, extra_headers={"If-Match": '"1"'})
        assert (stale.status_code, stale.json()["error_code"]) == (412, "DLF.9018"), path
        assert "is at version 2" in stale.json()["error_msg"]
        assert "Nothing was removed: read version 2" in stale.json()["error_msg"]
        assert api.call("GET", path).status_code == 200, path  # still there, both versions
        assert api.call("DELETE", path, extra_headers={"If-Match": '"2"'}).status_code == 204
        assert api.call("GET", path).status_code in (400, 404), path
