"""A promotion planned within a budget (``PromotionRuns``): answered as ``RoutePlans.plan``
answers when it ends in time, else the task it goes on as, which ends with the plan's id or
the refusal; a server stopped mid-plan leaves no plan and its task failed, saying why.

The work is made long with an event it waits for (``_Held``), not with time: the budget runs
out while the work waits, and the test lets it go on when it has looked at the task."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import pytest

from jobferry.domain.enums import TaskKind, TaskStatus
from jobferry.errors import DatabaseBusyError, InvalidRequestError, StorageError
from jobferry.services.container import Services
from jobferry.services.context import Actor, Scope
from jobferry.services.importing import service as importing_service
from jobferry.services.routes.records import RoutePackage, RoutePlan
from jobferry.services.routes.running import Following, PromotionRuns
from jobferry.services.taskends import DATABASE_LOST
from jobferry.services.tasks import TaskService
from jobferry.storage import workers as worker_repo
from jobferry.storage.tasks import TaskRecord
from jobferry.tasks.runner import TaskRunner
from support.builders import make_job
from support.clients import SignedClient
from support.console import admin_scope
from support.exporting import seed
from support.importing import connected_workspace
from support.standin import DataArtsStandin, remote_shadow

ROUTE = {"source": {"workspace": "default"}, "target": {"workspace": "prod"}}
BUDGET = 0.05
"""A budget the held work always outlasts (it waits for the test, not for time)."""


def _route(api: SignedClient, services: Services) -> tuple[Scope, Scope]:
    """A route ``test-prod`` from the default workspace (one job) to a new ``prod``: the
    admin's scope, and the target's."""
    seed(api)
    prod = connected_workspace(api)
    assert api.call("PUT", "/routes/test-prod", ROUTE).status_code == 200
    return admin_scope(services), admin_scope(services, prod)


class _Held:
    """Wraps a step of the work: it waits until the test lets it go (``release``), then does
    the step, or raises ``fail`` instead."""

    def __init__(self, step: Callable[..., Any]) -> None:
        self.step = step
        self.entered = threading.Event()
        self.released = threading.Event()
        self.fail: Exception | None = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.entered.set()
        assert self.released.wait(30), "the test never let the work go on"
        if self.fail is not None:
            raise self.fail
        return self.step(*args, **kwargs)

    def release(self, fail: Exception | None = None) -> None:
        self.fail = fail
        self.released.set()


def _held_packaging(services: Services, monkeypatch: pytest.MonkeyPatch) -> _Held:
    held = _Held(services.promotions.package)
    monkeypatch.setattr(services.promotions, "package", held)
    return held


def _runs(services: Services, tasks: TaskService | None = None) -> PromotionRuns:
    return PromotionRuns(services.route_plans, tasks or services.tasks, budget=BUDGET)


def test_a_promotion_planned_within_its_budget_answers_its_plan_as_plan_does(
    api: SignedClient, services: Services
) -> None:
    scope, prod = _route(api, services)
    planned = services.promotion_runs.plan(scope, "test-prod", {})
    assert isinstance(planned, RoutePlan)
    assert planned.plan is not None
    assert planned.package.promotion is not None
    # The call answered it: its task, whose id nobody was told, is not left in the list (a
    # route promoted daily listed two promotion tasks beside each import).
    assert services.tasks.list_tasks(prod, kind=TaskKind.PROMOTION).tasks == []


def test_a_promotion_past_its_budget_goes_on_as_a_task_that_ends_with_its_plan(
    api: SignedClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    scope, prod = _route(api, services)
    held = _held_packaging(services, monkeypatch)
    runs = _runs(services)

    following = runs.plan(scope, "test-prod", {})

    assert isinstance(following, Following)
    assert following.workspace_id == prod.workspace.id
    assert held.entered.wait(30)
    running = services.tasks.show(prod, following.task_id)
    assert (running.kind, running.status) == (TaskKind.PROMOTION, TaskStatus.RUNNING)
    assert running.message.startswith("Bringing the source up to date")
    held.release()
    runs.join(120)
    done = services.tasks.show(prod, following.task_id)
    assert done.status is TaskStatus.SUCCESSFUL, done.message
    assert done.result is not None
    plan_id = done.result["planId"]
    assert plan_id == services.route_plans.waiting_plan(scope, "test-prod")
    kept = services.route_plans.kept(scope, "test-prod", plan_id)  # what the client shows
    assert kept.plan is not None
    assert kept.plan.summary.create >= 1
    assert kept.package.promotion is not None
    assert kept.package.promotion.id == done.result["promotionId"]


def test_a_promotion_refused_past_its_budget_fails_its_task_with_the_refusal(
    api: SignedClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    scope, prod = _route(api, services)
    held = _held_packaging(services, monkeypatch)
    runs = _runs(services)
    following = runs.plan(scope, "test-prod", {})
    assert isinstance(following, Following)

    refusal = InvalidRequestError("Route 'test-prod': no.", fix="Do this.", route="test-prod")
    held.release(refusal)
    runs.join(120)

    failed = services.tasks.show(prod, following.task_id)
    assert failed.status is TaskStatus.FAILED
    assert failed.message == "Route 'test-prod': no. Do this."
    assert failed.result is not None
    assert failed.result["errorCode"] == refusal.code
    assert failed.result["httpStatus"] == refusal.status
    assert failed.result["route"] == "test-prod"
    assert services.promotions.waiting(scope, "test-prod") is None  # nothing was made


def test_a_promotion_refused_within_its_budget_is_the_calls_refusal(
    api: SignedClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    scope, prod = _route(api, services)
    held = _held_packaging(services, monkeypatch)
    held.release(InvalidRequestError("Route 'test-prod': no.", route="test-prod"))
    with pytest.raises(InvalidRequestError, match="no"):
        services.promotion_runs.plan(scope, "test-prod", {})
    assert services.tasks.list_tasks(prod, kind=TaskKind.PROMOTION).tasks == []  # answered


def test_bad_overrides_are_refused_at_once_with_no_task(
    api: SignedClient, services: Services
) -> None:
    scope, prod = _route(api, services)
    with pytest.raises(InvalidRequestError, match="invalid"):
        services.promotion_runs.plan(scope, "test-prod", {"onDrift": "NEVER"}, wait=0)
    assert services.tasks.list_tasks(prod, kind=TaskKind.PROMOTION).tasks == []
    assert services.promotions.waiting(scope, "test-prod") is None


def test_nothing_changed_ends_the_task_saying_so(api: SignedClient, services: Services) -> None:
    scope, prod = _route(api, services)
    first = services.route_plans.plan(scope, "test-prod", {})
    assert first.plan is not None
    services.imports.run(
        services.route_plans.apply(scope, "test-prod", first.plan.plan_id).prepared
    )

    runs = _runs(services)
    following = runs.plan(scope, "test-prod", {}, wait=0)  # no budget: a task at once
    assert isinstance(following, Following)
    runs.join(120)
    done = services.tasks.show(prod, following.task_id)
    assert done.status is TaskStatus.SUCCESSFUL, done.message
    assert (
        done.message == "Nothing changed in workspace 'default' to promote along route 'test-prod'."
    )
    assert done.result is not None
    assert (done.result["promotionId"], done.result["planId"]) == (None, None)
    assert done.result["source"]["name"] == "default"
    assert done.result["since"] is not None


def test_the_consoles_packaging_past_its_budget_ends_with_the_promotion(
    api: SignedClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    scope, prod = _route(api, services)
    held = _held_packaging(services, monkeypatch)
    runs = _runs(services)
    following = runs.package(scope, "test-prod")
    assert isinstance(following, Following)
    held.release()
    runs.join(120)
    done = services.tasks.show(prod, following.task_id)
    assert done.status is TaskStatus.SUCCESSFUL, done.message
    waiting = services.promotions.waiting(scope, "test-prod")
    assert waiting is not None
    assert done.result is not None
    assert done.result["promotionId"] == waiting.id
    assert done.result["planId"] is None  # the console's wizard plans it

    quick = services.promotion_runs.package(scope, "test-prod")  # unheld: within the budget
    assert isinstance(quick, RoutePackage)


def test_a_server_stopped_mid_plan_leaves_no_plan_and_its_task_failed_saying_why(
    api: SignedClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The process running the promotion dies while it plans (its package cut): another
    process's heartbeat fails its task as orphaned; no plan is kept, the route's history
    lists nothing, and the next promotion plans the same changes whole."""
    scope, prod = _route(api, services)
    dying = TaskService(services.db, heartbeat_seconds=services.settings.worker_heartbeat_seconds)
    dying.register_worker()
    held = _Held(services.imports.plan)
    monkeypatch.setattr(services.imports, "plan", held)
    runs = _runs(services, dying)
    following = runs.plan(scope, "test-prod", {})
    assert isinstance(following, Following)
    assert held.entered.wait(30)  # packaged; planning when the process dies

    with services.db.transaction() as tx:
        worker_repo.beat(tx, dying.worker_id, 0)  # its last beat was long ago: it died
    assert services.tasks.heartbeat() == [following.task_id]
    held.release(RuntimeError("the process is gone"))  # nothing after this point happens
    runs.join(120)

    failed = services.tasks.show(prod, following.task_id)
    assert failed.status is TaskStatus.FAILED
    assert "stopped before it finished" in failed.message
    assert failed.message.endswith("Run it again: jobferry promote test-prod.")
    assert failed.result is None
    assert services.route_plans.waiting_plan(scope, "test-prod") is None
    assert services.promotions.history(scope, "test-prod") == []
    monkeypatch.undo()
    again = services.route_plans.plan(scope, "test-prod", {})
    assert again.plan is not None
    assert again.package.promotion is not None
    assert again.package.promotion.jobs == 1
    assert again.package.promotion.since is None  # the whole selection, as the first time


