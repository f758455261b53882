"""A refresh's write half (``shadow.write_reads``) writes what changed in bulk, a batch at a time
(``services.remotes.batchwrites``): the same rows, reference index, tags, scheduling status and
audit lines as the definitions' single-object writers give the same objects one by one, for
mixes of creates, overwrites, status changes, unchanged objects and deletes, and a number of
statements that does not grow with the objects written; PostgreSQL's statistics of the tables
written refreshed after a refresh that wrote many objects, as after a large import."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
import pytest
import sqlalchemy as sa

from jobferry.domain.enums import JobStatus, ObjectKind, RefreshAction, TargetStatus
from jobferry.services.audit import audit_in_scope
from jobferry.services.container import Services
from jobferry.services.context import Scope, now_ms
from jobferry.services.definitions.documents import dump
from jobferry.services.definitions.jobs import save_job
from jobferry.services.definitions.resources import save_resource
from jobferry.services.definitions.scripts import save_script
from jobferry.services.remotes.records import Refresh
from jobferry.services.remotes.shadow import KindRead, Written, job_value, known_hashes, write_reads
from jobferry.storage import Tx, database
from jobferry.storage import jobs as job_repo
from jobferry.storage import remotes as remote_repo
from jobferry.storage import resources as resource_repo
from jobferry.storage import scripts as script_repo
from jobferry.storage.remotes import GROWN_BY_REFRESH, RemoteRecord
from jobferry.storage.tables import audit_log, job_refs, jobs, resources, scripts, tags
from support.builders import make_job, make_resource, make_script
from support.console import admin_scope

KINDS = (ObjectKind.SCRIPT.value, ObjectKind.RESOURCE.value, ObjectKind.JOB.value)
Objects = dict[str, dict[str, Any]]
"""kind → name → what a refresh keeps of the object (a job: its document and status)."""


def _job(name: str, status: JobStatus, **overrides: Any) -> dict[str, Any]:
    return job_value(make_job(name, **overrides), status)


FIRST: Objects = {
    "job": {
        "a_job": _job("a_job", JobStatus.SCHEDULING),
        "b_job": _job("b_job", JobStatus.STOPPED),
        "c_job": _job("c_job", JobStatus.SCHEDULING, basicConfig={"tags": ["hourly"]}),
        "d_job": _job("d_job", JobStatus.STOPPED),
    },
    "script": {name: make_script(name) for name in ("a_sql", "b_sql", "c_sql")},
    "resource": {"udf_jar": make_resource("udf_jar"), "etl_jar": make_resource("etl_jar")},
}
SECOND: Objects = {
    "job": {
        "a_job": _job("a_job", JobStatus.STOPPED),  # status only
        "b_job": _job("b_job", JobStatus.STOPPED, directory="/moved"),  # definition only
        "c_job": _job("c_job", JobStatus.STOPPED, basicConfig={"tags": ["weekly"]}),  # both
        "e_job": _job("e_job", JobStatus.SCHEDULING),  # new; d_job gone
    },
    "script": {
        "a_sql": make_script("a_sql", content="select 2"),
        "c_sql": make_script("c_sql"),  # unchanged; b_sql gone
        "d_sql": make_script("d_sql"),
    },
    "resource": {"udf_jar": make_resource("udf_jar", desc="v2")},  # etl_jar gone
}


def _one_by_one(tx: Tx, scope: Scope, before: Objects, now: Objects) -> None:
    """What a refresh wrote before its writes were made in bulk: each changed object through
    its definition's own writer, each gone one deleted with an audit line."""
    ws = scope.workspace.id
    for name, doc in now["script"].items():
        if before.get("script", {}).get(name) != doc:
            existing = script_repo.get_script(tx, ws, name)
            save_script(tx, scope, doc, TargetStatus.SAVED, existing)
    for name, doc in now["resource"].items():
        if before.get("resource", {}).get(name) != doc:
            save_resource(tx, scope, doc, resource_repo.find_resource(tx, ws, name))
    for name, value in now["job"].items():
        if before.get("job", {}).get(name) == value:
            continue
        existing, doc = job_repo.get_job(tx, ws, name), value["document"]
        if existing is None or existing.document != dump(doc):
            job_id = save_job(tx, scope, doc, TargetStatus.SAVED, [], existing)
        else:
            job_id = existing.id
        held = JobStatus.STOPPED if existing is None else existing.status
        if held != value["status"]:  # as a start or a stop here, with its audit line
            job_repo.set_status(tx, job_id, JobStatus(value["status"]))
            started = value["status"] != JobStatus.STOPPED
            audit_in_scope(tx, scope, "job.start" if started else "job.stop", "job", name)
    for kind in ("job", "script", "resource"):
        for name in sorted(set(before.get(kind, {})) - set(now[kind])):
            _delete(tx, ws, kind, name)
            audit_in_scope(tx, scope, f"{kind}.delete", kind, name)


