"""What a push would refuse, said by the plan into a remote's shadow as its problems, so that
``plan`` tells the user before any apply (the push keeps its own refusal, :mod:`.push`).

- **Not all or nothing**: a remote is written all or nothing (the push undoes every call when
  one fails), so an import into its shadow must be ATOMIC; a PER_OBJECT one is a problem of
  the whole package.
- **Saved only**: DataArts' job calls carry no target status (without the review switch a save
  submits: docs/remotes.md), so every job a push writes is a submitted version in the remote,
  and one it schedules runs it; an import into the shadow with ``targetStatus`` SAVED, which
  would keep the shadow's jobs saved and not submitted, is a problem of the whole package.
- **A script or resource renamed**: DataArts' public API renames only jobs (the v2 rename
  call). ``update_script`` addresses a script by its name, and a body naming another is no
  rename; ``update_resource`` addresses a resource by its id and takes a new name in its body,
  but refuses it while jobs use the old name (as this server does; DataArts documents no
  more), and a rename's jobs do until their own update, later in the push: neither can be
  given all or nothing. Each such rename is a problem of its object.
- **Names swapped**: DataArts' public API renames one job at a time, and a job cannot take a
  name another job still holds; renames that give each other's names away in one import (A to
  B and B to A, or a longer ring) are a problem of each such rename.
"""

from __future__ import annotations

from jobferry.domain.enums import ImportMode, ObjectKind, ProblemReason, PushRule, TargetStatus
from jobferry.services.importing.delivery import Found
from jobferry.services.importing.model import Problem, Record
from jobferry.services.importing.request import ImportRequest
from jobferry.storage.importing.workset import Workset


def plan_problems(remote: str, request: ImportRequest, workset: Workset, package: str) -> Found:
    """The problems of a plan (in ``workset``) whose push into ``remote`` would be refused."""
    renames = _renames(workset)
    found = Found(objects=[*not_renamable(remote, renames), *swapped_names(remote, renames)])
    if request.mode is not ImportMode.ATOMIC:
        found.package.append(
            Problem(
                ProblemReason.REMOTE,
                "package",
                package,
                f"remote '{remote}' is written all or nothing (a push that fails midway is "
                f"undone whole), so an import into its shadow cannot be {request.mode}",
                "import with mode ATOMIC",
                rule=PushRule.ATOMIC,
            )
        )
    if request.target_status is TargetStatus.SAVED:
        found.package.append(
            Problem(
                ProblemReason.REMOTE,
                "package",
                package,
                f"remote '{remote}' submits every job a push writes (DataArts' job calls carry "
                "no target status: without the review switch a save submits, and a scheduled "
                "job runs the new version), so an import into its shadow cannot keep them "
                "saved and not submitted",
                "import with targetStatus SUBMITTED (the default)",
                rule=PushRule.SUBMITS,
            )
        )
    return found


def _renames(workset: Workset) -> dict[int, Record]:
    """The plan's renames by seq."""
    seqs = workset.renames()
    if not seqs:
        return {}
    records = workset.records(seqs)
    return {seq: Record.unpacked(records[seq][0]) for seq in seqs}


def not_renamable(remote: str, renames: dict[int, Record]) -> list[tuple[int, Problem]]:
    """(seq, problem) of each rename of a script or a resource, which no published call of
    DataArts' API carries into ``remote`` with the push's jobs (the module's docstring)."""
    return [
        (
            seq,
            _rename_problem(
                record,
                f"cannot be pushed: DataArts' public API renames only jobs, so remote "
                f"'{remote}' cannot be given a {record.kind}'s new name",
                f"rename {record.kind} '{record.previous_name}' to '{record.name}' in DataArts "
                "yourself, refresh the remote and plan again; or keep its old name in the "
                "source",
            ),
        )
        for seq, record in renames.items()
        if record.kind != ObjectKind.JOB
    ]


def swapped_names(remote: str, renames: dict[int, Record]) -> list[tuple[int, Problem]]:
    """(seq, problem) of each rename of a job to a name another job of the plan gives up."""
    renames = {seq: r for seq, r in renames.items() if r.kind == ObjectKind.JOB}
    olds = {(r.kind, r.previous_name): r.name for r in renames.values() if r.previous_name}
    found = []
    for seq, record in renames.items():
        gives_up = olds.get((record.kind, record.name))
        if gives_up is None:
            continue
        found.append(
            (
                seq,
                _rename_problem(
                    record,
                    f"takes the name {record.kind} '{record.name}' gives up in the same import "
                    f"(it becomes '{gives_up}'); DataArts' public API renames one object at a "
                    f"time, so remote '{remote}' cannot be given both",
                    "push the renames one import at a time: rename one of them in the source to "
                    "a name no object holds, export and import; then give it its final name and "
                    "import again",
                ),
            )
        )
    return found


def _rename_problem(record: Record, why: str, fix: str) -> Problem:
    """The problem of a rename a push would refuse: ``why``, after the rename it names."""
    return Problem(
        ProblemReason.REMOTE,
        record.kind,
        record.name,
        f"the rename of {record.kind} '{record.previous_name}' to '{record.name}' {why}",
        fix,
    )
