"""Generated stories of the list calls (``support/list_stories.py``), through the API app as
the SDKs call it, in both offset modes: a workspace seeded with jobs, scripts, resources and
connections whose names hold each other and differ in case, then pages asked with drawn
filters, limits and offsets. Whatever the story, each answer keeps the promises of docs/api.md
(``support/list_model.py`` says them):

- a page is the slice of the matches, in code point order of names, that ``limit`` and
  ``offset`` (rows, or pages under ``JOBFERRY_OFFSET_MODE=page``) say, and ``total`` (the
  Studio list's ``max_records``) counts every match: walking from offset 0 until a short page
  reaches every match exactly once;
- a name filter matches a part of the name as written, case counting, ``%`` and ``_`` being
  themselves; ``jobType`` and ``tags`` (any of) pick jobs; a data connection's ``type`` matches
  whatever its case, ``ip`` a part of an address setting;
- a ``limit`` or ``offset`` that is not a whole number within its range is refused naming it
  (``DLF.3051``);
- an item carries the fields, in the types, the contracts list, and agrees with the object's
  own GET.
"""

from __future__ import annotations

import itertools
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import event, example, given, note

from jobferry.services.container import Services
from jobferry.settings import OffsetMode, Settings
from support.builders import make_job, make_resource, make_script
from support.clients import SignedClient
from support.console import admin_actor
from support.import_stories import generated
from support.list_model import REFUSED, Connection, Job, Model, page, refusal
from support.list_stories import list_stories
from support.release_stories import Step

pytestmark = [
    pytest.mark.fuzz,
    pytest.mark.parametrize("settings", list(OffsetMode), indirect=True),
]
GENERATED = generated(6)
_SERIAL = itertools.count()

PATHS = {
    "jobs": ("/jobs", "jobs", "total", "jobName", "v1"),
    "scripts": ("/scripts", "scripts", "total", "scriptName", "v1"),
    "resources": ("/resources", "resources", "total", "resourceName", "v1"),
    "connections": ("/connections", "connections", "total", "connectionName", "v1"),
    "data_connections": ("/data-connections", "data_connection_lists", "max_records", "name", "v1"),
    "factory_scripts": ("/factory/scripts", "scripts", "total", "script_name", "v2"),
}
"""Per call: path, the items' key, the matches' key, the name filter's parameter, version."""


class Told:
    """A story's workspace, seeded as the model says, and the admin calling it."""

    def __init__(self, api: SignedClient, services: Services, model: Model) -> None:
        boss = admin_actor(services)
        self.api, self.model = api, model
        name = f"ls{next(_SERIAL)}"
        self.workspace = services.accounts.create_workspace(boss, boss.project_id, name)
        for job in model.jobs:
            kind = "REAL_TIME" if job.real_time else "BATCH"
            config = {"owner": "alice", "priority": 0, "tags": list(job.tags)}
            self.ok("POST", "/jobs", make_job(job.name, processType=kind, basicConfig=config))
        for script in model.scripts:
            self.ok("POST", "/scripts", make_script(script))
        for resource in model.resources:
            self.ok("POST", "/resources", make_resource(resource))
        for c in model.connections:
            body = {"name": c.name, "type": c.type, "config": {c.setting: c.value}}
            self.ok("POST", "/connections", {**body, "description": "seeded"})

    def call(self, method: str, path: str, body: Any = None, **kw: Any) -> Any:
        return self.api.call(method, path, body, workspace=self.workspace, **kw)

    def ok(self, method: str, path: str, body: Any = None, **kw: Any) -> Any:
        answer = self.call(method, path, body, **kw)
        assert answer.status_code in (200, 204), (method, path, answer.text)
        return answer.json() if answer.content else None

    def ask(self, call: str, filters: dict[str, str], limit: object, offset: object) -> Any:
        path, _, _, name_key, version = PATHS[call]
        query: dict[str, Any] = {"limit": limit, "offset": offset}
        query.update({name_key if k == "name" else k: v for k, v in filters.items()})
        return self.call("GET", path, query=query, version=version)

    def page(self, call: str, filters: dict[str, str], limit: int, offset: int) -> Any:
        answer = self.ask(call, filters, limit, offset)
        assert answer.status_code == 200, answer.text
        return answer.json()


def _names(call: str, items: list[dict[str, Any]]) -> list[str]:
    return [i["dw_name" if call == "data_connections" else "name"] for i in items]


def _check_page(told: Told, step: Step, by_page: bool) -> None:
    """One page: the slice of the matches, ``total`` every match, items well typed."""
    call, filters, limit, offset = step.args
    body = told.page(call, filters, limit, offset)
    _, items, total, _, _ = PATHS[call]
    found = told.model.matches(call, filters)
    assert body[total] == len(found), body
    assert _names(call, body[items]) == page(found, limit, offset, by_page)
    if call == "data_connections":
        assert body["count"] == len(body[items])
        assert body["total_size"] == len(told.model.connections)
    for item in body[items]:
        _check_types(call, item)


