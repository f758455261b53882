"""What a package holds beside its jobs: the objects they use, what they need, what is missing.

Definitions are taken exactly as stored (compact UTF-8 JSON, the client's key order). Secrets
are never read: environment objects contribute only their type and config, and a connection's
requirement names its secrets, never their values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from jobferry.domain.enums import ENVIRONMENT_KINDS, EnvironmentKind, ObjectKind
from jobferry.domain.references import distinct_references, job_references, script_references
from jobferry.package.layout import Layout, entry_path
from jobferry.package.manifest import Requirement
from jobferry.services.context import Scope
from jobferry.services.documents import dump, load
from jobferry.services.exporting.options import ExportOptions
from jobferry.storage import Tx
from jobferry.storage import environment as env_repo
from jobferry.storage import exports as repo
from jobferry.storage.exports import JobHead

# The kinds of object an export carries beside the jobs when exportDepend is on.
DEPENDENCY_KINDS = (ObjectKind.SCRIPT, ObjectKind.RESOURCE, ObjectKind.CDM_JOB)

Reference = tuple[str, str, str]
"""(kind, name, other workspace or "") as the reference index holds it."""
Found = dict[str, dict[str, tuple[str, str, int]]]
"""kind → name → (object id, definition text, updated_at) of the dependencies found."""


@dataclass(frozen=True)
class Entry:
    """One object to write."""

    path: str
    kind: str
    name: str
    object_id: str
    text: str


@dataclass
class Contents:
    """Everything the package will hold and say, before it is written."""

    entries: list[Entry] = field(default_factory=list)
    requires: set[tuple[str, str]] = field(default_factory=set)
    """(kind, name) of every environment object the jobs and scripts name."""
    unresolved: list[dict[str, str]] = field(default_factory=list)
    newest: int = 0
    """The newest updated_at among the objects written (the manifest's createdAt)."""


def gather(
    tx: Tx, scope: Scope, heads: list[JobHead], options: ExportOptions, layout: Layout
) -> Contents:
    """The jobs' definitions, and (with exportDepend) the scripts, resources and CDM jobs
    they use, placed by ``layout``."""
    contents = Contents()
    texts = repo.job_documents(tx, heads, submitted=options.submitted)
    # Per-job references are needed for batch folders and for submitted versions (whose
    # references are read from the version itself); a flat package only needs the distinct set.
    per_job = layout is Layout.BATCH or options.submitted
    refs = _references(tx, heads, texts, options.submitted) if per_job else {}
    distinct: set[Reference] = (
        set().union(*refs.values())
        if per_job
        else repo.distinct_references_of(tx, [h.id for h in heads])
    )
    for head in heads:
        contents.newest = max(contents.newest, head.updated_at)
        path = entry_path(layout, ObjectKind.JOB, head.name)
        contents.entries.append(
            Entry(path, ObjectKind.JOB, head.name, str(head.id), texts[head.id])
        )
    wanted = _wanted(contents, distinct)
    if not options.export_depend:
        return contents
    found = _dependencies(tx, scope, wanted, options.submitted)
    for _, text, _ in found[ObjectKind.SCRIPT].values():
        for ref in script_references(load(text)):
            contents.requires.add((ref.kind.value, ref.name))
    _add_unresolved(tx, contents, heads, wanted, found, refs if per_job else None)
    if layout is Layout.BATCH:
        _add_job_folders(contents, heads, refs, found)
    else:
        _add_shared(contents, found)
    return contents


def _references(
    tx: Tx, heads: list[JobHead], texts: dict[int, str], submitted: bool
) -> dict[int, list[Reference]]:
    """Job id → its references: from the index, or from the submitted version itself."""
    if not submitted:
        return repo.references_of(tx, [h.id for h in heads])
    out: dict[int, list[Reference]] = {}
    for head in heads:
        refs = distinct_references(job_references(load(texts[head.id])))
        out[head.id] = [(k.value, n, w or "") for k, n, w in refs]
    return out


def _wanted(contents: Contents, distinct: set[Reference]) -> dict[str, set[str]]:
    """Record the environment objects needed; the dependencies of this workspace, by kind."""
    wanted: dict[str, set[str]] = {kind.value: set() for kind in DEPENDENCY_KINDS}
    for kind, name, other_ws in distinct:
        if kind in ENVIRONMENT_KINDS:
            contents.requires.add((kind, name))
        if kind in wanted and not other_ws:
            wanted[kind].add(name)
    return wanted


def _dependencies(tx: Tx, scope: Scope, wanted: dict[str, set[str]], submitted: bool) -> Found:
    """The scripts, resources and CDM jobs wanted that exist."""
    ws = scope.workspace.id
    scripts = repo.script_definitions(tx, ws, wanted[ObjectKind.SCRIPT], submitted=submitted)
    resources = repo.resource_definitions(tx, ws, wanted[ObjectKind.RESOURCE])
    cdm_jobs = repo.environment_definitions(
        tx, ws, EnvironmentKind.CDM_JOB.value, wanted[ObjectKind.CDM_JOB]
    )
    return {
        ObjectKind.SCRIPT: {n: (d.id, d.text, d.updated_at) for n, d in scripts.items()},
        ObjectKind.RESOURCE: {n: (d.id, d.text, d.updated_at) for n, d in resources.items()},
        ObjectKind.CDM_JOB: {
            n: (f"cdm_job:{n}", dump({"name": n, "type": t, "config": load(c)}), at)
            for n, (t, c, at) in cdm_jobs.items()
        },
    }


def _add_unresolved(
    tx: Tx,
    contents: Contents,
    heads: list[JobHead],
    wanted: dict[str, set[str]],
    found: Found,
    refs: Mapping[int, list[Reference]] | None,
) -> None:
    """Name every wanted dependency that was not found, with the first job that uses it."""
    for kind, names in wanted.items():
        missing = sorted(names - set(found[kind]))
        if refs is not None:
            users = {name: _first_user(heads, refs, kind, name) for name in missing}
        else:
            users = repo.jobs_using(tx, [h.id for h in heads], kind, missing)
        contents.unresolved += [
            {"kind": kind, "name": name, "job": users.get(name, ""), "reason": "not found"}
            for name in missing
        ]
        for _, _, at in found[kind].values():
            contents.newest = max(contents.newest, at)


def _first_user(
    heads: list[JobHead], refs: Mapping[int, list[Reference]], kind: str, name: str
) -> str:
    return min((h.name for h in heads if (kind, name, "") in refs[h.id]), default="")


def _add_job_folders(
    contents: Contents, heads: list[JobHead], refs: Mapping[int, list[Reference]], found: Found
) -> None:
    """Batch layout: each job's dependencies beside it in its folder (shared ones repeated)."""
    for head in heads:
        for kind, name, other_ws in sorted(set(refs[head.id])):
            if kind in found and not other_ws and name in found[kind]:
                object_id, text, _ = found[kind][name]
                path = entry_path(Layout.BATCH, kind, name, head.name)
                contents.entries.append(Entry(path, kind, name, object_id, text))


def _add_shared(contents: Contents, found: Found) -> None:
    """Single layout: every dependency once, in its kind's folder."""
    for kind, items in found.items():
        for name, (object_id, text, _) in items.items():
            path = entry_path(Layout.SINGLE, kind, name)
            contents.entries.append(Entry(path, kind, name, object_id, text))


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
