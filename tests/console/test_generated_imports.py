"""Generated stories of the console's import pages (``support/console_import_stories.py``): a
workspace admin, signed in, uploads packages (good, changed since, signed by a key nobody
trusts, no zip, cut short), reads the check step, plans with options (same-name policy, target
status and folder, an environment profile, atomic or per object, a connection mapped on the
check step), imports the plan (as planned, posted twice, gone stale, expired, another
workspace's), rolls imports back, and a viewer now and then posts a step. Each step is taken
too, through the services as an API client takes it (upload, check-file, plan, import naming
its plan, rollback), on a twin workspace that started the same. After every post, whatever the
story, the console keeps the promises of docs/console.md (*Import*, *Task*), docs/api.md and
docs/errors.md (``support/console_import_model.py`` says them):

- no post is answered with a server error (500);
- a post without the session's security token is refused (403), and so is a step a viewer
  posts; either changes nothing;
- any other post does what the same calls do on the twin: taken, the workspace holds what the
  twin holds (its jobs, scripts and resources, and its audit log's lines); refused, with the
  status the service answers (DLF.9015 a stale, expired or unknown plan, DLF.9016 a rollback
  of an import rolled back already, a package that cannot be read…), and nothing changed;
- a refused post answers a page that says why, in the console's words (none of the API's
  fields, calls or bodies: tests/test_wording.py);
- the check step says *No problems* exactly when the plan has none; the plan step shows what
  the plan said (the same objects and actions as the twin's plan, each named on the page);
- *Import* posted twice follows the one import it started; an import or a rollback ends as the
  twin's does.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import time
from dataclasses import astuple
from typing import Any
from unittest import mock
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from hypothesis import event, example, given, note

from jobferry.domain.enums import Role
from jobferry.errors import DownloadNotFoundError, JobferryError, TaskNotFoundError
from jobferry.package.keys import generate_key_pair
from jobferry.package.signature import sign_package
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.downloads import download_path
from jobferry.services.exporting.options import parse_background_export
from jobferry.services.importing.request import parse_import_request
from jobferry.tasks.runner import TaskRunner
from support import wizard
from support.builders import editable
from support.console import (
    PASSWORD,
    Browser,
    add_connections,
    admin_actor,
    admin_scope,
    hidden_value,
    seed,
    wait_task,
)
from support.console_form_model import refusal_text
from support.console_import_model import (
    CSRF_REFUSED,
    NO_SOURCE,
    NOT_ALLOWED,
    SERVER_ERROR,
    TAKEN,
    held,
    plan_said,
)
from support.console_import_stories import (
    Options,
    Step,
    a_story_of_every_step,
    import_stories,
)
from support.import_stories import generated
from test_wording import api_terms

NOT_FOUND = 404
"""The console's page for an address naming no object here (docs/console.md)."""
pytestmark = [pytest.mark.fuzz, pytest.mark.databases("sqlite", "postgresql")]
GENERATED = generated(8)
"""Stories a test tells on each database (JOBFERRY_FUZZ_EXAMPLES=150 and a
``--hypothesis-seed`` for a longer run)."""
_SERIAL = itertools.count()
_PACKAGES: dict[int, dict[str, bytes]] = {}
SIDES = ("console", "twin")


