"""Generated stories of the command line's route commands and ``jobferry promote``
(``support/cli_route_stories.py``): a project admin and dana (a developer of dev, a viewer of
prod), each with a CLI of their own, run ``jobferry routes create|edit|show|list|versions|
history|delete`` and ``jobferry promote ROUTE`` in-process against the shared ``jobferry
serve``, between changes made in dev through signed calls. After every step, whatever the
story, the commands keep the promises of docs/cli.md (``support/cli_route_model.py`` says
them):

- each step exits as documented (0; 4 changes pending for a plan; 1 a refusal of the server,
  with its DataArts code; 2 a usage error: a route that exists created again, ``--apply``
  with no terminal to confirm on and no ``--yes``);
- ``--json`` prints exactly one JSON document on standard output, the answer or
  ``{"error": {"code", …}}``; told for a person, an answer goes to standard output (with only
  the warnings of this run's overrides on standard error), a refusal to standard error alone,
  as ``error CODE: …``, naming the object and the command that fixes it, never an API call or
  a wire field;
- a refused command changed nothing (the routes, prod's jobs and scripts, the history, read
  back through the API), and what a command says it did is what the server holds: the plan
  ``promote`` shows is the one the model predicts, after ``promote --apply`` prod holds dev's
  jobs as the model says, and ``routes history`` lists each promotion imported, newest first.
"""

from __future__ import annotations

import re
import tempfile
import uuid
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event, example, given, note
from typer.testing import Result

from support.cli_command_model import json_answer
from support.cli_releases import table_cell
from support.cli_route_model import OK, USAGE, Outcome, Planned, Settings
from support.cli_route_stories import (
    A_HOT_FIX,
    A_PLAN_OVERTAKEN,
    A_WHOLE_ROUTE,
    ROUTE_MADE_AGAIN,
    Step,
    route_stories,
)
from support.cli_route_told import Told
from support.import_stories import generated
from support.server import ServerProcess
from test_wording import api_terms

pytestmark = [pytest.mark.fuzz, pytest.mark.databases("sqlite", "postgresql")]
GENERATED = generated(6)
"""Stories a test tells on each database (JOBFERRY_FUZZ_EXAMPLES=150 and a
``--hypothesis-seed`` for a longer run)."""
DEV_CHANGES = ("new", "change", "drop", "hotfix")
ABOUT_THE_RUN = re.compile(r"warning this run: |Importing: task [0-9a-f]+ is running ")
"""What a command told for a person says on standard error beside its answer: the overrides
of this run, and an import followed that is still running after its first look."""
PLAN_ROW = re.compile(r"^(CREATE|OVERWRITE|SKIP|UNCHANGED|DELETE)\s*│\s*(\w+)\s*│\s*(\S+)", re.M)


def _take(told: Told, step: Step) -> tuple[Outcome, Planned | None, Result]:
    """Run ``step``'s command as its person: what the model predicts (and, for ``promote``,
    the plan it predicts) and what the command did."""
    model, act, args = told.model, step.act, step.args
    admin = step.who == "admin"
    if act == "create":
        return (
            model.create(told.route, admin, *args),
            None,
            told.run(step, *told.create_args(*args)),
        )
    if act == "list":
        return OK, None, told.run(step, "routes", "list")
    if act == "kept":
        assert model.kept is not None
        apply, yes = args
        options = [*(["--apply"] if apply else []), *(["--yes"] if yes else [])]
        predicted, planned = model.promote_kept(apply, yes)
        result = told.run(step, "promote", told.route, "--plan", model.kept.plan_id, *options)
        return predicted, planned, result
    name = told.names[args[0]]
    if act == "edit":
        changes = Settings(*args[1:])
        named = _options(changes) or ["--description", f"step {uuid.uuid4().hex[:4]}"]
        predicted = model.edit(name, admin, changes) if name == told.route else None
        result = told.run(step, "routes", "edit", name, *named)
        return predicted or model.missing(name), None, result
    if act == "show":
        version = args[1]
        chosen = ["--version", str(version)] if version is not None else []
        predicted = model.read(name, version) if name == told.route else model.missing(name)
        return predicted, None, told.run(step, "routes", "show", name, *chosen)
    if act in ("versions", "history"):
        predicted = model.read(name) if name == told.route else model.missing(name)
        return predicted, None, told.run(step, "routes", act, name)
    if act == "delete":
        predicted = model.delete(name, admin, name == told.route)
        return predicted, None, told.run(step, "routes", "delete", name)
    _, apply, yes = args[:3]
    overrides = Settings(*args[3:])
    options = [*(["--apply"] if apply else []), *(["--yes"] if yes else []), *_options(overrides)]
    if name == told.route:
        predicted, planned = model.promote(name, admin, apply, yes, overrides)
    else:
        predicted = model.missing(name) if not apply or yes else Outcome(2, frozenset({USAGE}))
        planned = None
    return predicted, planned, told.run(step, "promote", name, *options)


