"""The release ledger: what each release, rollback and restore of a production side left of
every object it put or deleted, written in the transaction that changed production, and read
back as "what was in production at a moment".

*Decision: how a release's content is kept.* A package's file and plan expire with uploads
(3 days), and production's own version history is cut back by rollbacks, so neither can bring
back an older release. Each entry records, per object it touched (by its development identity,
as the promotion ledger matches it), the name, version and content hash production held right
after it, or the object's deletion; the definitions themselves are kept once per workspace
and hash (``release_contents``). The state after entry K is the newest state each object has
among entries up to K, so a restore rebuilds it exactly, and "what was in production on date
D" is the same replay up to D.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from jobferry.domain.enums import JobStatus, ObjectKind, PlanAction
from jobferry.services.context import Scope, now_ms
from jobferry.services.releases.ledger_view import (
    LedgerAt,
    entry_document,
    ledger_at,
    ledger_csv,
    ledger_document,
    parse_moment,
    rollback_expired,
)
from jobferry.services.releases.production import production_scope
from jobferry.storage import Database, Tx
from jobferry.storage import jobs as job_repo
from jobferry.storage import ledger as repo
from jobferry.storage.importing import ledger as promotion_repo
from jobferry.storage.importing import plans as plan_repo
from jobferry.storage.importing import rollbacks as change_repo
from jobferry.storage.importing import target as target_repo
from jobferry.storage.ledger import DELETE, PUT, CarriedRecord, EntryRecord, ObjectState

DEPLOY = "deploy"
ROLLBACK = "rollback"
RESTORE = "restore"
_READERS = {
    ObjectKind.JOB.value: target_repo.target_jobs,
    ObjectKind.SCRIPT.value: target_repo.target_scripts,
}
RECORDED = tuple(_READERS)
"""The kinds a ledger entry records (jobs and scripts)."""

JOB, CREATE = ObjectKind.JOB.value, PlanAction.CREATE.value
Key = tuple[str, str, str]
"""(kind, development uid, name in development) of an object a release touches."""

__all__ = ["LedgerAt", "entry_document", "ledger_csv", "ledger_document", "parse_moment"]


def a_release(entry: EntryRecord) -> bool:
    """Whether ``entry`` is a release a rollback can undo: a package's deploy, or a signed
    release taken in from another server (not a rollback, nor a restore)."""
    return entry.action == DEPLOY and (entry.package_id is not None or entry.source_id is not None)


def content_hash(document: str) -> str:
    """The hash a ledger records of a definition: sha256 of its stored text."""
    return hashlib.sha256(document.encode()).hexdigest()


def plan_hash(tx: Tx, production: str, plan_id: str | None) -> str | None:
    """The hash of a kept plan (sha256 of the plan as kept), ``None`` without one."""
    if plan_id is None:
        return None
    kept = plan_repo.get_plan(tx, production, plan_id)
    return content_hash(kept.plan) if kept is not None else None


def production_states(
    tx: Tx, production: str, development: str, keys: Sequence[Key]
) -> tuple[list[ObjectState], dict[str, str]]:
    """What production holds now of each object (0 as the entry id, filled in by
    :func:`record`), and the definitions by hash."""
    states: list[ObjectState] = []
    documents: dict[str, str] = {}
    for kind, reader in _READERS.items():
        wanted = [k for k in keys if k[0] == kind]
        if not wanted:
            continue
        rows = promotion_repo.ledger_rows(tx, production, development, kind, [k[1] for k in wanted])
        names = {uid: row.name for uid, row in rows.items()}
        found = reader(tx, production, set(names.values()))
        for _, uid, name in wanted:
            obj = found.get(names.get(uid, ""))
            if obj is None:
                states.append(ObjectState(0, kind, uid, names.get(uid, name), DELETE, None, None))
                continue
            sha = content_hash(obj.document)
            documents[sha] = obj.document
            states.append(ObjectState(0, kind, uid, obj.name, PUT, obj.latest_version, sha))
    return states, documents


@dataclass(frozen=True)
class NewEntry:
    """A ledger entry about to be written."""

    workspace_id: str
    production_id: str
    action: str
    deployer: str
    at: int
    task_id: str | None
    package_id: int | None = None
    package_name: str | None = None
    plan_id: str | None = None
    approvers: list[dict[str, str]] = field(default_factory=list)
    approvals: list[dict[str, Any]] = field(default_factory=list)
    """A release's signed approvals that counted for it (``signatures.counted_approvals``)."""
    startup_mode: int | None = None
    target_entry: int | None = None
    started: list[str] = field(default_factory=list)
    source_id: str | None = None
    """A release taken in from a signed release file (or its rollback): the workspace, on the
    other server, its objects' identities come from; ``None``: the development side."""

    @classmethod
    def about(
        cls,
        release: EntryRecord,
        action: str,
        deployer: str,
        at: int,
        *,
        production_id: str,
        task_id: str | None,
        plan_id: str | None,
        source_id: str | None,
    ) -> NewEntry:
        """The entry of a rollback or restore (``action``) of ``release``, in its workspace:
        it names the release's package, approvers and entry."""
        return cls(
            release.workspace_id,
            production_id,
            action,
            deployer,
            at,
            task_id,
            package_id=release.package_id,
            package_name=release.package_name,
            plan_id=plan_id,
            approvers=release.approver_list(),
            target_entry=release.id,
            source_id=source_id,
        )


