"""Generated stories of where a job came from (``support/provenance_stories.py``): three
workspaces in a chain, dev → test → prod, two routes ("up", "out"); jobs made, edited, renamed
and deleted, promotions along either route (``onDrift`` and ``propagateDeletes`` overridden),
rollbacks, hand edits and copies in test and prod. After every step, whatever the story, they
keep the promises of docs/api.md ("Where a job came from", "Repeated promotion", "Routes";
``support/provenance_model.py`` says them):

- every job of every workspace keeps its stable identifier through overwrites and renames;
  its ``provenance`` (``show`` with it, and alone) names the source workspace (id and name),
  the job's name in the package, its identifier there, the import task, the route and who
  imported it, as the newest import from another workspace that wrote it, or is ``None`` for
  a job made here; ``drifted`` says whether the job changed here since; a plain ``show`` has
  none;
- a promotion carries what changed in the source since the route's last applied promotion and
  what the target's ledger holds at another version (left behind), matched by identity (a
  renamed job renamed) else by name; a job found identical is linked, not written; drift
  under ``onDrift`` ``FAIL`` fails the import and writes nothing, ``KEEP_TARGET`` leaves the
  job as it is, ``TAKE_PACKAGE`` overwrites it; ``propagateDeletes`` deletes what the target
  took from source jobs deleted since (made and rolled back counts), and nothing else;
- the workspace's drift names exactly the jobs whose provenance says they drifted, and those
  an import wrote that were deleted since;
- a route's history lists each promotion whose import was recorded exactly once, newest first,
  with whether it applied and was rolled back, a page of it as the whole list's slice; a route
  removed and saved again starts a new history, and the jobs its promotions wrote name no
  route;
- rolling back a route's newest promotion puts every job it wrote or deleted back as it was,
  provenance included (its links and those of later imports that only linked forgotten), and
  the route's next package carries its changes again; refused (DLF.9016) when a job it wrote
  was saved since (even as it was) or a name it must give back is taken, changing nothing;
- refusals (a job the workspace does not hold, DLF.0100; another route's promotion recorded,
  DLF.3051; an unknown route's history, DLF.9040) change nothing and write no audit entry;
  every hand step writes one entry naming the job.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import event, example, given, note

from jobferry.domain.enums import TaskStatus
from jobferry.errors import JobferryError
from jobferry.services.container import Services
from jobferry.storage.tables import jobs as jobs_table
from support.audits import Line, entries_since, last_entry
from support.console import admin_scope
from support.import_stories import definition, generated, job_document
from support.planning import workspace
from support.provenance_model import INVALID, NO_JOB, NO_ROUTE, Model
from support.provenance_stories import (
    PLACES,
    ROUTES,
    Step,
    a_chain,
    a_renamed_drift,
    provenance_stories,
)

pytestmark = pytest.mark.fuzz
GENERATED = generated(8)
"""Stories a test tells on each database (JOBFERRY_FUZZ_EXAMPLES=150 and a
``--hypothesis-seed`` for a longer run)."""
_SERIAL = itertools.count()
SETTINGS = {
    "selection": {"kind": "ALL"},
    "sameNamePolicy": "OVERWRITE",
    "onDrift": "TAKE_PACKAGE",
    "propagateDeletes": False,
    "mode": "ATOMIC",
    "scheduling": "REFUSE",
}
DONE = (TaskStatus.SUCCESSFUL, TaskStatus.WARNING)


class Told:
    """A story's three workspaces (each with the script every job runs), its two routes, and
    the stable identifiers of the model's jobs."""

    def __init__(self, services: Services) -> None:
        self.services, n = services, next(_SERIAL)
        self.names = {place: f"pv{n}{place}" for place in PLACES}
        self.scopes = {place: workspace(services, name) for place, name in self.names.items()}
        for scope in self.scopes.values():
            services.scripts.create(scope, definition("script", "sa", 0))
        self.admin = admin_scope(services)
        self.routes = {route: f"pv{n}{route}" for route in ROUTES}
        for route in ROUTES:
            self.route(route)
        self.uids: dict[int, str] = {}
        self.audit: list[Line] | None = None
        """The entries the step just taken writes (``None``: not a hand step, or nothing to
        do)."""

    def route(self, route: str) -> None:
        """Save ``route`` (every job, overwriting, taking the package over drift)."""
        source, target = ROUTES[route]
        sides = {
            "source": {"workspace": self.names[source]},
            "target": {"workspace": self.names[target]},
        }
        self.services.routes.put(self.admin, self.routes[route], {**sides, **SETTINGS})

    def held(self, place: str) -> dict[str, tuple[str, str]]:
        """The jobs of ``place`` by name: (stable identifier, description)."""
        j = jobs_table.c
        query = sa.select(j.name, j.uid, j.document).where(
            j.workspace_id == self.scopes[place].workspace.id
        )
        with self.services.db.transaction(readonly=True) as tx:
            rows = tx.conn.execute(query).all()
        return {r[0]: (r[1], _description(r[2])) for r in rows}


