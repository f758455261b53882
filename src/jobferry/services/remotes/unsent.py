"""What a push could not send: the shadow brought to what the remote holds after the push.

A job's ``description`` cannot reach a remote (:data:`~.calls.UNSENT_FIELDS`: ``JobInfo``, the
body of ``create_job`` and ``update_job``, has no field for it, and an update may clear the one
a job has: DataArts documents neither), yet the import into the shadow wrote the package's. In
the transaction that ends the push, :func:`hold_as_remote` puts into
each touched job of the shadow the unsent fields as the remote answers them after the writes
(its re-read), and the promotion ledger's rows of those jobs with them (a push's rollback
too: its inverse calls cannot carry the description the shadow puts back). A push's own
import's record follows: its change records (which its rollback checks: the description the
remote never got is no edit made since) and the versions it submitted (the remote keeps as
submitted the body it was sent, which a refresh reads: no newer version). The shadow holds what
the remote holds (a refresh, which exports only the jobs whose list entry changed, would not
correct it), and the next drift report does not take jobferry's own push for a change made in
DataArts. A plan into the shadow warns beforehand of each job whose description the remote
may not hold (:func:`descriptions_lost`)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from jobferry.domain.enums import ObjectKind, TargetStatus
from jobferry.domain.fieldpaths import parse_field_path
from jobferry.services.context import now_ms
from jobferry.services.definitions.documents import dump, load
from jobferry.services.importing.changes import TaskEnd
from jobferry.services.importing.ending import recount_versions
from jobferry.services.importing.model import WRITES, Record
from jobferry.services.remotes.calls import UNSENT_FIELDS
from jobferry.services.remotes.reading import RemoteState
from jobferry.storage import Tx
from jobferry.storage import jobs as job_repo
from jobferry.storage import tasks as task_repo
from jobferry.storage.importing import ledger as ledger_repo
from jobferry.storage.importing import rollbacks as rollback_repo
from jobferry.storage.importing import target as target_repo
from jobferry.storage.importing.target import TargetObject
from jobferry.storage.records import VersionRecord
from jobferry.storage.rows import JobRow, Stamp

SUBMITTING = frozenset({"create_job", "update_job"})
"""The calls after which the remote holds the job's definition as a new submitted version."""
SUBTASK_PAGE = 500
"""Subtasks read at a time when the push's end rewrites some."""
TakenBack = dict[str, tuple[int, int | None]]
"""Job name → (the version its push's import submitted, which the push's end took back; the
version that stands instead, ``None``: none) of the jobs no call submitted."""


@dataclass(frozen=True)
class Submitted:
    """How the push's end set the versions of its import's jobs as the remote submitted them."""

    taken_back: TakenBack
    """The versions the import made of jobs no call submitted, taken back."""
    made: int = 0
    """The versions given to jobs the import wrote without one and a call submitted (a
    reference rewritten for a rename: ``update_job`` submits)."""

    @property
    def counted(self) -> int:
        """How many more versions the push submitted than its import counted (or fewer)."""
        return self.made - len(self.taken_back)


Versions = dict[str, tuple[int | None, int | None]]
"""Object id → (version before, version after) an import, of the objects it changed."""
UNSENT_JOB_FIELDS = sorted(UNSENT_FIELDS["create_job"] | UNSENT_FIELDS["update_job"])
"""The fields of a job no call of the push carries."""
KEPT_JOB_FIELDS = tuple(parse_field_path(name) for name in UNSENT_JOB_FIELDS)
"""Those fields as a plan into the shadow keeps them: as the remote holds them, as it does a
profile's target-owned fields (a job differing from the remote only there is unchanged)."""


def descriptions_lost(records: Sequence[Record]) -> list[str]:
    """The jobs among the planned ``records`` whose description the push cannot carry: each
    job it creates or updates with a description, and each whose package's description the
    plan left as the remote holds it (:data:`KEPT_JOB_FIELDS`). A created job has none in the
    remote; an updated one may lose the one it has there (DataArts documents no
    ``description`` in the body of ``update_job`` and not whether the call keeps or clears it:
    the conservative reading, docs/remotes.md), so a description left as it is is not safe
    either."""
    return [record.name for record in records if _lost(record)]


