"""An object promoted from the default workspace ("test") into a new one, "prod": the setting
of the tests of where objects came from and how they drifted since."""

from __future__ import annotations

from typing import Any

from support.builders import make_job
from support.clients import SignedClient, wait_task
from support.exporting import seed
from support.importing import new_workspace, run_import, upload

CONN = {"type": "DWS", "config": {"host": "db"}, "secrets": {"password": "pw"}}


def prod_workspace(api: SignedClient, *, seeded: bool = False, name: str = "prod") -> str:
    """A new workspace (``name``) with the connections daily_sales uses (and daily_sales
    itself, created there directly as in test, when ``seeded``)."""
    ws = new_workspace(api, name)
    if seeded:
        seed(api, workspace=ws)
    for name in ("dws_conn", "ssh_conn"):
        answer = api.call("PUT", f"/environment/connection/{name}", CONN, workspace=ws)
        assert answer.status_code == 200, answer.text
    return ws


def export_test(api: SignedClient, *names: str) -> bytes:
    """daily_sales (or ``names``) and what it uses, exported from test."""
    body = {"mode": "names", "names": list(names or ("daily_sales",))}
    started = api.call("POST", "/exports", body)
    assert started.status_code == 200, started.text
    task = wait_task(api, started.json()["taskId"])
    assert task["status"] == "SUCCESSFUL", task
    content: bytes = api.call("GET", f"/downloads/{task['result']['downloadId']}/content").content
    return content


def promote(api: SignedClient, prod: str, data: bytes, **options: Any) -> dict[str, Any]:
    """Import ``data`` into prod (overwriting): its task, which succeeded."""
    body = {"path": upload(api, data, prod), "sameNamePolicy": "OVERWRITE", **options}
    task = run_import(api, body, workspace=prod)
    assert task["status"] == "SUCCESSFUL", task
    return task


def edit(api: SignedClient, workspace: str, **overrides: Any) -> None:
    """Replace daily_sales in ``workspace`` with the test definition changed by ``overrides``."""
    doc = make_job("daily_sales", **overrides)
    doc["nodes"][0]["properties"].append({"name": "resourceName", "value": "udf_jar"})
    answer = api.call("PUT", "/jobs/daily_sales", doc, workspace=workspace)
    assert answer.status_code == 204, answer.text


def promoted_with_owned_cron(api: SignedClient) -> str:
    """prod, with daily_sales promoted into it under a profile that gives prod the cron
    expression (``targetOwned``)."""
    seed(api)
    prod = prod_workspace(api)
    profile = {"targetOwned": ["schedule.cron.expression"]}
    assert api.call("PUT", "/profiles/owned", profile, workspace=prod).status_code == 200
    promote(api, prod, export_test(api), profile="owned")
    return prod
