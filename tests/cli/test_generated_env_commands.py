"""Generated stories of the command line's ``env``, ``profiles``, ``policies`` and ``keys``
commands (``support/cli_env_stories.py``): a workspace's admin and a user of a lesser role run
``jobferry env list|show|put|delete``, ``profiles list|show|put|delete``, ``policies
list|show|history|put`` (the workspace's policy and a route's) and ``keys
create|show|delete|list|trust|distrust`` in-process against the shared ``jobferry serve``, on
an enterprise workspace (``env`` on its production side too), bad input among them. After
every step, whatever the story, the commands keep the promises of docs/cli.md and docs/api.md
(``support/cli_env_model.py`` says them):

- each step exits as documented (0; 1 for a refusal of the server, with its DataArts code in
  ``--json``'s ``error.code``; 2 for a usage error);
- ``--json`` prints exactly one JSON document on standard output; told for a person, an answer
  goes to standard output and nothing to standard error, a refusal to standard error alone, as
  ``error CODE: …``, naming the object and the command that fixes it, never an API call or a
  wire field;
- a secret's value is never printed, on either stream, in either mode;
- what a command says it did is what the server now holds, and a refused command changed
  nothing (the workspace's environment objects, profiles, policy, signing key and keys, read
  back through the API with signed calls).
"""

from __future__ import annotations

import json
import re
import tempfile
import uuid
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event, example, given, note
from typer.testing import Result

from support.cli import Cli, Remote, member, write_config
from support.cli_command_model import OK, Outcome, told_where_documented
from support.cli_env_checks import Told, check_held, check_said
from support.cli_env_model import DENIED, ROUTE, USER, in_production
from support.cli_env_stories import (
    KEYS_AROUND,
    POLICIES,
    PROFILES,
    PUBLIC_KEYS,
    RULES_AND_PROFILES,
    SECRET_KEPT,
    TYPO_POLICY,
    TYPO_PROFILE,
    Step,
    env_stories,
)
from support.import_stories import generated
from support.server import ServerProcess

pytestmark = [pytest.mark.fuzz, pytest.mark.databases("sqlite", "postgresql")]
GENERATED = generated(20)
"""Stories a test tells on each database (JOBFERRY_FUZZ_EXAMPLES=150 and a
``--hypothesis-seed`` for a longer run)."""
DOCUMENT_KEYS = re.compile(
    r"\b(maxDeletions?|protectedConnections|executeUser|jobParams|workspaceParams|targetOwned"
    r"|timeZone|sourceZone)\b"
)
"""The keys a profile or a policy file holds, which its refusal names (docs/cli.md names them
too): the file's words, not the API's."""
SECRET_VARIABLE = "JF_STORY_SECRET"
UNKNOWN_KEY_ID = "0f0f0f0f0f0f0f0f"
"""The id a step gives a key the workspace never knew (its real id is nowhere to read)."""


def _told(server: ServerProcess, remote: Remote, folder: Path, role: str) -> Told:
    """A new workspace, a user holding ``role`` in it, and the CLI's context for each."""
    workspace = remote.new_workspace("envcmd")
    admin = Cli(
        server, remote, workspace, write_config(folder / "a.toml", server, workspace), folder
    )
    secret = f"sv-{uuid.uuid4().hex}"
    (folder / "pw.txt").write_text(secret + "\n", encoding="utf-8")
    (folder / "utf16.pw").write_bytes(b"\xff\xfe" + secret.encode("utf-16-le"))
    answer = remote.call("POST", "/jobs", _user_job(), workspace=workspace)
    assert answer.status_code == 204, answer.text
    name = remote.workspace_name(workspace)
    switched = remote.call(
        "PUT", f"/{server.project_id}/workspace/{workspace}", {"name": name, "mode": "1"}
    )
    assert switched.status_code == 200, switched.text
    listed = remote.call("GET", "/workspaces").json()["workspaces"]
    production = next(w for w in listed if w["id"] == workspace)["productionWorkspaceId"]
    lesser = member(admin, role, folder / "lesser.toml")
    route = f"r_{uuid.uuid4().hex[:10]}"
    target = remote.new_workspace("envto")
    made = admin("routes", "create", route, "--from", workspace, "--to", target, "--all")
    assert made.exit_code == 0, made.output
    return Told(server, admin, lesser, folder, secret, name, production, route)


