"""Generated stories of the console's audit log page (``support/console_audit_stories.py``):
an admin, a developer and a project admin write jobs and scripts over days; users of every
role read *Admin → Audit log* with searches valid and not, a page at a time, and the *Project*
box. After every step the page keeps the promises of docs/console.md, docs/api.md and
docs/operations.md (``support/console_audit_model.py`` says them):

- every write the story made is one entry of the workspace's log, by its user;
- no answer is a server error; the page is for workspace admins (403 for anyone else), the
  *Project* box for project admins (403 for anyone else), and offered to them only;
- the page lists what the search asks, newest first, the page asked (its *Older* keeping the
  search), counted; a search it cannot take is refused (400) saying why above the form, in the
  console's words, with the search kept as typed.

The log the model searches is the whole log as the services read it, unfiltered: what the
story checks is the page's search, paging and order, and that the story's writes are there.
"""

from __future__ import annotations

import html
import itertools
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from hypothesis import event, example, given, note

from jobferry.console import audit as audit_page
from jobferry.domain.enums import Role
from jobferry.errors import JobferryError
from jobferry.services.container import Services
from jobferry.services.context import Scope
from support.builders import make_job, make_script
from support.clock import Clock, held_clock
from support.console import PASSWORD, Browser, admin_actor, make_user
from support.console_audit_model import (
    PAGE,
    PROJECT_ADMIN,
    READERS,
    USERS,
    Entry,
    Search,
    page_of,
    refusal,
)
from support.console_audit_stories import Step, a_story_of_every_search, audit_stories
from support.console_form_model import refusal_text
from support.import_stories import generated
from support.planning import workspace
from test_wording import api_terms

pytestmark = [pytest.mark.fuzz, pytest.mark.databases("sqlite", "postgresql")]
GENERATED = generated(8)
"""Stories a test tells on each database (JOBFERRY_FUZZ_EXAMPLES=150 and a
``--hypothesis-seed`` for a longer run)."""
_SERIAL = itertools.count()
DAY_MS = 86_400_000
START = 1_950_000_000_000 // DAY_MS * DAY_MS + 10 * 3_600_000
"""Where the first story's clock starts (10:00 UTC of a day); each next one 10 days later."""


def _day(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).date().isoformat()


class Told:
    """A story's workspace, its users (a browser each, and a scope for those who write), the
    writes made, the clock."""

    def __init__(self, services: Services, client: TestClient, clock: Clock) -> None:
        self.services, self.clock = services, clock
        n = next(_SERIAL)
        self.start = clock.now
        self.scope: Scope = workspace(services, f"au{n}")
        self.names = [f"au{n}u{i}" for i in range(len(USERS))]
        self.browsers, self.scopes = [], {}
        boss = admin_actor(services)
        for name, who in zip(self.names, USERS, strict=True):
            if isinstance(who, Role):
                make_user(services, name, who, self.scope.workspace.id)
            else:
                services.accounts.create_user(boss, boss.project_id, name, True)
                services.signin.set_password(boss, name, PASSWORD)
            browser = Browser(TestClient(client.app, follow_redirects=False))
            assert browser.sign_in(name).status_code == 303
            self.browsers.append(browser)
        for i in (0, 1, 4):
            key = services.accounts.issue_credential(boss, boss.project_id, self.names[i])
            actor = services.accounts.actor_for(key.access_key)
            self.scopes[i] = services.accounts.scope(
                actor, boss.project_id, self.scope.workspace.id
            )
        self.written: list[tuple[str, str, str, str]] = []
        """Each write the story made: who, the action, the kind and the name."""

    def url(self, query: dict[str, Any]) -> str:
        return f"/console/w/{self.scope.workspace.id}/admin/audit?{urlencode(query)}"

    def log(self, project: bool) -> list[Entry]:
        """The whole log as the services read it: the workspace's, or the project's."""
        audit, boss = self.services.audit, admin_actor(self.services)
        admin = self.services.accounts.scope(boss, boss.project_id, self.scope.workspace.id)
        found = (
            audit.project_entries(boss, 100_000, 0)
            if project
            else audit.list_entries(admin, 100_000, 0)
        )
        return [
            Entry(e.id, e.at, e.actor, e.action, e.object_kind or "", e.object_name or "")
            for e in found.entries
        ]

    def typed(self, value: str) -> str:
        """A search field's token as a person types it (``@N`` a user, a day's name a day)."""
        days = {
            "first": _day(self.start),
            "last": _day(self.clock.now),
            "before": _day(self.start - DAY_MS),
            "after": _day(self.clock.now + DAY_MS),
        }
        if value in days:
            return days[value]
        return re.sub(r"@(\d)", lambda m: self.names[int(m[1])], value)


def _write(told: Told, step: Step) -> None:
    user, name, deleting = step.args
    scope, kind = told.scopes[user], "script" if name.endswith("_sql") else "job"
    told.clock.move(60_000)
    service: Any = told.services.scripts if kind == "script" else told.services.jobs
    body = make_script(name) if kind == "script" else make_job(name)
    try:
        service.create(scope, body)
        verb = "create"
    except JobferryError:  # there already
        if deleting:
            service.delete(scope, name)
            verb = "delete"
        else:
            service.update(scope, name, {**body, "description": f"at {told.clock.now}"})
            verb = "update"
    told.written.append((told.names[user], f"{kind}.{verb}", kind, name))


