"""A console address naming an object that is not there (a stale link, a typo): a 404 page
saying what is missing with a link back to its list, while the API keeps DataArts' 400."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from jobferry.services.container import Services
from jobferry.services.context import Scope
from support.clients import ADMIN_AK, ADMIN_SK, SignedClient, assert_error
from support.console import Browser, assert_page, main_text
from support.releases import enterprise_team
from support.wizard import prod_workspace

MISSING = [
    ("/jobs/nope", "no job 'nope' in workspace 'default'", "Jobs", "/jobs"),
    ("/scripts/nope", "no script 'nope' in workspace 'default'", "Scripts", "/scripts"),
    ("/resources/nope", "no resource named 'nope'", "Resources", "/resources"),
    ("/editor/jobs/nope", "no job 'nope' in workspace 'default'", "Jobs", "/jobs"),
    ("/editor/scripts/nope", "no script 'nope' in workspace 'default'", "Scripts", "/scripts"),
    ("/tasks/nope", "Task [nope] does not exist", "Tasks", "/tasks"),
    ("/tasks/nope/status", "Task [nope] does not exist", "Tasks", "/tasks"),
    ("/routes/nope", "There is no route 'nope'", "Routes", "/routes"),
    ("/routes/nope/promotions/1", "There is no route 'nope'", "Routes", "/routes"),
    ("/routes/nope/plans/1/approvals", "There is no route 'nope'", "Routes", "/routes"),
    (
        "/downloads/nope/file",
        "Package 'nope' is not in the download center",
        "Download center",
        "/downloads",
    ),
]


@pytest.mark.parametrize(("path", "said", "listed", "listing"), MISSING)
def test_a_page_of_an_object_that_is_not_there_is_a_404_linking_back_to_its_list(
    browser: Browser, scope: Scope, path: str, said: str, listed: str, listing: str
) -> None:
    ws = scope.workspace.id
    response = browser.get(f"/console/w/{ws}{path}")
    assert_page(response, 404, "Not found")
    shown = main_text(response.text)
    assert said in " ".join(shown.split()), shown
    assert f'href="/console/w/{ws}{listing}">Back to {listed}</a>' in response.text
    assert "DLF." not in shown  # a page that is not there, not a refused API call
    assert "Traceback" not in response.text


def test_the_api_keeps_answering_a_missing_job_and_script_with_dataarts_400(
    client: TestClient, browser: Browser, scope: Scope
) -> None:
    api = SignedClient(client, ADMIN_AK, ADMIN_SK)
    assert_error(api.call("GET", "/jobs/nope", workspace=scope.workspace.id), "DLF.0100")
    assert_error(api.call("GET", "/scripts/nope", workspace=scope.workspace.id), "DLF.6201")


def test_an_unknown_workspace_in_the_address_is_a_404_linking_to_the_start_page(
    browser: Browser,
) -> None:
    response = browser.get("/console/w/0000/jobs")
    assert_page(response, 404, "Workspace &#39;0000&#39; does not exist")
    assert 'href="/console/">Back to the start page</a>' in response.text


def test_a_missing_or_misspelt_release_package_is_a_404_linking_to_the_packages(
    browser: Browser, services: Services
) -> None:
    team = enterprise_team(services)
    base = f"/console/w/{team.workspace_id}/releases/packages"
    back = f'href="{base}">Back to Release packages</a>'
    for path, said in [
        ("/999", "Release package &#39;999&#39; does not exist"),
        ("/999/approvals", "Release package &#39;999&#39; does not exist"),
        ("/abc", "There is no release package &#39;abc&#39;"),
        ("/abc/approvals", "There is no release package &#39;abc&#39;"),
    ]:
        response = browser.get(base + path)
        assert_page(response, 404, said)
        assert back in response.text, path


def test_a_promotion_a_route_never_made_is_a_404_linking_to_the_route(
    browser: Browser, services: Services, scope: Scope
) -> None:
    prod_workspace(services)
    services.routes.put(
        scope, "to-prod", {"source": {"workspace": "default"}, "target": {"workspace": "prod"}}
    )
    ws = scope.workspace.id
    response = browser.get(f"/console/w/{ws}/routes/to-prod/promotions/42")
    assert_page(response, 404, "Route &#39;to-prod&#39; has no promotion 42")
    assert f'href="/console/w/{ws}/routes/to-prod">Back to route &#39;to-prod&#39;</a>' in (
        response.text
    )
