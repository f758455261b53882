"""DataArts Studio look-ups for the workspace header value: GET /v1/{project_id}/instances,
/workspaces/{instance_id} and /workspaces/{instance_id}/{workspace_id}."""

from __future__ import annotations

from support.accounts import default_workspace, new_user
from support.clients import SignedClient, assert_error
from support.importing import new_workspace


def test_the_instance_id_leads_to_the_workspaces_and_their_header_values(
    api: SignedClient,
) -> None:
    instances = api.call("GET", "/instances")
    assert instances.status_code == 200, instances.text
    orders = instances.json()["commodity_orders"]
    assert instances.json()["count"] == 1
    instance = orders[0]["resource_id"]
    assert instance == api.project_id
    assert orders[0]["status"] == 2
    new_workspace(api, "prod")

    listed = api.call("GET", f"/workspaces/{instance}")

    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert body["count"] == 2
    assert body["total_page"] == 1
    default = body["data"][0]
    assert default["is_default"] == 1
    assert default["id"] == default_workspace(api)
    assert [w["name"] for w in body["data"]][1] == "prod"
    assert body["data"][1]["is_default"] == 0
    # The id is the workspace header value every factory call takes.
    prod = body["data"][1]["id"]
    assert api.call("GET", "/jobs", workspace=prod).status_code == 200
    shown = api.call("GET", f"/workspaces/{instance}/{prod}").json()
    assert shown == body["data"][1]


def test_workspaces_page_and_count_members(api: SignedClient) -> None:
    for name in ("w1", "w2", "w3"):
        new_workspace(api, name)
    new_user(api, "member_a", "developer")

    page = api.call("GET", f"/workspaces/{api.project_id}", query={"limit": 2, "offset": 2})

    assert page.json()["count"] == 4
    assert page.json()["total_page"] == 2
    assert [w["name"] for w in page.json()["data"]] == ["w2", "w3"]
    first = api.call("GET", f"/workspaces/{api.project_id}", query={"limit": 1}).json()
    listed = api.call("GET", f"/{first['data'][0]['id']}/users", version="v2").json()
    assert first["data"][0]["member_num"] == listed["count"] == 2  # member_a and the admin


def test_a_user_sees_only_the_workspaces_they_have_a_role_in(api: SignedClient) -> None:
    hidden = new_workspace(api, "hidden")
    dev = new_user(api, "dev_only", "developer")

    names = [w["name"] for w in dev.call("GET", f"/workspaces/{api.project_id}").json()["data"]]

    assert "hidden" not in names
    assert len(names) == 1
    answer = dev.call("GET", f"/workspaces/{api.project_id}/{hidden}")
    assert_error(answer, "DAYU.4402", hidden, "no role")


def test_an_unknown_instance_or_workspace_is_refused_naming_the_fix(api: SignedClient) -> None:
    assert_error(
        api.call("GET", "/workspaces/not-an-instance"), "DAYU.4402", "not-an-instance", "instances"
    )
    assert_error(
        api.call("GET", f"/workspaces/{api.project_id}/nope"), "DAYU.4402", "nope", "lists"
    )
    assert_error(api.call("GET", "/instances", query={"limit": 0}), "DAYU.4402", "limit")


def test_every_wrong_page_of_a_management_centre_list_is_dayu_4402_naming_it(
    api: SignedClient,
) -> None:
    ws = default_workspace(api)
    calls = (
        ("/instances", "v1"),
        (f"/workspaces/{api.project_id}", "v1"),
        (f"/{ws}/users", "v2"),
    )
    for path, version in calls:
        for value, words in (
            ("-1", "offset -1 is out of range; pass a value from 0 to"),
            ("1.5", "offset must be a whole number from 0 to 1000000000, not '1.5'"),
            ("", "offset must be a whole number from 0 to 1000000000, not ''"),
            (str(10**20), f"offset {10**20} is out of range"),
        ):
            refused = api.call("GET", path, query={"offset": value}, version=version)
            assert_error(refused, "DAYU.4402", words)
            assert refused.json()["parameter"] == "offset"
