"""Generated stories of the console's Tasks page, a task's page and the download center
(``support/console_task_stories.py``): two workspaces holding imports (one rolled back, one
ending with a warning), a plan and exports (one whose package expired), and users of every
role, each with another role in the second workspace, who list the tasks (filtered by kind,
status and UTC day, a page at a time), open a task, ask its rollback, open the download
center, download a package, delete one and import one into a workspace: their own
workspace's, the other's, or an id that names nothing; the clock moves on minutes meanwhile,
past the packages' expiry. After every step the console keeps the promises of docs/console.md
and docs/api.md (``support/console_task_model.py`` says them):

- the Tasks page lists what the filter asks, newest first, the page asked (never a page past
  the end that says there are no tasks), marks the rolled-back imports, and its pages keep the
  filter;
- a task's page offers *Roll back this import* to admins and developers only, and only for a
  finished import that wrote objects and was not rolled back; it says who rolled one back; an
  export's page offers its package to admins and developers and tells anyone else who has it;
- a rollback asked by an operator or a viewer is refused with 403 whether the task is there or
  not; an unknown task (or another workspace's) is the 404 page; a task that cannot be rolled
  back is refused on its page; a rollback started runs to its end and marks the import;
- an export's page whose package expired or was deleted says the package is gone, with no
  download;
- the download center, a package's file, its *Delete* and its *Import into…* take admins and
  developers (403 otherwise, whatever the id); a package not there (unknown, expired, deleted,
  another workspace's) is the 404 page; the center lists the unexpired packages; *Import into…*
  opens the chosen workspace's import wizard on the package when the user may import there;
- no answer is a server error, and a refusal changes nothing: the tasks and packages the
  services show are the model's after every step.

The stories are told on one thread under a held clock: the app's task runner claims nothing
(``held_tasks``), and a rollback the console queued is run by the story itself, so no task runs
beside a step and no moment comes from the wall clock.
"""

from __future__ import annotations

import html
import itertools
import re
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from fastapi.testclient import TestClient
from hypothesis import event, example, given, note

from jobferry.console import tasks as task_pages
from jobferry.domain.enums import TaskKind, TaskStatus
from jobferry.services.container import Services
from jobferry.services.downloads import download_path
from support.clock import Clock, held_clock
from support.console import Browser, make_user
from support.console_task_model import PAGE, ROLES, TTL_MS, WRITERS, Held, Model, role_in
from support.console_task_stories import (
    DAY_MS,
    SECOND_MS,
    fill,
    packages_used_then_gone,
    task_stories,
    utc_day,
)
from support.import_stories import generated
from support.planning import workspace
from support.release_stories import Step
from support.task_stories import run_queued_rollbacks

pytestmark = [pytest.mark.fuzz, pytest.mark.databases("sqlite", "postgresql")]
GENERATED = generated(8)
"""Stories a test tells on each database (JOBFERRY_FUZZ_EXAMPLES=150 and a
``--hypothesis-seed`` for a longer run)."""
_SERIAL = itertools.count()
_STARTS = itertools.count()
START = 1_900_000_000_000
"""Where the first story's clock starts (epoch ms); each next one starts 10**9 ms later."""
UNKNOWN = "0" * 32
NOTE = "admins and developers of this workspace use"
"""What an export's page tells one the download center refuses."""
GONE = "no longer in the download center"
"""What an export's page says of a package that expired or was deleted."""


