"""Generated stories of the command line's package round trip
(``support/cli_package_stories.py``): a user runs, in any order, ``jobferry export`` from a
``src`` workspace, ``plan PKG -w dst`` and ``import PKG -w dst`` (with ``--yes``, or without it
and no terminal) with the policies the CLI offers, ``rollback`` of an earlier import, ``tasks
list|show`` and ``downloads list``, in-process against the shared ``jobferry serve``, while
jobs are edited, started and stopped in either workspace through signed calls. After every
step, whatever the story, the commands keep the promises of docs/cli.md and docs/api.md
(``support/cli_package_model.py`` says them):

- each step exits as documented (plan: 0 nothing pending, 4 changes pending, 3 problems;
  import and rollback: 0, 1 for a refusal with its DataArts code, 2 with no terminal to ask,
  3 for an import the check refuses);
- ``--json`` prints exactly one JSON document on standard output; told for a person, an
  answer goes to standard output and nothing to standard error, a refusal to standard error
  alone, as ``error CODE: …``, naming the object, never an API call or a wire field;
- the plan's actions, object by object, are what the model predicts, and the import does
  them: ``dst``'s jobs and scripts, read back through signed calls, are what the model holds;
  a refused import or rollback changed nothing, and a rollback gives back the state before
  its import;
- ``tasks list`` shows each import the story ran, newest first, and the rollbacks; ``tasks
  show`` says whether an import was rolled back; ``downloads list`` holds each export made
  through the download center.
"""

from __future__ import annotations

import itertools
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
from support.cli import Cli, Remote, write_config
from support.cli_command_model import OK, USAGE, Outcome, refusal_told, refused
from support.cli_package_checks import about_the_run, check_plan, check_verdict
from support.cli_package_model import (
    UNKNOWN_TASK,
    Imported,
    Model,
    Package,
    Planned,
    plan_outcome,
)
from support.cli_package_stories import (
    DRIFTED,
    JOBS,
    ROUND_TRIP,
    Seed,
    Step,
    job_body,
    package_stories,
)
from support.import_stories import generated
from support.server import ServerProcess

pytestmark = [pytest.mark.fuzz, pytest.mark.databases("sqlite", "postgresql")]
GENERATED = generated(12)
"""Stories a test tells on each database (JOBFERRY_FUZZ_EXAMPLES=60 and a
``--hypothesis-seed`` for a longer run)."""
_descs = itertools.count(1)
PROFILE = "map.yaml"
"""The profile a plan or an import may map with (``--profile-map``): ``ssh_conn`` to
``dws_conn``, which ``dst`` has."""


@dataclass
class Told:
    """A story's two workspaces, the CLI configured for ``src``, and the model."""

    cli: Cli
    dst: str
    model: Model
    folder: Path
    files: list[Path] = field(default_factory=list)
    centered: dict[int, str] = field(default_factory=dict)
    """The download center's id of each package exported through it (by its place in
    ``files``)."""
    tasks: list[str] = field(default_factory=list)
    """The id of each import of ``model.imports``."""

    def call(self, method: str, path: str, body: Any = None, *, dst: bool = True) -> Any:
        workspace = self.dst if dst else self.cli.workspace
        answer = self.cli.remote.call(method, path, body, workspace=workspace)
        assert answer.status_code in (200, 204), (method, path, answer.text)
        return answer.json() if answer.status_code == 200 else None


def _seeded(server: ServerProcess, remote: Remote, folder: Path, seed: Seed) -> Told:
    src = remote.new_workspace("src", "dws_conn", "ssh_conn")
    dst = remote.new_workspace("dst", "dws_conn")
    model = seed.model()
    config = write_config(folder / "config.toml", server, src)
    told = Told(Cli(server, remote, src, config, folder), dst, model, folder)
    (folder / PROFILE).write_text(
        "renames:\n  connection: {ssh_conn: dws_conn}\n", encoding="utf-8"
    )
    told.call("POST", "/scripts", make_script("s_load"), dst=False)
    for name in JOBS:
        told.call("POST", "/jobs", job_body(name, model.src[name]), dst=False)
    if "s_load" in model.dst:
        told.call("POST", "/scripts", make_script("s_load"))
    for name in JOBS:
        if name in model.dst:
            told.call("POST", "/jobs", job_body(name, model.dst[name].desc))
            if model.dst[name].scheduled:
                told.call("POST", f"/jobs/{name}/start", {})
    return told


