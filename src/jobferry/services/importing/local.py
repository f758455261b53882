"""The import's target when it is a workspace of this server: :class:`LocalWorkspace`, the
first implementation of :class:`~.ports.ImportTarget`, read and written through storage in
the caller's transaction.

**Reading** (the import's resolve step): what the target holds, asked a batch at a time (one
query per kind and batch). Everything is read inside the plan's one transaction, so the plan,
its fingerprint and the apply that follows see the same state; an apply locks the target rows
it reads. The fingerprint hashes every piece of target state the plan read, in the order it
was read (the same package read against the same target reads the same things in the same
order).

**Writing** (the import's apply step): :class:`LocalChanges`, the local executor of the change
port (:mod:`.changes`), writes each line in bulk, a batch at a time, and :class:`LocalRecord`
the import's own record, both in the caller's transaction; nothing here commits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, assert_never

from jobferry.domain.connections import secret_role
from jobferry.domain.enums import EnvironmentKind, JobStatus, ObjectKind
from jobferry.services.audit import audit_in_scope
from jobferry.services.context import Scope
from jobferry.services.definitions.usage import version_uses
from jobferry.services.importing import changes
from jobferry.services.policies.governing import HeldPolicy, governing
from jobferry.services.workspaces.keys import accepted_public_keys, distrusted_keys
from jobferry.services.workspaces.profiles import ResolvedProfile, resolve_profile
from jobferry.storage import Tx
from jobferry.storage import environment as env_repo
from jobferry.storage import exports as export_repo
from jobferry.storage import jobs as job_repo
from jobferry.storage import tags as tag_repo
from jobferry.storage import tasks as task_repo
from jobferry.storage.importing import ledger as ledger_repo
from jobferry.storage.importing import rollbacks as rollback_repo
from jobferry.storage.importing import snapshots
from jobferry.storage.importing import target as repo
from jobferry.storage.importing.ledger import LedgerDeletion, LedgerRow, Packed
from jobferry.storage.importing.target import TargetObject
from jobferry.storage.keys import TrustedKeyRecord
from jobferry.storage.records import JobRecord
from jobferry.storage.rows import ChangeRow, Stamp

_READERS = {
    ObjectKind.JOB: repo.target_jobs,
    ObjectKind.SCRIPT: repo.target_scripts,
    ObjectKind.RESOURCE: repo.target_resources,
}
MEMO_LIMIT = 10_000
"""Existence answers remembered across batches (environment objects are asked again and again;
a package naming more distinct ones than this is asked per batch)."""


@dataclass
class LocalWorkspace:
    """A workspace of this server as an import's target, in the transaction ``tx``."""

    tx: Tx
    scope: Scope

    def reader(self, lock_rows: bool) -> LocalReader:
        """The workspace's reader (``lock_rows``: rows read are locked for an apply); a
        remote's shadow's, :class:`ShadowReader`."""
        shadow = self.scope.workspace.shadow_of is not None
        return (ShadowReader if shadow else LocalReader)(self.tx, self.scope, lock_rows)

    def changes(self) -> LocalChanges:
        """The workspace's change port, the local executor (in ``tx``: nothing commits)."""
        return LocalChanges(self.tx, self.scope)

    def record(self) -> LocalRecord:
        """Where the import's own record goes (in ``tx``)."""
        return LocalRecord(self.tx, self.scope)


