"""Import, apply: apply a plan in the caller's transaction, a batch of records at a time.

Nothing here commits: the caller's single transaction makes the whole import (objects,
versions, reference index, tags, per-object change records, subtasks, audit, the task's final
status) one atomic change, so a failure or a crash leaves the workspace exactly as it was.
Records are read from the working set in apply order (scripts, resources, CDM jobs, then jobs
upstream first) and written in bulk, a batch at a time, so memory holds one batch.

**Writing ahead.** Where the plan is read from a snapshot of its own (see
``ImportService._plan_for_apply``), the objects it creates are written as soon as their batch is
planned (:meth:`Applier.ahead`), on the one core the plan leaves to its helper process, instead
of all after the plan; :func:`apply_plan` then writes the rest and every object's subtask in apply
order, as before. Only what nothing in the plan can change qualifies (``recording.writes_ahead``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import orjson

from jobferry.domain.enums import ObjectKind, PlanAction, RefKind, TargetStatus, TaskStatus
from jobferry.services.context import Scope, now_ms
from jobferry.services.definitions.documents import dump, load
from jobferry.services.importing.changes import (
    ChangePort,
    PutCdmJob,
    PutJobDetails,
    PutJobs,
    PutResources,
    PutScripts,
)
from jobferry.services.importing.ending import Outcome
from jobferry.services.importing.model import WRITES, PlanOutcome, Record
from jobferry.services.importing.plan import SkipNote
from jobferry.services.importing.ports import ImportRecord
from jobferry.services.importing.promote import Promotion, clear_names
from jobferry.services.importing.request import ImportRequest
from jobferry.services.importing.results import NOUNS, object_line, passed_lock, subtask
from jobferry.services.support.collector import collect_batch_garbage
from jobferry.storage.ids import new_id
from jobferry.storage.importing.workset import Workset
from jobferry.storage.records import VersionRecord
from jobferry.storage.rows import ChangeRow, JobRow, ResourceRow, ScriptRow, Stamp

BATCH = 500
_TAG = RefKind.TAG.value
_VERSIONED = (ObjectKind.JOB, ObjectKind.SCRIPT)


class Applier:
    """The writes of one import in the caller's transaction, a batch at a time, and what they
    did: objects written ahead while the plan is being made (:meth:`ahead`), then the rest of
    the plan (:func:`apply_plan`)."""

    def __init__(
        self,
        changes: ChangePort,
        record: ImportRecord,
        scope: Scope,
        request: ImportRequest,
        task_id: str,
        source: str | None,
        *,
        package_sha256: str,
        package_created_at: int | None = None,
    ) -> None:
        self.scope = scope
        self.changes, self.record = changes, record
        self.request, self.task_id = request, task_id
        self.package_sha256 = package_sha256
        self.ws = scope.workspace.id
        self.stamp = Stamp(now_ms(), scope.actor.name)
        self.promotion = Promotion(
            changes,
            record,
            scope,
            source,
            task_id,
            self.stamp,
            (package_sha256, package_created_at),
        )
        self.now = self.stamp.at
        self.submit = request.target_status is not TargetStatus.SAVED
        self.outcome = Outcome()
        self.changed: list[ChangeRow] = []
        """The batch's change records (written with its ledger rows)."""
        self.versions: dict[tuple[str, str], int | None] = {}
        approvers = request.approvers
        self.approvers = dump({"approvers": approvers}) if approvers else None
        self._ahead = bytearray()  # one byte per plan position: memory stays flat

    def ahead(self, records: list[tuple[int, Record]]) -> None:
        """Write these objects now ((plan position, record) pairs: objects the plan creates)."""
        to_write: dict[str, list[Record]] = {kind: [] for kind in ObjectKind}
        for seq, record in records:
            to_write[record.kind].append(record)
            if seq >= len(self._ahead):
                self._ahead.extend(bytes(seq + 1 - len(self._ahead) + 4096))
            self._ahead[seq] = 1
        self.write(to_write)

    def written_ahead(self, seq: int) -> bool:
        """Whether the object at this plan position was written ahead."""
        return seq < len(self._ahead) and self._ahead[seq] == 1

    def write(self, records: dict[str, list[Record]]) -> None:
        """One batch's objects, kind by kind, and their change records."""
        self.versions = {}  # the batch's own: its subtasks read them (memory stays flat)
        self.scripts(records[ObjectKind.SCRIPT])
        self.resources(records[ObjectKind.RESOURCE])
        self.cdm_jobs(records[ObjectKind.CDM_JOB])
        self.jobs(records[ObjectKind.JOB])
        for kind in ObjectKind:
            self.promotion.rename(records[kind])
        self.flush()

    def flush(self) -> None:
        """The batch's change records and ledger rows."""
        self.record.add_changes(self.changed)
        self.changed = []
        self.promotion.flush()

    def delete(self, record: Record) -> dict[str, Any]:
        """Delete the object of a DELETE record; its subtask."""
        if record.pause and record.target is not None:
            self.promotion.pause(int(record.target[0]), record.name)
        self.changed.append(self.promotion.delete(record))
        self.outcome.deleted += 1
        why = "gone from the source" if record.ledger is not None else "not in the package"
        message = f"Deleted {NOUNS[ObjectKind(record.kind)]} '{record.name}': {why}."
        return subtask(record, TaskStatus.SUCCESSFUL, message, self.now)

    def relink(self, record: Record) -> None:
        """Write the ledger row of an unchanged object when it is new or out of date."""
        if record.relink and (linked := self.promotion.link(record)) is not None:
            self.changed.append(linked)

    def version_of(self, record: Record) -> int | None:
        """The object's latest version after the import (a new one when submitting)."""
        latest = _target_version(record)
        if self.submit and record.kind in _VERSIONED:
            latest = (latest or 0) + 1
        self.versions[(record.kind, record.name)] = latest
        return latest

    def _version(self, version: int | None, text: str) -> VersionRecord:
        assert version is not None
        status = self.request.target_status.value
        return VersionRecord(version, status, text, self.stamp.at, self.stamp.by)

    def _record(
        self, record: Record, object_id: str, text: str, version: int | None, uid: str
    ) -> None:
        status = record.target[2] if record.pause and record.target is not None else None
        undo = self.promotion.undo(record, paused=status)
        self.changed.append(_change(self.task_id, self.ws, record, object_id, text, version, undo))
        self.promotion.learn(record, uid, text)

    def scripts(self, records: list[Record]) -> None:
        """Write scripts (and their versions when submitting)."""
        new: list[tuple[str, ScriptRow]] = []
        updated: list[tuple[str, ScriptRow]] = []
        versions: list[tuple[str, VersionRecord]] = []
        for record in records:
            assert record.text is not None
            assert record.columns is not None
            version = self.version_of(record)
            target = _target_id(record)
            script_id = target or new_id()
            name, directory, type_ = record.columns
            row = ScriptRow(
                name, record.text, directory, type_, version, record.sha256_of(record.text)
            )
            (updated if target else new).append((script_id, row))
            if self.submit:
                versions.append((script_id, self._version(version, record.text)))
            self._record(record, script_id, record.text, version, script_id)
        self.changes.write(PutScripts(new, updated, versions, self.stamp))

    def resources(self, records: list[Record]) -> None:
        """Write resources (never versioned)."""
        new: list[tuple[str, ResourceRow]] = []
        updated: list[tuple[str, ResourceRow]] = []
        for record in records:
            assert record.text is not None
            assert record.columns is not None
            target = _target_id(record)
            res_id = target or new_id()
            name, directory, type_ = record.columns
            sha256 = record.sha256_of(record.text)
            (updated if target else new).append(
                (res_id, ResourceRow(name, record.text, directory, type_, sha256))
            )
            self._record(record, res_id, record.text, None, res_id)
        self.changes.write(PutResources(new, updated, self.stamp))

    def cdm_jobs(self, records: list[Record]) -> None:
        """CDM job definitions become environment objects (never with secrets)."""
        for record in records:
            assert record.text is not None
            document = load(record.text)
            config = document.get("config")
            self.changes.write(
                PutCdmJob(
                    record.name,
                    str(document.get("type") or "CDM"),
                    dump(config if isinstance(config, dict) else {}),
                    self.stamp,
                )
            )
            self.changed.append(
                _change(self.task_id, self.ws, record, f"cdm_job:{record.name}", record.text, None)
            )

    def jobs(self, records: list[Record]) -> None:
        """Write jobs, their versions, their reference index rows and the tags they carry."""
        rows: dict[str, JobRow] = {}
        for record in records:
            assert record.text is not None
            assert record.columns is not None
            name, directory, process, summary = record.columns
            version, sha256 = self.version_of(record), record.sha256_of(record.text)
            rows[record.name] = JobRow(
                name, record.text, directory, process, version, summary, sha256
            )
        ids, uids, overwritten = self._job_rows(records, rows)
        versions: list[tuple[int, VersionRecord, str | None]] = []
        refs: list[tuple[int, str, str, str]] = []  # RefRow's values (plain tuples bind faster)
        tags: set[str] = set()
        for record in records:
            row, job_id = rows[record.name], ids[rows[record.name].name]
            if self.submit:
                versions.append(
                    (job_id, self._version(row.latest_version, row.document), self.approvers)
                )
            for kind, name, other_ws in record.refs or ():
                refs.append((job_id, kind, name, other_ws))
                if kind == _TAG:
                    tags.add(name)
            self._record(record, str(job_id), row.document, row.latest_version, uids[row.name])
        self.changes.write(PutJobDetails(versions, refs, overwritten, tags, self.now))

    def _job_rows(
        self, records: list[Record], rows: dict[str, JobRow]
    ) -> tuple[dict[str, int], dict[str, str], list[int]]:
        """Insert the new jobs and update the others (scheduled ones paused around it):
        name → id, name → stable uid, and the ids of the jobs updated."""
        created = self.changes.write(
            PutJobs([rows[r.name] for r in records if r.target is None], [], self.stamp)
        ).ids
        ids = {name: job_id for name, (job_id, _) in created.items()}
        uids = {name: uid for name, (_, uid) in created.items()}
        updated = [(int(r.target[0]), r) for r in records if r.target is not None]
        overwritten = [(job_id, rows[r.name]) for job_id, r in updated]
        with self.promotion.paused(updated):
            self.changes.write(PutJobs([], overwritten, self.stamp))
        ids.update({row.name: job_id for job_id, row in overwritten})
        uids.update({rows[r.name].name: r.target_uid or "" for _, r in updated})
        return ids, uids, [job_id for job_id, _ in overwritten]

    def written(self, record: Record) -> dict[str, Any]:
        """The subtask of an object this apply wrote, counted in the outcome."""
        noun = NOUNS[ObjectKind(record.kind)]
        if record.action == PlanAction.RENAME:
            message = f"Renamed {noun} '{record.previous_name}' to '{record.name}'"
        else:
            verb = "Created" if record.action == PlanAction.CREATE else "Overwrote"
            message = f"{verb} {noun} '{record.name}'"
        if record.action in (PlanAction.OVERWRITE, PlanAction.RENAME):
            changes = len(orjson.loads(record.diff)) if record.diff else 0
            message += f" ({changes} change(s))"
        if record.drift is not None:
            message += self._over_drift(record.drift)
            self.outcome.over_drift += 1
        version = self.versions.get((record.kind, record.name))
        line = self._counted(record.kind, record.name, record.action, message, version)
        return line | passed_lock(record, TaskStatus.SUCCESSFUL)

    def _over_drift(self, drift: bytes) -> str:
        """What an object written over changes made in the target since the last import says
        (drift protection overridden: the plan's drift would otherwise stop or skip it)."""
        fields = sorted(
            {str(c.get("path") or "(the whole definition)") for c in orjson.loads(drift)}
        )
        shown = ", ".join(fields[:10]) + (
            f" and {len(fields) - 10} more" if len(fields) > 10 else ""
        )
        return (
            f", over the changes made in workspace '{self.scope.workspace.name}' since the last "
            f"import ({shown}): drift protection overridden by {self.stamp.by}"
        )

    def created(self, kind: str, name: str) -> dict[str, Any]:
        """The subtask of an object written ahead (created: a first version when submitted),
        counted in the outcome."""
        message = f"Created {NOUNS[ObjectKind(kind)]} '{name}'"
        version = 1 if self.submit and kind in _VERSIONED else None
        return self._counted(kind, name, str(PlanAction.CREATE), message, version)

    def _counted(
        self, kind: str, name: str, action: str, message: str, version: int | None
    ) -> dict[str, Any]:
        if self.submit and kind in _VERSIONED:
            message += f"; submitted version {version}"
            self.outcome.versions += 1
        self.outcome.written += 1
        return object_line(kind, name, action, TaskStatus.SUCCESSFUL, message + ".", self.now)


