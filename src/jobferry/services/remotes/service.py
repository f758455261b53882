"""The remotes of a project: add (with its shadow workspace), list, show, test, refresh, change
(new credentials or endpoints, in place), remove.

A remote belongs to the project, like a route: any member may list and show it, only a project
admin may add, change or remove one, and refreshing takes a writer's role in its shadow. Its
secret key is kept encrypted like environment secrets (``SecretBox``) and never answered.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import IO

import httpx2

from jobferry.domain.enums import LockPolicy, RemoteReach, Role, TaskKind
from jobferry.domain.remedies import Remedy
from jobferry.errors import (
    ConflictError,
    NameTakenError,
    RemoteAuthError,
    RemoteError,
    RemoteNotFoundError,
    RemoteUnreachableError,
)
from jobferry.services.accounts.service import AccountService
from jobferry.services.audit import audit_in_scope, record_audit
from jobferry.services.context import WRITERS, Actor, Scope, now_ms, require_project_admin
from jobferry.services.importing.uploads import PackageSource
from jobferry.services.remotes.client import JOB_TYPES, Backoff, DataArtsClient, RemoteEndpoint
from jobferry.services.remotes.paging import PagingModes
from jobferry.services.remotes.reading import LastRead
from jobferry.services.remotes.records import (
    FailedTask,
    Refresh,
    Remote,
    RemoteChange,
    RemoteCheck,
    RemoteSpec,
    RunningTask,
)
from jobferry.services.remotes.refresh import refresh
from jobferry.services.remotes.refresh_said import Said
from jobferry.services.remotes.refusals import NOT_THERE_CODES
from jobferry.services.remotes.removal import refuse_removal
from jobferry.services.remotes.snapshot import refresh_from_snapshot
from jobferry.services.support.secretbox import SecretBox
from jobferry.services.taskprogress import Progress
from jobferry.storage import Database, Tx
from jobferry.storage import accounts as account_repo
from jobferry.storage import remotes as repo
from jobferry.storage import tasks as task_repo
from jobferry.storage.records import WorkspaceRecord
from jobferry.storage.remotes import RemoteRecord


def _typed(
    item: RemoteRecord, refreshing: RunningTask | None = None, failed: FailedTask | None = None
) -> Remote:
    last = Refresh.load(item.refresh) if item.refresh else None
    if failed is not None and last is not None and failed.end_time <= last.at:
        failed = None  # a refresh succeeded since
    return Remote(
        item.name,
        item.workspace_id,
        item.endpoint,
        item.remote_project_id,
        item.remote_workspace,
        item.access_key,
        item.created_at,
        item.created_by,
        last,
        item.studio_endpoint,
        refreshing,
        failed,
    )


@dataclass
class RemoteService:
    """Add, read, test, refresh and remove the remotes of a project."""

    db: Database
    box: SecretBox
    accounts: AccountService
    packages: PackageSource | None = None
    """Where a carried snapshot is fetched from (uploads, download centers, object storage)."""
    timeout: float = 30.0
    retry_seconds: float = Backoff.first
    """The first wait before a failed call is sent again (``JOBFERRY_REMOTE_RETRY_SECONDS``)."""
    throttle_seconds: float = 60.0
    """How long a throttled call is waited for, in all (``JOBFERRY_REMOTE_THROTTLE_SECONDS``)."""
    sleep: Callable[[float], None] = time.sleep
    """How every client of this service waits before sending a call again."""
    transport: httpx2.BaseTransport | None = None
    """What every client of this service sends its requests through (``None``: the network).
    The tests plug an in-memory DataArts in here (``tests/support/standin.py``)."""
    paging: PagingModes = field(default_factory=PagingModes)
    """What this process learned of each remote endpoint's paging, for all its clients."""
    progress: Progress | None = None
    """What running tasks said (a refresh's report, as its task page shows it)."""

    def client(self, item: RemoteRecord, *, probe: bool = False) -> DataArtsClient:
        """A client of the remote, signing with its (decrypted) secret key, sending a call
        that failed for a passing reason again (``probe``: once at most, and a throttled one
        not waited for: a probe answers at once)."""
        endpoint = RemoteEndpoint(
            item.endpoint,
            item.remote_project_id,
            item.remote_workspace,
            item.access_key,
            self.box.decrypt(item.secret_encrypted),
            item.studio_endpoint,
        )
        backoff = Backoff(
            attempts=2 if probe else Backoff.attempts,
            first=self.retry_seconds,
            throttled=0.0 if probe else self.throttle_seconds,
            jitter=True,
        )
        return DataArtsClient(
            item.name,
            endpoint,
            timeout=self.timeout,
            backoff=backoff,
            transport=self.transport,
            sleep=self.sleep,
            paging=self.paging,
            held=LastRead(self.db, item.workspace_id),
        )

    def add(self, actor: Actor, spec: RemoteSpec) -> Remote:
        """Remember a remote and create its shadow workspace, named as the remote (project
        admins only)."""
        require_project_admin(actor, "add remotes")
        project, now = actor.project_id, now_ms()
        with self.db.transaction() as tx:
            if repo.get_remote(tx, project, spec.name) is not None:
                raise NameTakenError(
                    f"Remote '{spec.name}' already exists in this project; remove it first or "
                    "choose another name.",
                    remote=spec.name,
                )
            if account_repo.find_workspace_by_name(tx, project, spec.name) is not None:
                raise NameTakenError(
                    f"Workspace '{spec.name}' already exists in this project, and a remote's "
                    "shadow workspace takes the remote's name; choose another name.",
                    remote=spec.name,
                )
            ws = WorkspaceRecord(
                uuid.uuid4().hex, project, spec.name, False, LockPolicy.SOFT.value, False, now
            )
            account_repo.insert_workspace(tx, ws)
            item = RemoteRecord(
                project,
                spec.name,
                ws.id,
                spec.endpoint,
                spec.project_id,
                spec.workspace,
                spec.access_key,
                self.box.encrypt(spec.secret_key),
                now,
                actor.name,
                studio_endpoint=spec.studio_endpoint,
            )
            _refuse_same_workspace(tx, item)
            repo.insert_remote(tx, item)
            repo.mark_shadow(tx, ws.id, spec.name)
            detail = {
                "endpoint": spec.endpoint,
                "studioEndpoint": spec.studio_endpoint,
                "workspace": spec.workspace,
            }
            record_audit(tx, project, ws.id, actor.name, "remote.add", "remote", spec.name, detail)
        self.accounts.forget_scopes()
        return _typed(item)

    def list_all(self, actor: Actor) -> list[Remote]:
        """Every remote of the project, by name, each with the refresh running now if one
        is."""
        with self.db.transaction(readonly=True) as tx:
            items = repo.list_remotes(tx, actor.project_id)
            shadows = [i.workspace_id for i in items]
            running = self._refreshing(tx, shadows)
            failed = task_repo.last_failed_in(tx, shadows, TaskKind.REFRESH)
        return [
            _typed(item, running.get(item.workspace_id), failed.get(item.workspace_id))
            for item in items
        ]

    def get(self, actor: Actor, name: str) -> Remote:
        """One remote, with its last refresh and the refresh running now if one is."""
        with self.db.transaction(readonly=True) as tx:
            return self._answered(
                tx, self._found(repo.get_remote(tx, actor.project_id, name), name)
            )

    def _answered(self, tx: Tx, item: RemoteRecord) -> Remote:
        """One remote as shown: with its refresh running now and its failed one, if any."""
        running = self._refreshing(tx, [item.workspace_id])
        failed = task_repo.last_failed_in(tx, [item.workspace_id], TaskKind.REFRESH)
        return _typed(item, running.get(item.workspace_id), failed.get(item.workspace_id))

    def _refreshing(self, tx: Tx, shadows: list[str]) -> dict[str, RunningTask]:
        """The refresh queued or running in each of these shadow workspaces, with what it
        said last (from inside its transaction too, as its task page shows it)."""
        running = task_repo.running_in(tx, shadows, TaskKind.REFRESH)
        if self.progress is None:
            return running
        for shadow, task in running.items():
            record = task_repo.get_task(tx, shadow, task.id)
            if record is not None:
                said = self.progress.since(record)
                running[shadow] = replace(task, progress=said.progress, message=said.message or "")
        return running

    def _record(self, actor: Actor, name: str) -> RemoteRecord:
        with self.db.transaction(readonly=True) as tx:
            return self._found(repo.get_remote(tx, actor.project_id, name), name)

    @staticmethod
    def _found(item: RemoteRecord | None, name: str) -> RemoteRecord:
        """``item``, or the refusal of a remote the project does not have."""
        if item is None:
            raise RemoteNotFoundError(
                f"There is no remote '{name}' in this project.",
                fix="List them with GET /v1/{project_id}/remotes.",
                remedy=Remedy.LIST_REMOTES,
                remote=name,
            )
        return item

    def test(self, actor: Actor, name: str) -> RemoteCheck:
        """Two cheap signed reads (the first job of ``list_jobs``, of each job type: the list
        answers batch jobs unless asked for real-time ones): is the remote reachable, are its
        credentials accepted, are its project and workspace there, how many jobs it holds?
        It signs with the remote's keys: those who may refresh it may test it."""
        item, _ = self.refresh_scope(actor, name)
        totals: list[object] = []
        with self.client(item, probe=True) as client:
            try:
                for job_type in JOB_TYPES:
                    query = {"jobType": job_type, "limit": 1, "offset": 0}
                    totals.append(client.json("list_jobs", query=query).get("total"))
            except RemoteError as exc:
                return _judged(name, exc, client.calls)
        counted = [t for t in totals if isinstance(t, int)]
        total = sum(counted) if len(counted) == len(totals) else None
        return RemoteCheck(
            name,
            RemoteReach.REACHABLE,
            f"Remote '{name}' is reachable: {item.endpoint} accepted the credentials and its "
            f"workspace '{item.remote_workspace}' holds {total} job(s).",
            client.calls,
        )

    def refresh_scope(self, actor: Actor, name: str) -> tuple[RemoteRecord, Scope]:
        """The remote ``name`` and its shadow workspace's scope, refused unless ``actor`` may
        refresh it (admins and developers of the shadow)."""
        item = self._record(actor, name)
        scope = self.accounts.scope(actor, actor.project_id, item.workspace_id)
        scope.require(WRITERS, f"refresh remote '{name}'")
        return item, scope

    def refresh(self, actor: Actor, name: str, said: Said | None = None) -> Refresh:
        """Read the remote in bulk and bring its shadow to exactly that state (``said``: told
        how far it got: a refresh task's progress)."""
        item, scope = self.refresh_scope(actor, name)
        with self.client(item) as client:
            return refresh(self.db, scope, name, client, self.box, said)

    def refresh_from(self, actor: Actor, name: str, path: str) -> Refresh:
        """Bring the shadow to the state of a snapshot carried from the remote's side: a
        whole-workspace export (jobferry's, or a DataArts batch export) named by ``path``
        (``upload://`` into the shadow workspace, ``download://`` or ``obs://``)."""
        item, scope = self.refresh_scope(actor, name)
        assert self.packages is not None, "the container gives a remote service its packages"
        return refresh_from_snapshot(self.db, scope, item, self.packages, path, self.box)

    def refresh_upload(self, actor: Actor, name: str, stream: IO[bytes], file_name: str) -> Refresh:
        """:meth:`refresh_from` a snapshot uploaded here and now (the console's file field):
        kept as an upload into the shadow workspace, as ``POST /v1/{project_id}/packages``
        keeps one, then read from its ``upload://`` path."""
        _, scope = self.refresh_scope(actor, name)
        assert self.packages is not None, "the container gives a remote service its packages"
        kept = self.packages.upload(scope, stream, file_name)
        return self.refresh_from(actor, name, kept.path)

    def change(self, actor: Actor, name: str, change: RemoteChange) -> Remote:
        """Rotate a remote's access key or secret key, or move its endpoints, in place (project
        admins only): its shadow workspace, refreshes, routes and their history stay, and the
        next call signs with the new key at the new endpoint. The audit log names the fields
        changed, never a secret. Answered as :meth:`get` answers it."""
        require_project_admin(actor, "change remotes")
        with self.db.transaction() as tx:
            item = repo.lock_remote(tx, actor.project_id, name)
            item = self._found(item, name)
            secret = change.secret_key
            changed = replace(
                item,
                endpoint=change.endpoint or item.endpoint,
                studio_endpoint=(
                    change.studio_endpoint if change.studio_given else item.studio_endpoint
                ),
                access_key=change.access_key or item.access_key,
                secret_encrypted=item.secret_encrypted
                if secret is None
                else self.box.encrypt(secret),
            )
            _refuse_same_workspace(tx, changed)
            repo.change_remote(tx, changed)
            detail = {
                "changed": change.fields,
                "endpoint": changed.endpoint,
                "studioEndpoint": changed.studio_endpoint,
                "accessKey": changed.access_key,
            }
            record_audit(
                tx,
                actor.project_id,
                item.workspace_id,
                actor.name,
                "remote.change",
                "remote",
                name,
                detail,
            )
            return self._answered(tx, changed)

    def remove(self, actor: Actor, name: str) -> None:
        """Forget a remote (project admins only); its shadow stays as an ordinary workspace
        holding the last refresh's copy. Refused while routes name the shadow, while a push
        into it is not over (its undo needs the remote), or while a refresh of it is queued or
        running. The remote's row is locked first, as a refresh's write locks it: a refresh
        writing now ends before the removal reads what it recorded, and one that writes later
        finds the remote gone and writes nothing."""
        require_project_admin(actor, "remove remotes")
        with self.db.transaction() as tx:
            item = self._found(repo.lock_remote(tx, actor.project_id, name), name)
            shadow = account_repo.get_workspace(tx, actor.project_id, item.workspace_id)
            assert shadow is not None
            refuse_removal(tx, item, shadow)
            repo.delete_remote(tx, item)
            scope = Scope(actor, shadow, Role.ADMIN)
            audit_in_scope(tx, scope, "remote.remove", "remote", name, {})
        self.accounts.forget_scopes()