def _user_job() -> dict[str, Any]:
    """The story's one job, naming the objects ``USED`` (registered or not): a connection by
    a node, an agency by its ``basicConfig``."""
    node = {
        "name": "n0",
        "type": "Dummy",
        "properties": [{"name": "connectionName", "value": "dst"}],
        "location": {"x": "10", "y": "20"},
        "preNodeName": [],
    }
    return {
        "name": USER,
        "nodes": [node],
        "schedule": {"type": "EXECUTE_ONCE"},
        "processType": "BATCH",
        "basicConfig": {"owner": "alice", "agency": "dst"},
    }


def _document_file(told: Told, what: str, choice: str, documents: dict[str, Any]) -> str:
    """The file a ``put`` reads: ``missing`` is none, ``typo`` holds no such document, an
    empty document is an empty file."""
    path = told.folder / f"{what}_{choice}.json"
    if choice == "missing":
        return str(path)
    typo = TYPO_PROFILE if what == "profile" else TYPO_POLICY
    document = documents[choice]
    path.write_text(json.dumps(typo if document is None else document) if document != {} else "")
    return str(path)


def _env(told: Told, step: Step) -> tuple[Outcome, list[str], dict[str, Any]]:
    """An ``env`` step: the prediction, the arguments, and how the command is run; ``prod-…``
    on the production side."""
    model, act, args, admin = told.model, step.act, step.args, step.admin
    line, run = _env_line(told, act.replace("prod-", "env-"), args)
    if act.startswith("prod-"):
        run["workspace"] = f"{told.name} (production)"
        return in_production(admin, act, args), line, run
    if act == "env-list":
        return model.env_list(args[0]), line, run
    if act == "env-show":
        return model.env_show(*args), line, run
    if act == "env-delete":
        return model.env_delete(admin, *args), line, run
    return model.env_put(admin, args), line, run


def _env_line(told: Told, act: str, args: tuple[Any, ...]) -> tuple[list[str], dict[str, Any]]:
    """The command line of an ``env`` step, and what it is run with."""
    if act == "env-list":
        return ["env", "list", *([args[0]] if args[0] else [])], {}
    if act in ("env-show", "env-delete"):
        return ["env", act.removeprefix("env-"), *args], {}
    kind, name, type_, host, secret, from_file = args
    line = ["env", "put", kind, name, *(["--type", type_] if type_ else [])]
    line += ["--config", f"host={host}"] if host else []
    source = {
        "file": f"@{told.folder / 'pw.txt'}",
        "stdin": "-",
        "env": f"env:{SECRET_VARIABLE}",
        "absent": f"@{told.folder / 'no_such.pw'}",
        "binary": f"@{told.folder / 'utf16.pw'}",
        "inline": told.secret,
    }.get(secret)
    line += ["--secret", f"password={source}"] if source else []
    line += ["--config", "password=plain"] if secret == "setting" else []
    if from_file == "absent":
        return [*line, "--from-file", str(told.folder / "no_such.json")], {}
    if from_file is not None:
        document: dict[str, Any] = {"type": "DWS", "config": {"host": "10.0.0.1"}}
        if kind == "connection":  # kept as a secret, never shown
            document["config"]["password"] = told.secret
        if from_file == "bad":
            document["secrets"] = {"password": told.secret}
        path = told.folder / f"object_{from_file}.json"
        path.write_text(json.dumps(document), encoding="utf-8")
        line += ["--from-file", str(path)]
    return line, {"input": told.secret + "\n", "env": {SECRET_VARIABLE: told.secret}}


def _command(told: Told, step: Step) -> tuple[Outcome, list[str], dict[str, Any]]:
    """What the model predicts of ``step``, its command line, and how it is run."""
    model, act, args, admin = told.model, step.act, step.args, step.admin
    if act.startswith(("env-", "prod-")):
        return _env(told, step)
    if act == "profiles-list":
        return OK, ["profiles", "list"], {}
    if act == "profiles-show":
        name, version = args
        line = [
            "profiles",
            "show",
            name,
            *(["--version", str(version)] if version is not None else []),
        ]
        return model.profile_show(name, version), line, {}
    if act == "profiles-put":
        name, choice = args
        file = _document_file(told, "profile", choice, PROFILES)
        return (
            model.profile_put(admin, name, PROFILES[choice]),
            ["profiles", "put", name, "-f", file],
            {},
        )
    if act == "profiles-delete":
        return model.profile_delete(admin, args[0]), ["profiles", "delete", args[0]], {}
    if act == "policies-list":
        return OK, ["policies", "list"], {}
    named = {ROUTE: told.route}.get(args[0], args[0]) if args else None
    route = ["--route", named] if act.startswith("policies-") and named else []
    if act == "policies-show":
        version = ["--version", str(args[1])] if args[1] is not None else []
        return model.policy_show(*args), ["policies", "show", *route, *version], {}
    if act == "policies-history":
        return model.policy_history(args[0]), ["policies", "history", *route], {}
    if act == "policies-put":
        file = _document_file(told, "policy", args[1], POLICIES)
        predicted = model.policy_put(admin, args[0], POLICIES[args[1]])
        return predicted, ["policies", "put", "-f", file, *route], {}
    return _keys(told, step)


