"""Generated stories of a remote's refresh (``support/refresh_stories.py``): a person changes
the remote DataArts workspace directly (jobs made, saved, submitted, renamed, deleted, started
and stopped, a hundred and more at once; scripts, resources, environment variables, data
connections), between refreshes of its shadow — online, as a call or as a task, while the
remote fails from a generated call on or at one call, while a person changes it, or from a
snapshot carried over (a DataArts batch export, a jobferry export of the workspace) —, pushes
of a one-job package into the shadow and writes made into the shadow by hand. Whatever the
story, the shadow keeps the promises of docs/remotes.md, docs/api.md ("Remotes", "Audit") and
docs/design.md ("Remotes") (``support/refresh_model.py`` says them as values):

- the shadow changes only when the remote is refreshed (or pushed to): a change made in the
  remote leaves it as it was;
- after an online refresh it holds exactly what the remote holds: each job's definition,
  scheduling status and latest submitted version (a job never submitted there has none here),
  each script's and resource's definition, each environment variable, each connection's type,
  settings and the names of the secrets set there; a job renamed there (the v2 rename) is
  renamed here, keeping the shadow job's id; each job it wrote is stamped with the remote's
  last author and time;
- after a refresh from a DataArts batch export it holds the export's jobs (one it lacks is
  gone), each with the status and submitted version it had (a new one stopped, without one),
  and the scripts, resources, variables and connections it had; from a jobferry export, the
  export's scripts and resources too, and the connections it needs that the shadow lacked;
  the same snapshot again changes nothing;
- the refresh's counts (created, updated, deleted, unchanged per kind, submitted versions
  apart) are what it changed of the shadow, its ``calls`` the calls it made, and the remote's
  ``lastRefresh`` is that refresh; a refresh task ends saying so;
- its audit lines are one per object it changed (and one ``remote.refresh``), each saying it
  is a refresh of the remote (``refreshOf``);
- a refresh of a remote unchanged since changes nothing and says so;
- a refresh the remote failed mid-way (after its retries) changes nothing: neither the shadow
  nor its ``lastRefresh``; as a task, it is the remote's ``lastRefreshFailed`` until one
  succeeds; one failing call is retried and the refresh lands; a refresh that read while the
  remote changed lands or fails, and the next one mirrors the remote;
- a push that landed leaves the shadow holding what the remote holds of what it pushed;
- a write into the shadow by hand (create, update, rename, delete, start, stop a job; create,
  update, delete a script or resource; save variables) is refused with ``DLF.9063``, naming
  the workspace, the remote, the rule and the fix (refresh it), and changes nothing;
- no call, field or type the official SDKs would not send.
"""

from __future__ import annotations

import io
import itertools
import threading
from pathlib import Path
from typing import Any

import httpx2
import pytest
import sqlalchemy as sa
from hypothesis import event, example, given, note

from jobferry.domain.audit import AuditQuery
from jobferry.domain.enums import RefreshSource, TaskKind, TaskStatus
from jobferry.errors import JobferryError, ShadowWorkspaceError
from jobferry.services.audit import AuditEntry
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.remotes.records import Refresh as Done
from jobferry.storage import tables
from support.builders import make_job, make_resource, make_script
from support.console import admin_actor
from support.import_stories import generated
from support.planning import jobs_with_dependencies, run_import, upload, write_objects
from support.refresh_model import (
    KINDS,
    Shadow,
    after_jobferry_snapshot,
    after_snapshot,
    changed_objects,
    counts_between,
    nothing_written,
    remote_mirror,
    shadow_mirror,
)
from support.refresh_stories import (
    LOGS,
    ByHand,
    DeleteJob,
    DeleteVariable,
    FromSnapshot,
    Push,
    PutConnection,
    PutScript,
    PutVariable,
    Refresh,
    RemoteChange,
    RenameJob,
    SaveJob,
    Schedule,
    Step,
    batch_export,
    jobferry_export,
    refresh_stories,
)
from support.standin import DataArtsStandin, Fault, remote_shadow
from support.standin_workspace import DataArtsWorkspace
from support.workspace_state import State, workspace_state

pytestmark = pytest.mark.fuzz
GENERATED = generated(15)

