"""Generated stories of the command line's ``remotes`` commands
(``support/remote_command_stories.py``): a project admin and a user who is not one run
``jobferry remotes add|edit|list|show|test|refresh|remove`` in-process against the shared
``jobferry serve``, the remote a workspace of the second server (``remote_server``, reached
through the contract filter or directly) whose jobs the story changes through signed calls.
After every step, whatever the story, the commands keep the promises of docs/cli.md
(``support/remote_command_model.py`` says them):

- each step exits as documented (0; 1 for a refusal, with its DataArts code, and for
  ``remotes test`` unless the remote is reachable; 2 for a usage error, nothing to change, or
  no terminal to ask on);
- ``--json`` prints exactly one JSON document on standard output; told for a person, an answer
  goes to standard output and nothing to standard error (but the question ``remove`` asks), a
  refusal to standard error alone, as ``error CODE: …``, naming the object and the command
  that fixes it, never an API call or a wire field; no secret key is printed anywhere;
- what a command says it did is what the server holds, and a refused command changed nothing:
  the project's remotes and each shadow workspace's jobs (a removed remote's too), read back
  with signed calls; a refresh brings the shadow to what the DataArts workspace holds.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event, example, given, note
from typer.testing import Result

from jobferry.cli import terminal
from support.builders import make_job
from support.cli import Cli, member
from support.cli_command_model import API_WORDS, json_answer, refusal_told
from support.gateway import Gateway
from support.import_stories import generated
from support.remote_command_model import Held, Model, Outcome
from support.remote_command_stories import (
    ADDED_REFRESHED_REMOVED,
    ROTATED_AND_LOCKED,
    SEEDED,
    Step,
    remote_stories,
)
from support.server import ServerProcess, new_user, new_workspace

pytestmark = [pytest.mark.fuzz, pytest.mark.databases("sqlite", "postgresql")]
GENERATED = generated(6)
"""Stories a test tells on each database (each refresh reads the second server:
JOBFERRY_FUZZ_EXAMPLES=30 and a ``--hypothesis-seed`` for a longer run)."""
ENV = "JF_STORY_SK"


@dataclass
class Told:
    """A story's DataArts workspace and remote user, the two people's CLIs, the model."""

    cli: Cli
    user: Cli
    remote: ServerProcess
    gate: str
    folder: Path
    prefix: str
    workspace: str
    missing: str
    keys: tuple[str, str]
    """The remote user's access key and secret key."""
    model: Model
    quoted: str = ""
    """What DataArts says of a workspace it does not have: a refusal quotes it as it is."""
    wrong: str = field(default_factory=lambda: f"wrong-{uuid.uuid4().hex}")
    version: int = 0

    def name(self, short: str) -> str:
        return short if " " in short else f"{self.prefix}{short}"

    def secrets(self) -> tuple[str, ...]:
        return (self.remote.sk, self.keys[1], self.wrong)

    def job(self, name: str) -> dict[str, Any]:
        self.version += 1
        self.model.remote_jobs[name] = self.version
        return make_job(name, params=[{"name": "bizdate", "value": f"v{self.version}"}])


def _told(cli: Cli, user: Cli, remote: ServerProcess, gateway: Gateway, folder: Path) -> Told:
    """A new DataArts workspace holding the seeded jobs, and a user of it with keys."""
    hexed = uuid.uuid4().hex[:6]
    workspace = new_workspace(remote, f"rs_{hexed}", "dws_conn")
    login = f"ru_{hexed}"
    new_user(remote, login)
    keys = remote.call("POST", f"/users/{login}/credentials").json()
    role = json.dumps({"role": "developer"}).encode()
    given_role = remote.call("PUT", f"/users/{login}/roles/{workspace}", role)
    assert given_role.status_code == 204, given_role.text
    told = Told(
        cli,
        user,
        remote,
        gateway.url,
        folder,
        f"r{hexed}",
        workspace,
        uuid.uuid4().hex,
        (keys["accessKey"], keys["secretKey"]),
        Model({}),
    )
    for name in SEEDED:
        _dataarts(told, "POST", "/jobs", told.job(name))
    told.quoted = remote.call("GET", "/jobs", workspace=told.missing).json()["error_msg"]
    return told