def _later(told: Told, step: Step) -> None:
    (days,) = step.args
    told.clock.move(days * DAY_MS)


_ROW = re.compile(
    r"<tr>\s*<td[^>]*>.*?</td>\s*<td>(.*?)</td>\s*<td[^>]*><code>(.*?)</code></td>\s*<td>(.*?)</td>",
    re.S,
)


def _rows(page: str) -> list[tuple[str, str, str, str]]:
    """The entries the page lists: who, the action, the object's kind and name."""
    if "data-audit" not in page or '<table class="audit"' not in page:
        return []
    body = page.split('<table class="audit"', 1)[1].split("</table>", 1)[0]
    found = []
    for who, action, obj in _ROW.findall(body):
        kind = re.search(r'<span class="muted small">([^<]*)</span>', obj)
        rest = obj[kind.end() :] if kind else obj
        name = re.sub(r"<[^>]*>", "", rest).strip()
        found.append(
            (
                html.unescape(who),
                html.unescape(action),
                html.unescape(kind[1]) if kind else "",
                html.unescape(name),
            )
        )
    return found


def _query(told: Told, search: Search, offset: int) -> tuple[Search, dict[str, Any]]:
    typed = Search(
        *(told.typed(v) for v in (search.object, search.kind, search.user, search.action)),
        told.typed(search.since),
        told.typed(search.until),
        search.project,
    )
    query: dict[str, Any] = {"offset": offset} if offset else {}
    for key in ("object", "kind", "user", "action", "since", "until"):
        if getattr(typed, key):
            query[key] = getattr(typed, key)
    if typed.project:
        query["project"] = "1"
    return typed, query


def _check_kept(page: str, typed: Search) -> None:
    """The form shows the search as typed."""
    for key in ("object", "kind", "user", "action", "since", "until"):
        field = re.search(rf'<input [^>]*name="{key}" value="([^"]*)"', page)
        assert field is not None, key
        assert html.unescape(field[1]) == getattr(typed, key), (key, field[1])


def _look(told: Told, step: Step) -> None:
    user, search, offset = step.args
    typed, query = _query(told, search, offset)
    note(f"typed: {typed}")
    answer = told.browsers[user].get(told.url(query))
    assert answer.status_code != 500, answer.text[-2000:]
    who = USERS[user]
    if who not in READERS or (typed.project and who != PROJECT_ADMIN):
        event("audit: refused, not theirs")
        assert answer.status_code == 403, (step, refusal_text(answer.text))
        return
    box = 'name="project"' in answer.text
    assert box == (who == PROJECT_ADMIN), step
    why = refusal(typed)
    if why is not None:
        event("audit: a search refused")
        assert answer.status_code == 400, (step, answer.status_code)
        said = refusal_text(answer.text)
        note(f"said: {said}")
        assert why in said, (step, why, said)
        assert not api_terms(said), (step, said)
        _check_kept(answer.text, typed)
        assert _rows(answer.text) == [], step
        return
    assert answer.status_code == 200, (step, refusal_text(answer.text))
    _check_kept(answer.text, typed)
    shown, start, total = page_of(typed, told.log(typed.project), offset)
    event(f"audit: {'project' if typed.project else 'workspace'}, {'some' if total else 'none'}")
    note(f"{total} found, shown from {start}")
    assert _rows(answer.text) == [e.shown for e in shown], (step, start, total)
    if shown:
        assert f"{start + 1:,}–{start + len(shown):,} of {total:,}" in answer.text, step
    if start + PAGE < total:
        older = re.search(r'href="([^"]*)">Older</a>', answer.text)
        assert older is not None, step
        link = html.unescape(older[1])
        assert f"offset={start + PAGE}" in link, link
        for key, value in query.items():
            if key != "offset":
                assert f"{key}={urlencode({key: value})[len(key) + 1 :]}" in link, (key, link)


ACTS = {"write": _write, "later": _later, "look": _look}


@GENERATED
@given(story=audit_stories())
@example(story=a_story_of_every_search())
def test_the_audit_page_lists_what_the_search_asks_to_whom_it_may(
    services: Services,
    client: TestClient,
    monkeypatch: pytest.MonkeyPatch,
    story: tuple[Step, ...],
) -> None:
    monkeypatch.setattr(audit_page, "AUDIT_PAGE", PAGE)
    for held in ("session_ms", "idle_ms"):  # the story's days pass within one session
        monkeypatch.setattr(services.signin, held, 30 * DAY_MS)
    with held_clock(START + next(_SERIAL) * 10 * DAY_MS) as clock:
        told = Told(services, client, clock)
        for step in story:
            note(repr(step))
            ACTS[step.act](told, step)
        log = {e.shown for e in told.log(False)}
        assert set(told.written) <= log, set(told.written) - log
        assert len([e for e in told.log(False) if e.actor in told.names]) == len(told.written)
