"""Generated stories of the command line's ``jobs`` and ``scripts`` commands
(``support/cli_job_stories.py``): a person holding a role in the context's workspace (admin,
developer, operator or viewer) and a role, or none, in another runs ``jobferry jobs
list|show|start|stop|rename|delete`` and ``scripts delete`` in-process against the shared
``jobferry serve``, on the context's workspace or on the other one named with ``-w`` (by its
name or its id). After every step, whatever the story, the commands keep the promises of
docs/cli.md and docs/api.md (``support/cli_job_model.py`` says them):

- each step exits as documented (0; 1 for a refusal of the server, with its DataArts code, and
  a question declined; 2 for a usage error, a deletion with no terminal to ask on and no
  ``--yes``, or a workspace name that is none of the person's);
- ``--json`` prints exactly one JSON document on standard output; told for a person, an answer
  goes to standard output and nothing to standard error (but a deletion's question), a refusal
  to standard error alone, as ``error CODE: …``, naming the object and the command that fixes
  it, never an API call or a wire field; a fix names the other workspace with ``-w``, as the
  step named it, and the context's own with none;
- what a command says it did is what the server holds, in the workspace it says, and a refused
  command changed nothing in either workspace (their jobs, status, dependencies and scripts,
  read back with signed calls).
"""

from __future__ import annotations

import json
import re
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event, example, given, note
from typer.testing import Result

from jobferry.cli import terminal
from support.builders import make_script
from support.cli import Cli, Remote, member, register, write_config
from support.cli_command_model import Job, Outcome, json_answer, refusal_told
from support.cli_command_stories import JOBS, Seed, Step, job_body
from support.cli_job_model import Jobs, Place
from support.cli_job_stories import (
    DRAFT,
    LOCKED_JOB,
    LOCKED_TAG,
    SCHEDULED_AT_HOME_NO_ROLE_AWAY,
    TAGS,
    VIEWER_HERE_DEVELOPER_THERE,
    job_stories,
)
from support.import_stories import generated
from support.server import ServerProcess

pytestmark = [pytest.mark.fuzz]
GENERATED = generated(10)

"""Stories a test tells (JOBFERRY_FUZZ_EXAMPLES=30 and a ``--hypothesis-seed`` for a longer
run)."""
Story = tuple[str, str | None, Seed, bool, tuple[Step, ...]]


@dataclass
class Told:
    """A story's two workspaces, the person's CLI, and the model of what they hold."""

    remote: Remote
    person: Cli
    ids: dict[str, str]
    """``home`` and ``away`` → the workspace's id."""
    away_name: str
    model: Jobs

    def get(self, path: str, query: str, where: str) -> Any:
        """A signed read of the API in ``where``'s workspace, answered 200."""
        return self.remote.server.read(path, query, self.ids[where])

    def named(self, where: str) -> str | None:
        """How a step names its workspace with ``-w`` (``None``: the context's)."""
        return {"home": None, "id": self.ids["away"]}.get(where, self.away_name)


def _seed(remote: Remote, workspace: str, seed: Seed) -> Place:
    """``seed``'s scripts and jobs (tagged as ``TAGS`` says) in ``workspace``."""
    model = seed.model()
    register(remote, workspace, "dws_conn")
    for script in sorted(model.scripts):
        answer = remote.call("POST", "/scripts", make_script(script), workspace=workspace)
        assert answer.status_code == 204, answer.text
    for name in JOBS:
        body = job_body(name, model.jobs[name])
        if name in TAGS:
            body["basicConfig"] = {"tags": sorted(TAGS[name])}
        answer = remote.call("POST", "/jobs", body, workspace=workspace)
        assert answer.status_code == 204, answer.text
    for name in sorted(seed.scheduled):
        answer = remote.call("POST", f"/jobs/{name}/start", {}, workspace=workspace)
        assert answer.status_code == 204, answer.text
    model.jobs[DRAFT] = Job(False, None, (), ())
    draft = {**job_body(DRAFT, model.jobs[DRAFT]), "targetStatus": "SAVED"}
    answer = remote.call("POST", "/jobs", draft, workspace=workspace)
    assert answer.status_code == 204, answer.text
    return Place(model, None, dict(TAGS), drafts={DRAFT})


