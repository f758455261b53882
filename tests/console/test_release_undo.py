"""Rolling back and restoring releases from a package's page (SQLite and PostgreSQL): the
ledger's newest release offers *Roll back this release* to deployers (refused, naming the
object, when production changed since), a rolled back package says when and by whom, an
earlier release offers *Restore production to this release* — its plan first, then the
restore's task followed on the page — and the package page and the ledger link each other. A
signed release taken in from another server has no package page: the ledger offers its
rollback."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient

from jobferry.domain.releases import StartupMode
from jobferry.services.container import Services
from jobferry.services.context import now_ms
from jobferry.services.importing.expiry import DAY_MS, RollbackExpiry
from support.console import PASSWORD, Browser, admin_actor, finish_task, wait_task
from support.releases import (
    Team,
    connected_team,
    enterprise_team,
    production_of,
    register_connections,
    release,
    run_release,
    signed_release,
    submit_job,
    take_in,
    trusting_team,
    two_releases_taken_in,
)

API_SPEAK = re.compile(
    r"\b(?:GET|POST|PUT|DELETE) (?:/|…|\{)|/v[12]/|\{project_id\}|_factory_|\bplan_id\b"
)
"""The API's words (calls, paths, fields) a page must not show."""


def visible(page: str) -> str:
    """The text a person reads: no tags, no attribute values."""
    body = re.split(r"<main\b[^>]*>", page, maxsplit=1)[-1]
    return html.unescape(re.sub(r"<[^>]*>", " ", body))


def _speaks_console(page: str) -> None:
    found = API_SPEAK.findall(visible(page))
    assert not found, f"API terms on the page: {found}"


def _team(services: Services) -> Team:
    team = enterprise_team(services)
    register_connections(services, team)
    admin = admin_actor(services)
    for scope in (team.developer, team.deployer):
        services.signin.set_password(admin, scope.actor.name, PASSWORD)
    return team


def _signed_in(client: TestClient, name: str) -> Browser:
    browser = Browser(client)
    assert browser.sign_in(name).status_code == 303
    return browser


def _two_releases(services: Services, team: Team) -> tuple[int, int]:
    submit_job(services, team.developer, "daily")
    first = release(services, team, "first", StartupMode.LEAVE)
    submit_job(services, team.developer, "daily", description="second cut")
    return first, release(services, team, "second", StartupMode.LEAVE)


def _deployer_of_two_releases(
    services: Services, client: TestClient
) -> tuple[Team, int, int, str, Browser]:
    """Two releases of daily (the team, their package ids), the packages' pages and the
    deployer signed in."""
    team = _team(services)
    first, second = _two_releases(services, team)
    base = f"/console/w/{team.workspace_id}/releases/packages"
    return team, first, second, base, _signed_in(client, team.deployer.actor.name)


def _expire_every_release(services: Services) -> None:
    """Every deploy so far past ``JOBFERRY_ROLLBACK_DAYS=1``, swept."""
    RollbackExpiry(services.db, 1).sweep(now_ms() + DAY_MS + 1)


def _refused_as_expired(deployer: Browser, url: str) -> None:
    """The rollback posted at ``url`` is refused, saying it can no longer be done."""
    refused = deployer.post(url, {})
    assert refused.status_code == 400, refused.text
    assert "can no longer be rolled back" in visible(refused.text)