def _options(settings: Settings) -> list[str]:
    """The options that name ``settings``."""
    named = ["--policy", settings.policy] if settings.policy else []
    if settings.propagate is not None:
        named.append("--propagate-deletes" if settings.propagate else "--keep-deletes")
    return named + (["--on-drift", settings.on_drift] if settings.on_drift else [])


def _check_answer(step: Step, predicted: Outcome, result: Result) -> Any:
    """The step exits as predicted and says it where docs/cli.md puts it; ``--json``'s
    document, or None."""
    said = (step, result.exit_code, result.stdout, result.stderr)
    assert result.exit_code == predicted.exit_code, said
    if step.json:
        return json_answer(result.stdout, predicted, said)
    if not predicted.codes:
        warned = [line for line in result.stderr.splitlines() if line.strip()]
        assert all(ABOUT_THE_RUN.match(line) for line in warned), said
        assert step.act in ("promote", "kept") or not warned, said
        assert result.stdout.strip(), said
        return None
    assert result.stdout.strip() == "", said
    found = re.match(r"error(?: ([\w.]+))?: ", result.stderr)
    assert found, said
    assert (found[1] or USAGE) in predicted.codes, said
    assert not api_terms(result.stderr), said
    flat = " ".join(result.stderr.split())
    for word in predicted.says:
        assert word in flat, (word, said)
    return None


def _check_said(told: Told, step: Step, planned: Planned | None, body: Any, out: str) -> None:
    """What a command that worked says it did, or shows, is what the server holds."""
    route, name = told.model.route, told.route
    act = step.act
    if act in ("create", "edit"):
        assert route is not None
        if body is not None:
            assert (body["name"], body["version"]) == (name, route.version), body
        else:
            assert f"Saved route '{name}' version {route.version}." in out, out
            assert ("Promote along it: " in out) == (act == "create"), out
        _check_settings(route.settings, body, out)
    elif act == "show":
        assert route is not None
        version = step.args[1] or route.version
        if body is not None:
            assert (body["name"], body["version"]) == (name, version), body
        else:
            assert re.search(rf"^route:\s+{name} \(version {version}\)$", out, re.M), out
        if step.args[1] is None:
            _check_settings(route.settings, body, out)
    elif act == "list":
        versions = {name: route.version} if route else {}
        if body is not None:
            mine = {r["name"]: r["version"] for r in body["routes"] if r["name"] == name}
            assert mine == versions, body
        elif route is not None:
            assert table_cell(out, name, 1) == str(route.version), out
    elif act == "versions":
        assert route is not None
        if body is not None:
            listed = [v["version"] for v in body["versions"]]
            assert listed == list(range(route.version, 0, -1)), body
            assert body["versions"][-1]["changed"] == "created", body
        else:
            rows = re.findall(r"^(\d+)\s+│", out, re.M)
            assert rows == [str(v) for v in range(route.version, 0, -1)], out
    elif act == "history":
        _check_history(told, body, out)
    elif act == "delete":
        assert body == {"deleted": name} if body is not None else f"Deleted route '{name}'." in out
    elif act == "kept" and planned is None:  # imported already: said so
        kept = told.model.kept
        assert kept is not None
        if body is not None:
            assert body["importedBefore"] is True, body
        else:
            said = f"Nothing to do: plan {kept.plan_id} of route '{name}' was imported already"
            assert said in " ".join(out.split()), out
    else:
        assert planned is not None
        _check_promoted(step, planned, body, out)


def _check_settings(settings: Settings, body: Any, out: str) -> None:
    """The route's import settings, as the model says it saved them."""
    if body is not None:
        assert body["sameNamePolicy"] == str(settings.policy).upper(), body
        assert body["propagateDeletes"] == settings.propagate, body
        assert body["onDrift"] == str(settings.on_drift).upper().replace("-", "_"), body
        return
    said = {
        "policy": settings.policy,
        "propagate deletes": "yes" if settings.propagate else "no",
        "on-drift": settings.on_drift,
    }
    for field, value in said.items():
        assert re.search(rf"^{field}:\s+{value}$", out, re.M), (field, value, out)


