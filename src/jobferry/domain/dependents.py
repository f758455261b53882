"""How a refused delete names the jobs that depend on the job: by name, with the workspace of
each one that is in another workspace (a job's dependencies may name jobs of other workspaces
of the project, ``dependJobs`` with ``otherWorkSpaceJobs``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def dependents_named(context: Mapping[str, Any], shown: int = 10) -> str:
    """The dependents a refusal's ``context`` lists (``dependent_jobs``, each with its
    ``workspace``, against the refusal's ``workspace``; a server that answers ``dependents``
    alone, names only), the first ``shown`` of them and how many more."""
    jobs = context.get("dependent_jobs")
    here = context.get("workspace")
    if isinstance(jobs, list) and all(isinstance(j, Mapping) for j in jobs):
        names = [_named(j, here) for j in jobs]
    else:
        names = [str(name) for name in context.get("dependents") or []]
    return _first(names, shown)


def _named(job: Mapping[str, Any], here: object) -> str:
    name, workspace = job.get("job_name"), job.get("workspace")
    return str(name) if workspace == here else f"{name} (workspace '{workspace}')"


def _first(names: Iterable[str], shown: int) -> str:
    listed = list(names)
    more = len(listed) - shown
    return ", ".join(listed[:shown]) + (f" and {more} more" if more > 0 else "")