def _dataarts(told: Told, method: str, path: str, body: Any = None) -> None:
    """A signed call to the DataArts workspace (the second server)."""
    data = b"" if body is None else json.dumps(body).encode()
    answer = told.remote.call(method, path, data, workspace=told.workspace)
    assert answer.status_code in (200, 204), answer.text


def _changed_in_dataarts(told: Told, change: str, name: str) -> None:
    """A job created, updated or deleted in DataArts (nothing when it cannot be)."""
    held = name in told.model.remote_jobs
    if change == "create" and not held:
        _dataarts(told, "POST", "/jobs", told.job(name))
    elif change == "update" and held:
        _dataarts(told, "PUT", f"/jobs/{name}", told.job(name))
    elif change == "delete" and held:
        _dataarts(told, "DELETE", f"/jobs/{name}")
        del told.model.remote_jobs[name]


def _endpoint(told: Told, kind: str) -> str:
    return {"gate": told.gate, "direct": told.remote.url}.get(kind, "ftp://remote.example")


def _secret(told: Told, step: Step, secret: str, source: str) -> tuple[list[str], dict[str, Any]]:
    """``--secret-key`` given as ``source`` says, and how the command is run for it."""
    if source == "env":
        return ["--secret-key", f"env:{ENV}"], {"env": {ENV: secret}}
    if source == "stdin":
        return ["--secret-key", "-"], {"input": secret + "\n"}
    path = told.folder / f"sk_{uuid.uuid4().hex[:8]}"
    path.write_text(secret + "\n", encoding="utf-8")
    return ["--secret-key", f"@{path}"], {}


def _key_pair(told: Told, keys: str) -> tuple[str, str]:
    remote = told.remote
    return {
        "user": told.keys,
        "admin": (remote.ak, remote.sk),
        "wrong": (told.keys[0], told.wrong),
    }[keys]


def _run(told: Told, step: Step, *args: str, **how: Any) -> Result:
    cli = told.cli if step.admin else told.user
    return cli(*args, *(["--json"] if step.json else []), **how)


def _add(told: Told, step: Step) -> tuple[Outcome, Result]:
    short, endpoint, studio, workspace, keys, source = step.args
    name = told.name(short)
    ak, sk = _key_pair(told, keys)
    secret, how = _secret(told, step, sk, source)
    ws = told.workspace if workspace == "good" else told.missing
    options = ["--endpoint", _endpoint(told, endpoint), "--project-id", told.remote.project_id]
    options += ["--workspace", ws, "--access-key", ak, *secret]
    options += ["--studio-endpoint", "nope"] if studio == "bad" else []
    predicted = told.model.add(name, step.admin, endpoint, studio, workspace, keys)
    return predicted, _run(told, step, "remotes", "add", name, *options, **how)


def _edit(told: Told, step: Step) -> tuple[Outcome, Result]:
    short, endpoint, studio, keys, source = step.args
    name = told.name(short)
    options = ["--endpoint", _endpoint(told, endpoint)] if endpoint else []
    if studio is not None:
        given_studio = {"default": "default", "bad": "nope"}.get(studio, told.remote.url)
        options += ["--studio-endpoint", given_studio]
    how: dict[str, Any] = {}
    if keys == "secret":
        held = told.model.remotes.get(name)
        right = told.remote.sk if held is not None and held.keys == "admin" else told.keys[1]
        secret, how = _secret(told, step, right, source)
        options += secret
    elif keys is not None:
        ak, sk = _key_pair(told, keys)
        secret, how = _secret(told, step, sk, source)
        options += ["--access-key", ak, *secret]
    predicted = told.model.edit(name, step.admin, endpoint, studio, keys)
    return predicted, _run(told, step, "remotes", "edit", name, *options, **how)


def _remove(told: Told, step: Step) -> tuple[Outcome, Result]:
    short, mode = step.args
    name = told.name(short)
    predicted = told.model.remove(name, step.admin, mode)
    if mode == "yes":
        return predicted, _run(told, step, "remotes", "remove", name, "--yes")
    if mode == "unasked":
        return predicted, _run(told, step, "remotes", "remove", name)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(terminal, "stdin_is_terminal", lambda: True)
        answer = "y\n" if mode == "asked-yes" else "n\n"
        return predicted, _run(told, step, "remotes", "remove", name, input=answer)


