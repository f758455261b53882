"""Generated stories of the audit list (``support/audit_list_stories.py``, which says what
docs/api.md promises), through the API app, in both offset modes: after drawn writes of two
users, the workspace's log asked with drawn filters is exactly its whole log's entries that
match them, newest first, paged as ``limit`` and ``offset`` say, ``total`` counting them; each
write is in the whole log under its writer; a bad action is refused naming ``action``.
"""

from __future__ import annotations

import itertools
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import event, given, note

from jobferry.services.container import Services
from jobferry.settings import OffsetMode, Settings
from support.audit_list_stories import BAD_ACTIONS, audit_list_stories, matches
from support.builders import make_job, make_script, released
from support.clients import SignedClient
from support.console import admin_actor
from support.import_stories import generated
from support.release_stories import Step

pytestmark = [
    pytest.mark.fuzz,
    pytest.mark.parametrize("settings", list(OffsetMode), indirect=True),
]
GENERATED = generated(6)
_SERIAL = itertools.count()


class Told:
    """A story's workspace, its admin and a developer."""

    def __init__(self, api: SignedClient, services: Services) -> None:
        boss = admin_actor(services)
        pid, n, accounts = boss.project_id, next(_SERIAL), services.accounts
        self.workspace = accounts.create_workspace(boss, pid, f"al{n}")
        developer = f"al{n}dev"
        accounts.create_user(boss, pid, developer, False)
        accounts.set_role(boss, pid, developer, self.workspace, "developer")
        key = accounts.issue_credential(boss, pid, developer)
        self.clients = {"admin": api, "developer": api.as_user(key.access_key, key.secret_key)}
        self.users = {"admin": boss.name, "developer": developer, "Admin": boss.name.upper()}
        self.writes = itertools.count()

    def write(self, step: Step) -> None:
        kind, name, user = step.args
        client, path, ws = self.clients[user], f"/{kind}s", self.workspace
        build = make_job if kind == "job" else make_script
        if step.act == "create":
            answer = client.call("POST", path, build(name), workspace=ws)
        elif step.act == "update":
            n = next(self.writes)
            change = {"params": released(str(n))} if kind == "job" else {"content": f"select {n};"}
            answer = client.call(
                "PUT", f"{path}/{quote(name, safe='')}", build(name, **change), workspace=ws
            )
        else:
            answer = client.call("DELETE", f"{path}/{quote(name, safe='')}", workspace=ws)
        assert answer.status_code == 204, (step, answer.text)

    def ask(self, filters: dict[str, str], limit: int, offset: int) -> Any:
        query: dict[str, Any] = {**filters, "limit": limit, "offset": offset}
        if "actor" in query:
            query["actor"] = self.users.get(query["actor"], query["actor"])
        return self.clients["admin"].call("GET", "/audit", query=query, workspace=self.workspace)

    def whole(self) -> list[dict[str, Any]]:
        """The workspace's whole log, newest first."""
        body = self.ask({}, 100, 0).json()
        assert body["total"] == len(body["entries"]) < 100, body
        entries: list[dict[str, Any]] = body["entries"]
        return entries


def _check_writes(told: Told, done: tuple[Step, ...], whole: list[dict[str, Any]]) -> None:
    """Each write is in the log, under its writer, newest first."""
    ids = [e["id"] for e in whole]
    assert ids == sorted(ids, reverse=True), ids
    written = [
        (e["actor"], e["objectKind"], e["objectName"], e["action"])
        for e in reversed(whole)
        if e["objectKind"] in ("job", "script")
    ]
    wanted = [(told.users[s.args[2]], s.args[0], s.args[1], f"{s.args[0]}.{s.act}") for s in done]
    assert written == wanted


def _sent(told: Told, filters: dict[str, str]) -> dict[str, str]:
    """The filters as sent: the actor's real name."""
    if "actor" in filters:
        return {**filters, "actor": told.users.get(filters["actor"], filters["actor"])}
    return filters


def _ask(told: Told, step: Step, whole: list[dict[str, Any]], by_page: bool) -> None:
    filters, limit, offset = step.args
    if filters.get("action") in BAD_ACTIONS:
        answer = told.ask(filters, limit, offset)
        assert answer.status_code == 400, answer.text
        assert (answer.json()["error_code"], answer.json()["parameter"]) == ("DLF.3051", "action")
        return
    found = [e for e in whole if matches(e, _sent(told, filters))]
    if step.act == "page":
        body = told.ask(filters, limit, offset).json()
        skip = offset * limit if by_page else offset
        assert body["total"] == len(found), (body, found)
        assert body["entries"] == found[skip : skip + limit]
        return
    seen: list[dict[str, Any]] = []
    for _ in range(40):
        got = told.ask(filters, limit, len(seen) // limit if by_page else len(seen)).json()
        seen += got["entries"]
        if len(got["entries"]) < limit:
            break
    assert seen == found


@GENERATED
@given(story=audit_list_stories())
def test_the_audit_list_filters_and_pages_as_documented(
    api: SignedClient, services: Services, settings: Settings, story: Any
) -> None:
    done, asked = story
    note(repr(story))
    told = Told(api, services)
    for step in done:
        told.write(step)
    whole = told.whole()
    _check_writes(told, done, whole)
    for step in asked:
        event(f"{step.act} {sorted(step.args[0])}")
        _ask(told, step, whole, settings.offset_mode is OffsetMode.PAGE)
