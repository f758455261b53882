"""Generated stories of ``list_factory_pending_items`` (``support/pending_stories.py``, which
says what docs/api.md promises), through the API app as the SDKs call it, in both offset
modes: an enterprise workspace whose admin and developer create, submit again and delete jobs
and scripts, then pages asked with drawn filters. Each page is the slice (``offset`` a page
number) of the matching items newest first, ``total`` counts every match, a walk of the pages
reaches each once, each item says its object's kind, name, submitted version and submitter as
the object's own GET does, and a limit or offset out of range is refused naming it.
"""

from __future__ import annotations

import itertools
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import event, given, note

from jobferry.services.container import Services
from jobferry.settings import OffsetMode
from support.builders import make_job, make_script, released
from support.clients import PROJECT_ID, SignedClient
from support.console import admin_actor
from support.import_stories import generated
from support.list_model import mistyped, refusal
from support.pending_stories import KINDS, Item, Pending, pending_stories
from support.release_stories import Step

pytestmark = [
    pytest.mark.fuzz,
    pytest.mark.parametrize("settings", list(OffsetMode), indirect=True),
]
GENERATED = generated(6)
_SERIAL = itertools.count()
PATH = "/factory/pending-items"


class Told:
    """A story's enterprise workspace, its admin and a developer."""

    def __init__(self, api: SignedClient, services: Services) -> None:
        boss = admin_actor(services)
        pid, n, accounts = boss.project_id, next(_SERIAL), services.accounts
        self.workspace = accounts.create_workspace(boss, pid, f"pl{n}")
        scope = accounts.scope(boss, pid, self.workspace)
        services.releases.update_workspace(scope, {"name": f"pl{n}", "mode": "1"})
        developer = f"pl{n}dev"
        accounts.create_user(boss, pid, developer, False)
        accounts.set_role(boss, pid, developer, self.workspace, "developer")
        key = accounts.issue_credential(boss, pid, developer)
        self.clients = {"admin": api, "developer": api.as_user(key.access_key, key.secret_key)}
        self.users = {"admin": boss.name, "developer": developer}
        self.writes = itertools.count()

    def seed(self, step: Step) -> None:
        kind, name, user = step.args
        client, path = self.clients[user], f"/{kind}s"
        build = make_job if kind == "job" else make_script
        if step.act == "create":
            answer = client.call("POST", path, build(name), workspace=self.workspace)
        elif step.act == "update":
            change: dict[str, Any] = {"params": released(str(next(self.writes)))}
            if kind == "script":
                change = {"content": f"select {next(self.writes)};"}
            body = build(name, **change)
            answer = client.call("PUT", f"{path}/{quote(name, safe='')}", body, **self.here)
        else:
            answer = client.call("DELETE", f"{path}/{quote(name, safe='')}", **self.here)
        assert answer.status_code == 204, (step, answer.text)

    @property
    def here(self) -> dict[str, Any]:
        return {"workspace": self.workspace}

    def ask(self, filters: dict[str, str], limit: object, offset: object) -> Any:
        query = {**filters, "limit": limit, "offset": offset}
        return self.clients["admin"].call("GET", PATH, query=query, version="v2", **self.here)


def _said(item: dict[str, Any]) -> tuple[str, str, int, str]:
    kind = KINDS[int(item["task_type"]) - 1]
    return kind, item["item_name"], int(item["pending_version"]), item["submit_user_name"]


def _modelled(told: Told, item: Item) -> tuple[str, str, int, str]:
    return item.kind, item.name, item.version, told.users[item.user]


def _check_item(told: Told, item: dict[str, Any]) -> None:
    """An item in the documented shape, agreeing with its object's own GET."""
    assert mistyped(item, "pending_items") == {}, item
    assert item["package_flag"] == 0, item
    assert item["deployed_version"] == 0, item  # nothing released
    assert item["project_id"] == f"{PROJECT_ID}-workspace-{told.workspace}", item
    assert int(item["update_type"]) == 1, item
    kind, name = KINDS[int(item["task_type"]) - 1], quote(item["item_name"], safe="")
    query = {"getJobSubmitVersion": "true"} if kind == "job" else None
    shown = told.clients["admin"].call("GET", f"/{kind}s/{name}", query=query, **told.here)
    assert shown.status_code == 200, shown.text
    assert str(shown.json()["version"]) == str(item["pending_version"]), (item, shown.json())
    if kind == "job":
        assert str(shown.json()["id"]) == str(item["task_id"]), (item, shown.json())


def _page(told: Told, pending: Pending, step: Step) -> None:
    filters, limit, offset = step.args
    answer = told.ask(filters, limit, offset)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    found = [_modelled(told, i) for i in pending.matches(filters, told.users)]
    assert body["total"] == len(found), body
    assert [_said(i) for i in body["data"]] == found[offset * limit : (offset + 1) * limit]
    for item in body["data"]:
        _check_item(told, item)


def _walk(told: Told, pending: Pending, step: Step) -> None:
    filters, limit, _ = step.args
    seen: list[tuple[str, str, int, str]] = []
    for page in range(40):
        answer = told.ask(filters, limit, page)
        assert answer.status_code == 200, answer.text
        got = [_said(i) for i in answer.json()["data"]]
        seen += got
        if len(got) < limit:
            break
    assert seen == [_modelled(told, i) for i in pending.matches(filters, told.users)]


def _refused(told: Told, step: Step) -> None:
    filters, limit, offset = step.args
    answer = told.ask(filters, limit, offset)
    bad = refusal(limit, offset)
    assert bad is not None
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert (body["error_code"], body.get("parameter")) == ("DLF.3051", bad), body


@GENERATED
@given(story=pending_stories())
def test_pending_items_page_and_filter_as_documented(
    api: SignedClient, services: Services, story: Any
) -> None:
    pending, seeded, asked = story
    note(repr(story))
    told = Told(api, services)
    for step in seeded:
        told.seed(step)
    for step in asked:
        event(step.act)
        if step.act == "page":
            _page(told, pending, step)
        elif step.act == "walk":
            _walk(told, pending, step)
        else:
            _refused(told, step)