def _run(told: Told, step: Step, *args: str, dst: bool = True) -> Result:
    where = {"workspace": told.dst} if dst else {}
    return told.cli(*args, *(["--json"] if step.json else []), **where)


def _options(told: Told, step: Step) -> list[str]:
    _, policy, drift, pause, mapped = step.args[:5]
    chosen = ["--policy", policy] if policy else []
    chosen += ["--on-drift", drift] if drift else []
    chosen += ["--profile-map", str(told.folder / PROFILE)] if mapped else []
    return chosen + (["--scheduling", "pause-and-restore"] if pause else [])


def _package(told: Told, step: Step) -> tuple[str, Package]:
    """The package a plan or an import names: its file, or when it was exported through the
    download center and the step says so, ``download://WORKSPACE_ID/ID`` (docs/cli.md)."""
    at = step.args[0] % len(told.files)
    source = str(told.files[at])
    if step.args[-1] and at in told.centered:
        source = f"download://{told.cli.workspace}/{told.centered[at]}"
    return source, told.model.packages[at]


def _take(told: Told, step: Step) -> tuple[Outcome, Result | None, Any]:
    """Run ``step``; what the model predicts, what the command did, and what the check
    needs besides (the plan predicted, the import rolled back)."""
    model, act, args = told.model, step.act, step.args
    if act == "export":
        return _export(told, step)
    if act in ("plan", "import"):
        path, package = _package(told, step)
        planned = model.plan(package, *args[1:5])
        if act == "plan":
            return (
                plan_outcome(planned),
                _run(told, step, "plan", path, *_options(told, step)),
                planned,
            )
        if not args[5]:
            result = _run(told, step, "import", path, *_options(told, step))
            return refused({USAGE}, "--yes", exit_code=2), result, planned
        result = _run(told, step, "import", path, "--yes", *_options(told, step))
        if planned.problems:
            return plan_outcome(planned), result, planned
        return OK, result, (planned, model.import_(package, planned))
    if act == "rollback":
        if not model.imports or args[0] < 0:
            task = uuid.uuid4().hex
            result = _run(told, step, "rollback", task, "--yes")
            return refused({UNKNOWN_TASK}, task), result, None
        at = args[0] % len(model.imports)
        done = model.imports[at]
        before = (done.rolled_back, model.rollbacks)
        yes = ["--yes"] if args[1] else []
        predicted = model.rollback(done, bool(args[1]))
        return predicted, _run(told, step, "rollback", told.tasks[at], *yes), (done, before)
    if act == "tasks":
        kind = ["--kind", args[0]] if args[0] else []
        return OK, _run(told, step, "tasks", "list", "--limit", "100", *kind), None
    if act == "show":
        if not model.imports:
            return OK, None, None
        at = args[0] % len(model.imports)
        result = _run(told, step, "tasks", "show", told.tasks[at])
        return OK, result, model.imports[at]
    if act == "downloads":
        return OK, *_downloads(told, step)
    _edit(told, step)
    return OK, None, None


def _export(told: Told, step: Step) -> tuple[Outcome, Result, Any]:
    """``export JOB…`` or ``export --names-file FILE`` run in a folder of its own."""
    names, background = step.args
    folder = told.folder / f"export_{uuid.uuid4().hex[:8]}"
    folder.mkdir()
    predicted = told.model.export(names, background)
    before = Path.cwd()
    os.chdir(folder)
    try:
        if background:
            listed = told.folder / f"{folder.name}.txt"
            listed.write_text("".join(f"{n}\n" for n in names), encoding="utf-8")
            result = _run(told, step, "export", "--names-file", str(listed), dst=False)
        else:
            result = _run(told, step, "export", *names, dst=False)
    finally:
        os.chdir(before)
    written = list(folder.iterdir())
    if predicted.codes:
        assert written == [], (step, written)
    else:
        assert len(written) == 1, (step, written)
        told.files.append(written[0])
        with zipfile.ZipFile(written[0]) as package:
            stems = {Path(p).stem for p in package.namelist() if p.endswith((".job", ".script"))}
        assert stems == set(told.model.packages[-1].objects), (step, stems)
        if background:
            # Names are cut to the second: the new entry is the one not seen before.
            listed = told.cli.json("downloads", "list")["downloads"]
            seen = set(told.centered.values())
            ids = [d["id"] for d in listed if d["id"] not in seen]
            assert len(ids) == 1, (written, listed)
            assert [d["fileName"] for d in listed if d["id"] == ids[0]] == [written[0].name]
            told.centered[len(told.files) - 1] = ids[0]
    return predicted, result, None


