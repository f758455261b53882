"""Generated stories of ``jobferry pull`` and ``jobferry apply -f``
(``support/cli_folder_stories.py``): a workspace's admin and a user of another role (a
developer or a viewer) pull the workspace into a folder, edit its files, apply them (with and
without ``--prune`` and ``--dry-run``) and pull again, in-process against the shared ``jobferry
serve``, while the workspace changes beside them. After every step, whatever the story, the
commands keep the promises of docs/cli.md (``support/cli_folder_model.py`` says them):

- each step exits as documented (0; 1 for a refusal of the server, with its DataArts code; 2
  for a folder that holds nothing to apply; 3 for a bad file, nothing sent, or a plan with
  problems, nothing imported; 4 for a dry run with changes pending);
- ``--json`` prints exactly one JSON document on standard output; told for a person, an answer
  goes to standard output and nothing to standard error, a refusal to standard error alone, as
  ``error CODE: …``, naming the files or the role, never an API call or a wire field;
- what a command says it did is what the server and the folder hold: an apply's plan has the
  action predicted for each object, a pull lists the files it wrote, left, removed and moved;
  the workspace's jobs and scripts, read back with signed calls, are the model's, and a
  refused apply changed nothing; a pull writes every object to its own file, which reads
  back as the object (unknown keys kept).
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event, example, given, note
from typer.testing import Result

from jobferry.domain.enums import ObjectKind
from jobferry.package.folder import file_path
from jobferry.package.pulled import RECORD
from support.builders import make_script
from support.cli import Cli, member, write_config
from support.cli_command_model import API_WORDS, USAGE, json_answer, refusal_told
from support.cli_folder_model import FOLDER_REFUSED, File, Key, Model, Outcome, script_of
from support.cli_folder_stories import (
    BAD_FILES_THEN_PRUNE,
    JOBS,
    ROUND_TRIP,
    SCHEDULED,
    SCRIPTS,
    Step,
    folder_stories,
)
from support.import_stories import generated

pytestmark = [pytest.mark.fuzz]
GENERATED = generated(8)
"""Stories a test tells (on SQLite: the commands speak HTTP, the storage is covered
elsewhere; JOBFERRY_FUZZ_EXAMPLES=30 and a ``--hypothesis-seed`` for a longer run)."""
CRON = {
    "startTime": "2025-01-01T00:00:00+08",
    "expression": "0 30 2 * * ?",
    "expressionTimeZone": "GMT+08:00",
}
FILE_KEYS = re.compile(
    r"\b(processType|preNodeName|scriptName|connectionName|expressionTimeZone|startTime"
    r"|zzConsoleOnly)\b"
)
"""Keys of a definition file, which a problem of the file names (docs/cli.md: "each named
with its file and field")."""
RUNNING = re.compile(r"[A-Z][\w ]*: task [0-9a-f]{32} is running\b.*")
PLAN_COUNTS = re.compile(r"(\d+) to create, (\d+) to overwrite, (?:(\d+) to delete, )?")


@dataclass
class Told:
    """A story's workspace, its admin's CLI and the other user's, the folder, the model."""

    admin: Cli
    other: Cli
    root: Path
    model: Model
    version: int = 0

    def job(self, name: str, used: str | None, unknown: bool = False) -> dict[str, Any]:
        """A job of one node (running script ``used`` when there is one), its parameter
        telling this version from the others."""
        self.version += 1
        node: dict[str, Any] = {
            "name": "run",
            "type": "Dummy",
            "location": {"x": "10", "y": "20"},
            "preNodeName": [],
            "properties": [],
        }
        if used is not None:
            node["type"] = "DWSSQL"
            node["properties"] = [
                {"name": "scriptName", "value": used},
                {"name": "connectionName", "value": "dws_conn"},
                {"name": "database", "value": "postgres"},
            ]
        job: dict[str, Any] = {
            "name": name,
            "nodes": [node],
            "schedule": {"type": "CRON", "cron": CRON},
            "processType": "BATCH",
            "params": [{"name": "v", "value": f"v{self.version}"}],
        }
        if unknown:
            job["zzConsoleOnly"] = {"kept": self.version}
        return job

    def script(self, name: str, unknown: bool = False) -> dict[str, Any]:
        self.version += 1
        script = make_script(name, content=f"select {self.version};")
        if unknown:
            script["zzConsoleOnly"] = {"kept": self.version}
        return script

    def document(self, kind: str, name: str, used: str | None, unknown: bool) -> dict[str, Any]:
        return self.job(name, used, unknown) if kind == "job" else self.script(name, unknown)


def _own_path(told: Told, key: Key) -> str:
    """Where a person puts an object's file: where the folder has it, else its own path."""
    return told.model.where(key) or file_path(ObjectKind(key[0]), key[1])


def _write(told: Told, path: str, file: File, text: str) -> None:
    where = told.root / path
    where.parent.mkdir(parents=True, exist_ok=True)
    where.write_text(text, encoding="utf-8")
    told.model.write(path, file)


def _edit(told: Told, step: Step) -> None:
    """An edit of the folder, as a person makes it."""
    what, kind, name, used, style = step.args
    key = (kind, name)
    path = _own_path(told, key)
    if what in ("put", "unknown"):
        if style == "nested" and told.model.where(key) is None:
            path = f"{kind}s/etl/{name.replace('.', '%2E', 1)}.{kind}"
        document = told.document(kind, name, used, what == "unknown")
        _write(told, path, File(key, document), json.dumps(document, indent=1))
    elif what == "remove":
        if (told.root / path).exists() and told.model.where(key) == path:
            (told.root / path).unlink()
            told.model.remove(path)
    elif what == "mismatch":  # the file of one object holding another
        pool = JOBS if kind == "job" else SCRIPTS
        other = pool[(pool.index(name) + 1) % len(pool)]
        document = told.document(kind, other, used, False)
        _write(told, path, File((kind, other), document), json.dumps(document))
    elif what == "json":
        _write(told, path, File(None, bad="json"), '{"name": "' + name + '", nope')
    elif what == "outside":
        document = told.document(kind, name, None, False)
        outside = f"notes/{Path(path).name}"  # no hidden file: a dot first as ``%2E``
        _write(told, outside, File(None, bad="outside"), json.dumps(document))
    elif what == "invalid":
        document = told.document(kind, name, None, False)
        document.update({"processType": "NOPE"} if kind == "job" else {"content": None})
        _write(told, path, File(key, bad="invalid"), json.dumps(document))
    else:  # the bad files removed
        for bad in [p for p, f in told.model.files.items() if f.bad]:
            (told.root / bad).unlink()
            told.model.remove(bad)


def _console(told: Told, step: Step) -> None:
    """An object made, changed (``saved``: and not submitted) or deleted in the workspace
    beside the commands, or a job started or stopped (nothing when the workspace would refuse
    it: a script a job uses, or a scheduled job, is not deleted, a job with no submitted
    version not started)."""
    change, kind, name, used, saved = step.args
    model, remote, workspace = told.model, told.admin.remote, told.admin.workspace
    key = (kind, name)
    held = key in model.held
    if change in ("start", "stop"):  # a job's scheduling (a script has none)
        if held and kind == "job" and name not in model.unversioned:
            answer = remote.call("POST", f"/jobs/{name}/{change}", workspace=workspace)
            assert answer.status_code in (200, 204), answer.text
            (model.scheduled.add if change == "start" else model.scheduled.discard)(name)
        return
    path = f"/{kind}s/{name}" if held else f"/{kind}s"
    if change == "delete":
        users = [k for k, d in model.held.items() if k[0] == "job" and script_of(d) == name]
        if not held or (kind == "script" and users) or name in model.scheduled:
            return
        answer = remote.call("DELETE", f"/{kind}s/{name}", workspace=workspace)
        assert answer.status_code in (200, 204), answer.text
        model.changed_on_server(key, None)
        return
    if used is not None and ("script", used) not in model.held:
        used = None
    document = told.document(kind, name, used, False)
    saved = saved and held  # a new object is made submitted, so that it may start
    body = {**document, "targetStatus": "SAVED"} if saved else document
    answer = remote.call("PUT" if held else "POST", path, body, workspace=workspace)
    assert answer.status_code in (200, 204), answer.text
    model.changed_on_server(key, document, saved)


def _run(told: Told, step: Step, *args: str) -> Result:
    cli = told.admin if step.admin else told.other
    extra = ["--json"] if step.json else []
    return cli(*args, *extra, env={"COLUMNS": "300"})


def _take(told: Told, step: Step) -> tuple[Outcome, Result]:
    """Run ``step``'s command; what the model predicts and what the command did."""
    root = str(told.root)
    if step.act == "pull":
        return told.model.pull(step.admin), _run(told, step, "pull", root)
    prune, dry_run, pause, saved = step.args
    options = [*(["--prune"] if prune else []), "--dry-run" if dry_run else "--yes"]
    options += ["--scheduling", "pause-and-restore"] if pause else []
    options += ["--status", "saved"] if saved else []
    predicted = told.model.apply(step.admin, prune, dry_run, pause, saved)
    return predicted, _run(told, step, "apply", "-f", root, *options)


def _check_answer(told: Told, step: Step, predicted: Outcome, result: Result) -> Any:
    """The step exits as predicted and says it where docs/cli.md puts it; ``--json``'s
    document, or None."""
    said = (step, result.stdout, result.stderr)
    assert result.exit_code == predicted.exit_code, said
    if step.json:
        body = json_answer(result.stdout, predicted, said)
        if predicted.codes == {FOLDER_REFUSED}:
            named = " ".join(body["error"]["problems"])
            assert all(path in named for path in predicted.says[1:]), (said, predicted.says)
        return body
    if not predicted.codes:
        assert _run_notes(result.stderr) == "", said
        assert result.stdout.strip(), said
        return None
    assert result.stdout == "", said
    if predicted.codes == {FOLDER_REFUSED}:  # no server's code: "error: " alone
        assert result.stderr.startswith("error: "), said
        predicted = Outcome(3, frozenset({USAGE}), predicted.says)
    refusal_told(result.stderr, predicted, said, checked=_unquoted(result.stderr))
    return None


def _run_notes(err: str) -> str:
    """Standard error less the lines docs/cli.md puts there about a task followed without a
    terminal, still running after its first look (``Exporting: task … is running (90%): …``:
    a pull's export, an apply's plan or import on a busy server)."""
    return "".join(line for line in err.splitlines(True) if not RUNNING.fullmatch(line.strip()))


def _unquoted(err: str) -> str:
    """Standard error less what it quotes of the files: a JSON parser's message, and the keys
    of a definition (the file's own words, DataArts' JSON, which a problem names)."""
    err = re.sub(r"not valid JSON \(.*\); fix the file", "", err)
    return FILE_KEYS.sub("", err)


def _check_said(told: Told, step: Step, predicted: Outcome, body: Any, out: str) -> None:
    """What an apply or a pull that ran says it did is what the model predicts."""
    if step.act == "pull":
        _check_pulled(told, predicted, body, out)
        return
    actions = predicted.actions
    if body is not None:
        plan = body["plan"]
        got = {(o["kind"], o["name"]): o["action"] for o in plan["objects"]}
        assert got == actions, (step, plan["objects"])
        assert bool(plan["problems"]) == predicted.problems, (step, plan["problems"])
        imported = body.get("task")
        if step.args[1] or predicted.problems or set(actions.values()) == {"UNCHANGED"}:
            assert imported is None, (step, body)
        else:
            assert imported["status"] == "SUCCESSFUL", (step, imported)
        return
    assert not API_WORDS.search(FILE_KEYS.sub("", out)), (step, out)  # the plan in CLI words
    counts = PLAN_COUNTS.search(out)
    assert counts is not None, (step, out)
    tally = [sum(1 for a in actions.values() if a == w) for w in ("CREATE", "OVERWRITE", "DELETE")]
    assert [int(c or 0) for c in counts.groups()] == tally, (step, out)
    last = out.strip().splitlines()[-1]
    if predicted.problems:
        assert "nothing was imported" in last or "would be refused" in last, (step, out)
    elif set(actions.values()) == {"UNCHANGED"}:
        nothing = "Nothing would change" if step.args[1] else "Nothing to import."
        assert nothing in last, (step, out)
    elif step.args[1]:  # changes pending: the apply that imports them
        assert re.search(r"\bjobferry .*\bapply -f ", last), (step, out)
        assert ("--prune" in last) == step.args[0], (step, out)
        assert ("--scheduling pause-and-restore" in last) == step.args[2], (step, out)
        assert ("--status saved" in last) == step.args[3], (step, out)
    else:
        assert "Imported." in out, (step, out)
        assert "rollback" in last, (step, out)


def _check_pulled(told: Told, predicted: Outcome, body: Any, out: str) -> None:
    expected = predicted.pulled
    if body is not None:
        got = {k: body[k] for k in ("written", "unchanged", "removed", "moved")}
        assert got == expected, (body, expected)
        return
    lines = out.splitlines()
    written = sorted(line.split()[1] for line in lines if line.startswith("written  "))
    assert written == expected["written"], (out, expected)
    removed = [line.split()[1] for line in lines if line.startswith("removed  ")]
    assert sorted(removed) == expected["removed"], (out, expected)
    moved = {line.split()[1]: line.split()[3] for line in lines if line.startswith("moved  ")}
    assert moved == expected["moved"], (out, expected)
    tail = f"{len(expected['written'])} written, {len(expected['unchanged'])} unchanged"
    assert tail in lines[-1], (out, expected)


def _stored(document: dict[str, Any]) -> dict[str, Any]:
    """What a definition's comparison holds: the parameters, the script run, the content,
    unknown keys."""
    kept = ("params", "content", "zzConsoleOnly", "name")
    return {"uses": script_of(document), **{k: document.get(k) for k in kept}}


def _check_held(told: Told) -> None:
    """The workspace's jobs and scripts are the model's, read back with signed calls; the
    folder's definition files are the model's."""
    remote, workspace = told.admin.remote, told.admin.workspace
    for kind in ("job", "script"):
        listed = remote.call("GET", f"/{kind}s", workspace=workspace).json()[f"{kind}s"]
        names = sorted(item["name"] for item in listed)
        if kind == "job":
            started = sorted(j["name"] for j in listed if j["status"] != "STOPPED")
            assert started == sorted(told.model.scheduled), (started, told.model.scheduled)
        expected = sorted(name for k, name in told.model.held if k == kind)
        assert names == expected, (kind, names, expected)
        for name in names:
            read = remote.call("GET", f"/{kind}s/{name}", workspace=workspace).json()
            assert _stored(read) == _stored(told.model.held[(kind, name)]), (kind, name)
    on_disk = sorted(
        p.relative_to(told.root).as_posix()
        for p in told.root.rglob("*")
        if p.is_file() and p.name != RECORD  # the pull's record of what it left
    )
    assert on_disk == sorted(told.model.files), (on_disk, sorted(told.model.files))
    for path, file in told.model.files.items():
        if file.document is not None:
            read = json.loads((told.root / path).read_text(encoding="utf-8"))
            assert _stored(read) == _stored(file.document), path


@GENERATED
@given(story=folder_stories())
@example(story=ROUND_TRIP)
@example(story=BAD_FILES_THEN_PRUNE)
@example(story=SCHEDULED)
def test_pull_and_apply_keep_their_promises(
    cli: Cli, tmp_path: Path, story: tuple[str, tuple[Step, ...]]
) -> None:
    note(repr(story))
    role, steps = story
    workspace = cli.remote.new_workspace("fold", "dws_conn")  # the story's own
    config = write_config(tmp_path / f"a_{workspace}.toml", cli.server, workspace)
    admin = Cli(cli.server, cli.remote, workspace, config, cli.cwd)
    other = member(admin, role, tmp_path / f"o_{workspace}.toml")
    told = Told(admin, other, tmp_path / f"f_{workspace}", Model(role))
    for step in steps:
        if step.act == "edit":
            _edit(told, step)
        elif step.act == "console":
            _console(told, step)
        else:
            before = copy.deepcopy(told.model.held)
            predicted, result = _take(told, step)
            event(f"{step.act}: exit {predicted.exit_code}")
            body = _check_answer(told, step, predicted, result)
            if not predicted.codes:
                _check_said(told, step, predicted, body, result.stdout)
            elif step.act == "apply":
                assert told.model.held == before
        _check_held(told)
