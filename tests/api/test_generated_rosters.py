"""Generated stories of the management centre's lists (``support/roster_stories.py``, which
says what docs/api.md promises of them), through the API app as the SDKs call it, in both
offset modes: ``list_manager_work_spaces`` and ``list_workspaceusers`` walked from offset 0
with drawn limits reach every workspace or member exactly once (the members by name), a page is
the slice ``limit`` and ``offset`` (rows) say, ``count`` counts every match and ``total_page``
the pages they fill, a workspace's ``member_num`` is what its member list counts, and a limit
or offset out of range is refused naming it (``DAYU.4402``).
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import event, given, note

from jobferry.services.container import Services
from jobferry.settings import OffsetMode
from support.clients import PROJECT_ID, SignedClient
from support.console import admin_actor
from support.import_stories import generated
from support.list_model import mistyped, refusal
from support.release_stories import Step
from support.roster_stories import REFUSED, Roster, roster_stories

pytestmark = [
    pytest.mark.fuzz,
    pytest.mark.parametrize("settings", list(OffsetMode), indirect=True),
]
GENERATED = generated(6)
_SERIAL = itertools.count()


class Told:
    """A story's workspaces and users (their names given a serial, so that the stories of
    one test do not meet), and a client for each caller."""

    def __init__(self, api: SignedClient, services: Services, roster: Roster) -> None:
        boss = admin_actor(services)
        pid, n, accounts = boss.project_id, next(_SERIAL), services.accounts
        self.roster, self.project_admins = roster, [boss.name]
        self.ids = {w: accounts.create_workspace(boss, pid, f"{w}.{n}") for w in roster.workspaces}
        self.users = {u: f"{u}.{n}" for u in roster.users}
        self.callers = {"project_admin": api}
        for user, roles in roster.users.items():
            accounts.create_user(boss, pid, self.users[user], False)
            for workspace, role in roles.items():
                accounts.set_role(boss, pid, self.users[user], self.ids[workspace], role)
            key = accounts.issue_credential(boss, pid, self.users[user])
            self.callers[user] = api.as_user(key.access_key, key.secret_key)

    def ask(self, call: str, caller: str, where: str, limit: object, offset: object) -> Any:
        query = {"limit": limit, "offset": offset}
        if call == "workspaces":
            return self.callers[caller].call("GET", f"/workspaces/{PROJECT_ID}", query=query)
        path = f"/{self.ids[where]}/users"
        return self.callers[caller].call("GET", path, query=query, version="v2")

    def expected(self, call: str, caller: str, where: str) -> list[Any] | None:
        """What the whole list holds, in order (None: the caller may not list it); of
        workspaces, their ids as a set's sorted list, their order being the default first."""
        if call == "users":
            roles = self.roster.users.get(caller, {})
            if caller != "project_admin" and where not in roles:
                return None
            members = self.roster.members(where, [])
            named = [(self.users[u], role) for u, role in members]
            return sorted(named + [(a, "admin") for a in self.project_admins])
        if caller == "project_admin":
            return None  # every workspace of the project, the other stories' too
        return sorted(self.ids[w] for w in self.roster.users[caller])


def _items(call: str, data: list[dict[str, Any]]) -> list[Any]:
    for item in data:
        assert mistyped(item, call) == {}, item
    if call == "users":
        return [(u["user_name"], u["roles"][0]["role_code"]) for u in data]
    return [w["id"] for w in data]


def _walk(told: Told, step: Step) -> None:
    call, caller, where, limit, _ = step.args
    expected = told.expected(call, caller, where)
    if call == "workspaces" and caller == "project_admin":
        limit = max(limit, 40)  # every story's workspaces: the walk stays short
    first = told.ask(call, caller, where, limit, 0)
    if expected is None and call == "users":
        assert first.status_code in (400, 403), first.text
        return
    seen: list[Any] = []
    offset, answer = 0, first
    for _ in range(60):
        assert answer.status_code == 200, answer.text
        body = answer.json()
        got = _items(call, body["data"])
        seen += got
        assert body["total_page"] == -(-body["count"] // limit), body
        if len(got) < limit:
            break
        offset += len(got)
        answer = told.ask(call, caller, where, limit, offset)
    assert body["count"] == len(seen), (body, seen)
    if call == "workspaces":
        assert len(set(seen)) == len(seen), seen
        _check_workspaces(told, caller, limit)
        seen = sorted(seen) if expected is not None else expected or []
    if expected is not None:
        assert seen == expected


def _check_workspaces(told: Told, caller: str, limit: int) -> None:
    """Every workspace listed says as ``member_num`` what its member list counts."""
    answer = told.ask("workspaces", caller, "", 100, 0).json()["data"]
    defaults = [w["is_default"] for w in answer]
    assert defaults == sorted(defaults, reverse=True), answer  # the default first
    for workspace in answer:
        users = told.callers["project_admin"].call(
            "GET", f"/{workspace['id']}/users", query={"limit": 1}, version="v2"
        )
        assert workspace["member_num"] == users.json()["count"], workspace
        assert workspace["is_default"] in (0, 1), workspace


def _page(told: Told, step: Step) -> None:
    call, caller, where, limit, offset = step.args
    expected = told.expected(call, caller, where)
    answer = told.ask(call, caller, where, limit, offset)
    if expected is None and call == "users":
        assert answer.status_code in (400, 403), answer.text
        return
    assert answer.status_code == 200, answer.text
    body = answer.json()
    whole = _items(call, told.ask(call, caller, where, 100, 0).json()["data"])
    assert _items(call, body["data"]) == whole[offset : offset + limit]
    assert body["count"] == len(whole) or len(whole) == 100


def _refused(told: Told, step: Step) -> None:
    call, caller, where, limit, offset = step.args
    answer = told.ask(call, caller, where, limit, offset)
    bad = refusal(limit, offset)
    assert bad is not None
    assert answer.status_code == 400 or told.expected(call, caller, where) is None, answer.text
    if answer.status_code != 400:
        return
    body = answer.json()
    assert (body["error_code"], body.get("parameter")) == (REFUSED, bad), body


@GENERATED
@given(story=roster_stories())
def test_workspace_and_member_lists_page_as_documented(
    api: SignedClient, services: Services, story: Any
) -> None:
    roster, steps = story
    note(repr(story))
    told = Told(api, services, roster)
    for step in steps:
        event(f"{step.act} {step.args[0]}")
        {"walk": _walk, "page": _page}.get(step.act, lambda t, s: _refused(t, s))(told, step)
