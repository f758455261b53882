"""Which jobs an export holds: named, from a checked name list, or the workspace's."""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from jobferry.domain.enums import ObjectKind, RefKind
from jobferry.domain.graph import upstream_closure
from jobferry.domain.names import check_object_name
from jobferry.domain.references import job_references
from jobferry.domain.remedies import Remedy
from jobferry.errors import InvalidRequestError, JobNotFoundError
from jobferry.package.layout import Layout, entry_path
from jobferry.services.context import Scope
from jobferry.services.definitions.documents import load
from jobferry.services.definitions.lookup import nearest_name
from jobferry.services.exporting.fates import job_fates
from jobferry.storage import Tx
from jobferry.storage import exports as repo
from jobferry.storage.exports import JobHead
from jobferry.storage.nearby import job_names_alike

BATCH = 500
"""Jobs read (and their entries compressed) together."""
SAMPLE = 200
"""How many job names the download center keeps of a selection."""


@dataclass(frozen=True)
class Selection:
    """The jobs of a package in the order of their entries, held as ids only.

    Eight bytes a job: a 100,000-job selection is 0.8 MB, where the heads it is ordered from
    are about 15 MB and would otherwise stay alive while the whole package is written.
    """

    layout: Layout
    ids: array[int]
    sample: list[str]
    """The first names in entry order (what the download center shows of the selection)."""
    unresolved: list[dict[str, str]] = field(default_factory=list)
    """Upstream jobs the selection depends on but the workspace lacks."""

    def __len__(self) -> int:
        return len(self.ids)

    def batches(self) -> Iterator[Sequence[int]]:
        """The ids, ``BATCH`` at a time, in entry order."""
        for start in range(0, len(self.ids), BATCH):
            yield self.ids[start : start + BATCH]


def ordered(
    heads: list[JobHead], layout: Layout, unresolved: list[dict[str, str]] | None = None
) -> Selection:
    """The selection of ``heads`` in the order their entries take in a ``layout`` package (a
    name order differs: 'a-b.job' < 'a.job'); ``heads`` is sorted in place."""
    if layout is Layout.BATCH:
        heads.sort(key=lambda h: h.name + "/")
    else:
        heads.sort(key=lambda h: entry_path(Layout.SINGLE, ObjectKind.JOB, h.name))
    ids = array("q", (h.id for h in heads))
    return Selection(layout, ids, [h.name for h in heads[:SAMPLE]], unresolved or [])


def check_batch_size(names: list[str], cap: int) -> list[str]:
    """A batch export's ``jobList``, refused when it names more than ``cap`` jobs."""
    if len(names) > cap:
        raise InvalidRequestError(
            f"The request parameter is invalid: {len(names)} jobs named, at most {cap} may be "
            "exported at once.",
            fix="Split jobList or export by name list (POST /v1/{project_id}/exports).",
            remedy=Remedy.EXPORT_IN_BACKGROUND,
            parameter="jobList",
            cap=cap,
        )
    return names


def select_jobs(tx: Tx, scope: Scope, names: Iterable[str]) -> list[JobHead]:
    """The named jobs, or DLF.0100 naming every one that does not exist."""
    wanted = list(dict.fromkeys(names))
    heads = repo.job_heads(tx, scope.workspace.id, wanted)
    missing = sorted(set(wanted) - {h.name for h in heads})
    if missing:
        fates = job_fates(tx, scope.workspace.id, missing[:20])
        shown = ", ".join(_missing_said(tx, scope, m, fates) for m in missing[:20])
        shown += f" and {len(missing) - 20} more" if len(missing) > 20 else ""
        raise JobNotFoundError(
            f"The job does not exist: {shown} not found in workspace '{scope.workspace.name}'. "
            "Check the names (they are case-sensitive) and the workspace.",
            missing=missing,
        )
    return heads


def _missing_said(tx: Tx, scope: Scope, name: str, fates: dict[str, str]) -> str:
    """A job asked for that the workspace does not hold, with what became of it (deleted,
    renamed) or else the nearest name it holds, when one is near."""
    if name in fates:
        return f"'{name}' ({fates[name]})"
    near = nearest_name(tx, job_names_alike, scope.workspace.id, name)
    return f"'{name}' (did you mean '{near}'?)" if near else f"'{name}'"


def workspace_jobs(tx: Tx, scope: Scope, since: int | None, cap: int) -> list[JobHead]:
    """Every job of the workspace, or those changed since ``since``; at most ``cap`` (0: any)."""
    heads = repo.job_heads(tx, scope.workspace.id)
    if since is not None:
        changed = repo.changed_job_names(tx, scope.workspace.id, since)
        heads = [h for h in heads if h.name in changed]
    if cap and len(heads) > cap:
        raise InvalidRequestError(
            f"The export of workspace '{scope.workspace.name}' would hold {len(heads)} jobs, "
            f"over the cap of {cap} jobs a workspace export may hold "
            "(JOBFERRY_EXPORT_WORKSPACE_MAX_JOBS).",
            fix="Export only the jobs changed since a moment, or by a list of names, or have "
            "the operator raise the cap.",
            cap=cap,
            jobs=len(heads),
        )
    return heads


