"""Generated stories of the command line's workspace commands (``support/cli_command_stories.py``):
a user runs ``jobferry jobs list|show|start|stop|rename|delete``, ``scripts delete``, ``export
JOB…`` and ``workspaces list|settings`` in-process against the shared ``jobferry serve``, on a
small workspace the story seeds through signed calls. After every step, whatever the story,
the commands keep the promises of docs/cli.md and docs/api.md (``support/cli_command_model.py``
says them):

- each step exits as documented ("Exit codes": 0; 1 for a refusal of the server, with its
  DataArts code; 2 for a usage error or a workspace name that is none of the caller's);
- ``--json`` prints exactly one JSON document on standard output, the answer or
  ``{"error": {"code", …}}``; told for a person, an answer goes to standard output and
  nothing to standard error, a refusal to standard error alone, as ``error CODE: …``, naming
  the object and the command that fixes it, never an API call or a wire field;
- what a command says it did is what the server now holds, and a refused command changed
  nothing the workspace holds (its jobs, their status and dependencies, its scripts, its lock
  policy, read back through the API); an export writes its one package in the folder it runs
  in (``DLF_<job>.zip``, or ``jobs.zip`` for several), holding the jobs named and the scripts
  they use, and a refused one writes nothing.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event, example, given, note
from typer.testing import Result

from support.builders import make_script
from support.cli import Cli, Remote, register, write_config
from support.cli_command_model import (
    OK,
    Model,
    Outcome,
    told_where_documented,
)
from support.cli_command_stories import (
    JOBS,
    RENAMED_THEN_TAKEN,
    SCHEDULED_EVERYWHERE,
    Seed,
    Step,
    command_stories,
    job_body,
)
from support.import_stories import generated
from support.server import ServerProcess

pytestmark = [pytest.mark.fuzz, pytest.mark.databases("sqlite", "postgresql")]
GENERATED = generated(20)
"""Stories a test tells on each database (JOBFERRY_FUZZ_EXAMPLES=150 and a
``--hypothesis-seed`` for a longer run)."""


@dataclass
class Told:
    """A story's workspace, the CLI configured for it, and the model of what it holds."""

    server: ServerProcess
    cli: Cli
    name: str
    model: Model
    folder: Path
    exports: list[Path] = field(default_factory=list)

    @property
    def workspace(self) -> str:
        return self.cli.workspace

    def get(self, path: str, query: str = "", *, scoped: bool = True) -> Any:
        """A signed read of the API (``path`` under /v1/{project_id}) answered 200."""
        return self.server.read(path, query, self.workspace if scoped else None)


def _seeded(server: ServerProcess, remote: Remote, folder: Path, seed: Seed) -> Told:
    """A new workspace holding what ``seed`` says, and the CLI's context for it."""
    workspace = remote.new_workspace("cmd", "dws_conn")
    register(remote, workspace)
    model = seed.model()
    for script in sorted(model.scripts):
        answer = remote.call("POST", "/scripts", make_script(script), workspace=workspace)
        assert answer.status_code == 204, answer.text
    for name in JOBS:
        answer = remote.call("POST", "/jobs", job_body(name, model.jobs[name]), workspace=workspace)
        assert answer.status_code == 204, answer.text
    for name in sorted(seed.scheduled):
        answer = remote.call("POST", f"/jobs/{name}/start", {}, workspace=workspace)
        assert answer.status_code == 204, answer.text
    config = write_config(folder / "config.toml", server, workspace)
    cli = Cli(server, remote, workspace, config, folder)
    return Told(server, cli, remote.workspace_name(workspace), model, folder)


def _run(told: Told, step: Step, *args: str) -> Result:
    return told.cli(*args, *(["--json"] if step.json else []))


def _take(told: Told, step: Step) -> tuple[Outcome, Result]:
    """Run ``step``'s command; what the model predicts and what the command did."""
    model, act, args = told.model, step.act, step.args
    if act == "list":
        text, kind = args
        named = ["--name", text] if text is not None else []
        return OK, _run(told, step, "jobs", "list", *named, "--type", kind)
    if act == "show":
        name, version = args
        options = {None: [], "submitted": ["--submitted"], "both": ["--version", "1"]}
        chosen = options.get(version, ["--version", str(version)])
        if version == "both":
            chosen.append("--submitted")
        number = 1 if version == "both" else version if isinstance(version, int) else None
        predicted = model.show(name, number, version in ("submitted", "both"))
        return predicted, _run(told, step, "jobs", "show", name, *chosen)
    if act in ("start", "stop"):
        return model.schedule(args[0], act == "start"), _run(told, step, "jobs", act, args[0])
    if act == "rename":
        return model.rename(*args), _run(told, step, "jobs", "rename", *args)
    if act == "delete":
        return model.delete_job(args[0]), _run(told, step, "jobs", "delete", args[0], "--yes")
    if act == "delete-script":
        result = _run(told, step, "scripts", "delete", args[0], "--yes")
        return model.delete_script(args[0]), result
    if act == "export":
        return model.export(args), _export(told, step)
    if act == "workspaces":  # wide: the shared server may hold workspaces of 128-character
        # names (other tests'), whose table a pipe's 240 columns fold, row by row
        flags = ["--json"] if step.json else []
        return OK, told.cli("workspaces", "list", *flags, env={"COLUMNS": "1000"})
    where, policy = args
    named = {None: [], "name": [told.name], "id": [told.workspace]}.get(where, ["no_such_ws"])
    chosen = ["--lock-policy", policy] if policy is not None else []
    predicted = model.settings(where != "unknown", policy)
    return predicted, _run(told, step, "workspaces", "settings", *named, *chosen)