def _guard(admin: Cli, workspace: str, place: Place) -> None:
    """The hard lock policy, ``LOCKED_JOB`` locked by the server's admin, ``LOCKED_TAG``
    locked."""
    hard = admin("workspaces", "settings", workspace, "--lock-policy", "hard")
    assert hard.exit_code == 0, hard.output
    locked = admin.remote.call("POST", f"/locks/job/{LOCKED_JOB}", {}, workspace=workspace)
    assert locked.status_code == 200, locked.text
    frozen = admin.remote.call("PUT", f"/tags/{LOCKED_TAG}", {"locked": True}, workspace=workspace)
    assert frozen.status_code == 200, frozen.text
    place.locked, place.frozen = {LOCKED_JOB}, frozenset({LOCKED_TAG})


def _told(server: ServerProcess, folder: Path, story: Story) -> Told:
    """Both workspaces seeded (and guarded), and the person holding the story's roles in
    them."""
    role, away_role, seed, guarded, _ = story
    remote = Remote(server)
    home, away = remote.new_workspace("jobcmd"), remote.new_workspace("jobaway")
    places = {"home": _seed(remote, home, seed), "away": _seed(remote, away, seed)}
    places["home"].role, places["away"].role = role, away_role
    admin = Cli(server, remote, home, write_config(folder / "a.toml", server, home), folder)
    if guarded:
        _guard(admin, home, places["home"])
        _guard(admin, away, places["away"])
    elsewhere = {away: away_role} if away_role else {}
    person = member(admin, role, folder / "person.toml", elsewhere)
    ids = {"home": home, "away": away}
    return Told(remote, person, ids, remote.workspace_name(away), Jobs(places))


def _line(step: Step) -> list[str]:
    """The command line of ``step`` (without ``-w``)."""
    act, (_, mode, *args) = step.act, step.args
    if act == "list":
        text, tags, kind = args
        line = ["jobs", "list", "--type", kind, *(["--name", text] if text else [])]
        return line + (["--tags", ",".join(tags)] if tags else [])
    if act == "show":
        name, version = args
        chosen = {None: [], "submitted": ["--submitted"]}.get(version, ["--version", "1"])
        both = ["--submitted"] if version == "both" else []
        if isinstance(version, int):
            chosen = ["--version", str(version)]
        return ["jobs", "show", name, *chosen, *both]
    if act in ("delete", "delete-script"):
        group = "jobs" if act == "delete" else "scripts"
        return [group, "delete", args[0], *(["--yes"] if mode == "yes" else [])]
    return ["jobs", act, *args]


def _take(told: Told, step: Step) -> tuple[Outcome, Result]:
    """Run ``step`` as the person; what the model predicts and what the command did."""
    where, mode, *args = step.args
    predicted = told.model.predict(step.act, where, tuple(args), mode)
    named = told.named(where)
    after = ["-w", named] if named and where != "root" else []
    line = [*_line(step), *after, *(["--json"] if step.json else [])]
    root = named if where == "root" else None
    if not mode.startswith("asked"):
        return predicted, told.person(*line, workspace=root)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(terminal, "stdin_is_terminal", lambda: True)
        answer = "y\n" if mode == "asked-yes" else "n\n"
        return predicted, told.person(*line, workspace=root, input=answer)


def _asked(step: Step) -> bool:
    return str(step.args[1]).startswith("asked")


def _stdout(step: Step, result: Result) -> str:
    """Standard output, less the answer typed at the question (the test runner echoes it)."""
    out = result.stdout
    return out.lstrip().removeprefix(step.args[1][6]).removeprefix("\n") if _asked(step) else out


def _check_answer(told: Told, step: Step, predicted: Outcome, result: Result) -> Any:
    """The step exits as predicted and says it where docs/cli.md puts it; ``--json``'s
    document, or None."""
    out, err = _stdout(step, result), result.stderr
    said = (step, out, err)
    assert result.exit_code == predicted.exit_code, said
    if step.json:
        return json_answer(result.stdout, predicted, said)
    if _asked(step) and predicted.exit_code != 2:  # the question, naming the object
        question, err = err.split(" [y/N]:", 1)
        kind = "job" if step.act == "delete" else "script"
        assert question.startswith(f"Delete {kind} '{step.args[2]}' from workspace "), said
        assert f" at {told.person.server.url}?" in question, said
        err = err.lstrip(" ")
    if not predicted.codes:
        assert err == "", said
        assert out.strip(), said
        return None
    assert out == "", said
    refusal_told(err, predicted, said)
    _check_fix_names(told, step, err)
    return None


