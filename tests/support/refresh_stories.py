"""Generated stories of a remote's refresh (``unit/services/remotes/test_generated_refreshes.py``):
a person changes the remote DataArts workspace (the stand-in's) directly — jobs made, saved,
submitted, renamed with the v2 rename call, deleted, scheduled and stopped; scripts, resources
environment variables and data connections put and deleted — between refreshes of its shadow,
online (sometimes while the remote fails from a generated call on, or fails one call, or while
a person changes it) or from a DataArts batch
export carried over (a snapshot), pushes of a one-job package into the shadow, and writes made
by hand into the shadow, which it refuses.

Each step is a value (printed when a story fails); a remote change is applied to the stand-in's
workspace by :meth:`apply`, as DataArts would (a save stamps ``lastUpdateTime``; a start needs a
submitted version; a rename to a taken name is refused, so the step does nothing)."""

from __future__ import annotations

import copy
import io
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import orjson
from hypothesis import strategies as st

from jobferry.domain.definitions import canonical
from jobferry.package.manifest import Requirement
from support.builders import make_job, make_resource, make_script
from support.manifests import HEADER
from support.planning import write_objects
from support.refresh_model import held_secrets
from support.standin import Fault
from support.standin_workspace import DataArtsWorkspace, Request

JOBS = ("alpha", "beta", "gamma")
"""Batch jobs' names (a rename takes a job to another of them, or to ``delta``)."""
STREAM = "stream"
"""A real-time job's name (its list is asked apart: ``jobType=REAL_TIME``)."""
SCRIPTS = ("s_one", "s_two")
RESOURCES = ("r_one", "r_two")
VARIABLES = ("v_one", "v_two")
CONNECTIONS = ("c_one", "c_two")
SECRETS = ("password", "privateKey")
"""The secret settings a connection may have set (the stand-in masks only a password)."""
LOGS = ("obs://bucket/logs/a", "obs://bucket/logs/b", "obs://bucket/logs/c")
"""What a save changes of a job (its ``logPath``)."""
FAULTS = (Fault.FAIL, Fault.UNREACHABLE)
"""How the remote fails from a call on: answering 500, or refusing connections."""


def _job(name: str, variant: int) -> dict[str, Any]:
    if name == STREAM:
        return make_job(name, processType="REAL_TIME", logPath=LOGS[variant])
    return make_job(name, logPath=LOGS[variant])


@dataclass(frozen=True)
class SaveJob:
    """A job saved in DataArts' editor (made when new), and submitted or not."""

    name: str
    variant: int
    submit: bool
    described: bool = False

    def apply(self, ws: DataArtsWorkspace) -> None:
        doc = _job(self.name, self.variant)
        if self.described:
            doc["description"] = f"described {self.variant}"
        if self.name not in ws.jobs:
            ws.put_job(doc, submit=self.submit)
            return
        job = ws.jobs[self.name]
        job.doc = copy.deepcopy(doc)
        job.touch()
        if self.submit:
            job.submitted.append(copy.deepcopy(job.doc))


@dataclass(frozen=True)
class Bulk:
    """Jobs ``bulk_000`` … made at once (a batch import in DataArts): past a page of
    ``list_jobs`` (100) and an export batch (100 names)."""

    count: int

    def apply(self, ws: DataArtsWorkspace) -> None:
        for n in range(self.count):
            ws.put_job(make_job(f"bulk_{n:03d}"), submit=n % 40 != 7)  # a few never submitted


@dataclass(frozen=True)
class RenameJob:
    """A job renamed with ``update_factory_job_name`` (v2: it keeps its identity)."""

    old: str
    new: str

    def apply(self, ws: DataArtsWorkspace) -> None:
        if self.old in ws.jobs and self.new not in ws.jobs:
            call = Request(
                "update_factory_job_name", {"job_name": self.old}, {}, {"name": self.new}
            )
            assert ws.update_factory_job_name(call)[0] == 200


@dataclass(frozen=True)
class DeleteJob:
    name: str

    def apply(self, ws: DataArtsWorkspace) -> None:
        ws.jobs.pop(self.name, None)