def test_the_last_release_is_rolled_back_from_its_page(
    services: Services, client: TestClient
) -> None:
    team = _team(services)
    first, second = _two_releases(services, team)
    base = f"/console/w/{team.workspace_id}/releases/packages"
    # One client, one session at a time: the developer first, then the deployer.
    developer = _signed_in(client, team.developer.actor.name)
    assert "data-rollback" not in developer.get(f"{base}/{second}").text
    assert developer.post(f"{base}/{second}/rollback", {}).status_code == 403
    deployer = _signed_in(client, team.deployer.actor.name)
    last = deployer.get(f"{base}/{second}").text
    assert "data-rollback" in last
    assert "data-restore-plan" not in last
    assert f'href="/console/w/{team.workspace_id}/release-ledger"' in last
    earlier = deployer.get(f"{base}/{first}").text
    assert "data-restore-plan" in earlier
    assert "data-rollback" not in earlier

    production = production_of(services, team)
    services.jobs.start(production, "daily")  # production changed by hand since the release
    refused = deployer.post(f"{base}/{second}/rollback", {})  # refused at once: no task
    assert refused.status_code == 400, refused.text
    assert "job 'daily' was started by hand since the release" in visible(refused.text)
    assert "Nothing was changed" in visible(refused.text)
    assert "data-rollback" in refused.text  # still offered
    _speaks_console(refused.text)
    services.jobs.stop(production, "daily")

    started = deployer.post(f"{base}/{second}/rollback", {})
    finish_task(services, team.deployer, started)
    assert started.headers["location"].startswith(f"{base}/{second}?task=")
    done = deployer.get(started.headers["location"])
    assert done.status_code == 200, done.text
    shown = visible(done.text)
    assert "Rollback task" in shown
    assert "data-rolled-back" in done.text
    assert f"by {team.deployer.actor.name}" in shown
    assert "data-rollback" not in done.text
    assert "rolled back" in visible(deployer.get(base).text)  # the list says so too
    assert "rolled back" not in visible(deployer.get(f"{base}/{first}").text)
    stale = deployer.get(f"{base}/{first}?task=no-such-task")  # a link to a task gone
    assert stale.status_code == 200, stale.text
    assert "Rollback task" not in visible(stale.text)
    assert "second cut" not in str(services.jobs.show(production, "daily").document)
    ledger = deployer.get(f"/console/w/{team.workspace_id}/release-ledger").text
    assert f'href="/console/w/{team.workspace_id}/releases/packages/{second}"' in ledger
    assert f'href="/console/w/{team.workspace_id}/releases/packages/{first}"' in ledger


def test_a_last_release_past_the_rollback_days_offers_no_rollback_and_says_why(
    services: Services, client: TestClient
) -> None:
    _, first, second, base, deployer = _deployer_of_two_releases(services, client)
    assert "data-rollback" in deployer.get(f"{base}/{second}").text
    _expire_every_release(services)
    last = deployer.get(f"{base}/{second}").text
    assert "data-rollback" not in last
    assert "data-no-rollback" in last
    assert "can no longer be rolled back" in visible(last)
    _speaks_console(last)
    assert "data-restore-plan" in deployer.get(f"{base}/{first}").text  # the way back
    _refused_as_expired(deployer, f"{base}/{second}/rollback")


def test_an_earlier_release_is_restored_through_its_plan_following_the_task(
    services: Services, client: TestClient
) -> None:
    team, first, second, base, deployer = _deployer_of_two_releases(services, client)

    planned = deployer.post(f"{base}/{first}/restore", {})
    assert planned.status_code == 200, planned.text
    assert "data-restore-review" in planned.text
    assert "OVERWRITE 1" in visible(planned.text)
    assert "second cut" in planned.text  # the description the restore takes back
    _speaks_console(planned.text)
    production = production_of(services, team)
    assert "second cut" in str(services.jobs.show(production, "daily").document)
    plan_id = re.search(r'name="plan" value="([^"]+)"', planned.text)
    assert plan_id

    applied = deployer.post(f"{base}/{first}/restore/apply", {"plan": plan_id[1]})
    assert applied.status_code == 303, applied.text
    follow = applied.headers["location"]
    task_id = re.search(r"task=([^&]+)", follow)
    assert task_id
    assert wait_task(services, production, task_id[1]).status.value == "SUCCESSFUL"
    page = deployer.get(follow)
    assert page.status_code == 200, page.text
    assert "Restore task" in page.text
    assert "SUCCESSFUL" in page.text
    assert "second cut" not in str(services.jobs.show(production, "daily").document)
    entries = services.ledger.ledger(team.deployer).entries
    assert [e.action for e, _ in entries][-1] == "restore"

    again = deployer.post(f"{base}/{first}/restore", {})
    assert again.status_code == 200
    assert "already holds" in visible(again.text)
    stale = deployer.post(f"{base}/{first}/restore/apply", {"plan": "nope"})
    assert stale.status_code == 400
    assert "data-restore" not in deployer.get(f"{base}/{second}").text.replace(
        "data-restore-plan", ""
    )


