"""Generated stories of the console's export pages (``support/console_export_stories.py``):
users of every role, and a project admin with none, in a workspace of six jobs in five folders
(Chinese and accented names, a folder with a space), open the Jobs page and the export pages,
export ticked jobs and folders, pasted name lists and the whole workspace, while jobs change
and the clock moves on days. After every step the pages keep the promises of docs/console.md
and docs/api.md (``support/console_export_model.py`` says them):

- no answer is a server error; the export pages take admins and developers only (403 for
  anyone else, whatever they post), and the Jobs page offers ticking to them only;
- a post without the session's security token is refused (403);
- a ticked export downloads at once up to the sync cap (a zip) and becomes a task past it;
  a name list fully matched generates a package (a task the page follows), else the page says
  how many matched and names each that did not; a workspace export is a task whose page opens;
- the package, opened, holds exactly the jobs asked for (with their upstream jobs when asked);
- a refusal (no tick, a ticked job gone, too many names or none, a day that is no day) answers
  400 saying what to do in the console's words, and changes nothing: no task, no package.

The stories are told on one thread under a held clock: the app's task runner claims nothing
(``held_tasks``), and an export the console queued is run by the story itself.
"""

from __future__ import annotations

import html
import itertools
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import event, example, given, note
from markupsafe import escape

from jobferry.domain.enums import Role, TaskKind
from jobferry.services.container import Services
from jobferry.services.context import Scope
from support.builders import make_job
from support.clock import Clock, held_clock
from support.console import PASSWORD, Browser, admin_actor, make_user
from support.console_export_model import (
    DAY_MS,
    GONE,
    JOBS,
    NAME_CAP,
    SYNC_MAX,
    USERS,
    WRITERS,
    Checked,
    Model,
    check_names,
    ticked,
    upstream_closure,
)
from support.console_export_stories import Step, an_export_of_each_kind, export_stories
from support.console_form_model import refusal_text
from support.exporting import entries
from support.import_stories import generated
from support.planning import workspace
from test_wording import api_terms

pytestmark = [pytest.mark.fuzz, pytest.mark.databases("sqlite", "postgresql")]
GENERATED = generated(8)
"""Stories a test tells on each database (JOBFERRY_FUZZ_EXAMPLES=150 and a
``--hypothesis-seed`` for a longer run)."""
_SERIAL = itertools.count()
START = 1_950_000_000_000
"""Where the first story's clock starts (epoch ms); each next one starts 10**9 ms later."""


def _day(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).date().isoformat()


def _day_ms(day: str) -> int:
    return int(datetime.fromisoformat(day).replace(tzinfo=UTC).timestamp() * 1000)


