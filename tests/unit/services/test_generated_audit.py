"""Generated stories of the audit log (``support/audit_stories.py``): changes by hand by an
admin and a developer in two workspaces, roles, access keys and sign-ins at project level,
imports that create, overwrite, rename and delete jobs (and rollbacks; refused once a job an
import wrote was renamed or deleted by hand since), the clock moving on by
hours and days and the sweep of ``JOBFERRY_AUDIT_DAYS``. After every step, whatever the story,
the log keeps the promises of docs/api.md (``GET …/audit``) and docs/operations.md
(``support/audit_model.py`` says them):

- each scope (either workspace, the project's own log) reads exactly the entries the model
  holds, newest first, ``total`` right, whole and a page at a time (each entry once, in
  order); none of another workspace's or of the project's leaks into a workspace's, nor the
  reverse;
- a search by object, kind, user, action or family, and window (``since`` included, ``until``
  not) reads exactly the entries matching it;
- only a workspace's admins read its log, only project admins the project's (``DLF.6888``);
- a refused search (an action that is not one, a window ending before it starts, a negative
  time) is refused with ``DLF.3051`` naming the parameter, and writes nothing;
- once the sweep dropped entries, a page says before when exactly when its window reaches
  before that moment;
- an object's history lists exactly the imports that changed it, newest first, under its
  older names too, rolled-back ones marked, within a window, its kind read as the search's
  filters read theirs (blank: every kind).

Each step is checked as it ends (the whole log of every scope, the searches of one scope in
turn), every search of every scope at the story's end.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event, example, given, note

from jobferry.domain.audit import AuditQuery
from jobferry.domain.enums import Role
from jobferry.errors import JobferryError
from jobferry.services.accounts.tokenrequest import PasswordAuth
from jobferry.services.audit import AuditPage
from jobferry.services.container import Services
from jobferry.services.context import Actor, Scope
from jobferry.services.retention import Retention
from jobferry.storage.audit import DroppedAudit
from support.audit_model import HAND, IMPORTED, PROJECT, Model
from support.audit_stories import (
    DAY_MS,
    TICK_MS,
    AuditStory,
    act_by_hand,
    audit_stories,
    cut_at_an_entry,
    deleted_renamed_and_rolled_back,
    hand_job,
    package,
    renamed_by_hand_then_imported,
)
from support.builders import make_script
from support.clients import PROJECT_ID
from support.clock import Clock, held_clock
from support.console import PASSWORD
from support.import_stories import generated
from support.planning import import_package, workspace
from support.release_stories import Step
from support.releases import person

pytestmark = pytest.mark.fuzz
GENERATED = generated(2)
"""Stories a test tells on each database (JOBFERRY_FUZZ_EXAMPLES=150 and a
``--hypothesis-seed`` for a longer run)."""
_SERIAL = itertools.count()
START = 1_900_000_000_000
"""Where the first story's clock starts (epoch ms); each later one of a run 400 days on, so
that the sweep before it drops every entry of the stories before."""
PAGE = 3
BAD = (
    (AuditQuery(action="Job.update"), "action"),
    (AuditQuery(action="job.update.x"), "action"),
    (AuditQuery(since=5, until=5), "since"),
    (AuditQuery(until=-1), "until"),
)
"""Searches refused, and the parameter each refusal names."""


class Story:
    """A story being told: the services, the people, the model, the clock."""

    def __init__(self, services: Services, folder: Path, n: int, clock: Clock) -> None:
        self.services, self.folder, self.clock = services, folder, clock
        self.admin = [workspace(services, f"audit{n}_{side}") for side in "ab"]
        self.ws = [scope.workspace.id for scope in self.admin]
        dev = person(services, self.ws[0], f"dev{n}", Role.DEVELOPER)
        services.accounts.set_role(self.boss, PROJECT_ID, dev.actor.name, self.ws[1], "developer")
        made = services.accounts.create_user(self.boss, PROJECT_ID, f"aud{n}", False)
        self.dev, self.granted = dev.actor, Actor(made.id, made.name, PROJECT_ID, False)
        for name in (self.dev.name, self.granted.name):
            services.signin.set_password(self.boss, name, PASSWORD)
        for scope in self.admin:
            services.scripts.create(scope, make_script("hs"))
        self.looks = itertools.count(1)
        self.model = Model(None)

    @property
    def boss(self) -> Actor:
        """The project admin (each workspace's admin too)."""
        return self.admin[0].actor

    def scope(self, actor: Actor, ws: int) -> Scope:
        """``actor`` in workspace ``ws``, with the roles held now."""
        return self.services.accounts.scope(actor, PROJECT_ID, self.ws[ws])

    def page(self, scope: int, query: AuditQuery, limit: int = 100, offset: int = 0) -> AuditPage:
        """A page of the admin's search of ``scope``."""
        audit = self.services.audit
        if scope == PROJECT:
            return audit.project_entries(self.boss, limit, offset, query)
        return audit.list_entries(self.admin[scope], limit, offset, query)


# -- the steps -------------------------------------------------------------------------------


def _hand(story: Story, step: Step) -> None:
    ws, verb, pick, by_dev = step.args
    verb, name, new = hand_job(story.model, ws, verb, pick)
    actor = story.dev if by_dev and verb in ("create", "update") else story.boss
    act_by_hand(story.services, story.scope(actor, ws), verb, name, new, next(story.looks))
    held = story.model.hand[ws]
    held.discard(name)
    if verb != "delete":
        held.add(new or name)
    story.model.wrote(ws, story.clock.now, actor.name, f"job.{verb}", "job", new or name)
    event(f"hand: {verb}")


def _retouch(story: Story, step: Step) -> None:
    """An imported job renamed by hand (to a name no job has) or deleted: its imports are
    found under its new name; once deleted, under none."""
    ws, delete = step.args
    held = story.model.job_uids(ws)
    free = [name for name in IMPORTED if name not in held]
    newest = story.model.newest_import(ws)
    if not held or not (delete or free) or newest is None or newest.retouched:
        return
    name = sorted(held)[0]
    scope, uid = story.admin[ws], held[name]
    touched = story.model.objects[ws][uid]
    if delete:
        story.services.jobs.delete(scope, name)
        del story.model.objects[ws][uid]
    else:
        story.services.jobs.rename(scope, name, free[0])
        story.model.objects[ws][uid] = replace(story.model.objects[ws][uid], name=free[0])
    newest.retouched = any(i == touched.identity for _, i, _, _ in newest.changes)
    verb, shown = ("delete", name) if delete else ("rename", free[0])
    story.model.wrote(ws, story.clock.now, story.boss.name, f"job.{verb}", "job", shown)
    event(f"retouch: {verb}")


def _script(story: Story, step: Step) -> None:
    ws, by_dev = step.args
    actor = story.dev if by_dev else story.boss
    script = make_script("hs", content=f"select {next(story.looks)};")
    story.services.scripts.update(story.scope(actor, ws), "hs", script)
    story.model.wrote(ws, story.clock.now, actor.name, "script.update", "script", "hs")


def _grant(story: Story, step: Step) -> None:
    ws, role = step.args
    name = story.granted.name
    story.services.accounts.set_role(story.boss, PROJECT_ID, name, story.ws[ws], role)
    held, story.model.roles[ws] = story.model.roles[ws], role
    if held != role:  # the role held already: nothing changes, nothing is audited
        story.model.wrote(ws, story.clock.now, story.boss.name, "role.set", "user", name)


def _key(story: Story) -> None:
    name = story.granted.name
    story.services.accounts.issue_credential(story.boss, PROJECT_ID, name)
    story.model.wrote(PROJECT, story.clock.now, story.boss.name, "credential.create", "user", name)


def _signin(story: Story, step: Step) -> None:
    name = (story.dev if step.args[0] else story.granted).name
    story.services.tokens.issue(PasswordAuth(name, PASSWORD, project_id=PROJECT_ID))
    story.model.wrote(PROJECT, story.clock.now, name, "token.issue", "user", name)


def _import(story: Story, step: Step) -> None:
    ws, names, rename, drop = step.args
    n = next(story.looks)
    made = package(story.model, ws, story.folder, n, names, rename, drop)
    options: dict[str, Any] = {"propagateDeletes": True} if made.deleted else {}
    task = import_package(story.services, story.admin[ws], made.path, **options)
    at, boss = story.clock.now, story.boss.name
    story.model.imported(task.id, ws, at, made.objects, made.deleted)
    story.model.wrote(ws, at, boss, "import.apply", "package", made.path.name)
    event(f"import: {'rename' if rename else ''} {'delete' if made.deleted else ''}")


def _rollback(story: Story, step: Step) -> None:
    ws = step.args[0]
    newest = story.model.newest_import(ws)
    if newest is None:
        return
    if newest.retouched:  # refused, naming the rule; nothing changes
        with pytest.raises(JobferryError) as refused:
            story.services.rollback.rollback(story.admin[ws], newest.task_id)
        assert refused.value.code == "DLF.9016", str(refused.value)
        event("rollback refused")
        return
    story.services.rollback.rollback(story.admin[ws], newest.task_id)
    story.model.rolled_back(newest)
    event("rollback")
    story.model.wrote(
        ws, story.clock.now, story.boss.name, "import.rollback", "task", newest.task_id
    )


def _sweep(story: Story, step: Step) -> None:
    days = step.args[0]
    Retention(story.services.db, 0, days).sweep(story.clock.now)
    story.model.swept(story.clock.now, days)


ACTS: dict[str, Callable[[Story, Step], None]] = {
    "hand": _hand,
    "script": _script,
    "retouch": _retouch,
    "grant": _grant,
    "key": lambda story, _: _key(story),
    "signin": _signin,
    "import": _import,
    "rollback": _rollback,
    "clock": lambda story, step: story.clock.move(step.args[0]) and None,
    "sweep": _sweep,
    "still": lambda story, step: None,  # the next step starts in the same millisecond
}


# -- the checks ------------------------------------------------------------------------------


def _check_search(story: Story, scope: int, query: AuditQuery) -> None:
    """A search of ``scope`` answers the entries the model holds, newest first, and says
    what was dropped exactly when its window reaches before it."""
    page = story.page(scope, query)
    expected = story.model.matching(scope, query)
    shown = [(e.at, e.actor, e.action, e.object_kind, e.object_name) for e in page.entries]
    assert shown == [e.shown for e in expected], (scope, query)
    assert page.total == len(expected), (scope, query)
    assert page.dropped == story.model.dropped(query), (scope, query)
    assert bool(page.dropped_said) == (page.dropped is not None), (scope, query)


def _check_paging(story: Story, scope: int) -> None:
    """The scope's log read ``PAGE`` entries at a time reads each entry once, in order."""
    whole = [e.id for e in story.page(scope, AuditQuery()).entries]
    read: list[int] = []
    for offset in itertools.count(0, PAGE):
        page = story.page(scope, AuditQuery(), PAGE, offset)
        assert page.total == len(whole), scope
        read += [e.id for e in page.entries]
        if len(page.entries) < PAGE:
            break
    assert read == whole, scope


def _queries(story: Story, scope: int, seed: int) -> list[AuditQuery]:
    """Searches drawn from what the scope holds: by an entry's object, kind, user, action
    and family, windows around entries' times, blank texts, and a name none has."""
    held = story.model.of(scope)
    found = [AuditQuery(object_name="nothing"), AuditQuery(actor=" ", object_name="")]
    if not held:
        return [*found, AuditQuery(since=story.clock.now - DAY_MS)]
    one, other = held[seed % len(held)], held[(seed // 7) % len(held)]
    low, high = sorted((one.at, other.at))
    return [
        *found,
        AuditQuery(object_name=one.name),
        AuditQuery(object_kind=one.kind, actor=other.actor),
        AuditQuery(action=one.action),
        AuditQuery(action=one.action.split(".")[0]),
        AuditQuery(since=one.at),
        AuditQuery(until=one.at),
        AuditQuery(since=low, until=high + (seed % 2 or int(low == high))),
        AuditQuery(action=other.action.split(".")[0], since=low - DAY_MS),
    ]


def _check_readers(story: Story) -> None:
    """Only a workspace's admins read its log, only project admins the project's; nothing is
    written by a read refused."""
    audit = story.services.audit
    for ws in (0, 1):
        for actor, admin in ((story.dev, False), (story.granted, story.model.roles[ws] == "admin")):
            if admin:
                page = audit.list_entries(story.scope(actor, ws), 100, 0)
                assert [e.at for e in page.entries] == [e.at for e in story.model.of(ws)]
                continue
            with pytest.raises(JobferryError) as refused:
                audit.list_entries(story.scope(actor, ws), 10, 0)
            assert refused.value.code == "DLF.6888", (actor.name, ws)
            with pytest.raises(JobferryError) as history:
                audit.imports_of(story.scope(actor, ws), None, "ja")
            assert history.value.code == "DLF.6888", (actor.name, ws)
    for actor in (story.dev, story.granted):
        with pytest.raises(JobferryError) as refused:
            audit.project_entries(actor, 10, 0)
        assert refused.value.code == "DLF.6888", actor.name


def _check_refusal(story: Story, scope: int, seed: int) -> None:
    query, parameter = BAD[seed % len(BAD)]
    with pytest.raises(JobferryError) as refused:
        story.page(scope, query)
    assert (refused.value.code, refused.value.context.get("parameter")) == ("DLF.3051", parameter)


HISTORIES = (*IMPORTED, "ja_sql", "jc_sh", "udf_jar", HAND[0])
"""The objects whose imports each step reads: the imported jobs, some of what they use, a job
made by hand (none)."""


def _check_history(story: Story, ws: int, seed: int) -> None:
    """Each object's imports, of its kind or of every kind, whole; one of them within a
    window from an import's start, or up to it."""
    audit, scope = story.services.audit, story.admin[ws]
    starts = sorted({i.at for i in story.model.imports if i.ws == ws}) or [story.clock.now]
    edge = starts[seed % len(starts)]
    windowed = HISTORIES[seed % len(HISTORIES)]
    for name in HISTORIES:
        kind = "script" if "_s" in name else "resource" if name == "udf_jar" else "job"
        windows = [(None, None)]
        if name == windowed:
            windows += [(edge, None), (None, edge)]
        for window in windows:
            query = AuditQuery(since=window[0], until=window[1])
            asked = None if (seed + len(name)) % 2 else kind
            # a kind is read as the log's filters read it: blank is none, spaces around it
            said = {0: asked, 1: f" {asked} " if asked else " "}.get(seed % 3, asked)
            found = audit.imports_of(scope, said, name, query)
            shown = [(i.at, i.task_id, i.action, i.name, i.rolled_back, i.kind) for i in found]
            expected = story.model.imports_of(ws, asked, name, window)
            # newest first; imports started in one millisecond in any order
            assert [s[0] for s in shown] == [e[0] for e in expected], (ws, name, window)
            assert sorted(shown) == sorted(expected), (ws, name, window)


def _check(story: Story, seed: int, *, every: bool = False) -> None:
    """After a step: each scope's whole log; the drawn searches, a refused one and the
    paging of one scope in turn (``every``: of each); who may read; the histories."""
    scopes = (0, 1, PROJECT)
    searched = scopes if every else (scopes[seed % 3],)
    for scope in scopes:
        _check_search(story, scope, AuditQuery())
    for scope in searched:
        for query in _queries(story, scope, seed):
            _check_search(story, scope, query)
        _check_refusal(story, scope, seed)
        _check_search(story, scope, AuditQuery())  # the refused search wrote nothing
        _check_paging(story, scope)
    _check_readers(story)
    for ws in (0, 1):
        _check_history(story, ws, seed)


def _tell(services: Services, told: AuditStory, folder: Path) -> None:
    n = next(_SERIAL)
    start = START + n * 400 * DAY_MS
    with held_clock(start - 2 * DAY_MS) as clock:
        story = Story(services, folder, n, clock)
        clock.move(2 * DAY_MS)
        # a sweep keeping one day drops the setting up and every earlier story's entries
        Retention(services.db, 0, 1).sweep(clock.now)
        story.model.mark = DroppedAudit(start - DAY_MS, start, 1)
        _check(story, told.seed)
        still = False
        for number, step in enumerate(told.steps):
            clock.move(0 if still else TICK_MS)
            still = step.act == "still"
            ACTS[step.act](story, step)
            _check(story, told.seed + number)
        _check(story, told.seed, every=True)


@GENERATED
@given(told=audit_stories())
@example(told=deleted_renamed_and_rolled_back())
@example(told=cut_at_an_entry())
@example(told=renamed_by_hand_then_imported())
def test_audit_stories_keep_the_api_s_promises(
    services: Services, tmp_path: Path, told: AuditStory
) -> None:
    note(repr(told))
    _tell(services, told, tmp_path)
