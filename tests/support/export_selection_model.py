"""What the documents promise of an export's selection (docs/api.md, "Export": ``export_job``,
``export_job_list``, ``POST /exports/check-names``, ``POST /exports`` and the download center;
docs/cli.md, ``jobferry export``), as a model the generated stories of
``tests/unit/services/exporting/test_generated_selections.py`` are checked against, written
from the documents, never from the code:

- only admins and developers export or check names (``DLF.6888``);
- a package holds exactly the jobs selected: the one named, the ``jobList``, the names of a
  list (each once), or every job of the workspace; with ``withUpstream`` every job the
  selection depends on through ``dependJobs``, transitively; with ``exportDepend`` the scripts
  and resources the jobs use (a whole-workspace export: every script and resource of the
  workspace), in the single layout (``jobs/<job>.job``, ``scripts/…``, ``resources/…``) or the
  batch one (``jobs/<job>/`` with each dependency beside its job);
- the manifest's ``unresolved`` names every reference that did not resolve: an upstream job the
  workspace lacks, a script or resource a job names that the workspace lacks (with
  ``exportDepend``, with the first job by name that names it);
- a name that is no job is refused (``DLF.0100``) naming it (a ticked one too); a ``jobList`` past
  ``JOBFERRY_EXPORT_BATCH_MAX_JOBS``, an empty one, a name list past
  ``JOBFERRY_EXPORT_NAME_LIST_MAX`` or with no name, a name-list export of which a name
  matches no job, and a workspace export of more jobs than ``JOBFERRY_EXPORT_WORKSPACE_MAX_JOBS``
  are refused (``DLF.3051``); a refusal changes nothing (no audit entry, no task, no package);
- the name check answers each name once in the order pasted: matched, or unmatched with why
  (not a legal name, a case slip naming the job meant, or absent from the workspace), and the
  names pasted twice;
- an export answered or uploaded writes one audit entry (``package.export``) counting the jobs
  the package holds; a background one a ``package.generate`` and keeps the package in the
  download center with its selection: mode, how many jobs, the first names in entry order (200).
"""

from __future__ import annotations

from dataclasses import dataclass, field

ADMIN, DEVELOPER, OPERATOR, VIEWER = "admin", "developer", "operator", "viewer"
ROLES = (ADMIN, DEVELOPER, OPERATOR, VIEWER)
WRITERS = (ADMIN, DEVELOPER)
DENIED = "DLF.6888"
INVALID = "DLF.3051"
NOT_FOUND = "DLF.0100"
BATCH_CAP = 4
"""``JOBFERRY_EXPORT_BATCH_MAX_JOBS`` in the stories."""
NAME_LIST_CAP = 5
"""``JOBFERRY_EXPORT_NAME_LIST_MAX`` in the stories."""
WORKSPACE_CAP = 5
"""``JOBFERRY_EXPORT_WORKSPACE_MAX_JOBS`` in the stories."""
SAMPLE = 3
"""How many names the download center keeps of a selection in the stories (200)."""
EXTENSIONS = {"job": ".job", "script": ".script", "resource": ".resource"}
FOLDERS = {"job": "jobs", "script": "scripts", "resource": "resources"}
Key = tuple[str, str]
"""(kind, name) of an object."""


@dataclass(frozen=True)
class JobSpec:
    """A job as the stories save it: the script it runs, maybe a resource, its upstreams."""

    name: str
    script: str
    resource: str | None
    upstream: tuple[str, ...]

    def uses(self) -> set[Key]:
        used = {("script", self.script)}
        if self.resource is not None:
            used.add(("resource", self.resource))
        return used


@dataclass
class Place:
    """What one workspace holds."""

    jobs: dict[str, JobSpec] = field(default_factory=dict)
    scripts: set[str] = field(default_factory=set)
    resources: set[str] = field(default_factory=set)
    left: dict[str, str] = field(default_factory=dict)
    """A name no job holds now → the job that last held it (by its first name)."""
    named: dict[str, str | None] = field(default_factory=dict)
    """Every job made (by its first name) → its name now (None: deleted)."""

    def has(self, kind: str, name: str) -> bool:
        return name in (self.scripts if kind == "script" else self.resources)

    def make(self, job: JobSpec) -> None:
        self.jobs[job.name] = job
        self.named[job.name] = job.name

    def first(self, name: str) -> str:
        """The first name of the job named ``name`` now."""
        return next(f for f, now in self.named.items() if now == name)

    def rename(self, old: str, new: str) -> None:
        """Rename a job; the jobs depending on it follow."""
        job = self.jobs.pop(old)
        self.jobs[new] = JobSpec(new, job.script, job.resource, job.upstream)
        for name, other in self.jobs.items():
            if old in other.upstream:
                upstream = tuple(sorted({new if n == old else n for n in other.upstream}))
                self.jobs[name] = JobSpec(name, other.script, other.resource, upstream)
        first = self.first(old)
        self.left[old], self.named[first] = first, new
        self.left.pop(new, None)

    def delete(self, name: str) -> None:
        first = self.first(name)
        del self.jobs[name]
        self.left[name], self.named[first] = first, None

    def fate(self, name: str) -> str | None:
        """What became of the job that last held a name no job holds: ``renamed`` (it lives on
        under another name), ``deleted``, or None (no job held it)."""
        if name not in self.left:
            return None
        return "deleted" if self.named[self.left[name]] is None else "renamed"