def test_a_release_rolled_back_then_restored_to_says_so_on_its_page_and_the_list(
    services: Services, client: TestClient
) -> None:
    team, _, second, base, deployer = _deployer_of_two_releases(services, client)
    finish_task(services, team.deployer, deployer.post(f"{base}/{second}/rollback", {}))
    assert "production holds again what it held before" in visible(
        deployer.get(f"{base}/{second}").text
    )
    services.restores.restore(team.deployer, second)
    run_release(services)

    page = deployer.get(f"{base}/{second}").text
    shown = " ".join(visible(page).split())
    assert "data-restored" in page
    assert "rolled back, then restored" in shown
    assert "production holds again what it held before" not in shown
    entry = services.ledger.ledger(team.deployer).entries[-1][0]
    assert f"by {team.deployer.actor.name}: production was restored to this release" in shown
    assert f"entry {entry.id}" in shown
    listed = " ".join(visible(deployer.get(base).text).split())
    assert "rolled back, then restored" in listed
    _speaks_console(page)


def _taken_in(services: Services) -> Team:
    """A production side that took in another server's signed release, with its developer
    and deployer able to sign in."""
    data, pair = signed_release(services, connected_team(services, "sales"))
    team = trusting_team(services, pair.public_key)
    admin = admin_actor(services)
    for scope in (team.developer, team.deployer):
        services.signin.set_password(admin, scope.actor.name, PASSWORD)
    take_in(services, team.admin, data)
    run_release(services)
    return team


def test_a_signed_release_taken_in_past_the_rollback_days_is_not_offered_for_rollback(
    services: Services, client: TestClient
) -> None:
    team = _taken_in(services)
    ledger = f"/console/w/{team.workspace_id}/release-ledger"
    deployer = _signed_in(client, team.deployer.actor.name)
    assert "data-rollback" in deployer.get(ledger).text
    _expire_every_release(services)
    assert "data-rollback" not in deployer.get(ledger).text
    _refused_as_expired(deployer, f"{ledger}/rollback")


def test_a_signed_release_taken_in_is_rolled_back_from_the_ledger(
    services: Services, client: TestClient
) -> None:
    team = _taken_in(services)
    ledger = f"/console/w/{team.workspace_id}/release-ledger"

    developer = _signed_in(client, team.developer.actor.name)
    assert "data-rollback" not in developer.get(ledger).text
    deployer = _signed_in(client, team.deployer.actor.name)
    shown = deployer.get(ledger).text
    assert "data-rollback" in shown
    assert "a signed release taken in from another server" in visible(shown)
    assert "data-rollback" not in deployer.get(ledger, params={"at": "2000-01-01"}).text

    production = production_of(services, team)
    services.jobs.start(production, "daily")  # production changed by hand since the release
    refused = deployer.post(f"{ledger}/rollback", {})  # refused at once: no task
    assert refused.status_code == 400, refused.text
    assert "job 'daily' was started by hand since the release" in visible(refused.text)
    _speaks_console(refused.text)
    services.jobs.stop(production, "daily")

    started = deployer.post(f"{ledger}/rollback", {})
    finish_task(services, team.deployer, started)
    done = deployer.get(started.headers["location"])
    assert done.status_code == 200, done.text
    assert "Release 'carried' rolled back" in visible(done.text)
    assert "data-rollback" not in deployer.get(ledger).text  # the newest is now its rollback
    assert services.ledger.ledger(team.deployer).entries[-1][0].action == "rollback"