def _lost(record: Record) -> bool:
    if record.kind != ObjectKind.JOB:
        return False
    if any(path in UNSENT_JOB_FIELDS for path in record.kept):
        return True
    if record.action not in WRITES or not record.text:
        return False
    return any(load(record.text).get(name) for name in UNSENT_JOB_FIELDS)


def as_remote(doc: dict[str, Any], remote: dict[str, Any]) -> dict[str, Any]:
    """``doc`` with the unsent fields as ``remote`` holds them (absent there: absent)."""
    held = {k: v for k, v in doc.items() if k not in UNSENT_JOB_FIELDS}
    held.update((k, remote[k]) for k in UNSENT_JOB_FIELDS if k in remote)
    return held


def hold_as_remote(
    tx: Tx,
    ws: str,
    by: str,
    after: RemoteState,
    task_id: str | None = None,
    sent: Sequence[str] = (),
) -> Submitted:
    """Bring the jobs of the shadow ``ws`` a push (or its rollback, by ``by``) wrote to the
    unsent fields the remote holds (read after the writes), with their ledger rows and, for a
    push (its import's ``task_id``, the jobs ``sent`` with ``create_job`` or ``update_job``),
    that import's record of them; the versions of the import's taken back (none for a
    rollback)."""
    read = after.docs.get(ObjectKind.JOB.value, {})
    found = target_repo.target_jobs(tx, ws, sorted(read))
    changed: dict[str, tuple[int, str, str]] = {}
    stamp = Stamp(now_ms(), by)
    for name, job in sorted(found.items()):
        doc = load(job.document)
        held = as_remote(doc, read[name])
        if held == doc:
            continue
        text = dump(held)
        job_repo.update_job(tx, int(job.id), JobRow.of(held, text, job.latest_version), stamp)
        changed[job.uid] = (int(job.id), text, name)
    _ledger(tx, ws, changed)
    if task_id is not None:
        ids = [str(job.id) for job in found.values()]
        end = _PushEnd(
            tx,
            ws,
            task_id,
            {name: text for _, text, name in changed.values()},
            found,
            rollback_repo.versions_of(tx, ws, task_id, ids),
            set(sent),
        )
        _left(end, read)
        return _submitted(end, stamp)
    return Submitted({})


def _ledger(tx: Tx, ws: str, changed: dict[str, tuple[int, str, str]]) -> None:
    """The ledger rows pointing at the jobs changed say they were written as they are now."""
    rows = ledger_repo.ledger_by_target(tx, ws, ObjectKind.JOB.value, sorted(changed))
    fixed = []
    for uid, row in rows.items():
        text = changed[uid][1]
        sha = hashlib.sha256(text.encode()).hexdigest()
        fixed.append(row._replace(written=text, written_sha256=sha))
    ledger_repo.put_ledger(tx, ws, fixed)


@dataclass(frozen=True)
class _PushEnd:
    """What the end of a push knows of its import's jobs."""

    tx: Tx
    ws: str
    task_id: str
    texts: dict[str, str]
    """Name → the definition now, of the jobs brought to the remote's unsent fields."""
    found: dict[str, TargetObject]
    """The shadow's jobs the push wrote, by name."""
    versions: Versions
    sent: set[str]
    """The jobs sent with ``create_job`` or ``update_job``."""