def add_upstream(
    tx: Tx, scope: Scope, heads: list[JobHead], *, submitted: bool = False
) -> tuple[list[JobHead], list[dict[str, str]]]:
    """Add every job the selection depends on through dependJobs, transitively: as their
    development states say, or (``submitted``) as their latest submitted versions say, which
    is what the package then holds."""
    if submitted:
        closure = _submitted_closure(tx, scope, heads)
    else:
        edges = repo.dependency_edges(tx, scope.workspace.id)
        closure = upstream_closure([h.name for h in heads], edges)
    extra = closure - {h.name for h in heads}
    found = repo.job_heads(tx, scope.workspace.id, extra) if extra else []
    missing = sorted(extra - {h.name for h in found})
    unresolved = [
        {"kind": ObjectKind.JOB, "name": name, "reason": "upstream job not found"}
        for name in missing
    ]
    return heads + found, unresolved


CLOSURE_BATCH = 500
"""Jobs whose submitted versions the upstream walk reads at a time: memory stays flat however
many jobs an export of submitted versions selects."""


def _submitted_closure(tx: Tx, scope: Scope, heads: list[JobHead]) -> set[str]:
    """The names of ``heads`` and of every job their latest submitted versions depend on in
    the workspace, transitively (a job never submitted adds nothing: it is refused later)."""
    seen = {h.name for h in heads}
    pending = [h for h in heads if h.latest_version is not None]
    while pending:
        new = _upstream_of_versions(tx, pending) - seen
        seen |= new
        pending = [h for h in repo.job_heads(tx, scope.workspace.id, new) if h.latest_version]
    return seen


def _upstream_of_versions(tx: Tx, heads: list[JobHead]) -> set[str]:
    """The jobs of the workspace the latest submitted versions of ``heads`` depend on, read
    :data:`CLOSURE_BATCH` versions at a time."""
    upstream: set[str] = set()
    for start in range(0, len(heads), CLOSURE_BATCH):
        ids = [h.id for h in heads[start : start + CLOSURE_BATCH]]
        for entry in repo.job_entries(tx, ids, submitted=True).values():
            refs = job_references(load(entry.text))
            upstream.update(r.name for r in refs if r.kind is RefKind.JOB and not r.workspace)
    return upstream


def require_submitted(scope: Scope, heads: Iterable[JobHead]) -> None:
    """Refuse exportStatus SUBMIT for jobs that were never submitted."""
    never = sorted(h.name for h in heads if h.latest_version is None)
    if never:
        raise InvalidRequestError(
            "Exporting the submitted versions needs a submitted version, but job(s) "
            f"{', '.join(repr(n) for n in never[:20])} in workspace '{scope.workspace.name}' were "
            "never submitted.",
            fix="Export their development states (exportStatus DEVELOP), or submit a version of "
            "each first.",
            remedy=Remedy.EXPORT_DEVELOPMENT,
            jobs=never,
        )


@dataclass(frozen=True)
class UnmatchedName:
    """A pasted name that matches no job, and why."""

    name: str
    reason: str


@dataclass(frozen=True)
class NameCheck:
    """Which names of a pasted list match a job of the workspace: each name once, in the order
    pasted; ``duplicates`` were pasted more than once; ``cap`` is the most accepted at once."""

    total: int
    matched: list[str]
    unmatched: list[UnmatchedName]
    duplicates: list[str]
    cap: int


def check_name_list(tx: Tx, scope: Scope, names: list[str], cap: int) -> NameCheck:
    """Which pasted names match a job of the workspace, with a reason for each that does not."""
    cleaned = [n.strip() for n in names if isinstance(n, str) and n.strip()]
    unique = list(dict.fromkeys(cleaned))  # a name pasted twice counts once (and is said so)
    if len(unique) > cap:
        raise InvalidRequestError(
            f"The request parameter is invalid: {len(unique)} names given, at most {cap} may be "
            "exported by name at once; split the list.",
            cap=cap,
        )
    if not unique:
        raise InvalidRequestError(
            "The request parameter is invalid: the name list is empty.",
            fix="Give at least one job name.",
        )
    existing = {h.name for h in repo.job_heads(tx, scope.workspace.id)}
    folded: dict[str, str] = {}
    for name in sorted(existing):  # a case slip matching two names suggests the first, always
        folded.setdefault(name.casefold(), name)
    matched: list[str] = []
    unmatched: list[UnmatchedName] = []
    for name in unique:
        if name in existing:
            matched.append(name)
        else:
            unmatched.append(UnmatchedName(name, _unmatched_reason(scope, name, folded)))
    fates = job_fates(tx, scope.workspace.id, [u.name for u in unmatched])
    unmatched = [
        UnmatchedName(u.name, _fate_reason(scope, u.name, fates[u.name])) if u.name in fates else u
        for u in unmatched
    ]
    counts = Counter(cleaned)
    duplicates = sorted(n for n, c in counts.items() if c > 1)
    return NameCheck(len(unique), matched, unmatched, duplicates, cap)


def _fate_reason(scope: Scope, name: str, fate: str) -> str:
    """Why a pasted name of a job renamed or deleted since matches no job."""
    where = f"in workspace '{scope.workspace.name}'"
    if fate.startswith("renamed to ") and ", deleted on " not in fate:
        new = fate.removeprefix("renamed to ").split(" on ", 1)[0]
        return f"job '{name}' was {fate} {where}; export it as '{new}'"
    return f"job '{name}' was {fate} {where}"


def _unmatched_reason(scope: Scope, name: str, folded: dict[str, str]) -> str:
    """Why a pasted name matches no job: not a legal name, a case slip, or simply absent."""
    problem = check_object_name(name, "job name")
    if problem:
        return problem
    if name.casefold() in folded:
        return (
            f"no job '{name}'; names are case-sensitive — did you mean '{folded[name.casefold()]}'?"
        )
    return f"no job '{name}' in workspace '{scope.workspace.name}'"
