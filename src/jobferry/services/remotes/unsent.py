"""What a push could not send: the shadow brought to what the remote holds after the push.

A job's ``description`` cannot reach a remote (:data:`~.calls.UNSENT_FIELDS`: ``JobInfo``, the
body of ``create_job`` and ``update_job``, has no field for it), yet the import into the shadow
wrote the package's. In the transaction that ends the push, :func:`hold_as_remote` puts into
each touched job of the shadow the unsent fields as the remote answers them after the writes
(its re-read), and the promotion ledger's rows of those jobs with them (a push's rollback
too: its inverse calls cannot carry the description the shadow puts back). A push's own
import's record follows: its change records (which its rollback checks: the description the
remote never got is no edit made since) and the versions it submitted (the remote keeps as
submitted the body it was sent, which a refresh reads: no newer version). The shadow holds what
the remote holds (a refresh, which exports only the jobs whose list entry changed, would not
correct it), and the next drift report does not take jobferry's own push for a change made in
DataArts. A plan into the shadow warns beforehand of each job whose description the remote
will not get (:func:`descriptions_lost`)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import orjson

from jobferry.domain.enums import ObjectKind, PlanAction
from jobferry.services.context import now_ms
from jobferry.services.definitions.documents import dump, load
from jobferry.services.importing.model import WRITES, Record
from jobferry.services.remotes.calls import UNSENT_FIELDS
from jobferry.services.remotes.reading import RemoteState
from jobferry.storage import Tx
from jobferry.storage import jobs as job_repo
from jobferry.storage.importing import ledger as ledger_repo
from jobferry.storage.importing import rollbacks as rollback_repo
from jobferry.storage.importing import target as target_repo
from jobferry.storage.rows import JobRow, Stamp

UNSENT_JOB_FIELDS = sorted(UNSENT_FIELDS["create_job"] | UNSENT_FIELDS["update_job"])
"""The fields of a job no call of the push carries."""


def descriptions_lost(records: Sequence[Record]) -> list[str]:
    """The jobs among the planned ``records`` whose description the push cannot carry: one it
    creates with a description, or one whose description it changes (the remote keeps its
    own)."""
    lost = []
    for record in records:
        if record.kind != ObjectKind.JOB or record.action not in WRITES or not record.text:
            continue
        if record.action == PlanAction.CREATE:
            if any(load(record.text).get(name) for name in UNSENT_JOB_FIELDS):
                lost.append(record.name)
            continue
        changes = orjson.loads(record.diff or b"[]")
        if any(_unsent_change(change) for change in changes):
            lost.append(record.name)
    return lost


def _unsent_change(change: dict[str, Any]) -> bool:
    """Whether a field change of a plan gives an unsent field a value."""
    field = str(change.get("path", "")).split(".")[0].split("[")[0]
    return field in UNSENT_JOB_FIELDS and bool(change.get("after"))


def as_remote(doc: dict[str, Any], remote: dict[str, Any]) -> dict[str, Any]:
    """``doc`` with the unsent fields as ``remote`` holds them (absent there: absent)."""
    held = {k: v for k, v in doc.items() if k not in UNSENT_JOB_FIELDS}
    held.update((k, remote[k]) for k in UNSENT_JOB_FIELDS if k in remote)
    return held


def hold_as_remote(
    tx: Tx, ws: str, by: str, after: RemoteState, task_id: str | None = None
) -> list[str]:
    """Bring the jobs of the shadow ``ws`` a push (or its rollback, by ``by``) wrote to the
    unsent fields the remote holds (read after the writes), with their ledger rows and, for a
    push (its import's ``task_id``), that import's record of them; the names of those
    changed."""
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
        _left(tx, task_id, read, changed)
    return sorted(name for _, _, name in changed.values())


def _ledger(tx: Tx, ws: str, changed: dict[str, tuple[int, str, str]]) -> None:
    """The ledger rows pointing at the jobs changed say they were written as they are now."""
    rows = ledger_repo.ledger_by_target(tx, ws, ObjectKind.JOB.value, sorted(changed))
    fixed = []
    for uid, row in rows.items():
        text = changed[uid][1]
        sha = hashlib.sha256(text.encode()).hexdigest()
        fixed.append(row._replace(written=text, written_sha256=sha))
    ledger_repo.put_ledger(tx, ws, fixed)


def _left(
    tx: Tx, task_id: str, read: dict[str, Any], changed: dict[str, tuple[int, str, str]]
) -> None:
    """The push's import left the jobs changed as they are now: its change records say so
    (their rollback would otherwise take the description the remote never got for an edit
    made since), and a version it submitted holds what the remote keeps as submitted (the
    sent body), not the package's description: a refresh then reads that version unchanged,
    rather than storing the remote's as a newer one. Only a version the import made is
    rewritten: an earlier one holds what the remote held as submitted then."""
    texts = {str(job_id): (text, name) for job_id, text, name in changed.values()}
    hashes = {
        job_id: hashlib.sha256(text.encode()).hexdigest() for job_id, (text, _) in texts.items()
    }
    versions = rollback_repo.left_as(tx, task_id, ObjectKind.JOB.value, hashes)
    for job_id, version in sorted(versions.items()):
        submitted = None if version is None else job_repo.get_version(tx, int(job_id), version)
        if submitted is None or version is None:
            continue
        doc = load(submitted.document)
        held = as_remote(doc, read[texts[job_id][1]])
        if held != doc:
            job_repo.set_version_document(tx, int(job_id), version, dump(held))
