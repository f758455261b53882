"""Generated stories of the console's drift page (*Changed since promoted*) and a job's *Came
from* (``support/console_drift_stories.py``): jobs imported from another workspace with their
scripts and resource, and one made here, changed here (a hot fix, or back as written), deleted,
and read by users of every role, a project admin with none and one with no role there. After
every step the pages keep the promises of docs/console.md and docs/api.md
(``support/console_drift_model.py`` says them):

- no answer is a server error; one with no role in the workspace is refused (403);
- the drift page lists exactly the imported objects that differ now from what the import wrote
  (a change undone is none) or were deleted here, says who changed each last, and counts them
  among the objects compared, or says nothing changed;
- an imported job's page names its source job and the import task, and says whether it changed
  here since; the job made here says it was not imported; a job not there is the 404 page;
- a job's *History* (the audit log searched for it: workspace admins only) shows, above its
  entries, the import that wrote it, linked to its task.
"""

from __future__ import annotations

import copy
import html
import itertools
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from hypothesis import event, example, given, note

from jobferry.domain.enums import Role
from jobferry.errors import JobferryError
from jobferry.services.container import Services
from jobferry.services.context import Scope
from support.builders import make_job
from support.console import PASSWORD, Browser, admin_actor, make_user
from support.console_drift_model import (
    IMPORTED,
    LOCAL,
    OUTSIDER,
    PROJECT_ADMIN,
    USERS,
    Model,
    Written,
    may_read,
)
from support.console_drift_stories import Step, a_story_of_drift, drift_stories
from support.console_form_model import refusal_text
from support.import_stories import generated
from support.planning import import_package, jobs_with_dependencies, workspace, write_objects

pytestmark = [pytest.mark.fuzz, pytest.mark.databases("sqlite", "postgresql")]
GENERATED = generated(8)
"""Stories a test tells on each database (JOBFERRY_FUZZ_EXAMPLES=150 and a
``--hypothesis-seed`` for a longer run)."""
_SERIAL = itertools.count()


class Told:
    """A story's workspace, the import that wrote it, a browser per user, a scope for each who
    writes, the model."""

    def __init__(self, services: Services, client: TestClient, folder: Path) -> None:
        self.services, self.model = services, Model()
        n = next(_SERIAL)
        self.scope: Scope = workspace(services, f"dr{n}")
        objects = jobs_with_dependencies(*(make_job(name) for name in IMPORTED))
        self.task_id = import_package(
            services, self.scope, write_objects(folder / f"dr{n}.zip", objects)
        ).id
        for kind, name, document in objects:
            self.model.written[(kind, name)] = Written(
                kind, name, document, copy.deepcopy(document)
            )
        services.jobs.create(self.scope, make_job(LOCAL))
        self.model.local.add(LOCAL)
        self.names = [f"dr{n}u{i}" for i in range(len(USERS))]
        boss = admin_actor(services)
        self.browsers = []
        for name, who in zip(self.names, USERS, strict=True):
            if isinstance(who, Role):
                make_user(services, name, who, self.scope.workspace.id)
            else:
                services.accounts.create_user(boss, boss.project_id, name, who != OUTSIDER)
                services.signin.set_password(boss, name, PASSWORD)
            browser = Browser(TestClient(client.app, follow_redirects=False))
            assert browser.sign_in(name).status_code == 303
            self.browsers.append(browser)
        self.scopes = {}
        for i in (0, 1):
            key = services.accounts.issue_credential(boss, boss.project_id, self.names[i])
            actor = services.accounts.actor_for(key.access_key)
            self.scopes[i] = services.accounts.scope(
                actor, boss.project_id, self.scope.workspace.id
            )

    def url(self, path: str) -> str:
        return f"/console/w/{self.scope.workspace.id}{path}"


def _edit(told: Told, step: Step) -> None:
    user, name, how = step.args
    kind = "script" if name.endswith(("_sql", "_sh")) else "job"
    written = told.model.written.get((kind, name))
    if written is None:  # the job made here
        if name not in told.model.local:
            return
        body: dict[str, Any] = make_job(name, description=f"fixed by {told.names[user]}")
    elif written.now is None:
        return  # deleted here: nothing to change
    elif how == "back":
        body = copy.deepcopy(written.document)
    else:
        change = ("description", "fixed here") if kind == "job" else ("content", "echo fixed")
        body = {**copy.deepcopy(written.document), change[0]: change[1]}
    service: Any = told.services.jobs if kind == "job" else told.services.scripts
    service.update(told.scopes[user], name, body)
    if written is not None:
        written.now, written.by = body, told.names[user]


def _delete(told: Told, step: Step) -> None:
    user, name = step.args
    written = told.model.written.get(("job", name))
    if (written is None and name not in told.model.local) or (written and written.now is None):
        return
    try:
        told.services.jobs.delete(told.scopes[user], name)
    except JobferryError as exc:  # what the delete refuses is not these pages' story
        event(f"delete refused: {exc.code}")
        return
    if written is None:
        told.model.local.discard(name)
    else:
        written.now, written.by = None, told.names[user]