def _refuse_same_workspace(tx: Tx, item: RemoteRecord) -> None:
    """Refuse a remote that reaches the DataArts workspace another remote of the project
    reaches (same endpoint, project and workspace): one push at a time is kept per remote, so
    pushes through the two would not wait for each other, and each shadow would see the
    other's pushes as changes made in DataArts."""

    def reaches(remote: RemoteRecord) -> tuple[str, str, str]:
        endpoint = remote.endpoint.rstrip("/").lower()
        return endpoint, remote.remote_project_id, remote.remote_workspace

    for other in repo.list_remotes(tx, item.project_id):
        if other.name != item.name and reaches(other) == reaches(item):
            raise ConflictError(
                f"Remote '{other.name}' already reaches workspace '{item.remote_workspace}' of "
                f"project '{item.remote_project_id}' at {other.endpoint}: two remotes of one "
                "DataArts workspace would push to it without waiting for each other, and each "
                f"shadow would take the other's pushes for changes made in DataArts. Use remote "
                f"'{other.name}' (its shadow workspace '{other.name}').",
                remote=item.name,
                existing=other.name,
            )


def _judged(name: str, exc: RemoteError, calls: int) -> RemoteCheck:
    """A failed probe, said plainly."""
    context = exc.context
    code = context.get("remote_error_code")
    if isinstance(exc, RemoteAuthError):
        reach = RemoteReach.AUTH_REFUSED
    elif isinstance(exc, RemoteUnreachableError):
        reach = RemoteReach.UNREACHABLE
    elif context.get("remote_status") == 404 or code in NOT_THERE_CODES:
        reach = RemoteReach.NOT_FOUND
    else:
        reach = RemoteReach.REFUSED
    # A refused key or an endpoint not reached says already what to check (the client's
    # errors): the probe adds its advice only to an answer that says nothing of it.
    fixes = {
        RemoteReach.NOT_FOUND: "check its endpoint URL, project id and workspace id",
        RemoteReach.REFUSED: "see what the remote said",
    }
    # (an endpoint, project or workspace not there: the client's message says its fix)
    advice = (
        f" Remote '{name}': {reach.value.replace('_', ' ')}; {fixes[reach]}."
        if reach in fixes and code not in NOT_THERE_CODES
        else ""
    )
    return RemoteCheck(
        name,
        reach,
        f"{exc.message}{advice}",
        calls,
        context.get("remote_status"),
        code,
        context.get("remote_error_msg"),
    )