def _downloads(told: Told, step: Step) -> tuple[Result, Any]:
    """``downloads list``, or ``downloads get ID -o FILE`` of the newest package of the
    download center, which must be the bytes its export wrote."""
    if not step.args[0] or not told.centered:
        return _run(told, step, "downloads", "list", dst=False), None
    at = max(told.centered)
    got = told.folder / f"got_{uuid.uuid4().hex[:8]}.zip"
    result = _run(told, step, "downloads", "get", told.centered[at], "-o", str(got), dst=False)
    assert got.read_bytes() == told.files[at].read_bytes(), step
    return result, got


def _edit(told: Told, step: Step) -> None:
    """An edit made through signed calls: a job's definition in ``src`` or ``dst``, or its
    scheduling in ``dst`` (a job ``dst`` does not hold is left alone)."""
    model, name = told.model, step.args[0]
    if step.act == "edit-src":
        desc = f"src{next(_descs)}"
        told.call("PUT", f"/jobs/{name}", job_body(name, desc), dst=False)
        model.edit_source(name, desc)
    elif name not in model.dst:
        note(f"{step!r}: {name} is not in dst")
    elif step.act == "edit":
        desc = f"dst{next(_descs)}"
        told.call("PUT", f"/jobs/{name}", job_body(name, desc))
        model.edit(name, desc)
    else:
        told.call("POST", f"/jobs/{name}/{step.act}", {})
        model.schedule(name, step.act == "start")


def _check_answer(step: Step, predicted: Outcome, result: Result) -> Any:
    """The step exits as predicted and says it where docs/cli.md puts it; ``--json``'s
    document, or None. A plan's or an import's problems (exit 3) are an answer, on standard
    output."""
    said = (step, result.stdout, result.stderr)
    assert result.exit_code == predicted.exit_code, said
    refusal = predicted.codes and predicted.exit_code != 3
    if step.json:
        body = json.loads(result.stdout)  # one document, nothing else
        if refusal:
            assert set(body) == {"error"}, said
            assert body["error"]["code"] in predicted.codes, said
        elif predicted.exit_code != 3:
            assert "error" not in body, said
        return body
    if not refusal:
        assert about_the_run(result.stderr) == "", said
        assert result.stdout.strip(), said
        return None
    assert result.stdout == "", said
    refusal_told(result.stderr, predicted, said)
    return None


def _check_said(
    told: Told, step: Step, predicted: Outcome, body: Any, result: Result, extra: Any
) -> None:
    """What a command that answered says is what the model holds."""
    act, out = step.act, result.stdout
    if act == "plan" or (act == "import" and predicted.exit_code == 3):
        check_plan(extra, body, result)
        if body is None:
            check_verdict(act, extra, out)
    elif act == "import":
        planned, done = extra
        check_plan(planned, body, result)
        _check_imported(told, (planned, done), body, out)
        if body is None:
            check_verdict(act, planned, out)
    elif act == "rollback":
        done, (was, _) = extra
        if body is not None:
            assert body["rolledBack"] == (0 if was else len(done.before)), body
            if not was:
                assert {o["name"] for o in body["objects"]} == set(done.before), body
        elif was:
            assert "rolled back already" in out, out
    elif act == "tasks":
        _check_tasks(told, step, body, out)
    elif act == "show":
        done: Imported = extra
        if body is not None:
            assert (body["kind"], body["status"]) == ("import", "SUCCESSFUL"), body
            assert ("rolledBack" in body and body["rolledBack"] is not None) == done.rolled_back, (
                body
            )
        else:
            assert bool(re.search(r"^rolled back:", out, re.M)) == done.rolled_back, out
    elif act == "downloads" and extra is not None:
        assert str(extra) in (json.dumps(body) if body is not None else out), (body, out)
    elif act == "downloads":
        if body is not None:
            assert {d["id"] for d in body["downloads"]} == set(told.centered.values()), body
            assert body["total"] == told.model.downloads, body
        else:
            rows = [line for line in out.splitlines() if re.match(r"[0-9a-f]{32} ", line)]
            assert len(rows) == told.model.downloads, out