"""Stories a test tells on each database (JOBFERRY_FUZZ_EXAMPLES=200 and a
``--hypothesis-seed`` for a longer run)."""
_SERIAL = itertools.count()
EXAMPLE_SEED: list[RemoteChange] = [
    SaveJob("alpha", 0, submit=True),
    SaveJob("beta", 1, submit=False),
    PutScript("s_one", 0),
    PutConnection("c_one", 0, ("password",)),
    PutVariable("v_one", 0),
]
EXAMPLE_STEPS: list[Step] = [
    RenameJob("alpha", "delta"),
    Schedule("delta", start=True),
    Refresh(fault=(2, Fault.UNREACHABLE), task=True),
    PutConnection("c_one", 1, ("privateKey",)),
    Refresh(fault=(3, Fault.FAIL), once=True),
    SaveJob("beta", 2, submit=True, described=True),
    FromSnapshot(),
    DeleteVariable("v_one"),
    Refresh(meanwhile=(2, DeleteJob("beta")), task=True),
    FromSnapshot(jobferry=True),
    Push("gamma", 1),
    ByHand("rename job"),
    Refresh(),
]
"""A story told every run, whatever is generated: a rename and a start, a refresh task the
remote fails, a connection's secrets changed, a call failing once, both snapshots, a job
deleted while a refresh reads, a push and a write by hand."""


@pytest.fixture
def standin() -> DataArtsStandin:
    return DataArtsStandin()


