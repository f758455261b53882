"""The console's import wizard step by step: a package uploaded, the hidden fields each step
posts to the next, and a plan run as an import task."""

from __future__ import annotations

import re
from typing import Any

from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.exporting.options import ExportRequest
from support.console import Browser, admin_scope, finish_task, hidden_fields


def export_package(
    services: Services, scope: Scope, names: tuple[str, ...] = ("daily_sales",)
) -> bytes:
    """A package of the jobs ``names`` with what they depend on, exported from ``scope``."""
    outcome = services.exports.export_batch(scope, ExportRequest(names=names))
    assert outcome.data is not None
    return outcome.data


def prod_workspace(services: Services, *connections: str) -> Scope:
    """The admin in a new workspace 'prod' that has the DWS ``connections``."""
    admin = admin_scope(services)
    ws = services.accounts.create_workspace(admin.actor, admin.actor.project_id, "prod")
    prod = admin_scope(services, ws)
    for name in connections:
        conn = {"type": "DWS", "config": {}, "secrets": {"password": "pw"}}
        services.environment.put(prod, "connection", name, conn)
    return prod


def post_package(browser: Browser, ws: str, data: bytes) -> Any:
    """Open the wizard in workspace ``ws`` and post ``data`` as the uploaded package file."""
    browser.get(f"/console/w/{ws}/import")
    return browser.client.post(
        f"/console/w/{ws}/import/source",
        data={"csrf_token": browser.csrf},
        files={"file": ("pkg.zip", data, "application/zip")},
    )


def upload(browser: Browser, ws: str, data: bytes) -> str:
    """Upload ``data`` in the wizard of workspace ``ws``: the URL of its options step."""
    response = post_package(browser, ws, data)
    assert response.status_code == 303, response.text
    location: str = response.headers["location"]
    assert "/import/options?path=upload%3A%2F%2F" in location
    return location


def fields(page: str, ws: str, step: str = "check") -> list[tuple[str, str]]:
    """The hidden fields a wizard page of workspace ``ws`` posts to its ``step``."""
    return hidden_fields(page, f"/console/w/{ws}/import/{step}")


def choose(state: list[tuple[str, str]], **values: str) -> list[tuple[str, str]]:
    """The wizard's fields ``state`` with ``values`` chosen in place of what they held."""
    return [(k, v) for k, v in state if k not in values] + list(values.items())


def step(browser: Browser, ws: str, name: str, state: list[tuple[str, str]]) -> Any:
    """Post the wizard's fields ``state`` to its step ``name`` in workspace ``ws``."""
    return browser.post(f"/console/w/{ws}/import/{name}", state)


def mapping_row(check: str, name: str) -> str:
    """The row of the check page ``check`` that offers a mapping for the missing ``name``."""
    row = re.search(rf'name="ref_name_(\d+)" value="{re.escape(name)}"', check)
    assert row, f"no mapping offered for {name}"
    return row.group(1)


def map_reference(browser: Browser, ws: str, check: str, row: str, replacement: str) -> Any:
    """Map the missing reference in ``row`` of the check page ``check`` to ``replacement``:
    the check page that answers."""
    mapping = [("map", row), (f"replace_{row}", replacement)]
    return step(browser, ws, "check", [*fields(check, ws), *mapping])


def run_plan(browser: Browser, services: Services, target: Scope, plan: str) -> str:
    """Run the plan page ``plan`` shows in ``target``: the id of the import task, which
    succeeded."""
    ws = target.workspace.id
    state = fields(plan, ws, "run")
    assert dict(state)["planId"]
    return finish_task(services, target, step(browser, ws, "run", state))


def run(
    browser: Browser, services: Services, target: Scope, state: list[tuple[str, str]]
) -> tuple[Any, str]:
    """Plan the wizard's ``state`` in ``target`` and run it: the plan page and the id of the
    import task, which succeeded."""
    plan = step(browser, target.workspace.id, "plan", state)
    assert plan.status_code == 200, plan.text
    return plan, run_plan(browser, services, target, plan.text)