def _description(document: str) -> str:
    described: Any = json.loads(document).get("description")
    return str(described)


def _take(told: Told, model: Model, step: Step) -> str | None:
    """Take ``step`` through the services, keeping the model in step; the code it was refused
    with (``None``: taken), checked against the model's. A hand step sets ``told.audit``: the
    entry it writes (none when there was nothing to do)."""
    services, act, told.audit = told.services, step.act, None
    if act in ("job", "copy"):
        place, name = step.args
        held = name in told.held(place)
        look = model.put(place, name)[1] if act == "job" else model.copy(place, name)
        if look is not None:
            _put(told, place, job_document(name, "sa", None, [], look), held)
        return None
    if act == "delete":
        place, name = step.args
        if model.delete(place, name):
            services.jobs.delete(told.scopes[place], name)
            told.audit = [_line(told, "job.delete", name)]
        return None
    if act == "rename":
        if model.rename(*step.args):
            services.jobs.rename(told.scopes["dev"], *step.args)
            told.audit = [_line(told, "job.rename", step.args[1])]
        return None
    if act == "promote":
        _promote(told, model, *step.args)
        return None
    if act == "rollback":
        return _roll_back(told, model, step.args[0])
    if act == "reroute":
        told.services.routes.delete(told.admin, told.routes[step.args[0]])
        told.route(step.args[0])
        model.reroute(step.args[0])
        return None
    return _read(told, step)


def _put(told: Told, place: str, document: dict[str, Any], held: bool) -> None:
    name, jobs = document["name"], told.services.jobs
    if held:
        jobs.update(told.scopes[place], name, document)
    else:
        jobs.create(told.scopes[place], document)
    told.audit = [_line(told, "job.update" if held else "job.create", name)]


def _line(told: Told, action: str, name: str) -> Line:
    return (told.admin.actor.name, action, "job", name)


def _promote(told: Told, model: Model, route: str, on_drift: str | None, propagate: bool) -> None:
    services, name = told.services, told.routes[route]
    overrides: dict[str, Any] = {} if on_drift is None else {"onDrift": on_drift}
    if propagate:
        overrides["propagateDeletes"] = True
    drift = on_drift or "TAKE_PACKAGE"
    snapshot = model.tick()
    expected = model.outcome(route, drift)
    note(f"predicted: {expected}")
    planned = services.route_plans.plan(told.admin, name, overrides)
    if planned.plan is None:
        event("promote: nothing changed")
        assert expected.package is not True, "a package was due"
        return
    assert expected.package is not False, "nothing changed, yet a package"
    applied = services.route_plans.apply(told.admin, name, planned.plan.plan_id)
    services.imports.run(applied.prepared)
    target = told.scopes[ROUTES[route][1]]
    task = services.tasks.show(target, applied.task_id)
    note(f"promotion {route}: {task.status} {task.message}")
    event(f"promote: {task.status}")
    assert (task.status not in DONE) == expected.fails, task.message
    model.promote(route, (drift, propagate), applied.task_id, task.status in DONE, snapshot)


def _roll_back(told: Told, model: Model, route: str) -> str | None:
    """Roll back the route's newest promotion that wrote something (none: nothing to do); the
    code it was refused with, as the model predicts."""
    done = model.newest(route)
    if done is None:
        return None
    predicted = model.roll_back(route)
    event(f"rollback: {predicted or 'taken'}")
    answered = _refusal(
        lambda: told.services.rollback.rollback(told.scopes[ROUTES[route][1]], done.task)
    )
    assert answered == predicted, "rollback: refused otherwise than the docs say"
    return answered


def _refusal(call: Callable[[], object]) -> str | None:
    """The code ``call`` is refused with (``None``: it answered)."""
    try:
        call()
    except JobferryError as exc:
        note(f"refused: {exc.message}")
        return exc.code
    return None