def _left(end: _PushEnd, read: dict[str, Any]) -> None:
    """The push's import left the jobs ``texts`` names as they are now: its change records
    say so (its rollback would otherwise take the description the remote never got for an edit
    made since), and a version it submitted of a job ``sent`` holds what the remote keeps as
    submitted (the sent body), not the package's description. Only a version the import made
    is rewritten: an earlier one holds what the remote held as submitted then (and one of a job
    not sent is taken back, :func:`_submitted`)."""
    texts = end.texts
    ids = {name: str(end.found[name].id) for name in texts}
    hashes = {ids[name]: hashlib.sha256(text.encode()).hexdigest() for name, text in texts.items()}
    rollback_repo.left_as(end.tx, end.ws, end.task_id, hashes)
    sent = sorted(name for name in texts if name in end.sent)
    heads = job_repo.submitted_heads(end.tx, end.ws, sent)
    documents: list[tuple[int, int, str]] = []
    for name, head in sorted(heads.items()):
        before, made = end.versions.get(ids[name], (None, None))
        if made is None or made == before or head.latest_version != made or not head.document:
            continue  # no version of the import's, or one made since
        doc = load(head.document)
        held = as_remote(doc, read[name])
        if held != doc:
            documents.append((head.job_id, made, dump(held)))
    job_repo.set_version_documents(end.tx, documents)


def _submitted(end: _PushEnd, stamp: Stamp) -> Submitted:
    """A remote submits every job a push creates or updates (``sent``; no review switch: the
    save submits), and no other: of those sent the import wrote without a new version (a
    reference rewritten for a rename), the shadow keeps the one the remote made; of the others
    the import gave a new version (a job only renamed, or one that differs from the remote only
    in its description: no call, or the v2 rename call, which submits nothing), the shadow
    drops it, the remote's latest submitted version (the one before) its latest again. The
    import's change record says what it left (its rollback trims back to it), so that a
    refresh finds none newer (the remote's is compared but for its name, :mod:`.submitted`)."""
    versions, sent = end.versions, end.sent
    job_ids: list[int] = []
    made: list[VersionRecord] = []
    taken_back: list[tuple[int, int, int | None]] = []
    told: TakenBack = {}
    left: dict[str, int | None] = {}
    for job in end.found.values():
        if str(job.id) not in versions:
            continue  # no change of the import's
        before, after = versions[str(job.id)]
        if job.name in sent and after == before:
            number = (job.latest_version or 0) + 1
            text = end.texts.get(job.name, job.document)
            job_ids.append(int(job.id))
            made.append(
                VersionRecord(number, TargetStatus.SUBMITTED.value, text, stamp.at, stamp.by)
            )
            left[str(job.id)] = number
        elif job.name not in sent and after not in (None, before) and job.latest_version == after:
            taken_back.append((int(job.id), after, before))
            told[job.name] = (after, before)
            left[str(job.id)] = before
    job_repo.add_versions(end.tx, job_ids, made)
    job_repo.take_back_versions(end.tx, taken_back)
    rollback_repo.set_after_versions(end.tx, end.ws, end.task_id, left)
    return Submitted(told, len(made))


def tell_submitted(tx: Tx, end: TaskEnd, remote: str, submitted: Submitted) -> TaskEnd:
    """The push's task as it ends once its versions are as the remote submitted them: the
    subtask of each job whose version was taken back no longer says it submitted one (it says
    which version stands), and the task's message and ``versionsCreated`` count the versions
    the remote submitted. Only the import's subtasks are read (a page at a time), and only
    when a version was taken back."""
    taken = submitted.taken_back
    message, result = recount_versions(end.message, end.result, submitted.counted)
    end = replace(end, message=message, result=result)
    if not taken:
        return end
    after = 0
    while page := task_repo.subtask_rows(tx, end.task_id, after, SUBTASK_PAGE):
        rows = []
        for seq, line in page:
            sub = load(line)
            name, kind = str(sub.get("id", "")).partition(":")[2], sub.get("kind")
            if kind == ObjectKind.JOB and name in taken:
                sub["message"] = _untold(str(sub.get("message", "")), remote, *taken[name])
                rows.append((seq, dump(sub)))
        task_repo.rewrite_subtasks(tx, end.task_id, rows)
        after = page[-1][0]
    return end


def _untold(message: str, remote: str, made: int, standing: int | None) -> str:
    """A job's subtask message without the version its import submitted and the push took
    back."""
    kept = message.removesuffix(f"; submitted version {made}.")
    latest = "it has none" if standing is None else f"version {standing} stays its latest"
    return f"{kept}; no version submitted: remote '{remote}' submitted none of it, {latest}."