_BLOCK = re.compile(r'<div class="drifted">(.*?)(?=<div class="drifted">|</section>)', re.S)


def _listed(page: str) -> dict[tuple[str, str, bool], str]:
    """What the drift page lists: (kind, name, deleted) → the block's text."""
    found = {}
    for block in _BLOCK.findall(page):
        head = re.search(r"<h3>(.*?)</h3>", block, re.S)
        assert head is not None, block
        kind = re.search(r'<span class="badge">([^<]*)</span>', head[1])
        assert kind is not None, head[1]
        deleted = 'class="badge reason">deleted' in head[1]
        rest = re.sub(r'<span class="badge[^"]*">[^<]*</span>', "", head[1])
        name = html.unescape(re.sub(r"<[^>]*>", "", rest)).strip()
        text = " ".join(html.unescape(re.sub(r"<[^>]*>", " ", block)).split())
        found[(kind[1], name, deleted)] = text
    return found


def _drift(told: Told, step: Step) -> None:
    (user,) = step.args
    answer = told.browsers[user].get(told.url("/drift"))
    assert answer.status_code != 500, answer.text[-2000:]
    if not may_read(USERS[user]):
        assert answer.status_code == 403, refusal_text(answer.text)
        return
    assert answer.status_code == 200, refusal_text(answer.text)
    expected, compared = told.model.drifted(), len(told.model.written)
    listed = _listed(answer.text)
    event(f"drift: {len(expected)} listed")
    assert set(listed) == expected, (listed, expected)
    text = " ".join(html.unescape(re.sub(r"<[^>]*>", " ", answer.text)).split())
    if not expected:
        assert f"Nothing changed here since it was promoted into: {compared} objects" in text
        return
    assert f"{len(expected)} of the {compared} objects that imports wrote here changed" in text
    for (kind, name, deleted), said in listed.items():
        by = told.model.written[(kind, name)].by
        assert (f"Deleted here by {by}" if deleted else f"Changed last by {by}") in said, said
        assert f"import {told.task_id}" in said, said


def _came_from(page: str) -> str:
    found = re.search(r'<section class="card" id="came-from">(.*?)</section>', page, re.S)
    assert found is not None, "no Came from box"
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", found[1])).split())


def _job(told: Told, step: Step) -> None:
    user, name = step.args
    answer = told.browsers[user].get(told.url(f"/jobs/{name}"))
    assert answer.status_code != 500, answer.text[-2000:]
    if not may_read(USERS[user]):
        assert answer.status_code == 403, refusal_text(answer.text)
        return
    written = told.model.written.get(("job", name))
    there = name in told.model.local or (written is not None and written.now is not None)
    if not there:
        assert answer.status_code == 404, refusal_text(answer.text)
        assert "Back to Jobs" in answer.text
        return
    assert answer.status_code == 200, refusal_text(answer.text)
    box = _came_from(answer.text)
    if written is None:
        assert box == "Came from Not imported from another workspace.", box
        return
    assert f"Source job {name} of workspace" in box, box
    assert f"task {told.task_id}" in box, box
    changed = "Changed in this workspace since that import" in box
    assert changed == written.drifted, (box, written.drifted)
    assert ("unchanged in this workspace" in box) == (not written.drifted), box


def _history(told: Told, step: Step) -> None:
    """A job's *History*: its entries, and above them the import that wrote it."""
    user, name = step.args
    query = urlencode({"kind": "job", "object": name})
    answer = told.browsers[user].get(told.url(f"/admin/audit?{query}"))
    assert answer.status_code != 500, answer.text[-2000:]
    if USERS[user] not in (Role.ADMIN, PROJECT_ADMIN):
        assert answer.status_code == 403, refusal_text(answer.text)
        return
    assert answer.status_code == 200, refusal_text(answer.text)
    imports = re.search(r"<section class=\"card\" data-imports>(.*?)</section>", answer.text, re.S)
    written = told.model.written.get(("job", name))
    if written is None or written.now is None:
        event("history: no import to show")
        assert imports is None or told.task_id not in imports[1], name
        return
    assert imports is not None, name
    assert f'href="{told.url(f"/tasks/{told.task_id}")}"' in imports[1], imports[1]


ACTS = {"edit": _edit, "delete": _delete, "drift": _drift, "job": _job, "history": _history}


@GENERATED
@given(story=drift_stories())
@example(story=a_story_of_drift())
def test_the_drift_page_and_came_from_say_what_changed_since_the_import(
    services: Services,
    client: TestClient,
    tmp_path_factory: pytest.TempPathFactory,
    story: tuple[Step, ...],
) -> None:
    told = Told(services, client, tmp_path_factory.mktemp("drift"))
    for step in story:
        note(repr(step))
        ACTS[step.act](told, step)
