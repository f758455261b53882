"""Generated stories of Admin → Remotes (``support/console_remote_stories.py``): a project
admin, a workspace admin who is no project admin, a developer and a viewer post its forms —
add, *Edit*, *Test*, *Refresh*, *Remove* — with good input and bad, on remotes there, gone or
removed meanwhile by another admin, while a refresh of them is queued or not, the remote end
being the in-memory DataArts stand-in. The app's task runner is held: the story runs the
queued refreshes itself. After every post, whatever the story, the pages keep the promises of
docs/console.md (Admin):

- no post is answered with a server error (500);
- one who may not is refused (403) before anything is looked up: a developer or a viewer
  anything, a workspace admin who is no project admin adding, editing or removing — whether
  the remote is there or not; nothing is sent to the remote;
- a refused post (400: a blank, overlong or taken name, an endpoint that is no URL, a
  DataArts workspace another remote reaches, nothing to change, a new access key without its
  secret key, a remote gone, a second refresh, a removal while a refresh is queued) changes
  nothing and writes no audit line; its page says why, in the console's words (none of the
  API's: tests/test_wording.py), keeps what was typed (never a secret key) and, for *Edit*,
  keeps the form open;
- an accepted post makes its change and one audit line; a refresh is a task whose page the
  browser is sent to; run, it ends as the remote's keys allow.
"""

from __future__ import annotations

import hashlib
import itertools
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from hypothesis import event, example, given, note
from markupsafe import escape

from jobferry.domain.enums import Role, TaskKind
from jobferry.services.container import Services
from jobferry.storage import tables
from support.console import Browser, admin_actor, admin_scope, make_user
from support.console_form_model import SERVER_ERROR, refusal_text
from support.console_remote_stories import (
    RemotesModel,
    Step,
    a_story_of_every_form,
    remote_stories,
)
from support.import_stories import generated
from support.standin import AK, FACTORY, DataArtsStandin
from test_wording import api_terms

pytestmark = [
    pytest.mark.fuzz,
    pytest.mark.databases("sqlite", "postgresql"),
    pytest.mark.usefixtures("held_tasks"),
]
GENERATED = generated(8)
_SERIAL = itertools.count()
SECRETS = {"right": "", "wrong": "not-the-secret-key-typed"}


class Told:
    """A story's stand-in, its people, and the names it gives its remotes."""

    def __init__(self, services: Services, other: Browser) -> None:
        self.services, self.other = services, other
        self.n = n = next(_SERIAL)
        self.scope = admin_scope(services)
        self.standin = DataArtsStandin()
        self.reach = {key: hashlib.md5(f"{n}{key}".encode()).hexdigest() for key in ("one", "two")}
        for workspace in self.reach.values():
            self.standin.add_workspace(workspace)
        services.remotes.transport = self.standin.transport()
        SECRETS["right"] = self.standin.keys[AK]
        self.people = {"wsadmin": Role.ADMIN, "developer": Role.DEVELOPER, "viewer": Role.VIEWER}
        for who, role in self.people.items():
            make_user(services, f"g{n}{who}", role)
        self.signed_in = ""

    def name(self, key: str) -> str:
        return {"": "", "long": "n" * 300}.get(key, f"g{self.n}{key}")

    def url(self, path: str = "") -> str:
        return f"/console/w/{self.scope.workspace.id}/admin/remotes{path}"

    def browser(self, who: str, admin: Browser) -> Browser:
        if who == "admin":
            return admin
        if self.signed_in != who:
            assert self.other.sign_in(f"g{self.n}{who}").status_code == 303
            self.signed_in = who
        return self.other

    def state(self) -> Any:
        """The story's remotes as the services read them, and the audit lines about them."""
        remotes = tuple(
            (r.name, r.endpoint, r.access_key, r.workspace_id, r.refreshing is not None)
            for r in self.services.remotes.list_all(admin_actor(self.services))
            if r.name.startswith(f"g{self.n}")
        )
        audit = tables.audit_log.c
        query = sa.select(sa.func.count()).where(
            audit.action.like("remote.%"), audit.object_name.like(f"g{self.n}%")
        )
        with self.services.db.transaction(readonly=True) as tx:
            lines = tx.conn.execute(query).scalar_one()
        return remotes, lines


