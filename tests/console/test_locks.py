"""*Lock* and *Unlock* on a job's and a script's page: the page says who holds a lock; a
writer locks, the holder or a workspace admin unlocks; another user's attempt is refused with
the fix in the console's words."""

from __future__ import annotations

from jobferry.domain.enums import Role
from jobferry.services.container import Services
from jobferry.services.context import Scope
from support.console import Browser, assert_page, make_user, seed, sign_in_as
from support.releases import connected_team, production_of, release, submit_job


def test_a_job_is_locked_shown_refused_to_another_and_unlocked_by_an_admin(
    browser: Browser,
    anonymous_client_browser: Browser,
    services: Services,
    scope: Scope,
) -> None:
    seed(services, scope, ("daily_sales",))
    base = f"/console/w/{scope.workspace.id}/jobs/daily_sales"
    dev = anonymous_client_browser
    sign_in_as(dev, services, "dana", Role.DEVELOPER)

    page = dev.get(base).text
    assert f'action="{base}/lock"' in page
    locked = dev.post(f"{base}/lock")
    assert (locked.status_code, locked.headers["location"]) == (303, base)
    assert_page(dev.get(base), 200, "Locked by dana", f'action="{base}/unlock"')
    assert [lk.holder for lk in services.governance.list_locks(scope)] == ["dana"]

    admin_page = browser.get(base).text
    assert "Locked by dana" in admin_page
    assert f'action="{base}/unlock"' in admin_page  # an admin unlocks anyone's
    refused = browser.post(f"{base}/lock")
    assert_page(
        refused,
        400,
        "already locked by &#39;dana&#39;",
        "Ask dana to choose Unlock on its page, or a workspace admin to unlock it for them.",
    )
    released = browser.post(f"{base}/unlock")
    assert released.status_code == 303
    assert services.governance.list_locks(scope) == []


def test_a_script_s_lock_is_its_holder_s_to_release(
    browser: Browser,
    anonymous_client_browser: Browser,
    services: Services,
    scope: Scope,
) -> None:
    seed(services, scope, ("daily_sales",))
    base = f"/console/w/{scope.workspace.id}/scripts/daily_sales_sql"
    assert browser.post(f"{base}/lock").status_code == 303
    dev = anonymous_client_browser
    sign_in_as(dev, services, "dana", Role.DEVELOPER)

    page = dev.get(base).text
    assert f"Locked by {scope.actor.name}" in page
    assert f'action="{base}/unlock"' not in page  # not dana's, and dana is no admin
    assert dev.post(f"{base}/unlock").status_code == 403
    assert browser.post(f"{base}/unlock").status_code == 303
    assert f'action="{base}/lock"' in dev.get(base).text


def test_a_production_side_offers_its_developers_no_lock_they_would_be_refused(
    browser: Browser, anonymous_client_browser: Browser, services: Services
) -> None:
    """A developer reads a production side, and only its admins lock there: the page offers
    them no *Lock* (it offered one, which was refused); its admin is offered both."""
    team = connected_team(services)
    submit_job(services, team.developer, "daily_sales")
    release(services, team, "first")
    prod = production_of(services, team)
    make_user(services, "dana", Role.DEVELOPER, team.admin.workspace.id)
    dev = anonymous_client_browser
    assert dev.sign_in("dana").status_code == 303
    base = f"/console/w/{prod.workspace.id}/jobs/daily_sales"

    page = dev.get(base).text
    assert f'action="{base}/lock"' not in page
    assert dev.post(f"{base}/lock").status_code == 403
    assert f'action="{base}/lock"' in browser.get(base).text
    assert browser.post(f"{base}/lock").status_code == 303
    assert f'action="{base}/unlock"' in browser.get(base).text
