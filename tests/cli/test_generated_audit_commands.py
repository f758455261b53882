"""Generated stories of ``jobferry audit``, ``jobferry drift`` and ``jobferry users keys
new|add|list|revoke|members`` (``support/cli_audit_stories.py``): in a workspace a promotion's
import wrote, a workspace admin and a developer change objects through signed calls, search
the audit log with its filters, read the drift and register, list and revoke approval keys,
in-process against the shared ``jobferry serve``; the project admin searches the project's
lines of what they did. After every step, whatever the story, the commands keep the promises
of docs/cli.md (``support/cli_audit_model.py`` says them):

- each step exits as documented (0; 4 for ``drift`` when anything drifted; 1 for a refusal,
  with its DataArts code; 2 for a usage error: a time that is none or before 1970, a window
  of no time, a ``--limit`` out of range, a key file that is none or is there already);
- ``--json`` prints exactly one JSON document on standard output; told for a person, an answer
  goes to standard output and nothing to standard error, a refusal to standard error alone, as
  ``error CODE: …``, naming the object and the fix, never an API call or a wire field;
- a search answers exactly the lines the model predicts, newest first, how many match, and
  the import of the object it names; ``drift`` lists exactly the objects changed since the
  import, with who changed them last;
- what a command says it did is what the server holds, and a refused command changed nothing:
  the workspace's audit log, its drift, the people's approval keys and the project's lines of
  them, read back with signed calls.
"""

from __future__ import annotations

import time
import tomllib
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import event, example, given, note
from typer.testing import Result

from jobferry.package.keys import key_id_of, normalize_public_key
from support.builders import make_job, make_script
from support.cli import Cli, member, write_config
from support.cli_audit_model import IMPORTED, Entry, Found, Model, Search
from support.cli_audit_stories import (
    CHANGED_THEN_SEARCHED,
    KEYS_AROUND,
    RENAMED_AND_BACK,
    audit_stories,
)
from support.cli_command_model import OK, Outcome, told_where_documented
from support.cli_command_stories import Step
from support.import_stories import generated

pytestmark = [pytest.mark.fuzz, pytest.mark.databases("sqlite")]
GENERATED = generated(4)
"""Stories a test tells (JOBFERRY_FUZZ_EXAMPLES=30 and a ``--hypothesis-seed`` for a longer
run); SQLite only: the commands speak HTTP, the storage beneath is tested elsewhere."""
WIDE = {"COLUMNS": "400"}
"""Whole cells and lines, whatever the terminal running the suite."""
UNKNOWN_KEY = "0f0f0f0f0f0f0f0f"


@dataclass
class Person:
    """One of the story's people: their CLI, user name and access keys."""

    cli: Cli
    name: str
    ak: str
    sk: str


@dataclass
class Told:
    """A story's workspace, its people and the model."""

    people: dict[str, Person]
    workspace: str
    folder: Path
    model: Model
    version: int = 0

    @property
    def root(self) -> Person:
        return self.people["root"]

    def call(
        self, who: str, method: str, path: str, body: Any = None, api: str = "v1", **query: Any
    ) -> Any:
        """A signed call of ``who`` in the story's workspace; its answer, which succeeded."""
        person = self.people[who]
        data = b"" if body is None else orjson.dumps(body)
        server = person.cli.server
        answer = server.call(
            method, path, data, self.workspace, person.ak, person.sk, api, query=query
        )
        assert answer.status_code < 300, answer.text
        return answer.json() if answer.content else None


def _person(cli: Cli) -> Person:
    config = tomllib.loads(cli.config.read_text(encoding="utf-8"))["contexts"]["default"]
    answer = cli.server.call("GET", "/users/me", ak=config["ak"], sk=config["sk"])
    return Person(cli, answer.json()["name"], config["ak"], config["sk"])


