"""Generated stories of the command line's release commands (``support/cli_release_stories.py``):
six people (the workspace's admin, a developer, two deployers, an operator, a viewer), each
with a CLI of their own, run ``jobferry releases pending|create|list|show|plan|deploy|cancel|
rule|approve|approvals|rollback|ledger`` in-process against the shared ``jobferry serve``, on
an enterprise workspace whose jobs were released first. After every step, whatever the story,
the commands keep the promises of docs/cli.md and docs/api.md
(``support/cli_release_model.py`` says them):

- each step exits as documented (0; 1 for a refusal of the server, with its DataArts code; 2
  for a change of production not confirmed with ``--yes`` with no terminal to ask on, or a
  usage error; 3 for a deploy refused because production changed since its plan);
- ``--json`` prints exactly one JSON document on standard output; told for a person, an answer
  goes to standard output and nothing to standard error, a refusal to standard error alone,
  as ``error CODE: …`` in the command line's words, never an API call or a wire field;
- a refused command changed nothing (the packages, the approvals, the ledger, production, the
  pending items, read back through the API), and what a command says it did is what the
  server holds: each package's state, the release ledger, production's jobs and which of them
  run.
"""

from __future__ import annotations

import re
import tempfile
import uuid
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import event, example, given, note
from typer.testing import Result

from support.cli_package_checks import about_the_run
from support.cli_release_model import ANY, ASKED, DENIED, MOVED, Outcome
from support.cli_release_stories import (
    Step,
    a_changed_production,
    a_whole_release,
    release_command_stories,
)
from support.cli_release_told import Told
from support.console_release_model import Package
from support.import_stories import generated
from support.server import ServerProcess
from test_wording import api_terms

pytestmark = [pytest.mark.fuzz]
GENERATED = generated(3)
"""Stories a test tells (JOBFERRY_FUZZ_EXAMPLES=150 and a ``--hypothesis-seed`` for a longer
run)."""
PACKAGE_STEPS = ("deploy", "cancel", "plan", "approve")
"""Steps whose first argument picks a package (a rollback's may be ``--last``)."""


def _pick(told: Told, index: int) -> Package | None:
    packages = told.model.packages
    return packages[index % len(packages)] if packages else None


def _take(told: Told, step: Step) -> tuple[Outcome | None, Result | None]:
    """Run ``step``'s command as its person: what the model predicts and what it did
    (``None``: a step of no command, or a package step before any package)."""
    model, act, args = told.cli_model, step.act, step.args
    if act == "submit":
        told.submit(args[0])
        return None, None
    if act == "toggle":
        told.toggle(args[0])
        return None, None
    if act == "create":
        who, named = args
        approvers = told.approvers(who, named)
        return model.create(who, approvers), told.run(step, who, *told.create_args(approvers))
    if act == "rule":
        who, n = args
        return model.rule(who), told.run(step, who, "releases", "rule", "--require-approvals", n)
    if act in ("pending", "list", "ledger"):
        return Outcome(0), told.run(step, args[1], "releases", act)
    if act == "rollback" and args[0] is None:
        return model.rollback(args[1], None), told.run(step, args[1], *told.rollback_last())
    package = _pick(told, args[0])
    if package is None:
        if act in ("show", "approvals"):
            return model.unknown(), told.run(step, args[1], "releases", act, "999999")
        return None, None
    pid = str(package.id)
    who = args[1]
    if act in ("show", "approvals"):
        return Outcome(0), told.run(step, who, "releases", act, pid)
    if act == "deploy":
        start, yes = args[2], args[3]
        options = [*([] if start else ["--no-start"]), *(["--yes"] if yes else [])]
        return model.deploy(who, package, yes), told.run(
            step, who, "releases", "deploy", pid, *options
        )
    if act == "approve":
        key = str(told.keys[who])
        return model.approve(who, package), told.run(
            step, who, "releases", "approve", pid, "--key", key
        )
    if act == "rollback":
        return model.rollback(who, package), told.run(
            step, who, "releases", "rollback", pid, "--yes"
        )
    assert act in ("cancel", "plan"), act
    predicted = model.cancel(who, package) if act == "cancel" else model.plan(who, package)
    return predicted, told.run(step, who, "releases", act, pid)