def _form(told: Told, step: Step) -> tuple[str, dict[str, str]]:
    name = told.name(step.args[0])
    if step.act == "add":
        _, endpoint, keys, reach = step.args
        return told.url(), {
            "name": name,
            "endpoint": FACTORY if endpoint == "good" else "ftp://somewhere",
            "studioEndpoint": "",
            "projectId": told.standin.project_id,
            "workspace": told.reach[reach],
            "accessKey": AK,
            "secretKey": SECRETS[keys],
        }
    if step.act == "edit":
        change = step.args[1]
        form = {"name": name, "endpoint": FACTORY, "studioEndpoint": "", "accessKey": AK}
        form["secretKey"] = SECRETS.get(change.removeprefix("secret_"), "")
        if change == "endpoint_bad":
            form["endpoint"] = "ftp://x"
        if change == "access_key_only":
            form["accessKey"] = "ANOTHERAK"
        return told.url("/edit"), form
    return told.url("/action"), {"action": step.act, "name": name}


def _run_queued(told: Told, model: RemotesModel) -> None:
    """Run the queued refreshes in the story's thread, as the held runner would."""
    tasks = told.services.tasks
    while (claimed := tasks.claim((TaskKind.REFRESH,), look_first=False)) is not None:
        told.services.refresh_tasks.run(claimed)
        name = str(claimed.request.get("remote", "")) if hasattr(claimed, "request") else ""
        note(f"ran {claimed.id} {name}")
    for kept in model.remotes.values():
        kept.queued = False


def _meanwhile(told: Told, model: RemotesModel, key: str) -> None:
    """Another admin removes the remote behind the page's back (when it may be removed)."""
    kept = model.remotes.get(key)
    if kept is None or kept.queued:
        return
    told.services.remotes.remove(admin_actor(told.services), told.name(key))
    del model.remotes[key]  # its shadow workspace stays (model.shadows)


def _check_refused(step: Step, form: dict[str, str], answer: Any) -> None:
    said = refusal_text(answer.text)
    note(f"said: {said}")
    assert said.strip(), step
    assert not api_terms(said), (step, said, api_terms(said))
    if answer.status_code == 403:
        return
    secret = form.get("secretKey")
    if secret:
        assert secret not in answer.text, step
    if step.act == "add":
        for key in ("name", "endpoint", "workspace"):
            if form[key]:
                assert str(escape(form[key])) in answer.text, (step, key)
    if step.act == "edit" and "no remote" not in said:  # a remote gone has no form left
        assert "<details open>" in answer.text, step
        assert f'name="endpoint" value="{escape(form["endpoint"])}"' in answer.text, step


def _take(told: Told, model: RemotesModel, admin: Browser, step: Step) -> None:
    if step.act == "run":
        _run_queued(told, model)
        return
    if step.act == "meanwhile":
        _meanwhile(told, model, step.args[0])
        return
    path, form = _form(told, step)
    predicted, change = model.answer(step)
    before, calls = told.state(), len(told.standin.seen)
    answer = told.browser(step.who, admin).post(path, form)
    event(f"{step.act}/{step.who}: {answer.status_code}")
    assert answer.status_code != SERVER_ERROR, (step, answer.text[-2000:])
    assert answer.status_code == predicted, (step, refusal_text(answer.text))
    if not change:
        assert told.state() == before, step
        if predicted == 403:
            assert len(told.standin.seen) == calls, step
        if predicted != 200 or step.act != "test":
            _check_refused(step, form, answer)
        return
    model.take(step)
    remotes, lines = told.state()
    assert lines == before[1] + (0 if change == "refresh" else 1), step
    names = {r[0] for r in remotes}
    assert names == {told.name(k) for k in model.remotes}, step
    if change == "refresh":
        assert "/tasks/" in answer.headers["location"], step


@GENERATED
@given(story=remote_stories())
@example(story=a_story_of_every_form())
def test_the_remotes_pages_refuse_who_may_not_and_what_is_wrong_changing_nothing(
    services: Services,
    client: TestClient,
    browser: Browser,
    anonymous_client_browser: Browser,
    story: tuple[Step, ...],
) -> None:
    note(repr(story))
    told = Told(services, anonymous_client_browser)
    model = RemotesModel()
    try:
        for step in story:
            _take(told, model, browser, step)
    finally:
        _run_queued(told, model)  # no refresh left queued for the next story
