"""A workspace of this server as an import's target (``services.importing.local``).

Its reader (``LocalWorkspace(tx, scope).reader(lock_rows)``) asks what the target holds a batch
at a time: one query per kind for a batch of names or identifiers, existence answers remembered
across batches, a fingerprint of everything read that changes when the target does, and the
locks, tags, uses, dependencies, secrets, keys and profiles the checks read. Its
local executor of the change port (``.changes()``) writes each line in the caller's transaction
and commits nothing; the import's record (``.record()``) is written apart from it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa

from jobferry.domain.connections import secret_role
from jobferry.domain.enums import JobStatus
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.importing.changes import Committed, Delete, Rename, SetScheduling, TaskEnd
from jobferry.services.importing.local import LocalReader, LocalWorkspace
from jobferry.storage import Tx
from support.builders import make_job, make_resource, make_script
from support.console import add_connections, admin_scope


@pytest.fixture
def scope(services: Services) -> Scope:
    scope = add_connections(services, admin_scope(services), "dws_conn", "ssh_conn")
    for name in ("a_job", "b_job"):
        services.scripts.create(scope, make_script(f"{name}_sql"))
        services.scripts.create(scope, make_script(f"{name}_sh", type="Shell", content="echo"))
        services.jobs.create(scope, make_job(name))
    services.resources.create(scope, make_resource())
    return scope


def reader(tx: Tx, scope: Scope) -> LocalReader:
    return LocalWorkspace(tx, scope).reader(lock_rows=False)


@contextmanager
def counted(services: Services) -> Iterator[list[str]]:
    """The SELECT statements sent while inside."""
    sent: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            sent.append(statement)

    sa.event.listen(services.db.engine, "before_cursor_execute", note)
    try:
        yield sent
    finally:
        sa.event.remove(services.db.engine, "before_cursor_execute", note)


def test_a_batch_of_names_is_read_with_one_query_per_kind(services: Services, scope: Scope) -> None:
    with services.db.transaction(readonly=True) as tx:
        target = reader(tx, scope)
        with counted(services) as sent:
            found = target.stored(
                {
                    "job": ["a_job", "b_job", "no_job"],
                    "script": ["a_job_sql", "b_job_sh"],
                    "resource": ["udf_jar"],
                }
            )
    assert len(sent) == 3
    assert sorted(found) == [
        ("job", "a_job"),
        ("job", "b_job"),
        ("resource", "udf_jar"),
        ("script", "a_job_sql"),
        ("script", "b_job_sh"),
    ]
    job = found[("job", "a_job")]
    assert (job.status, job.latest_version) == ("STOPPED", 1)
    assert '"name":"a_job"' in job.document


def test_objects_are_found_by_their_stable_identifiers_too(
    services: Services, scope: Scope
) -> None:
    with services.db.transaction(readonly=True) as tx:
        target = reader(tx, scope)
        by_name = target.stored({"job": ["a_job"], "script": ["a_job_sql"]})
        uids = {kind: [t.uid] for (kind, _), t in by_name.items()}
        by_uid = target.stored_by_uid(uids | {"resource": ["no-such-id"]})
    assert {key[0]: t.name for key, t in by_uid.items()} == {"job": "a_job", "script": "a_job_sql"}


def test_existence_answers_are_remembered_across_batches(services: Services, scope: Scope) -> None:
    ws = scope.workspace.id
    with services.db.transaction(readonly=True) as tx:
        target = reader(tx, scope)
        asked = {("connection", ws): {"dws_conn", "nope_conn"}}
        with counted(services) as sent:
            first = target.existing(asked)
            again = target.existing(asked)
    assert first == again == {("connection", ws, "dws_conn")}
    assert len(sent) == 1


def _fingerprint(services: Services, scope: Scope, extra: list[str]) -> str:
    with services.db.transaction(readonly=True) as tx:
        target = reader(tx, scope)
        target.stored({"job": ["a_job"]})
        target.existing({("connection", scope.workspace.id): {"dws_conn"}})
        return target.fingerprint(extra)


def test_the_fingerprint_changes_with_what_was_read_and_only_then(
    services: Services, scope: Scope
) -> None:
    first = _fingerprint(services, scope, ["policy|soft"])
    assert _fingerprint(services, scope, ["policy|soft"]) == first
    assert _fingerprint(services, scope, ["policy|hard"]) != first

    services.jobs.create(scope, make_job("c_job"))  # not read by the plan: no change
    assert _fingerprint(services, scope, ["policy|soft"]) == first
    services.jobs.start(scope, "a_job")
    assert _fingerprint(services, scope, ["policy|soft"]) != first


def test_another_workspace_is_known_by_name_or_id(services: Services, scope: Scope) -> None:
    admin = admin_scope(services)
    other = services.accounts.create_workspace(admin.actor, admin.actor.project_id, "other")
    with services.db.transaction(readonly=True) as tx:
        target = reader(tx, scope)
    assert target.workspace_id("other") == other
    assert target.workspace_id(other) == other
    assert target.workspace_id("nowhere") is None


def test_locks_and_locked_tags_are_read_with_the_reader_and_enter_the_fingerprint(
    services: Services, scope: Scope
) -> None:
    before = _fingerprint(services, scope, [])
    services.governance.put_tag(scope, "daily", True)
    services.governance.put_tag(scope, "weekly", False)
    services.governance.acquire(scope, "job", "b_job")

    with services.db.transaction(readonly=True) as tx:
        target = reader(tx, scope)
    assert target.locked_tags == {"daily"}
    assert target.locks == {("job", "b_job"): (scope.actor.user_id, scope.actor.name)}
    assert _fingerprint(services, scope, []) != before


def test_who_uses_an_object_and_the_dependency_edges_are_read_per_batch(
    services: Services, scope: Scope
) -> None:
    downstream = make_job("c_job")
    downstream["schedule"]["cron"]["dependJobs"] = {"jobs": ["a_job", "b_job"]}
    services.scripts.create(scope, make_script("c_job_sql"))
    services.scripts.create(scope, make_script("c_job_sh", type="Shell", content="echo"))
    services.jobs.create(scope, downstream)
    admin = admin_scope(services)
    other_id = services.accounts.create_workspace(admin.actor, admin.actor.project_id, "other")
    other = add_connections(services, admin_scope(services, other_id), "dws_conn", "ssh_conn")
    elsewhere = make_job("far_job")
    elsewhere["schedule"]["cron"]["dependJobs"] = {
        "otherWorkSpaceJobs": [{"jobName": "a_job", "workSpace": scope.workspace.name}]
    }
    services.scripts.create(other, make_script("far_job_sql"))
    services.scripts.create(other, make_script("far_job_sh", type="Shell", content="echo"))
    services.jobs.create(other, elsewhere)

    with services.db.transaction(readonly=True) as tx:
        target = reader(tx, scope)
        using = target.jobs_using("script", ["a_job_sql", "no_sql"])
        edges = target.upstream_edges(["c_job", "a_job"])
        far = target.dependents_elsewhere("a_job")
        none_far = target.dependents_elsewhere("b_job")
    assert [(job, name) for _, job, name in using] == [("a_job", "a_job_sql")]
    assert sorted(edges) == [("c_job", "a_job"), ("c_job", "b_job")]
    assert [(ws, job) for ws, _, job in far] == [("other", "far_job")]
    assert none_far == []


def test_connection_secrets_trusted_keys_and_the_profile_come_from_the_workspace(
    services: Services, scope: Scope
) -> None:
    services.environment.put(scope, "connection", "bare_conn", {"type": "DWS", "config": {}})
    with services.db.transaction(readonly=True) as tx:
        target = reader(tx, scope)
        secrets = target.connection_secrets()
        assert target.trusted_keys() == []
        assert target.profile(None) is None
    password = {secret_role("password")}
    assert secrets == {"dws_conn": password, "ssh_conn": password, "bare_conn": set()}

    own = services.keys.create_signing_key(scope)
    with services.db.transaction(readonly=True) as tx:
        assert reader(tx, scope).trusted_keys() == [own.public_key]  # its own key counts


class UndoneError(Exception):
    """Ends a transaction without its writes."""


def rename_then_fail(services: Services, scope: Scope, job_id: str, seen: list[int]) -> None:
    """Rename the job to z_job through the change port, note the id z_job has, then fail."""
    with services.db.transaction() as tx:
        changes = LocalWorkspace(tx, scope).changes()
        changes.write(Rename("job", [(job_id, "z_job")]))
        renamed = changes.job("z_job")
        seen += [renamed.id] if renamed is not None else []
        raise UndoneError


def test_the_local_executor_writes_in_the_caller_s_transaction_and_commits_nothing(
    services: Services, scope: Scope
) -> None:
    with services.db.transaction(readonly=True) as tx:
        jobs = reader(tx, scope).stored({"job": ["a_job", "b_job"]})
    a_job, b_job = jobs[("job", "a_job")], jobs[("job", "b_job")]

    seen: list[int] = []
    with pytest.raises(UndoneError):
        rename_then_fail(services, scope, a_job.id, seen)
    assert seen == [int(a_job.id)]  # renamed inside the transaction
    assert services.jobs.show(scope, "a_job").name == "a_job"  # and undone with it

    with services.db.transaction() as tx:
        changes = LocalWorkspace(tx, scope).changes()
        changes.write(SetScheduling(int(a_job.id), "a_job", JobStatus.SCHEDULING.value))
        taken = changes.write(Delete("job", b_job.id)).state
        end = TaskEnd("task-1", "SUCCESSFUL", "Imported.", {})
        assert changes.commit(end) == Committed()  # the caller's transaction commits
    assert taken["row"]["name"] == "b_job"
    assert [v["version"] for v in taken["versions"]] == [1]
    with services.db.transaction(readonly=True) as tx:
        now = reader(tx, scope).stored({"job": ["a_job", "b_job"]})
    assert list(now) == [("job", "a_job")]
    assert now[("job", "a_job")].status == JobStatus.SCHEDULING
    # The change port writes objects only; the audit line is the import's record, apart.
    entries = services.audit.list_entries(scope, limit=10, offset=0).entries
    assert not any(e.detail == {"by": "import"} for e in entries)
    with services.db.transaction() as tx:
        LocalWorkspace(tx, scope).record().audit("job.start", "job", "a_job", {"by": "import"})
    entries = services.audit.list_entries(scope, limit=10, offset=0).entries
    assert any(e.action == "job.start" and e.detail == {"by": "import"} for e in entries)