def _check_answer(step: Step, predicted: Outcome, result: Result) -> Any:
    """The step exits as predicted and says it where docs/cli.md puts it; ``--json``'s
    document, or None."""
    said = (step, result.exit_code, result.stdout, result.stderr)
    assert result.exit_code == predicted.exit_code, said
    if step.json:
        body = orjson.loads(result.stdout)  # one document, nothing else
        if predicted.refused:
            assert set(body) == {"error"}, said
            if ANY not in predicted.codes:
                assert body["error"]["code"] in predicted.codes, said
        else:
            assert "error" not in body, said
        return body
    # a deploy, rollback or restore task still running at its first look says so on standard
    # error, one line (a loaded machine): docs/cli.md lets a run say that beside its answer
    stderr = about_the_run(result.stderr)
    if not predicted.refused:
        assert stderr == "", said
        assert result.stdout.strip(), said
        return None
    if predicted.codes == {ASKED}:
        assert stderr.strip(), said
        return None
    assert result.stdout == "", said
    found = re.match(r"error ([\w.]+): ", stderr)
    assert found, said
    if ANY not in predicted.codes:
        assert found[1] in predicted.codes, said
    assert not api_terms(stderr), said
    return None


def _took(told: Told, step: Step, body: Any, result: Result) -> None:
    """Tell the model what a command that worked did, and check that what it said it did is
    what the server holds."""
    model, act, args = told.model, step.act, step.args
    out = result.stdout
    if act == "create":
        told.created(step, body, out)
    elif act == "rule":
        model.required = int(args[1])
    elif act == "deploy":
        package = _pick(told, args[0])
        assert package is not None
        if package.state == "released":
            assert (body or {}).get("releasedBefore") or "Nothing to do" in out, out
        else:
            model.released(package, args[2])
            assert body is not None or f"Released package {package.id}" in out, out
    elif act == "approve":
        package = _pick(told, args[0])
        assert package is not None
        package.signed[args[1]] = dict(package.basis)
    elif act == "plan":
        package = _pick(told, args[0])
        assert package is not None
        model.planned(package)
    elif act == "cancel":
        package = _pick(told, args[0])
        assert package is not None
        model.revoked(package)
        said = body["cancelled"] if body is not None else out
        assert str(package.id) in said, said
    elif act == "rollback":
        rolled = told.model.ledger[-1].package
        assert body is not None or str(rolled) in out, out
        told.rolled_back(args[0])
    else:
        told.check_read(step, body, out)


def _check_refusal_names(told: Told, step: Step, predicted: Outcome, result: Result) -> None:
    """A refusal of a command on a package names it (the object; a role's refusal names the
    role instead), and a deploy refused for a production moved since its plan names the command
    that plans it again (docs/cli.md)."""
    if predicted.codes == {ASKED}:
        said = " ".join(result.stdout.split() + result.stderr.split())
        assert "--yes" in said, (step, said)
        return
    package = _pick(told, step.args[0]) if step.act in PACKAGE_STEPS else None
    said = " ".join((result.stdout + result.stderr).split())
    if package is not None and DENIED not in predicted.codes:
        assert str(package.id) in said, (step, said)
    if MOVED in predicted.codes and not step.json:  # --json: the server's answer as it is
        assert f"jobferry releases plan {package.id if package else ''}" in said, (step, said)


@GENERATED
@given(story=release_command_stories())
@example(story=a_whole_release())
@example(story=a_changed_production())
def test_release_commands_keep_their_promises(
    server: ServerProcess, story: tuple[int, tuple[Step, ...]]
) -> None:
    note(repr(story))
    required, steps = story
    with tempfile.TemporaryDirectory(prefix=f"rel{uuid.uuid4().hex[:6]}") as where:
        told = Told(server, Path(where), required)
        for step in steps:
            before = told.whole()
            predicted, result = _take(told, step)
            if predicted is None or result is None:
                told.check_held()
                continue
            note(f"{step}: exit {result.exit_code} (predicted {predicted.exit_code})")
            event(f"{step.act}: exit {predicted.exit_code}")
            body = _check_answer(step, predicted, result)
            if predicted.refused:
                _check_refusal_names(told, step, predicted, result)
                assert told.whole() == before, (step, "a refused command changed something")
            else:
                _took(told, step, body, result)
            told.check_held()