def _take(told: Told, step: Step) -> tuple[Outcome, Result, dict[str, int]]:
    """Run ``step``'s command; what the model predicts, what the command did, and for a
    refresh the counts it predicts."""
    act = step.act
    if act == "add":
        return (*_add(told, step), {})
    if act == "edit":
        return (*_edit(told, step), {})
    if act == "remove":
        return (*_remove(told, step), {})
    if act == "list":
        return Outcome(0), _run(told, step, "remotes", "list"), {}
    name = told.name(step.args[0])
    if act == "show":
        return told.model.show(name), _run(told, step, "remotes", "show", name), {}
    if act == "test":
        return told.model.test(name, step.admin), _run(told, step, "remotes", "test", name), {}
    predicted, counts = told.model.refresh(name, step.admin)
    return predicted, _run(told, step, "remotes", "refresh", name), counts


def _asked(step: Step) -> bool:
    return step.act == "remove" and str(step.args[1]).startswith("asked")


def _stdout(step: Step, result: Result) -> str:
    """Standard output, less the answer typed at the question (the test runner echoes it)."""
    out = result.stdout
    return out.lstrip().removeprefix(step.args[1][6]).lstrip(" ") if _asked(step) else out


def _run_notes(step: Step, err: str) -> str:
    """Standard error less the lines docs/cli.md puts there about a refresh followed without
    a terminal, still running after its first look (``Running the refresh: task … is
    running …``)."""
    if step.act != "refresh":
        return err
    running = re.compile(r"Running the refresh: task [0-9a-f]{32} is running\b.*")
    return "".join(line for line in err.splitlines(True) if not running.fullmatch(line.strip()))


def _check_answer(told: Told, step: Step, predicted: Outcome, result: Result) -> Any:
    """The step exits as predicted and says it where docs/cli.md puts it, never a secret
    key; ``--json``'s document, or None."""
    out = _stdout(step, result)
    said = (step, out, result.stderr)
    assert result.exit_code == predicted.exit_code, said
    for secret in told.secrets():
        assert secret not in result.stdout + result.stderr, said
    if step.json:
        body = json_answer(result.stdout, predicted, said)
        if predicted.reach is not None:
            assert body["reach"] == predicted.reach, said
        return body
    err = result.stderr
    if _asked(step):  # the question, naming the remote and the server, then what follows
        question, err = err.split(" [y/N]:", 1)
        assert question.startswith(f"Remove remote '{told.name(step.args[0])}' at "), said
        assert told.cli.server.url in question, said
        assert not API_WORDS.search(question), said
    err = _run_notes(step, err)
    if not predicted.codes:
        assert err == "", said
        assert out.strip(), said
        return None
    assert out.strip() == "", said
    refusal_told(err, predicted, said, checked=err.replace(told.quoted.rstrip(" ."), ""))
    return None


def _check_said(
    told: Told, step: Step, predicted: Outcome, body: Any, out: str, counts: dict[str, int]
) -> None:
    """What a command that worked (or ``remotes test``'s verdict) says is what the server
    holds."""
    act = step.act
    name = told.name(step.args[0]) if step.args else ""
    if act in ("add", "edit", "show"):
        _check_remote(told, name, body, out, act)
    elif act == "list":
        mine = sorted(told.model.remotes)
        if body is not None:
            assert sorted(r["name"] for r in body["remotes"] if r["name"] in mine) == mine, body
            assert {r["secretKey"] for r in body["remotes"]} <= {"set"}, body
        else:
            rows = [line.split("│")[0].strip() for line in out.splitlines() if "│" in line]
            assert sorted(row for row in rows if row.startswith(told.prefix)) == mine, out
    elif act == "test" and predicted.reach == "not_found":  # what to check, what to do
        text = body["message"] if body is not None else out
        assert f"jobferry remotes show {name}" in text, text
        assert "jobferry remotes add NEW_NAME" in text, text
    elif act == "test" and predicted.reach == "reachable":
        jobs = len(told.model.remote_jobs)
        text = body["message"] if body is not None else out
        assert "is reachable" in text, text
        assert f"holds {jobs} job(s)" in text, text
    elif act == "refresh":
        _check_refreshed(name, body, out, counts)
    elif act == "remove" and step.args[1] == "asked-no":
        assert out.strip() == "Cancelled; nothing was removed.", out
    elif act == "remove":
        if body is not None:
            assert body == {"removed": name}, body
        else:
            assert f"Removed remote '{name}'; workspace '{name}' stays" in out, out


