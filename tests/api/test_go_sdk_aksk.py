"""The Go SDK gophertelekomcloud given AK/SK, in-process: every request signed with its own
``Credential=`` signature (tests/support/go_sdk_aksk.py), held to the rules of the API
gateway's signature (clock window, unknown key, replays, lockout, the workspace header)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from jobferry.settings import Settings
from support.accounts import default_workspace, new_user
from support.apps import api_with
from support.builders import make_job
from support.clients import PROJECT_ID, SignedClient, assert_error
from support.go_sdk_aksk import GoAkSkProvider

OTHER_PROJECT = "fedcba9876543210fedcba9876543210"


def go_client(api: SignedClient, **project: str) -> GoAkSkProvider:
    """A developer's AK/SK in a provider given ``project_id`` or ``project_name``."""
    dave = new_user(api, "dave", "developer")
    return GoAkSkProvider(api.client, dave.ak, dave.sk, **project)


@pytest.fixture
def strict_api(settings: Settings) -> Iterator[SignedClient]:
    """The app with JOBFERRY_REPLAY_GRACE_SECONDS=0: every repeat is a replay."""
    yield from api_with(settings, replay_grace_seconds=0)


def test_the_go_sdk_with_ak_sk_reads_the_catalog_and_lists_jobs(api: SignedClient) -> None:
    workspace = {"workspace": default_workspace(api)}
    go = go_client(api, project_id=PROJECT_ID)
    go.authenticate()
    jobs = go.dataarts_v1() + "jobs"
    assert jobs == f"http://testserver/v1/{PROJECT_ID}/jobs"
    created = go.request("POST", jobs, json_body=make_job("by_go"), headers=workspace)
    assert created.status_code == 204, created.text
    listed = go.request("GET", jobs, headers=workspace)
    assert listed.status_code == 200, listed.text
    assert [job["name"] for job in listed.json()["jobs"]] == ["by_go"]
    assert api.call("GET", "/jobs").json()["total"] == 1


def test_a_project_given_by_name_is_found_and_its_region_matches(api: SignedClient) -> None:
    go = go_client(api, project_name="default")
    go.authenticate()
    assert go.project_id == PROJECT_ID
    assert go.dataarts_v1() == f"http://testserver/v1/{PROJECT_ID}/"
    found = go.request("GET", "http://testserver/v3/projects?name=default").json()["projects"]
    assert found[0] | {"links": None} == {
        "id": PROJECT_ID,
        "name": "default",
        "domain_id": PROJECT_ID,
        "parent_id": PROJECT_ID,
        "description": "",
        "enabled": True,
        "is_domain": False,
        "links": None,
    }
    other = go.request("GET", "http://testserver/v3/projects?name=eu-de_other")
    assert other.status_code == 200
    assert other.json()["projects"] == []
    assert other.json()["links"]["next"] is None


def test_the_catalog_takes_the_project_of_the_key_and_refuses_another(
    api: SignedClient,
) -> None:
    go = go_client(api, project_id=OTHER_PROJECT)
    refused = go.request("GET", "http://testserver/v3/auth/catalog")
    assert_error(refused, "APIGW.0301", f"X-Project-Id '{OTHER_PROJECT}' is not", status=401)
    go.project_id = ""  # the SDK sends no X-Project-Id while looking a project name up
    listed = go.request("GET", "http://testserver/v3/auth/catalog")
    assert listed.status_code == 200, listed.text
    volume = next(e for e in listed.json()["catalog"] if e["type"] == "volumev2")
    assert volume["endpoints"][0]["url"] == f"http://testserver/v2/{PROJECT_ID}"


def test_each_bad_signature_is_refused_as_the_api_gateway_signature_is(
    api: SignedClient,
) -> None:
    go = go_client(api, project_id=PROJECT_ID)
    jobs = f"http://testserver/v1/{PROJECT_ID}/jobs"
    workspace = {"workspace": default_workspace(api)}
    wrong = GoAkSkProvider(api.client, go.ak, "not-the-secret-key", project_id=PROJECT_ID)
    refused = wrong.request("GET", jobs, headers=workspace)
    assert_error(refused, "APIGW.0301", "verify aksk signature fail", status=401)
    late = datetime.now(UTC) - timedelta(hours=1)
    refused = go.request("GET", jobs, headers=workspace, now=late)
    assert_error(refused, "APIGW.0301", "out of the allowed window", status=401)
    stranger = GoAkSkProvider(api.client, "AKNOBODY0000", go.sk, project_id=PROJECT_ID)
    refused = stranger.request("GET", "http://testserver/v3/auth/catalog")
    assert_error(refused, "APIGW.0301", "ak not exist", "AKNOBODY0000", status=401)
    other = go.request("GET", jobs.replace(PROJECT_ID, OTHER_PROJECT), headers=workspace)
    assert_error(other, "APIGW.0301", "does not match project", status=401)


def test_an_unsigned_workspace_header_is_refused(api: SignedClient) -> None:
    go = go_client(api, project_id=PROJECT_ID)
    jobs = f"http://testserver/v1/{PROJECT_ID}/jobs"
    sent, _ = go.signed("GET", jobs)
    refused = api.client.get(jobs, headers={**sent, "workspace": default_workspace(api)})
    assert_error(refused, "APIGW.0301", "the workspace header is not signed", status=401)


def test_a_replayed_signed_post_is_refused(strict_api: SignedClient) -> None:
    api = strict_api
    go = go_client(api, project_id=PROJECT_ID)
    jobs = f"http://testserver/v1/{PROJECT_ID}/jobs"
    sent, body = go.signed(
        "POST", jobs, json_body=make_job("once"), headers={"workspace": default_workspace(api)}
    )
    first = api.client.post(jobs, headers=sent, content=body)
    assert first.status_code == 204, first.text
    replayed = api.client.post(jobs, headers=sent, content=body)
    assert_error(replayed, "APIGW.0301", "this signed request was already used", status=401)
    assert api.call("GET", "/jobs").json()["total"] == 1


def test_five_failed_signatures_lock_the_key(api: SignedClient) -> None:
    go = go_client(api, project_id=PROJECT_ID)
    wrong = GoAkSkProvider(api.client, go.ak, "not-the-secret-key", project_id=PROJECT_ID)
    for _ in range(5):
        refused = wrong.request("GET", "http://testserver/v3/auth/catalog")
        assert_error(refused, "APIGW.0301", "verify aksk signature fail", status=401)
    locked = go.request("GET", "http://testserver/v3/auth/catalog")
    assert_error(locked, "APIGW.0301", "AK access failed to reach the limit", go.ak, status=401)
