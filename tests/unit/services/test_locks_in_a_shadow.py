"""Locks where nobody edits (``services/definitions/governance.py``): a remote's shadow
workspace changes only with the remote (docs/remotes.md), so a job or script is not locked
there; a lock taken before it became a shadow is still released, and its locks are listed. A
production side is not such a place: its admins lock there."""

from __future__ import annotations

import pytest

from jobferry.domain.remedies import Remedy
from jobferry.errors import ShadowWorkspaceError
from jobferry.services.container import Services
from support.audits import entries_since, last_entry
from support.builders import make_job
from support.console import admin_scope, mark_shadow
from support.planning import workspace
from support.releases import connected_team, production_of, release, submit_job


def test_a_shadow_refuses_a_lock_taken_releases_one_it_had_and_lists_its_locks(
    services: Services,
) -> None:
    """Refused as the shadow's other writes are (DLF.9063), with the fix of a change the
    remote makes (``pushed=False``): a lock is the workspace's own and an import into the
    shadow does not push it."""
    scope = workspace(services, "mirror")
    for name in ("daily_sales", "weekly_sales"):
        services.jobs.create(scope, make_job(name))
    services.governance.acquire(scope, "job", "daily_sales")  # before it became a shadow
    mark_shadow(services, scope.workspace.id, "prod")
    shadow = admin_scope(services, scope.workspace.id)
    before = (last_entry(services), services.governance.list_locks(shadow))

    for name in ("weekly_sales", "daily_sales"):  # the holder's own, again
        with pytest.raises(ShadowWorkspaceError) as refused:
            services.governance.acquire(shadow, "job", name)
        assert refused.value.code == "DLF.9063"
        assert refused.value.remedy == Remedy.REFRESH_SHADOW
        assert "shadow of remote 'prod'" in refused.value.problem
        assert "Make the change in the remote workspace" in refused.value.message

    assert [lk.name for lk in services.governance.list_locks(shadow)] == ["daily_sales"]
    assert services.governance.list_locks(shadow) == before[1]
    assert entries_since(services, before[0]) == []

    # Under the hard policy the lock would hold off the imports pushed through the shadow for
    # good: its holder (or an admin) still releases it.
    services.governance.release(shadow, "job", "daily_sales")
    assert services.governance.list_locks(shadow) == []
    assert [line[1:] for line in entries_since(services, before[0])] == [
        ("lock.release", "job", "daily_sales")
    ]


def test_a_production_side_s_admin_locks_and_unlocks_there(services: Services) -> None:
    """Decided: a production side is not refused a lock (``require_not_production`` is not
    asked). Its definitions change only by a release, but the codebase lets its admins lock
    there on purpose (docs/api.md's locks row: "on a production side admins"; the console
    offers them *Lock*), and a developer, who only reads production, is refused by role."""
    team = connected_team(services)
    submit_job(services, team.developer, "daily_sales")
    release(services, team, "first")
    prod = production_of(services, team)

    lock = services.governance.acquire(prod, "job", "daily_sales")

    assert (lock.name, lock.holder) == ("daily_sales", prod.actor.name)
    services.governance.release(prod, "job", "daily_sales")
    assert services.governance.list_locks(prod) == []