def _told(cli: Cli, package: Path, folder: Path) -> Told:
    """A new workspace the package was imported into, its admin and a developer."""
    folder = folder / uuid.uuid4().hex[:8]
    folder.mkdir()
    workspace = cli.remote.new_workspace("audited", "dws_conn", "ssh_conn")
    config = write_config(folder / "root.toml", cli.server, workspace)
    root = Cli(cli.server, cli.remote, workspace, config, cli.cwd)
    people = {
        "root": _person(root),
        "admin": _person(member(root, "admin", folder / "admin.toml")),
        "dev": _person(member(root, "developer", folder / "dev.toml")),
    }
    root.imported(package, workspace=workspace)
    told = Told(people, workspace, folder, Model({k: p.name for k, p in people.items()}, [], 0))
    found = told.call("root", "GET", "/audit", objectName="daily_sales")
    told.model.imported_at = found["imports"][0]["time"]
    log = told.call("root", "GET", "/audit", limit=100)["entries"]
    told.model.log = [_entry(e) for e in log]
    return told


def _entry(answer: dict[str, Any]) -> Entry:
    return Entry(
        answer["action"],
        answer["objectKind"],
        answer["objectName"],
        answer["actor"],
        answer["time"],
    )


def _mark(told: Told) -> None:
    """The moment before a step: every line written before is older, every one after not."""
    time.sleep(0.002)
    told.model.marks.append(time.time_ns() // 1_000_000)


# the steps


def _write(told: Told, step: Step) -> None:
    """A signed call changing an object (nothing when the object is not there to change, or
    there already to create, or a rename's new name is taken)."""
    who, change, kind, name = step.args
    model = told.model
    told.version += 1
    if kind == "script":
        body = make_script(name, content=f"select 'v{told.version}';")
        told.call(who, "PUT", f"/scripts/{name}", body)
        model.wrote(who, "script.update", kind, name, (kind, name))
        return
    if change == "rename":
        _renamed(told, who)
        return
    if (change == "create") == (name in model.jobs):
        return
    imported = ("job", "daily_sales") if model.imported_job == name else None
    job = make_job(name.removesuffix("_r"), description=f"v{told.version}")
    job["name"] = name
    if name.startswith("daily_sales"):  # as the import wrote it, but its description
        job["nodes"][0]["properties"].append({"name": "resourceName", "value": "udf_jar"})
    if change == "create":
        told.call(who, "POST", "/jobs", job)
        model.jobs.add(name)
    elif change == "edit":
        told.call(who, "PUT", f"/jobs/{name}", job)
    else:
        told.call(who, "DELETE", f"/jobs/{name}")
        model.jobs.discard(name)
    model.wrote(who, f"job.{change if change != 'edit' else 'update'}", kind, name, imported)
    if imported is not None and change == "delete":
        model.imported_job = None


def _renamed(told: Told, who: str) -> None:
    """The job the import wrote renamed (DataArts' v2 rename) to ``daily_sales_r``, or back."""
    model = told.model
    old = model.imported_job
    new = "daily_sales_r" if old == "daily_sales" else "daily_sales"
    if old is None or new in model.jobs:
        return
    told.call(who, "PUT", f"/factory/jobs/{old}/rename", {"name": new}, api="v2")
    model.jobs = (model.jobs - {old}) | {new}
    model.imported_job = new
    model.wrote(who, "job.rename", "job", new, ("job", "daily_sales"))


def _resolved(told: Told, search: Search) -> Search:
    """The search with people as user names and marks taken among the story's."""
    marks = told.model.marks

    def moment(bound: tuple[str, Any] | None) -> tuple[str, Any] | None:
        return ("mark", bound[1] % len(marks)) if bound and bound[0] == "mark" else bound

    user = told.people[search.user].name if search.user in told.people else search.user
    return replace(search, user=user, since=moment(search.since), until=moment(search.until))


def _time_text(told: Told, bound: tuple[str, Any]) -> str:
    if bound[0] != "mark":
        return str(bound[1])
    at = told.model.marks[bound[1]]  # half a millisecond past it: read back as that one
    return datetime.fromtimestamp(at / 1000 + 0.0005, UTC).isoformat()


def _audit_args(told: Told, search: Search) -> list[str]:
    args = ["audit"]
    for option, value in (
        ("--object", search.object_name),
        ("--kind", search.kind),
        ("--user", search.user),
        ("--action", search.action),
        ("--limit", None if search.limit is None else str(search.limit)),
    ):
        args += [option, value] if value is not None else []
    for option, bound in (("--since", search.since), ("--until", search.until)):
        args += [option, _time_text(told, bound)] if bound is not None else []
    return args + (["--project"] if search.project else [])


def _run(told: Told, who: str, step: Step, *args: str) -> Result:
    cli = told.people[who].cli
    return cli(*args, *(["--json"] if step.json else []), env=WIDE)


def _key_file(told: Told, index: int) -> Path:
    return told.folder / f"k{index}"


def _take(told: Told, step: Step) -> tuple[Outcome, Result, Any]:
    """Run a command step: what the model predicts, what the command did, and what the
    check of what it said needs (the search's answer, the key's id)."""
    act, who, model = step.act, step.args[0], told.model
    if act == "audit":
        search = _resolved(told, step.args[1])
        found = model.search(who, search)
        return found.outcome, _run(told, who, step, *_audit_args(told, search)), found
    if act == "drift":
        return model.drifted(), _run(told, who, step, "drift"), None
    if act == "new":
        path = _key_file(told, step.args[1])
        result = _run(told, who, step, "users", "keys", "new", str(path))
        made = step.args[1] not in model.keys and path.with_name(path.name + ".pub").is_file()
        key_id = key_id_of(normalize_public_key(_public(path))) if made else None
        return model.new(step.args[1], key_id), result, key_id
    if act == "add":
        index, label = step.args[1:]
        predicted = model.add(who, index, label)
        pub = str(_key_file(told, index)) + ".pub"
        key = model.keys.get(index)
        result = _run(told, who, step, "users", "keys", "add", pub, "--name", label)
        return predicted, result, key
    if act == "revoke":
        index = step.args[1]
        key = model.keys.get(index) if index is not None else None
        key_id = key.key_id if key is not None else UNKNOWN_KEY
        predicted = model.revoke(who, index, key_id)
        return predicted, _run(told, who, step, "users", "keys", "revoke", key_id), key_id
    if act == "list":
        return OK, _run(told, who, step, "users", "keys", "list"), None
    return model.members(who), _run(told, who, step, "users", "keys", "members"), None


def _public(path: Path) -> str:
    return path.with_name(path.name + ".pub").read_text(encoding="utf-8")


# the checks


def _check_answer(step: Step, predicted: Outcome, result: Result) -> Any:
    """The step exits as predicted and says it where docs/cli.md puts it; ``--json``'s
    document, or None."""
    said = (step, result.stdout, result.stderr)
    assert result.exit_code == predicted.exit_code, said
    return told_where_documented(result.stdout, result.stderr, predicted, step.json, said)


def _rows(out: str) -> list[list[str]]:
    return [[c.strip() for c in line.split("│")] for line in out.splitlines() if "│" in line]


def _check_search(told: Told, found: Found, search: Search, body: Any, out: str) -> None:
    """The lines a search shows are the model's, newest first; how many match; the imports
    of the object it names."""
    shown = [e.seen() for e in found.entries]
    if body is not None:
        seen = [_entry(e).seen() for e in body["entries"]]
        assert seen == shown, (search, seen, shown)
        assert body["total"] == found.total, (search, body)
        if found.imports is None:
            assert "imports" not in body, body
        else:
            imports = [(i["objectKind"], i["objectName"]) for i in body["imports"]]
            assert imports == list(found.imports), (search, body)
        return
    title = f"Imports that changed {search.object_name}, newest first"
    table, _, below = out.partition(title)
    rows = [(r[1], r[2], r[3]) for r in _rows(table)]
    assert rows == [(a, act, " ".join(x for x in (k, n) if x)) for act, k, n, a in shown], out
    flat = " ".join(out.split())
    if found.imports:
        assert [r[2] for r in _rows(below)] == [f"{k} {n}" for k, n in found.imports], out
    elif not shown:
        assert "has no entry that matches." in flat or "has no entry yet." in flat, out
    more = f"The newest {len(shown)} of {found.total} entries"
    assert (more in flat) == (found.total > len(shown)), out
    if found.total > len(shown):  # every filter narrows them
        assert "--object, --kind, --user, --action, --since and --until narrow" in flat, out
    # where an object's imports are told: of an object asked for (a blank one is none)
    assert ("jobferry tasks show TASK" in flat) == (found.imports is not None), out


def _check_drift(told: Told, body: Any, out: str) -> None:
    listed = told.model.drift_listed()
    if body is not None:
        seen = [(o["kind"], o["name"], o.get("deleted", False), o["updateUser"]) for o in body]
        assert seen == listed, (seen, listed)
        return
    heads = [line for line in out.splitlines() if line.startswith(("DRIFTED ", "DELETED "))]
    assert len(heads) == len(listed), out
    for head, (kind, name, deleted, by) in zip(heads, listed, strict=True):
        assert head.startswith("DELETED " if deleted else "DRIFTED "), out
        assert f"{kind} {name}" in head, out
        assert f"{'deleted' if deleted else 'changed'} by {by} " in head, out
    flat = " ".join(out.split())
    if listed:
        assert f"{len(listed)} of the {len(IMPORTED)} object(s)" in flat, out
    else:
        assert f"({len(IMPORTED)} object(s) compared)" in flat, out


def _check_keys(told: Told, step: Step, body: Any, out: str, key: Any) -> None:
    """What a key command that worked says is what the model holds."""
    act, who = step.act, step.args[0]
    people = told.people
    if act in ("list", "members"):
        mine = (people[who].name,) if act == "list" else (people["admin"].name, people["dev"].name)
        expected = told.model.keys_of(*mine)
        if body is not None:
            keys = [(k["keyId"], k["user"], k["revokeTime"] is not None) for k in body["keys"]]
        else:
            keys = [(r[0], r[1], r[4] != "") for r in _rows(out)]
            assert keys or "No keys." in out, out
        assert sorted(k for k in keys if k[1] in mine) == expected, (keys, expected)
        return
    key_id = key if isinstance(key, str) else key.key_id
    text = body["keyId"] if body is not None else out
    assert key_id in text, (key_id, text)
    if act == "new" and body is None:
        assert "jobferry users keys add" in out, out


def _check_held(told: Told) -> None:
    """The workspace's log, its drift, the people's keys and the project's lines of them
    are what the model holds, read back; each new line's time is after the step's mark."""
    model = told.model
    log = told.call("root", "GET", "/audit", limit=100)["entries"]
    _check_lines(model, model.log, log)
    drift = told.call("root", "GET", "/drift")
    seen = [
        (o["kind"], o["name"], o.get("deleted", False), o["updateUser"]) for o in drift["objects"]
    ]
    assert seen == model.drift_listed(), seen
    assert drift["compared"] == len(IMPORTED), drift
    for who in ("admin", "dev"):
        name = told.people[who].name
        keys = told.call(who, "GET", "/users/me/approval-keys")["keys"]
        mine = sorted((k["keyId"], k["user"], k["revokeTime"] is not None) for k in keys)
        assert mine == model.keys_of(name), (who, mine)
        lines = told.call("root", "GET", "/audit", project="true", actor=name)["entries"]
        _check_lines(model, model.project_log.get(name, []), lines)


def _check_lines(model: Model, held: list[Entry], answer: list[dict[str, Any]]) -> None:
    """The lines of a log read back are the model's; a line the model did not know the time
    of was written after the step's mark, and the model now knows it."""
    read = [_entry(e) for e in answer]
    assert [e.seen() for e in read] == [e.seen() for e in held], (read, held)
    for line, seen in zip(held, read, strict=True):
        if line.at is None:
            assert seen.at is not None, seen
            assert seen.at >= model.marks[-1], (line, seen)
            line.at = seen.at


def _check_said(told: Told, step: Step, body: Any, out: str, extra: Any) -> None:
    if step.act == "audit":
        search = _resolved(told, step.args[1])
        _check_search(told, extra, search, body, out)
    elif step.act == "drift":
        _check_drift(told, None if body is None else body["objects"], out)
    else:
        _check_keys(told, step, body, out, extra)


@GENERATED
@given(story=audit_stories())
@example(story=CHANGED_THEN_SEARCHED)
@example(story=KEYS_AROUND)
@example(story=RENAMED_AND_BACK)
def test_audit_drift_and_key_commands_keep_their_promises(
    cli: Cli, package: Path, tmp_path: Path, story: tuple[Step, ...]
) -> None:
    note(repr(story))
    told = _told(cli, package, tmp_path)
    for step in story:
        _mark(told)
        if step.act == "write":
            _write(told, step)
        else:
            predicted, result, extra = _take(told, step)
            event(f"{step.act}: exit {predicted.exit_code}")
            body = _check_answer(step, predicted, result)
            if predicted.exit_code in (0, 4):
                _check_said(told, step, body, result.stdout, extra)
        _check_held(told)
