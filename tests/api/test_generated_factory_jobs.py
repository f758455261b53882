"""Generated stories of a workspace's jobs through v1 and the DataArts Factory v2 job calls
(``support/factory_job_stories.py``), through the API app as the SDKs call it. Whatever the
story, each answer keeps the promises of docs/api.md and the contracts:

- its status, and for a refusal the DataArts envelope (``error_code``, ``error_msg`` naming
  what is wrong, ``errors``, ``request_id``) with the documented code;
- a job written through one API reads the same through the other: a v2 rename moves the job,
  its definition, id and versions, to the new name that v1 ``show_job`` and ``list_jobs`` read;
- a refusal changes nothing: every job of the workspace reads as before, and the list holds
  the same names.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import event, example, given, note

from jobferry.services.container import Services
from support.builders import make_job
from support.clients import SignedClient
from support.console import admin_actor
from support.factory_job_stories import (
    TOO_LONG,
    Expected,
    State,
    expected,
    factory_job_stories,
    upstream_of,
    v1_body,
    v2_body,
)
from support.import_stories import generated
from support.release_stories import Step

pytestmark = [pytest.mark.fuzz, pytest.mark.parametrize("enterprise", [False, True])]
GENERATED = generated(8)
_SERIAL = itertools.count()
MOVED = ("name", "lastUpdateUser", "lastUpdateTime")
"""What a rename may change of a job's v1 definition."""


VERSIONS = "(versions)"
LISTED = "(listed)"
"""Where :meth:`Told.read` puts a job's submitted versions, as ``list_job_versions`` lists
them, and its item of ``list_jobs``, beside its definition."""


def _at(name: str) -> str:
    return quote(name, safe="")


class Told:
    """A story's fresh workspace and what its jobs read as through v1 ``show_job``."""

    def __init__(self, api: SignedClient, services: Services, enterprise: bool) -> None:
        boss = admin_actor(services)
        self.api, self.enterprise = api, enterprise
        name = f"fj{next(_SERIAL)}"
        self.workspace = services.accounts.create_workspace(boss, boss.project_id, name)
        if enterprise:
            scope = services.accounts.scope(boss, boss.project_id, self.workspace)
            services.releases.update_workspace(scope, {"name": name, "mode": "1"})
        self.jobs: dict[str, dict[str, Any]] = {}
        self.items: list[dict[str, Any]] = []

    def call(self, method: str, path: str, body: Any = None, **kw: Any) -> Any:
        return self.api.call(method, path, body, workspace=self.workspace, **kw)

    def v2(self, method: str, path: str, body: Any = None) -> Any:
        return self.call(method, f"/factory{path}", body, version="v2")

    def send(self, step: Step) -> Any:
        """Make the call of ``step``."""
        act, args = step.act, step.args
        if act == "create_v1":
            name, variant = args
            return self.call("POST", "/jobs", v1_body(name, variant, make_job(name)))
        if act == "update_v1":
            name, variant = args
            job = make_job(name, basicConfig={"owner": "bob", "priority": 2, "tags": ["upd"]})
            return self.call("PUT", f"/jobs/{_at(name)}", v1_body(name, variant, job))
        if act == "rename_v2":
            name, new, variant = args
            bodies: dict[str, Any] = {
                "ok": {"name": new},
                "too_long": {"name": TOO_LONG},
                "number": {"name": 5},
                "missing": {},
                "extra_field": {"name": new, "publish_type": "asy"},
                "same": {"name": name},
            }
            return self.v2("PUT", f"/jobs/{_at(name)}/rename", bodies[variant])
        if act == "create_v2":
            return self.v2("POST", "/jobs", v2_body(*args))
        if act == "update_v2":
            return self.v2("PUT", f"/jobs/{_at(args[0])}", v2_body(args[0], "ok"))
        if act == "list":
            return self.v2("GET", "/jobs") if args[0] == "v2" else self.call("GET", "/jobs")
        if act in ("start", "stop"):
            return self.call("POST", f"/jobs/{_at(args[0])}/{act}")
        name, api = args
        method = "GET" if act == "show" else "DELETE"
        path = f"/jobs/{_at(name)}"
        return self.v2(method, path) if api == "v2" else self.call(method, path)

    def pending(self) -> list[dict[str, Any]]:
        """The workspace's pending items, as v2 ``list_factory_pending_items`` lists them."""
        if not self.enterprise:
            return []
        listed = self.call("GET", "/factory/pending-items", query={"limit": 100}, version="v2")
        assert listed.status_code == 200, listed.text
        body = listed.json()
        assert body["total"] == len(body["data"]), body
        return sorted(body["data"], key=lambda item: str(item["item_name"]))

    def read(self) -> dict[str, dict[str, Any]]:
        """Every job of the workspace as v1 ``show_job`` reads it, by the names v1
        ``list_jobs`` gives, in their order."""
        listed = self.call("GET", "/jobs", query={"limit": 100})
        assert listed.status_code == 200, listed.text
        items = {j["name"]: j for j in listed.json()["jobs"]}
        assert list(items) == sorted(items), list(items)
        shown = {}
        for name, item in items.items():
            answer = self.call("GET", f"/jobs/{_at(name)}")
            assert answer.status_code == 200, answer.text
            versions = self.call("GET", f"/jobs/{_at(name)}/versions")
            assert versions.status_code == 200, versions.text
            shown[name] = {**answer.json(), VERSIONS: versions.json(), LISTED: item}
        return shown