def apply_plan(
    applier: Applier,
    plan: PlanOutcome,
    workset: Workset,
    package: str,
    said: Callable[[int, int], None] | None = None,
) -> Outcome:
    """Write every object of the plan that can be imported and was not written ahead; report
    every object (``said``: told after each batch how many of how many were written); the
    audit entry names the ``package`` as a person knows it, with its SHA-256."""
    record, task_id = applier.record, applier.task_id
    clear_names(applier.changes, workset, plan.failing)
    order = plan.order
    for start in range(0, len(order), BATCH):
        collect_batch_garbage()
        batch = order[start : start + BATCH]
        rows = _apply_batch(applier, plan, workset, start, batch)
        record.add_subtasks(task_id, rows)
        if said is not None:
            said(start + len(batch), len(order))
    for users in workset.rewrites(BATCH):
        record.add_changes(applier.promotion.rewrite_dependents(users))
    outcome = applier.outcome
    record.audit(
        "import.apply",
        "package",
        package,
        {
            "taskId": task_id,
            "written": outcome.written,
            "deleted": outcome.deleted,
            "failed": outcome.failed,
            "versionsCreated": outcome.versions,
            "summary": plan.counts,
            "packageSha256": applier.package_sha256,
        },
    )
    return outcome


def _apply_batch(
    applier: Applier, plan: PlanOutcome, workset: Workset, start: int, seqs: Sequence[int]
) -> list[tuple[int, str, str]]:
    """Write one batch of the apply order (what was not written ahead); its subtask rows."""
    # Of an object written ahead, its subtask needs only its kind and name.
    done = workset.names([seq for seq in seqs if applier.written_ahead(seq)])
    records = workset.records([seq for seq in seqs if seq not in done])
    lines: dict[int, dict[str, Any]] = {}
    to_write: dict[str, list[Record]] = {kind: [] for kind in ObjectKind}
    for at, seq in enumerate(seqs, start=start):
        if seq in done:
            lines[at] = applier.created(*done[seq])
            continue
        record = Record.unpacked(records[seq][0])
        reason = plan.failing.get(seq)
        if reason:
            applier.outcome.failed += 1
            lines[at] = subtask(record, TaskStatus.FAILED, reason, applier.now)
        elif PlanAction(record.action) in WRITES:
            to_write[record.kind].append(record)
            lines[at] = {"record": record}
        elif record.action == PlanAction.DELETE:
            lines[at] = applier.delete(record)
        else:
            applier.relink(record)
            lines[at] = subtask(record, TaskStatus.SUCCESSFUL, _kept(record), applier.now)
    applier.write(to_write)
    rows = []
    for at in sorted(lines):
        line = lines[at]
        if "record" in line:
            line = applier.written(line["record"])
        rows.append((at + 1, line["status"], dump(line)))
    return rows


def _kept(record: Record) -> str:
    """The subtask message of an object the import leaves as it is."""
    if record.action == PlanAction.SKIP:
        note = SkipNote.of_record(record)
        return f"Skipped: {note.detail} — fix: {note.fix}."
    return "Unchanged: identical to the target after transforms; no new version."


def _target_id(record: Record) -> str | None:
    return None if record.target is None else record.target[0]


def _target_version(record: Record) -> int | None:
    return None if record.target is None else record.target[1]


def _change(
    task_id: str,
    ws: str,
    record: Record,
    object_id: str,
    text: str,
    version: int | None,
    undo: str | None = None,
) -> ChangeRow:
    target = record.target
    return ChangeRow(
        task_id=task_id,
        workspace_id=ws,
        kind=record.kind,
        name=record.name,
        action=record.action,
        object_id=object_id,
        before_document=target[3] if target else None,
        before_version=target[1] if target else None,
        after_version=version,
        after_sha256=record.sha256_of(text),
        undo=undo,
    )
