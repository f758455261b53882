"""Workspaces are isolated on every call of the published interface: each path of the OpenAPI
document that names an object (a job, script, resource, task, download, plan, connection,
profile, key, package…) is called by the admin of another workspace with the name or id of an
object of the first. The answer is the one the same call gets for a name or id nobody uses —
so a refusal never tells whether the other workspace's object exists — and the first
workspace's objects are as they were.

Shared on purpose, and left out: routes and their policies belong to the project (every member
reads them, docs/api.md *Routes*); a workspace id in the path is refused 403 for a workspace
one has no role in and 400 ``DLF.0819`` for one that does not exist (workspaces are named to
every member, in routes and remotes)."""

from __future__ import annotations

import re
from typing import Any

from support.accounts import default_workspace, new_user
from support.builders import make_job, make_script
from support.clients import SignedClient
from support.exporting import seed, workspace_package
from support.importing import plan_import, upload

MARKER = "only-in-workspace-a"
"""Text the first workspace's objects carry, which no answer to the other admin may hold."""

SHARED = re.compile(r"^/v1/\{project_id\}/(routes|policies/routes)/|\{workspace_id\}")
"""Paths left out (see the module's docstring)."""


def _world_a(api: SignedClient) -> dict[str, str]:
    """Objects of every kind in the default workspace: the values of each path parameter."""
    seed(api, ("only_a_job",))
    script = make_script("only_a_sql", content=f"select '{MARKER}'")
    assert api.call("POST", "/scripts", script).status_code == 204
    job = make_job("only_a_secret", description=MARKER)
    assert api.call("POST", "/jobs", job).status_code == 204
    profile = {"renames": {"connection": {"dws_conn": "dws_conn_prod"}}, "description": MARKER}
    saved = api.call("PUT", "/profiles/prof_a", profile)
    assert saved.status_code == 200, saved.text
    package = workspace_package(api)
    tasks = api.call("GET", "/system-tasks").json()["tasks"]
    downloads = api.call("GET", "/downloads").json()["downloads"]
    listed = api.call("GET", "/data-connections", workspace=default_workspace(api)).json()
    assert "data_connection_lists" in listed, listed
    dw = listed["data_connection_lists"][0]["dw_id"]
    plan = plan_import(api, {"path": upload(api, package)})
    return {
        "job_name": "only_a_secret",
        "script_name": "only_a_sql",
        "resource_id": api.call("GET", "/resources").json()["resources"][0]["id"],
        "task_id": tasks[0]["id"],
        "download_id": downloads[0]["id"],
        "plan_id": plan["planId"],
        "name": "prof_a",
        "connection_name": "dws_conn",
        "data_connection_id": dw,
        "connection_id": dw,
        "kind": "connection",
        "package_id": "1",
        "entry_id": "1",
        "key_id": "k" * 16,
        "user_name": "admin",
        "user_id": "admin",
        "access_key": api.ak,
        "instance_id": "1",
        "instance_name": "x",
        "table_id": "1",
        "tag_name": "t_a",
        "version": "1",  # only_a_secret and only_a_sql were submitted once
    }


def _unknown(value: str) -> str:
    """A value of the same shape nobody uses."""
    return value[:-4] + "9999" if len(value) > 4 else value + "9"


def _answer(response: Any) -> tuple[int, str | None]:
    try:
        body = response.json()
    except ValueError:
        return response.status_code, None
    return response.status_code, body.get("error_code") if isinstance(body, dict) else None


def _calls(api: SignedClient) -> list[tuple[str, str, str]]:
    """(method, version, path template) of every operation naming an object in its path."""
    document = api.client.get("/openapi.json").json()
    found = []
    for template, operations in document["paths"].items():
        rest = template.partition("{project_id}")[2]
        if "{" not in rest or SHARED.search(template):
            continue
        found += [(m.upper(), template.split("/")[1], rest) for m in operations]
    return found


def _fill(rest: str, values: dict[str, str], environment: bool) -> str:
    named = dict(values, name=values["connection_name"]) if environment else values
    unknown = sorted(set(re.findall(r"\{(\w+)\}", rest)) - set(named))
    assert not unknown, f"{rest}: give _world_a a value of workspace A for {unknown}"
    return re.sub(r"\{(\w+)\}", lambda m: named[m[1]], rest)


def _state(api: SignedClient) -> list[Any]:
    return [
        api.call("GET", path).json()
        for path in ("/jobs", "/scripts", "/resources", "/environment", "/profiles", "/downloads")
    ]


def test_no_call_names_or_changes_an_object_of_another_workspace(api: SignedClient) -> None:
    values = _world_a(api)
    unknown = {key: _unknown(value) for key, value in values.items()} | {"kind": "connection"}
    other = api.call("POST", "/workspaces", {"name": "team_b"}).json()["id"]
    bob = new_user(api, "bob", "admin", other)
    before = _state(api)

    differ, leaks = [], []
    calls = _calls(api)
    assert len(calls) > 80  # every operation naming an object, v1 and v2
    for method, version, rest in calls:
        environment = rest.startswith(("/environment/", "/connections/"))
        body = None if method in ("GET", "DELETE") else {}
        sent = [
            bob.call(method, _fill(rest, chosen, environment), body, workspace=other,
                     version=version)
            for chosen in (values, unknown)
        ]  # fmt: skip
        if _answer(sent[0]) != _answer(sent[1]):
            differ.append(f"{method} {rest}: {_answer(sent[0])} vs {_answer(sent[1])}")
        if MARKER in sent[0].text:
            leaks.append(f"{method} {rest}")

    assert differ == []
    assert leaks == []
    assert _state(api) == before
