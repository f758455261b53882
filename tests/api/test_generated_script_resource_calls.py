"""Generated stories of scripts and resources over the wire, as the official SDK shapes them
(``support/script_resource_stories.py``), through the API app: every script type of the
contract, content, connection, database, queue, directory; resources of every type with their
location, ``dependFiles`` and directory; valid and broken bodies, taken names, and scripts and
resources a job names deleted (or renamed). Whatever the story, each answer keeps the promises
of the contract and docs/api.md (``support/script_resource_model.py``):

- its status, and for a refusal the DataArts envelope with the documented code;
- a refusal changes nothing: both lists read as before;
- a show answers what was saved (and what show adds beside it), and the lists name what the
  workspace holds. The service-level stories (tests/unit/services/test_generated_definitions.py)
  tell versions, locks, renames and folders; these tell the wire.
"""

from __future__ import annotations

import itertools
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import event, example, given, note

from jobferry.services.container import Services
from support.clients import SignedClient
from support.console import admin_actor
from support.import_stories import generated
from support.release_stories import Step
from support.script_resource_model import (
    RESOURCE_ADDED,
    SCRIPT_ADDED,
    Answer,
    Model,
)
from support.script_resource_stories import job_naming, script_resource_stories

pytestmark = pytest.mark.fuzz
GENERATED = generated(10)
_SERIAL = itertools.count()
NEVER = "01a00000-0000-7000-8000-000000000000"
"""A resource id no story makes."""


def _at(name: str) -> str:
    return quote(name, safe="")


class Told:
    """A story's fresh workspace, the ids of the resources it made and the model."""

    def __init__(self, api: SignedClient, services: Services) -> None:
        boss = admin_actor(services)
        self.api = api
        self.workspace = services.accounts.create_workspace(
            boss, boss.project_id, f"sr{next(_SERIAL)}"
        )
        self.ids: list[str] = []
        self.model = Model()

    def call(self, method: str, path: str, body: Any = None, **kw: Any) -> Any:
        return self.api.call(method, path, body, workspace=self.workspace, **kw)

    def pick(self, index: int) -> tuple[str, str]:
        """The model's slot and the id of a resource the story made (or one never made)."""
        if index < len(self.ids):
            return str(index), self.ids[index]
        return "never", NEVER

    def lists(self) -> tuple[Any, Any]:
        scripts = self.call("GET", "/scripts", query={"limit": 100})
        resources = self.call("GET", "/resources", query={"limit": 100})
        assert scripts.status_code == resources.status_code == 200
        return scripts.json(), resources.json()

    def take(self, step: Step) -> tuple[Answer, Any]:
        """Send ``step``; what the model predicts and the answer."""
        act, args, model = step.act, step.args, self.model
        if act == "create_script":
            name, body, fault = args
            return model.create_script(body, fault), self.call("POST", "/scripts", body)
        if act == "update_script":
            name, body, fault = args
            sent = self.call("PUT", f"/scripts/{_at(name)}", body)
            return model.update_script(name, body, fault), sent
        if act in ("show_script", "delete_script"):
            method = "GET" if act == "show_script" else "DELETE"
            predicted = getattr(model, act)(args[0])
            return predicted, self.call(method, f"/scripts/{_at(args[0])}")
        if act == "create_resource":
            body, fault = args
            predicted = model.create_resource(str(len(self.ids)), body, fault)
            answer = self.call("POST", "/resources", body)
            if answer.status_code == 200:
                self.ids.append(answer.json()["resourceId"])
            return predicted, answer
        if act == "update_resource":
            index, body, fault = args
            slot, rid = self.pick(index)
            return model.update_resource(slot, body, fault), self.call(
                "PUT", f"/resources/{rid}", body
            )
        if act in ("show_resource", "delete_resource"):
            slot, rid = self.pick(args[0])
            method = "GET" if act == "show_resource" else "DELETE"
            return getattr(model, act)(slot), self.call(method, f"/resources/{rid}")
        if act == "save_job":
            job, script, resource = args
            exists = job in model.jobs
            body = job_naming(job, script, resource)
            sent = (
                self.call("PUT", f"/jobs/{_at(job)}", body)
                if exists
                else self.call("POST", "/jobs", body)
            )
            return model.save_job(job, script, resource), sent
        if act == "delete_job":
            return model.delete_job(args[0]), self.call("DELETE", f"/jobs/{_at(args[0])}")
        path = "/scripts" if act == "list_scripts" else "/resources"
        return Answer(200), self.call("GET", path, query={"limit": 100})

    def check_shown(self) -> None:
        """Each script and resource shows what was saved; the lists name them all."""
        for name, saved in self.model.scripts.items():
            shown = self.call("GET", f"/scripts/{_at(name)}")
            assert shown.status_code == 200, shown.text
            body = shown.json()
            assert {"id", "modifyTime", "createUser"} <= set(body), body  # version: once submitted
            assert {k: v for k, v in body.items() if k not in SCRIPT_ADDED} == saved
        for slot, saved in self.model.resources.items():
            rid = self.ids[int(slot)]
            shown = self.call("GET", f"/resources/{rid}")
            assert shown.status_code == 200, shown.text
            body = shown.json()
            assert body["id"] == body["resourceId"] == rid
            kept = {k: v for k, v in body.items() if k not in RESOURCE_ADDED}
            assert kept == {"directory": "/"} | saved, (kept, saved)
        scripts, resources = self.lists()
        assert sorted(s["name"] for s in scripts["scripts"]) == sorted(self.model.scripts)
        assert sorted(r["name"] for r in resources["resources"]) == sorted(
            r["name"] for r in self.model.resources.values()
        )


def check(answer: Any, predicted: Answer) -> None:
    """The answer is the predicted status, and a refusal the envelope with a predicted code."""
    assert answer.status_code == predicted.status, (predicted, answer.text)
    if predicted.codes:
        envelope = answer.json()
        assert envelope["error_code"] in predicted.codes, (predicted, envelope)
        assert envelope["errors"][0]["error_code"] == envelope["error_code"]
        assert envelope["error_msg"]


@given(story=script_resource_stories())
@GENERATED
@example(
    story=[
        Step("create_script", ("s_a", {"name": "s_a", "type": "Shell", "content": "x"}, None)),
        Step("create_resource", ({"name": "r_a", "type": "jar", "location": "obs://bkt/a"}, None)),
        Step("save_job", ("j_a", "s_a", "r_a")),
        Step("delete_script", ("s_a",)),
        Step(
            "update_resource", (0, {"name": "r-b", "type": "jar", "location": "obs://bkt/a"}, None)
        ),
        Step("delete_resource", (0,)),
        Step("delete_job", ("j_a",)),
        Step("delete_script", ("s_a",)),
        Step("delete_resource", (0,)),
    ]
)
def test_script_and_resource_calls_answer_as_the_contract_says(
    api: SignedClient, services: Services, story: list[Step]
) -> None:
    told = Told(api, services)
    for step in story:
        note(repr(step))
        before = told.lists()
        predicted, answer = told.take(step)
        event(f"{step.act} {answer.status_code}")
        check(answer, predicted)
        if predicted.codes:
            assert told.lists() == before, "a refused step changed the workspace"
    told.check_shown()
