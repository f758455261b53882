"""What a push would refuse, said by the plan into a remote's shadow as its problems, so that
``plan`` tells the user before any apply (the push keeps its own refusal, :mod:`.push`).

- **Not all or nothing**: a remote is written all or nothing (the push undoes every call when
  one fails), so an import into its shadow must be ATOMIC; a PER_OBJECT one is a problem of
  the whole package.
- **Names swapped**: DataArts' public API renames one job at a time, and a job cannot take a
  name another job still holds; renames that give each other's names away in one import (A to
  B and B to A, or a longer ring) are a problem of each such rename.
"""

from __future__ import annotations

from jobferry.domain.enums import ImportMode, ProblemReason
from jobferry.services.importing.delivery import Found
from jobferry.services.importing.model import Problem, Record
from jobferry.services.importing.request import ImportRequest
from jobferry.storage.importing.workset import Workset


def plan_problems(remote: str, request: ImportRequest, workset: Workset, package: str) -> Found:
    """The problems of a plan (in ``workset``) whose push into ``remote`` would be refused."""
    found = Found(objects=swapped_names(remote, workset))
    if request.mode is not ImportMode.ATOMIC:
        found.package.append(
            Problem(
                ProblemReason.REMOTE,
                "package",
                package,
                f"remote '{remote}' is written all or nothing (a push that fails midway is "
                f"undone whole), so an import into its shadow cannot be {request.mode}",
                "import with mode ATOMIC",
            )
        )
    return found


def swapped_names(remote: str, workset: Workset) -> list[tuple[int, Problem]]:
    """(seq, problem) of each rename to a name another object of the plan gives up."""
    seqs = workset.renames()
    if not seqs:
        return []
    records = workset.records(seqs)
    renames = {seq: Record.unpacked(records[seq][0]) for seq in seqs}
    olds = {(r.kind, r.previous_name): r.name for r in renames.values() if r.previous_name}
    found = []
    for seq, record in renames.items():
        gives_up = olds.get((record.kind, record.name))
        if gives_up is None:
            continue
        found.append(
            (
                seq,
                Problem(
                    ProblemReason.REMOTE,
                    record.kind,
                    record.name,
                    f"the rename of {record.kind} '{record.previous_name}' to '{record.name}' "
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