def _check_answer(answer: Any, want: Expected, step: Step) -> None:
    """The status promised, and a refusal in the DataArts envelope with its code."""
    assert answer.status_code == want.status, (step, answer.text)
    if want.status == 204:
        assert not answer.content, (step, answer.text)
    if not want.refused:
        return
    body = answer.json()
    assert body["error_code"] in want.codes, (step, body)
    assert isinstance(body["error_msg"], str), (step, body)
    assert body["error_msg"], (step, body)
    assert body["errors"][0]["error_code"] == body["error_code"], (step, body)
    assert body["request_id"], (step, body)
    for word in want.words:
        assert word in body["error_msg"], (step, word, body)


Jobs = dict[str, dict[str, Any]]


def _without(job: dict[str, Any], *keys: str) -> dict[str, Any]:
    """``job`` but ``keys``, and its list item but the fields a rename or a save moves."""
    kept = {k: v for k, v in job.items() if k not in keys}
    if LISTED in kept:
        kept[LISTED] = {k: v for k, v in kept[LISTED].items() if k not in MOVED}
    return kept


def _created(before: Jobs, now: Jobs, name: str, variant: str) -> set[str]:
    assert set(now) == set(before) | {name}, list(now)
    sent = v1_body(name, variant, make_job(name))
    sent.pop("targetStatus", None)
    assert {k: v for k, v in now[name].items() if k in sent} == sent, now[name]
    # without the approval switch an absent targetStatus submits too (docs/api.md)
    assert len(now[name][VERSIONS]["versions"]) == 1, now[name]
    return {name}


def _updated(before: Jobs, now: Jobs, name: str, variant: str) -> set[str]:
    assert set(now) == set(before), list(now)
    config = now[name]["basicConfig"]
    assert (config["owner"], config["priority"], config["tags"]) == ("bob", 2, ["upd"])
    assert now[name]["id"] == before[name]["id"]
    count = len(before[name][VERSIONS]["versions"])
    assert len(now[name][VERSIONS]["versions"]) == count + 1, now[name][VERSIONS]
    return {name}


def _renamed(before: Jobs, now: Jobs, old: str, new: str, variant: str) -> set[str]:
    """The job moved, whole, to its new name, and the jobs depending on it were rewritten to
    depend on the new name, nothing else of them changed."""
    new = old if variant == "same" else new
    assert set(now) == (set(before) - {old}) | {new}, list(now)
    assert now[new]["name"] == new, now[new]
    assert _without(now[new], *MOVED) == _without(before[old], *MOVED)
    dependents = {n for n in before if old in upstream_of(before[n]) and n != old}
    for name in dependents - {old}:
        want = [new if up == old else up for up in upstream_of(before[name])]
        assert upstream_of(now[name]) == want, (name, now[name])
        kept = ("schedule", *MOVED)
        assert _without(now[name], *kept) == _without(before[name], *kept), name
    return {old, new} | dependents


def _deleted(before: Jobs, now: Jobs, name: str, api: str) -> set[str]:
    assert set(now) == set(before) - {name}, list(now)
    return {name}


def _scheduled(status: str) -> Callable[[Jobs, Jobs, str], set[str]]:
    def check(before: Jobs, now: Jobs, name: str) -> set[str]:
        assert now[name][LISTED]["status"] == status, now[name][LISTED]
        assert _without(now[name], LISTED) == _without(before[name], LISTED)
        return {name}

    return check


