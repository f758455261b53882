"""The job directory tree: folders from the jobs' ``directory`` paths, jobs as leaves."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Folder:
    """One folder: its sub-folders and jobs, both by name."""

    name: str
    path: str
    folders: dict[str, Folder] = field(default_factory=dict)
    jobs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def children(self) -> list[Folder]:
        """Sub-folders by name."""
        return [self.folders[k] for k in sorted(self.folders, key=str.casefold)]

    @property
    def count(self) -> int:
        """How many jobs the folder holds, its sub-folders included."""
        return len(self.jobs) + sum(f.count for f in self.folders.values())


def build_tree(jobs: list[dict[str, Any]]) -> Folder:
    """The folder tree of jobs (each job a ``list_jobs``-style dict with ``path``)."""
    root = Folder("/", "/")
    for job in jobs:
        folder = root
        parts = [p for p in str(job.get("path") or "/").split("/") if p]
        for part in parts:
            path = f"{folder.path.rstrip('/')}/{part}"
            folder = folder.folders.setdefault(part, Folder(part, path))
        folder.jobs.append(job)
    return root


STATUS_FILTERS = {
    "scheduled": "scheduled",
    "stopped": "stopped",
    "unsubmitted": "never submitted",
}


def matches_status(job: dict[str, Any], status: str) -> bool:
    """Whether a job passes the status filter (scheduled, stopped, never submitted)."""
    if status == "scheduled":
        return job.get("status") != "STOPPED"
    if status == "stopped":
        return job.get("status") == "STOPPED"
    if status == "unsubmitted":
        return job.get("version") is None
    return True