@dataclass(frozen=True)
class Schedule:
    """A job started (when it has a submitted version, as DataArts requires) or stopped."""

    name: str
    start: bool

    def apply(self, ws: DataArtsWorkspace) -> None:
        job = ws.jobs.get(self.name)
        if job is None or (self.start and not job.submitted):
            return
        running = "NORMAL" if job.type == "REAL_TIME" else "SCHEDULING"
        job.status = running if self.start else "STOPPED"


@dataclass(frozen=True)
class PutScript:
    name: str
    variant: int

    def apply(self, ws: DataArtsWorkspace) -> None:
        doc = make_script(self.name, content=f"select {self.variant};")
        if self.name in ws.scripts:
            ws.scripts[self.name] = {**doc, "id": ws.scripts[self.name]["id"]}
        else:
            ws.put_script(doc)


@dataclass(frozen=True)
class DeleteScript:
    name: str

    def apply(self, ws: DataArtsWorkspace) -> None:
        ws.scripts.pop(self.name, None)


@dataclass(frozen=True)
class PutResource:
    name: str
    variant: int

    def apply(self, ws: DataArtsWorkspace) -> None:
        doc = make_resource(self.name, location=f"obs://bucket/libs/{self.variant}.jar")
        held = ws.resource_named(self.name)
        if held is None:
            ws.put_resource(doc)
        else:
            ws.resources[held["id"]] = {**doc, "id": held["id"]}


@dataclass(frozen=True)
class DeleteResource:
    name: str

    def apply(self, ws: DataArtsWorkspace) -> None:
        held = ws.resource_named(self.name)
        if held is not None:
            del ws.resources[held["id"]]


@dataclass(frozen=True)
class PutVariable:
    name: str
    variant: int

    def apply(self, ws: DataArtsWorkspace) -> None:
        ws.variables[self.name] = f"value{self.variant}"


@dataclass(frozen=True)
class DeleteVariable:
    name: str

    def apply(self, ws: DataArtsWorkspace) -> None:
        ws.variables.pop(self.name, None)


@dataclass(frozen=True)
class PutConnection:
    """A data connection made or edited on DataArts Studio (its id kept), with the secret
    settings ``secrets`` set."""

    name: str
    variant: int
    secrets: tuple[str, ...]

    def apply(self, ws: DataArtsWorkspace) -> None:
        config = {"host": f"10.0.1.{self.variant}", **{key: "s3cr3t" for key in self.secrets}}
        held = next((c for c in ws.connections.values() if c.name == self.name), None)
        if held is None:
            ws.put_connection(self.name, "DWS", **config)
        else:
            held.config = config


@dataclass(frozen=True)
class DeleteConnection:
    name: str

    def apply(self, ws: DataArtsWorkspace) -> None:
        for dw_id in [i for i, c in ws.connections.items() if c.name == self.name]:
            del ws.connections[dw_id]


RemoteChange = (
    SaveJob
    | Bulk
    | RenameJob
    | DeleteJob
    | Schedule
    | PutScript
    | DeleteScript
    | PutResource
    | DeleteResource
    | PutVariable
    | DeleteVariable
    | PutConnection
    | DeleteConnection
)


@dataclass(frozen=True)
class Refresh:
    """An online refresh; ``fault``: the remote fails from that call on, or only at that call
    (``once``: a 500, or an answer dropped, which the client retries); ``meanwhile``: a person
    changes the remote just before that call is answered, while the refresh reads."""

    fault: tuple[int, Fault] | None = None
    once: bool = False
    meanwhile: tuple[int, RemoteChange] | None = None
    task: bool = False
    """Run as a task of the shadow workspace (``Prefer: respond-async``), as the CLI and the
    console ask."""


@dataclass(frozen=True)
class FromSnapshot:
    """A refresh from a whole-workspace export of the remote made now, uploaded (as the
    console's *Refresh from a snapshot* sends it): DataArts' batch export of every job, or
    (``jobferry``) a jobferry export of the workspace, its scripts, resources and the
    connections its jobs need with it."""

    jobferry: bool = False


@dataclass(frozen=True)
class Push:
    """A package of one job (with the scripts and resource its nodes use) imported into the
    shadow: pushed to the remote."""

    name: str
    variant: int


HAND_WRITES = (
    "create job",
    "update job",
    "rename job",
    "delete job",
    "start job",
    "stop job",
    "create script",
    "update script",
    "delete script",
    "create resource",
    "update resource",
    "delete resource",
    "save variables",
)


