"""Export: pick jobs, gather what they use, write a deterministic package.

One read-only transaction reads a consistent snapshot; definitions are written exactly as
stored (compact UTF-8 JSON, the client's key order); entries are sorted by path and every entry
has the same timestamp, so the same definitions always give the same bytes. Secrets are never
read: environment objects contribute only their type and config.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import IO, Any

import jobferry
from jobferry.domain.enums import EnvironmentKind, RefKind
from jobferry.domain.graph import upstream_closure
from jobferry.domain.names import check_object_name
from jobferry.domain.references import distinct_references, job_references, script_references
from jobferry.errors import InvalidRequestError, JobNotFoundError
from jobferry.package.layout import Layout, entry_path
from jobferry.package.manifest import ManifestHeader, Requirement
from jobferry.package.writer import PackageWriter, WrittenPackage
from jobferry.services.context import WRITERS, Scope
from jobferry.services.documents import dump, load
from jobferry.storage import Tx
from jobferry.storage import environment as env_repo
from jobferry.storage import exports as repo
from jobferry.storage.exports import JobHead

ENVIRONMENT_KINDS = {k.value for k in EnvironmentKind}


@dataclass(frozen=True)
class ExportOptions:
    """What goes into a package, from DataArts' ExportJobReq plus jobferry's options."""

    export_depend: bool = True
    submitted: bool = False
    with_upstream: bool = False
    with_manifest: bool = True

    def as_json(self) -> dict[str, Any]:
        """The options as recorded in the manifest."""
        return {
            "exportDepend": self.export_depend,
            "exportStatus": "SUBMIT" if self.submitted else "DEVELOP",
            "withUpstream": self.with_upstream,
        }


def parse_options(body: dict[str, Any], *, default_manifest: bool) -> ExportOptions:
    """Read exportDepend/exportStatus/withUpstream/withManifest, refusing wrong types."""
    problems: list[str] = []

    def flag(key: str, default: bool) -> bool:
        value = body.get(key, default)
        if not isinstance(value, bool):
            problems.append(f"{key} must be true or false, not {value!r}")
            return default
        return value

    status = body.get("exportStatus", "DEVELOP")
    if status not in ("DEVELOP", "SUBMIT"):
        problems.append(f"exportStatus must be DEVELOP or SUBMIT, not {status!r}")
    options = ExportOptions(
        export_depend=flag("exportDepend", True),
        submitted=status == "SUBMIT",
        with_upstream=flag("withUpstream", False),
        with_manifest=flag("withManifest", default_manifest),
    )
    if problems:
        raise InvalidRequestError(f"The export request is invalid: {'; '.join(problems)}.")
    return options


@dataclass
class _Entry:
    path: str
    kind: str
    name: str
    object_id: str
    text: str


@dataclass
class _Plan:
    entries: list[_Entry] = field(default_factory=list)
    requires: set[tuple[str, str]] = field(default_factory=set)
    unresolved: list[dict[str, str]] = field(default_factory=list)
    newest: int = 0


def select_jobs(tx: Tx, scope: Scope, names: Iterable[str]) -> list[JobHead]:
    """The named jobs, or DLF.0100 naming every one that does not exist."""
    wanted = list(dict.fromkeys(names))
    heads = repo.job_heads(tx, scope.workspace.id, wanted)
    missing = sorted(set(wanted) - {h.name for h in heads})
    if missing:
        shown = ", ".join(f"'{m}'" for m in missing[:20])
        raise JobNotFoundError(
            f"The job does not exist: {shown} not found in workspace '{scope.workspace.name}'. "
            "Check the names (they are case-sensitive) and the workspace header.",
            missing=missing,
        )
    return heads


def add_upstream(
    tx: Tx, scope: Scope, heads: list[JobHead]
) -> tuple[list[JobHead], list[dict[str, str]]]:
    """Add every job the selection depends on through dependJobs, transitively."""
    edges = repo.dependency_edges(tx, scope.workspace.id)
    closure = upstream_closure([h.name for h in heads], edges)
    extra = closure - {h.name for h in heads}
    found = repo.job_heads(tx, scope.workspace.id, extra) if extra else []
    missing = sorted(extra - {h.name for h in found})
    unresolved = [
        {"kind": "job", "name": name, "reason": "upstream job not found"} for name in missing
    ]
    return heads + found, unresolved


def require_submitted(scope: Scope, heads: list[JobHead]) -> None:
    """Refuse exportStatus SUBMIT for jobs that were never submitted."""
    never = sorted(h.name for h in heads if h.latest_version is None)
    if never:
        raise InvalidRequestError(
            f"exportStatus SUBMIT needs a submitted version, but job(s) "
            f"{', '.join(repr(n) for n in never[:20])} in workspace '{scope.workspace.name}' were "
            "never submitted; submit them or export with exportStatus DEVELOP.",
            jobs=never,
        )


def _references(
    tx: Tx, heads: list[JobHead], texts: dict[int, str], submitted: bool
) -> dict[int, list[tuple[str, str, str]]]:
    if not submitted:
        return repo.references_of(tx, [h.id for h in heads])
    out: dict[int, list[tuple[str, str, str]]] = {}
    for head in heads:
        refs = distinct_references(job_references(load(texts[head.id])))
        out[head.id] = [(k.value, n, w or "") for k, n, w in refs]
    return out


def _plan(
    tx: Tx, scope: Scope, heads: list[JobHead], options: ExportOptions, layout: Layout
) -> _Plan:
    plan = _Plan()
    ids = [h.id for h in heads]
    texts = repo.job_documents(tx, heads, submitted=options.submitted)
    # Per-job references are needed for batch folders and for submitted versions (whose
    # references are read from the version itself); a flat package only needs the distinct set.
    per_job = layout is Layout.BATCH or options.submitted
    refs = _references(tx, heads, texts, options.submitted) if per_job else {}
    distinct = set().union(*refs.values()) if per_job else repo.distinct_references_of(tx, ids)
    for head in heads:
        plan.newest = max(plan.newest, head.updated_at)
        path = entry_path(layout, "job", head.name)
        plan.entries.append(_Entry(path, "job", head.name, str(head.id), texts[head.id]))
    wanted: dict[str, set[str]] = {"script": set(), "resource": set(), "cdm_job": set()}
    for kind, name, other_ws in distinct:
        if kind in ENVIRONMENT_KINDS:
            plan.requires.add((kind, name))
        if kind in wanted and not other_ws:
            wanted[kind].add(name)
    if not options.export_depend:
        return plan
    found = _dependencies(tx, scope, wanted, options.submitted)
    for _, text, _ in found["script"].values():
        for ref in script_references(load(text)):
            plan.requires.add((ref.kind.value, ref.name))
    for kind, names in wanted.items():
        missing = sorted(names - set(found[kind]))
        if per_job:
            users = {
                name: min((h.name for h in heads if (kind, name, "") in refs[h.id]), default="")
                for name in missing
            }
        else:
            users = repo.jobs_using(tx, ids, kind, missing)
        plan.unresolved += [
            {"kind": kind, "name": name, "job": users.get(name, ""), "reason": "not found"}
            for name in missing
        ]
        for _, _, at in found[kind].values():
            plan.newest = max(plan.newest, at)
    if layout is Layout.BATCH:
        for head in heads:
            for kind, name, other_ws in sorted(set(refs[head.id])):
                if kind in found and not other_ws and name in found[kind]:
                    object_id, text, _ = found[kind][name]
                    path = entry_path(layout, kind, name, head.name)
                    plan.entries.append(_Entry(path, kind, name, object_id, text))
    else:
        for kind, items in found.items():
            for name, (object_id, text, _) in items.items():
                plan.entries.append(
                    _Entry(entry_path(layout, kind, name), kind, name, object_id, text)
                )
    return plan


def _dependencies(
    tx: Tx, scope: Scope, wanted: dict[str, set[str]], submitted: bool
) -> dict[str, dict[str, tuple[str, str, int]]]:
    """kind → name → (object id, text, updated_at) of the scripts, resources, CDM jobs wanted."""
    ws = scope.workspace.id
    scripts = repo.script_definitions(tx, ws, wanted["script"], submitted=submitted)
    resources = repo.resource_definitions(tx, ws, wanted["resource"])
    cdm_jobs = repo.environment_definitions(tx, ws, RefKind.CDM_JOB.value, wanted["cdm_job"])
    return {
        "script": {n: (d.id, d.text, d.updated_at) for n, d in scripts.items()},
        "resource": {n: (d.id, d.text, d.updated_at) for n, d in resources.items()},
        "cdm_job": {
            n: (f"cdm_job:{n}", dump({"name": n, "type": t, "config": load(c)}), at)
            for n, (t, c, at) in cdm_jobs.items()
        },
    }


def write_package(
    tx: Tx,
    scope: Scope,
    heads: list[JobHead],
    options: ExportOptions,
    layout: Layout,
    out: IO[bytes],
    extra_unresolved: list[dict[str, str]] | None = None,
    signer: Callable[[bytes], bytes] | None = None,
) -> WrittenPackage:
    """Write the package of ``heads`` into ``out`` (signed when ``signer`` is given)."""
    scope.require(WRITERS, "export jobs")
    if options.submitted:
        require_submitted(scope, heads)
    plan = _plan(tx, scope, heads, options, layout)
    header = None
    if options.with_manifest:
        header = ManifestHeader(
            producer_version=jobferry.__version__,
            project_id=scope.actor.project_id,
            workspace_id=scope.workspace.id,
            workspace_name=scope.workspace.name,
            created_at_ms=plan.newest,
            options=options.as_json() | {"layout": layout.value},
            requires=_requirements(tx, scope, plan.requires),
            unresolved=plan.unresolved + (extra_unresolved or []),
        )
    writer = PackageWriter(out, header, signer)
    for entry in sorted(plan.entries, key=lambda e: e.path):
        writer.add(entry.path, entry.kind, entry.name, entry.object_id, entry.text.encode())
    return writer.close()


def _requirements(tx: Tx, scope: Scope, needed: set[tuple[str, str]]) -> list[Requirement]:
    """What the package needs, with type and secret NAMES for connections registered here."""
    connections = {}
    if any(kind == RefKind.CONNECTION.value for kind, _ in needed):
        connections = {
            o.name: o
            for o in env_repo.list_objects(tx, scope.workspace.id, RefKind.CONNECTION.value)
        }
    out = []
    for kind, name in sorted(needed):
        known = connections.get(name) if kind == RefKind.CONNECTION.value else None
        if known is None:
            out.append(Requirement(kind, name))
        else:
            out.append(Requirement(kind, name, known.type, tuple(sorted(known.secret_keys))))
    return out


def check_name_list(tx: Tx, scope: Scope, names: list[str], cap: int) -> dict[str, Any]:
    """Which pasted names match a job of the workspace, with a reason for each that does not."""
    cleaned = [n.strip() for n in names if isinstance(n, str) and n.strip()]
    if len(cleaned) > cap:
        raise InvalidRequestError(
            f"The request parameter is invalid: {len(cleaned)} names given, at most {cap} may be "
            "exported by name at once; split the list.",
            cap=cap,
        )
    if not cleaned:
        raise InvalidRequestError("The request parameter is invalid: the name list is empty.")
    unique = list(dict.fromkeys(cleaned))
    heads = repo.job_heads(tx, scope.workspace.id)
    existing = {h.name for h in heads}
    folded: dict[str, str] = {}
    for name in existing:
        folded.setdefault(name.casefold(), name)
    matched, unmatched = [], []
    for name in unique:
        if name in existing:
            matched.append(name)
            continue
        problem = check_object_name(name, "job name")
        if problem:
            reason = problem
        elif name.casefold() in folded:
            reason = (
                f"no job '{name}'; names are case-sensitive — did you mean "
                f"'{folded[name.casefold()]}'?"
            )
        else:
            reason = f"no job '{name}' in workspace '{scope.workspace.name}'"
        unmatched.append({"name": name, "reason": reason})
    counts = Counter(cleaned)
    duplicates = sorted(n for n, c in counts.items() if c > 1)
    return {
        "total": len(unique),
        "matched": matched,
        "unmatched": unmatched,
        "duplicates": duplicates,
        "cap": cap,
    }