class Told:
    """A story's workspace with its jobs, a signed-in browser per user, the model, the clock."""

    def __init__(self, services: Services, client: TestClient, clock: Clock) -> None:
        self.services, self.clock, self.model = services, clock, Model()
        self.run_exports()  # what a story that failed (while shrinking) left queued
        self.n = n = next(_SERIAL)
        self.scope: Scope = workspace(services, f"ex{n}")
        self.start = clock.now
        for name, directory, ups in JOBS:
            job = make_job(name, directory=directory)
            if ups:
                job["schedule"]["cron"]["dependJobs"] = {"jobs": list(ups)}
            services.jobs.create(self.scope, job)
            self.model.changed[name] = clock.now
        self.browsers = [self._browser(client, f"ex{n}u{i}", who) for i, who in enumerate(USERS)]

    def _browser(self, client: TestClient, name: str, who: Role | str) -> Browser:
        if isinstance(who, Role):
            make_user(self.services, name, who, self.scope.workspace.id)
        else:
            actor = admin_actor(self.services)
            self.services.accounts.create_user(actor, actor.project_id, name, True)
            self.services.signin.set_password(actor, name, PASSWORD)
        browser = Browser(TestClient(client.app, follow_redirects=False))
        assert browser.sign_in(name).status_code == 303
        return browser

    def url(self, path: str) -> str:
        return f"/console/w/{self.scope.workspace.id}{path}"

    def state(self) -> tuple[Any, ...]:
        """The workspace's tasks, packages and audit entries, as the services show them."""
        tasks = self.services.tasks.list_tasks(self.scope, limit=100, offset=0).tasks
        downloads = self.services.downloads.list_downloads(self.scope).downloads
        return tuple(t.id for t in tasks), tuple(d.id for d in downloads), self.audit()

    def audit(self) -> tuple[tuple[str, str, Any], ...]:
        """The workspace's audit log, newest first: who, the action, its detail."""
        entries = self.services.audit.list_entries(self.scope, 1000, 0).entries
        return tuple((e.actor, e.action, e.detail) for e in entries)

    def user(self, user: int) -> str:
        """User ``user``'s name."""
        return f"ex{self.n}u{user}"

    def run_exports(self) -> list[str]:
        """Claim and run every queued export; their task ids."""
        ran = []
        exports = self.services.exports
        while (claimed := self.services.tasks.claim([TaskKind.EXPORT])) is not None:
            exports.run(exports.resume(claimed))
            ran.append(claimed.id)
        return ran

    def package_of(self, user: int, task_id: str) -> set[str]:
        """The jobs of the package export task ``task_id`` made, downloaded by ``user``."""
        assert self.run_exports() == [task_id]
        task = self.services.tasks.show(self.scope, task_id)
        assert task.outcome is not None, task.message
        download = task.outcome["downloadId"]
        self.model.last_generated = self.clock.now
        got = self.browsers[user].get(self.url(f"/downloads/{download}/file"))
        assert got.status_code == 200, got.text[:2000]
        return jobs_in(got.content)


def jobs_in(package: bytes) -> set[str]:
    """The jobs a package holds (``jobs/<job>.job``, or ``jobs/<job>/<job>.job``)."""
    found = set()
    for path in entries(package):
        parts = path.split("/")
        if parts[0] == "jobs" and path.endswith(".job"):
            found.add(parts[1].removesuffix(".job"))
    return found


def _refused(told: Told, step: Step, answer: Any, status: int, before: Any, *says: str) -> None:
    """The post was refused with ``status``, saying why in the console's words, and nothing
    changed."""
    assert answer.status_code == status, (step, answer.status_code, refusal_text(answer.text))
    assert told.state() == before, step
    said = refusal_text(answer.text)
    note(f"said: {said}")
    assert said.strip(), step
    assert not api_terms(said), (step, said)
    for text in says:
        assert text in said, (step, text, said)


def _gatekeeper(told: Told, step: Step, user: int, answer: Any, before: Any) -> bool:
    """Whether the post was refused for its token or its user's role (checked)."""
    if step.csrf != "ok":
        _refused(told, step, answer, 403, before)
        return True
    if USERS[user] not in WRITERS:
        _refused(told, step, answer, 403, before, "ask a workspace admin")
        return True
    return False


def _post(told: Told, step: Step, user: int, path: str, form: list[tuple[str, str]]) -> Any:
    browser = told.browsers[user]
    if step.csrf == "ok":
        return browser.post(told.url(path), form)
    token = [("csrf_token", "not-the-token")] if step.csrf == "bad" else []
    return browser.post(told.url(path), [*form, *token], csrf=False)


def _options(deps: bool, upstream: bool, target: str = "") -> list[tuple[str, str]]:
    form = [("content", "deps" if deps else "jobs"), ("export_status", "DEVELOP")]
    form += [("upstream", "on")] if upstream else []
    return [*form, ("for_target", target)]


def _page(told: Told, step: Step) -> None:
    user, which = step.args
    answer = told.browsers[user].get(told.url(f"/{which}"))
    writer = USERS[user] in WRITERS
    if which == "jobs":
        assert answer.status_code == 200, answer.text[:2000]
        assert ("Show check boxes" in answer.text) == writer, step
        return
    assert answer.status_code == (200 if writer else 403), step
    if not writer:
        assert "ask a workspace admin" in answer.text
        return
    last = told.model.last_generated
    said = f"{datetime.fromtimestamp(last / 1000, UTC):%Y-%m-%d %H:%M:%S} UTC" if last else "—"
    shown = re.search(r"Last package generated at (.*?)</p>", answer.text)
    assert shown is not None, step
    assert said in shown[1], (step, shown[1])