def _walk(told: Told, step: Step, by_page: bool) -> None:
    """From offset 0 until a short page, as the clients of each mode walk: every match once,
    in order."""
    call, filters, limit, _ = step.args
    _, items, _, _, _ = PATHS[call]
    seen: list[str] = []
    offset = 0
    for _ in range(40):
        got = _names(call, told.page(call, filters, limit, offset)[items])
        seen += got
        if len(got) < limit:
            break
        offset += 1 if by_page else len(got)
    assert seen == told.model.matches(call, filters)


def _check_refused(told: Told, step: Step) -> None:
    call, filters, limit, offset = step.args
    answer = told.ask(call, filters, limit, offset)
    bad = refusal(limit, offset)
    assert bad is not None, step
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert (body["error_code"], body.get("parameter")) == (REFUSED, bad), body
    assert bad in body["error_msg"], body


SHOWN = {
    "jobs": "/jobs/{}",
    "scripts": "/scripts/{}",
    "factory_scripts": "/scripts/{}",
    "resources": "/resources/{}",
    "connections": "/connections/{}",
    "data_connections": "/data-connections/{}",
}
RENAMED = {
    "factory_scripts": {
        "create_user": "createUser",
        "connection_name": "connectionName",
        "modify_time": "modifyTime",
    },
}


def _key(call: str, item: dict[str, Any]) -> str:
    if call == "resources":
        return str(item["resourceId"])
    if call == "data_connections":
        return str(item["dw_id"])
    return str(item["name"])


def _check_agrees(told: Told, step: Step) -> None:
    """Every item of a page agrees with the object's own GET."""
    call, filters, _, _ = step.args
    _, items, _, _, _ = PATHS[call]
    for item in told.page(call, filters, 100, 0)[items]:
        shown = told.ok("GET", SHOWN[call].format(quote(_key(call, item), safe="")))
        if call == "jobs":
            config = shown["basicConfig"]
            assert item["jobType"] == shown["processType"], item
            assert (item["owner"], item["priority"]) == (config["owner"], config["priority"])
            assert (item["createTime"], item["path"]) == (shown["createTime"], shown["directory"])
            assert item["lastUpdateUser"] == shown["lastUpdateUser"]
            continue
        renamed = RENAMED.get(call, {})
        for key, value in item.items():
            wire = renamed.get(key, key)
            assert wire in shown, (key, item, shown)
            assert shown[wire] == value, (key, item, shown)


JOB_TYPES = {
    "name": str,
    "jobType": str,
    "owner": str,
    "priority": int,
    "status": str,
    "createUser": str,
    "createTime": int,
    "lastUpdateTime": int,
    "lastUpdateUser": str,
    "path": str,
    "singleNodeJobFlag": bool,
}
STATUSES = {"STARTING", "NORMAL", "EXCEPTION", "STOPPING", "STOPPED", "SCHEDULING", "PAUSED"}
LEFT_OUT = {"startTime", "endTime", "lastInstanceStatus", "lastInstanceEndTime"}


def _check_types(call: str, item: dict[str, Any]) -> None:
    """An item's fields in the types the contracts give them."""
    if call == "jobs":
        for key, kind in JOB_TYPES.items():
            assert type(item[key]) is kind, (key, item)
        assert item["status"] in STATUSES, item
        assert item["jobType"] in ("BATCH", "REAL_TIME"), item
        assert not LEFT_OUT & set(item), item
    elif call == "factory_scripts":
        assert "content" not in item, item
        assert [type(item[k]) for k in ("id", "modify_time", "version")] == [str, int, int]
    elif call == "data_connections":
        assert type(item["create_time"]) is int, item
        assert len(item["dw_id"]) == 32, item
    elif call == "resources":
        assert item["id"] == item["resourceId"], item


def look_alikes() -> tuple[Model, tuple[Step, ...]]:
    """Names differing in case only, or where ``_`` or ``%`` would stand for any character:
    each filter matches the name as written (told in every run)."""
    model = Model(
        jobs=[Job(n, False, ("daily",)) for n in ("ab", "Ab", "a_b", "aXb", "ä")],
        scripts=["ab", "AB", "a_b"],
        connections=[
            Connection("a_b", "DWS", "ip", "10.0.0.1"),
            Connection("ab", "dws", "url", "x"),
        ],
    )
    asked = [("jobs", {"name": "ab"}), ("jobs", {"name": "a_b"}), ("jobs", {"name": "A"})]
    asked += [("scripts", {"name": "%"}), ("factory_scripts", {"name": "B"})]
    asked += [("data_connections", {"name": "_", "type": "DWS"}), ("jobs", {"tags": "Daily"})]
    return model, tuple(Step("walk", (call, filters, 1, 0)) for call, filters in asked)


@GENERATED
@given(story=list_stories())
@example(story=look_alikes())
def test_list_calls_page_and_filter_as_documented(
    api: SignedClient, services: Services, settings: Settings, story: Any
) -> None:
    model, steps = story
    note(repr(story))
    told = Told(api, services, model)
    by_page = settings.offset_mode is OffsetMode.PAGE
    for step in steps:
        event(f"{step.act} {step.args[0]}")
        if step.act == "page":
            _check_page(told, step, by_page)
        elif step.act == "walk":
            _walk(told, step, by_page)
        elif step.act == "refused":
            _check_refused(told, step)
        else:
            _check_agrees(told, step)