def _check_remote(told: Told, name: str, body: Any, out: str, act: str) -> None:
    """``add``, ``edit`` and ``show``: the remote as the model holds it."""
    held = told.model.remotes[name]
    if body is not None:
        assert _seen(told, body) == _expected(told, held), body
        assert body["shadowWorkspace"]["name"] == name, body
        return
    if act == "add":
        assert f"Added remote '{name}'" in out, out
        assert f"jobferry remotes refresh {name}" in out, out
    elif act == "edit":
        assert f"Changed remote '{name}' (" in out, out
        assert f"jobferry remotes test {name}" in out, out
    else:
        fields = dict(re.split(r":\s+", line, maxsplit=1) for line in out.splitlines())
        assert fields["remote"] == name, out
        assert fields["secret key"] == "set", out
        expected = _expected(told, held)
        seen = (fields["endpoint"], fields["studio endpoint"], fields["workspace"])
        assert (*seen, fields["access key"], "set") == expected, out


def _expected(told: Told, held: Held) -> tuple[str, ...]:
    endpoint = _endpoint(told, held.endpoint)
    studio = _endpoint(told, held.studio) if held.studio else endpoint
    workspace = told.workspace if held.workspace == "good" else told.missing
    return endpoint, studio, workspace, _key_pair(told, held.keys)[0], "set"


def _seen(told: Told, answer: dict[str, Any]) -> tuple[str, ...]:
    keys = ("endpoint", "studioEndpoint", "workspace", "accessKey", "secretKey")
    return tuple(str(answer[key]) for key in keys)


def _check_refreshed(name: str, body: Any, out: str, counts: dict[str, int]) -> None:
    """The refresh's counts: the jobs' as predicted; told for a person, every kind's totals
    (the workspace's one connection created by the shadow's first refresh)."""
    first = counts.pop("first")
    if body is not None:
        assert body["counts"]["job"] == counts, body
        return
    totals = dict(counts)
    totals["created" if first else "unchanged"] += 1
    said = ", ".join(f"{key} {value}" for key, value in totals.items())
    assert f"Refreshed remote '{name}': {said}" in out, out


def _check_held(told: Told) -> None:
    """The project's remotes and each shadow's jobs are what the model says, read back."""
    server, model = told.cli.server, told.model
    listed = server.call("GET", "/remotes").json()["remotes"]
    mine = {r["name"]: _seen(told, r) for r in listed if r["name"].startswith(told.prefix)}
    assert mine == {name: _expected(told, held) for name, held in model.remotes.items()}
    spaces = server.call("GET", "/workspaces").json()["workspaces"]
    ids = {w["name"]: w["id"] for w in spaces}
    for shadow, jobs in model.shadows.items():
        answer = server.call("GET", "/jobs", workspace=ids[shadow])
        assert sorted(j["name"] for j in answer.json()["jobs"]) == sorted(jobs), shadow
        for job, version in jobs.items():
            read = server.call("GET", f"/jobs/{job}", workspace=ids[shadow]).json()
            assert read["params"][0]["value"] == f"v{version}", (shadow, job)


@pytest.fixture
def user(cli: Cli, tmp_path: Path) -> Cli:
    """A user of the CLI's workspace (a developer there) who is no project admin."""
    return member(cli, "developer", tmp_path / "user.toml")


@GENERATED
@given(story=remote_stories())
@example(story=ADDED_REFRESHED_REMOVED)
@example(story=ROTATED_AND_LOCKED)
def test_remote_commands_keep_their_promises(
    cli: Cli,
    user: Cli,
    remote_server: ServerProcess,
    gateway: Gateway,
    tmp_path: Path,
    story: tuple[Step, ...],
) -> None:
    note(repr(story))
    told = _told(cli, user, remote_server, gateway, tmp_path)
    for step in story:
        if step.act == "dataarts":
            _changed_in_dataarts(told, *step.args)
            continue
        predicted, result, counts = _take(told, step)
        event(f"{step.act}: exit {predicted.exit_code}")
        body = _check_answer(told, step, predicted, result)
        if not predicted.codes:
            _check_said(told, step, predicted, body, _stdout(step, result), counts)
        _check_held(told)