def _check_imported(
    told: Told, imported: tuple[Planned, Imported | None], body: Any, out: str
) -> None:
    """An import that writes anything runs a task, which does what its plan said, object by
    object, and is named at the end with the command that rolls it back; one that writes
    nothing runs none."""
    planned, done = imported
    if done is None:
        task = None if body is None else body.get("task")
        assert task is None, body
        assert body is not None or "Roll it back with" not in out, out
        return
    if body is not None:
        assert body["task"]["status"] == "SUCCESSFUL", body
        task_id = body["task"]["id"]
        lines = {t["id"].split(":", 1)[1]: t["action"] for t in body["task"]["subtasks"]}
        assert lines == planned.actions, body["task"]
        assert f"rollback {task_id}" in body["rollback"], body
    else:
        found = re.search(r"^Task (\w+)\. Roll it back with: .* rollback (\w+) -w ", out, re.M)
        assert found is not None, out
        assert found.group(1) == found.group(2), out
        task_id = found.group(1)
    told.tasks.append(task_id)


def _check_tasks(told: Told, step: Step, body: Any, out: str) -> None:
    """``tasks list``: every import the story ran, newest first, and as many rollbacks."""
    kind = step.args[0]
    model = told.model
    if body is not None:
        listed = [(t["id"], t["kind"], t["status"]) for t in body["tasks"]]
        imports = [t for t in listed if t[1] == "import"]
        if kind in (None, "import"):
            assert [t[0] for t in imports] == told.tasks[::-1], listed
            assert {t[2] for t in imports} <= {"SUCCESSFUL"}, listed
        rollbacks = [t for t in listed if t[1] == "rollback"]
        if kind in (None, "rollback"):
            assert len([t for t in rollbacks if t[2] == "SUCCESSFUL"]) == model.rollbacks, listed
        return
    lines = out.splitlines()
    if kind in (None, "import"):
        at = [n for n, line in enumerate(lines) if line.split("│")[0].strip() in told.tasks]
        shown = [lines[n].split("│")[0].strip() for n in at]
        assert shown == told.tasks[::-1], out
        for n, done in zip(at, model.imports[::-1], strict=True):
            assert ("rolled back" in lines[n + 1].split("│")[1]) == done.rolled_back, out


def _check_held(told: Told) -> None:
    """``dst`` holds what the model says, read back through the API."""
    model = told.model
    jobs = told.call("GET", "/jobs", None)["jobs"]
    expected = {n: h for n, h in model.dst.items() if n in JOBS}
    listed = {j["name"]: j["status"] for j in jobs}
    statuses = {n: "SCHEDULING" if h.scheduled else "STOPPED" for n, h in expected.items()}
    assert listed == statuses, (listed, model.dst)
    for name, held in expected.items():
        job = told.call("GET", f"/jobs/{name}")
        desc, _, connection = held.desc.partition("|")
        assert job.get("description") == desc, name
        if connection:
            properties = job["nodes"][0]["properties"]
            assert {"name": "connectionName", "value": connection} in properties, job
    scripts = told.call("GET", "/scripts", None)["scripts"]
    assert sorted(s["name"] for s in scripts) == sorted(n for n in model.dst if n not in JOBS)


@GENERATED
@given(story=package_stories())
@example(story=ROUND_TRIP)
@example(story=DRIFTED)
def test_package_commands_keep_their_promises(
    server: ServerProcess, story: tuple[Seed, tuple[Step, ...]]
) -> None:
    note(repr(story))
    seed, steps = story
    with tempfile.TemporaryDirectory(prefix=f"pkg{uuid.uuid4().hex[:6]}") as where:
        told = _seeded(server, Remote(server), Path(where), seed)
        for step in steps:
            predicted, result, extra = _take(told, step)
            if result is None:
                _check_held(told)
                continue
            event(f"{step.act}: exit {predicted.exit_code}")
            body = _check_answer(step, predicted, result)
            if not predicted.codes or predicted.exit_code == 3:
                _check_said(told, step, predicted, body, result, extra)
            _check_held(told)
