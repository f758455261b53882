"""A promotion planned (or packaged) within a budget, and past it as a task the client follows.

The first promotion of a route from a remote's shadow refreshes its source before it cuts the
package: a remote of 60,000 jobs takes minutes, longer than a client (120 s for the CLI) or a
reverse proxy waits for an answer, and the client gave up while the server went on. A client
that can follow a task says so (``Prefer: respond-async``: ``jobferry promote``, the console's
*Promote now*); its promotion then runs on a thread of its own, recorded from its start as a
``promotion`` task of the route's target workspace (of its source, for a target on another
server). The call waits for the work up to a budget (:data:`BUDGET`, or the header's
``wait=SECONDS`` up to :data:`MAX_WAIT`) and answers what the work answered when it ended in
time, the answer of a call without the header (its task, told to nobody, is then dropped);
past it, the task (:class:`Following`), which
ends with where the promotion stands (:func:`plan_result`: its plan id, once the task planning
a large package has ended too) or fails with the refusal the call would have answered. A call
without the header runs as it always did, within the request.

A process runs at most :attr:`PromotionRuns.slots` promotions at once (its task threads'
number, ``JOBFERRY_TASK_THREADS``): a client looping past the budget would otherwise start a
thread a call. A promotion asked while they are all busy is a queued ``promotion`` task (its
request holds the step, the route, the overrides and the caller's workspace), run by this
process when a slot frees (the call still waits its budget for it), or by any process's poller
(:meth:`PromotionRuns.kick`) with a free slot: queued, it outlives a restart and runs after
it. A process with no slots (``JOBFERRY_TASK_THREADS=0``, a process that runs no background
work) queues every promotion asked with the header and answers its task at once.

A server stopped mid-work cannot end its task: the dead-task rules of ``TaskService`` fail it
(the next process alone on the database at its start, or the heartbeat of another) saying the
process stopped. The work writes its plan in one transaction at its end, so a stop leaves no
plan half made, and at most a package no plan names yet, which the next promotion replaces.
A stopping process claims no more tasks: a promotion following a planning task queued (or run
by another process) ends failed, naming that task, rather than hold the stop.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from jobferry.domain.enums import TaskKind, TaskStatus
from jobferry.errors import DatabaseBusyError, JobferryError, StorageError
from jobferry.services.context import Scope
from jobferry.services.importing.delivery import Told
from jobferry.services.routes.plans import RoutePlans
from jobferry.services.routes.promotion_task import (
    PACKAGE,
    PLAN,
    left_running,
    plan_result,
    planned,
    task_request,
)
from jobferry.services.routes.records import RoutePackage, RoutePlan
from jobferry.services.taskends import DATABASE_LOST, ELSEWHERE
from jobferry.services.taskfailures import internal_error
from jobferry.services.tasks import ClaimedTask, TaskService, refusal_result
from jobferry.storage import tasks as task_repo

log = logging.getLogger("jobferry.tasks")

BUDGET = 10.0
"""How long (s) a call waits for its promotion before it answers the task instead."""
MAX_WAIT = 30.0
"""The longest budget a call may ask (``wait=``): a reverse proxy gives up after about 60 s."""

PACKAGED = 80
"""How far (%) a promotion task says it got once its package is made and its plan begins."""


T = TypeVar("T")
Made = RoutePlan | RoutePackage
Work = Callable[[Told], Made]


@dataclass(frozen=True)
class Following:
    """The promotion goes on as task ``task_id`` of workspace ``workspace_id``."""

    task_id: str
    workspace_id: str


class Handover(Protocol):
    """Told the task a promotion goes on as, as soon as it exists (its call answers it if its
    server's stop cuts the call); says whether that answer was given, so the task is kept."""

    def __call__(self, task: Following) -> None: ...

    def handed(self) -> bool: ...


class _Outcome(Generic[T]):
    """What the work ended with, for the call waiting on it (until its budget runs out)."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: T | None = None
        self.error: BaseException | None = None

    def answer(self) -> T:
        if self.error is not None:
            raise self.error
        assert self.value is not None
        return self.value


@dataclass
class PromotionRuns:
    """Plan (or package) a route's promotion within a budget, as a task past it."""

    plans: RoutePlans
    tasks: TaskService
    budget: float = BUDGET
    slots: int = 2
    """How many promotions this process runs at once (``JOBFERRY_TASK_THREADS``); 0: none."""
    queued: Callable[[], None] = lambda: None
    """Told when a promotion's plan queued a planning task (the task runner's kick)."""
    _running: dict[threading.Thread, str] = field(default_factory=dict, init=False, repr=False)
    _waiting: dict[str, _Outcome[Made]] = field(default_factory=dict, init=False, repr=False)
    """The queued promotions a call still waits for, by task id (its budget not run out)."""
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _busy: int = field(default=0, init=False, repr=False)
    _stopping: threading.Event = field(default_factory=threading.Event, init=False, repr=False)
    _claims_lost: str = field(default="", init=False, repr=False)

    def plan(
        self,
        scope: Scope,
        name: str,
        overrides: Mapping[str, object],
        path: str | None = None,
        *,
        wait: float | None = None,
        handover: Handover | None = None,
    ) -> RoutePlan | Following:
        """``RoutePlans.plan`` on a thread of its own: its answer when it ends within the
        budget (``wait``: the caller's, at most :data:`MAX_WAIT`), else the task it goes on
        as, which ``handover`` is told as soon as it exists (a call cut meanwhile answers it).
        What the route's settings refuse is refused at once, nothing started."""
        where = self.plans.check(scope, name, overrides)
        title = f"Plan the promotion along route {name}."
        request = task_request(scope, PLAN, name, overrides, path)
        done = self._run(scope, where, title, request, wait, handover)
        assert not isinstance(done, RoutePackage)
        return done

    def package(
        self, scope: Scope, name: str, *, wait: float | None = None
    ) -> RoutePackage | Following:
        """``RoutePromotions.package`` (the console's *Promote now*, which plans in its
        wizard) on a thread of its own, as :meth:`plan`."""
        where = self.plans.check(scope, name, {})
        title = f"Package the promotion along route {name}."
        done = self._run(scope, where, title, task_request(scope, PACKAGE, name, {}, None), wait)
        assert not isinstance(done, RoutePlan)
        return done

    def _run(
        self,
        scope: Scope,
        where: Scope,
        title: str,
        request: dict[str, Any],
        wait: float | None,
        handover: Handover | None = None,
    ) -> Made | Following:
        """Start the work (or queue it when every slot is busy) and wait up to the budget."""
        outcome: _Outcome[Made] = _Outcome()
        if self._take():
            try:
                task_id = self.tasks.create(where, TaskKind.PROMOTION, title, request)
            except BaseException:  # nothing started: the slot is free again
                self._give_back()
                raise
            self._start(where, task_id, self._work_of(scope, request), outcome)
            if handover is not None:
                handover(Following(task_id, where.workspace.id))
        elif not self.slots or self._stopping.is_set():  # run by another process, or later
            task_id = self.tasks.enqueue(where, TaskKind.PROMOTION, title, request)
            return Following(task_id, where.workspace.id)
        else:
            task_id = self._queue(where, title, request, outcome)
            if handover is not None:
                handover(Following(task_id, where.workspace.id))
            self.kick()  # a slot may have freed meanwhile
        budget = self.budget if wait is None else max(0.0, min(wait, MAX_WAIT))
        ended = budget > 0 and outcome.done.wait(budget)
        with self._lock:
            self._waiting.pop(task_id, None)
        if ended:
            if handover is None or not handover.handed():  # else its id was answered: kept
                self._forget_answered(task_id, outcome)
            return outcome.answer()
        return Following(task_id, where.workspace.id)

    def _queue(
        self, where: Scope, title: str, request: dict[str, Any], outcome: _Outcome[Made]
    ) -> str:
        """Queue the promotion as a task whose call waits for ``outcome``: said before the task
        is stored, so that a slot freeing meanwhile, whose thread claims it at once, answers
        the call too."""
        task = self.tasks.record(where, TaskKind.PROMOTION, title, request, queued=True)
        with self._lock:
            self._waiting[task.id] = outcome
        try:
            return self.tasks.insert(task)
        except BaseException:
            with self._lock:
                self._waiting.pop(task.id, None)
            raise

    def _forget_answered(self, task_id: str, outcome: _Outcome[Made]) -> None:
        """A promotion its call answered (its plan, or its refusal) leaves no task: nobody
        was told its id, and a route promoted daily listed two promotion tasks beside each
        import. A task that goes on (following a large package's planning task) or whose end
        the database did not take (gone; not a busy refusal, which it answered) stays."""
        handed_on = isinstance(outcome.value, RoutePlan) and outcome.value.planning_task
        lost = isinstance(outcome.error, StorageError)
        if handed_on or (lost and not isinstance(outcome.error, DatabaseBusyError)):
            return
        try:
            with self.tasks.db.transaction() as tx:
                task_repo.delete_ended(tx, task_id)
        except StorageError:  # kept, ended: a line of the task list, no harm
            log.warning("a promotion task its call answered could not be dropped: %s", task_id)

    def _take(self) -> bool:
        """Take a slot, if one is free (and the process is not stopping)."""
        with self._lock:
            if self._busy >= self.slots or self._stopping.is_set():
                return False
            self._busy += 1
            return True

    def _give_back(self) -> None:
        with self._lock:
            self._busy -= 1

    def kick(self) -> None:
        """Run queued promotions (this process's or another's, or queued before a restart)
        while a slot is free: the ending promotions' and the task runner's poller's look."""
        while self._take():
            try:
                claimed = self.tasks.claim((TaskKind.PROMOTION,))
            except StorageError as lost:  # the poller looks again within a second
                self._give_back()
                if self._claims_lost != lost.message:  # one line while the database is away
                    log.warning("claiming a queued promotion failed: %s", lost.message)
                self._claims_lost = lost.message
                return
            except BaseException:
                self._give_back()
                raise
            self._claims_lost = ""
            if claimed is None:
                self._give_back()
                return
            with self._lock:
                outcome = self._waiting.pop(claimed.id, None) or _Outcome()
            self._start(claimed.scope, claimed.id, self._resumed(claimed), outcome)

    def _resumed(self, claimed: ClaimedTask) -> Work:
        """The work of a queued promotion, as its caller in the workspace their call named,
        with the roles they hold now (refused, and its task failed so, when they no longer
        may)."""

        def work(said: Told) -> Made:
            actor, request = claimed.scope.actor, claimed.request
            caller = self.plans.promotions.accounts.scope(
                actor, actor.project_id, str(request["from"])
            )
            return self._work_of(caller, request)(said)

        return work

    def _work_of(self, scope: Scope, request: Mapping[str, Any]) -> Work:
        """The work ``request`` asks (a plan, or the console's package), as ``scope``."""
        caller, name = scope, str(request["route"])
        if request.get("step") == PACKAGE:
            return lambda said: self.plans.promotions.package(caller, name, said=said)
        overrides, path = dict(request["overrides"]), request.get("path")
        return lambda said: self.plans.plan(caller, name, overrides, path, said)

    def _start(self, where: Scope, task_id: str, work: Work, outcome: _Outcome[Made]) -> None:
        """Run ``work`` as task ``task_id`` on a thread of its own, in a slot taken for it."""
        thread = threading.Thread(
            target=self._work,
            args=(where, task_id, work, outcome),
            name=f"jobferry-promotion-{task_id[:8]}",
            daemon=True,
        )
        with self._lock:
            self._running[thread] = task_id
        thread.start()

    def _work(
        self,
        where: Scope,
        task_id: str,
        work: Work,
        outcome: _Outcome[Made],
    ) -> None:
        """Run the promotion to its end, which its task records: what it made, or its
        refusal; then its slot goes to the next queued promotion."""
        try:
            with self.tasks.db.patient():  # nobody waits on its writes past the budget
                self.tasks.advance(task_id, 0, "Bringing the source up to date and packaging.")
                outcome.value = done = work(self._told(task_id))
            status, (message, result) = TaskStatus.SUCCESSFUL, plan_result(done)
            planning = done.planning_task if isinstance(done, RoutePlan) else None
            if planning is not None:  # a large package: the call answers that task at once
                self.queued()
                outcome.done.set()
                status, message, result = self._planned_by(where, task_id, planning, result)
            self._end(task_id, status, message, result)
        except StorageError as lost:
            outcome.error = lost
            if isinstance(lost, DatabaseBusyError):  # the database answered: a refusal
                self._refused(task_id, lost)
            else:  # the database went away: its end waits for it too
                self.tasks.abandon(task_id, DATABASE_LOST)
        except JobferryError as exc:
            outcome.error = exc
            self._refused(task_id, exc)
        except Exception as exc:
            log.exception("promotion task %s failed", task_id)
            outcome.error = exc
            self._end(task_id, TaskStatus.FAILED, internal_error(task_id), None)
        finally:
            self.tasks.ended_here(task_id)
            outcome.done.set()
            self._give_back()
            try:
                if not self._stopping.is_set():
                    self.kick()
            finally:  # only now: a join in between must find this thread or the next's
                with self._lock:
                    self._running.pop(threading.current_thread(), None)

    def _refused(self, task_id: str, exc: JobferryError) -> None:
        """End the task failed with the refusal the call would have answered."""
        kept = tuple(key for key in exc.envelope() if key not in ("error_code", "error_msg"))
        self._end(task_id, TaskStatus.FAILED, exc.message, refusal_result(exc, kept))

    def _end(
        self, task_id: str, status: TaskStatus, message: str, result: dict[str, Any] | None
    ) -> None:
        """Record the task's end; one the database cannot take now is failed as lost, which
        this process's next heartbeat that reaches it writes (``TaskService.abandon``)."""
        try:
            self.tasks.finish(task_id, status, message, result=result)
        except StorageError:
            self.tasks.abandon(task_id, DATABASE_LOST)

    def _told(self, task_id: str) -> Told:
        """How the work says how far it got, as task ``task_id``'s progress: the packaging
        (a source's refresh) up to :data:`PACKAGED`, a planning task's own after it."""

        def told(progress: int, message: str, often: bool) -> None:
            at = min(max(progress, 0), 100) * PACKAGED // 100
            self.tasks.advance(task_id, at, message, often=often)

        return told

    def _planned_by(
        self, where: Scope, task_id: str, planning: str, result: dict[str, Any]
    ) -> tuple[TaskStatus, str, dict[str, Any]]:
        """Follow task ``planning`` (a large package's plan) to its end, its progress said as
        this task's: the promotion ends with its plan's id, or fails as it failed."""
        ends = self.tasks.ends
        while True:
            count = ends.count  # before looking: an end recorded meanwhile wakes the wait
            task = self.tasks.show(where, planning, subtasks=0)
            if task.status is not TaskStatus.RUNNING:
                break
            if self._stopping.is_set() and self._elsewhere(planning):
                # A stopping process claims nothing more and waits for no work of another's:
                # following it would hold the stop as long as it waits (for ever, queued).
                return TaskStatus.FAILED, left_running(planning), result
            said = f"Planning the package (task {planning}): {task.message}"
            at = PACKAGED + task.progress * (100 - PACKAGED) // 100
            self.tasks.advance(task_id, at, said, often=True)
            ends.block(count, ELSEWHERE)
        plan = task.outcome.get("plan")
        if task.status is TaskStatus.FAILED or not isinstance(plan, dict):
            return TaskStatus.FAILED, task.message, {**task.outcome, **result}
        plan_id = str(plan["plan_id"])
        said = planned(result["promotionId"], result["route"], plan_id)
        return TaskStatus.SUCCESSFUL, said, {**result, "planId": plan_id}

    def _elsewhere(self, task_id: str) -> bool:
        """Whether task ``task_id`` still runs, but not here: queued, or another process's."""
        with self.tasks.db.transaction(readonly=True) as tx:
            return task_repo.runs_elsewhere(tx, task_id, self.tasks.worker_id)

    def stop(self) -> None:
        """Start no more promotions (a server stopping): queued ones stay queued, for another
        process or the next start."""
        self._stopping.set()

    @property
    def stopping(self) -> bool:
        """Whether :meth:`stop` was called (the process claims no task any more)."""
        return self._stopping.is_set()

    def running(self) -> list[str]:
        """The ids of the promotion tasks running here (on the threads of ``_running``)."""
        with self._lock:
            return sorted(self._running.values())

    def join(self, seconds: float | None = None) -> None:
        """Wait for the promotions running here to end (a server stopping: their tasks end
        rather than being failed as orphans), up to ``seconds`` in all."""
        deadline = None if seconds is None else time.monotonic() + seconds
        while True:
            with self._lock:
                running = list(self._running)
            if not running:
                return
            for thread in running:
                left = None if deadline is None else max(0.0, deadline - time.monotonic())
                thread.join(left)
            if deadline is not None and time.monotonic() >= deadline:
                return
