"""Generated stories of the definitions API (``tests/unit/services/test_generated_definitions.py``):
a drawn list of steps against one workspace through the job, script and resource services —
jobs created and updated (a node running a script, naming a resource, depending on other jobs;
a cron schedule in a drawn time zone or one run; batch or real-time; saved or submitted),
renamed, started, stopped and deleted; scripts and resources created, updated (a resource
renamed) and deleted — and invalid variants of each (a bad name, a cron without its
expression, a script without its type, a resource of no known type, an object that is not
there, a name taken, a job or script renamed by an update).

Names come from small pools so that steps collide: a job depends on one that is not there yet,
is renamed onto a taken name, a script in use is deleted. :class:`~support.definition_model.Model`
says what the workspace must hold after each step and what each refused step is refused with.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from hypothesis import strategies as st

from jobferry.errors import (
    InvalidRequestError,
    JobferryError,
    JobNameError,
    ResourceTypeError,
    ScheduleInvalidError,
    ScriptTypeMissingError,
)
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.definitions.renames import parse_rename
from support.import_stories import definition, job_document
from support.release_stories import Step

if TYPE_CHECKING:
    from support.definition_model import Model

JOBS = ("ja", "jb", "jc")
SCRIPTS = ("sa", "sb")
RESOURCES = ("ra", "rb")
FREE_NAME = "jd"
"""A name only a rename gives a job."""
BAD_NAME = "bad name?"
"""A name no job, script or resource may have."""
ZONES = ("GMT+08:00", "Asia/Shanghai", "UTC", "Europe/Paris")
TARGETS = ("SUBMITTED", "SUBMITTED", "SAVED")
ELSEWHERE = "xa"
"""The job of another workspace that may depend on one of the story's."""
ABSENT_ID = "no-such-resource"
"""The id a step names for a resource the workspace does not hold."""


LINKS = ("jobs", "jobs", "same", "own", "subjob")
"""How a job names the jobs it depends on: its cron's ``dependJobs.jobs``, its
``dependJobs.sameWorkSpaceJobs``, its ``dependJobs.otherWorkSpaceJobs`` naming its own
workspace, or a SubJob node calling each."""


@dataclass(frozen=True)
class JobSpec:
    """What a job is made of: the script its node runs, the resource it names, the jobs it
    depends on (by name, in the way ``link`` says), its look (description, folder,
    parameter), its cron's time zone (``None``: it runs once), whether it is real-time."""

    script: str
    resource: str | None
    upstream: tuple[str, ...]
    look: int
    zone: str | None
    realtime: bool = False
    link: str = "jobs"

    def renamed(self, old: str, new: str) -> JobSpec:
        """The spec with dependencies on ``old`` naming ``new``."""
        return replace(self, upstream=tuple(new if n == old else n for n in self.upstream))

    def depends_by_schedule(self) -> bool:
        """Whether the rule against a job depending on itself holds for its dependencies (it
        does for those its cron names as its workspace's)."""
        return self.link in ("jobs", "same")


def job_body(name: str, spec: JobSpec, workspace: str) -> dict[str, Any]:
    """The job ``name`` of ``workspace`` made of ``spec``."""
    by_schedule = spec.depends_by_schedule()
    upstream = list(spec.upstream) if by_schedule and spec.link == "jobs" else []
    doc = job_document(name, spec.script, spec.resource, upstream, spec.look)
    if spec.zone is None:
        doc["schedule"] = {"type": "EXECUTE_ONCE"}
    else:
        doc["schedule"]["cron"]["expressionTimeZone"] = spec.zone
    if spec.link == "same" and spec.upstream:
        same = [{"jobName": n, "dependOnLastPeriod": False} for n in spec.upstream]
        doc["schedule"]["cron"]["dependJobs"] = {"jobs": [], "sameWorkSpaceJobs": same}
    if spec.link == "own" and spec.upstream:
        own = [{"workSpace": workspace, "jobName": n} for n in spec.upstream]
        doc["schedule"]["cron"]["dependJobs"] = {"jobs": [], "otherWorkSpaceJobs": own}
    if spec.link == "subjob":
        doc["nodes"] += [_sub_job(k, n) for k, n in enumerate(spec.upstream)]
    if spec.realtime:
        doc["processType"] = "REAL_TIME"
    doc["basicConfig"]["tags"] = [f"t{spec.look % 2}"]
    return doc


def _sub_job(k: int, job: str) -> dict[str, Any]:
    """A node calling job ``job`` as its sub job, after the SQL node."""
    return {
        "name": f"call{k}",
        "type": "SubJob",
        "location": {"x": str(200 + 100 * k), "y": "20"},
        "preNodeName": ["load"],
        "properties": [{"name": "subJobName", "value": job}],
    }


