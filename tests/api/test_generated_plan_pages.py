"""Generated stories of a kept plan's objects and an import task's subtasks, paged
(``support/plan_page_stories.py``, which says what docs/api.md promises), through the API app:
each object planned as the target's state says, the plan's changes first, every page the slice
of the plan's (or the task's) own list that ``limit`` and ``offset`` say, of the asked action
and kind, each object reached once by a walk, and a bad limit or offset refused naming it.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import event, given, note

from support.builders import make_job, make_script
from support.clients import SignedClient
from support.exporting import workspace_package
from support.import_stories import generated
from support.importing import connected_workspace, new_workspace, plan_import, run_import, upload
from support.list_model import refusal
from support.plan_page_stories import Planned, plan_page_stories
from support.release_stories import Step

pytestmark = pytest.mark.fuzz
GENERATED = generated(5)
_SERIAL = itertools.count()
CHANGED = {"job": {"description": "changed in the target"}, "script": {"content": "select 2;"}}


class Told:
    """A story's source and target workspaces, the plan and the import of the source's
    package into the target."""

    def __init__(self, api: SignedClient, made: Planned) -> None:
        n = next(_SERIAL)
        self.api = api
        source, self.target = new_workspace(api, f"pp{n}s"), connected_workspace(api, f"pp{n}t")
        for (kind, name), state in made.objects.items():
            build = make_job if kind == "job" else make_script
            self.post(source, f"/{kind}s", build(name))
            if state != "absent":
                self.post(
                    self.target,
                    f"/{kind}s",
                    build(name, **CHANGED[kind] if state == "changed" else {}),
                )
        path = upload(api, workspace_package(api, source), self.target)
        body = {"path": path, "sameNamePolicy": "OVERWRITE", "mode": "PER_OBJECT"}
        self.plan = plan_import(api, body, self.target)
        self.task = run_import(api, body, self.target)
        whole = api.call("GET", f"/system-tasks/{self.task['id']}", workspace=self.target)
        self.subtasks: list[dict[str, Any]] = whole.json()["subtasks"]

    def post(self, workspace: str, path: str, body: dict[str, Any]) -> None:
        answer = self.api.call("POST", path, body, workspace=workspace)
        assert answer.status_code == 204, answer.text

    def ask(self, which: str, filters: dict[str, str], limit: object, offset: object) -> Any:
        path = (
            f"/jobs/import/plans/{self.plan['planId']}/objects"
            if which == "objects"
            else f"/system-tasks/{self.task['id']}/subtasks"
        )
        query = {**filters, "limit": limit, "offset": offset}
        return self.api.call("GET", path, query=query, workspace=self.target)

    def listed(self, which: str, filters: dict[str, str]) -> list[dict[str, Any]]:
        if which == "subtasks":
            return self.subtasks
        return [
            o
            for o in self.plan["objects"]
            if all(o[key] == value for key, value in filters.items())
        ]


def _check_plan(told: Told, made: Planned) -> None:
    objects = told.plan["objects"]
    assert told.plan.get("objectsTotal", len(objects)) == len(objects)
    got = {(o["kind"], o["name"]): o["action"] for o in objects}
    assert got == {key: made.action(key) for key in made.objects}
    firsts = [o["action"] != "UNCHANGED" or bool(o.get("problems")) for o in objects]
    assert firsts == sorted(firsts, reverse=True), objects  # changes and problems first
    assert len(told.subtasks) == len(objects), told.subtasks


def _take(told: Told, step: Step) -> None:
    which, filters, limit, offset = step.args
    answer = told.ask(which, filters, limit, offset)
    bad = refusal(limit, offset, 1000)
    if step.act == "refused":
        assert bad is not None
        assert answer.status_code == 400, answer.text
        assert (answer.json()["error_code"], answer.json()["parameter"]) == ("DLF.3051", bad)
        return
    items = "objects" if which == "objects" else "subtasks"
    wanted = told.listed(which, filters)
    assert answer.status_code == 200, answer.text
    assert answer.json()["total"] == len(wanted)
    assert answer.json()[items] == wanted[offset : offset + limit]
    if step.act == "walk":
        seen: list[dict[str, Any]] = []
        for _ in range(60):
            got = told.ask(which, filters, limit, len(seen)).json()[items]
            seen += got
            if len(got) < limit:
                break
        assert seen == wanted


@GENERATED
@given(story=plan_page_stories())
def test_plan_objects_and_subtasks_page_as_documented(api: SignedClient, story: Any) -> None:
    made, steps = story
    note(repr(story))
    told = Told(api, made)
    _check_plan(told, made)
    for step in steps:
        event(f"{step.act} {step.args[0]}")
        _take(told, step)