def _packages(services: Services) -> dict[str, bytes]:
    """The packages a story uploads, made once for the database: exported from a source
    workspace, again after a change there, signed, and bytes no package reads."""
    if id(services) not in _PACKAGES:
        admin = admin_actor(services)
        ws = services.accounts.create_workspace(admin, admin.project_id, f"cis{next(_SERIAL)}")
        source = admin_scope(services, ws)
        seed(services, source)
        good = wizard.export_package(services, source)
        job = editable(services.jobs.show(source, "daily_sales").document)
        services.jobs.update(source, "daily_sales", {**job, "description": "changed since"})
        changed = wizard.export_package(services, source)
        signed = sign_package(good, generate_key_pair().private_pem)
        _PACKAGES[id(services)] = {
            "good": good,
            "changed": changed,
            "signed": signed,
            "notzip": b"not a zip",
            "cut": good[: len(good) // 2],
        }
    return _PACKAGES[id(services)]


class Told:
    """A story's workspaces: the console's and its twin (changed through the services), seeded
    alike, and what each side holds of the wizard: its package, plan and imports."""

    def __init__(self, services: Services, client: TestClient) -> None:
        self.services = services
        self.runner: TaskRunner = client.app.state.runner  # type: ignore[attr-defined]
        self.packages = _packages(services)
        boss = admin_actor(services)
        pid, n = boss.project_id, next(_SERIAL)
        accounts = services.accounts
        ids = [accounts.create_workspace(boss, pid, f"ci{n}{end}") for end in ("c", "t")]
        scopes = [accounts.scope(boss, pid, ws) for ws in ids]
        for scope in scopes:
            add_connections(services, scope, "dws_conn", "ssh_conn", "dws_prod")
            services.profiles.put(scope, "stage", {"description": "into stage"})
        self.scope = dict(zip(SIDES, scopes, strict=True))
        self.viewer = f"civ{n}"
        self._viewer: Scope | None = None
        self.path = {side: "" for side in SIDES}
        self.plan = {side: "" for side in SIDES}
        self.imports: dict[str, list[str]] = {side: [] for side in SIDES}
        self.options = Options()
        """The options of the last check or plan step (what *Import* posts again)."""

    def state(self, side: str) -> Any:
        return held(self.services, self.scope[side])

    def url(self, path: str) -> str:
        return f"/console/w/{self.scope['console'].workspace.id}{path}"

    def viewer_scope(self) -> Scope:
        """The viewer of both workspaces in the twin (made the first time)."""
        if self._viewer is None:
            accounts, boss = self.services.accounts, admin_actor(self.services)
            pid = boss.project_id
            accounts.create_user(boss, pid, self.viewer, False)
            for scope in self.scope.values():
                accounts.set_role(boss, pid, self.viewer, scope.workspace.id, Role.VIEWER.value)
            self.services.signin.set_password(boss, self.viewer, PASSWORD)
            key = accounts.issue_credential(boss, pid, self.viewer).access_key
            actor = accounts.actor_for(key)
            self._viewer = accounts.scope(actor, pid, self.scope["twin"].workspace.id)
        return self._viewer


def _form(told: Told, options: Options) -> list[tuple[str, str]]:
    """The options step's fields as a browser posts them."""
    form = [
        ("path", told.path["console"]),
        ("sameNamePolicy", options.policy),
        ("targetStatus", options.status),
        ("targetDirectory", options.directory),
        ("profile", options.profile),
        ("mode", options.mode),
    ]
    if options.mapped:
        form += [("map_name", "dws_conn"), ("map_type", "DWS_CONNECTION")]
        form += [("map_replace", "dws_prod")]
    return form


def _body(told: Told, options: Options) -> dict[str, Any]:
    """The import request an API client sends for ``options``."""
    body: dict[str, Any] = {
        "path": told.path["twin"],
        "sameNamePolicy": options.policy,
        "targetStatus": options.status,
        "mode": options.mode,
    }
    if options.directory:
        body["targetDirectory"] = options.directory
    if options.profile:
        body["profile"] = options.profile
    if options.mapped:
        body["resources"] = [{"name": "dws_conn", "type": "DWS_CONNECTION", "replace": "dws_prod"}]
    return body


def _twin(call: Any) -> tuple[Any, int | None, str]:
    """What the twin's call answered, its refusal's status and code (``None``: taken)."""
    try:
        return call(), None, ""
    except JobferryError as exc:
        return None, exc.status, exc.code


def _post(told: Told, browser: Browser, step: Step, path: str, form: Any, **kw: Any) -> Any:
    """Post ``form`` to ``path`` as ``step`` carries its security token."""
    if step.csrf == "ok":
        return browser.post(told.url(path), form, **kw)
    token = [("csrf_token", "not-the-token")] if step.csrf == "bad" else []
    return browser.post(told.url(path), [*form, *token], csrf=False, **kw)


def _source(told: Told, browser: Browser, step: Step) -> tuple[Any, int | None]:
    """Upload a package (or nothing): the options page the console answers (or its refusal),
    and the twin's status."""
    data = told.packages.get(step.args[0])
    twin = told.scope["twin"]
    if step.csrf != "ok" or data is None:
        answer = _post(told, browser, step, "/import/source", [("obs_path", "")])
        return answer, (CSRF_REFUSED if step.csrf != "ok" else NO_SOURCE)
    kept, status, _ = _twin(
        lambda: told.services.imports.upload(twin, io.BytesIO(data), "pkg.zip").path
    )
    answer = wizard.post_package(browser, told.scope["console"].workspace.id, data)
    if status is not None or answer.status_code != TAKEN["source"]:
        return answer, status
    told.path["twin"] = kept
    told.path["console"] = parse_qs(urlsplit(answer.headers["location"]).query)["path"][0]
    _, status, _ = _twin(lambda: told.services.imports.check_file(twin, kept))
    return browser.get(answer.headers["location"]), (200 if status is None else status)


def _planned(told: Told, browser: Browser, step: Step) -> tuple[Any, int | None]:
    """The check or plan step of ``step``'s options, and the twin's plan of them."""
    options: Options = step.args[0]
    if not told.path["console"] or not told.path["twin"]:
        return None, None  # no package uploaded: no options step to post from
    form = _form(told, options)
    if step.csrf != "ok":
        return _post(told, browser, step, f"/import/{step.act}", form), CSRF_REFUSED
    twin = told.scope["twin"]
    plan, status, code = _twin(
        lambda: told.runner.plan_import(twin, parse_import_request(_body(told, options)))
    )
    note(f"twin: {status} {code}")
    answer = _post(told, browser, step, f"/import/{step.act}", form)
    if status is None:
        assert not isinstance(plan, str), "a small package is planned at once"
        _check_plan_shown(told, step, answer, plan)
    return answer, (200 if status is None else status)


def _check_plan_shown(told: Told, step: Step, answer: Any, plan: Any) -> None:
    """The check step says *No problems* exactly when the twin's plan has none; the plan step
    shows the plan the twin's says, each object named, and keeps its id for *Import*."""
    if answer.status_code != 200:
        return
    if step.act == "check":
        assert ("No problems" in answer.text) == (not plan.problems), (step, plan.problems)
        return
    told.plan["twin"] = plan.plan_id
    told.plan["console"] = plan_id = hidden_value(answer.text, "planId")
    console = told.services.imports.plans.plan(told.scope["console"], plan_id)
    assert plan_said(console.lines) == plan_said(plan.lines), step
    for line in plan.lines:
        assert line.name in answer.text, (step, line)
        assert str(line.action) in answer.text, (step, line)


def _run(told: Told, browser: Browser, step: Step) -> tuple[Any, int | None]:
    """*Import* of the plan the plan step showed, as ``step`` posts it, and the twin's import
    of its own plan."""
    how = step.args[0]
    if not told.plan["console"] or not told.plan["twin"]:
        return None, None  # no plan step showed an Import yet
    form = [(k, v) for k, v in _form(told, told.options) if k != "path"]
    plans = dict(told.plan)
    if how == "other":
        plans = {"console": told.plan["twin"], "twin": told.plan["console"]}
    console_form = [("path", told.path["console"]), *form, ("planId", plans["console"])]
    if step.csrf != "ok":
        return _post(told, browser, step, "/import/run", console_form), CSRF_REFUSED
    if how == "stale":
        _change_both(told)
    body = {**_body(told, told.options), "planId": plans["twin"] or None}
    twin = told.scope["twin"]
    with _expired() if how == "expired" else contextlib.nullcontext():
        started, status, code = _twin(
            lambda: told.runner.start_import(twin, parse_import_request(body))
        )
        note(f"twin: {status} {code}")
        answer = _post(told, browser, step, "/import/run", console_form)
        if how == "twice" and answer.status_code == TAKEN["run"]:
            _check_posted_again(told, browser, step, console_form, answer)
    told.plan = {side: "" for side in SIDES}  # the person goes on from the task's page
    if status is None:
        told.imports["twin"].append(started)
    if answer.status_code == TAKEN["run"]:
        told.imports["console"].append(answer.headers["location"].rsplit("/", 1)[1])
    _check_tasks_end_alike(told, step)
    return answer, status


def _check_posted_again(
    told: Told, browser: Browser, step: Step, form: list[tuple[str, str]], first: Any
) -> None:
    """*Import* posted again (a double click, a browser's retry) follows the import the first
    post started, whether it still runs or ended well (a failed one may be asked again: it
    wrote nothing, and a second post is then a second import, which the twin did not ask)."""
    task = first.headers["location"].rsplit("/", 1)[1]
    if wait_task(told.services, told.scope["console"], task).status == "FAILED":
        return
    again = _post(told, browser, step, "/import/run", form)
    assert again.status_code == TAKEN["run"], refusal_text(again.text)
    assert again.headers["location"] == first.headers["location"], step


def _change_both(told: Told) -> None:
    """A change in both workspaces since the plan (another operator's save)."""
    for side in SIDES:
        scope = told.scope[side]
        try:
            job = editable(told.services.jobs.show(scope, "daily_sales").document)
        except JobferryError:
            continue
        told.services.jobs.update(scope, "daily_sales", {**job, "description": "edited here"})


def _expired() -> Any:
    """The clock of the plans' keep time moved past it (the package TTL)."""
    later = int(time.time() * 1000) + 7 * 24 * 3600 * 1000
    return mock.patch("jobferry.services.importing.plans.now_ms", return_value=later)


def _check_tasks_end_alike(told: Told, step: Step) -> None:
    """The newest tasks of each side (an import, a rollback) end alike."""
    ended = {}
    for side in SIDES:
        if told.imports[side]:
            ended[side] = wait_task(told.services, told.scope[side], told.imports[side][-1]).status
    if len(ended) == 2:
        assert ended["console"] == ended["twin"], (step, ended)


def _rollback(told: Told, browser: Browser, step: Step) -> tuple[Any, int | None]:
    """*Roll back this import* of the last import (rolled back already, the second time), or
    of the twin's last import (``twins``)."""
    tasks = {side: told.imports[side][-1] if told.imports[side] else "" for side in SIDES}
    if not tasks["console"] or not tasks["twin"]:
        return None, None
    if step.args == ("twins",):  # the other workspace's import: not one of this workspace's
        tasks = {"console": tasks["twin"], "twin": tasks["console"]}
    path = f"/tasks/{tasks['console']}/rollback"
    if step.csrf != "ok":
        return _post(told, browser, step, path, []), CSRF_REFUSED
    twin = told.scope["twin"]
    queued, status, code = _twin(lambda: told.runner.start_rollback(twin, tasks["twin"]))
    note(f"twin: {status} {code}")
    answer = _post(told, browser, step, path, [])
    ended = {}
    if status is None:
        ended["twin"] = wait_task(told.services, twin, queued).status
    if answer.status_code == TAKEN["rollback"]:
        rolled = answer.headers["location"].rsplit("/", 1)[1]
        ended["console"] = wait_task(told.services, told.scope["console"], rolled).status
    if len(ended) == 2:
        assert ended["console"] == ended["twin"], (step, ended)
    if code == TaskNotFoundError.code:  # an address naming no task here: the console's 404 page
        return answer, NOT_FOUND
    return answer, status


def _export(told: Told, browser: Browser, step: Step) -> tuple[Any, int | None]:
    """A workspace export, followed to its package, then *Import into…* this workspace from
    the download center: the wizard's source step on that package (the twin: check-file of its
    ``download://`` path)."""
    into = step.args[0]
    form = [("changed", "all"), ("content", "deps")]
    body = {"mode": "workspace", "changed": "all", "exportDepend": True, "withUpstream": False}
    if step.csrf != "ok":
        return _post(told, browser, step, "/export/workspace", form), CSRF_REFUSED
    twin = told.scope["twin"]
    queued, status, _ = _twin(lambda: told.runner.start_export(twin, parse_background_export(body)))
    answer = _post(told, browser, step, "/export/workspace", form)
    if status is not None or answer.status_code != TAKEN["run"]:
        return answer, status
    made = {"twin": wait_task(told.services, twin, queued)}
    task = answer.headers["location"].rsplit("/", 1)[1]
    made["console"] = wait_task(told.services, told.scope["console"], task)
    assert made["console"].status == made["twin"].status == "SUCCESSFUL", made
    ids = {side: str(made[side].outcome["downloadId"]) for side in SIDES}
    asked = ids["twin"] if into == "twins" else ids["console"]
    target = "" if into == "blank" else told.scope["console"].workspace.id
    taken = _post(told, browser, step, f"/downloads/{asked}/import", [("target", target)])
    if into == "blank":
        return taken, NO_SOURCE
    _, status, code = _twin(lambda: told.services.downloads.get(twin, ids["console"]))
    if into == "twins":  # the other workspace's package: an address naming none here, the 404
        assert code == DownloadNotFoundError.code, code
        return taken, NOT_FOUND
    if taken.status_code != TAKEN["run"]:
        return taken, status
    package = parse_qs(urlsplit(taken.headers["location"]).query)["package"][0]
    source = _post(told, browser, step, "/import/source", [("package", package)])
    path = download_path(twin.workspace.id, ids["twin"])
    _, status, _ = _twin(lambda: told.services.imports.packages.check_path(twin, path))
    if status is not None or source.status_code != TAKEN["source"]:
        return source, status
    told.path = {"console": package, "twin": path}
    _, status, _ = _twin(lambda: told.services.imports.check_file(twin, path))
    return browser.get(source.headers["location"]), (200 if status is None else status)


def _viewer(told: Told, browser: Browser, step: Step) -> tuple[Any, int | None]:
    """A viewer posts a wizard step (or a rollback): refused, as the twin refuses the call."""
    what = step.args[0]
    viewer = told.viewer_scope()
    browser.sign_in(told.viewer)
    try:
        if what == "rollback":
            if not told.imports["console"] or not told.imports["twin"]:
                return None, None
            task, twin = told.imports["console"][-1], told.imports["twin"][-1]
            _, status, _ = _twin(lambda: told.runner.start_rollback(viewer, twin))
            return browser.post(told.url(f"/tasks/{task}/rollback"), []), status
        form = [*_form(told, Options()), ("planId", told.plan["console"])]
        if what == "source":
            form = [("obs_path", "obs://bucket/pkg.zip")]
        return browser.post(told.url(f"/import/{what}"), form), NOT_ALLOWED
    finally:
        browser.sign_in()


def _take(told: Told, browser: Browser, step: Step) -> None:
    """Post ``step`` and check the answer and the workspace against the twin."""
    before = told.state("console")
    if step.act in ("check", "plan") and step.csrf == "ok" and told.path["console"]:
        told.options = step.args[0]
    acts = {
        "source": _source,
        "check": _planned,
        "plan": _planned,
        "run": _run,
        "rollback": _rollback,
        "viewer": _viewer,
        "export": _export,
    }
    answer, predicted = acts[step.act](told, browser, step)
    if answer is None:
        return
    event(f"{step.act}: {predicted or 'taken'}")
    assert answer.status_code != SERVER_ERROR, (step, answer.text[-2000:])
    after = told.state("console")
    if predicted is None:
        assert answer.status_code == TAKEN[step.act], (step, refusal_text(answer.text))
        _check_alike(step, after, told.state("twin"))
        return
    assert answer.status_code == predicted, (step, refusal_text(answer.text))
    if predicted >= 400:
        said = refusal_text(answer.text)
        note(f"said: {said}")
        assert said.strip(), step
        assert not api_terms(said), (step, said, api_terms(said))
    if step.act in ("source", "check", "plan", "viewer") or predicted >= 400:
        assert after.jobs == before.jobs, step
        assert after.scripts == before.scripts, step
    _check_alike(step, after, told.state("twin"))


def _check_alike(step: Step, console: Any, twin: Any) -> None:
    """The console's workspace holds what the twin holds (saying what differs)."""
    differs = {
        name: (sorted(set(mine) - set(theirs)), sorted(set(theirs) - set(mine)))
        for name, mine, theirs in zip(
            console.__dataclass_fields__, astuple(console), astuple(twin), strict=True
        )
        if mine != theirs
    }
    assert not differs, (step, differs)


@pytest.mark.timeout(120)
@GENERATED
@given(story=import_stories())
@example(story=a_story_of_every_step())
def test_the_consoles_import_pages_do_what_the_api_does_and_refuse_in_their_own_words(
    services: Services, client: TestClient, browser: Browser, story: tuple[Step, ...]
) -> None:
    note(repr(story))
    told = Told(services, client)
    assert told.state("console") == told.state("twin")
    for step in story:
        _take(told, browser, step)