def test_production_is_restored_to_a_signed_release_taken_in_from_the_ledger(
    services: Services, client: TestClient
) -> None:
    _, team = two_releases_taken_in(services)
    services.signin.set_password(admin_actor(services), team.deployer.actor.name, PASSWORD)
    first = services.ledger.ledger(team.admin).entries[0][0]
    ledger = f"/console/w/{team.workspace_id}/release-ledger"

    deployer = _signed_in(client, team.deployer.actor.name)
    shown = deployer.get(ledger).text
    assert shown.count("data-restore-plan") == 1  # the first; the second is the newest
    planned = deployer.post(f"{ledger}/{first.id}/restore", {})
    assert planned.status_code == 200, planned.text
    assert "data-restore-review" in planned.text
    assert "daily" in visible(planned.text)
    _speaks_console(planned.text)
    plan_id = re.search(r'name="plan" value="([^"]+)"', planned.text)
    assert plan_id is not None
    applied = deployer.post(f"{ledger}/{first.id}/restore/apply", {"plan": plan_id[1]})
    assert applied.status_code == 303, applied.text
    production = production_of(services, team)
    follow = applied.headers["location"]
    task_id = re.search(rf"/w/{production.workspace.id}/tasks/([^/?]+)$", follow)
    assert task_id, follow
    assert wait_task(services, production, task_id[1]).status.value == "SUCCESSFUL"
    assert "SUCCESSFUL" in deployer.get(follow).text
    assert "description" not in services.jobs.show(production, "daily").document
    assert services.ledger.ledger(team.admin).entries[-1][0].action == "restore"
    again = deployer.post(f"{ledger}/{first.id}/restore", {})
    assert again.status_code == 200
    assert "nothing to restore" in visible(again.text)


def test_the_ledger_offers_the_rollback_of_a_last_release_with_a_package_as_the_service_takes_it(
    services: Services, client: TestClient
) -> None:
    """*Roll back the last release* is offered wherever the rollback would start (a package's
    release as well as a signed release taken in), and not where it would be refused: once
    the newest entry is a rollback, the page offers nothing, and the post is refused and
    changes nothing."""
    team, _, second, base, deployer = _deployer_of_two_releases(services, client)
    ledger = f"/console/w/{team.workspace_id}/release-ledger"
    shown = deployer.get(ledger).text
    assert "data-rollback" in shown
    assert "a signed release taken in" not in visible(shown)
    _speaks_console(shown)
    started = deployer.post(f"{ledger}/rollback", {})
    finish_task(services, team.deployer, started)
    assert "data-rolled-back" in deployer.get(f"{base}/{second}").text

    after = deployer.get(ledger).text
    assert "data-rollback" not in after  # the newest entry is the rollback: nothing to undo
    entries = services.ledger.ledger(team.deployer).total
    refused = deployer.post(f"{ledger}/rollback", {})
    assert refused.status_code == 400, refused.text
    assert "not a release" in visible(refused.text)
    assert "data-rollback" not in refused.text
    assert services.ledger.ledger(team.deployer).total == entries


def test_the_ledger_offers_no_rollback_of_a_package_release_where_the_service_refuses_it(
    services: Services, client: TestClient
) -> None:
    """Not to a developer (refused: their role), nor past the rollback days (refused as
    expired): the page offers what the rollback would take, no more."""
    team = _team(services)
    _two_releases(services, team)
    ledger = f"/console/w/{team.workspace_id}/release-ledger"
    developer = _signed_in(client, team.developer.actor.name)
    assert "data-rollback" not in developer.get(ledger).text
    assert developer.post(f"{ledger}/rollback", {}).status_code == 403
    deployer = _signed_in(client, team.deployer.actor.name)
    assert "data-rollback" in deployer.get(ledger).text
    _expire_every_release(services)
    entries = services.ledger.ledger(team.deployer).total
    assert "data-rollback" not in deployer.get(ledger).text
    _refused_as_expired(deployer, f"{ledger}/rollback")
    assert services.ledger.ledger(team.deployer).total == entries