class Story:
    """A story being told: the services, the stand-in and the remote's workspace in it, the
    remote's name and its shadow."""

    def __init__(
        self, services: Services, standin: DataArtsStandin, folder: Path, seed: list[RemoteChange]
    ) -> None:
        n = next(_SERIAL)
        self.services, self.standin, self.folder = services, standin, folder
        self.name, self.remote_id = f"refreshed{n}", f"{n + 1:08x}{'f' * 24}"
        self.ws: DataArtsWorkspace = standin.add_workspace(self.remote_id)
        for change in seed:
            change.apply(self.ws)
        self.actor = admin_actor(services)
        self.scope: Scope = remote_shadow(services, standin, self.name, self.remote_id)
        self.pushes = itertools.count()
        self.last_audit = 0
        self.audited()

    # -- what is held -----------------------------------------------------------------------

    def shadow(self) -> Shadow:
        return shadow_mirror(self.services, self.scope)

    def whole(self) -> tuple[State, Shadow, Any]:
        """The shadow read whole (rows, versions, ledger, tombstones), its mirror and the
        remote's last refresh: what a step that changes nothing must leave."""
        remote = self.services.remotes.get(self.actor, self.name)
        return (
            workspace_state(self.services, self.scope.workspace.id),
            self.shadow(),
            (remote.last_refresh),
        )

    def mirrors(self) -> None:
        """The shadow holds exactly what the remote holds."""
        assert self.shadow().mirror == remote_mirror(self.ws)

    # -- the steps --------------------------------------------------------------------------

    def tell(self, step: Step) -> None:
        note(repr(step))
        if isinstance(step, Refresh):
            self.refresh(step)
        elif isinstance(step, FromSnapshot):
            self.from_snapshot(step)
        elif isinstance(step, Push):
            self.push(step)
        elif isinstance(step, ByHand):
            self.by_hand(step)
        else:
            before = self.whole()
            step.apply(self.ws)
            assert self.whole() == before  # the shadow changes only with a refresh
        assert self.standin.refused() == []

    def checked(self, before: Shadow, done: Done, kinds: tuple[str, ...]) -> Shadow:
        """The shadow after ``done``, checked: its counts are what it changed of ``kinds``, and
        the remote's last refresh is it."""
        after = self.shadow()
        expected = counts_between(before, after, kinds)
        if done.source is RefreshSource.SNAPSHOT:  # versions are counted by an online one only
            del expected["submitted"]
            if "connection" in expected:  # only those the shadow lacks are read
                expected["connection"]["unchanged"] = 0
        assert {kind: done.counts.get(kind) for kind in expected} == expected, done.counts
        others = {k: c for k, c in done.counts.items() if k not in expected}
        assert nothing_written(others) == {}, done.counts
        assert self.services.remotes.get(self.actor, self.name).last_refresh == done
        lines = self.audited()
        assert [e.action for e in lines if e.action == "remote.refresh"] == ["remote.refresh"]
        untold = [
            (e.action, e.object_name, e.detail)
            for e in lines
            if e.action != "remote.refresh"
            and not (isinstance(e.detail, dict) and e.detail.get("refreshOf") == self.name)
        ]
        assert untold == [], untold
        audited = {(e.object_kind, e.object_name) for e in lines if e.action != "remote.refresh"}
        assert audited == changed_objects(before, after, kinds), [
            (e.action, e.object_name) for e in lines
        ]
        return after

    def stamps(self) -> dict[str, tuple[int, str]]:
        """When and by whom each of the shadow's jobs last changed, as it is stamped."""
        jobs = tables.jobs
        query = sa.select(jobs.c.name, jobs.c.updated_at, jobs.c.updated_by).where(
            jobs.c.workspace_id == self.scope.workspace.id
        )
        with self.services.db.transaction(readonly=True) as tx:
            return {name: (at, by) for name, at, by in tx.conn.execute(query)}

    def audited(self) -> list[AuditEntry]:
        """The shadow's audit lines written since this was last asked, oldest first."""
        new: list[AuditEntry] = []
        offset = 0
        while True:
            page = self.services.audit.list_entries(self.scope, 100, offset, AuditQuery())
            fresh = [e for e in page.entries if e.id > self.last_audit]
            new += fresh
            if len(fresh) < len(page.entries) or not page.entries:
                break
            offset += 100
        self.last_audit = max((e.id for e in new), default=self.last_audit)
        return new[::-1]

    def refresh(self, step: Refresh) -> None:
        self.audited()
        before = self.whole()
        self.standin.reset()
        self._plug(step)
        try:
            done, failed = self._refreshed(step.task)
        finally:
            self.standin.down = None
            self.services.remotes.transport = self.standin.transport()
        remote = self.services.remotes.get(self.actor, self.name)
        if done is None:
            event("a refresh failed")
            note(f"the refresh failed: {failed}")
            assert step.fault is not None or step.meanwhile is not None, failed
            assert step.meanwhile is not None or not step.once, failed  # retried
            assert self.whole() == before, failed  # a failed refresh changes nothing
            if step.task:  # the newest that failed since the last that succeeded
                assert remote.refresh_failed is not None
                assert remote.refresh_failed.message == failed
            return
        assert remote.refresh_failed is None
        assert done.source is RefreshSource.REMOTE
        after = self.checked(before[1], done, KINDS)
        if step.meanwhile is not None:  # read while it changed: the next refresh mirrors it
            self.refresh(Refresh())
            return
        self.mirrors()
        if step.fault is None:  # each call it made, once
            assert done.calls == len(self.standin.calls()), self.standin.calls()
        written = {name for kind, name in changed_objects(before[1], after, ("job",))}
        stamped = {n: (j.updated, self.ws.user) for n, j in self.ws.jobs.items() if n in written}
        assert {n: at_by for n, at_by in self.stamps().items() if n in written} == stamped
        again = self.services.remotes.refresh(self.actor, self.name)
        assert nothing_written(again.counts) == {}, again.counts
        assert workspace_state(self.services, self.scope.workspace.id) == self.whole()[0]
        assert self.shadow() == after

    def _refreshed(self, task: bool) -> tuple[Done | None, str]:
        """(the refresh, "") or (``None``, why it failed); ``task``: run as a refresh task is,
        claimed and run as a task thread runs it."""
        if not task:
            try:
                return self.services.remotes.refresh(self.actor, self.name), ""
            except JobferryError as failed:
                return None, failed.message
        queued = self.services.refresh_tasks.start(self.actor, self.name)
        claimed = self.services.tasks.claim((TaskKind.REFRESH,), look_first=False)
        assert claimed is not None
        assert claimed.id == queued.task_id
        self.services.refresh_tasks.run(claimed)
        ended = self.services.tasks.show(self.scope, claimed.id)
        if ended.status is TaskStatus.FAILED:
            assert ended.outcome["remote"] == self.name
            return None, ended.message
        assert ended.status is TaskStatus.SUCCESSFUL, ended.message
        done = Done.of(ended.outcome["refresh"])
        assert ended.message == f"Refreshed remote '{self.name}': {done.said()}."
        return done, ""

    def _plug(self, step: Refresh) -> None:
        """Plug the stand-in in as ``step`` has it fail or change while it is read."""
        standin, ws = self.standin, self.ws
        if step.fault is not None and step.once:  # a 500, or the answer dropped: retried
            at, how = step.fault
            standin.call_faults[at] = Fault.FAIL if how is Fault.FAIL else Fault.DROP
        down = None if step.fault is None or step.once else step.fault
        meanwhile = [step.meanwhile] if step.meanwhile is not None else []
        lock = threading.Lock()

        def handle(request: httpx2.Request) -> httpx2.Response:
            with lock:
                number = len(standin.seen) + 1
                if down is not None and number >= down[0]:
                    standin.down = down[1]
                if meanwhile and number >= meanwhile[0][0]:
                    meanwhile.pop()[1].apply(ws)
            return standin.handle(request)

        self.services.remotes.transport = httpx2.MockTransport(handle)

    def from_snapshot(self, step: FromSnapshot) -> None:
        if not self.ws.jobs:
            return  # a batch export holds at least one job
        self.audited()
        before = self.shadow()
        carried = (
            jobferry_export(self.ws, self.standin.project_id, self.remote_id, self.folder)
            if step.jobferry
            else batch_export(self.ws)
        )
        self.standin.reset()
        done = self.services.remotes.refresh_upload(
            self.actor, self.name, io.BytesIO(carried), "snapshot.zip"
        )
        assert self.standin.seen == []  # the remote was not called
        assert done.source is RefreshSource.SNAPSHOT
        held = remote_mirror(self.ws)
        if step.jobferry:
            after = self.checked(before, done, ("job", "script", "resource", "connection"))
            expected = after_jobferry_snapshot(before.mirror, held)
        else:
            after = self.checked(before, done, ("job",))
            expected = after_snapshot(before.mirror, held)
        assert after.mirror == expected
        state = workspace_state(self.services, self.scope.workspace.id)
        again = self.services.remotes.refresh_upload(
            self.actor, self.name, io.BytesIO(carried), "snapshot.zip"
        )
        assert nothing_written(again.counts) == {}, again.counts  # the same snapshot again
        assert workspace_state(self.services, self.scope.workspace.id) == state

    def push(self, step: Push) -> None:
        n = next(self.pushes)
        job = make_job(step.name, logPath=LOGS[step.variant])
        package = write_objects(self.folder / f"{self.name}-{n}.zip", jobs_with_dependencies(job))
        task = run_import(self.services, self.scope, upload(self.services, self.scope, package))
        said = task.message[:100] if task.status is TaskStatus.FAILED else ""
        event(f"a push {task.status.value} {said}")
        self.standin.reset()
        if task.status is TaskStatus.FAILED:
            return
        held = remote_mirror(self.ws)
        shadow = self.shadow().mirror
        for key in (("job", step.name), ("script", f"{step.name}_sql"), ("resource", "udf_jar")):
            assert shadow.get(key) == held.get(key), key

    def by_hand(self, step: ByHand) -> None:
        before = self.whole()
        with pytest.raises(ShadowWorkspaceError) as refused:
            self._write(step.write)
        error = refused.value
        assert error.code == "DLF.9063"
        said = error.message  # the object (the workspace, its remote), the rule, the fix
        assert f"Workspace '{self.scope.workspace.name}' is the shadow" in said, said
        assert f"remote '{self.name}'" in said, said
        assert "it changes only with the remote" in said, said
        assert f"remotes/{self.name}/refresh" in said, said
        assert error.remedy is not None
        assert self.whole() == before

    def _write(self, write: str) -> None:
        services, scope = self.services, self.scope
        jobs = sorted(self.shadow().ids) or ["alpha"]
        state = workspace_state(services, scope.workspace.id)
        scripts = sorted(name for kind, name in state if kind == "script") or ["s_one"]
        resources = [v["id"] for k, v in sorted(state.items()) if k[0] == "resource"] or ["r"]
        writes: dict[str, Any] = {
            "create job": lambda: services.jobs.create(scope, make_job("by_hand")),
            "update job": lambda: services.jobs.update(scope, jobs[0], make_job(jobs[0])),
            "rename job": lambda: services.jobs.rename(scope, jobs[0], "by_hand"),
            "delete job": lambda: services.jobs.delete(scope, jobs[0]),
            "start job": lambda: services.jobs.start(scope, jobs[0]),
            "stop job": lambda: services.jobs.stop(scope, jobs[0]),
            "create script": lambda: services.scripts.create(scope, make_script("by_hand")),
            "update script": lambda: services.scripts.update(
                scope, scripts[0], make_script(scripts[0], content="select 42;")
            ),
            "delete script": lambda: services.scripts.delete(scope, scripts[0]),
            "create resource": lambda: services.resources.create(scope, make_resource("by_hand")),
            "update resource": lambda: services.resources.update(
                scope, resources[0], make_resource("by_hand")
            ),
            "delete resource": lambda: services.resources.delete(scope, resources[0]),
            "save variables": lambda: services.variables.save(
                scope, {"params": [{"name": "v_one", "value": "by hand"}]}
            ),
        }
        writes[write]()


SNAPSHOT_SEED: list[RemoteChange] = [SaveJob("alpha", 0, submit=True, described=False)]
SNAPSHOT_THEN_STARTED: list[Step] = [
    RenameJob("alpha", "delta"),
    FromSnapshot(),
    Schedule("delta", start=True),
    Refresh(),
]
"""A job a snapshot wrote (DataArts' batch export says no author: stamped by the refresh), then
started on the remote: the refresh that reads the start stamps it as its list entry says (it
kept the snapshot's stamp, the definition being as it was)."""


@GENERATED
@example(story=(EXAMPLE_SEED, EXAMPLE_STEPS))
@example(story=(SNAPSHOT_SEED, SNAPSHOT_THEN_STARTED))
@given(story=refresh_stories())
def test_a_shadow_mirrors_its_remote_after_every_refresh_and_changes_only_then(
    services: Services,
    standin: DataArtsStandin,
    tmp_path: Path,
    story: tuple[list[RemoteChange], list[Step]],
) -> None:
    seed, steps = story
    note(f"seed={seed!r}")
    standin.reset()
    told = Story(services, standin, tmp_path, seed)
    told.mirrors()  # the first refresh (remote_shadow's) read it whole
    for step in steps:
        told.tell(step)
