"""Generated stories of the console's jobs pages (``support/console_jobs_model.py``): a
workspace of drawn jobs (Chinese names, look-alikes, names and folders needing URL quoting,
one folder spelled several ways, tags, submitted or not, scheduled or not), then users of each
role open a folder with a drawn filter and page, walk every folder through the pages' own links
(sub-folders, their fragments, next pages), tick jobs and folders and export, start or stop a
job, and read a job's page. After every step, whatever the story, docs/console.md holds:

- a folder's page lists its sub-folders first, each with how many matching jobs it holds,
  then its own matching jobs by name, a page at a time; a page past the last shows the last;
  each row says the job's status, its submitted version (or none) and its tags;
- following the pages' own links from the root reaches every job the filter lets through
  exactly once, in its own folder;
- an export of ticks downloads exactly the jobs the ticks select (read with the package
  reader); a viewer's or operator's is refused (403), an empty selection says to tick one
  (400), and neither makes a task or a package;
- start and stop change the job's scheduling for admins, developers and operators; a viewer is
  refused (403) in the console's words, a start of a job never submitted too (400), and a
  refusal changes nothing;
- a job's page says its scheduling, its latest version and its tags.
"""

from __future__ import annotations

import html
import itertools
import json
import re
from typing import Any
from unittest import mock
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import event, given, note

from jobferry.domain.enums import ObjectKind
from jobferry.domain.folders import folder_of, segments
from jobferry.package.reader import read_package
from jobferry.services.container import Services
from jobferry.services.definitions import folders as folders_module
from support.apps import full_app
from support.builders import make_job
from support.console import PASSWORD, Browser, admin_actor, finish_task
from support.console_form_model import refusal_text
from support.console_jobs_model import (
    PAGE,
    ROLES,
    Filter,
    Held,
    JobSpec,
    Shown,
    Ticks,
    refusal,
    stories,
)
from support.import_stories import generated
from support.release_stories import Step
from test_wording import api_terms

pytestmark = [pytest.mark.fuzz, pytest.mark.databases("sqlite", "postgresql")]
GENERATED = generated(8)
_SERIAL = itertools.count()
SYNC_MAX = 3
"""Ticked jobs downloaded at once in the stories (more become a download-center task)."""
_SUB = re.compile(
    r'<details class="folder" data-folder="([^"]*)" data-src="([^"]*)">.*?'
    r'<span class="muted small">([\d,]+) jobs?</span>.*?<a href="([^"]*)">Open ',
    re.S,
)
_ROW = re.compile(
    r'<td class="name"><a href="([^"]*)">([^<]*)</a>.*?<span class="badge status-(\w+)">'
    r'.*?<td class="small nowrap">(.*?)</td>\s*<td class="small">(.*?)</td>',
    re.S,
)
_NEXT = re.compile(r'<a class="button small secondary" href="([^"]*)" data-fragment="[^"]*">Next')
_COUNT = re.compile(r'<span class="muted small">([\d,]+) jobs?(?: in [^<]*?)?(?: match)?</span>')


