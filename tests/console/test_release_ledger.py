"""The Release ledger page (SQLite and PostgreSQL): an enterprise workspace's nav links to it,
it lists the releases and what production held now or at a moment between them, refuses an
unreadable moment saying how to write one, and downloads the same as CSV."""

from __future__ import annotations

import re
import time

import pytest

from jobferry.console import ledger as console_ledger
from jobferry.domain.releases import StartupMode
from jobferry.package.approvals import sign_statement
from jobferry.package.keys import generate_key_pair
from jobferry.services.approving import Signed
from jobferry.services.container import Services
from jobferry.services.releases.approval_keys import parse_key
from jobferry.services.releases.records import DeployRequest, PackageRequest
from jobferry.storage.releases import ItemFilter
from support.console import Browser, assert_page
from support.releases import (
    connected_team,
    enterprise_team,
    register_connections,
    release,
    run_release,
    signed_release,
    submit_job,
    take_in,
    trusting_team,
)


def test_the_release_ledger_page(browser: Browser, services: Services) -> None:
    team = enterprise_team(services)
    register_connections(services, team)
    submit_job(services, team.developer, "first_job")
    release(services, team, "pkg_one")
    time.sleep(0.005)
    submit_job(services, team.developer, "second_job")
    release(services, team, "pkg_two", StartupMode.LEAVE)
    url = f"/console/w/{team.workspace_id}/release-ledger"

    page = browser.get(url)
    assert_page(
        page, 200, "pkg_one", "pkg_two", "first_job", "second_job", team.deployer.actor.name
    )
    # What each release did with scheduling, in words, not its startup mode's number.
    assert re.findall(r"<td data-scheduling>([^<]*)</td>", page.text) == [
        "left as it was",
        "jobs started",
    ]
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
    # A spreadsheet opened on a Chinese-language Windows reads UTF-8 text as its own code
    # page unless the file says otherwise: the download starts with a byte order mark.
    assert exported.content.startswith(b"\xef\xbb\xbfkind,name,")
    lines = exported.text.removeprefix("\ufeff").splitlines()
    assert lines[0].startswith("kind,name,uid,version,sha256")
    assert any(line.startswith("job,first_job,") for line in lines)
    assert not any("second_job" in line for line in lines)


def test_the_ledger_page_shows_who_signed_the_release(browser: Browser, services: Services) -> None:
    team = enterprise_team(services)
    register_connections(services, team)
    submit_job(services, team.developer, "signed_job")
    items = services.releases.pending(team.developer, ItemFilter(), 100, 0)[1]
    request = PackageRequest(
        str(team.developer.actor.user_id),
        "signed_pkg",
        tuple(str(i.id) for i in items),
        (str(team.deployer.actor.user_id),),
    )
    package_id = services.releases.create(team.developer, request, []).package_id
    pair = generate_key_pair()
    services.approval_keys.register(team.deployer.actor, parse_key({"publicKey": pair.public_key}))
    found = services.release_approvals.approvals(team.deployer, package_id).document()
    signature = sign_statement(pair.private_pem, found["statement"])
    signed = Signed(pair.key_id, found["planHash"], signature)
    services.release_approvals.approve(team.deployer, package_id, signed)
    services.releases.deploy(team.deployer, DeployRequest((package_id,), StartupMode.START))
    run_release(services)

    url = f"/console/w/{team.workspace_id}/release-ledger"
    page = browser.get(url)
    assert_page(page, 200, "Signed by", f"key {pair.key_id}", found["planHash"])
    exported = browser.get(f"{url}.csv").text.splitlines()
    assert "approved_by" in exported[0].split(",")
    assert any(f"{team.deployer.actor.name}:{pair.key_id}" in line for line in exported[1:])


def test_the_ledger_page_shows_a_signed_release_taken_in(
    browser: Browser, services: Services
) -> None:
    data, pair = signed_release(services, connected_team(services, "sales"))
    public_key = pair.public_key
    team = trusting_team(services, public_key)
    take_in(services, team.admin, data)
    run_release(services)
    page = browser.get(f"/console/w/{team.workspace_id}/release-ledger")
    assert_page(page, 200, "carried", "signed release taken in", "daily")
    assert "/releases/packages/" not in page.text  # it has no package here to link


def test_the_ledger_page_shows_a_page_of_entries_newest_first(
    browser: Browser, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A workspace releasing daily holds thousands of entries: the page draws a page of them,
    # says how many there are and links the older ones; what production holds stays whole.
    monkeypatch.setattr(console_ledger, "ENTRIES_PAGE", 2)
    team = connected_team(services)
    for n in range(3):
        submit_job(services, team.developer, f"job_{n}")
        release(services, team, f"pkg_{n}", StartupMode.LEAVE)
    url = f"/console/w/{team.workspace_id}/release-ledger"

    newest = browser.get(url)
    assert_page(newest, 200, "pkg_2", "pkg_1", "1–2 of 3", "Older")
    assert "pkg_0" not in newest.text.split("<h2>Entries</h2>")[1]
    assert all(f"<td>job_{n}</td>" in newest.text for n in range(3))  # in production

    older = browser.get(url, params={"offset": "2"})
    assert_page(older, 200, "pkg_0", "3–3 of 3", "Newer")
    assert "pkg_2" not in older.text.split("<h2>Entries</h2>")[1]

    past = browser.get(url, params={"offset": "40"})
    assert_page(past, 200, "past the last of the 3 entries")
