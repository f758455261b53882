"""IAM tokens as the Go SDK gophertelekomcloud uses them, in-process: every request is built as
the SDK builds it, and every answer read as the SDK reads it.

What the SDK does (its source: ``auth_options.go`` ``ToTokenV3CreateMap``/``ToTokenV3ScopeMap``,
``openstack/client.go`` ``v3auth`` and ``NewDataArtsV1``, ``openstack/endpoint_location.go``
``V3EndpointURL``, ``openstack/utils/utils.go`` ``GetRegion``, ``provider_client.go``
``Request``, ``openstack/dataarts/v1/job/List.go``):

- ``POST <identity>/v3/auth/tokens`` with ``{"auth": {"identity": {"methods": ["password"],
  "password": {"user": …}}, "scope": …}}``; the user by name with ``domain`` (``id`` or
  ``name``) or by ``id`` alone; the scope ``project.id`` (``TenantID``), or ``project.name``
  with its ``domain`` (``TenantName``), or a ``domain`` alone (neither); header ``X-Domain-Id``
  when given a domain id. 201 or 202 is success.
- The token from ``X-Subject-Token``; ``token.expires_at`` (RFC 3339), ``project.id``,
  ``project.domain.id``, ``user.id``, ``user.domain.id``, ``catalog``.
- The region: ``OS_REGION_NAME``, else the project name (``TenantName``, else the answer's
  ``project.name``) up to its first ``_``.
- DataArts: the first catalog entry of type ``volumev2`` whose ``interface`` is ``public`` and
  ``region`` the region; its ``url`` with a trailing ``/``, the first ``v2`` made ``v1`` and the
  first ``evs`` made ``dayu-dlf``; a call is that address plus ``jobs``, with ``X-Auth-Token``
  and the ``workspace`` header.
- Any 401 makes it get a new token (when allowed to) and send the call once more.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from jobferry.domain.enums import Role
from jobferry.services.container import Services
from jobferry.storage.tables import iam_tokens
from support.accounts import default_workspace
from support.builders import make_job, make_resource, make_script
from support.clients import PROJECT_ID, SignedClient, assert_error
from support.console import PASSWORD, make_user

IDENTITY = "http://testserver/v3/"
OTHER_PROJECT = "fedcba9876543210fedcba9876543210"
SDK_HEADERS = {"Accept": "application/json", "User-Agent": "golangsdk/2.0.0"}


@dataclass
class GoSdkAuth:
    """The fields of ``golangsdk.AuthOptions`` the token request is built from."""

    password: str = PASSWORD
    username: str = ""
    user_id: str = ""
    domain_id: str = ""
    domain_name: str = ""
    tenant_id: str = ""
    tenant_name: str = ""

    def body(self) -> dict[str, Any]:
        """``ToTokenV3CreateMap`` with ``ToTokenV3ScopeMap``'s scope."""
        user: dict[str, Any] = {"password": self.password}
        if self.user_id:
            user["id"] = self.user_id
        else:
            user["name"] = self.username
            user["domain"] = (
                {"id": self.domain_id} if self.domain_id else {"name": self.domain_name}
            )
        auth: dict[str, Any] = {"identity": {"methods": ["password"], "password": {"user": user}}}
        domain = {"id": self.domain_id} if self.domain_id else {"name": self.domain_name}
        if self.tenant_id:
            auth["scope"] = {"project": {"id": self.tenant_id}}
        elif self.tenant_name:
            auth["scope"] = {"project": {"name": self.tenant_name, "domain": domain}}
        elif self.domain_id or self.domain_name:
            auth["scope"] = {"domain": domain}
        return {"auth": auth}

    def headers(self) -> dict[str, str]:
        """``tokens.Create``'s headers: ``X-Domain-Id`` only when set (an empty one is left
        out), ``X-Auth-Token`` never for a password."""
        extra = {"X-Domain-Id": self.domain_id} if self.domain_id else {}
        return {**SDK_HEADERS, "Content-Type": "application/json", **extra}