def _export(told: Told, step: Step) -> Result:
    """``export JOB…`` run in a folder of its own (the package goes where the user is)."""
    folder = told.folder / f"export_{len(told.exports)}"
    folder.mkdir()
    told.exports.append(folder)
    before = Path.cwd()
    os.chdir(folder)
    try:
        return _run(told, step, "export", *step.args)
    finally:
        os.chdir(before)


def _check_answer(step: Step, predicted: Outcome, result: Result) -> Any:
    """The step exits as predicted and says it where docs/cli.md puts it; ``--json``'s
    document, or None."""
    said = (step, result.stdout, result.stderr)
    assert result.exit_code == predicted.exit_code, said
    return told_where_documented(result.stdout, result.stderr, predicted, step.json, said)


def _check_said(told: Told, step: Step, body: Any, result: Result) -> None:
    """What a command that worked says it did, or shows, is what the workspace holds."""
    model, act, args = told.model, step.act, step.args
    out = result.stdout
    if act == "list":
        listed = model.listed(args[0], args[1] == "real-time")
        if body is not None:
            assert [(j["name"], j["status"]) for j in body["jobs"]] == listed, body
            assert body["total"] == len(listed), body
        else:
            rows = [re.split(r"\s*│\s*", line.strip()) for line in out.splitlines() if "│" in line]
            assert [(row[0], row[1]) for row in rows] == listed, out
            assert out.splitlines()[-1] == f"{len(listed)} job(s)", out
    elif act == "show":
        _check_shown(told, step, body, out)
    elif act in ("start", "stop", "rename", "delete", "delete-script"):
        for name in args:
            assert name in (json.dumps(body, ensure_ascii=False) if body is not None else out)
    elif act == "export":
        _check_exported(told, step, body)
    elif act == "workspaces":
        if body is not None:
            found = [w for w in body["workspaces"] if w["id"] == told.workspace]
            assert [w["name"] for w in found] == [told.name], body
        else:
            lines = [line for line in out.splitlines() if told.workspace in line]
            assert len(lines) == 1, out
            assert told.name in lines[0], out
    elif act == "settings":
        if body is not None:
            assert (body["id"], body["lockPolicy"]) == (told.workspace, model.lock_policy), body
        else:
            assert re.search(rf"^lock policy:\s+{model.lock_policy}$", out, re.M), out
            saved = f"Saved the settings of workspace '{told.name}'."
            assert (saved in out) == (args[1] is not None), out


def _check_shown(told: Told, step: Step, body: Any, out: str) -> None:
    """``jobs show``: the job under its name now, the draft's dependencies or the submitted
    version's."""
    name, version = step.args
    job = told.model.jobs[name]
    if body is None:
        assert re.search(rf"^name:\s+{re.escape(name)}$", out, re.M), out
        return
    assert body["name"] == name, body
    upstream = job.upstream if version is None else job.submitted
    assert _depends(body) == list(upstream), body


def _depends(document: dict[str, Any]) -> list[str]:
    cron = (document.get("schedule") or {}).get("cron") or {}
    return list((cron.get("dependJobs") or {}).get("jobs") or [])


def _check_exported(told: Told, step: Step, body: Any) -> None:
    """The package is the one file of the export's folder, named as docs/cli.md says, and
    holds the jobs named and the scripts they use."""
    names = step.args
    folder = told.exports[-1]
    expected = f"DLF_{names[0]}.zip" if len(names) == 1 else "jobs.zip"
    assert [p.name for p in folder.iterdir()] == [expected], list(folder.iterdir())
    with zipfile.ZipFile(folder / expected) as package:
        paths = package.namelist()
    jobs = sorted(Path(p).stem for p in paths if p.endswith(".job"))
    scripts = {Path(p).stem for p in paths if p.endswith(".script")}
    assert jobs == sorted(names), paths
    assert scripts == told.model.exported_scripts(names), paths
    if body is not None:
        assert body["jobCount"] == len(names), body
        assert Path(body["file"]).name == expected, body


def _check_held(told: Told) -> None:
    """The workspace holds what the model says, read back through the API."""
    model = told.model
    for kind, realtime in (("BATCH", False), ("REAL_TIME", True)):
        answer = told.get("/jobs", f"jobType={kind}&limit=100")
        assert [(j["name"], j["status"]) for j in answer["jobs"]] == model.listed(None, realtime)
    for name, job in model.jobs.items():
        assert _depends(told.get(f"/jobs/{name}")) == list(job.upstream), name
    scripts = told.get("/scripts", "limit=100")["scripts"]
    assert sorted(s["name"] for s in scripts) == sorted(model.scripts)
    listed = told.get("/workspaces", scoped=False)["workspaces"]
    held = [w["lockPolicy"] for w in listed if w["id"] == told.workspace]
    assert held == [model.lock_policy]


@GENERATED
@given(story=command_stories())
@example(story=RENAMED_THEN_TAKEN)
@example(story=SCHEDULED_EVERYWHERE)
def test_workspace_commands_keep_their_promises(
    server: ServerProcess, story: tuple[Seed, tuple[Step, ...]]
) -> None:
    note(repr(story))
    seed, steps = story
    with tempfile.TemporaryDirectory(prefix=f"cmd{uuid.uuid4().hex[:6]}") as where:
        told = _seeded(server, Remote(server), Path(where), seed)
        for step in steps:
            predicted, result = _take(told, step)
            event(f"{step.act}: exit {predicted.exit_code}")
            body = _check_answer(step, predicted, result)
            if not predicted.codes:
                _check_said(told, step, body, result)
            elif step.act == "export":
                assert list(told.exports[-1].iterdir()) == [], step
            _check_held(told)