def _tick(told: Told, step: Step) -> None:
    user, ticks, deps, upstream = step.args
    form = [("folder", "/"), ("q", ""), ("tag", ""), ("status", "")]
    form += [("job", n) for n in ticks.jobs] + [("not_job", n) for n in ticks.not_jobs]
    form += [("job_folder", f) for f in ticks.folders]
    form += [("not_job_folder", f) for f in ticks.not_folders]
    before = told.state()
    answer = _post(told, step, user, "/export", [*form, *_options(deps, upstream)])
    assert answer.status_code != 500, answer.text[-2000:]
    if _gatekeeper(told, step, user, answer, before):
        return
    chosen = ticked(ticks)
    event(f"tick: {len(chosen)} job(s){', one gone' if GONE in ticks.jobs else ''}")
    if not chosen and GONE not in ticks.jobs:
        _refused(told, step, answer, 400, before, "Tick at least one job or folder")
        return
    if GONE in ticks.jobs:
        _refused(told, step, answer, 400, before, GONE)
        return
    wanted = upstream_closure(chosen) if upstream else chosen
    if len(chosen) > SYNC_MAX:
        assert answer.status_code == 303, (step, refusal_text(answer.text))
        task_id = answer.headers["location"].rsplit("/", 1)[1]
        assert told.package_of(user, task_id) == wanted, step
        title = f"Export {len(chosen)} job(s) ticked."
        assert title in told.browsers[user].get(answer.headers["location"]).text, step
        return
    assert answer.status_code == 200, (step, refusal_text(answer.text))
    assert answer.headers["content-type"] == "application/zip", step
    assert jobs_in(answer.content) == wanted, step
    tasks, downloads, audit = told.state()
    assert (tasks, downloads) == before[:2], step  # downloaded at once: nothing kept
    assert audit[1:] == before[2], step  # one entry more: the package taken out
    who, action, detail = audit[0]
    assert (who, action, detail["jobs"]) == (told.user(user), "package.export", len(wanted))


def _names(told: Told, step: Step) -> None:
    user, text, action, upstream = step.args
    before = told.state()
    form = [("names", text), ("action", action), *_options(False, upstream)]
    answer = _post(told, step, user, "/export/names", form)
    assert answer.status_code != 500, answer.text[-2000:]
    if _gatekeeper(told, step, user, answer, before):
        return
    checked = check_names(text)
    event(f"names: {checked if isinstance(checked, str) else action}")
    box = re.search(r'<textarea id="names"[^>]*>(.*?)</textarea>', answer.text, re.S)
    assert box is not None, step
    assert _lines(html.unescape(box[1])) == _lines(text), step
    counter = re.search(r"data-counter>(\d+)</span>/", answer.text)
    assert counter is not None, step
    assert int(counter[1]) == len(_lines(text)), (step, counter[1])  # as the page's script
    if checked == "cap":
        _refused(told, step, answer, 400, before, f"at most {NAME_CAP}")
        return
    if checked == "empty":
        _refused(told, step, answer, 400, before, "at least one")
        return
    assert isinstance(checked, Checked)
    assert answer.status_code == 200, (step, refusal_text(answer.text))
    said = f"Matched {len(checked.matched)}, failed {len(checked.unmatched)}"
    assert said in " ".join(answer.text.split()), (step, said)
    failures = answer.text.split('id="failures"', 1)[-1] if checked.unmatched else ""
    for name in checked.unmatched:
        assert f"<code>{escape(name)}</code>" in failures, (step, name)
    twice = re.search(r"Listed more than once \(counted once\): ([^<]*)</p>", answer.text)
    shown = html.unescape(twice[1]).split(", ") if twice else []
    assert sorted(shown) == sorted(checked.twice), (step, shown)
    poll = re.search(r'data-poll="([^"]*/tasks/([0-9a-f]+)/[^"]*)"', answer.text)
    if checked.unmatched or action == "check":
        assert poll is None, step
        assert told.state() == before, step
        return
    assert poll is not None, step
    wanted = set(checked.matched)
    assert told.package_of(user, poll[2]) == (upstream_closure(wanted) if upstream else wanted)
    followed = told.browsers[user].get(html.unescape(poll[1])).json()  # the page's progress box
    assert followed["done"] is True, followed
    assert followed["downloadUrl"].endswith("/file"), followed


