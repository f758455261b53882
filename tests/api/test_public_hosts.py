"""JOBFERRY_PUBLIC_HOSTS: signed requests only for this server's own names (in-process)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from jobferry.settings import Settings
from jobferry.signing import parse_authorization
from support.apps import api_with
from support.builders import make_job
from support.clients import ADMIN_AK, ADMIN_SK, PROJECT_ID, SignedClient, assert_error
from support.terraform import TerraformClient


@pytest.fixture
def elsewhere_api(settings: Settings) -> Iterator[SignedClient]:
    """The in-process app ("testserver") configured as reached by other names only."""
    yield from api_with(settings, public_hosts="jobferry.example.com, JOBS.example.com:8443")


@pytest.fixture
def here_api(settings: Settings) -> Iterator[SignedClient]:
    """The in-process app with "testserver" among its public hosts."""
    yield from api_with(settings, public_hosts="jobferry.example.com,TestServer")


def job_total_via_public_host(api: SignedClient) -> int:
    """The job count, asked through a public host name (signed for it)."""
    listed = api.call("GET", "/jobs", extra_headers={"Host": "Jobferry.example.com"})
    assert listed.status_code == 200, listed.text
    total: int = listed.json()["total"]
    return total


def test_a_request_signed_for_another_host_is_refused_naming_it_and_the_setting(
    elsewhere_api: SignedClient,
) -> None:
    refused = elsewhere_api.call("POST", "/jobs", make_job())
    assert_error(
        refused,
        "APIGW.0301",
        "Host 'testserver' is not one of this server's public hosts",
        "JOBFERRY_PUBLIC_HOSTS: jobferry.example.com, jobs.example.com:8443",
        "send the request to one of them",
        status=401,
    )
    body = refused.json()
    assert body["host"] == "testserver"
    assert body["public_hosts"] == ["jobferry.example.com", "jobs.example.com:8443"]
    assert elsewhere_api.call("GET", "/jobs").status_code == 401
    assert job_total_via_public_host(elsewhere_api) == 0


def test_a_request_signed_for_a_public_host_is_accepted(here_api: SignedClient) -> None:
    assert here_api.call("POST", "/jobs", make_job()).status_code == 204
    assert here_api.call("GET", "/jobs").json()["total"] == 1


def terraform_create(api: SignedClient) -> Any:
    tf = TerraformClient("http://testserver/", PROJECT_ID, ADMIN_AK, ADMIN_SK)
    more = {"Content-Type": "application/json"}
    create = tf.build("POST", "v1/{project_id}/jobs", json_body=make_job(), more_headers=more)
    assert "host" not in parse_authorization(create.headers["Authorization"][0]).signed_headers
    return create.send(api.client)


def test_a_terraform_request_without_a_signed_host_is_held_to_the_host_it_sends(
    elsewhere_api: SignedClient,
) -> None:
    refused = terraform_create(elsewhere_api)
    assert_error(refused, "APIGW.0301", "Host 'testserver'", "JOBFERRY_PUBLIC_HOSTS", status=401)
    assert job_total_via_public_host(elsewhere_api) == 0


def test_a_terraform_request_to_a_public_host_is_accepted(here_api: SignedClient) -> None:
    assert terraform_create(here_api).status_code == 204
    assert here_api.call("GET", "/jobs").json()["total"] == 1


def test_without_the_setting_any_host_is_accepted(api: SignedClient) -> None:
    assert api.call("POST", "/jobs", make_job()).status_code == 204
