"""*Promote now* past its budget (a source refreshed from its remote first takes minutes): the
promotion's packaging goes on as a task of the route's target, whose page shows its progress
and, once the package is made, opens the plan step of the import wizard; the task page read
later (from the task list) offers that step. A refusal in the task is said in the console's
terms."""

from __future__ import annotations

import pytest

from jobferry.domain.enums import TaskKind, TaskStatus
from jobferry.services.container import Services
from jobferry.services.context import Scope
from support import wizard
from support.console import Browser, assert_page, route_form


@pytest.fixture(autouse=True)
def _no_budget(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every packaging is a task, however quick: what a long one becomes."""
    monkeypatch.setattr(services.promotion_runs, "budget", 0.0)


def _route_to_prod(browser: Browser, services: Services, seeded: Scope) -> str:
    """The route ``to-prod`` from the seeded workspace to a new ``prod``; prod's id."""
    ws = seeded.workspace.id
    prod = wizard.prod_workspace(services, "dws_conn", "ssh_conn")
    browser.get(f"/console/w/{ws}/new-route")
    saved = browser.post(
        f"/console/w/{ws}/routes", route_form("to-prod", seeded.workspace.name, "prod")
    )
    assert saved.status_code == 303, saved.text
    return prod.workspace.id


def test_promote_now_past_its_budget_shows_the_task_then_opens_the_plan_step(
    browser: Browser, services: Services, seeded: Scope
) -> None:
    ws = seeded.workspace.id
    target = _route_to_prod(browser, services, seeded)
    browser.get(f"/console/w/{ws}/routes/to-prod")

    started = browser.post(f"/console/w/{ws}/routes/to-prod/promote", [])

    assert started.status_code == 303, started.text
    task_url = started.headers["location"]
    assert task_url.startswith(f"/console/w/{target}/tasks/")
    assert task_url.endswith("?then=plan")
    task_id = task_url.split("/tasks/", 1)[1].split("?", 1)[0]
    services.promotion_runs.join(30)
    made = services.promotions.waiting(seeded, "to-prod")
    assert made is not None

    opened = browser.get(task_url)  # what the page's reload finds once the task ended

    plan_step = f"/console/w/{target}/routes/to-prod/promotions/{made.id}"
    assert opened.status_code == 303, opened.text
    assert opened.headers["location"] == plan_step
    plan = browser.get(plan_step)
    assert_page(plan, 200, "Import · plan", 'class="badge action-create">CREATE')
    # From the task list later: the task's page, which offers the plan step.
    page = browser.get(f"/console/w/{target}/tasks/{task_id}")
    assert_page(page, 200, "Open its plan")
    assert f'href="{plan_step}" data-plan-step' in page.text
    listed = browser.get(f"/console/w/{target}/tasks?kind=promotion")
    assert task_id in listed.text


def test_promote_now_of_nothing_changed_past_its_budget_says_so_on_its_task_page(
    browser: Browser, services: Services, seeded: Scope, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = seeded.workspace.id
    target = _route_to_prod(browser, services, seeded)
    prod = services.accounts.scope(seeded.actor, seeded.actor.project_id, target)
    planned = services.route_plans.plan(seeded, "to-prod", {})
    assert planned.plan is not None
    applied = services.route_plans.apply(seeded, "to-prod", planned.plan.plan_id)
    services.imports.run(applied.prepared)
    browser.get(f"/console/w/{ws}/routes/to-prod")

    started = browser.post(f"/console/w/{ws}/routes/to-prod/promote", [])
    assert started.status_code == 303, started.text
    services.promotion_runs.join(30)

    page = browser.get(started.headers["location"])
    assert_page(page, 200, "Nothing changed in workspace")
    assert "data-plan-step" not in page.text
    tasks = services.tasks.list_tasks(prod, kind=TaskKind.PROMOTION).tasks
    assert [t.status for t in tasks] == [TaskStatus.SUCCESSFUL]
