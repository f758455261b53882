"""The model the generated definition stories (``support/definition_stories.py``) keep of
their workspace: what it holds after each step (jobs with their submitted versions and
scheduling, scripts, resources, locks, tombstones, the other workspace's dependency) and what
each step is refused with, in the order the services check."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from jobferry.errors import (
    InUseError,
    InvalidRequestError,
    JobExistsError,
    JobferryError,
    JobNameError,
    JobNotFoundError,
    JobScheduledError,
    LockedError,
    NotFoundError,
    RenameSourceNotFoundError,
    ResourceExistsError,
    ResourceNotFoundError,
    ScheduleInvalidError,
    ScriptExistsError,
    ScriptNotFoundError,
)
from support.definition_stories import BAD, BAD_NAME, JobSpec, job_body
from support.import_stories import definition
from support.release_stories import Step


@dataclass
class HeldJob:
    """A job as the model holds it: its development state, submitted versions (in order,
    as submitted), and whether it is scheduled."""

    spec: JobSpec
    versions: list[dict[str, Any]] = field(default_factory=list)
    started: bool = False
    submitted: JobSpec | None = None
    """What its latest submitted version is made of (``None``: never submitted)."""


@dataclass
class HeldScript:
    """A script as the model holds it: its look and submitted versions."""

    look: int
    versions: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Model:
    """What the workspace must hold: jobs (by name), scripts, resources (name → look), and
    the resources' ids (name → id) as their creation answered them."""

    workspace: str
    """The name of the story's workspace."""
    jobs: dict[str, HeldJob] = field(default_factory=dict)
    scripts: dict[str, HeldScript] = field(default_factory=dict)
    resources: dict[str, int] = field(default_factory=dict)
    resource_ids: dict[str, str] = field(default_factory=dict)
    elsewhere: str | None = None
    """The job the other workspace's job depends on (``None``: none)."""
    locks: set[tuple[str, str]] = field(default_factory=set)
    """The jobs and scripts another user of the workspace holds a lock on (its lock policy
    is hard), as (kind, name)."""
    deleted: list[tuple[str, str]] = field(default_factory=list)
    """Each object deleted, (kind, name), as its tombstone remembers it."""

    def doc(self, name: str) -> dict[str, Any]:
        """The job ``name``'s development state."""
        return job_body(name, self.jobs[name].spec, self.workspace)

    def users(self, kind: str, name: str) -> list[str]:
        """The jobs whose development state names ``name`` of ``kind`` (job: as upstream)."""
        return sorted(job for job, held in self.jobs.items() if _names(held.spec, kind, name))

    def in_use(self, kind: str, name: str) -> bool:
        """Whether a job uses ``name`` of ``kind`` by its development state or its latest
        submitted version (a job never counting as its own user): what refuses a delete."""
        return any(
            (kind != "job" or job != name)
            and (_names(held.spec, kind, name) or _names(held.submitted, kind, name))
            for job, held in self.jobs.items()
        )

    def refusal(self, step: Step) -> type[JobferryError] | None:
        """What ``step`` is refused with (``None``: it is taken)."""
        return REFUSALS[step.act](self, *step.args)

    def take(self, step: Step, answer: Any) -> None:
        """Hold what the taken ``step`` made (``answer``: what its call answered)."""
        TAKES[step.act](self, answer, *step.args)


def _job_refusal(
    model: Model, mode: str, name: str, spec: JobSpec, target: str
) -> type[JobferryError] | None:
    if mode == "create" or (mode == "put" and name not in model.jobs):
        return JobExistsError if name in model.jobs else None
    if name not in model.jobs:
        return JobNotFoundError
    return LockedError if ("job", name) in model.locks else None


def _names(spec: JobSpec | None, kind: str, name: str) -> bool:
    if spec is None:
        return False
    named = {"script": {spec.script}, "resource": {spec.resource}, "job": set(spec.upstream)}
    return name in named[kind]


def _take_job(model: Model, _: Any, mode: str, name: str, spec: JobSpec, target: str) -> None:
    held = model.jobs.setdefault(name, HeldJob(spec))
    held.spec = spec
    if target != "SAVED":
        held.versions.append(job_body(name, spec, model.workspace))
        held.submitted = spec


def _known_job(model: Model, name: str) -> type[JobferryError] | None:
    return None if name in model.jobs else JobNotFoundError


def _start_refusal(model: Model, name: str) -> type[JobferryError] | None:
    if name not in model.jobs:
        return JobNotFoundError
    return None if model.jobs[name].versions else InvalidRequestError


def _delete_job_refusal(model: Model, name: str) -> type[JobferryError] | None:
    if name not in model.jobs:
        return JobNotFoundError
    if model.jobs[name].started:
        return JobScheduledError
    if ("job", name) in model.locks:
        return LockedError
    return InUseError if model.in_use("job", name) or model.elsewhere == name else None


