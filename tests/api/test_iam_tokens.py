"""IAM token authentication on the wire, in-process: a client gets a token from
``POST /v3/auth/tokens`` and calls with ``X-Auth-Token`` instead of an AK/SK signature, as the
public DataArts scripts do with plain HTTP (no SDK)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from jobferry.domain.enums import Role
from jobferry.services.container import Services
from jobferry.settings import Settings
from support.accounts import default_workspace
from support.apps import api_with
from support.builders import make_job
from support.clients import PROJECT_ID, SignedClient, assert_error
from support.console import PASSWORD, admin_actor, make_user
from support.importing import multipart
from support.packages import bulk_package

OTHER_PROJECT = "fedcba9876543210fedcba9876543210"
IAM_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
JSON = {"Content-Type": "application/json;charset=utf8"}


def token_body(user: str, password: str, project_id: str = PROJECT_ID) -> dict[str, Any]:
    """The body the scripts send (IAM's documented example, with this server's names)."""
    return {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {"name": user, "password": password, "domain": {"name": "account"}}
                },
            },
            "scope": {"project": {"id": project_id}},
        }
    }


PUBLIC_HOST = "jobferry.example.com"
"""The public host of :func:`elsewhere`."""


def get_token(
    client: TestClient, user: str = "alice", password: str = PASSWORD, host: str | None = None
) -> str:
    sent = JSON if host is None else {**JSON, "Host": host}
    answer = client.post("/v3/auth/tokens", json=token_body(user, password), headers=sent)
    assert answer.status_code == 201, answer.text
    return str(answer.headers["X-Subject-Token"])


def calls_with(token: str, workspace: str | None = None) -> dict[str, str]:
    headers = {**JSON, "X-Auth-Token": token}
    if workspace is not None:
        headers["workspace"] = workspace
    return headers


@pytest.fixture
def client(api: SignedClient, services: Services) -> TestClient:
    """The in-process app, with alice (a developer of the default workspace, with a console
    password)."""
    make_user(services, "alice", Role.DEVELOPER)
    return api.client


def test_a_script_gets_a_token_then_creates_and_lists_jobs_with_it(
    api: SignedClient, client: TestClient
) -> None:
    workspace = default_workspace(api)
    answer = client.post("/v3/auth/tokens", json=token_body("alice", PASSWORD), headers=JSON)
    assert answer.status_code == 201, answer.text
    token = answer.headers["X-Subject-Token"]
    assert len(token) == 43
    assert token not in answer.text
    body = answer.json()["token"]
    assert IAM_TIME.match(body["expires_at"])
    assert IAM_TIME.match(body["issued_at"])
    assert body["methods"] == ["password"]
    assert body["user"]["name"] == "alice"
    assert body["project"] == {
        "id": PROJECT_ID,
        "name": "default",
        "domain": {"id": PROJECT_ID, "name": "default"},
    }
    assert body["roles"] == [{"id": "developer", "name": "developer"}]
    assert body["catalog"][0]["type"] == "dlf"
    assert body["catalog"][0]["endpoints"][0]["url"] == "http://testserver"

    headers = calls_with(token, workspace)
    created = client.post(f"/v1/{PROJECT_ID}/jobs", json=make_job("by_token"), headers=headers)
    assert created.status_code == 204, created.text
    listed = client.get(f"/v1/{PROJECT_ID}/jobs", headers=headers)
    assert listed.status_code == 200, listed.text
    assert [job["name"] for job in listed.json()["jobs"]] == ["by_token"]
    # a bearer token: the same call again is no replay
    again = client.post(f"/v1/{PROJECT_ID}/jobs", json=make_job("second"), headers=headers)
    assert again.status_code == 204, again.text
    audit = api.call("GET", "/audit").json()
    assert any(e["actor"] == "alice" and e["action"] == "job.create" for e in audit["entries"])


def test_roles_and_the_workspace_header_apply_as_for_a_signed_call(
    services: Services, client: TestClient
) -> None:
    make_user(services, "vera", Role.VIEWER)
    viewer = calls_with(get_token(client, "vera"))
    refused = client.post(f"/v1/{PROJECT_ID}/jobs", json=make_job(), headers=viewer)
    assert_error(refused, "DLF.6888", "vera", status=403)
    assert client.get(f"/v1/{PROJECT_ID}/jobs", headers=viewer).status_code == 200
    unknown = calls_with(get_token(client), "0" * 32)
    assert_error(client.get(f"/v1/{PROJECT_ID}/jobs", headers=unknown), "DLF.0819")


def test_a_password_change_ends_the_token(services: Services, client: TestClient) -> None:
    headers = calls_with(get_token(client))
    assert client.get(f"/v1/{PROJECT_ID}/jobs", headers=headers).status_code == 200
    services.signin.set_password(admin_actor(services), "alice", "another password 1")
    refused = client.get(f"/v1/{PROJECT_ID}/jobs", headers=headers)
    assert_error(
        refused, "APIGW.0301", "unknown, expired or revoked", "POST /v3/auth/tokens", status=401
    )
    assert (
        client.get(
            f"/v1/{PROJECT_ID}/jobs",
            headers=calls_with(get_token(client, password="another password 1")),
        ).status_code
        == 200
    )


def test_a_token_of_one_project_cannot_call_another(client: TestClient) -> None:
    headers = calls_with(get_token(client))
    refused = client.get(f"/v1/{OTHER_PROJECT}/jobs", headers=headers)
    assert_error(
        refused,
        "DLF.9083",
        f"is for project '{PROJECT_ID}', not for project '{OTHER_PROJECT}'",
        "POST /v3/auth/tokens",
        status=403,
    )
    wrong_header = {**headers, "X-Project-Id": OTHER_PROJECT}
    assert client.get(f"/v1/{PROJECT_ID}/jobs", headers=wrong_header).status_code == 401


def test_an_unknown_token_is_refused_naming_where_to_get_one(client: TestClient) -> None:
    headers = calls_with("MIIEhQYJKoZIhvcNAQcCoIIEdjCCBHICAQExDTAL")
    refused = client.post(f"/v1/{PROJECT_ID}/jobs", json=make_job(), headers=headers)
    assert_error(refused, "APIGW.0301", "POST /v3/auth/tokens", status=401)
    assert "MIIE" not in refused.text


def test_a_wrong_password_is_401_and_a_malformed_body_400(client: TestClient) -> None:
    wrong = client.post("/v3/auth/tokens", json=token_body("alice", "not it"), headers=JSON)
    assert_error(wrong, "DLF.9081", "user name or password is wrong", status=401)
    assert "X-Subject-Token" not in wrong.headers
    nobody = client.post("/v3/auth/tokens", json=token_body("nobody", "not it"), headers=JSON)
    assert nobody.json()["error_msg"] == wrong.json()["error_msg"]
    body = token_body("alice", PASSWORD)
    del body["auth"]["scope"]
    malformed = client.post("/v3/auth/tokens", json=body, headers=JSON)
    assert_error(malformed, "DLF.0802", "auth.scope", status=400)
    assert malformed.json()["parameter"] == "auth.scope"
    not_json = client.post("/v3/auth/tokens", content=b"auth", headers=JSON)
    assert not_json.status_code == 400


def test_a_signature_decides_when_a_token_comes_with_it(api: SignedClient) -> None:
    bogus = {"X-Auth-Token": "not-a-token"}
    assert api.call("GET", "/jobs", extra_headers=bogus).status_code == 200


def test_a_token_is_validated_and_revoked_as_iam_does(client: TestClient) -> None:
    token = get_token(client)
    own = {"X-Auth-Token": token, "X-Subject-Token": token}
    shown = client.get("/v3/auth/tokens", headers=own)
    assert shown.status_code == 200, shown.text
    assert shown.headers["X-Subject-Token"] == token
    assert shown.json()["token"]["user"]["name"] == "alice"
    assert (
        "catalog" not in client.get("/v3/auth/tokens?nocatalog=true", headers=own).json()["token"]
    )
    assert client.head("/v3/auth/tokens", headers=own).status_code == 200
    assert client.delete("/v3/auth/tokens", headers=own).status_code == 204
    refused = client.get(f"/v1/{PROJECT_ID}/jobs", headers=calls_with(token))
    assert_error(refused, "APIGW.0301", "unknown, expired or revoked", status=401)
    other = get_token(client)
    gone = client.get("/v3/auth/tokens", headers={"X-Auth-Token": other, "X-Subject-Token": token})
    assert_error(gone, "DLF.9082", "X-Subject-Token", status=404)


@pytest.fixture
def elsewhere(settings: Settings) -> Iterator[TestClient]:
    """The app reached by other names only ("testserver" is not one of its public hosts)."""
    for api in api_with(settings, public_hosts=PUBLIC_HOST, auth_cache_seconds=0):
        services: Services = api.client.app.state.services  # type: ignore[attr-defined]
        make_user(services, "alice", Role.DEVELOPER)
        yield api.client


@pytest.mark.databases("sqlite")
def test_the_public_hosts_hold_for_a_token_as_for_a_signature(elsewhere: TestClient) -> None:
    token = get_token(elsewhere, host=PUBLIC_HOST)
    refused = elsewhere.get(f"/v1/{PROJECT_ID}/jobs", headers=calls_with(token))
    assert_error(refused, "APIGW.0301", "JOBFERRY_PUBLIC_HOSTS", status=401)
    public = {**calls_with(token), "Host": PUBLIC_HOST}
    assert elsewhere.get(f"/v1/{PROJECT_ID}/jobs", headers=public).status_code == 200


def _token_issues(client: TestClient) -> int:
    services: Services = client.app.state.services  # type: ignore[attr-defined]
    page = services.audit.project_entries(admin_actor(services), 100, 0)
    return sum(1 for entry in page.entries if entry.action == "token.issue")


@pytest.mark.databases("sqlite")
def test_the_public_hosts_hold_for_getting_a_token_once_the_password_is_right(
    elsewhere: TestClient,
) -> None:
    """Refused as a signed call for another Host is, with nothing issued or recorded; a wrong
    password is told as one, naming no host (a stranger learns nothing of them)."""
    right = token_body("alice", PASSWORD)
    refused = elsewhere.post("/v3/auth/tokens", json=right, headers=JSON)
    assert_error(
        refused,
        "APIGW.0301",
        "Host 'testserver' is not one of this server's public hosts",
        f"JOBFERRY_PUBLIC_HOSTS: {PUBLIC_HOST}",
        status=401,
    )
    assert refused.json()["public_hosts"] == [PUBLIC_HOST]
    assert "X-Subject-Token" not in refused.headers
    assert _token_issues(elsewhere) == 0
    wrong = elsewhere.post("/v3/auth/tokens", json=token_body("alice", "not-it-1"), headers=JSON)
    assert_error(wrong, "DLF.9081", status=401)
    assert PUBLIC_HOST not in wrong.text
    public = {**JSON, "Host": PUBLIC_HOST}
    assert elsewhere.post("/v3/auth/tokens", json=right, headers=public).status_code == 201
    assert _token_issues(elsewhere) == 1


@pytest.mark.databases("sqlite")
def test_the_public_hosts_hold_for_validating_and_revoking_a_token(elsewhere: TestClient) -> None:
    token = get_token(elsewhere, host=PUBLIC_HOST)
    subject = {"X-Auth-Token": token, "X-Subject-Token": token}
    for method in ("GET", "DELETE"):
        refused = elsewhere.request(method, "/v3/auth/tokens", headers=subject)
        assert_error(refused, "APIGW.0301", "JOBFERRY_PUBLIC_HOSTS", status=401)
    public = {**subject, "Host": PUBLIC_HOST}
    assert elsewhere.get("/v3/auth/tokens", headers=public).status_code == 200
    assert elsewhere.delete("/v3/auth/tokens", headers=public).status_code == 204


def test_a_package_upload_streams_with_a_token_as_with_a_signature(client: TestClient) -> None:
    boundary = "jobferryboundary7MA4YWxkTrZu0gW"
    body = multipart(bulk_package(2), boundary)
    headers = {
        **calls_with(get_token(client)),
        "Content-Type": f"multipart/form-data; boundary={boundary}",
    }
    uploaded = client.post(f"/v1/{PROJECT_ID}/packages", content=body, headers=headers)
    assert uploaded.status_code == 200, uploaded.text
    assert uploaded.json()["path"]


def test_nocatalog_false_keeps_the_catalog(client: TestClient) -> None:
    """``nocatalog`` is a flag read as Keystone reads it: ``false`` and ``0`` keep the catalog."""
    for flag, kept in (("false", True), ("0", True), ("true", False), ("", False)):
        answer = client.post(
            f"/v3/auth/tokens?nocatalog={flag}", json=token_body("alice", PASSWORD), headers=JSON
        )
        assert answer.status_code == 201, answer.text
        assert ("catalog" in answer.json()["token"]) is kept, flag


def test_a_user_id_is_the_id_an_answer_gave_not_another_spelling(client: TestClient) -> None:
    user_id = client.post("/v3/auth/tokens", json=token_body("alice", PASSWORD), headers=JSON)
    shown = str(user_id.json()["token"]["user"]["id"])
    for spelled, status in ((shown, 201), (f"0{shown}", 401), (f"+{shown}", 401)):
        body = token_body("alice", PASSWORD)
        body["auth"]["identity"]["password"]["user"] = {"id": spelled, "password": PASSWORD}
        answer = client.post("/v3/auth/tokens", json=body, headers=JSON)
        assert answer.status_code == status, (spelled, answer.text)


def test_the_catalog_and_projects_hold_a_token_to_the_x_project_id_sent(
    client: TestClient,
) -> None:
    """As a v1 call's path: an ``X-Project-Id`` of another project than the token's is a 403
    naming both (a new token of the same user cannot cure it); the token's own is accepted."""
    token = calls_with(get_token(client))
    for path in ("/v3/auth/catalog", "/v3/projects"):
        own = client.get(path, headers={**token, "X-Project-Id": f" {PROJECT_ID} "})
        assert own.status_code == 200, (path, own.text)
        refused = client.get(path, headers={**token, "X-Project-Id": OTHER_PROJECT})
        assert_error(
            refused,
            "DLF.9083",
            f"is for project '{PROJECT_ID}', not for project '{OTHER_PROJECT}'",
            "X-Project-Id",
            "POST /v3/auth/tokens",
            status=403,
        )
        said = refused.json()
        assert (said["token_project"], said["header_project"]) == (PROJECT_ID, OTHER_PROJECT)
        dead = {"X-Auth-Token": "MIIEhQYJKoZIhvcNAQcCoIIEdjCCBHICAQExDTAL"}
        unknown = client.get(path, headers={**dead, "X-Project-Id": OTHER_PROJECT})
        assert_error(unknown, "APIGW.0301", "POST /v3/auth/tokens", status=401)


