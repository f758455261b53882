"""Background tasks: queued in the database, claimed and run by the task threads of any server
process sharing it, and the housekeeping that keeps the processes honest.

An accepted import, plan, export, rollback or refresh is a queued row (``TaskService.enqueue``,
or the import service's ``prepare``). The accepting process kicks its own task threads at
once, so a lone server starts the task without waiting; every started runner also looks for
queued tasks each ``POLL_SECONDS``, so a task accepted by a busy process (or by one with
``JOBFERRY_TASK_THREADS=0``) is run by another. A task thread keeps claiming until nothing is
queued. Task state lives in the database, so any process reports it, and the heartbeat fails
the tasks of a process that stopped (their work was one transaction, rolled back with it); a
server that starts alone on its database fails them as it starts. A task that stopped because
the database went away, whose end could not be written either, is failed by its own process's
next heartbeat that reaches the database (``TaskService.abandon``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor

from jobferry.domain.enums import TaskKind
from jobferry.errors import DatabaseBusyError, JobferryError, StorageError
from jobferry.services.container import Services
from jobferry.services.context import Actor, Scope
from jobferry.services.exporting.options import ExportRequest
from jobferry.services.exporting.service import ExportOutcome
from jobferry.services.importing.plan import Plan
from jobferry.services.importing.request import ImportRequest
from jobferry.services.routes.plans import Applied
from jobferry.services.routes.records import RoutePlan
from jobferry.services.support.scratch import remove_own_scratch, sweep_scratch
from jobferry.services.taskends import DATABASE_LOST
from jobferry.services.taskfailures import internal_error
from jobferry.services.tasks import ClaimedTask, QueuedTask

log = logging.getLogger("jobferry.tasks")
POLL_SECONDS = 1.0
"""How often an idle process with a free task thread looks for tasks queued elsewhere."""


class TaskRunner:
    """Accepts background work, runs queued tasks, keeps the download center tidy."""

    def __init__(
        self,
        services: Services,
        *,
        threads: int | None = None,
        sweep_seconds: float = 600,
        housekeeping: bool = True,
    ) -> None:
        """``housekeeping``: whether ``start`` starts the thread that beats, fails the tasks and
        finishes the pushes of processes that stopped, and sweeps expired packages, sessions
        and rollbacks. Every server does; an app that shares its database with no other process
        and lives for one short test (the tests' in-process apps) has nothing to keep."""
        self.services = services
        self._housekeeping = housekeeping
        self.threads = services.settings.task_threads if threads is None else threads
        self._pool = ThreadPoolExecutor(
            max_workers=max(self.threads, 1), thread_name_prefix="jobferry-task"
        )
        self._free = threading.Semaphore(self.threads)
        self._wanted = threading.Event()
        self._stop = threading.Event()
        self._sweep_seconds = sweep_seconds
        self._beat_seconds = float(services.settings.worker_heartbeat_seconds)
        self._helpers: list[threading.Thread] = []
        self._claims_lost = ""  # why claiming failed for want of the database; said once
        self._running: set[str] = set()  # the ids of the tasks this process's threads run
        self._running_lock = threading.Lock()
        services.promotion_runs.queued = lambda: self.kick(queued_here=True)
        services.promotion_runs.slots = self.threads  # as many promotions at once as tasks
        self._kinds: dict[TaskKind, Callable[[ClaimedTask], None]] = {
            TaskKind.IMPORT: lambda task: services.imports.run(services.imports.resume(task)),
            TaskKind.PLAN: lambda task: services.imports.run(services.imports.resume(task)),
            TaskKind.EXPORT: lambda task: services.exports.run(services.exports.resume(task)),
            TaskKind.ROLLBACK: self._roll_back,
            TaskKind.REFRESH: services.refresh_tasks.run,
        }

    def _roll_back(self, task: ClaimedTask) -> None:
        """A rollback task: of a release (with its bookkeeping), or of an import."""
        if "release" in task.request:
            self.services.release_rollback.run(task)
        else:
            self.services.rollback.run(task)

    def start(self) -> None:
        """Register this process, start the heartbeat/expiry thread and the queue poller. A
        server (``housekeeping``) first removes the scratch folders of this machine's stopped
        processes (here, once the server's logging is set up, so the log says what went), and
        alone on its database fails its predecessors' orphaned tasks, so a crash's workspace
        lock goes with the restart."""
        if self._housekeeping:
            sweep_scratch(self.services.settings, time.time())
        failed = self.services.tasks.register_worker(presence=self._housekeeping)
        if failed:
            log.warning(
                "started alone on the database: marked %d orphaned task(s) FAILED: %s",
                len(failed),
                failed,
            )
        helpers = [("jobferry-keeper", self._keep)] if self._housekeeping else []
        if self.threads:
            helpers.append(("jobferry-poller", self._poll))
        for name, target in helpers:
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._helpers.append(thread)

    def _keep(self) -> None:
        next_sweep = 0.0
        while not self._stop.is_set():
            try:
                failed = self.services.tasks.heartbeat()
                if failed:
                    log.warning("marked %d orphaned task(s) FAILED: %s", len(failed), failed)
                undone = self.services.pushes.recover()
                if undone:
                    log.warning("finished the undo of %d push(es): %s", len(undone), undone)
                if time.monotonic() >= next_sweep:
                    next_sweep = time.monotonic() + self._sweep_seconds
                    removed = self.services.downloads.sweep() + self.services.imports.sweep()
                    if removed:
                        log.info("removed %d expired package(s)", removed)
                    self.services.signin.sweep()
                    self.services.tokens.sweep()
                    expired = self.services.rollback_expiry.sweep()
                    if expired:
                        log.info("dropped what %d import(s) past rollback replaced", expired)
                    swept = self.services.retention.sweep()
                    if swept.tasks or swept.entries:
                        log.info(
                            "dropped the %d line(s) of %d task(s) and %d audit entries",
                            swept.lines,
                            swept.tasks,
                            swept.entries,
                        )
            except StorageError as lost:  # busy behind an import on SQLite, or gone: one line
                log.warning("housekeeping skipped a round: %s", lost.problem)
            except Exception:
                log.exception("housekeeping failed")
            self._stop.wait(self._beat_seconds)

    def _poll(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            self.kick()
            try:  # promotions queued while the slots were busy (here or elsewhere), or before
                self.services.promotion_runs.kick()
            except Exception:
                log.exception("claiming a queued promotion failed")

    def kick(self, *, queued_here: bool = False) -> None:
        """Have a free task thread claim queued tasks (at once, without looking first, when
        this process has just ``queued_here``). With none free the busy ones go on claiming
        when they finish, and other processes' pollers find the task meanwhile."""
        self._wanted.set()
        while (
            self._wanted.is_set() and not self._stop.is_set() and self._free.acquire(blocking=False)
        ):
            self._wanted.clear()
            try:
                self._pool.submit(self._drain, queued_here)
            except RuntimeError:  # the pool is shutting down
                self._free.release()
                return

    def _drain(self, queued_here: bool) -> None:
        try:
            while not self._stop.is_set():
                self._wanted.clear()  # a kick from now on finds this thread's claim or a re-kick
                with self.services.db.patient():  # behind an import's lock: wait, then claim
                    task = self.services.tasks.claim(tuple(self._kinds), look_first=not queued_here)
                queued_here = False
                if self._claims_lost:
                    self._claims_lost = ""
                    log.warning("claiming tasks works again: the database is back")
                if task is None:
                    break
                self._run(task)
        except StorageError as lost:  # the database went away: one line, not one a second
            if self._claims_lost != lost.message:  # said again only when it changed
                self._claims_lost = lost.message
                log.warning(
                    "claiming a task failed: %s The next looks (every %g s) try again; this "
                    "log says when one works.",
                    lost.message,
                    POLL_SECONDS,
                )
        except Exception:
            log.exception("claiming a task failed")
        finally:
            self._free.release()
        if self._wanted.is_set():  # kicked while this thread was giving up: look again
            self.kick()

    def _run(self, task: ClaimedTask) -> None:
        with self._running_lock:
            self._running.add(task.id)
        try:
            self._run_claimed(task)
        finally:
            with self._running_lock:
                self._running.discard(task.id)

    def _run_claimed(self, task: ClaimedTask) -> None:
        # A task's writes wait behind another's (an import's) SQLite write lock, not fail.
        with self.services.db.patient():
            try:
                self._kinds[task.kind](task)
            except DatabaseBusyError as exc:
                self.services.tasks.abandon(task.id, exc.message)
            except StorageError as away:  # even the task's own end could not be written
                log.warning("task %s lost its database connection: %s", task.id, away.message)
                self.services.tasks.abandon(task.id, DATABASE_LOST)
            except JobferryError as exc:
                self.services.tasks.abandon(task.id, exc.message)
            except Exception:
                log.exception("task %s could not start", task.id)
                self.services.tasks.abandon(task.id, internal_error(task.id))
            finally:
                self.services.tasks.ended_here(task.id)

    def start_export(self, scope: Scope, request: ExportRequest) -> str:
        """Validate a background export, queue it, return its task id."""
        prepared = self.services.exports.prepare(scope, request)
        self.kick(queued_here=True)
        return prepared.task_id

    def export_selected(
        self, scope: Scope, names: list[str], options: ExportRequest
    ) -> ExportOutcome | str:
        """Ticked jobs: a selection small enough is exported at once (answers the package),
        a larger one becomes a task of the download center (answers its id)."""
        settings = self.services.settings
        if len(names) > min(settings.console_sync_export_max_jobs, settings.export_batch_max_jobs):
            return self.start_export(scope, options.of_names(names, selected=True))
        if len(names) == 1:
            return self.services.exports.export_job(scope, names[0], options)
        return self.services.exports.export_batch(scope, options.of_names(names))

    def start_rollback(self, scope: Scope, task_id: str) -> str:
        """Queue the rollback of import ``task_id`` (refused at once where it cannot run),
        return its task id."""
        queued = self.services.rollback.start(scope, task_id)
        self.kick(queued_here=True)
        return queued

    def start_release_rollback(self, scope: Scope, package_id: int | None) -> QueuedTask:
        """Queue the rollback of the last release (``package_id``'s, when named): its task,
        in the production side."""
        queued = self.services.release_rollback.start(scope, package_id)
        self.kick(queued_here=True)
        return queued

    def start_refresh(self, actor: Actor, name: str, path: str | None = None) -> QueuedTask:
        """Queue the refresh of remote ``name`` (from the snapshot ``path`` names, if given):
        its task, in the remote's shadow workspace."""
        queued = self.services.refresh_tasks.start(actor, name, path)
        self.kick(queued_here=True)
        return queued

    def start_import(self, scope: Scope, request: ImportRequest) -> str:
        """Validate an import (taking the workspace's import lock), queue it, return its id."""
        prepared = self.services.imports.prepare(scope, request, own=True)
        self.kick(queued_here=True)
        return prepared.task_id

    def plan_import(self, scope: Scope, request: ImportRequest) -> Plan | str:
        """The plan of an import; a large package's plan runs as a task (answers its id)."""
        outcome = self.services.imports.plan(scope, request)
        if isinstance(outcome, Plan):
            return outcome
        self.kick(queued_here=True)
        return outcome.task_id

    def plan_promotion(
        self, scope: Scope, name: str, overrides: Mapping[str, object], path: str | None = None
    ) -> RoutePlan:
        """The plan of a route's promotion (``RoutePlans.plan``), its planning task started."""
        planned = self.services.route_plans.plan(scope, name, overrides, path)
        if planned.planning_task is not None:
            self.kick(queued_here=True)
        return planned

    def replan_promotion(
        self, scope: Scope, name: str, promotion_id: str, request: ImportRequest
    ) -> RoutePlan:
        """A promotion planned again with the whole request (the console's wizard)."""
        planned = self.services.route_plans.replan(scope, name, promotion_id, request)
        if planned.planning_task is not None:
            self.kick(queued_here=True)
        return planned

    def apply_promotion(self, scope: Scope, name: str, plan_id: str) -> Applied:
        """Import a route's planned promotion (``RoutePlans.apply``), its task started."""
        applied = self.services.route_plans.apply(scope, name, plan_id)
        self.kick(queued_here=True)
        return applied

    def _say_waiting(self) -> bool:
        """Log the tasks the stop waits for, if any (a long import would otherwise look like a
        stop that hung); whether there were any."""
        with self._running_lock:
            ids = sorted(self._running)
        ids += self.services.promotion_runs.running()
        if ids:
            log.info(
                "stopping: waiting for the %d task(s) this process runs to end (a stop cuts "
                "calls past JOBFERRY_SHUTDOWN_SECONDS, never tasks): %s",
                len(ids),
                ids,
            )
        return bool(ids)

    def shutdown(self) -> None:
        """Stop claiming and housekeeping, wait for running tasks, unregister; a server's
        (``housekeeping``) also removes its scratch folder. Tasks still queued stay queued for
        another process, or this one's next start."""
        self._stop.set()
        self.services.promotion_runs.stop()
        waited = self._say_waiting()
        self._pool.shutdown(wait=True)
        self.services.promotion_runs.join()
        if waited:
            log.info("stopping: the task(s) this process ran have ended")
        for thread in self._helpers:
            thread.join(timeout=5)
        try:
            self.services.tasks.unregister_worker()
        except StorageError as lost:  # stopped while the database is away: one line, not a trace
            log.warning(
                "stopping without unregistering this process: %s Its record goes with the "
                "next start alone on the database, or another process's heartbeat.",
                lost.message,
            )
        if self._housekeeping:
            remove_own_scratch(self.services.settings)