def test_a_large_packages_promotion_ends_with_the_plan_its_planning_task_made(
    api: SignedClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    scope, prod = _route(api, services)
    monkeypatch.setattr(importing_service, "PLAN_SYNC_MAX_OBJECTS", 0)  # every package: large

    def run_planning() -> None:  # what the task runner's kick does
        claimed = services.tasks.claim((TaskKind.PLAN,))
        assert claimed is not None
        services.imports.run(services.imports.resume(claimed))

    runs = PromotionRuns(services.route_plans, services.tasks, queued=run_planning)
    following = runs.plan(scope, "test-prod", {}, wait=0)
    assert isinstance(following, Following)
    runs.join(120)

    done = services.tasks.show(prod, following.task_id)
    assert done.status is TaskStatus.SUCCESSFUL, done.message
    assert done.result is not None
    assert done.result["planningTaskId"] is not None
    plan_id = done.result["planId"]
    assert plan_id == services.route_plans.waiting_plan(scope, "test-prod")
    promotion = done.result["promotionId"]
    assert done.message == f"Planned promotion {promotion} of route 'test-prod': plan {plan_id}."
    planning = services.tasks.show(prod, done.result["planningTaskId"])
    assert (planning.kind, planning.status) == (TaskKind.PLAN, TaskStatus.SUCCESSFUL)


def test_a_dataarts_promotion_says_how_far_its_refreshes_got_as_its_progress(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DataArts to DataArts: the source's refresh (read call by call) and then the target's,
    in its planning task, are the promotion task's progress: up to 80 % while it packages,
    the rest while the package is planned; the task ends with the plan."""
    standin = DataArtsStandin()
    standin.workspace.put_job(make_job("daily_sales"))
    remote_shadow(services, standin, "prod", workspace="prod-ws")
    remote_shadow(services, standin, "test")
    admin = admin_scope(services)
    route = {"source": {"workspace": "test"}, "target": {"workspace": "prod"}}
    services.routes.put(admin, "test-prod", route)
    said: list[tuple[str, int, str]] = []
    advance = services.tasks.advance

    def noted(task_id: str, progress: int, message: str, *, often: bool = False) -> None:
        said.append((task_id, progress, message))
        advance(task_id, progress, message, often=often)

    monkeypatch.setattr(services.tasks, "advance", noted)

    def run_planning() -> None:
        claimed = services.tasks.claim((TaskKind.PLAN,))
        assert claimed is not None
        services.imports.run(services.imports.resume(claimed))

    runs = PromotionRuns(services.route_plans, services.tasks, queued=run_planning)
    following = runs.plan(admin, "test-prod", {}, wait=0)
    assert isinstance(following, Following)
    runs.join(120)

    prod = admin_scope(services, following.workspace_id)
    done = services.tasks.show(prod, following.task_id)
    assert done.status is TaskStatus.SUCCESSFUL, done.message
    assert standin.refused() == []
    own = [(progress, message) for task, progress, message in said if task == following.task_id]
    assert [p for p, _ in own] == sorted(p for p, _ in own)  # it never goes back
    assert (68, "Writing what changed into shadow workspace 'test'.") in own  # 85 % of 80
    assert (80, "Planning the package into workspace 'prod'.") in own
    assert done.result is not None
    assert done.result["planId"] == services.route_plans.waiting_plan(admin, "test-prod")


def test_a_promotion_whose_database_went_away_fails_saying_so(
    api: SignedClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    scope, prod = _route(api, services)
    held = _held_packaging(services, monkeypatch)
    runs = _runs(services)
    following = runs.plan(scope, "test-prod", {})
    assert isinstance(following, Following)

    held.release(StorageError("The database cannot be reached."))
    runs.join(120)

    failed = services.tasks.show(prod, following.task_id)
    assert failed.status is TaskStatus.FAILED
    assert failed.message == DATABASE_LOST


class _Counted(_Held):
    """A held step that counts how many run at once (the most seen)."""

    def __init__(self, step: Callable[..., Any]) -> None:
        super().__init__(step)
        self._lock = threading.Lock()
        self.now = self.most = self.calls = 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            self.calls += 1
            self.now += 1
            self.most = max(self.most, self.now)
        try:
            return super().__call__(*args, **kwargs)
        finally:
            with self._lock:
                self.now -= 1


def _other_process(services: Services, slots: int) -> PromotionRuns:
    """The promotions of another server process on the same database, with ``slots``."""
    other = Services.build(services.settings, services.db)
    return PromotionRuns(other.route_plans, other.tasks, budget=BUDGET, slots=slots)


def test_promotions_past_the_slots_wait_queued_and_run_as_one_frees(
    api: SignedClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three clients promote past the budget on a process with one slot: one promotion runs,
    the others are queued tasks (no thread of their own), run one after the other as the
    slot frees; none is refused."""
    scope, prod = _route(api, services)
    counted = _Counted(services.promotions.package)
    monkeypatch.setattr(services.promotions, "package", counted)
    runs = PromotionRuns(services.route_plans, services.tasks, budget=BUDGET, slots=1)

    asked = [runs.package(scope, "test-prod") for _ in range(3)]

    assert all(isinstance(f, Following) for f in asked)
    ids = [f.task_id for f in asked if isinstance(f, Following)]
    assert counted.entered.wait(30)
    shown = [services.tasks.show(prod, task_id) for task_id in ids]
    assert all(t.status is TaskStatus.RUNNING for t in shown)
    assert [t.message.startswith("Queued") for t in shown] == [False, True, True]
    counted.release()
    runs.join(120)
    assert runs.running() == [], "the promotions had not ended after 120 s"

    done = [services.tasks.show(prod, task_id) for task_id in ids]
    assert [t.status for t in done] == [TaskStatus.SUCCESSFUL] * 3, [t.message for t in done]
    assert (counted.calls, counted.most) == (3, 1)


def test_while_a_freed_slot_claims_the_next_promotion_its_thread_is_still_waited_for(
    api: SignedClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An ending promotion hands its slot to the next queued one: while it claims that task
    (a database call), its own thread is still among those ``join`` waits for. Before, it had
    left them first: a ``join`` (a server's stop, this module's tests) that looked in between
    found none running and returned while the next promotion was starting."""
    scope, prod = _route(api, services)
    runs = PromotionRuns(services.route_plans, services.tasks, budget=BUDGET, slots=1)
    claiming = services.tasks.claim
    seen: list[list[str]] = []

    def claim(*args: Any, **kwargs: Any) -> Any:
        if threading.current_thread().name.startswith("jobferry-promotion-"):
            seen.append(runs.running())
        return claiming(*args, **kwargs)

    monkeypatch.setattr(services.tasks, "claim", claim)
    held = _held_packaging(services, monkeypatch)

    asked = [runs.package(scope, "test-prod") for _ in range(2)]
    assert held.entered.wait(30)
    held.release()
    runs.join(120)

    ids = [f.task_id for f in asked if isinstance(f, Following)]
    done = [services.tasks.show(prod, task_id).status for task_id in ids]
    assert done == [TaskStatus.SUCCESSFUL] * 2
    assert seen  # each ending promotion's thread looked for the next
    assert all(seen), seen


def test_a_queued_promotion_outlives_its_process_and_runs_in_the_next(
    api: SignedClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The process stops with one promotion running and one queued: the running one is
    failed as its process stopped (as ever); the queued one waits in the database, and the
    next process with a free slot runs it, as the caller asked it."""
    scope, prod = _route(api, services)
    dying = TaskService(services.db, heartbeat_seconds=services.settings.worker_heartbeat_seconds)
    dying.register_worker()
    held = _held_packaging(services, monkeypatch)
    runs = PromotionRuns(services.route_plans, dying, budget=BUDGET, slots=1)
    running = runs.plan(scope, "test-prod", {})
    queued = runs.plan(scope, "test-prod", {"sameNamePolicy": "SKIP"})
    assert isinstance(running, Following)
    assert isinstance(queued, Following)
    assert held.entered.wait(30)

    runs.stop()  # the process goes: it starts nothing more
    with services.db.transaction() as tx:
        worker_repo.beat(tx, dying.worker_id, 0)
    assert services.tasks.heartbeat() == [running.task_id]
    held.release(RuntimeError("the process is gone"))
    runs.join(120)
    assert services.tasks.show(prod, queued.task_id).status is TaskStatus.RUNNING

    next_runs = _other_process(services, slots=1)
    next_runs.kick()
    next_runs.join(120)

    done = services.tasks.show(prod, queued.task_id)
    assert done.status is TaskStatus.SUCCESSFUL, done.message
    assert done.result is not None
    plan_id = done.result["planId"]
    assert plan_id == services.route_plans.waiting_plan(scope, "test-prod")
    kept = services.route_plans.kept(scope, "test-prod", plan_id)
    assert kept.settings.same_name_policy.value == "SKIP"  # the caller's overrides, kept


def test_a_process_without_task_threads_runs_no_promotion_and_leaves_it_queued(
    api: SignedClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``JOBFERRY_TASK_THREADS=0`` (a process that runs no background work): a promotion asked
    to go on as a task is queued at once, whatever the budget, and answered as that task;
    a process with task threads runs it."""
    scope, prod = _route(api, services)
    counted = _Counted(services.promotions.package)
    counted.release()
    monkeypatch.setattr(services.promotions, "package", counted)
    api_only = TaskRunner(services, threads=0)
    assert services.promotion_runs.slots == 0

    following = services.promotion_runs.plan(scope, "test-prod", {}, wait=30)

    assert isinstance(following, Following)
    assert counted.calls == 0
    assert services.tasks.show(prod, following.task_id).message.startswith("Queued")
    runs = _other_process(services, slots=1)
    runs.kick()
    runs.join(120)
    done = services.tasks.show(prod, following.task_id)
    assert done.status is TaskStatus.SUCCESSFUL, done.message
    assert counted.calls == 0  # not this process's
    api_only.shutdown()


def test_a_queued_promotion_runs_with_the_roles_its_caller_holds_when_it_runs(
    api: SignedClient, services: Services
) -> None:
    """A developer of both ends asks a promotion that is queued; their role in the source is
    taken away before a process runs it: its task fails with the refusal they would get now,
    and nothing is packaged."""
    admin, prod = _route(api, services)
    project = admin.actor.project_id
    dev = services.accounts.create_user(admin.actor, project, "dev", False)
    for workspace in (admin.workspace.id, prod.workspace.id):
        services.accounts.set_role(admin.actor, project, "dev", workspace, "developer")
    caller = Actor(dev.id, "dev", project, False)
    scope = services.accounts.scope(caller, project, admin.workspace.id)
    queued = PromotionRuns(services.route_plans, services.tasks, slots=0).plan(
        scope, "test-prod", {}
    )
    assert isinstance(queued, Following)

    services.accounts.remove_role(admin.actor, project, "dev", admin.workspace.id)
    services.accounts.forget_scopes()
    runs = _other_process(services, slots=1)
    runs.kick()
    runs.join(120)

    failed = services.tasks.show(prod, queued.task_id)
    assert failed.status is TaskStatus.FAILED, failed.message
    assert failed.message.startswith("User 'dev' has no role in workspace 'default'")
    assert failed.result is not None
    assert failed.result["errorCode"] == "DLF.6888"  # as the call would be refused now
    assert services.promotions.waiting(admin, "test-prod") is None


@pytest.mark.parametrize("elsewhere", [False, True], ids=["queued", "claimed-elsewhere"])
def test_a_stopping_process_stops_following_a_planning_task_it_does_not_run(
    api: SignedClient, services: Services, monkeypatch: pytest.MonkeyPatch, elsewhere: bool
) -> None:
    """A large package's promotion follows the planning task it queued. Stopped while that
    task still waits for a task thread (all of them busy: nothing here claims it), or runs on
    another process, the process would follow it as long as it waits (for ever, queued, as the
    stop claims nothing more), and its stop with it: the promotion ends failed, naming the
    planning task, which goes on queued (for the next process) or where it runs."""
    scope, prod = _route(api, services)
    monkeypatch.setattr(importing_service, "PLAN_SYNC_MAX_OBJECTS", 0)  # every package: large
    claim = services.tasks.claim
    monkeypatch.setattr(services.tasks, "claim", lambda *_, **__: None)  # threads all busy
    runs = PromotionRuns(services.route_plans, services.tasks, queued=lambda: None)
    following = runs.plan(scope, "test-prod", {}, wait=0)
    assert isinstance(following, Following)
    for _ in range(600):  # packaged, and following its planning task
        if services.tasks.show(prod, following.task_id).message.startswith("Planning"):
            break
        threading.Event().wait(0.05)
    other = TaskService(services.db, heartbeat_seconds=services.settings.worker_heartbeat_seconds)
    other.register_worker()
    there = other.claim((TaskKind.PLAN,)) if elsewhere else None  # another process plans it

    runs.stop()
    runs.join(120)

    failed = services.tasks.show(prod, following.task_id)
    assert failed.status is TaskStatus.FAILED, failed.message
    assert failed.result is not None
    planning = failed.result["planningTaskId"]
    assert planning in failed.message
    waiting = services.tasks.show(prod, planning)
    assert (waiting.kind, waiting.status) == (TaskKind.PLAN, TaskStatus.RUNNING)
    claimed = there or claim((TaskKind.PLAN,))  # where it runs, or the next process
    assert claimed is not None
    assert claimed.id == planning
    services.imports.run(services.imports.resume(claimed))
    assert services.tasks.show(prod, planning).status is TaskStatus.SUCCESSFUL


def _busy() -> DatabaseBusyError:
    return DatabaseBusyError(
        "The database refused the write: a lock wait timed out; nothing was written.",
        fix="Send it again.",
        retry_after=1,
    )


def test_a_promotion_refused_busy_past_its_budget_fails_its_task_saying_busy(
    api: SignedClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write refused busy (PostgreSQL's lock timeout, deadlock or serialization failure) is
    a refusal from a database that answered, to send again: not a connection lost."""
    scope, prod = _route(api, services)
    held = _held_packaging(services, monkeypatch)
    runs = _runs(services)
    following = runs.plan(scope, "test-prod", {})
    assert isinstance(following, Following)

    busy = _busy()
    held.release(busy)
    runs.join(120)

    failed = services.tasks.show(prod, following.task_id)
    assert failed.status is TaskStatus.FAILED
    assert failed.message == busy.message
    assert failed.result is not None
    assert failed.result["errorCode"] == busy.code


def test_a_promotion_refused_busy_within_its_budget_is_the_calls_refusal(
    api: SignedClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    scope, prod = _route(api, services)
    held = _held_packaging(services, monkeypatch)
    held.release(_busy())
    with pytest.raises(DatabaseBusyError):
        services.promotion_runs.plan(scope, "test-prod", {})
    assert services.tasks.list_tasks(prod, kind=TaskKind.PROMOTION).tasks == []  # answered


def test_a_promotion_queued_as_a_slot_frees_is_still_answered_within_its_budget(
    api: SignedClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The one slot frees just as a call queues its promotion, and the ending promotion's
    thread claims the queued one at once, before the call says it waits for it: the call
    still gets the answer when the work ends within its budget (it waited the whole budget
    for an answer nobody gave it, then answered the task, which stayed)."""
    scope, prod = _route(api, services)
    held = _held_packaging(services, monkeypatch)
    runs = PromotionRuns(services.route_plans, services.tasks, budget=0.05, slots=1)
    first = runs.package(scope, "test-prod")
    assert isinstance(first, Following)
    assert held.entered.wait(30)
    insert = services.tasks.insert

    def freed_as_queued(task: TaskRecord) -> str:
        task_id = insert(task)
        held.release()  # the first ends; its thread claims this one, queued now
        for _ in range(600):
            if not services.tasks.show(prod, task_id).message.startswith("Queued"):
                break
            threading.Event().wait(0.05)
        return task_id

    monkeypatch.setattr(services.tasks, "insert", freed_as_queued)
    runs.budget = 20.0
    answered = runs.package(scope, "test-prod")
    runs.join(120)

    assert isinstance(answered, RoutePackage)
    promotions = services.tasks.list_tasks(prod, kind=TaskKind.PROMOTION).tasks
    assert [t.id for t in promotions] == [first.task_id]  # the answered one left none


def test_a_stopping_process_logs_the_tasks_its_stop_waits_for_and_when_they_ended(
    api: SignedClient,
    services: Services,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A stop waits for the tasks its process runs, however long they take: the log said only
    uvicorn's "Waiting for application shutdown." meanwhile, and an operator could not tell a
    stop waiting for an import from a stop that hung."""
    scope, _ = _route(api, services)
    stopped = Services.build(services.settings, services.db)
    monkeypatch.setattr(stopped.promotion_runs, "budget", BUDGET)
    held = _held_packaging(stopped, monkeypatch)
    runner = TaskRunner(stopped, threads=1, housekeeping=False)
    runner.start()
    following = stopped.promotion_runs.plan(scope, "test-prod", {})
    assert isinstance(following, Following)
    assert held.entered.wait(30)

    with caplog.at_level(logging.INFO, logger="jobferry.tasks"):
        stopping = threading.Thread(target=runner.shutdown, daemon=True)
        stopping.start()

        def said_so_far() -> list[str]:
            return [r.getMessage() for r in caplog.records if r.name == "jobferry.tasks"]

        for _ in range(1000):  # the stop says what it waits for (a loaded machine: a while)
            if said_so_far():
                break
            stopping.join(0.01)
        stopping.join(0.2)  # and nothing more while the task runs
        said = said_so_far()
        assert said == [
            "stopping: waiting for the 1 task(s) this process runs to end (a stop cuts calls "
            f"past JOBFERRY_SHUTDOWN_SECONDS, never tasks): ['{following.task_id}']"
        ]
        held.release()
        stopping.join(20)
    assert not stopping.is_alive()
    said = [r.getMessage() for r in caplog.records if r.name == "jobferry.tasks"]
    assert said[-1] == "stopping: the task(s) this process ran have ended"


class _Handover:
    """A call's handover: the task it was told, and whether its call answered that task."""

    def __init__(self, answered: bool) -> None:
        self.told: list[Following] = []
        self.answered = answered

    def __call__(self, task: Following) -> None:
        self.told.append(task)

    def handed(self) -> bool:
        return self.answered


@pytest.mark.parametrize("answered", [False, True])
def test_a_call_is_told_its_task_at_once_and_a_task_it_answered_is_kept(
    api: SignedClient, services: Services, answered: bool
) -> None:
    """A call its server's stop cuts answers the task its work goes on as (the request
    middleware): that task must then stay, though the work ended within the budget."""
    scope, prod = _route(api, services)
    handover = _Handover(answered)
    planned = services.promotion_runs.plan(scope, "test-prod", {}, handover=handover)
    assert isinstance(planned, RoutePlan)
    (told,) = handover.told
    assert told.workspace_id == prod.workspace.id
    kept = [t.id for t in services.tasks.list_tasks(prod, kind=TaskKind.PROMOTION).tasks]
    assert kept == ([told.task_id] if answered else [])