def elsewhere_body(workspace: str, job: str | None) -> dict[str, Any]:
    """The job of another workspace, depending on ``job`` of ``workspace`` (``None``: on
    none)."""
    doc = job_document(ELSEWHERE, "sa", None, [], 0)
    if job is not None:
        depend = {"jobs": [], "otherWorkSpaceJobs": [{"workSpace": workspace, "jobName": job}]}
        doc["schedule"]["cron"]["dependJobs"] = depend
    return doc


@st.composite
def job_specs(draw: st.DrawFn, name: str) -> JobSpec:
    """A job named ``name``: its upstream jobs drawn among the others of the pool."""
    zone = draw(st.none() | st.sampled_from(ZONES))
    link = draw(st.sampled_from(LINKS)) if zone else "subjob"
    others = [j for j in JOBS if j != name]
    upstream = draw(st.lists(st.sampled_from(others), max_size=2, unique=True))
    return JobSpec(
        draw(st.sampled_from(SCRIPTS)),
        draw(st.none() | st.sampled_from(RESOURCES)),
        tuple(upstream),
        draw(st.integers(0, 3)),
        zone,
        draw(st.sampled_from([False, False, False, True])),
        link,
    )


MODES = ("put", "put", "put", "create", "update")
"""How a step saves a definition: ``put`` creates it when the workspace lacks it, else
updates it; ``create`` and ``update`` as they say (refused when it is there, or not)."""
ACTS = (
    ["job"] * 6
    + ["start"] * 2
    + ["stop", "rename", "rename", "rename", "delete_job", "delete_job"]
    + ["script"] * 2
    + ["delete_script", "resource", "resource", "delete_resource", "bad", "elsewhere"]
    + ["lock", "lock", "unlock"]
)


@st.composite
def steps(draw: st.DrawFn) -> Step:
    """One step of a story."""
    act = draw(st.sampled_from(ACTS))
    job = st.sampled_from(JOBS)
    if act == "job":
        name = draw(job)
        mode = draw(st.sampled_from(MODES))
        return Step("job", (mode, name, draw(job_specs(name)), draw(st.sampled_from(TARGETS))))
    if act in ("start", "stop", "delete_job"):
        return Step(act, (draw(job),))
    if act == "rename":
        return Step(act, (draw(job), draw(st.sampled_from((*JOBS, FREE_NAME, BAD_NAME)))))
    if act == "script":
        mode = draw(st.sampled_from(MODES))
        target = draw(st.sampled_from(TARGETS))
        return Step(act, (mode, draw(st.sampled_from(SCRIPTS)), draw(st.integers(0, 3)), target))
    if act == "delete_script":
        return Step(act, (draw(st.sampled_from(SCRIPTS)),))
    if act == "resource":
        name = draw(st.sampled_from(RESOURCES))
        mode = draw(st.sampled_from(MODES))
        new_name = (
            draw(st.none() | st.none() | st.sampled_from(RESOURCES)) if mode == "update" else None
        )
        return Step(act, (mode, name, draw(st.integers(0, 3)), new_name))
    if act == "delete_resource":
        return Step(act, (draw(st.sampled_from(RESOURCES)),))
    if act == "elsewhere":
        return Step(act, (draw(st.none() | job),))
    if act in ("lock", "unlock"):
        kind = draw(st.sampled_from(["job", "job", "script"]))
        return Step(act, (kind, draw(job if kind == "job" else st.sampled_from(SCRIPTS))))
    kind = draw(st.sampled_from(sorted(BAD)))
    return Step("bad", (kind, draw(st.sampled_from(("create", "update"))), draw(st.integers(0, 2))))


@st.composite
def definition_stories(draw: st.DrawFn, max_steps: int = 16) -> tuple[Step, ...]:
    """Two scripts, a resource and two jobs to start from (the second drawn, depending on
    the first or not), then up to ``max_steps`` drawn steps."""
    first = [
        Step("script", ("create", "sa", 0, "SUBMITTED")),
        Step("script", ("create", "sb", 1, "SAVED")),
        Step("resource", ("create", "ra", 0, None)),
        Step("job", ("create", "ja", JobSpec("sa", "ra", (), 0, "UTC"), "SUBMITTED")),
        Step("job", ("create", "jb", draw(job_specs("jb")), draw(st.sampled_from(TARGETS)))),
    ]
    return (*first, *draw(st.lists(steps(), min_size=1, max_size=max_steps)))