def _read(told: Told, step: Step) -> str | None:
    """A read that is refused: the code, checked against the one the docs say."""
    services, expected = told.services, {"unknown": NO_JOB, "history": NO_ROUTE}
    if step.act == "unknown":
        code = _refusal(lambda: services.jobs.provenance(told.scopes[step.args[0]], "nope"))
    elif step.act == "history":
        route, limit, offset = step.args
        page = services.promotions.history(told.admin, told.routes[route], limit, offset)
        assert _listed(page) == _history(told, route)[offset : offset + limit]
        code = _refusal(
            lambda: services.promotions.history(told.admin, f"{told.routes[route]}_none")
        )
    else:  # another route's promotion recorded on this one
        route, expected["record"] = step.args[0], INVALID
        other = next(r for r in ROUTES if r != route)
        theirs = services.promotions.history(told.admin, told.routes[other])
        if not theirs or theirs[0].task_id is None:
            return None
        item, task = theirs[0].id, theirs[0].task_id
        code = _refusal(
            lambda: services.promotions.record(told.admin, told.routes[route], item, task)
        )
    assert code == expected[step.act], step
    return code


def _listed(promotions: Any) -> list[tuple[str | None, bool, bool]]:
    return [(p.task_id, p.applied, p.rolled_back_at is not None) for p in promotions]


def _history(told: Told, route: str) -> list[tuple[str | None, bool, bool]]:
    return _listed(told.services.promotions.history(told.admin, told.routes[route]))


def _check(told: Told, model: Model, places: Iterable[str], routes: Iterable[str]) -> None:
    """Each of ``places`` holds the jobs the model says, each with its provenance, and its
    drift names those that drifted; each of ``routes``' history lists its promotions."""
    for place in places:
        held, found = model.places[place], told.held(place)
        assert sorted(found) == sorted(held.jobs), place
        for name, job in held.jobs.items():
            uid, described = found[name]
            assert told.uids.setdefault(job.key, uid) == uid, (place, name)
            assert described == f"look {job.look}", (place, name)
            _check_provenance(told, model, place, name)
        _check_drift(told, model, place)
    for route in routes:
        promotions = model.promotions[route]
        said = [(p.task, p.ok and not p.rolled_back, p.rolled_back) for p in promotions[::-1]]
        assert _history(told, route) == said, route
        assert told.services.promotions.listed(told.admin, told.routes[route]) == len(said)


def _touched(step: Step) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The workspaces and routes ``step`` may change (a job's provenance and drift, a route's
    history, change only with its own workspace's and route's steps)."""
    if step.act in ("job", "copy", "delete"):
        return (step.args[0],), ()
    if step.act == "rename":
        return ("dev",), ()
    if step.act in ("promote", "rollback", "reroute"):
        return (ROUTES[step.args[0]][1],), (step.args[0],)
    return (), ()


def _check_drift(told: Told, model: Model, place: str) -> None:
    """The workspace's drift names the jobs whose provenance says they drifted, and those an
    import wrote that it deleted since, as the newest ledger row of each names it."""
    held = model.places[place]
    report = told.services.drift.report(told.scopes[place])
    newest: dict[int, Any] = {}
    for row in sorted(held.ledger.values(), key=lambda r: r.serial):
        newest[row.target_key] = row
    keys = {job.key: name for name, job in held.jobs.items()}
    drifted = {
        (keys[k], False)
        for k, r in newest.items()
        if k in keys and held.jobs[keys[k]].look != r.written
    }
    gone = {(r.source_name, True) for k, r in newest.items() if k not in keys}
    said = {(d.name, d.deleted) for d in report.objects if d.kind == "job"}
    assert said == drifted | gone, place


def _check_provenance(told: Told, model: Model, place: str, name: str) -> None:
    scope, jobs = told.scopes[place], told.services.jobs
    found = jobs.provenance(scope, name)
    assert jobs.show(scope, name, provenance=True).provenance == found
    assert jobs.show(scope, name).provenance is None
    row = model.places[place].origin(name)
    if row is None:
        assert found is None, (place, name)
        return
    assert found is not None, (place, name)
    source = row.source
    said = (
        found.source_workspace_id,
        found.source_workspace,
        found.source_name,
        found.source_uid,
        found.import_task_id,
        found.route,
        found.rolled_back,
        found.drifted,
    )
    assert said == (
        told.scopes[source].workspace.id,
        told.names[source],
        row.source_name,
        told.uids[row.source_key],
        row.task,
        told.routes[row.route] if row.route is not None else None,
        False,
        model.places[place].jobs[name].look != row.written,
    ), (place, name)
    assert found.imported_by == told.admin.actor.name


@GENERATED
@given(story=provenance_stories())
@example(story=a_chain())
@example(story=a_renamed_drift())
def test_provenance_and_route_history_keep_their_promises(
    services: Services, story: tuple[Step, ...]
) -> None:
    note(repr(story))
    told, model = Told(services), Model()
    for step in story:
        before = last_entry(services)
        refused = _take(told, model, step)
        if refused is not None:
            assert entries_since(services, before) == [], step
        elif told.audit is not None:
            assert entries_since(services, before) == told.audit, step
        _check(told, model, *_touched(step))
    _check(told, model, PLACES, ROUTES)