class Told:
    """A story's workspace, a signed-in browser for each role, and what the model holds."""

    def __init__(self, services: Services, browsers: dict[str, Browser]) -> None:
        self.services, self.browsers = services, browsers
        boss = admin_actor(services)
        pid, n = boss.project_id, next(_SERIAL)
        ws = services.accounts.create_workspace(boss, pid, f"jl{n}")
        self.scope = services.accounts.scope(boss, pid, ws)
        for role in ROLES:
            services.accounts.set_role(boss, pid, f"jl_{role}", ws, role)
        self.held = Held()

    def make(self, spec: JobSpec) -> None:
        doc = make_job(spec.name)
        doc["basicConfig"]["tags"] = list(spec.tags)
        if spec.directory is None:
            doc.pop("directory")
        else:
            doc["directory"] = spec.directory
        self.services.jobs.create(
            self.scope, doc | {"targetStatus": "SUBMITTED" if spec.submitted else "SAVED"}
        )
        if spec.scheduled:
            self.services.jobs.start(self.scope, spec.name)
        self.held.jobs[spec.name] = spec

    def url(self, path: str) -> str:
        return f"/console/w/{self.scope.workspace.id}{path}"

    def state(self) -> dict[str, tuple[bool, int | None]]:
        """Each job's scheduling and latest version, as the services read them."""
        found = {}
        for name in self.held.jobs:
            detail = self.services.jobs.detail(self.scope, name)
            found[name] = (detail.state.status != "STOPPED", detail.job.version)
        return found

    def expected(self) -> dict[str, tuple[bool, int | None]]:
        return {n: (j.scheduled, 1 if j.submitted else None) for n, j in self.held.jobs.items()}

    def made(self) -> tuple[int, int]:
        """How many tasks and packages the workspace has (what a refusal must not change)."""
        tasks = self.services.tasks.list_tasks(self.scope, limit=100).total
        return tasks, self.services.downloads.list_downloads(self.scope).total


def _read(page: str) -> tuple[list[tuple[str, int, str, str]], list[tuple[str, ...]]]:
    """A listing's sub-folders (path, count, open link, fragment link) and job rows (link,
    name, status, version cell, tags cell)."""
    subs = [
        (html.unescape(p), int(c.replace(",", "")), html.unescape(o), html.unescape(src))
        for p, src, c, o in _SUB.findall(page)
    ]
    rows = [tuple(html.unescape(x) for x in row) for row in _ROW.findall(page)]
    return subs, rows


def _check_rows(told: Told, rows: list[tuple[str, ...]]) -> None:
    """Each row says its job's status, submitted version and tags, and links to its page."""
    for link, name, status, version, tags in rows:
        job = told.held.jobs[name]
        assert link == told.url("/jobs/") + quote(name, safe=""), link
        assert status == ("scheduled" if job.scheduled else "stopped"), name
        assert ("v1" in version) == job.submitted, (name, version)
        shown = [html.unescape(t) for t in re.findall(r'<span class="tag">([^<]*)</span>', tags)]
        assert shown == list(job.tags), (name, shown)


def _check_page(told: Told, page: str, want: Shown, fragment: bool = False) -> None:
    subs, rows = _read(page)
    assert [(p, c) for p, c, _, _ in subs] == list(want.folders), "sub-folders first, counted"
    assert [r[1] for r in rows] == list(want.jobs), "the folder's own jobs by name"
    _check_rows(told, rows)
    if not fragment:
        counted = _COUNT.search(page)
        assert counted, "the page counts the jobs"
        assert int(counted.group(1).replace(",", "")) == want.count, "count"
    if want.pages > 1:
        assert f"Page {want.page} of {want.pages}" in page


def _open(told: Told, step: Step) -> None:
    role, folder, f, number, fragment = step.args
    path = "/folder/jobs" if fragment else "/jobs"
    params = {"folder": folder, **f.params(), "page": str(number), "select": "1"}
    response = told.browsers[role].get(told.url(path), params=params)
    assert response.status_code == 200, response.text
    _check_page(told, response.text, told.held.page(folder_of(folder), f, number), fragment)
    want = told.held.page(folder_of(folder), f, number)
    boxes = 'class="tick"' in response.text
    shows = bool(want.jobs or want.folders) or not fragment
    assert boxes == (role in ("admin", "developer") and shows), role
    if not fragment:
        _up(told, role, response.text, folder_of(folder), f)