BAD: dict[str, type[JobferryError]] = {
    "job_name": JobNameError,
    "job_cron": ScheduleInvalidError,
    "script_type": ScriptTypeMissingError,
    "resource_type": ResourceTypeError,
    "job_renamed": InvalidRequestError,
    "script_renamed": InvalidRequestError,
}
"""Each invalid definition a ``bad`` step sends, and its refusal."""


def act(services: Services, scopes: tuple[Scope, Scope, Scope], model: Model, step: Step) -> Any:
    """Take ``step`` through the services (as the first of ``scopes``, the story's workspace's
    admin; the second is the other workspace's, the third the user of the story's workspace
    who locks); what its call answered."""
    scope, other, locker = scopes
    args = step.args
    if step.act == "lock":
        return services.governance.acquire(locker, *args)
    if step.act == "unlock":
        return services.governance.release(locker, *args)
    if step.act == "elsewhere":
        return services.jobs.update(other, ELSEWHERE, elsewhere_body(scope.workspace.name, *args))
    if step.act in ("job", "script"):
        mode, name, what, target = args
        mode = _mode(mode, name in (model.jobs if step.act == "job" else model.scripts))
        service = services.jobs if step.act == "job" else services.scripts
        doc = (
            job_body(name, what, model.workspace)
            if step.act == "job"
            else definition("script", name, what)
        )
        body = {**doc, "targetStatus": target}
        return (
            service.create(scope, body) if mode == "create" else service.update(scope, name, body)
        )
    if step.act == "rename":
        name, new_name = args
        return services.jobs.rename(scope, name, parse_rename({"name": new_name}))
    if step.act in ("start", "stop", "delete_job"):
        call = {"start": "start", "stop": "stop", "delete_job": "delete"}[step.act]
        return getattr(services.jobs, call)(scope, *args)
    if step.act == "delete_script":
        return services.scripts.delete(scope, *args)
    if step.act == "resource":
        mode, name, look, new_name = args
        doc = definition("resource", new_name or name, look)
        if _mode(mode, name in model.resources) == "create":
            return services.resources.create(scope, definition("resource", name, look))
        return services.resources.update(scope, model.resource_ids.get(name, ABSENT_ID), doc)
    if step.act == "delete_resource":
        return services.resources.delete(scope, model.resource_ids.get(args[0], ABSENT_ID))
    return _bad(services, scope, model, *args)


def _mode(mode: str, held: bool) -> str:
    """What a step's ``mode`` calls when the workspace holds its object or not."""
    if mode == "put":
        return "update" if held else "create"
    return mode


def _renamed_by_update(services: Services, scope: Scope, model: Model, kind: str, pick: int) -> Any:
    """Update the ``pick``-th job or script of its pool with a body naming the next one."""
    if kind == "job_renamed":
        name, other = JOBS[pick % len(JOBS)], JOBS[(pick + 1) % len(JOBS)]
        doc = job_body(other, JobSpec("sa", None, (), 0, "UTC"), model.workspace)
        return services.jobs.update(scope, name, doc)
    name, other = SCRIPTS[pick % 2], SCRIPTS[(pick + 1) % 2]
    return services.scripts.update(scope, name, definition("script", other, pick))


def _bad(services: Services, scope: Scope, model: Model, kind: str, mode: str, pick: int) -> Any:
    """Send the invalid definition ``kind``: created, or as an update of the ``pick``-th
    object of its kind the model holds (a create when it holds none)."""
    if kind.endswith("renamed"):
        return _renamed_by_update(services, scope, model, kind, pick)
    if kind.startswith("job"):
        held = sorted(model.jobs)
        name = held[pick % len(held)] if held and mode == "update" else JOBS[pick % len(JOBS)]
        doc = job_body(name, JobSpec("sa", None, (), 0, "UTC"), model.workspace)
        if kind == "job_name":
            doc["name"] = BAD_NAME
        else:
            del doc["schedule"]["cron"]["expression"]
        if mode == "update" and held and kind == "job_cron":
            return services.jobs.update(scope, name, doc)
        return services.jobs.create(scope, doc)
    if kind == "script_type":
        held = sorted(model.scripts)
        name = held[pick % len(held)] if held and mode == "update" else SCRIPTS[pick % 2]
        doc = {k: v for k, v in definition("script", name, pick).items() if k != "type"}
        if mode == "update" and held:
            return services.scripts.update(scope, name, doc)
        return services.scripts.create(scope, doc)
    held = sorted(model.resources)
    name = held[pick % len(held)] if held and mode == "update" else RESOURCES[pick % 2]
    doc = {**definition("resource", name, pick), "type": "zip"}
    if mode == "update" and held:
        return services.resources.update(scope, model.resource_ids[name], doc)
    return services.resources.create(scope, doc)