def _delete(tx: Tx, ws: str, kind: str, name: str) -> None:
    if kind == "job":
        job = job_repo.get_job(tx, ws, name)
        assert job is not None
        job_repo.delete_job(tx, job.id)
    elif kind == "script":
        script = script_repo.get_script(tx, ws, name)
        assert script is not None
        script_repo.delete_script(tx, script.id)
    else:
        resource = resource_repo.find_resource(tx, ws, name)
        assert resource is not None
        resource_repo.delete_resource(tx, resource.id)


def _refresh(services: Services, scope: Scope, now: Objects) -> Refresh:
    """The write half of a refresh that read ``now``."""
    recorded = known_hashes(services.db, scope.workspace.id, KINDS)
    reads = []
    for kind in KINDS:
        read = KindRead(kind, recorded.hashes[kind])
        for name, value in now[kind].items():
            read.add(name, value)
        reads.append(read)
    at = now_ms()
    summary = Refresh(at, Refresh.empty(at).counts, 0, 0.0)
    return write_reads(
        services.db,
        scope,
        reads,
        Written(scope.workspace.name, recorded.version, summary, time.monotonic()),
    )


def _state(services: Services, scope: Scope) -> dict[str, Any]:
    """Everything of the workspace a refresh writes, ids and times left out."""
    ws = scope.workspace.id
    j, r, s, res, t, a = jobs.c, job_refs.c, scripts.c, resources.c, tags.c, audit_log.c
    queries = {
        "jobs": sa.select(j.name, j.document, j.status, j.latest_version, j.directory)
        .where(j.workspace_id == ws)
        .order_by(j.name),
        "refs": sa.select(j.name, r.kind, r.name, r.ref_workspace)
        .join(jobs, jobs.c.id == r.job_id)
        .where(j.workspace_id == ws)
        .order_by(j.name, r.kind, r.name),
        "scripts": sa.select(s.name, s.document, s.type, s.directory, s.latest_version)
        .where(s.workspace_id == ws)
        .order_by(s.name),
        "resources": sa.select(res.name, res.document, res.type, res.directory)
        .where(res.workspace_id == ws)
        .order_by(res.name),
        "tags": sa.select(t.name, t.locked).where(t.workspace_id == ws).order_by(t.name),
        "audit": sa.select(a.action, a.object_kind, a.object_name, a.detail, a.actor)
        .where(a.workspace_id == ws, a.object_kind.in_(KINDS))
        .order_by(a.action, a.object_name),
    }
    with services.db.transaction(readonly=True) as tx:
        state = {key: [tuple(row) for row in tx.conn.execute(q)] for key, q in queries.items()}
        found = tx.conn.execute(sa.select(res.name, res.id).where(res.workspace_id == ws))
        ids = {name: resource_id for name, resource_id in found}
    for at, (action, kind, name, detail, actor) in enumerate(state["audit"]):
        detail = _single(detail)
        state["audit"][at] = (action, kind, name, detail, actor)
        if action in ("resource.create", "resource.update"):  # a new resource's id is new
            assert orjson.loads(detail)["id"] == ids.get(name, orjson.loads(detail)["id"])
            state["audit"][at] = (action, kind, name, "<id>", actor)
    return state


def _single(detail: str | None) -> str | None:
    """An audit line's detail as the single-object writer gives it: a refresh's also says it is
    a refresh of its remote (``refreshOf``), and who changed a job there (``changedBy``)."""
    if detail is None:
        return None
    held = {k: v for k, v in orjson.loads(detail).items() if k not in ("refreshOf", "changedBy")}
    return orjson.dumps(held).decode() if held else None