def _up(told: Told, role: str, page: str, folder: str, f: Filter) -> None:
    """The crumbs lead to each folder above, with the same filter; the parent's first page
    lists this folder when it holds a matching job; *Hide check boxes* keeps folder and
    filter."""
    trail = re.search(r'<nav class="crumbs folder-crumbs"[^>]*>(.*?)</nav>', page, re.S)
    assert trail, "crumbs"
    links = [html.unescape(x) for x in re.findall(r'<a href="([^"]*)">', trail.group(1))]
    parts = segments(folder)
    assert len(links) == len(parts), "a crumb for each folder above"
    if links:
        parent = "/" + "/".join(parts[:-1])
        answer = told.browsers[role].get(links[-1])
        assert answer.status_code == 200, answer.text
        _check_page(told, answer.text, told.held.page(parent, f, 1))
    hide = re.search(r'<a class="button secondary" href="([^"]*)">Hide check boxes</a>', page)
    if hide:
        hidden = told.browsers[role].get(html.unescape(hide.group(1)))
        assert 'class="tick"' not in hidden.text
        _check_page(told, hidden.text, told.held.page(folder, f, 1))


def _walk(told: Told, step: Step) -> None:
    """From the root, follow every sub-folder's link (or its fragment) and every next page."""
    role, f, fragments = step.args
    browser = told.browsers[role]
    params = {k: v for k, v in f.params().items() if v}
    start = told.url("/jobs") + ("?" + "&".join(f"{k}={quote(v)}" for k, v in params.items()))
    queue, seen, reached = [(start, "/")], set(), []
    while queue:
        link, folder = queue.pop()
        assert link not in seen, f"{link} reached twice"
        seen.add(link)
        response = browser.get(link)
        assert response.status_code == 200, (link, response.text)
        subs, rows = _read(response.text)
        reached += [(name, folder) for _, name, *_ in rows]
        for path, _, opened, fragment in subs:
            queue.append((fragment if fragments else opened, path))
        after = _NEXT.search(response.text)
        if after:
            queue.append((html.unescape(after.group(1)), folder))
    want = sorted((j.name, j.folder) for j in told.held.listed(f))
    assert sorted(reached) == want, "every matching job once, in its own folder"
    event(f"walk reached {min(len(want), 5)}+ jobs")


def _export(told: Told, step: Step) -> None:
    role, folder, f, ticks = step.args
    assert isinstance(ticks, Ticks)
    assert isinstance(f, Filter)
    browser, before = told.browsers[role], told.made()
    browser.get(told.url("/jobs"), params={"folder": folder, "select": "1"})
    form = [*ticks.form(), ("folder", folder), *f.params().items(), ("content", "jobs")]
    response = browser.post(told.url("/export"), form)
    refused = refusal(role, "export")
    want = told.held.selected(ticks, f)
    if refused is None and not want:
        refused = 400
    if refused is not None:
        assert response.status_code == refused, response.text
        assert told.made() == before, "a refused export makes no task or package"
        _said_in_console_words(response.text)
        if refused == 400:
            _check_kept(response.text, ticks)
        event(f"export refused {refused}")
        return
    if len(want) > SYNC_MAX:
        finish_task(told.services, told.scope, response)
        download = told.services.downloads.list_downloads(told.scope).downloads[0]
        response = browser.get(told.url(f"/downloads/{download.id}/file"))
        event("export tasked")
    assert response.status_code == 200, response.text
    package = read_package(response.content)
    got = sorted(o.name for o in package.objects if o.kind == ObjectKind.JOB)
    assert got == want, "the package holds exactly the jobs the ticks select"
    event("export downloaded")


def _check_kept(page: str, ticks: Ticks) -> None:
    """A refused export's page shows again, ticked, what was posted."""
    found = re.search(r'id="tree-form" data-marks="([^"]*)"', page)
    assert found, "the jobs page again"
    marks = json.loads(html.unescape(found.group(1)))
    want = {f"j:{n}": True for n in ticks.jobs} | {f"f:{p}": True for p in ticks.folders}
    want |= {f"j:{n}": False for n in ticks.not_jobs}
    want |= {f"f:{p}": False for p in ticks.not_folders}
    assert marks == want, "the ticks kept as posted"