def _lines(text: str) -> list[str]:
    """The names a text holds, one a line (blank lines and blanks around a name aside)."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def _since(told: Told, day: str) -> str:
    moments = {
        "start": told.start,
        "today": told.clock.now,
        "tomorrow": told.clock.now + DAY_MS,
    }
    return _day(moments[day]) if day in moments else day


def _workspace(told: Told, step: Step) -> None:
    user, changed, day, target = step.args
    before = told.state()
    since = _since(told, day)
    form = [("changed", changed), ("since_date", since), ("since_time", "")]
    answer = _post(told, step, user, "/export/workspace", [*form, *_options(True, False, target)])
    assert answer.status_code != 500, answer.text[-2000:]
    if _gatekeeper(told, step, user, answer, before):
        return
    if changed == "since" and since not in (
        _since(told, d) for d in ("start", "today", "tomorrow")
    ):
        _refused(told, step, answer, 400, before, "Changed since", "YYYY-MM-DD")
        return
    assert answer.status_code == 303, (step, refusal_text(answer.text))
    task_id = answer.headers["location"].rsplit("/", 1)[1]
    assert told.browsers[user].get(answer.headers["location"]).status_code == 200
    model = told.model
    moment = {"all": None, "sinceLastExport": model.last_workspace_export}.get(changed)
    wanted = model.changed_since(_day_ms(since) if changed == "since" else moment)
    event(f"workspace export: {changed}, {len(wanted)} job(s)")
    assert told.package_of(user, task_id) == wanted, step
    model.last_workspace_export = told.clock.now
    if target.strip():
        center = told.browsers[user].get(told.url("/downloads")).text
        assert f"for target {escape(target.strip())}" in center, step


def _edit(told: Told, step: Step) -> None:
    (name,) = step.args
    told.clock.move(60_000)
    _, directory, ups = next(j for j in JOBS if j[0] == name)
    job = make_job(name, directory=directory, description="changed")
    if ups:
        job["schedule"]["cron"]["dependJobs"] = {"jobs": list(ups)}
    told.services.jobs.update(told.scope, name, job)
    told.model.changed[name] = told.clock.now


def _later(told: Told, step: Step) -> None:
    (days,) = step.args
    told.clock.move(days * DAY_MS)


ACTS = {
    "page": _page,
    "tick": _tick,
    "names": _names,
    "workspace": _workspace,
    "edit": _edit,
    "later": _later,
}


@GENERATED
@given(story=export_stories())
@example(story=an_export_of_each_kind())
def test_the_export_pages_export_exactly_what_was_asked_and_refuse_in_their_own_words(
    services: Services,
    client: TestClient,
    held_tasks: None,
    monkeypatch: pytest.MonkeyPatch,
    story: tuple[Step, ...],
) -> None:
    monkeypatch.setattr(services.settings, "console_sync_export_max_jobs", SYNC_MAX)
    monkeypatch.setattr(services.settings, "export_name_list_max", NAME_CAP)
    for held in ("session_ms", "idle_ms"):  # the story's days pass within one session
        monkeypatch.setattr(services.signin, held, 30 * DAY_MS)
    with held_clock(START + next(_SERIAL) * 10**9) as clock:
        told = Told(services, client, clock)
        for step in story:
            note(repr(step))
            ACTS[step.act](told, step)