@pytest.mark.databases("sqlite")
def test_the_public_hosts_hold_for_the_catalog_with_a_token(elsewhere: TestClient) -> None:
    token = calls_with(get_token(elsewhere, host=PUBLIC_HOST))
    for path in ("/v3/auth/catalog", "/v3/projects"):
        refused = elsewhere.get(path, headers=token)
        assert_error(refused, "APIGW.0301", "JOBFERRY_PUBLIC_HOSTS", status=401)
        public = {**token, "Host": PUBLIC_HOST}
        assert elsewhere.get(path, headers=public).status_code == 200, path


def test_validate_and_revoke_read_tokens_trimmed_as_every_call_does(client: TestClient) -> None:
    token = get_token(client)
    padded = {"X-Auth-Token": f" {token}\t", "X-Subject-Token": f"  {token} "}
    assert (
        client.get(f"/v1/{PROJECT_ID}/jobs", headers=calls_with(f" {token}\t")).status_code == 200
    )
    shown = client.get("/v3/auth/tokens", headers=padded)
    assert shown.status_code == 200, shown.text
    assert shown.headers["X-Subject-Token"] == token
    assert client.delete("/v3/auth/tokens", headers=padded).status_code == 204
    gone = client.get(f"/v1/{PROJECT_ID}/jobs", headers=calls_with(token))
    assert_error(gone, "APIGW.0301", "unknown, expired or revoked", status=401)
    blank = {"X-Auth-Token": get_token(client), "X-Subject-Token": "  "}
    assert_error(client.get("/v3/auth/tokens", headers=blank), "DLF.0802", "X-Subject-Token")