@dataclass
class GoSdkProvider:
    """A ``ProviderClient`` after ``openstack.AuthenticatedClient``."""

    client: TestClient
    auth: GoSdkAuth
    allow_reauth: bool = True
    token: str = ""
    project_id: str = ""
    region: str = ""
    catalog: list[dict[str, Any]] = field(default_factory=list)

    def authenticate(self) -> None:
        """``v3auth``: the token, its project and user, the region and the catalog."""
        answer = self.client.post(
            f"{IDENTITY}auth/tokens", json=self.auth.body(), headers=self.auth.headers()
        )
        assert answer.status_code in (201, 202), answer.text
        body = answer.json()["token"]
        assert datetime.fromisoformat(body["expires_at"]) > datetime.now(UTC)
        assert body["project"]["domain"]["id"]
        assert body["user"]["domain"]["id"]
        assert body["user"]["id"]
        self.token = answer.headers["X-Subject-Token"]
        self.project_id = body["project"]["id"]
        self.region = (self.auth.tenant_name or body["project"]["name"]).split("_")[0]
        self.catalog = body["catalog"]

    def endpoint(self, kind: str) -> str:
        """``V3EndpointURL``: the first public endpoint of the type in the client's region."""
        for entry in self.catalog:
            for endpoint in entry["endpoints"] if entry["type"] == kind else []:
                if endpoint["interface"] == "public" and endpoint["region"] == self.region:
                    url = str(endpoint["url"])
                    return url if url.endswith("/") else url + "/"
        raise AssertionError(f"ErrEndpointNotFound: no public {kind} in {self.region!r}")

    def dataarts_v1(self) -> str:
        """``NewDataArtsV1``: ``initCommonServiceClient(client, eo, "dayu-dlf", "v1")``."""
        return self.endpoint("volumev2").replace("v2", "v1", 1).replace("evs", "dayu-dlf", 1)

    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        """``ProviderClient.Request``: the token on every call; a 401 renews it and sends the
        call once more."""
        headers = {**SDK_HEADERS, **kwargs.pop("headers", {}), "X-Auth-Token": self.token}
        answer = self.client.request(method, url, headers=headers, **kwargs)
        if answer.status_code == 401 and self.allow_reauth:
            self.authenticate()
            headers["X-Auth-Token"] = self.token
            answer = self.client.request(method, url, headers=headers, **kwargs)
        return answer


@pytest.fixture
def client(api: SignedClient, services: Services) -> TestClient:
    make_user(services, "alice", Role.DEVELOPER)
    return api.client


def sdk(client: TestClient, **auth: str) -> GoSdkProvider:
    provider = GoSdkProvider(client, GoSdkAuth(**auth))
    provider.authenticate()
    return provider


def test_the_go_sdk_gets_a_token_finds_dataarts_in_the_catalog_and_lists_jobs(
    api: SignedClient, client: TestClient
) -> None:
    workspace = default_workspace(api)
    go = sdk(client, username="alice", domain_name="my-account", tenant_id=PROJECT_ID)
    assert go.project_id == PROJECT_ID
    assert go.region == "default"  # the project's name: no "_"
    jobs = go.dataarts_v1() + "jobs"
    assert jobs == f"http://testserver/v1/{PROJECT_ID}/jobs"
    # job.Create: POST, Content-Type and workspace headers, 204 is its success
    created = go.request("POST", jobs, json=make_job("by_go"), headers={"workspace": workspace})
    assert created.status_code == 204, created.text
    # job.List with ListOpts{}: no query (zero values are left out)
    listed = go.request("GET", jobs, headers={"workspace": workspace})
    assert listed.status_code == 200, listed.text
    assert listed.json()["total"] == 1
    assert [job["name"] for job in listed.json()["jobs"]] == ["by_go"]


def test_the_sdk_job_script_and_resource_calls_answer_the_codes_it_accepts(
    api: SignedClient, client: TestClient
) -> None:
    """Each call as ``openstack/dataarts/v1`` sends it, with the ``OkCodes`` it sets (a delete
    carries a JSON body, ``{}`` with no approvers)."""
    workspace = {"workspace": default_workspace(api)}
    go = sdk(client, username="alice", domain_name="x", tenant_id=PROJECT_ID)
    base = go.dataarts_v1()
    steps: list[tuple[str, str, Any, tuple[int, ...]]] = [
        ("POST", "scripts", make_script("s1"), (204,)),  # script.Create
        ("GET", "scripts/s1", None, (200,)),  # script.Get
        ("POST", "jobs", make_job("j1"), (204,)),  # job.Create
        ("GET", "jobs/j1", None, (200,)),  # job.Get
        ("PUT", "jobs/j1", make_job("j1"), (204,)),  # job.Update
        ("DELETE", "jobs/j1", {}, (204,)),  # job.Delete
        ("DELETE", "scripts/s1", {}, (204,)),  # script.Delete
        ("POST", "resources", make_resource("r1"), (200,)),  # resource.Create
    ]
    for method, path, body, ok in steps:
        answer = go.request(method, base + path, json=body, headers=workspace)
        assert answer.status_code in ok, (method, path, answer.text)
    resource_id = answer.json()["resourceId"]
    assert go.request("GET", f"{base}resources/{resource_id}", headers=workspace).status_code == 200
    deleted = go.request("DELETE", f"{base}resources/{resource_id}", headers=workspace)
    assert deleted.status_code == 204, deleted.text  # resource.Delete


def test_a_project_by_name_with_a_domain_id_and_a_user_by_id_are_read(client: TestClient) -> None:
    first = sdk(client, username="alice", domain_id="d" * 32, tenant_name="default")
    assert first.project_id == PROJECT_ID
    user_id = str(
        client.get(
            "/v3/auth/tokens", headers={"X-Auth-Token": first.token, "X-Subject-Token": first.token}
        ).json()["token"]["user"]["id"]
    )
    by_id = sdk(client, user_id=user_id, tenant_id=PROJECT_ID)
    assert by_id.project_id == PROJECT_ID
    assert by_id.request("GET", by_id.dataarts_v1() + "jobs").status_code == 200