class LocalReader:
    """What the target holds, asked per batch (and locked for an apply)."""

    def __init__(self, tx: Tx, scope: Scope, lock_rows: bool) -> None:
        ws = scope.workspace.id
        self._tx, self._ws, self._lock, self._scope = tx, ws, lock_rows, scope
        self._me = scope.actor.user_id
        self.locked_tags = repo.locked_tags(tx, ws)
        self.locks = repo.lock_holders(tx, ws)
        self.workspaces = repo.workspace_names(tx, scope.actor.project_id)
        self._memo: dict[tuple[str, str, str], bool] = {}
        self._digest = hashlib.sha256()

    def stored(self, wanted: dict[str, list[str]]) -> dict[tuple[str, str], TargetObject]:
        """The target's jobs, scripts and resources of these names, by (kind, name)."""
        out: dict[tuple[str, str], TargetObject] = {}
        for kind, read in _READERS.items():
            names = wanted.get(kind)
            if not names:
                continue
            found = read(self._tx, self._ws, names, for_update=self._lock)
            for name in sorted(found):
                out[(kind, name)] = self._seen(kind, found[name])
        return out

    def stored_by_uid(self, wanted: dict[str, list[str]]) -> dict[tuple[str, str], TargetObject]:
        """The target's jobs, scripts and resources with these stable identifiers, by
        (kind, uid)."""
        out: dict[tuple[str, str], TargetObject] = {}
        for kind in _READERS:
            uids = wanted.get(kind)
            if not uids:
                continue
            found = repo.objects_by_uid(self._tx, self._ws, kind, uids, for_update=self._lock)
            for uid in sorted(found):
                out[(kind, uid)] = self._seen(kind, found[uid])
        return out

    def _seen(self, kind: str, t: TargetObject) -> TargetObject:
        doc = hashlib.sha256(t.document.encode()).hexdigest()
        self._digest.update(
            f"{kind}|{t.name}|{t.id}|{doc}|{t.status}|{t.latest_version}\n".encode()
        )
        return t

    def workspace_id(self, name_or_id: str) -> str | None:
        """The id of a workspace of the project named (or identified) by ``name_or_id``."""
        if name_or_id in self.workspaces:
            return self.workspaces[name_or_id]
        return name_or_id if name_or_id in self.workspaces.values() else None

    def existing(self, wanted: dict[tuple[str, str], set[str]]) -> set[tuple[str, str, str]]:
        """Which of the names asked per (kind, workspace id) exist: (kind, workspace id, name),
        one query per (kind, workspace) for what is not remembered."""
        found: set[tuple[str, str, str]] = set()
        for (kind, ws), names in sorted(wanted.items()):
            todo = sorted(n for n in names if (kind, ws, n) not in self._memo)
            present = repo.names_in(self._tx, ws, kind, todo, held=self._lock) if todo else set()
            for name in todo:
                answer = name in present
                self._digest.update(f"{kind}|{ws}|{name}|{answer}\n".encode())
                if len(self._memo) < MEMO_LIMIT:
                    self._memo[(kind, ws, name)] = answer
            found.update(
                (kind, ws, n) for n in names if self._memo.get((kind, ws, n), n in present)
            )
        return found

    def fingerprint(self, extra: Iterable[str]) -> str:
        """A hash of every piece of target state the plan depends on."""
        digest = self._digest.copy()
        digest.update(f"tags|{sorted(self.locked_tags)}\n".encode())
        digest.update(f"locks|{sorted(self.locks.items())}\n".encode())
        # Whose locks are "another user's" depends on who plans: a plan made by a lock's
        # holder is not applied by anyone else without planning again (a hard lock would
        # refuse them; a soft one would be theirs to be warned of).
        mine = sorted(k for k, (holder, _) in self.locks.items() if holder == self._me)
        digest.update(f"own locks|{mine}\n".encode())
        for item in sorted(extra):
            digest.update(item.encode() + b"\n")
        return digest.hexdigest()

    def ledger_rows(self, source: str, kind: str, uids: Sequence[str]) -> dict[str, LedgerRow]:
        """source uid → what the target received as these objects of ``source``."""
        return ledger_repo.ledger_rows(self._tx, self._ws, source, kind, uids)

    def ledger_by_target(self, kind: str, uids: Sequence[str]) -> dict[str, LedgerRow]:
        """target uid → the ledger row (of any source) that points at it."""
        return ledger_repo.ledger_by_target(self._tx, self._ws, kind, uids)

    def ledger_deletions(
        self, source: str, kind: str, uids: Sequence[str]
    ) -> dict[str, LedgerDeletion]:
        """source uid → what an import deleted of these objects of ``source``."""
        return ledger_repo.ledger_deletions(self._tx, self._ws, source, kind, uids)

    def source_ledger(
        self, source: str, after: tuple[str, str] | None, limit: int
    ) -> list[LedgerRow]:
        """A batch of everything the target received from ``source``."""
        return ledger_repo.source_ledger(self._tx, self._ws, source, after, limit)

    def objects_after(self, kind: str, after: str, limit: int) -> list[TargetObject]:
        """Every object of ``kind`` the target holds, by stable identifier, a batch at a time."""
        found = repo.objects_after(self._tx, self._ws, kind, after, limit, for_update=self._lock)
        return [self._seen(kind, t) for t in found]

    def jobs_using(self, kind: str, names: Sequence[str]) -> list[tuple[int, str, str]]:
        """(job id, job name, object name) of the target's jobs using these objects."""
        return rollback_repo.jobs_using(self._tx, self._ws, kind, names)

    def dependents_elsewhere(self, job_name: str) -> list[tuple[str, int, str]]:
        """(workspace, job id, job) of other workspaces' jobs that depend on this job."""
        ws = self._scope.workspace
        project = self._scope.actor.project_id
        return job_repo.dependents_in_other_workspaces(self._tx, project, ws.name, job_name, ws.id)

    def version_users(self, freed: Sequence[tuple[str, str]]) -> list[tuple[str, str, str, str]]:
        """(kind, name, workspace, job): what jobs' latest submitted versions alone use."""
        return version_uses(self._tx, self._scope, freed)

    def upstream_edges(self, names: Sequence[str]) -> list[tuple[str, str]]:
        """(job, upstream job) dependJobs edges of these jobs."""
        return export_repo.upstream_edges(self._tx, self._ws, names)

    def connection_secrets(self) -> dict[str, set[str]]:
        """Connection name → the secret roles set on it."""
        return {
            o.name: {secret_role(key) for key in o.secret_keys}
            for o in env_repo.list_objects(self._tx, self._ws, EnvironmentKind.CONNECTION.value)
        }

    def trusted_keys(self) -> list[str]:
        """The public keys the workspace trusts, with the signing keys of its project's
        workspaces (its own included)."""
        return accepted_public_keys(self._tx, self._scope)

    def distrusted_keys(self) -> list[TrustedKeyRecord]:
        """The keys the workspace distrusts (an apply's: none is distrusted until it ends)."""
        return distrusted_keys(self._tx, self._ws, held=self._lock)

    def profile(self, ref: str | dict[str, Any] | None) -> ResolvedProfile | None:
        """The profile a request names (kept by the workspace) or carries inline."""
        return resolve_profile(self._tx, self._scope, ref)

    def policies(self, package_path: str) -> list[HeldPolicy]:
        """The workspace's policy and the package's route's, as they are in this read."""
        return governing(self._tx, self._scope, package_path)


