"""Searching a workspace's audit log at the service (``services/audit.py``): by object, kind,
user, action or family of actions, and time window; refusals name the parameter; an object
name longer than the log holds is recorded by its first characters."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from jobferry.domain.audit import AuditQuery
from jobferry.domain.enums import Role
from jobferry.errors import InvalidRequestError, PermissionDeniedError
from jobferry.package.keys import generate_key_pair
from jobferry.services.accounts.lockouts import KeyUnlock
from jobferry.services.accounts.tokenrequest import PasswordAuth
from jobferry.services.audit import OBJECT_NAME_LENGTH, audit_in_scope
from jobferry.services.container import Services
from jobferry.services.context import Scope, now_ms
from jobferry.services.releases.approval_keys import parse_key
from support.builders import make_job, make_script
from support.clients import PROJECT_ID
from support.console import PASSWORD, admin_actor, make_user
from support.planning import import_package, jobs_with_dependencies, workspace, write_objects
from support.releases import person


def _changed(services: Services) -> Scope:
    """A workspace where the admin created a script and two jobs, changed one job and deleted
    the other, and a developer changed the first job."""
    prod = workspace(services, "prod")
    services.scripts.create(prod, make_script())
    services.jobs.create(prod, make_job("daily_sales"))
    services.jobs.create(prod, make_job("weekly_sales"))
    services.jobs.update(prod, "daily_sales", make_job("daily_sales", description="v2"))
    services.jobs.delete(prod, "weekly_sales")
    ada = person(services, prod.workspace.id, "ada", Role.DEVELOPER)
    services.jobs.update(ada, "daily_sales", make_job("daily_sales", description="v3"))
    return prod


def _found(services: Services, scope: Scope, **asked: object) -> list[tuple[str, str, str]]:
    found = services.audit.list_entries(scope, 100, 0, AuditQuery(**asked))  # type: ignore[arg-type]
    assert found.total == len(found.entries)
    return [(e.action, e.object_name or "", e.actor) for e in found.entries]


def test_a_search_names_an_object_a_user_an_action_or_a_family(services: Services) -> None:
    prod = _changed(services)
    admin = prod.actor.name
    assert _found(services, prod, object_name="daily_sales") == [
        ("job.update", "daily_sales", "ada"),
        ("job.update", "daily_sales", admin),
        ("job.create", "daily_sales", admin),
    ]
    assert _found(services, prod, actor="ada") == [("job.update", "daily_sales", "ada")]
    assert _found(services, prod, action="job.delete") == [("job.delete", "weekly_sales", admin)]
    family = _found(services, prod, action="job")
    assert [a for a, _, _ in family] == [
        "job.update",
        "job.delete",
        "job.update",
        "job.create",
        "job.create",
    ]
    assert _found(services, prod, object_kind="script") == [
        ("script.create", "daily_sales_sql", admin)
    ]
    # Blank texts are no filter: the whole log.
    everything = _found(services, prod)
    assert _found(services, prod, object_name=" ", actor="") == everything
    assert ("script.create", "daily_sales_sql", admin) in everything


def test_a_family_is_a_whole_word_and_a_window_is_half_open(services: Services) -> None:
    prod = _changed(services)
    services.jobs.create(prod, make_job("job_b"))
    # A family is what comes before the dot, whole ("jo" is none), and "_" in it is a letter,
    # not the one-character wildcard it is in SQL's LIKE ("jo_" would match "job.…").
    assert _found(services, prod, action="jo") == []
    assert _found(services, prod, action="jo_") == []
    entries = services.audit.list_entries(prod, 100, 0).entries
    middle = entries[len(entries) // 2].at
    since = _found(services, prod, since=middle)
    until = _found(services, prod, until=middle)
    assert since
    assert until
    assert len(since) + len(until) == len(entries)
    assert _found(services, prod, since=middle, until=middle + 1) == [
        (e.action, e.object_name or "", e.actor) for e in entries if e.at == middle
    ]


def test_refusals_name_the_parameter(services: Services) -> None:
    prod = _changed(services)
    with pytest.raises(InvalidRequestError) as bad_action:
        _found(services, prod, action="job.update; drop")
    assert bad_action.value.context["parameter"] == "action"
    with pytest.raises(InvalidRequestError) as empty_window:
        _found(services, prod, since=2_000, until=1_000)
    assert empty_window.value.context["parameter"] == "since"
    assert "not before until" in str(empty_window.value)
    with pytest.raises(InvalidRequestError) as negative:
        _found(services, prod, until=-1)
    assert negative.value.context["parameter"] == "until"


def test_only_workspace_admins_read_the_log(services: Services) -> None:
    prod = _changed(services)
    ada = person(services, prod.workspace.id, "ada2", Role.DEVELOPER)
    with pytest.raises(PermissionDeniedError):
        services.audit.list_entries(ada, 10, 0)


def test_an_objects_imports_are_listed_newest_first_with_their_rollbacks(
    services: Services, tmp_path: Path
) -> None:
    prod = workspace(services, "prod")
    first = write_objects(tmp_path / "a.zip", jobs_with_dependencies(make_job("daily")))
    created = import_package(services, prod, first)
    changed = make_job("daily", description="v2")
    second = write_objects(tmp_path / "b.zip", jobs_with_dependencies(changed))
    overwrote = import_package(services, prod, second, sameNamePolicy="OVERWRITE")
    services.rollback.rollback(prod, overwrote.id)

    found = services.audit.imports_of(prod, "job", "daily")
    assert [(i.task_id, i.action, i.rolled_back) for i in found] == [
        (overwrote.id, "OVERWRITE", True),
        (created.id, "CREATE", False),
    ]
    assert found[0].by == prod.actor.name
    assert services.audit.imports_of(prod, "job", "nowhere") == []
    assert services.audit.imports_of(prod, "connection", "dws_conn") == []
    scripts = services.audit.imports_of(prod, "script", "daily_sql")
    assert [i.task_id for i in scripts] == [created.id]  # the second left it as it was


def test_an_import_is_logged_under_its_packages_file_name_as_a_refused_one_is(
    services: Services, tmp_path: Path
) -> None:
    # An auditor searches the log for the file they were sent: the import's one entry names it
    # (as ``import.refused`` does), and keeps the content's SHA-256 beside it.
    prod = workspace(services, "prod")
    package = write_objects(tmp_path / "sales-q3.zip", jobs_with_dependencies(make_job("daily")))
    task = import_package(services, prod, package)

    found = services.audit.list_entries(prod, 10, 0, AuditQuery(object_name="sales-q3.zip"))
    (entry,) = found.entries
    assert (entry.action, entry.object_kind) == ("import.apply", "package")
    assert isinstance(entry.detail, dict)
    assert entry.detail["taskId"] == task.id
    assert entry.detail["packageSha256"] == hashlib.sha256(package.read_bytes()).hexdigest()


def test_an_objects_imports_of_every_kind_within_a_window_name_their_task(
    services: Services, tmp_path: Path
) -> None:
    # "What happened to daily_sql this month?" without knowing its kind: the imports that
    # changed it (one audit line each, for their whole package) with their task's title.
    prod = workspace(services, "prod")
    first = write_objects(tmp_path / "a.zip", jobs_with_dependencies(make_job("daily")))
    created = import_package(services, prod, first)
    script = make_script("daily_sql", content="select 2;")
    objects = [
        (k, n, script if n == "daily_sql" else d)
        for k, n, d in jobs_with_dependencies(make_job("daily"))
    ]
    overwrote = import_package(
        services, prod, write_objects(tmp_path / "b.zip", objects), sameNamePolicy="OVERWRITE"
    )
    started = overwrote.start_time

    found = services.audit.imports_of(prod, None, "daily_sql")
    assert [(i.task_id, i.kind, i.action) for i in found] == [
        (overwrote.id, "script", "OVERWRITE"),
        (created.id, "script", "CREATE"),
    ]
    assert found[0].title == overwrote.name
    recent = services.audit.imports_of(prod, None, "daily_sql", AuditQuery(since=started))
    assert [i.task_id for i in recent] == [overwrote.id]
    before = services.audit.imports_of(prod, "script", "daily_sql", AuditQuery(until=started))
    assert [i.task_id for i in before] == [created.id]


def test_the_projects_own_log_holds_users_access_and_sign_ins_no_workspace_shows(
    services: Services,
) -> None:
    # An auditor asks who made a user, gave or lifted its access and who signed in: entries
    # of no workspace, written all along but shown by no workspace's log.
    admin = admin_actor(services)
    prod = workspace(services, "prod")
    make_user(services, "alice", None)
    issued = services.accounts.issue_credential(admin, admin.project_id, "alice")
    alice = services.accounts.actor_for(issued.access_key)
    pair = generate_key_pair()
    key = services.approval_keys.register(alice, parse_key({"publicKey": pair.public_key}))
    services.approval_keys.revoke(alice, key.key_id)
    services.approval_keys.revoke(alice, key.key_id)  # revoked already: changes nothing
    token, _ = services.tokens.issue(PasswordAuth("alice", PASSWORD, project_id=PROJECT_ID))
    services.tokens.revoke(admin, token)
    at = now_ms()  # alice's key locked now, after failed signatures in a row
    for _ in range(services.lockouts.max_failures):
        attempt = services.lockouts.attempt(at)
        assert attempt.secret_for(issued.access_key) == issued.secret_key
        attempt.failed()
    assert services.lockouts.unlock(admin, issued.access_key) == KeyUnlock(True, 0)
    assert services.lockouts.unlock(admin, issued.access_key) == KeyUnlock(False, 0)  # unwritten
    assert services.lockouts.unlock(admin, "AKNOSUCHKEY") is None

    page = services.audit.project_entries(admin, 100, 0)
    assert page.total == len(page.entries)
    found = [(e.actor, e.action, e.object_kind, e.object_name) for e in page.entries]
    assert found[:7] == [
        (admin.name, "credential.unlock", "user", "alice"),
        (admin.name, "token.revoke", "user", "alice"),
        ("alice", "token.issue", "user", "alice"),
        ("alice", "approval_key.revoke", "user", "alice"),
        ("alice", "approval_key.register", "user", "alice"),
        (admin.name, "credential.create", "user", "alice"),
        (admin.name, "user.password", "user", "alice"),
    ]
    assert page.entries[0].detail == {"accessKey": issued.access_key}
    assert page.entries[4].detail == {"keyId": key.key_id, "name": ""}
    assert {e.action for e in page.entries} >= {"user.create", "bootstrap"}
    # the workspace's log holds none of them, and a search narrows the project's
    assert not {a for _, a, _, _ in found} & {
        e.action for e in services.audit.list_entries(prod, 100, 0).entries
    }
    only = services.audit.project_entries(admin, 100, 0, AuditQuery(action="approval_key"))
    assert [e.action for e in only.entries] == ["approval_key.revoke", "approval_key.register"]
    with pytest.raises(PermissionDeniedError, match="not a project admin"):
        services.audit.project_entries(alice, 10, 0)


def test_an_object_name_longer_than_the_log_holds_is_recorded_by_its_first_characters(
    services: Services,
) -> None:
    prod = workspace(services, "prod")
    title = f"{'w' * 150}_workspace_20261129120000.zip (exported from workspace '{'w' * 128}')"
    with services.db.transaction() as tx:
        audit_in_scope(tx, prod, "package.generate", "package", title)
    found = services.audit.list_entries(prod, 10, 0, AuditQuery(action="package.generate"))
    assert [e.object_name for e in found.entries] == [title[:OBJECT_NAME_LENGTH]]


def test_an_action_without_a_dot_is_found_by_its_name_as_well_as_a_family(
    services: Services,
) -> None:
    # "bootstrap" is one action, the project's first entry: a search naming it finds it, as
    # a search naming job.update finds job.update (a word is also the family of its "word.…").
    admin = admin_actor(services)
    found = services.audit.project_entries(admin, 10, 0, AuditQuery(action="bootstrap"))
    assert [(e.action, e.actor) for e in found.entries] == [("bootstrap", "system")]
    assert found.total == 1
    make_user(services, "boot", None)
    user = services.audit.project_entries(admin, 10, 0, AuditQuery(action="user"))
    assert sorted(e.action for e in user.entries) == ["user.create", "user.password"]