def test_an_expired_token_is_a_401_the_sdk_renews_and_retries(
    client: TestClient, services: Services
) -> None:
    go = sdk(client, username="alice", domain_name="x", tenant_id=PROJECT_ID)
    jobs = go.dataarts_v1() + "jobs"
    old = go.token
    with services.db.transaction() as tx:
        tx.conn.execute(update(iam_tokens).values(expires_at=1))
    services.tokens.forget()  # as another process, or this one after its cache time
    without_renewal = GoSdkProvider(client, go.auth, allow_reauth=False, token=old)
    refused = without_renewal.request("GET", jobs)
    assert_error(refused, "APIGW.0301", "unknown, expired or revoked", status=401)
    assert "POST /v3/auth/tokens" in refused.json()["error_msg"]
    renewed = go.request("GET", jobs)
    assert renewed.status_code == 200, renewed.text
    assert go.token != old


def test_a_token_of_another_project_is_403_so_the_sdk_does_not_renew_it_forever(
    client: TestClient,
) -> None:
    go = sdk(client, username="alice", domain_name="x", tenant_id=PROJECT_ID)
    token = go.token
    refused = go.request("GET", f"http://testserver/v1/{OTHER_PROJECT}/jobs")
    assert_error(
        refused, "DLF.9083", f"project '{OTHER_PROJECT}'", "POST /v3/auth/tokens", status=403
    )
    assert refused.json()["token_project"] == PROJECT_ID
    assert go.token == token  # no 401, no new token


def test_the_sdk_validates_and_revokes_as_it_reads_the_answers(client: TestClient) -> None:
    """``tokens.Validate`` (HEAD; 200/204 valid, 404 not), ``tokens.Revoke`` (DELETE, 202/204)
    and ``AuthOptions{TokenID}`` (``tokens.Get``: GET with the token as both headers, 200/203,
    the same body as the password's answer)."""
    go = sdk(client, username="alice", domain_name="x", tenant_id=PROJECT_ID)
    own = {**SDK_HEADERS, "X-Auth-Token": go.token, "X-Subject-Token": go.token}
    by_token = client.get(f"{IDENTITY}auth/tokens", headers=own)
    assert by_token.status_code in (200, 203), by_token.text
    assert by_token.json()["token"]["project"]["id"] == PROJECT_ID
    assert {e["type"] for e in by_token.json()["token"]["catalog"]} == {"dlf", "volumev2"}
    assert client.head(f"{IDENTITY}auth/tokens", headers=own).status_code in (200, 204)
    other = sdk(client, username="alice", domain_name="x", tenant_id=PROJECT_ID).token
    assert client.delete(f"{IDENTITY}auth/tokens", headers=own).status_code in (202, 204)
    gone = client.head(
        f"{IDENTITY}auth/tokens",
        headers={**SDK_HEADERS, "X-Auth-Token": other, "X-Subject-Token": go.token},
    )
    assert gone.status_code == 404  # Validate answers false, no error


def test_a_domain_scope_and_mfa_are_refused_naming_what_to_send(client: TestClient) -> None:
    domain_only = GoSdkAuth(username="alice", domain_name="x")
    refused = client.post(
        f"{IDENTITY}auth/tokens", json=domain_only.body(), headers=domain_only.headers()
    )
    assert_error(refused, "DLF.3051", "scoped to a project only", "auth.scope.project")
    assert refused.json()["parameter"] == "auth.scope.project"
    mfa = GoSdkAuth(username="alice", domain_name="x", tenant_id=PROJECT_ID).body()
    mfa["auth"]["identity"]["methods"] = ["password", "totp"]
    mfa["auth"]["identity"]["totp"] = {"user": {"name": "alice", "passcode": "123456"}}
    refused = client.post(f"{IDENTITY}auth/tokens", json=mfa, headers=SDK_HEADERS)
    assert_error(refused, "DLF.3051", "password method only")


def test_the_catalog_is_read_with_a_token_and_a_bad_signature_is_refused(
    client: TestClient,
) -> None:
    """``catalog.List`` (``GET /v3/auth/catalog``, paged by ``links.next``) with the token; a
    signed one is verified (tests/api/test_go_sdk_aksk.py), a wrong signature refused."""
    go = sdk(client, username="alice", domain_name="x", tenant_id=PROJECT_ID)
    listed = client.get(
        f"{IDENTITY}auth/catalog", headers={**SDK_HEADERS, "X-Auth-Token": go.token}
    )
    assert listed.status_code == 200, listed.text
    assert listed.json()["catalog"] == go.catalog
    assert listed.json()["links"]["next"] is None
    signed = {
        **SDK_HEADERS,
        "X-Sdk-Date": datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ"),
        "Authorization": "SDK-HMAC-SHA256 Credential=AK0123/20261128///sdk_request, "
        "SignedHeaders=accept;host;user-agent;x-sdk-date, Signature=" + "0" * 64,
    }
    refused = client.get(f"{IDENTITY}auth/catalog", headers=signed)
    assert_error(refused, "APIGW.0301", "Incorrect IAM authentication information", status=401)
    assert_error(
        client.get(f"{IDENTITY}auth/catalog"), "APIGW.0301", "POST /v3/auth/tokens", status=401
    )
