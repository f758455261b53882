"""Tags at the governance service (``services/definitions/governance.py``): a tag is deleted
once no job carries it and it is not locked, by a workspace admin, with its audit entry; a
refused delete names the rule and the fix and changes nothing."""

from __future__ import annotations

import pytest

from jobferry.domain.audit import AuditQuery
from jobferry.domain.enums import Role
from jobferry.errors import InUseError, LockedTagError, NotFoundError, PermissionDeniedError
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.definitions.usage import SHOWN
from support.builders import make_job
from support.console import admin_scope
from support.releases import person
from support.workspace_state import workspace_state


def _tags(services: Services, scope: Scope) -> list[tuple[str, bool, int | None]]:
    return [(t.name, t.locked, t.jobs) for t in services.governance.list_tags(scope, counted=True)]


def _entries(services: Services, scope: Scope) -> list[tuple[str, str]]:
    found = services.audit.list_entries(scope, 100, 0, AuditQuery(object_kind="tag"))
    return [(e.action, e.object_name or "") for e in found.entries]


def _held(services: Services, scope: Scope) -> object:
    """What a refused delete must leave as it was: the tags, the definitions, the audit log."""
    return (
        _tags(services, scope),
        workspace_state(services, scope.workspace.id),
        _entries(services, scope),
    )


def test_a_tag_no_job_carries_is_deleted_and_audited(services: Services) -> None:
    scope = admin_scope(services)
    services.governance.put_tag(scope, "finance", False)
    services.governance.put_tag(scope, "weekly", True)
    services.governance.put_tag(scope, "weekly", False)

    services.governance.delete_tag(scope, "finance")
    services.governance.delete_tag(scope, "weekly")  # unlocked: it goes too

    assert _tags(services, scope) == []
    assert _entries(services, scope)[:2] == [("tag.delete", "weekly"), ("tag.delete", "finance")]
    found = services.audit.list_entries(scope, 1, 0, AuditQuery(action="tag.delete"))
    assert found.entries[0].actor == scope.actor.name


def test_a_tag_jobs_carry_is_refused_naming_them_and_kept(services: Services) -> None:
    scope = admin_scope(services)
    for name in ("weekly_sales", "daily_sales", "hourly_sales"):
        services.jobs.create(scope, make_job(name))  # each tagged daily
    services.jobs.create(scope, make_job("plain", basicConfig={"owner": "alice", "tags": []}))
    before = _held(services, scope)
    assert _tags(services, scope) == [("daily", False, 3)]

    with pytest.raises(InUseError) as caught:
        services.governance.delete_tag(scope, "daily")

    refusal = caught.value
    assert refusal.code == "DLF.9013"
    assert refusal.message == (
        f"Tag 'daily' is carried by 3 job(s) of workspace '{scope.workspace.name}': daily_sales, "
        "hourly_sales, weekly_sales; a tag jobs carry is not deleted, so nothing was deleted. "
        "Take it out of those jobs' tags first, then delete it."
    )
    assert refusal.context == {
        "tag": "daily",
        "jobs": ["daily_sales", "hourly_sales", "weekly_sales"],
        "jobs_total": 3,
    }
    assert _held(services, scope) == before

    for name in ("weekly_sales", "daily_sales", "hourly_sales"):
        services.jobs.update(scope, name, make_job(name, basicConfig={"owner": "a", "tags": []}))
    services.governance.delete_tag(scope, "daily")  # the fix: carried no more
    assert _tags(services, scope) == []


def test_a_refusal_names_the_first_jobs_and_counts_the_rest(services: Services) -> None:
    scope = admin_scope(services)
    for i in range(SHOWN + 3):
        services.jobs.create(scope, make_job(f"job_{i:02d}"))

    with pytest.raises(InUseError) as caught:
        services.governance.delete_tag(scope, "daily")

    assert caught.value.context["jobs"] == [f"job_{i:02d}" for i in range(SHOWN)]
    assert caught.value.context["jobs_total"] == SHOWN + 3
    assert f"job_{SHOWN - 1:02d} and 3 more;" in caught.value.message


def test_a_locked_tag_is_refused_until_it_is_unlocked(services: Services) -> None:
    scope = admin_scope(services)
    services.governance.put_tag(scope, "finance", True)
    before = _held(services, scope)

    with pytest.raises(LockedTagError) as caught:
        services.governance.delete_tag(scope, "finance")

    assert caught.value.code == "DLF.9091"
    assert caught.value.message == (
        f"Tag 'finance' is locked in workspace '{scope.workspace.name}', and a locked tag is not "
        "deleted; nothing was deleted. Unlock it first (a workspace admin may), then delete it."
    )
    assert caught.value.context == {"tag": "finance", "tags": ["finance"]}
    assert _held(services, scope) == before
    services.governance.put_tag(scope, "finance", False)
    services.governance.delete_tag(scope, "finance")
    assert _tags(services, scope) == []


def test_a_locked_tag_jobs_carry_says_to_unlock_it_first(services: Services) -> None:
    scope = admin_scope(services)
    services.jobs.create(scope, make_job("daily_sales"))
    services.governance.put_tag(scope, "daily", True)

    with pytest.raises(LockedTagError):
        services.governance.delete_tag(scope, "daily")
    services.governance.put_tag(scope, "daily", False)
    with pytest.raises(InUseError):
        services.governance.delete_tag(scope, "daily")
    assert _tags(services, scope) == [("daily", False, 1)]


def test_an_unknown_tag_is_not_found_and_nothing_changes(services: Services) -> None:
    scope = admin_scope(services)
    services.governance.put_tag(scope, "finance", False)
    before = _held(services, scope)

    for name in ("Finance", "weekly", " finance", "t" * 200):
        with pytest.raises(NotFoundError) as caught:
            services.governance.delete_tag(scope, name)
        assert caught.value.code == "DLF.3051"
        assert type(caught.value) is NotFoundError
        assert caught.value.context == {"tag": name}

    assert "Tag 'weekly' does not exist in workspace" in str(_refusal(services, scope, "weekly"))
    assert _held(services, scope) == before


def _refusal(services: Services, scope: Scope, name: str) -> NotFoundError:
    with pytest.raises(NotFoundError) as caught:
        services.governance.delete_tag(scope, name)
    return caught.value


def test_only_a_workspace_admin_deletes_a_tag(services: Services) -> None:
    scope = admin_scope(services)
    services.governance.put_tag(scope, "finance", False)
    before = _held(services, scope)
    for who, role in (("dev", Role.DEVELOPER), ("ops", Role.OPERATOR)):
        other = person(services, scope.workspace.id, who, role)
        with pytest.raises(PermissionDeniedError):
            services.governance.delete_tag(other, "finance")
        with pytest.raises(PermissionDeniedError):
            services.governance.delete_tag(other, "nothing_here")  # no look at the tags first
    assert _held(services, scope) == before


def test_tags_are_listed_uncounted_unless_asked(services: Services) -> None:
    scope = admin_scope(services)
    services.jobs.create(scope, make_job("daily_sales"))
    services.governance.put_tag(scope, "finance", True)

    plain = services.governance.list_tags(scope)
    assert [(t.name, t.locked, t.jobs) for t in plain] == [
        ("daily", False, None),
        ("finance", True, None),
    ]
    assert _tags(services, scope) == [("daily", False, 1), ("finance", True, 0)]
