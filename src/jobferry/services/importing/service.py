"""The import use cases: upload, check-file, plan, import (atomic or per object), as tasks.

Pipeline: read → verify (the reader checks the manifest) → transform → resolve → check →
plan → apply, the last four inside ONE write transaction that also records the task's final
status and releases the workspace's import lock, so a crash at any point leaves the workspace
as it was and the task is later reported FAILED by the heartbeat.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import replace
from functools import partial
from typing import IO, Any

from jobferry.domain.enums import ImportMode, TaskKind, TaskStatus
from jobferry.errors import ConflictError, ImportRunningError, JobferryError
from jobferry.package.reader import ReadLimits
from jobferry.services.context import WRITERS, Scope, now_ms
from jobferry.services.downloads import DownloadService
from jobferry.services.importing import ending, progress
from jobferry.services.importing.apply import Applier, apply_plan
from jobferry.services.importing.changes import Executor, TaskEnd
from jobferry.services.importing.checks import signature_state
from jobferry.services.importing.contents import PackageContents, contents_of
from jobferry.services.importing.delivery import Deliveries, PreparedImport, TaskNote
from jobferry.services.importing.ending import ended, finish_in, hold_in, refuse_unfit
from jobferry.services.importing.kept import KeptPlan, KeptPlans
from jobferry.services.importing.local import LocalWorkspace
from jobferry.services.importing.matching import package_source
from jobferry.services.importing.model import EnvironmentReport, PlanOutcome, Record
from jobferry.services.importing.plan import Plan
from jobferry.services.importing.planner import PlanContext, Planner
from jobferry.services.importing.plans import PlanStore
from jobferry.services.importing.ports import (
    ImportSource,
    ImportTarget,
    OpenedPackage,
    TargetReader,
)
from jobferry.services.importing.recorded import Recorded
from jobferry.services.importing.refused import parsed_audited, refusals_audited
from jobferry.services.importing.request import ImportRequest
from jobferry.services.importing.sources import PackageFile
from jobferry.services.importing.uploads import KeptUpload, PackageSource, named_by_running
from jobferry.services.policies.gate import refuse_breaches
from jobferry.services.releases.production import import_side
from jobferry.services.support.collector import collector_paused
from jobferry.services.support.scratch import scratch_folder
from jobferry.services.support.switches import Switches
from jobferry.services.taskfailures import unexpected_failure
from jobferry.services.tasks import ClaimedTask, TaskService, lock_held, lock_holding
from jobferry.settings import Settings
from jobferry.storage import Database, Tx
from jobferry.storage import ledger as release_repo
from jobferry.storage import tasks as task_repo
from jobferry.storage.blobs import BlobStore
from jobferry.storage.importing import plans as plan_repo
from jobferry.storage.importing import target as repo
from jobferry.storage.importing.plans import PlanRecord
from jobferry.storage.importing.workset import Workset
from jobferry.storage.tasks import TaskRecord

log = logging.getLogger("jobferry.import")
PLAN_SYNC_MAX_OBJECTS = 2000
TITLE_LENGTH = 512
"""A task title is cut to the length its column holds."""


class ImportService:
    """Imports of every kind, and what they need: uploads, check-file, plans."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        tasks: TaskService,
        uploads: BlobStore,
        object_storage: Any,
        limits: ReadLimits,
        downloads: DownloadService,
        deliveries: Deliveries,
    ) -> None:
        self.db, self.settings, self.tasks, self.limits = db, settings, tasks, limits
        self.scratch = scratch_folder(settings)
        self.deliveries = deliveries
        self.plans = PlanStore(db, deliveries, KeptPlans.of(settings))
        ttl = settings.download_ttl_seconds
        self.packages = PackageSource(
            db, uploads, object_storage, limits, self.scratch, ttl, downloads
        )

    # -- check-file and plan ---------------------------------------------------------------

    def request_of(self, scope: Scope, body: dict[str, Any], *, planning: bool) -> ImportRequest:
        """The import ``body`` asks; refused, its import (or plan) is refused, audited."""
        return parsed_audited(self.db, self.packages, scope, body, planning=planning)

    def upload(self, scope: Scope, stream: IO[bytes], file_name: str) -> KeptUpload:
        """Keep an uploaded package for a later import; answers the path to import."""
        Switches.of(self.settings).require_import()
        scope.require(WRITERS, "upload packages")
        return self.packages.upload(scope, stream, file_name)

    def sweep(self, now: int | None = None) -> int:
        """Drop expired uploads and plans past the package TTL, not a running task's: how many."""
        moment = now_ms() if now is None else now
        gone, ttl_ms = self.packages.sweep(moment), self.settings.download_ttl_seconds * 1000
        with self.db.transaction() as tx:
            plan_repo.delete_plans_before(tx, moment - ttl_ms, named_by_running(tx).plans)
            release_repo.forget_unplanned(tx)  # restores and releases waiting on them
        self.plans.sweep_kept()  # the working sets of the plans forgotten
        return gone

    def check_file(self, scope: Scope, path: str) -> PackageContents:
        """DataArts show_file_info: what the package holds, without importing anything."""
        Switches.of(self.settings).require_import()
        scope.require(WRITERS, "look into packages")
        with collector_paused(), self._source(scope, path).open() as reader:
            with self.db.transaction(readonly=True) as tx:
                signature = signature_state(self._target(tx, scope).reader(False), reader, scope)
            return contents_of(reader, signature)

    def plan(self, scope: Scope, asked: ImportRequest) -> Plan | PreparedImport:
        """The plan of an import: at once for a small package into a workspace that need not
        catch up with its truth first (a remote's shadow refreshed lately), else a dry-run task
        to run."""
        Switches.of(self.settings).require_import()
        scope = import_side(self.db, scope, asked.status_asked)  # as released: production
        with refusals_audited(self.db, self.packages, scope, asked, planning=True):
            request = self._request(scope, asked)
            if not self.deliveries.of(scope.workspace).stale(scope):
                with collector_paused(), self._source(scope, request.path).open() as reader:
                    if reader.definitions() <= PLAN_SYNC_MAX_OBJECTS:
                        return self._plan_and_keep(scope, request, reader)
        return self.prepare(scope, asked.as_dry_run())

    def check_profile(self, scope: Scope, asked: ImportRequest) -> EnvironmentReport:
        """Is this profile enough for this package? Every environment reference of the package
        is mapped or exists in the target, and required connections have their secrets."""
        Switches.of(self.settings).require_import()
        request = self._request(scope, asked)
        with (
            collector_paused(),
            self._source(scope, request.path).open() as reader,
            Workset(self.scratch) as workset,
            self.db.transaction(readonly=True) as tx,
        ):
            target = self._target(tx, scope).reader(lock_rows=False)
            plan = self._plan(target, scope, request, reader, workset, environment_report=True)
            assert plan.environment is not None
            return replace(plan.environment, profile=plan.profile, package_sha256=reader.sha256)

    def _plan_and_keep(
        self,
        scope: Scope,
        request: ImportRequest,
        reader: OpenedPackage,
        said: Callable[[int], None] | None = None,
    ) -> Plan:
        """Plan on a read-only snapshot of the target (nothing locked or written), keep the
        plan, its lines and its working set with the reads it made, and answer it (``said``:
        told how many objects were planned so far, a batch at a time)."""
        with Workset(self.scratch) as workset:
            with self.db.transaction(readonly=True) as tx:
                target = Recorded(self._target(tx, scope).reader(lock_rows=False), workset)
                plan = self._plan(target, scope, request, reader, workset, said=said)
            witness = target.witness()
            return self.plans.keep(scope, plan, workset, request, reader.sha256, witness)

    def _plan(
        self,
        target: TargetReader,
        scope: Scope,
        request: ImportRequest,
        reader: OpenedPackage,
        workset: Workset,
        *,
        environment_report: bool = False,
        ahead: Callable[[list[tuple[int, Record]]], None] | None = None,
        said: Callable[[int], None] | None = None,
    ) -> PlanOutcome:
        """Plan the package into ``workset``; a package large enough (a helper process costs
        about a second to start) is read and prepared in a helper process."""
        helper = reader.definitions() >= self.settings.import_helper_objects
        context = PlanContext(
            target,
            scope,
            request,
            self.settings.max_nodes_per_job,
            environment_report=environment_report,
            helper=helper,
            write_ahead=ahead,
            said=said,
            delivery=self.deliveries.of(scope.workspace),
        )
        return Planner(context, reader, workset).run()

    def _plan_for_apply(
        self,
        tx: Tx,
        applier: Applier,
        reader: OpenedPackage,
        workset: Workset,
        said: Callable[[int], None] | None = None,
    ) -> PlanOutcome:
        """The plan of an import (its rows locked), in the import's transaction ``tx``.

        An ATOMIC import on SQLite writes what it creates as the plan finds it
        (``apply.Applier.ahead``), so that the writing goes on while the helper process
        prepares the next batches rather than all after the plan. The plan then reads on a
        second connection: a snapshot of the database as ``tx`` found it, which nothing else
        can have changed since (``tx`` has held SQLite's write lock from its start), and which
        what ``tx`` writes ahead does not change either. So the plan reads exactly what it
        would read alone, its fingerprint included; a problem it finds later refuses the import
        and ``tx`` takes back what was written ahead with the rest. PostgreSQL and PER_OBJECT
        imports plan first and write after (a plan there locks the rows it reads, in ``tx``;
        a PER_OBJECT import knows what fails only once the plan is whole)."""
        scope, request = applier.scope, applier.request
        if not self.db.reads_beside_writes or request.mode is not ImportMode.ATOMIC:
            target = self._target(tx, scope).reader(lock_rows=True)
            return self._plan(target, scope, request, reader, workset, said=said)
        with self.db.transaction(readonly=True, bulk=True) as snapshot:
            target = self._target(snapshot, scope).reader(lock_rows=True)
            ahead = applier.ahead
            return self._plan(target, scope, request, reader, workset, ahead=ahead, said=said)

    def _request(
        self, scope: Scope, asked: ImportRequest, writes: bool = False, own: bool = False
    ) -> ImportRequest:
        """The request checked and settled (``own``: as :meth:`prepare` says)."""
        if writes:
            self.deliveries.of(scope.workspace).allow(scope, "import packages")
        scope.require(WRITERS, "import packages")
        request = asked.settled(scope)
        if writes and own and request.plan_id:  # said of the plan before its package
            self.plans.require_kept(scope, request.plan_id, self.settings.download_ttl_seconds)
        self.packages.check_path(scope, request.path)
        return request

    @staticmethod
    def _target(tx: Tx, scope: Scope) -> ImportTarget:
        """The workspace of ``scope`` as an import's target, in ``tx``."""
        return LocalWorkspace(tx, scope)

    def _source(self, scope: Scope, path: str) -> ImportSource:
        """The source an import path names: a package file (an upload or object storage)."""
        return PackageFile(self.packages, scope, path)

    # -- import ---------------------------------------------------------------------------

    def prepare(
        self,
        scope: Scope,
        asked: ImportRequest,
        along: TaskNote | None = None,
        *,
        title: str | None = None,
        own: bool = False,
    ) -> PreparedImport:
        """Validate an import, then take the workspace's import lock and queue the task,
        named ``title`` or for its package, in one transaction (no lock without its task);
        ``along(tx, task_id)`` writes there what the caller keeps of it (a promotion).
        ``own``: an import a client asked for itself (not a promotion's, a release's or a
        restore's, which check their plans in their own terms): its plan is refused gone or
        past its keep time at once."""
        Switches.of(self.settings).require_import()
        scope = import_side(self.db, scope, asked.status_asked)  # as released: production
        with refusals_audited(self.db, self.packages, scope, asked, planning=asked.dry_run):
            request = self._request(scope, asked, not asked.dry_run, own=own)
            if not request.dry_run:
                refuse_breaches(self.db, scope, request)  # a freeze begun, a policy changed
            what = "Plan the import" if request.dry_run else "Import the jobs"
            package = self._source(scope, request.path).title()
            named = (title or f"{what} from {package}.")[:TITLE_LENGTH]
            kind = TaskKind.PLAN if request.dry_run else TaskKind.IMPORT
            task = self.tasks.record(scope, kind, named, request.to_wire(), queued=True)
            if request.dry_run:
                self.tasks.insert(task)
            else:
                self._lock_and_create(scope, task, along)
        return PreparedImport(task.id, scope, request, not request.dry_run, package)

    def resume(self, task: ClaimedTask) -> PreparedImport:
        """A queued import (or dry run) that this process claimed, rebuilt from what
        ``prepare`` stored: the request's canonical form, settled again for its workspace."""
        request = ImportRequest.from_stored(task.request).settled(task.scope)
        package, _ = self.packages.described(task.scope, request.path)
        return PreparedImport(task.id, task.scope, request, not request.dry_run, package)

    def _lock_and_create(self, scope: Scope, task: TaskRecord, along: TaskNote | None) -> None:
        ws = scope.workspace.id
        noting = False  # a refusal of ``along`` is its own, not another import's lock
        try:
            with self.db.transaction() as tx:
                holder = repo.lock_holder(tx, ws)
                if holder is not None and task_repo.is_running(tx, holder):
                    raise self._busy(scope, holder, lock_holding(tx, holder))
                if holder is not None:
                    repo.drop_lock(tx, ws, holder)
                # Stamped once the lock is free: the previous import's end (stamped before
                # its commit) is never after this one's start, whichever process ran it.
                now = now_ms()
                repo.take_lock(tx, ws, task.id, now)
                task_repo.insert_task(tx, replace(task, start_time=now, last_update=now))
                if along is not None:
                    noting = True
                    along(tx, task.id)
                    noting = False
        except ConflictError as exc:
            if noting or isinstance(exc, ImportRunningError):
                raise
            with self.db.transaction(readonly=True) as tx:
                holder = repo.lock_holder(tx, ws)
                running = lock_holding(tx, holder) if holder else TaskKind.IMPORT
            raise self._busy(scope, holder or "unknown", running) from exc

    @staticmethod
    def _busy(scope: Scope, holder: str, running: TaskKind) -> ImportRunningError:
        return lock_held(running, scope.workspace.name, holder, "import again")

    def run(self, job: PreparedImport) -> None:
        """Run a prepared import or dry run to its end (called on a worker thread)."""
        try:
            with collector_paused():
                self._run(job)
        except JobferryError as exc:
            said = {"remedy": str(exc.remedy), "problem": exc.problem} if exc.remedy else {}
            self._fail(job, exc.message, exc.context | said, exc.code)
        except Exception as exc:
            # Reading keeps the package and its index in the scratch folder (here or in a
            # helper process); what the database cannot hold comes through its driver.
            what = f"import task {job.task_id} (the package it reads, its index, its objects)"
            self._fail(job, *unexpected_failure(exc, "import task", job.task_id, what, log))

    def _fail(self, job: PreparedImport, message: str, ctx: dict[str, Any], code: str = "") -> None:
        # The result's errorCode tells a client a refused package (DLF.9020) from the rest.
        result: dict[str, Any] = {"errorCode": code} if code else {}
        for key in ("problems", "push", "changed", "package_id", "remedy", "problem"):
            if ctx.get(key):
                result[key] = ctx[key]
        self.tasks.finish(job.task_id, TaskStatus.FAILED, message, result=result or None)
        if job.locked:
            with self.db.transaction() as tx:
                repo.drop_lock(tx, job.scope.workspace.id, job.task_id)

    def _run(self, job: PreparedImport) -> None:
        delivery = self.deliveries.of(job.scope.workspace)
        # An import naming a plan was planned on a fresh read already (its target fingerprint
        # and a push's re-read of what it touches refuse what changed since).
        if (job.request.dry_run or not job.request.plan_id) and delivery.stale(job.scope):
            with progress.catching_up(self.tasks, job.task_id) as said:
                delivery.catch_up(job.scope, said)
        if job.request.dry_run:
            changed = self._attempt(job, None)
        else:
            changed = delivery.run_import(job, lambda executor: self._attempt(job, executor))
        self.db.grown(changed, repo.GROWN_BY_IMPORT)

    def _attempt(self, job: PreparedImport, executor: Executor | None) -> int:
        """Read the package and plan, and apply (unless a dry run) through the change port
        ``executor`` makes (``None``: the local executor); objects written."""
        scope, request = job.scope, job.request
        self.tasks.advance(job.task_id, 5, "Reading the package.")
        # A large package's helper process starts at once (_plan); a kept plan's plans nothing.
        kept_here = bool(request.plan_id) and self.plans.kept.has(request.plan_id or "")
        helper = None if kept_here else self.settings.import_helper_objects
        with self._source(scope, request.path).open(helper) as reader:
            self.tasks.advance(job.task_id, 30, f"Checking {reader.definitions()} object(s).")
            stored = (
                self.plans.stored_for(scope, request, reader.sha256) if request.plan_id else None
            )
            if request.dry_run:
                said = partial(progress.checking, self.tasks, job.task_id, reader.definitions(), 95)
                plan = self._plan_and_keep(scope, request, reader, said)
                problems = plan.summary.problems
                self.tasks.finish(
                    job.task_id,
                    TaskStatus.WARNING if problems else TaskStatus.SUCCESSFUL,
                    f"Plan ready: {plan.summary.describe()}, {problems} problem(s).",
                    result={"plan": plan.stored()},
                )
                return 0
            opened = self.plans.kept.open(stored.id) if stored is not None else None
            if stored is not None:
                self.tasks.advance(
                    job.task_id, 40, progress.applying(stored.id, opened is not None)
                )
            with opened.workset if opened is not None else Workset(self.scratch) as workset:
                changed = self._import(job, reader, workset, stored, executor, opened)
            self.plans.applied(scope, stored, job.task_id)  # once the working set is closed
            return changed

    def _import(
        self,
        job: PreparedImport,
        reader: OpenedPackage,
        workset: Workset,
        stored: PlanRecord | None,
        executor: Executor | None = None,
        kept: KeptPlan | None = None,
    ) -> int:
        """Plan (rows locked) and apply in one transaction, with the task's final status; how
        many objects it wrote or deleted. The objects are written through the change port
        (``executor``'s, else the target's local one), the import's record apart from it. A
        ``kept`` plan (its working set is ``workset``) is applied once its reads answer as
        they did (:mod:`.kept`), without planning again."""
        scope, request = job.scope, job.request
        with ExitStack() as stack, self.db.transaction(bulk=True) as tx:
            source = package_source(reader)
            target = self._target(tx, scope)
            changes = executor(tx, scope) if executor is not None else target.changes()
            applier = Applier(
                changes,
                target.record(),
                scope,
                request,
                job.task_id,
                source.workspace_id,
                package_sha256=reader.sha256,
                package_created_at=source.created_at,
            )
            try:
                readers = partial(target.reader, lock_rows=True)
                plan = kept.verified(readers, scope, request, reader) if kept else None
                if plan is None:  # not kept here, or planned on what changed since
                    if kept is not None:
                        workset = stack.enter_context(Workset(self.scratch))
                    total = reader.definitions()
                    checking = partial(progress.checking, self.tasks, job.task_id, total, 40)
                    plan = self._plan_for_apply(tx, applier, reader, workset, checking)
                since = partial(ending.changes_since, tx, scope)
                refuse_unfit(stored, plan, request, since, scope.actor.name)
                pacing = self.deliveries.of(scope.workspace).pacing
                said = partial(progress.writing, self.tasks, job.task_id, pacing)
                outcome = apply_plan(applier, plan, workset, job.package, said)
                status, message, result = ended(outcome, plan, reader.sha256, applier.stamp.by)
                committed = changes.commit(TaskEnd(job.task_id, status, message, result))
            except BaseException:
                changes.abort()
                raise
            if committed.pending:  # the executor ends the task (and drops the lock) later
                hold_in(tx, job.task_id, committed.said)
            else:
                message, result = message + committed.said, {**result, **committed.result}
                finish_in(tx, job.task_id, status, message, result)
                repo.drop_lock(tx, scope.workspace.id, job.task_id)
        return outcome.written + outcome.deleted
