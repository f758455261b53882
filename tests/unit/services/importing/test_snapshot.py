"""What the target holds, asked a batch at a time (``services.importing.snapshot``): one query
per kind for a batch of names or identifiers, existence answers remembered across batches, and
a fingerprint of everything read that changes when the target does."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa

from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.importing.snapshot import TargetState
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
        state = TargetState(tx, scope, lock_rows=False)
        with counted(services) as sent:
            found = state.stored(
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
        state = TargetState(tx, scope, lock_rows=False)
        by_name = state.stored({"job": ["a_job"], "script": ["a_job_sql"]})
        uids = {kind: [t.uid] for (kind, _), t in by_name.items()}
        by_uid = state.stored_by_uid(uids | {"resource": ["no-such-id"]})
    assert {key[0]: t.name for key, t in by_uid.items()} == {"job": "a_job", "script": "a_job_sql"}


def test_existence_answers_are_remembered_across_batches(services: Services, scope: Scope) -> None:
    ws = scope.workspace.id
    with services.db.transaction(readonly=True) as tx:
        state = TargetState(tx, scope, lock_rows=False)
        asked = {("connection", ws): {"dws_conn", "nope_conn"}}
        with counted(services) as sent:
            first = state.existing(asked)
            again = state.existing(asked)
    assert first == again == {("connection", ws, "dws_conn")}
    assert len(sent) == 1


def _fingerprint(services: Services, scope: Scope, extra: list[str]) -> str:
    with services.db.transaction(readonly=True) as tx:
        state = TargetState(tx, scope, lock_rows=False)
        state.stored({"job": ["a_job"]})
        state.existing({("connection", scope.workspace.id): {"dws_conn"}})
        return state.fingerprint(extra)


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
        state = TargetState(tx, scope, lock_rows=False)
    assert state.workspace_id("other") == other
    assert state.workspace_id(other) == other
    assert state.workspace_id("nowhere") is None