@dataclass(frozen=True)
class ByHand:
    """A write made by hand into the shadow (one of :data:`HAND_WRITES`): refused."""

    write: str


Step = RemoteChange | Refresh | FromSnapshot | Push | ByHand

BULK = ("bulk_000", "bulk_001", "bulk_099", "bulk_100")
"""Names of :class:`Bulk` jobs a change may touch (first page, last of it, second page)."""
_job_names = st.sampled_from((*JOBS, STREAM, *BULK))
_variant = st.integers(0, len(LOGS) - 1)
remote_changes: st.SearchStrategy[RemoteChange] = st.one_of(
    st.builds(SaveJob, _job_names, _variant, st.booleans(), st.booleans()),
    st.builds(Bulk, st.integers(95, 130)),
    st.builds(
        RenameJob, st.sampled_from((*JOBS, STREAM, *BULK)), st.sampled_from((*JOBS, "delta"))
    ),
    st.builds(DeleteJob, st.sampled_from((*JOBS, STREAM, "delta", *BULK))),
    st.builds(Schedule, st.sampled_from((*JOBS, STREAM, "delta")), st.booleans()),
    st.builds(PutScript, st.sampled_from(SCRIPTS), _variant),
    st.builds(DeleteScript, st.sampled_from(SCRIPTS)),
    st.builds(PutResource, st.sampled_from(RESOURCES), _variant),
    st.builds(DeleteResource, st.sampled_from(RESOURCES)),
    st.builds(PutVariable, st.sampled_from(VARIABLES), _variant),
    st.builds(DeleteVariable, st.sampled_from(VARIABLES)),
    st.builds(
        PutConnection,
        st.sampled_from(CONNECTIONS),
        _variant,
        st.lists(st.sampled_from(SECRETS), unique=True).map(tuple),
    ),
    st.builds(DeleteConnection, st.sampled_from(CONNECTIONS)),
)
refreshes: st.SearchStrategy[Refresh] = st.builds(
    Refresh,
    st.none() | st.tuples(st.integers(1, 14), st.sampled_from(FAULTS)),
    st.booleans(),
    st.none() | st.tuples(st.integers(1, 12), remote_changes),
    st.booleans(),
)
steps: st.SearchStrategy[Step] = st.one_of(
    remote_changes,
    remote_changes,
    refreshes,
    st.builds(FromSnapshot, st.booleans()),
    st.builds(Push, st.sampled_from(JOBS), _variant),
    st.builds(ByHand, st.sampled_from(HAND_WRITES)),
)


def refresh_stories() -> st.SearchStrategy[tuple[list[RemoteChange], list[Step]]]:
    """What the remote holds before its first refresh, then the story's steps (ending with an
    online refresh, so that every story checks the shadow against the remote at its end)."""
    return st.tuples(
        st.lists(remote_changes, max_size=6),
        st.lists(steps, min_size=1, max_size=14).map(lambda s: [*s, Refresh()]),
    )


def batch_export(ws: DataArtsWorkspace) -> bytes:
    """Every job of ``ws`` as DataArts' batch export lays it out (a folder per job), however
    many (the console exports them all; the API 100 a call)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, job in sorted(ws.jobs.items()):
            archive.writestr(f"{name}/{job.doc['name']}.job", orjson.dumps(job.doc))
    return out.getvalue()


def jobferry_export(
    ws: DataArtsWorkspace, project_id: str, workspace_id: str, folder: Path
) -> bytes:
    """The workspace ``ws`` (``workspace_id`` of ``project_id``) as a jobferry server there
    exports it whole: every job, script and resource, and the connections its jobs need."""
    objects = [("job", n, canonical("job", j.doc)) for n, j in ws.jobs.items()]
    objects += [("script", n, canonical("script", d)) for n, d in ws.scripts.items()]
    objects += [("resource", d["name"], canonical("resource", d)) for d in ws.resources.values()]
    needs = [
        Requirement("connection", c.name, c.type, tuple(held_secrets(c.config)))
        for c in ws.connections.values()
    ]
    header = replace(
        HEADER,
        project_id=project_id,
        workspace_id=workspace_id,
        workspace_name="prod",
        requires=needs,
    )
    path = folder / f"export-{workspace_id}.zip"
    inventory = ("job", "script", "resource")
    return write_objects(path, objects, header=header, inventory=inventory).read_bytes()