def _rename_refusal(model: Model, name: str, new_name: str) -> type[JobferryError] | None:
    if new_name == BAD_NAME:
        return JobNameError  # the code a job saved under that name is refused with
    if name not in model.jobs:
        return RenameSourceNotFoundError
    if new_name == name:
        return None
    if new_name in model.jobs:
        return JobExistsError
    spec = model.jobs[name].spec
    if model.jobs[name].started:
        return JobScheduledError
    if new_name in spec.upstream and (spec.depends_by_schedule() or spec.link == "subjob"):
        return ScheduleInvalidError
    if ("job", name) in model.locks:
        return LockedError
    if model.elsewhere == name:
        return InUseError
    locked = {("job", j) for j in model.users("job", name) if j != name} & model.locks
    return LockedError if locked else None


def _take_rename(model: Model, _: Any, name: str, new_name: str) -> None:
    if new_name == name:
        return
    model.jobs[new_name] = model.jobs.pop(name)
    if ("job", name) in model.locks:
        model.locks ^= {("job", name), ("job", new_name)}
    for held in model.jobs.values():
        held.spec = held.spec.renamed(name, new_name)


def _set_started(started: bool) -> Any:
    def take(model: Model, _: Any, name: str) -> None:
        model.jobs[name].started = started

    return take


def _script_refusal(
    model: Model, mode: str, name: str, look: int, target: str
) -> type[JobferryError] | None:
    if mode == "create" or (mode == "put" and name not in model.scripts):
        return ScriptExistsError if name in model.scripts else None
    if name not in model.scripts:
        return ScriptNotFoundError
    return LockedError if ("script", name) in model.locks else None


def _take_script(model: Model, _: Any, mode: str, name: str, look: int, target: str) -> None:
    held = model.scripts.setdefault(name, HeldScript(look))
    held.look = look
    if target != "SAVED":
        held.versions.append(definition("script", name, look))


def _delete_script_refusal(model: Model, name: str) -> type[JobferryError] | None:
    if name not in model.scripts:
        return ScriptNotFoundError
    if ("script", name) in model.locks:
        return LockedError
    return InUseError if model.in_use("script", name) else None


def _resource_refusal(
    model: Model, mode: str, name: str, look: int, new_name: str | None
) -> type[JobferryError] | None:
    if mode == "put":
        mode = "update" if name in model.resources else "create"
    if mode == "create":
        return ResourceExistsError if name in model.resources else None
    if name not in model.resources:
        return ResourceNotFoundError
    if new_name is None or new_name == name:
        return None
    if new_name in model.resources:
        return ResourceExistsError
    return InUseError if model.in_use("resource", name) else None


def _take_resource(
    model: Model, answer: Any, mode: str, name: str, look: int, new_name: str | None
) -> None:
    if mode == "create" or (mode == "put" and name not in model.resources):
        model.resource_ids[name] = str(answer)
    elif new_name is not None and new_name != name:
        model.resource_ids[new_name] = model.resource_ids.pop(name)
        del model.resources[name]
        name = new_name
    model.resources[name] = look


def _delete_resource_refusal(model: Model, name: str) -> type[JobferryError] | None:
    if name not in model.resources:
        return ResourceNotFoundError
    return InUseError if model.in_use("resource", name) else None


def _lock_refusal(model: Model, kind: str, name: str) -> type[JobferryError] | None:
    held = model.jobs if kind == "job" else model.scripts
    if name in held:
        return None
    return JobNotFoundError if kind == "job" else ScriptNotFoundError


def _unlock_refusal(model: Model, kind: str, name: str) -> type[JobferryError] | None:
    return None if (kind, name) in model.locks else NotFoundError


def _take_lock(locked: bool) -> Any:
    def take(model: Model, _: Any, kind: str, name: str) -> None:
        (model.locks.add if locked else model.locks.discard)((kind, name))

    return take


def _take_elsewhere(model: Model, _: Any, job: str | None) -> None:
    model.elsewhere = job


def _take_delete(kind: str) -> Any:
    def take(model: Model, _: Any, name: str) -> None:
        model.deleted.append((kind.rstrip("s"), name))
        model.locks.discard((kind.rstrip("s"), name))
        if kind == "resource":
            del model.resources[name], model.resource_ids[name]
        else:
            del getattr(model, kind)[name]

    return take


def _bad_refusal(model: Model, kind: str, mode: str, pick: int) -> type[JobferryError] | None:
    return BAD[kind]


REFUSALS: dict[str, Any] = {
    "job": _job_refusal,
    "start": _start_refusal,
    "stop": _known_job,
    "delete_job": _delete_job_refusal,
    "rename": _rename_refusal,
    "script": _script_refusal,
    "delete_script": _delete_script_refusal,
    "resource": _resource_refusal,
    "delete_resource": _delete_resource_refusal,
    "bad": _bad_refusal,
    "elsewhere": lambda model, job: None,
    "lock": _lock_refusal,
    "unlock": _unlock_refusal,
}
TAKES: dict[str, Any] = {
    "job": _take_job,
    "start": _set_started(True),
    "stop": _set_started(False),
    "delete_job": _take_delete("jobs"),
    "rename": _take_rename,
    "script": _take_script,
    "delete_script": _take_delete("scripts"),
    "resource": _take_resource,
    "delete_resource": _take_delete("resource"),
    "elsewhere": _take_elsewhere,
    "lock": _take_lock(True),
    "unlock": _take_lock(False),
}
