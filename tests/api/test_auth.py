"""Authentication (AK/SK signature), project and workspace scoping, and roles, in-process."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from jobferry.signing import format_sdk_date, sign_request
from support.accounts import default_workspace, new_user
from support.builders import make_job
from support.clients import ADMIN_AK, ADMIN_SK, PROJECT_ID, SignedClient, assert_error
from support.importing import upload
from support.terraform import TerraformClient

OTHER_PROJECT = "fedcba9876543210fedcba9876543210"


def job_total(api: SignedClient, **kw: Any) -> int:
    total: int = api.call("GET", "/jobs", **kw).json()["total"]
    return total


def raw_headers() -> dict[str, str]:
    return {
        "Host": "testserver",
        "Content-Type": "application/json;charset=utf-8",
        "X-Project-Id": PROJECT_ID,
    }


# -- signature -------------------------------------------------------------------------------


def test_unsigned_request_is_refused_with_401_apigw_0301(api: SignedClient) -> None:
    body = orjson.dumps(make_job())
    response = api.client.request(
        "POST", f"/v1/{PROJECT_ID}/jobs", content=body, headers=raw_headers()
    )
    assert_error(response, "APIGW.0301", "Authorization header is missing", status=401)
    assert job_total(api) == 0


def test_an_unknown_iam_token_is_refused_naming_where_to_get_one(api: SignedClient) -> None:
    headers = {**raw_headers(), "X-Auth-Token": "MIIEhQYJKoZIhvcNAQcCoIIEdjCCBHICAQExDTAL"}
    body = orjson.dumps(make_job())
    response = api.client.request("POST", f"/v1/{PROJECT_ID}/jobs", content=body, headers=headers)
    assert_error(response, "APIGW.0301", "X-Auth-Token", "POST /v3/auth/tokens", status=401)
    assert "Authorization header is missing" not in response.json()["error_msg"]
    assert "MIIE" not in response.text
    assert job_total(api) == 0


def test_wrong_secret_key_is_refused_with_401(api: SignedClient) -> None:
    response = api.as_user(ADMIN_AK, "not-the-secret").call("POST", "/jobs", make_job())
    assert_error(response, "APIGW.0301", "verify aksk signature fail", status=401)
    assert "not-the-secret" not in response.text
    assert job_total(api) == 0


def test_unknown_access_key_is_refused_with_401(api: SignedClient) -> None:
    response = api.as_user("UNKNOWNAK00000000000", ADMIN_SK).call("POST", "/jobs", make_job())
    assert_error(response, "APIGW.0301", "ak not exist", "UNKNOWNAK00000000000", status=401)
    assert job_total(api) == 0


def test_tampered_body_is_refused_with_401(api: SignedClient) -> None:
    path = f"/v1/{PROJECT_ID}/jobs"
    signed_body = orjson.dumps(make_job("harmless"))
    sent_body = orjson.dumps(make_job("evil"))
    assert signed_body != sent_body
    headers = raw_headers()
    headers.update(sign_request("POST", path, "", headers, signed_body, ADMIN_AK, ADMIN_SK))
    response = api.client.request("POST", path, content=sent_body, headers=headers)
    assert_error(response, "APIGW.0301", "verify aksk signature fail", status=401)
    assert job_total(api) == 0

    # The same hand-built request with the body it was signed for is accepted.
    headers = raw_headers()
    headers.update(sign_request("POST", path, "", headers, signed_body, ADMIN_AK, ADMIN_SK))
    accepted = api.client.request("POST", path, content=signed_body, headers=headers)
    assert accepted.status_code == 204, accepted.text
    assert [j["name"] for j in api.call("GET", "/jobs").json()["jobs"]] == ["harmless"]


def test_unsigned_payload_on_a_json_body_is_refused_so_the_body_cannot_be_swapped(
    api: SignedClient,
) -> None:
    path = f"/v1/{PROJECT_ID}/jobs"
    headers = raw_headers() | {"X-Sdk-Content-Sha256": "UNSIGNED-PAYLOAD"}
    headers.update(
        sign_request("POST", path, "", headers, orjson.dumps(make_job()), ADMIN_AK, ADMIN_SK)
    )
    swapped = orjson.dumps(make_job("evil"))
    response = api.client.request("POST", path, content=swapped, headers=headers)
    assert_error(
        response,
        "APIGW.0301",
        "UNSIGNED-PAYLOAD is accepted only for multipart/form-data",
        "sign the body: send its SHA-256",
        status=401,
    )
    assert job_total(api) == 0


def test_unsigned_payload_header_on_a_body_less_request_is_accepted(api: SignedClient) -> None:
    api.call("POST", "/jobs", make_job())
    unsigned = {"X-Sdk-Content-Sha256": "UNSIGNED-PAYLOAD"}
    listed = api.call("GET", "/jobs", extra_headers=unsigned)
    assert listed.status_code == 200, listed.text
    assert api.call("POST", "/jobs/daily_sales/start", extra_headers=unsigned).status_code == 204
    assert api.call("GET", "/jobs").json()["jobs"][0]["status"] == "SCHEDULING"


def test_a_multipart_upload_may_leave_its_body_unsigned(api: SignedClient) -> None:
    path = upload(api, b"PK not really a zip")
    assert path.startswith("upload://")


def test_tampered_query_is_refused_with_401(api: SignedClient) -> None:
    path = f"/v1/{PROJECT_ID}/jobs"
    headers = raw_headers()
    headers.update(sign_request("GET", path, "limit=5", headers, b"", ADMIN_AK, ADMIN_SK))
    response = api.client.request("GET", f"{path}?limit=50", headers=headers)
    assert_error(response, "APIGW.0301", "verify aksk signature fail", status=401)


def test_sdk_date_twenty_minutes_old_is_refused_with_401(api: SignedClient) -> None:
    old = format_sdk_date(datetime.now(UTC) - timedelta(minutes=20))
    response = api.call("POST", "/jobs", make_job(), extra_headers={"X-Sdk-Date": old})
    assert_error(response, "APIGW.0301", "X-Sdk-Date", "window", status=401)
    assert job_total(api) == 0


def test_sdk_date_twenty_minutes_ahead_is_refused_with_401(api: SignedClient) -> None:
    ahead = format_sdk_date(datetime.now(UTC) + timedelta(minutes=20))
    response = api.call("GET", "/jobs", extra_headers={"X-Sdk-Date": ahead})
    assert_error(response, "APIGW.0301", "window", status=401)


def test_sdk_date_a_few_minutes_old_is_accepted(api: SignedClient) -> None:
    recent = format_sdk_date(datetime.now(UTC) - timedelta(minutes=5))
    response = api.call("GET", "/jobs", extra_headers={"X-Sdk-Date": recent})
    assert response.status_code == 200, response.text


def test_x_project_id_header_different_from_the_path_is_refused_with_401(
    api: SignedClient,
) -> None:
    response = api.call("POST", "/jobs", make_job(), extra_headers={"X-Project-Id": OTHER_PROJECT})
    assert_error(response, "APIGW.0301", "X-Project-Id", OTHER_PROJECT, PROJECT_ID, status=401)
    assert job_total(api) == 0


def test_terraform_signature_without_host_and_unsigned_project_header_is_accepted(
    api: SignedClient,
) -> None:
    tf = TerraformClient("http://testserver/", PROJECT_ID, ADMIN_AK, ADMIN_SK)
    more = {"Content-Type": "application/json", "workspace": default_workspace(api)}
    create = tf.build("POST", "v1/{project_id}/jobs", json_body=make_job(), more_headers=more)
    assert "host" not in create.headers["Authorization"][0]
    assert "x-project-id" not in create.headers["Authorization"][0]
    assert create.send(api.client).status_code == 204
    assert job_total(api) == 1


def test_terraform_request_with_a_foreign_unsigned_project_header_is_refused(
    api: SignedClient,
) -> None:
    tf = TerraformClient("http://testserver/", PROJECT_ID, ADMIN_AK, ADMIN_SK)
    listing = tf.build("GET", "v1/{project_id}/jobs?limit=100&offset=0")
    listing.headers["X-Project-Id"] = [OTHER_PROJECT]
    assert_error(listing.send(api.client), "APIGW.0301", "X-Project-Id", status=401)


def test_terraform_request_with_a_signed_header_altered_is_refused(api: SignedClient) -> None:
    tf = TerraformClient("http://testserver/", PROJECT_ID, ADMIN_AK, ADMIN_SK)
    create = tf.build("POST", "v1/{project_id}/jobs", json_body=make_job())
    create.headers["User-Agent"] = ["curl/8"]
    assert_error(create.send(api.client), "APIGW.0301", "verify aksk signature fail", status=401)
    create = tf.build("POST", "v1/{project_id}/jobs", json_body=make_job())
    create.body = create.body.replace(b"daily_sales", b"daily_sales2")
    assert_error(create.send(api.client), "APIGW.0301", "verify aksk signature fail", status=401)
    assert job_total(api) == 0


def test_path_project_that_is_not_the_callers_is_refused_with_403_dlf_6888(
    api: SignedClient,
) -> None:
    response = api.call("POST", "/jobs", make_job(), project_id=OTHER_PROJECT)
    assert_error(response, "DLF.6888", OTHER_PROJECT, PROJECT_ID, status=403)
    assert api.call("GET", "/jobs", project_id=OTHER_PROJECT).status_code == 403
    assert job_total(api) == 0


def test_a_leaked_project_id_template_gets_a_4xx_not_a_crash(api: SignedClient) -> None:
    # A client built without project id sends the literal template and no X-Project-Id.
    path = "/v1/%7Bproject_id%7D/jobs"
    headers = {"Host": "testserver", "Content-Type": "application/json"}
    headers.update(sign_request("GET", path, "", headers, b"", ADMIN_AK, ADMIN_SK))
    response = api.client.request("GET", path, headers=headers)
    # The SDK put its placeholder there: the fix is the project id its credentials lacked.
    assert_error(
        response, "DLF.6888", "'{project_id}' is what the SDK sends", PROJECT_ID, status=403
    )


# -- workspaces and roles --------------------------------------------------------------------


def test_user_without_a_role_in_the_workspace_is_refused_with_403(api: SignedClient) -> None:
    api.call("POST", "/jobs", make_job())
    nobody = new_user(api, "nobody")
    for method, path, body in (
        ("GET", "/jobs", None),
        ("GET", "/jobs/daily_sales", None),
        ("POST", "/jobs", make_job("sneaky")),
    ):
        response = nobody.call(method, path, body)
        assert_error(response, "DLF.6888", "nobody", "no role", "default", status=403)
    assert job_total(api) == 1


def test_unknown_workspace_header_answers_400_dlf_0819(api: SignedClient) -> None:
    response = api.call("POST", "/jobs", make_job(), workspace="no-such-workspace")
    assert_error(response, "DLF.0819", "no-such-workspace", "does not exist", status=400)
    assert api.call("GET", "/jobs", workspace="no-such-workspace").status_code == 400
    assert job_total(api) == 0


def test_explicit_default_workspace_header_is_the_same_as_none(api: SignedClient) -> None:
    api.call("POST", "/jobs", make_job())
    ws = default_workspace(api)
    assert job_total(api, workspace=ws) == 1


def test_viewer_can_list_and_show_jobs_but_not_create_them(api: SignedClient) -> None:
    api.call("POST", "/jobs", make_job())
    viewer = new_user(api, "vera", "viewer")
    listed = viewer.call("GET", "/jobs")
    assert listed.status_code == 200
    assert [j["name"] for j in listed.json()["jobs"]] == ["daily_sales"]
    shown = viewer.call("GET", "/jobs/daily_sales")
    assert shown.status_code == 200
    assert shown.json()["name"] == "daily_sales"

    refused = viewer.call("POST", "/jobs", make_job("viewer_job"))
    assert_error(refused, "DLF.6888", "vera", "viewer", "create jobs", status=403)
    assert refused.json()["role"] == "viewer"
    assert job_total(api) == 1
    assert api.call("GET", "/jobs/viewer_job").json()["error_code"] == "DLF.0100"

    for method, path, body in (
        ("PUT", "/jobs/daily_sales", make_job(params=[])),
        ("DELETE", "/jobs/daily_sales", None),
        ("POST", "/jobs/daily_sales/start", {}),
    ):
        assert_error(viewer.call(method, path, body), "DLF.6888", "viewer", status=403)
    after = api.call("GET", "/jobs/daily_sales").json()
    assert after["params"] == make_job()["params"]
    assert api.call("GET", "/jobs").json()["jobs"][0]["status"] == "STOPPED"


def test_developer_can_create_jobs_but_not_put_environment_objects(api: SignedClient) -> None:
    developer = new_user(api, "dave", "developer")
    assert developer.call("POST", "/jobs", make_job()).status_code == 204
    listed = api.call("GET", "/jobs").json()["jobs"]
    assert [(j["name"], j["createUser"]) for j in listed] == [("daily_sales", "dave")]

    refused = developer.call(
        "PUT", "/environment/connection/dws_conn", {"type": "DWS", "config": {}}
    )
    assert_error(refused, "DLF.6888", "dave", "developer", status=403)
    assert api.call("GET", "/environment/connection").json()["total"] == 0


def test_operator_can_start_and_stop_but_not_create(api: SignedClient) -> None:
    api.call("POST", "/jobs", make_job())
    operator = new_user(api, "otto", "operator")
    assert operator.call("POST", "/jobs/daily_sales/start", {}).status_code == 204
    assert api.call("GET", "/jobs").json()["jobs"][0]["status"] == "SCHEDULING"
    assert operator.call("POST", "/jobs/daily_sales/stop").status_code == 204
    assert api.call("GET", "/jobs").json()["jobs"][0]["status"] == "STOPPED"

    refused = operator.call("POST", "/jobs", make_job("operator_job"))
    assert_error(refused, "DLF.6888", "otto", "operator", "create jobs", status=403)
    assert job_total(api) == 1
    changed = operator.call("PUT", "/jobs/daily_sales", make_job(params=[]))
    assert_error(changed, "DLF.6888", "operator", status=403)
    assert api.call("GET", "/jobs/daily_sales").json()["params"] == make_job()["params"]


def test_production_target_status_needs_the_admin_role(api: SignedClient) -> None:
    developer = new_user(api, "dave", "developer")
    refused = developer.call("POST", "/jobs", make_job(targetStatus="PRODUCTION"))
    assert_error(refused, "DLF.6888", "PRODUCTION", status=403)
    assert job_total(api) == 0

    assert developer.call("POST", "/jobs", make_job()).status_code == 204
    refused = developer.call("PUT", "/jobs/daily_sales", make_job(targetStatus="PRODUCTION"))
    assert_error(refused, "DLF.6888", "PRODUCTION", status=403)
    versions = api.call("GET", "/jobs/daily_sales/versions").json()["versions"]
    assert [(v["version"], v["status"]) for v in versions] == [(1, "SUBMITTED")]

    promoted = api.call("PUT", "/jobs/daily_sales", make_job(targetStatus="PRODUCTION"))
    assert promoted.status_code == 204, promoted.text
    versions = api.call("GET", "/jobs/daily_sales/versions").json()["versions"]
    assert [(v["version"], v["status"]) for v in versions] == [
        (2, "PRODUCTION"),
        (1, "SUBMITTED"),
    ]


def test_admin_creates_a_job_straight_into_production(api: SignedClient) -> None:
    response = api.call("POST", "/jobs", make_job(targetStatus="PRODUCTION"))
    assert response.status_code == 204, response.text
    versions = api.call("GET", "/jobs/daily_sales/versions").json()["versions"]
    assert [(v["version"], v["status"], v["createUser"]) for v in versions] == [
        (1, "PRODUCTION", "admin")
    ]
    assert "targetStatus" not in api.call("GET", "/jobs/daily_sales").json()


def test_objects_of_one_workspace_are_invisible_from_another(api: SignedClient) -> None:
    ws_b = api.call("POST", "/workspaces", {"name": "team_b"}).json()["id"]
    api.call("POST", "/jobs", make_job("shared"))
    api.call("POST", "/jobs", make_job("only_a"))

    same_name = api.call("POST", "/jobs", make_job("shared"), workspace=ws_b)
    assert same_name.status_code == 204, same_name.text
    in_a = api.call("GET", "/jobs/shared").json()
    in_b = api.call("GET", "/jobs/shared", workspace=ws_b).json()
    assert in_a["id"] != in_b["id"]

    missing = api.call("GET", "/jobs/only_a", workspace=ws_b)
    assert_error(missing, "DLF.0100", "only_a", "team_b", status=400)
    assert [j["name"] for j in api.call("GET", "/jobs", workspace=ws_b).json()["jobs"]] == [
        "shared"
    ]
    assert job_total(api) == 2
    deleted = api.call("DELETE", "/jobs/only_a", workspace=ws_b)
    assert deleted.json()["error_code"] == "DLF.0100"
    assert job_total(api) == 2


def test_a_role_in_one_workspace_gives_nothing_in_another(api: SignedClient) -> None:
    ws_b = api.call("POST", "/workspaces", {"name": "team_b"}).json()["id"]
    developer = new_user(api, "dave", "developer", workspace=ws_b)
    assert developer.call("POST", "/jobs", make_job(), workspace=ws_b).status_code == 204
    refused = developer.call("POST", "/jobs", make_job())
    assert_error(refused, "DLF.6888", "no role", "default", status=403)
    assert job_total(api) == 0
    assert job_total(api, workspace=ws_b) == 1
    listed = developer.call("GET", "/workspaces").json()
    assert [(w["name"], w["role"]) for w in listed["workspaces"]] == [("team_b", "developer")]


def test_a_revoked_key_is_refused_at_once_although_it_was_just_used(api: SignedClient) -> None:
    """The credential cache of the process that revokes a key forgets it immediately."""
    user = new_user(api, "cached_user", "viewer")
    assert user.call("GET", "/jobs").status_code == 200  # now in the cache
    users = api.call("GET", "/users").json()["users"]
    keys = next(u for u in users if u["name"] == "cached_user")["accessKeys"]
    assert api.call("DELETE", f"/users/cached_user/credentials/{keys[0]}").status_code == 204
    assert user.call("GET", "/jobs").status_code == 401