def _said_in_console_words(page: str) -> None:
    """A refusal says why, in the console's words (none of the API's fields or calls)."""
    said = refusal_text(page)
    note(f"said: {said}")
    assert said.strip()
    assert not api_terms(said), said


def _schedule(told: Told, step: Step) -> None:
    role, name = step.args
    job = told.held.jobs[name]
    response = told.browsers[role].post(
        told.url(f"/jobs/{quote(name, safe='')}/scheduling"), {"action": step.act}
    )
    refused = refusal(role, step.act, job)
    if refused is not None:
        assert response.status_code == refused, response.text
        _said_in_console_words(response.text)
        event(f"{step.act} refused {refused}")
        return
    assert response.status_code == 303, response.text
    assert response.headers["location"] == told.url("/jobs/") + quote(name, safe="")
    told.held.jobs[name] = JobSpec(
        job.name, job.directory, job.tags, job.submitted, step.act == "start"
    )


def _job_page(told: Told, step: Step) -> None:
    role, name = step.args
    job = told.held.jobs[name]
    page = told.browsers[role].get(told.url("/jobs/") + quote(name, safe="")).text
    facts = html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))
    assert f"Scheduling {'scheduled' if job.scheduled else 'stopped'}" in facts
    assert f"Latest version {'1' if job.submitted else 'never submitted'}" in facts
    offered = "Start scheduling" in page or "Stop scheduling" in page
    assert offered == (role != "viewer" and (job.submitted or job.scheduled)), role
    for tag in job.tags:
        assert f'<span class="tag">{html.escape(tag, quote=False)}</span>' in page


ACTS = {
    "open": _open,
    "walk": _walk,
    "export": _export,
    "start": _schedule,
    "stop": _schedule,
    "job": _job_page,
}


@pytest.fixture
def role_browsers(services: Services, client: TestClient) -> dict[str, Browser]:
    """A signed-in browser for a user of each role (given their role in each story's
    workspace), each with cookies of its own."""
    boss = admin_actor(services)
    found = {}
    for role in ROLES:
        name = f"jl_{role}"
        services.accounts.create_user(boss, boss.project_id, name, False)
        services.signin.set_password(boss, name, PASSWORD)
        browser = Browser(TestClient(full_app(services), follow_redirects=False))
        assert browser.sign_in(name).status_code == 303
        found[role] = browser
    return found


@GENERATED
@given(story=stories())
def test_generated_jobs_pages_keep_the_documents_promises(
    services: Services, role_browsers: dict[str, Browser], story: Any
) -> None:
    specs, steps = story
    note(f"jobs {specs!r}")
    services.settings.console_sync_export_max_jobs = SYNC_MAX
    told = Told(services, role_browsers)
    for spec in specs:
        told.make(spec)
    with mock.patch.object(folders_module, "PAGE_SIZE", PAGE):
        for step in steps:
            note(f"step {step!r}")
            ACTS[step.act](told, step)
            assert told.state() == told.expected(), "the workspace holds what the model says"


def test_a_ticked_folder_whose_name_ends_in_a_blank_exports_its_own_jobs(
    browser: Browser, services: Services, scope: Any
) -> None:
    for name, directory in (("kept", "/etl /x"), ("other", "/etl")):
        services.jobs.create(scope, make_job(name, directory=directory))
    url = f"/console/w/{scope.workspace.id}"
    browser.get(f"{url}/jobs", params={"select": "1"})
    response = browser.post(f"{url}/export", [("job_folder", "/etl "), ("content", "jobs")])
    assert response.status_code == 200, response.text
    names = [o.name for o in read_package(response.content).objects if o.kind == ObjectKind.JOB]
    assert names == ["kept"], "the folder ticked, not the one without the blank"
    left_out = browser.post(
        f"{url}/export", [("job_folder", "/"), ("not_job_folder", "/etl "), ("content", "jobs")]
    )
    assert [o.name for o in read_package(left_out.content).objects] == ["other"]
