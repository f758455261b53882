"""A refresh's writes into its shadow, a batch of objects of one kind at a time.

What a refresh found changed is written as the definitions' own writers write one object (the
same rows, reference index, tags and audit lines), but in bulk: the shadow's rows of a batch's
names are read in one query, then created and overwritten through the import's local
executor of the change port (:class:`~jobferry.services.importing.local.LocalChanges`: inserts
at driver speed, one ``executemany`` of updates), the scheduling status set with one
statement per status, and the audit lines added in one insert. What the remote no longer has
is deleted the same way, a batch at a time. A first refresh of 5,000 jobs made some 50,000
round trips one object at a time; a batch now costs a handful of statements whatever its size.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from jobferry.domain.enums import JobStatus, ObjectKind, RefKind, TargetStatus
from jobferry.services.audit import Entry, audit_many_in_scope
from jobferry.services.context import Scope, now_ms
from jobferry.services.definitions.documents import dump, reference_index
from jobferry.services.importing.changes import PutJobDetails, PutJobs, PutResources, PutScripts
from jobferry.services.importing.local import LocalChanges
from jobferry.storage import Tx
from jobferry.storage import jobs as job_repo
from jobferry.storage import tags as tag_repo
from jobferry.storage.ids import new_id
from jobferry.storage.importing import ledger as ledger_repo
from jobferry.storage.importing import rollbacks as rollback_repo
from jobferry.storage.importing import target as target_repo
from jobferry.storage.importing.target import TargetObject
from jobferry.storage.rows import JobRow, ResourceRow, ScriptRow, Stamp

BATCH = 500
"""Objects written together (the import's batch)."""
_SAVED = {"targetStatus": TargetStatus.SAVED.value}
"""The audit detail of a job or script a refresh writes (as the single-object writers say)."""


def batches(items: Iterable[tuple[str, Any]]) -> Iterator[dict[str, Any]]:
    """``(name, value)`` pairs, :data:`BATCH` names at a time (a name twice in one batch: its
    last value)."""
    batch: dict[str, Any] = {}
    for name, value in items:
        batch[name] = value
        if len(batch) == BATCH:
            yield batch
            batch = {}
    if batch:
        yield batch


@dataclass
class BatchWriter:
    """Writes batches of changed objects into the shadow of ``scope``, in ``tx``."""

    tx: Tx
    scope: Scope
    audit: list[Entry] = field(default_factory=list)
    ws: str = field(init=False)
    local: LocalChanges = field(init=False)

    def __post_init__(self) -> None:
        self.ws = self.scope.workspace.id
        self.local = LocalChanges(self.tx, self.scope)

    @property
    def remote(self) -> str:
        """The remote whose refresh writes (what the stamps and audit lines name)."""
        return self.scope.workspace.shadow_of or self.scope.actor.name

    def put(self, kind: str, batch: dict[str, Any]) -> int:
        """Create or overwrite one batch of ``kind`` (name → what the refresh keeps of it); how
        many of them were created. Each is stamped as changed by whom and when the remote says
        (a job's list entry, :func:`~.shadow.last_change`); what the remote does not say (a
        script's or resource's list answers no author) by ``remote NAME`` at the refresh."""
        stamp = Stamp(now_ms(), f"remote {self.remote}")
        if kind == ObjectKind.JOB:
            created = self._jobs(batch, stamp)
        elif kind == ObjectKind.SCRIPT:
            created = self._scripts(batch, stamp)
        else:
            created = self._resources(batch, stamp)
        self._flush()
        return created

    def _jobs(self, batch: dict[str, Any], stamp: Stamp) -> int:
        found = target_repo.target_jobs(self.tx, self.ws, batch)
        rows, status = _job_rows(batch, found)
        new = [row for row, _, existing in rows if existing is None]
        overwritten = [(int(old.id), row) for row, _, old in rows if old is not None]
        created = self.local.write(PutJobs(new, overwritten, stamp)).ids
        ids = {name: job_id for name, (job_id, _) in created.items()}
        ids.update((row.name, job_id) for job_id, row in overwritten)
        refs = [(ids[row.name], *ref) for row, doc, _ in rows for ref in reference_index(doc)]
        tags = {name for _, kind, name, _ in refs if kind == RefKind.TAG}
        overwrote = [job_id for job_id, _ in overwritten]
        self.local.write(PutJobDetails([], refs, overwrote, tags, stamp.at))
        self._statuses(status, ids)
        self._changed(batch, rows, ids, found)
        return len(new)

    def _changed(
        self,
        batch: dict[str, Any],
        rows: list[_Written],
        ids: dict[str, int],
        found: dict[str, TargetObject],
    ) -> None:
        """Stamp every job read with who changed it on the remote and when, where its list
        entry says: one written, and one whose definition is as the shadow holds it (a start
        or stop read, or a job a snapshot wrote, which could not say: the refresh's stamp);
        and add the audit lines of those written."""
        changed = {name: value.get("changed") for name, value in batch.items()}
        for row, _, existing in rows:
            action = "job.create" if existing is None else "job.update"
            by = changed[row.name]
            detail = self._saved if by is None else {**self._saved, "changedBy": by[1]}
            self.audit.append((action, ObjectKind.JOB, row.name, detail))
        held = {name: int(old.id) for name, old in found.items()} | ids
        stamps = [(held[n], Stamp(*by)) for n, by in changed.items() if by and n in held]
        job_repo.set_stamps(self.tx, stamps)

    @property
    def _saved(self) -> dict[str, Any]:
        """The audit detail of an object a refresh writes: as the single-object writers say,
        and that it is a refresh of the remote."""
        return {**_SAVED, "refreshOf": self.remote}

    def _statuses(self, status: list[_Status], ids: dict[str, int]) -> None:
        """Each job's scheduling status as read, where it differs (new jobs are stopped):
        (status read, the row the shadow had, the job's name) each; with the audit line a
        start or stop here writes (a job whose definition is as it was has no other)."""
        by_status: dict[JobStatus, list[int]] = {}
        for wanted, existing, name in status:
            held = JobStatus.STOPPED.value if existing is None else existing.status
            if held != wanted.value:
                job_id = ids[name] if existing is None else int(existing.id)
                by_status.setdefault(wanted, []).append(job_id)
                action = "job.stop" if wanted is JobStatus.STOPPED else "job.start"
                self.audit.append((action, ObjectKind.JOB, name, {"refreshOf": self.remote}))
        for wanted, job_ids in sorted(by_status.items()):
            job_repo.set_statuses(self.tx, job_ids, wanted)

    def _scripts(self, batch: dict[str, Any], stamp: Stamp) -> int:
        found = target_repo.target_scripts(self.tx, self.ws, batch)
        new: list[tuple[str, ScriptRow]] = []
        updated: list[tuple[str, ScriptRow]] = []
        for name, doc in batch.items():
            existing = found.get(name)
            latest = existing.latest_version if existing else None
            row = ScriptRow.of(doc, dump(doc), latest)
            (new if existing is None else updated).append(
                (existing.id if existing else new_id(), row)
            )
            action = "script.create" if existing is None else "script.update"
            self.audit.append((action, ObjectKind.SCRIPT, row.name, self._saved))
        self.local.write(PutScripts(new, updated, [], stamp))
        return len(new)

    def _resources(self, batch: dict[str, Any], stamp: Stamp) -> int:
        found = target_repo.target_resources(self.tx, self.ws, batch)
        new: list[tuple[str, ResourceRow]] = []
        updated: list[tuple[str, ResourceRow]] = []
        for name, doc in batch.items():
            existing = found.get(name)
            resource_id = existing.id if existing else new_id()
            row = ResourceRow.of(doc, dump(doc))
            (new if existing is None else updated).append((resource_id, row))
            action = "resource.create" if existing is None else "resource.update"
            detail = {"id": resource_id, "refreshOf": self.remote}
            self.audit.append((action, ObjectKind.RESOURCE, row.name, detail))
        self.local.write(PutResources(new, updated, stamp))
        return len(new)

    def rename(self, kind: str, renamed: dict[str, str]) -> None:
        """Rename the shadow's jobs the remote renamed (old name → new name): their ids, uids
        and versions stay, as a rename here keeps them, so a route from the shadow carries a
        rename, not a deletion and a new job; each with a rename's audit line."""
        assert kind == ObjectKind.JOB, "only jobs are renamed (DataArts renames only jobs)"
        found = target_repo.target_jobs(self.tx, self.ws, list(renamed))
        for old, new in sorted(renamed.items()):
            job = found.get(old)
            if job is None:
                continue
            job_repo.rename_job(self.tx, int(job.id), new)
            tag_repo.move_lock(self.tx, self.ws, ObjectKind.JOB, old, new)
            detail = {"from": old, "refreshOf": self.remote}
            self.audit.append(("job.rename", ObjectKind.JOB, new, detail))
        self._flush()

    def delete(self, kind: str, names: Sequence[str]) -> None:
        """Delete the shadow's objects of ``kind`` with these names (those it has), a batch at
        a time, each with an audit line and a tombstone (as a deletion here leaves: a route
        whose source is the shadow carries the deletion)."""
        for start in range(0, len(names), BATCH):
            part = names[start : start + BATCH]
            if kind == ObjectKind.JOB:
                found = target_repo.target_jobs(self.tx, self.ws, part)
                rollback_repo.delete_jobs(self.tx, [int(job.id) for job in found.values()])
            elif kind == ObjectKind.SCRIPT:
                found = target_repo.target_scripts(self.tx, self.ws, part)
                rollback_repo.delete_scripts(self.tx, [s.id for s in found.values()])
            else:
                found = target_repo.target_resources(self.tx, self.ws, part)
                rollback_repo.delete_resources(self.tx, [r.id for r in found.values()])
            gone = [(kind, obj.uid or obj.id, name) for name, obj in sorted(found.items())]
            by = f"remote {self.remote}"  # the remote's lists do not say who deleted it
            ledger_repo.record_deletions(self.tx, self.ws, gone, now_ms(), by)
            detail = {"refreshOf": self.remote}
            self.audit.extend((f"{kind}.delete", kind, name, detail) for name in part)
            self._flush()

    def _flush(self) -> None:
        audit_many_in_scope(self.tx, self.scope, self.audit)
        self.audit = []


_Written = tuple[JobRow, dict[str, Any], TargetObject | None]
"""A job a batch writes: its row, its definition, the shadow's row it overwrites (or none)."""
_Status = tuple[JobStatus, TargetObject | None, str]
"""A job's scheduling status as read, the shadow's row (or none), the job's name."""


def _job_rows(
    batch: dict[str, Any], found: dict[str, TargetObject]
) -> tuple[list[_Written], list[_Status]]:
    """The jobs of a batch whose definition is new or differs from the shadow's, and every
    job's status as read."""
    rows: list[_Written] = []
    status: list[_Status] = []
    for name, value in batch.items():
        doc, existing = value["document"], found.get(name)
        text = dump(doc)
        if existing is None or existing.document != text:
            latest = existing.latest_version if existing else None
            rows.append((JobRow.of(doc, text, latest), doc, existing))
        status.append((JobStatus(value["status"]), existing, str(doc["name"])))
    return rows, status