class ShadowReader(LocalReader):
    """A remote's shadow as a plan reads it: as any workspace of this server, but that a
    shadow does not always know the remote's submitted versions (a refresh reads no script's,
    a snapshot's none), so what it holds counts as submitted: a push does not send what the
    remote holds as the package does to submit it again."""

    def _seen(self, kind: str, t: TargetObject) -> TargetObject:
        return replace(super()._seen(kind, t), submitted=True)


class LocalChanges:
    """The local executor of the change port: an import's object writes in the caller's
    transaction, a batch per line. :meth:`commit` adds nothing (the caller's transaction makes
    the lines the workspace's change with the import's record); :meth:`abort` leaves the lines
    to that transaction's rollback."""

    def __init__(self, tx: Tx, scope: Scope) -> None:
        self.tx, self.scope, self.ws = tx, scope, scope.workspace.id

    def write(self, line: changes.Change) -> changes.Written:
        """Write one line in the transaction."""
        tx, ws = self.tx, self.ws
        match line:
            case changes.PutScripts(new, updated, versions, stamp):
                repo.insert_scripts(tx, ws, new, stamp)
                repo.update_scripts(tx, updated, stamp)
                repo.insert_script_versions(tx, versions)
            case changes.PutResources(new, updated, stamp):
                repo.insert_resources(tx, ws, new, stamp)
                repo.update_resources(tx, updated, stamp)
            case changes.PutCdmJob(name, type_, config, stamp):
                kind = EnvironmentKind.CDM_JOB.value
                env_repo.upsert_object(
                    tx, ws, kind, name, type_=type_, config=config, now=stamp.at, actor=stamp.by
                )
            case changes.PutJobs(new, updated, stamp):
                ids = repo.insert_jobs(tx, ws, new, stamp)
                repo.update_jobs(tx, updated, stamp)
                return changes.Written(ids=ids)
            case changes.PutJobDetails(versions, refs, overwritten, tags, now):
                repo.insert_job_versions(tx, versions)
                # New jobs have no reference rows yet: only overwritten ones need theirs cleared.
                repo.replace_job_refs(tx, overwritten, refs)
                tag_repo.ensure_tags(tx, ws, tags, now)
            case changes.RewriteJob(job_id, row, refs, stamp):
                job_repo.update_job(tx, job_id, row, stamp)
                job_repo.replace_refs(tx, job_id, refs)
            case changes.Rename(kind, names):
                snapshots.rename(tx, kind, names)
            case changes.Delete(kind, object_id):
                return changes.Written(state=self._delete(kind, object_id))
            case changes.SetScheduling(job_id, _, status):
                job_repo.set_status(tx, job_id, JobStatus(status))
            case changes.Remove() | changes.TrimVersions() | changes.PutBack():
                return self._undoing(line)
            case _:
                assert_never(line)
        return changes.Written()

    def _undoing(
        self, line: changes.Remove | changes.TrimVersions | changes.PutBack
    ) -> changes.Written:
        """The lines only a rollback writes."""
        tx, ws = self.tx, self.ws
        match line:
            case changes.Remove(ObjectKind.CDM_JOB, names):
                for name in names:
                    env_repo.delete_object(tx, ws, EnvironmentKind.CDM_JOB.value, name)
            case changes.Remove(ObjectKind.JOB, ids):
                rollback_repo.delete_jobs(tx, [int(i) for i in ids])
            case changes.Remove(ObjectKind.SCRIPT, ids):
                rollback_repo.delete_scripts(tx, ids)
            case changes.Remove(_, ids):
                rollback_repo.delete_resources(tx, ids)
            case changes.TrimVersions(ObjectKind.JOB, keep):
                rollback_repo.trim_job_versions(tx, [(int(i), v) for i, v in keep])
            case changes.TrimVersions(_, keep):
                rollback_repo.trim_script_versions(tx, keep)
            case changes.PutBack(kind, state):
                return changes.Written(restored=snapshots.put_back(tx, kind, state))
        return changes.Written()

    def _delete(self, kind: str, object_id: str) -> dict[str, Any]:
        state = snapshots.take(self.tx, kind, object_id)
        if kind == ObjectKind.JOB:
            job_repo.delete_job(self.tx, int(object_id))
        elif kind == ObjectKind.SCRIPT:
            rollback_repo.delete_scripts(self.tx, [object_id])
        else:
            rollback_repo.delete_resources(self.tx, [object_id])
        return state

    def job(self, name: str) -> JobRecord | None:
        """A job of the workspace by name (in the transaction)."""
        return job_repo.get_job(self.tx, self.ws, name)

    def commit(self, end: changes.TaskEnd) -> changes.Committed:
        """Nothing to add: the caller's transaction commits the lines with the task's end."""
        return changes.Committed()

    def abort(self) -> None:
        """Nothing to do: the caller's transaction rolls the lines back."""


