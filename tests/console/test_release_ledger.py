"""The Release ledger page (SQLite and PostgreSQL): an enterprise workspace's nav links to it,
it lists the releases and what production held now or at a moment between them, refuses an
unreadable moment saying how to write one, and downloads the same as CSV."""

from __future__ import annotations

import time

from jobferry.services.container import Services
from support.console import Browser, assert_page
from support.releases import enterprise_team, register_connections, release, submit_job


def test_the_release_ledger_page(browser: Browser, services: Services) -> None:
    team = enterprise_team(services)
    register_connections(services, team)
    submit_job(services, team.developer, "first_job")
    release(services, team, "pkg_one")
    time.sleep(0.005)
    submit_job(services, team.developer, "second_job")
    release(services, team, "pkg_two")
    url = f"/console/w/{team.workspace_id}/release-ledger"

    page = browser.get(url)
    assert_page(
        page, 200, "pkg_one", "pkg_two", "first_job", "second_job", team.deployer.actor.name
    )
    assert 'href="/console/w/' in page.text
    assert "/release-ledger" in browser.get(f"/console/w/{team.workspace_id}/jobs").text

    first = services.ledger.ledger(team.deployer).entries[0][0]
    between = browser.get(url, params={"at": str(first.at)})
    assert_page(between, 200, "first_job", "pkg_one")
    assert "second_job" not in between.text
    refused = browser.get(url, params={"at": "yesterday"})
    assert_page(refused, 400, "is not a moment")

    exported = browser.get(f"{url}.csv", params={"at": str(first.at)})
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    lines = exported.text.splitlines()
    assert lines[0].startswith("kind,name,uid,version,sha256")
    assert any(line.startswith("job,first_job,") for line in lines)
    assert not any("second_job" in line for line in lines)