class Told:
    """A story's two workspaces, filled through the services, a signed-in browser per user,
    the model and the held clock."""

    def __init__(self, services: Services, client: TestClient, clock: Clock, folder: Path):
        self.services, self.clock, self.model = services, clock, Model(clock)
        n = next(_SERIAL)
        self.scopes = [workspace(services, f"tk{n}{end}") for end in "ab"]
        for ws, scope in enumerate(self.scopes):
            fill(services, scope, ws, self.model, clock, folder)
        self.browsers: list[Browser] = []
        admin = self.scopes[1]
        for user in range(len(ROLES)):
            name = f"tk{n}u{user}"
            make_user(services, name, role_in(user, 0), self.scopes[0].workspace.id)
            services.accounts.set_role(
                admin.actor, admin.actor.project_id, name, admin.workspace.id, role_in(user, 1)
            )
            browser = Browser(TestClient(client.app, follow_redirects=False))
            assert browser.sign_in(name).status_code == 303
            self.browsers.append(browser)

    def url(self, ws: int, path: str) -> str:
        return f"/console/w/{self.scopes[ws].workspace.id}{path}"

    def task(self, ws: int, target: tuple[str, int]) -> tuple[str, Held | None]:
        """The task id a step names, and the task of ``ws`` it is (``None``: not there)."""
        where, i = target
        if where == "unknown":
            return UNKNOWN, None
        held = self.model.tasks[ws if where == "own" else 1 - ws]
        chosen = held[i % len(held)]
        return chosen.id, chosen if where == "own" else None

    def download(self, ws: int, target: tuple[str, int]) -> str:
        """The package id a step names (expired and deleted ones among them)."""
        where, i = target
        if where == "unknown":
            return UNKNOWN
        ids = list(self.model.downloads[ws if where == "own" else 1 - ws])
        return ids[i % len(ids)]

    def held(self) -> None:
        """The services show the model's tasks (newest first, rolled back or not) and
        packages in each workspace."""
        for ws, scope in enumerate(self.scopes):
            listing = self.services.tasks.list_tasks(scope, limit=100, offset=0)
            shown = [(t.id, t.status, t.rolled_back is not None) for t in listing.tasks]
            expected = self.model.listed(ws, None, None, None)
            assert shown == [(t.id, t.status, t.rolled_back) for t in expected]
            live = self.services.downloads.list_downloads(scope).downloads
            assert {d.id for d in live} == self.model.live(ws)


def _rows(page: str, ws_id: str) -> list[tuple[str, bool]]:
    """The Tasks page's rows: each task's id and whether it is marked ROLLED BACK."""
    body = page.split("<tbody>", 1)[-1].split("</tbody>", 1)[0]
    found = []
    for row in body.split("<tr>")[1:]:
        link = re.search(rf'href="/console/w/{ws_id}/tasks/([0-9a-f]+)"', row)
        assert link, row
        found.append((link.group(1), "ROLLED BACK" in row))
    return found


def _list(told: Told, step: Step) -> None:
    user, ws, kind, status, day, offset = step.args
    on = {"today": utc_day(told.clock.now), "month ago": utc_day(told.clock.now - 30 * DAY_MS)}
    asked = {"kind": str(kind or ""), "status": str(status or ""), "day": on.get(day, day)}
    page = told.browsers[user].get(told.url(ws, f"/tasks?offset={offset}&{urlencode(asked)}"))
    assert page.status_code == 200, page.text
    tasks, start, total = told.model.page(ws, offset, kind=kind, status=status, day=on.get(day))
    ws_id = told.scopes[ws].workspace.id
    assert _rows(page.text, ws_id) == [(t.id, t.rolled_back) for t in tasks]
    if total:
        assert f"{start + 1}–{start + len(tasks)} of {total}" in page.text
        assert "No task" not in page.text
    if start + PAGE < total:
        older = re.search(r'href="([^"]*)">Older</a>', page.text)
        assert older
        assert f"offset={start + PAGE}" in older.group(1)
        link = html.unescape(older.group(1))
        for key in ("kind", "status"):
            assert (f"&{key}=" in link) == bool(asked[key]), link


def _open(told: Told, step: Step) -> None:
    user, ws, target = step.args
    task_id, held = told.task(ws, target)
    page = told.browsers[user].get(told.url(ws, f"/tasks/{task_id}"))
    if held is None:
        assert page.status_code == 404, page.text
        assert "Back to Tasks" in page.text
        return
    assert page.status_code == 200, page.text
    writer = role_in(user, ws) in WRITERS
    offered = "Roll back this import</button>" in page.text
    assert offered == (writer and held.rollbackable), (held, role_in(user, ws))
    assert ("ROLLED BACK" in page.text) == held.rolled_back
    if held.rolled_back:
        assert re.search(r"Rolled back .* by tk\d+u\d|Rolled back .* by admin", page.text)
    if held.kind is TaskKind.EXPORT:
        there = told.model.there(ws, held.download)
        event(f"an export's page, its package {'there' if there else 'gone'}")
        link = f"/downloads/{held.download}/file"
        assert (link in page.text) == (writer and there)
        assert (NOTE in page.text) == (not writer and there)
        assert (GONE in page.text) == (not there)