@pytest.fixture
def scopes(services: Services) -> tuple[Scope, Scope]:
    """Two empty workspaces: one written one object at a time, one by the refresh."""
    admin = admin_scope(services)
    made = [
        services.accounts.create_workspace(admin.actor, admin.actor.project_id, name)
        for name in ("one_by_one", "in_bulk")
    ]
    one, bulk = (services.accounts.scope(admin.actor, admin.actor.project_id, w) for w in made)
    with services.db.transaction() as tx:  # each the shadow of a remote of its name
        for scope in (one, bulk):
            ws = scope.workspace
            remote = RemoteRecord(ws.project_id, ws.name, ws.id, "", "", "", "", "", 0, "")
            remote_repo.insert_remote(tx, remote)
    return one, bulk


def test_a_refresh_writes_what_the_single_object_writers_wrote(
    services: Services, scopes: tuple[Scope, Scope]
) -> None:
    one, bulk = scopes
    before: Objects = {}
    for now in (FIRST, SECOND):
        with services.db.transaction() as tx:
            _one_by_one(tx, one, before, now)
        _refresh(services, bulk, now)
        expected, got = _state(services, one), _state(services, bulk)
        for key, rows in expected.items():
            assert got[key] == rows, key
        before = now
    state = _state(services, bulk)
    assert [(name, status) for name, _, status, *_ in state["jobs"]] == [
        ("a_job", "STOPPED"),
        ("b_job", "STOPPED"),
        ("c_job", "STOPPED"),
        ("e_job", "SCHEDULING"),
    ]


def test_a_refresh_counts_what_it_created_updated_deleted_and_left(
    services: Services, scopes: tuple[Scope, Scope]
) -> None:
    _, bulk = scopes
    _refresh(services, bulk, FIRST)
    counts = _refresh(services, bulk, SECOND).counts
    actions = (RefreshAction.CREATED, RefreshAction.UPDATED, RefreshAction.DELETED)
    assert {k: [counts[k][a.value] for a in actions] for k in KINDS} == {
        "job": [1, 3, 1],
        "script": [1, 1, 1],
        "resource": [0, 1, 1],
    }
    assert counts["script"][RefreshAction.UNCHANGED.value] == 1


@contextmanager
def statements(services: Services) -> Iterator[list[str]]:
    """The statements sent through SQLAlchemy while inside (a bulk insert is one)."""
    sent: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        sent.append(statement)

    sa.event.listen(services.db.engine, "before_cursor_execute", note)
    try:
        yield sent
    finally:
        sa.event.remove(services.db.engine, "before_cursor_execute", note)


def _many(n: int, status: JobStatus, directory: str) -> Objects:
    return {
        "job": {f"job_{i}": _job(f"job_{i}", status, directory=directory) for i in range(n)},
        "script": {f"s_{i}": make_script(f"s_{i}", directory=directory) for i in range(n)},
        "resource": {f"r_{i}": make_resource(f"r_{i}", directory=directory) for i in range(n)},
    }


def test_the_statements_of_a_refresh_do_not_grow_with_the_objects_it_writes(
    services: Services, scopes: tuple[Scope, Scope]
) -> None:
    sent: dict[int, list[int]] = {}
    for n, scope in zip((5, 60), scopes, strict=True):
        counted = []
        for now in (
            _many(n, JobStatus.SCHEDULING, "/a"),  # every object created
            _many(n, JobStatus.STOPPED, "/b"),  # every object overwritten
            {"job": {}, "script": {}, "resource": {}},  # every object deleted
        ):
            with statements(services) as seen:
                _refresh(services, scope, now)
            counted.append(len(seen))
        sent[n] = counted
    assert sent[60] == sent[5]
    assert max(sent[60]) < 60


def test_a_refresh_that_wrote_many_objects_has_their_statistics_refreshed(
    services: Services, scopes: tuple[Scope, Scope], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, bulk = scopes
    analysed: list[tuple[str, ...]] = []
    monkeypatch.setattr(database, "STATISTICS_AFTER", 3 * 10)
    monkeypatch.setattr(services.db, "refresh_statistics", lambda t: analysed.append(tuple(t)))
    _refresh(services, bulk, _many(9, JobStatus.STOPPED, "/a"))  # 27 objects written
    assert analysed == []
    _refresh(services, bulk, _many(10, JobStatus.STOPPED, "/b"))  # 30 (every one changed)
    assert analysed == [GROWN_BY_REFRESH]
    _refresh(services, bulk, _many(10, JobStatus.STOPPED, "/b"))  # nothing written
    assert analysed == [GROWN_BY_REFRESH]