@dataclass(frozen=True)
class Package:
    """What a package must hold: its entries' paths (in order), the objects, the manifest's
    unresolved references as (kind, name, the first job by name using it: none for an upstream
    job)."""

    paths: tuple[str, ...]
    objects: frozenset[Key]
    unresolved: frozenset[tuple[str, str, str]]
    jobs: tuple[str, ...]
    """The jobs in entry order."""


def entry(kind: str, name: str, job: str | None = None) -> str:
    """An object's entry path: in its kind's folder, or (``job``) in that job's folder."""
    if job is not None:
        return f"jobs/{job}/{name}{EXTENSIONS[kind]}"
    return f"{FOLDERS[kind]}/{name}{EXTENSIONS[kind]}"


def closure(place: Place, names: set[str]) -> set[str]:
    """``names`` and every job they depend on, transitively (names the workspace lacks
    included: they depend on nothing)."""
    seen, pending = set(names), list(names)
    while pending:
        job = place.jobs.get(pending.pop())
        for up in job.upstream if job else ():
            if up not in seen:
                seen.add(up)
                pending.append(up)
    return seen


def package(
    place: Place, chosen: set[str], *, depend: bool, upstream: bool, batch: bool, whole: bool
) -> Package:
    """What the export of ``chosen`` must hold (``whole``: the workspace export)."""
    wanted = closure(place, chosen) if upstream else set(chosen)
    jobs = {n for n in wanted if n in place.jobs}
    unresolved = {("job", n, "") for n in wanted - jobs}
    used = {key for n in jobs for key in place.jobs[n].uses()}
    if depend:
        unresolved |= {
            (*key, min(n for n in jobs if key in place.jobs[n].uses()))
            for key in used
            if not place.has(*key)
        }
    objects = {("job", n) for n in jobs}
    paths: set[str] = set()
    if batch:
        for n in jobs:
            paths.add(entry("job", n, n))
            if depend:
                held = [key for key in place.jobs[n].uses() if place.has(*key)]
                paths.update(entry(kind, name, n) for kind, name in held)
                objects.update(held)
    else:
        paths.update(entry("job", n) for n in jobs)
        if depend:
            held = {key for key in used if place.has(*key)}
            if whole:
                held |= {("script", n) for n in place.scripts}
                held |= {("resource", n) for n in place.resources}
            objects |= held
            paths.update(entry(kind, name) for kind, name in held)
    order = sorted(jobs, key=lambda n: f"{n}/" if batch else entry("job", n))
    return Package(tuple(sorted(paths)), frozenset(objects), frozenset(unresolved), tuple(order))


@dataclass(frozen=True)
class Checked:
    """The name check's answer: matched names, unmatched ones with the kind of reason
    (``name``: not a legal name; ``case``: a case slip, with the job meant; ``absent``), the
    names pasted twice."""

    matched: tuple[str, ...]
    unmatched: tuple[tuple[str, str], ...]
    duplicates: tuple[str, ...]


def legal(name: str) -> bool:
    """Whether a name can be a job's, as far as the stories draw names."""
    return "/" not in name and len(name) <= 128 and name == name.strip()


def check_names(place: Place, names: list[str], cap: int = NAME_LIST_CAP) -> Checked | str:
    """The name check of ``names`` (blank entries dropped, each trimmed, each counted once),
    or its refusal."""
    cleaned = [n.strip() for n in names if n.strip()]
    unique = list(dict.fromkeys(cleaned))  # a name given twice counts once against the cap
    if len(unique) > cap or not unique:
        return INVALID
    folded = {n.casefold(): n for n in sorted(place.jobs, reverse=True)}
    matched = tuple(n for n in unique if n in place.jobs)
    unmatched = []
    for name in unique:
        if name in place.jobs:
            continue
        fate = place.fate(name)
        if fate is not None:
            unmatched.append((name, fate))
        elif not legal(name):
            unmatched.append((name, "name"))
        elif name.casefold() in folded:
            unmatched.append((name, "case"))
        else:
            unmatched.append((name, "absent"))
    duplicates = tuple(sorted(n for n in unique if cleaned.count(n) > 1))
    return Checked(matched, tuple(unmatched), duplicates)
