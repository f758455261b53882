"""What a package holds, produced in entry-path order a batch at a time: the jobs and (with
exportDepend) the scripts, resources and CDM jobs they use, plus what the manifest says.

Definitions are taken exactly as stored (compact UTF-8 JSON, the client's key order). Secrets
are never read: environment objects contribute only their type and config, and a connection's
requirement names its secrets, never their values.

Nothing is gathered whole: jobs, then each kind of dependency, are read in batches in the order
their entries go into the zip; only the selection's job ids and the names of what the jobs use
are held, so a 100,000-job workspace exports in about the memory of a small one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from jobferry.domain.enums import ENVIRONMENT_KINDS, EnvironmentKind, ObjectKind
from jobferry.domain.references import distinct_references, job_references, script_references
from jobferry.package.layout import Layout, entry_path
from jobferry.package.manifest import Requirement
from jobferry.package.writer import NewEntry
from jobferry.services.context import Scope
from jobferry.services.definitions.documents import dump, load
from jobferry.services.exporting.options import ExportOptions
from jobferry.services.exporting.selection import BATCH, Selection
from jobferry.storage import Tx
from jobferry.storage import environment as env_repo
from jobferry.storage import exports as repo
from jobferry.storage.exports import Definition, JobEntry

# The kinds of object an export carries beside the jobs when exportDepend is on, in the order
# their folders sort in a single-layout package (cdm_jobs/ < jobs/ < resources/ < scripts/).
DEPENDENCY_KINDS = (ObjectKind.SCRIPT, ObjectKind.RESOURCE, ObjectKind.CDM_JOB)

Reference = tuple[str, str, str]
"""(kind, name, other workspace or "") as the reference index holds it."""


@dataclass
class Summary:
    """What the manifest says beside the entries, gathered while they are written."""

    requires: set[tuple[str, str]] = field(default_factory=set)
    """(kind, name) of every environment object the jobs and scripts name."""
    unresolved: list[dict[str, str]] = field(default_factory=list)
    newest: int = 0
    """The newest updated_at among the objects written (the manifest's createdAt)."""


def package_entries(
    tx: Tx,
    scope: Scope,
    selection: Selection,
    options: ExportOptions,
    summary: Summary,
    *,
    whole: bool = False,
    also: dict[str, set[str]] | None = None,
) -> Iterator[list[NewEntry]]:
    """Every entry of the package, in ascending path order, a batch at a time (``whole``:
    every script and resource of the workspace, used or not; ``also``: scripts and resources
    by name, taken beside the jobs whether or not a job uses them)."""
    if selection.layout is Layout.BATCH:
        yield from _job_folders(tx, scope, selection, options, summary)
    else:
        yield from _single(tx, scope, selection, options, summary, whole, also or {})


def _job_entry(layout: Layout, job: JobEntry, summary: Summary, submitted: bool) -> NewEntry:
    """A job's entry; the package's newest change is the time its text was written (a
    submitted version's submission), or the job's last change when the version is written
    under the name the job took since (a rename is a change of it)."""
    path = entry_path(layout, ObjectKind.JOB, job.name)
    text = _named(job) if submitted else job.text
    at = job.updated_at if job.written_at is None or text is not job.text else job.written_at
    summary.newest = max(summary.newest, at)
    return NewEntry(path, ObjectKind.JOB, job.name, job.uid, text.encode())


def _named(job: JobEntry) -> str:
    """A submitted version under the job's name now: a job renamed since its version was
    submitted is exported (and released) under its new name, not the one the version holds.
    A definition mostly leads with its name (the SDKs and DataArts' exports send it first):
    one that leads with the job's name now is written as it is, unread; any other is read."""
    if job.text.startswith(dump({"name": job.name})[:-1]):
        return job.text
    doc = load(job.text)
    return job.text if doc.get("name") == job.name else dump({**doc, "name": job.name})


# -- single layout: jobs/, then every dependency once in its kind's folder -----------------------


def _single(
    tx: Tx,
    scope: Scope,
    selection: Selection,
    options: ExportOptions,
    summary: Summary,
    whole: bool,
    also: dict[str, set[str]],
) -> Iterator[list[NewEntry]]:
    whole_kinds = (ObjectKind.SCRIPT, ObjectKind.RESOURCE) if whole else ()
    wanted = _wanted(tx, selection, options.submitted, summary)
    for kind in whole_kinds:
        wanted[kind].update(repo.names_of_kind(tx, scope.workspace.id, kind))
    if not options.export_depend:
        wanted = {kind.value: set() for kind in DEPENDENCY_KINDS}
    for kind_name, names in also.items():
        wanted[kind_name].update(names)
    if options.export_depend:
        yield from _dependencies(tx, scope, selection, wanted, ObjectKind.CDM_JOB, options, summary)
    for batch in selection.batches():
        found = repo.job_entries(tx, batch, submitted=options.submitted)
        yield [
            _job_entry(Layout.SINGLE, found[job_id], summary, options.submitted) for job_id in batch
        ]
    if options.export_depend or also:
        for kind in (ObjectKind.RESOURCE, ObjectKind.SCRIPT):
            yield from _dependencies(tx, scope, selection, wanted, kind, options, summary)


def _wanted(tx: Tx, selection: Selection, submitted: bool, summary: Summary) -> dict[str, set[str]]:
    """The dependencies of this workspace the jobs use, by kind (environment objects go to the
    summary's requirements): a package holding scripts and resources whole still reads which
    ones the jobs name, so that those the workspace lacks are listed as unresolved. Only the
    names are kept, never a row per job."""
    wanted: dict[str, set[str]] = {kind.value: set() for kind in DEPENDENCY_KINDS}
    if submitted:
        used: Iterable[Reference] = (
            ref
            for batch in selection.batches()
            for refs in _version_references(tx, batch).values()
            for ref in refs
        )
    else:
        kinds = ENVIRONMENT_KINDS.union(wanted)
        used = repo.distinct_references_of(tx, selection.ids, kinds)
    for kind, name, other_ws in used:
        if kind in ENVIRONMENT_KINDS:
            summary.requires.add((kind, name))
        if kind in wanted and not other_ws:
            wanted[kind].add(name)
    return wanted


def _version_references(tx: Tx, job_ids: Sequence[int]) -> dict[int, list[Reference]]:
    """Job id → the references of its latest submitted version (read from the version)."""
    found = repo.job_entries(tx, job_ids, submitted=True)
    out: dict[int, list[Reference]] = {}
    for job_id in job_ids:
        refs = distinct_references(job_references(load(found[job_id].text)))
        out[job_id] = [(k.value, n, w or "") for k, n, w in refs]
    return out


def _dependencies(
    tx: Tx,
    scope: Scope,
    selection: Selection,
    wanted: dict[str, set[str]],
    kind: ObjectKind,
    options: ExportOptions,
    summary: Summary,
) -> Iterator[list[NewEntry]]:
    """The dependencies of one kind, in path order, each once; the missing ones noted."""
    names = sorted(wanted[kind], key=lambda n: entry_path(Layout.SINGLE, kind, n))
    missing: list[str] = []
    for start in range(0, len(names), BATCH):
        batch = names[start : start + BATCH]
        found = _definitions(tx, scope, kind, batch, options.submitted)
        entries = []
        for name in batch:
            item = found.get(name)
            if item is None:
                missing.append(name)
                continue
            entries.append(_dependency_entry(Layout.SINGLE, kind, item, summary))
        yield entries
    if missing:
        users = repo.jobs_using(tx, selection.ids, kind, missing)
        _add_unresolved(summary, kind, missing, users)


def _definitions(
    tx: Tx, scope: Scope, kind: ObjectKind, names: Iterable[str], submitted: bool
) -> dict[str, Definition]:
    """Name → definition of the dependencies of one kind that exist."""
    ws = scope.workspace.id
    if kind is ObjectKind.SCRIPT:
        return repo.script_definitions(tx, ws, names, submitted=submitted)
    if kind is ObjectKind.RESOURCE:
        return repo.resource_definitions(tx, ws, names)
    found = repo.environment_definitions(tx, ws, EnvironmentKind.CDM_JOB.value, names)
    return {
        n: Definition(f"cdm_job:{n}", n, dump({"name": n, "type": t, "config": load(c)}), at)
        for n, (t, c, at) in found.items()
    }


def _dependency_entry(
    layout: Layout, kind: ObjectKind, item: Definition, summary: Summary, job: str | None = None
) -> NewEntry:
    """One dependency's entry; a script's environment references become requirements."""
    summary.newest = max(summary.newest, item.updated_at)
    if kind is ObjectKind.SCRIPT:
        for ref in script_references(load(item.text)):
            summary.requires.add((ref.kind.value, ref.name))
    path = entry_path(layout, kind, item.name, job)
    return NewEntry(path, kind, item.name, item.id, item.text.encode())


def _add_unresolved(
    summary: Summary, kind: str, missing: Iterable[str], users: dict[str, str]
) -> None:
    summary.unresolved += [
        {"kind": kind, "name": name, "job": users.get(name, ""), "reason": "not found"}
        for name in sorted(missing)
    ]


# -- batch layout: one folder per job, its dependencies beside it ----------------------------------


def _job_folders(
    tx: Tx, scope: Scope, selection: Selection, options: ExportOptions, summary: Summary
) -> Iterator[list[NewEntry]]:
    """Batch layout: ``jobs/<job>/`` with the job and each dependency it uses (shared ones
    repeated in every folder that uses them)."""
    missing: dict[tuple[str, str], str] = {}  # (kind, name) → first job using it, by name
    for batch in selection.batches():
        jobs = repo.job_entries(tx, batch, submitted=options.submitted)
        refs = (
            _version_references(tx, batch) if options.submitted else repo.references_of(tx, batch)
        )
        found = _batch_dependencies(tx, scope, refs.values(), options, summary)
        entries: list[NewEntry] = []
        for job_id in batch:
            job = jobs[job_id]
            folder = [_job_entry(Layout.BATCH, job, summary, options.submitted)]
            for kind, name, other_ws in sorted(set(refs[job_id])):
                if kind not in found or other_ws or not options.export_depend:
                    continue
                item = found[kind].get(name)
                if item is None:
                    key = (kind, name)
                    missing[key] = min(missing.get(key, job.name), job.name)
                    continue
                folder.append(
                    _dependency_entry(Layout.BATCH, ObjectKind(kind), item, summary, job.name)
                )
            entries += sorted(folder, key=lambda e: e.path)
        yield entries
    for (kind, name), job_name in sorted(missing.items()):
        _add_unresolved(summary, kind, [name], {name: job_name})


def _batch_dependencies(
    tx: Tx,
    scope: Scope,
    refs: Iterable[list[Reference]],
    options: ExportOptions,
    summary: Summary,
) -> dict[str, dict[str, Definition]]:
    """The definitions the batch's jobs use, by kind; their environment references noted."""
    wanted: dict[str, set[str]] = {kind.value: set() for kind in DEPENDENCY_KINDS}
    for job_refs in refs:
        for kind, name, other_ws in job_refs:
            if kind in ENVIRONMENT_KINDS:
                summary.requires.add((kind, name))
            if kind in wanted and not other_ws:
                wanted[kind].add(name)
    if not options.export_depend:
        return {}
    return {
        kind: _definitions(tx, scope, ObjectKind(kind), names, options.submitted)
        for kind, names in wanted.items()
    }


def requirements(tx: Tx, scope: Scope, needed: set[tuple[str, str]]) -> list[Requirement]:
    """What the package needs, with type and secret NAMES for connections registered here."""
    connections = {}
    if any(kind == EnvironmentKind.CONNECTION for kind, _ in needed):
        connections = {
            o.name: o
            for o in env_repo.list_objects(tx, scope.workspace.id, EnvironmentKind.CONNECTION.value)
        }
    out = []
    for kind, name in sorted(needed):
        known = connections.get(name) if kind == EnvironmentKind.CONNECTION else None
        if known is None:
            out.append(Requirement(kind, name))
        else:
            out.append(Requirement(kind, name, known.type, tuple(sorted(known.secret_keys))))
    return out