class LocalRecord:
    """The import's own record in a workspace of this server, in the caller's transaction."""

    def __init__(self, tx: Tx, scope: Scope) -> None:
        self.tx, self.scope, self.ws = tx, scope, scope.workspace.id

    def has_ledger(self, source: str) -> bool:
        """Whether the workspace holds any ledger row of ``source``."""
        return ledger_repo.has_ledger(self.tx, self.ws, source)

    def learn(
        self, rows: Sequence[LedgerRow], replace: bool, packed: Sequence[Packed | None]
    ) -> None:
        """Write ledger rows."""
        ledger_repo.put_ledger(self.tx, self.ws, rows, replace=replace, packed=packed)

    def forget(self, keys: Iterable[tuple[str, str, str]]) -> None:
        """Forget ledger rows."""
        ledger_repo.delete_ledger(self.tx, self.ws, keys)

    def tombstones(self, gone: Iterable[tuple[str, str, str]], stamp: Stamp) -> None:
        """Keep tombstones of deleted objects."""
        ledger_repo.record_deletions(self.tx, self.ws, gone, *stamp)

    def deleted(self, rows: Sequence[LedgerDeletion]) -> None:
        """Remember which package's import deleted objects a source sent."""
        ledger_repo.put_ledger_deletions(self.tx, self.ws, rows)

    def add_changes(self, rows: Sequence[ChangeRow]) -> None:
        """The per-object change records."""
        repo.insert_changes(self.tx, rows)

    def add_subtasks(self, task_id: str, rows: Sequence[tuple[int, str, str]]) -> None:
        """The task's subtasks."""
        task_repo.insert_subtasks(self.tx, task_id, rows)

    def audit(self, action: str, kind: str, name: str, detail: dict[str, Any]) -> None:
        """One audit line, by the import's actor."""
        audit_in_scope(self.tx, self.scope, action, kind, name, detail)