def record(tx: Tx, entry: NewEntry, keys: Sequence[Key]) -> int:
    """Write ``entry`` with the state production holds now of each object in ``keys``; its
    id."""
    entry_id = repo.insert_entry(
        tx,
        {
            "workspace_id": entry.workspace_id,
            "production_id": entry.production_id,
            "action": entry.action,
            "package_id": entry.package_id,
            "package_name": entry.package_name,
            "plan_id": entry.plan_id,
            "plan_hash": plan_hash(tx, entry.production_id, entry.plan_id),
            "approvers": json.dumps(entry.approvers),
            "approvals": json.dumps(entry.approvals),
            "deployer": entry.deployer,
            "startup_mode": entry.startup_mode,
            "at": entry.at,
            "task_id": entry.task_id,
            "target_entry": entry.target_entry,
            "started": json.dumps(entry.started),
            "source_id": entry.source_id,
        },
    )
    source = entry.source_id or entry.workspace_id
    states, documents = production_states(tx, entry.production_id, source, keys)
    repo.keep_contents(tx, entry.workspace_id, documents)
    repo.insert_objects(
        tx,
        [
            ObjectState(entry_id, s.kind, s.uid, s.name, s.action, s.version, s.sha256)
            for s in states
        ],
    )
    return entry_id


def record_carried(tx: Tx, task_id: str, carried: CarriedRecord) -> tuple[str, dict[str, Any]]:
    """The ledger entry of a signed release taken in, in its import's transaction: the
    objects the import wrote from the release's package and the deletions it carries, with
    the approvals that verified; the words and result keys of the import's task."""
    production, source = carried.production_id, carried.source_id
    keys = promotion_repo.written_by(tx, production, source, task_id, RECORDED)
    keys += [key for key in carried.deleted() if key[0] in RECORDED]
    started = _start_new(tx, production, task_id) if carried.startup_mode else []
    entry_id = record(
        tx,
        NewEntry(
            carried.workspace_id,
            carried.production_id,
            DEPLOY,
            carried.created_by,
            now_ms(),
            task_id,
            package_name=carried.package_name,
            plan_id=carried.plan_id,
            approvers=json.loads(carried.approvers),
            approvals=json.loads(carried.approvals),
            startup_mode=carried.startup_mode,
            started=started,
            source_id=carried.source_id,
        ),
        keys,
    )
    repo.forget_carried(tx, carried.plan_id)
    said = f" Signed release '{carried.package_name}' released (ledger entry {entry_id}"
    said += f", {len(started)} job(s) started)." if started else ")."
    return said, {"carriedRelease": {"entry": entry_id, "objects": len(keys)}}


def _start_new(tx: Tx, production: str, task_id: str) -> list[str]:
    """Start the batch jobs with a version that the import ``task_id`` created (as a deploy
    with ``startup_mode`` 1 starts its new jobs); their names, which a rollback stops again."""
    created: list[int] = []
    after: tuple[str, str, str] | None = None
    while batch := change_repo.changes_of(tx, production, task_id, after, actions=[CREATE]):
        after = (batch[-1].kind, batch[-1].name, batch[-1].action)
        created += [int(c.object_id) for c in batch if c.kind == JOB and c.object_id]
    started = job_repo.startable(tx, created)
    job_repo.set_statuses(tx, [job_id for job_id, _ in started], JobStatus.SCHEDULING)
    return [name for _, name in started]


def replay(tx: Tx, entries: Sequence[EntryRecord]) -> dict[tuple[str, str], ObjectState]:
    """(kind, uid) → the newest state the entries left of each object they touched."""
    state: dict[tuple[str, str], ObjectState] = {}
    for found in repo.objects_of(tx, [e.id for e in entries]):
        state[(found.kind, found.uid)] = found
    return state


@dataclass(frozen=True)
class PackageInLedger:
    """Where a package stands in the ledger: its release's entry (``None``: the ledger
    recorded no release of it) and the workspace's newest entry."""

    released: EntryRecord | None
    last: EntryRecord | None
    rollback_expired: bool = False
    """Its release's import is past ``JOBFERRY_ROLLBACK_DAYS``: it cannot be rolled back."""

    @property
    def last_release(self) -> bool:
        """Its release is the ledger's newest entry: a rollback undoes it."""
        return (
            self.released is not None
            and self.last is not None
            and self.last.id == (self.released.id)
        )

    @property
    def restorable(self) -> bool:
        """An earlier release the ledger recorded: production can be restored to it."""
        return self.released is not None and not self.last_release


@dataclass
class LedgerService:
    """Read an enterprise workspace's release ledger."""

    db: Database

    def ledger(
        self, scope: Scope, at: int | None = None, page: tuple[int, int] | None = None
    ) -> LedgerAt:
        """The ledger as it stood at ``at`` (epoch ms; ``None``: now), every entry or ``page``
        (limit, offset) of them from the newest: anyone who reads the workspace's packages
        reads it."""
        with self.db.transaction(readonly=True) as tx:
            production_scope(tx, scope, releasing=False)
            return ledger_at(tx, scope.workspace.id, at, page)

    def of_package(self, scope: Scope, package_id: int) -> PackageInLedger:
        """Where ``package_id``'s release stands in the ledger (read as :meth:`ledger`)."""
        with self.db.transaction(readonly=True) as tx:
            production_scope(tx, scope, releasing=False)
            released = repo.entry_of_package(tx, scope.workspace.id, package_id)
            last = repo.last_entry(tx, scope.workspace.id)
            return PackageInLedger(released, last, rollback_expired(tx, released))