def _check_history(told: Told, body: Any, out: str) -> None:
    """``routes history``: each promotion imported, newest first."""
    route = told.model.route
    assert route is not None
    expected = [p.jobs for p in reversed(route.history)]
    if body is not None:
        assert [p["jobs"] for p in body["promotions"]] == expected, body
        return
    if not expected:
        assert "No promotions." in out, out
        return
    rows = [line for line in out.splitlines() if re.match(r"^\d{4}-\d\d-\d\d ", line)]
    assert len(rows) == len(expected), out


def _check_promoted(step: Step, planned: Planned, body: Any, out: str) -> None:
    """``promote``: the plan shown is the model's, and what it did is said."""
    apply = step.args[0] if step.act == "kept" else step.args[1]
    if planned.lines is None:
        if body is not None:
            assert (body["promotion"], body["plan"]) == (None, None), body
        else:
            assert "Nothing changed in workspace " in out, out
        return
    if body is not None:
        plan = body["plan"]
        shown = sorted((o["action"], o["kind"], o["name"]) for o in plan["objects"])
        left = sorted(d["name"] for d in plan["deletionsNotApplied"])
        imported = body.get("task") is not None
        problems = sorted(p["name"] for p in plan["problems"])
        assert problems == sorted(planned.problems), plan["problems"]
    else:
        shown = sorted(PLAN_ROW.findall(out))
        left = sorted(re.findall(r"^  job '([^']+)': ", out, re.M))
        imported = "Imported." in out
    assert shown == list(planned.lines), (shown, planned, out)
    assert left == list(planned.left_out), (left, planned, out)
    assert imported == planned.imported(apply), (body, out)
    if imported and body is not None:
        assert body["task"]["status"] == "SUCCESSFUL", body["task"]
        assert body["rollback"].endswith(f"rollback {body['taskId']} -w {body['target']['name']}")
    elif imported:
        assert "Roll it back with: " in out, out
    elif body is None and planned.problems:
        assert f"{len(planned.problems)} problem(s); nothing imported." in out, out
    elif body is None and planned.pending and not apply:
        assert "Changes pending" in out, out


def _check_failed(body: Any, out: str) -> None:
    """An import of a kept plan whose target changed since: its task failed, saying so."""
    said = body["task"]["message"] if body is not None else out
    assert "The target changed since plan" in said, said
    assert (body["task"]["status"] if body is not None else out).count("FAILED") >= 1, said


def _kept(told: Told, step: Step, planned: Planned | None, body: Any, out: str) -> None:
    """The id of the plan a ``promote`` showed, which the server keeps for ``--plan``."""
    kept = told.model.kept
    if step.act != "promote" or planned is None or planned.lines is None or kept is None:
        return
    if body is not None:
        kept.plan_id = str(body["plan"]["planId"])
    else:
        found = re.match(r"Plan ([0-9a-f]{32}) ", out)
        assert found, out
        kept.plan_id = found[1]


@GENERATED
@given(story=route_stories())
@example(story=A_WHOLE_ROUTE)
@example(story=ROUTE_MADE_AGAIN)
@example(story=A_HOT_FIX)
@example(story=A_PLAN_OVERTAKEN)
def test_route_commands_keep_their_promises(server: ServerProcess, story: tuple[Step, ...]) -> None:
    note(repr(story))
    with tempfile.TemporaryDirectory(prefix=f"rt{uuid.uuid4().hex[:6]}") as where:
        told = Told(server, Path(where))
        for step in story:
            if step.act in DEV_CHANGES:
                told.change_dev(step)
                continue
            if step.act == "kept" and told.model.kept is None:
                continue  # no plan shown yet
            before = told.whole()
            predicted, planned, result = _take(told, step)
            note(f"{step}: exit {result.exit_code} (predicted {predicted.exit_code})")
            event(f"{step.act}: exit {predicted.exit_code}")
            body = _check_answer(step, predicted, result)
            if predicted.codes:
                assert told.whole() == before, (step, "a refused command changed something")
            elif predicted.failed:
                _check_failed(body, result.stdout)
            else:
                _check_said(told, step, planned, body, result.stdout)
                _kept(told, step, planned, body, result.stdout)
            told.check_held()