WRITTEN: dict[str, Callable[..., set[str]]] = {
    "create_v1": _created,
    "update_v1": _updated,
    "rename_v2": _renamed,
    "delete": _deleted,
    "start": _scheduled("SCHEDULING"),
    "stop": _scheduled("STOPPED"),
}


def _check_written(told: Told, step: Step, answer: Any, now: Jobs) -> None:
    """A write that succeeded changed its jobs as it said, and no other job."""
    if step.act == "rename_v2":
        assert answer.json() == {"is_success": True, "status_code": 200}, answer.text
    touched = WRITTEN[step.act](told.jobs, now, *step.args)
    for name in set(now) - touched:
        assert now[name] == told.jobs[name], (step, name)


def _state(told: Told) -> State:
    jobs = told.jobs
    scheduled = {n for n, job in jobs.items() if job[LISTED]["status"] == "SCHEDULING"}
    return State({n: upstream_of(job) for n, job in jobs.items()}, scheduled, told.enterprise)


def _check_pending(now: Jobs, items: list[dict[str, Any]]) -> None:
    """One pending item per job with a submitted version, under its current name, naming its
    latest version; production holds nothing, so each adds its job."""
    submitted = {n: job for n, job in now.items() if job[VERSIONS]["versions"]}
    assert [item["item_name"] for item in items] == sorted(submitted), items
    for item in items:
        job = submitted[item["item_name"]]
        latest = max(v["version"] for v in job[VERSIONS]["versions"])
        assert (item["task_type"], item["update_type"]) == (1, 1), item
        assert (item["pending_version"], item["deployed_version"]) == (latest, 0), item
        assert str(item["task_id"]) == str(job["id"]), (item, job["id"])


def _check_listed(told: Told, step: Step, answer: Any) -> None:
    """A v1 list gives the names of the jobs the workspace holds, in code point order."""
    body = answer.json()
    assert body["total"] == len(told.jobs), body
    assert [j["name"] for j in body["jobs"]] == sorted(told.jobs), (step, body)


def run_story(told: Told, steps: tuple[Step, ...]) -> None:
    """Tell ``steps`` and check every answer and what the workspace reads after it."""
    for step in steps:
        want = expected(step, _state(told))
        event(f"{step.act} {want.status}")
        answer = told.send(step)
        _check_answer(answer, want, step)
        now, items = told.read(), told.pending()
        if want.refused or step.act in ("show", "list", "update_v2"):
            assert now == told.jobs, (step, "a refusal or a read changed the workspace")
            assert items == told.items, (step, "a refusal or a read changed the pending items")
        else:
            _check_written(told, step, answer, now)
        if step.act == "show" and not want.refused:
            shown = {
                k: v for k, v in told.jobs[step.args[0]].items() if k not in (VERSIONS, LISTED)
            }
            assert answer.json() == shown, step
        if step.act == "list" and not want.refused:
            _check_listed(told, step, answer)
        if told.enterprise:
            _check_pending(now, items)
        told.jobs, told.items = now, items


def crossings() -> tuple[Step, ...]:
    """A job created through v1, renamed through v2 onto a free name then onto a taken one,
    its dependent rewritten, updated, read and deleted through v1 under its new name, refused
    a rename while scheduled; v2 create and list refused."""
    return (
        Step("create_v1", ("a", "ok")),
        Step("create_v1", ("j" * 128, "depends")),
        Step("rename_v2", ("a", "A", "ok")),
        Step("rename_v2", ("A", "j" * 128, "extra_field")),
        Step("create_v2", ("a", "ok")),
        Step("list", ("v2",)),
        Step("update_v1", ("A", "ok")),
        Step("start", ("A",)),
        Step("rename_v2", ("A", "b", "ok")),
        Step("show", ("A", "v2")),
        Step("delete", ("A", "v1")),
        Step("stop", ("A",)),
        Step("delete", ("j" * 128, "v1")),
        Step("delete", ("A", "v1")),
        Step("create_v1", ("b", "v2_body")),
        Step("list", ("v1",)),
    )


@GENERATED
@given(story=factory_job_stories())
@example(story=crossings())
def test_jobs_through_v1_and_v2_answer_as_documented(
    api: SignedClient, services: Services, enterprise: bool, story: tuple[Step, ...]
) -> None:
    note(repr(story))
    run_story(Told(api, services, enterprise), story)