def _check_fix_names(told: Told, step: Step, err: str) -> None:
    """A ``jobferry jobs …`` or ``jobferry scripts …`` fix acts where the refusal was: ``-w``
    as the step named the other workspace, none on the context's own."""
    flat = " ".join(err.split())
    fixes = re.findall(r"jobferry (?:jobs|scripts) [^,;—]*", flat)
    named = told.named(step.args[0])
    for fix in fixes:
        words = fix.rstrip(". ").split()
        assert ("-w" in words) == (named is not None), (step, flat)
        if named is not None:
            assert words[words.index("-w") + 1] == named, (step, flat)


def _check_said(told: Told, step: Step, body: Any, out: str) -> None:
    """What a command that worked says it did, or shows, is what the workspace holds."""
    where, mode, *args = step.args
    place = told.model.places["home" if where == "home" else "away"]
    act = step.act
    if act == "list":
        text, tags, kind = args
        listed = place.listed(text, tags, kind == "real-time")
        if body is not None:
            assert [j["name"] for j in body["jobs"]] == listed, body
            assert body["total"] == len(listed), body
        else:
            rows = [re.split(r"\s*│\s*", line.strip()) for line in out.splitlines() if "│" in line]
            assert [row[0] for row in rows] == listed, out
            assert out.splitlines()[-1] == f"{len(listed)} job(s)", out
    elif act == "show":
        if body is not None:
            assert body["name"] == args[0], body
        else:
            assert re.search(rf"^name:\s+{re.escape(args[0])}$", out, re.M), out
    elif mode == "asked-no":
        assert out.strip() == "Cancelled; nothing was deleted.", out
    elif body is not None:
        for name in args:
            assert name in json.dumps(body, ensure_ascii=False), body
    else:
        for name in args:
            assert f"'{name}'" in out, out
        if act == "rename":  # a job given its own name is not said to be renamed
            assert ("nothing changed" in out) == (args[0] == args[1]), out
        assert f"({told.ids['home' if where == 'home' else 'away']})" in out, out


def _check_held(told: Told) -> None:
    """Both workspaces hold what the model says, read back through the API."""
    for where, place in told.model.places.items():
        model = place.model
        for kind, realtime in (("BATCH", False), ("REAL_TIME", True)):
            answer = told.get("/jobs", f"jobType={kind}&limit=100", where)
            listed = [(j["name"], j["status"]) for j in answer["jobs"]]
            assert listed == model.listed(None, realtime), where
        for name, job in model.jobs.items():
            read = told.get(f"/jobs/{name}", "", where)
            cron = (read.get("schedule") or {}).get("cron") or {}
            depends = (cron.get("dependJobs") or {}).get("jobs") or []
            assert depends == list(job.upstream), (where, name)
            tags = (read.get("basicConfig") or {}).get("tags") or []
            assert set(tags) == place.tags.get(name, frozenset()), (where, name)
        scripts = told.get("/scripts", "limit=100", where)["scripts"]
        assert sorted(s["name"] for s in scripts) == sorted(model.scripts), where


@GENERATED
@given(story=job_stories())
@example(story=VIEWER_HERE_DEVELOPER_THERE)
@example(story=SCHEDULED_AT_HOME_NO_ROLE_AWAY)
def test_job_and_script_commands_keep_their_promises(server: ServerProcess, story: Story) -> None:
    note(repr(story))
    with tempfile.TemporaryDirectory(prefix=f"jobs{uuid.uuid4().hex[:6]}") as where:
        told = _told(server, Path(where), story)
        for step in story[4]:
            predicted, result = _take(told, step)
            event(f"{step.act}: exit {predicted.exit_code}")
            body = _check_answer(told, step, predicted, result)
            if not predicted.codes:
                _check_said(told, step, body, _stdout(step, result))
            _check_held(told)