def _keys(told: Told, step: Step) -> tuple[Outcome, list[str], dict[str, Any]]:
    """A ``keys`` step: the prediction, the arguments, and how the command is run."""
    model, act, args, admin = told.model, step.act, step.args, step.admin
    if act == "keys-create":
        line = ["keys", "create", *(["--replace"] if args[0] else [])]
        return model.key_create(admin, args[0]), line, {}
    if act == "keys-show":
        return model.key_show(admin), ["keys", "show"], {}
    if act == "keys-delete":
        return model.key_delete(admin), ["keys", "delete"], {}
    if act == "keys-list":
        return OK, ["keys", "list", *(["--distrusted"] if args[0] else [])], {}
    if act == "keys-trust":
        name, key, via = args
        public = PUBLIC_KEYS.get(key)
        text = public or "ed25519:not-a-key"
        line = ["keys", "trust", name, *([] if via in ("file", "no-file") else [text])]
        line += _key_file(told, text, via)
        return model.key_trust(admin, name, public, via), line, {}
    key, how, label = args
    public = PUBLIC_KEYS[key]
    line = ["keys", "distrust"]
    if how == "id":
        line.append(told.key_ids.get(public, UNKNOWN_KEY_ID))
    line += ["--public-key", public] if how == "public" else _key_file(told, public, how)
    line += ["--name", label] if label else []
    return model.key_distrust(admin, public, how, label), line, {}


def _key_file(told: Told, public: str, via: str) -> list[str]:
    """``--file FILE`` holding ``public`` (``file``, ``both``), or naming a file that is not
    there (``no-file``); none for another way of giving the key."""
    if via not in ("file", "both", "no-file"):
        return []
    path = told.folder / ("no_such.pub" if via == "no-file" else f"key_{len(public)}.pub")
    if via != "no-file":
        path.write_text(public + "\n", encoding="utf-8")
    return ["--file", str(path)]


def _take(told: Told, step: Step) -> tuple[Outcome, Result]:
    """Run ``step``'s command as its user; what the model predicts and what it did."""
    predicted, line, run = _command(told, step)
    cli = told.admin if step.admin else told.lesser
    run["env"] = {"COLUMNS": "300", **run.get("env", {})}  # whole cells, whatever the terminal
    return predicted, cli(*line, *(["--json"] if step.json else []), **run)


def _check_answer(told: Told, step: Step, predicted: Outcome, result: Result) -> Any:
    """The step exits as predicted and says it where docs/cli.md puts it, never the secret;
    ``--json``'s document, or None."""
    said = (step, result.stdout, result.stderr)
    assert told.secret not in result.stdout + result.stderr, said
    assert result.exit_code == predicted.exit_code, said
    checked = DOCUMENT_KEYS.sub("", result.stderr)
    answer = told_where_documented(
        result.stdout, result.stderr, predicted, step.json, said, checked=checked
    )
    if not step.json and predicted.codes == {DENIED}:  # who may, and the workspace
        assert "admin" in " ".join(result.stderr.split()), said
    return answer


@GENERATED
@given(story=env_stories())
@example(story=SECRET_KEPT)
@example(story=KEYS_AROUND)
@example(story=RULES_AND_PROFILES)
def test_env_profile_policy_and_key_commands_keep_their_promises(
    server: ServerProcess, story: tuple[str, tuple[Step, ...]]
) -> None:
    note(repr(story))
    role, steps = story
    with tempfile.TemporaryDirectory(prefix=f"env{uuid.uuid4().hex[:6]}") as where:
        told = _told(server, Remote(server), Path(where), role)
        try:
            check_held(told)
            for step in steps:
                predicted, result = _take(told, step)
                event(f"{step.act}: exit {predicted.exit_code}")
                body = _check_answer(told, step, predicted, result)
                if not predicted.codes:
                    check_said(told, step, body, result.stdout)
                check_held(told)
        finally:  # the route and its policy go: the project's other tests list policies
            removed = told.admin.remote.call("DELETE", f"/routes/{told.route}")
            assert removed.status_code in (200, 204), removed.text