def _rollback(told: Told, step: Step) -> None:
    user, ws, target = step.args
    task_id, _ = told.task(ws, target)
    expected = told.model.rollback_answer(role_in(user, ws), ws, task_id)
    told.clock.move(SECOND_MS)
    answer = told.browsers[user].post(told.url(ws, f"/tasks/{task_id}/rollback"), {})
    note(f"rollback answered {answer.status_code}, the model {expected}")
    if expected == 400:
        assert 400 <= answer.status_code < 500, answer.text
        assert answer.status_code not in (403, 404), answer.text
        assert 'class="alert' in answer.text
        assert task_id in answer.text
        return
    assert answer.status_code == expected, answer.text
    if expected == 303:
        started = answer.headers["location"].rsplit("/", 1)[1]
        assert run_queued_rollbacks(told.services) == [started]
        ended = told.services.tasks.show(told.scopes[ws], started)
        assert ended.status is TaskStatus.SUCCESSFUL, ended.message
        rollback = Held(started, TaskKind.ROLLBACK, ended.status, utc_day(ended.start_time))
        told.model.rolled(ws, task_id, rollback)


def _center(told: Told, step: Step) -> None:
    user, ws = step.args
    page = told.browsers[user].get(told.url(ws, "/downloads"))
    if role_in(user, ws) not in WRITERS:
        assert page.status_code == 403, page.text
        return
    assert page.status_code == 200, page.text
    ws_id = told.scopes[ws].workspace.id
    files = set(re.findall(rf'/console/w/{ws_id}/downloads/([0-9a-f]+)/file"', page.text))
    deletes = set(re.findall(rf'/console/w/{ws_id}/downloads/([0-9a-f]+)/delete"', page.text))
    assert files == deletes == told.model.live(ws)


def _file(told: Told, step: Step) -> None:
    user, ws, target = step.args
    download = told.download(ws, target)
    expected = told.model.download_answer(role_in(user, ws), ws, download)
    answer = told.browsers[user].get(told.url(ws, f"/downloads/{download}/file"))
    assert answer.status_code == expected, answer.text[:2000]
    if expected == 404:
        assert "Back to Download center" in answer.text


def _delete(told: Told, step: Step) -> None:
    user, ws, target = step.args
    download = told.download(ws, target)
    expected = told.model.download_answer(role_in(user, ws), ws, download)
    answer = told.browsers[user].post(told.url(ws, f"/downloads/{download}/delete"), {})
    assert answer.status_code == {200: 303}.get(expected, expected), answer.text
    if expected == 200:
        told.model.downloads[ws][download] = 0
    elif expected == 404:
        assert "Back to Download center" in answer.text


def _import(told: Told, step: Step) -> None:
    user, ws, target, into = step.args
    download = told.download(ws, target)
    chosen = {"own": ws, "other": 1 - ws}.get(into)
    role = None if chosen is None else role_in(user, chosen)
    expected = told.model.import_answer((role_in(user, ws), role), ws, download)
    named = "" if chosen is None else told.scopes[chosen].workspace.id
    named = UNKNOWN if into == "unknown" else named
    path = f"/downloads/{download}/import"
    answer = told.browsers[user].post(told.url(ws, path), {"target": named})
    note(f"import into answered {answer.status_code}, the model {expected}")
    event(f"import into: {expected}")
    assert answer.status_code == expected, answer.text[:2000]
    if expected == 404:
        assert "Back to Download center" in answer.text
    elif expected == 303:
        assert chosen is not None
        where = urlsplit(answer.headers["location"])
        assert where.path == told.url(chosen, "/import")
        source = download_path(told.scopes[ws].workspace.id, download)
        assert parse_qs(where.query) == {"package": [source]}
    elif role_in(user, ws) in WRITERS:  # refused on the center, saying why
        assert 'class="alert' in answer.text, answer.text[:2000]


def _later(told: Told, step: Step) -> None:
    (ms,) = step.args
    told.clock.move(ms)


ACTS = {
    "list": _list,
    "open": _open,
    "rollback": _rollback,
    "center": _center,
    "file": _file,
    "delete": _delete,
    "import": _import,
    "later": _later,
}


@GENERATED
@given(story=task_stories())
@example(story=packages_used_then_gone())
def test_the_task_pages_and_the_download_center_keep_their_promises(
    services: Services,
    client: TestClient,
    held_tasks: None,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    story: tuple[Step, ...],
) -> None:
    monkeypatch.setattr(task_pages, "TASKS_PAGE", PAGE)
    monkeypatch.setattr(services.downloads, "ttl_seconds", TTL_MS // 1000)
    folder = tmp_path_factory.mktemp("tasks")
    with held_clock(START + next(_STARTS) * 10**9) as clock:
        told = Told(services, client, clock, folder)
        told.held()
        for step in story:
            note(repr(step))
            ACTS[step.act](told, step)
            told.held()


def test_scope_helpers_name_each_role_once_per_workspace() -> None:
    for ws in (0, 1):
        assert {role_in(user, ws) for user in range(len(ROLES))} == set(ROLES)
