"""The README's quickstart, run line by line as a newcomer would: a real server started as
`make run` starts it on an empty data folder (it generates the project id and the admin's keys
and writes them to data/admin-credentials.json, nothing is seeded), in a folder holding that
data folder and a copy of the repository's `examples/`; the CLI as a separate process with only
the environment the README sets (and a config folder of its own), each command's exit code
checked, and the plans' problems read. If the README or `examples/` drifts, this fails."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from jobferry.package.folder import read_folder
from support.server import start_server

# A server and a dozen CLI processes of ~1.8 s of CPU each: on a 2-core machine shared with the
# rest of the suite (make check) that took over the default 120 s.
pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(300)]
ROOT = Path(__file__).resolve().parents[2]
JOBFERRY = str(Path(sys.executable).parent / "jobferry")
PLACEHOLDERS = {
    "<test database password>": "test-pw",
    "<prod database password>": "prod-pw",
}


def quickstart() -> list[tuple[str, str]]:
    """The commands of the README's quickstart shell block with their trailing comments
    (comment-only and blank lines dropped)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quickstart", 1)[1]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    pairs = []
    for raw in block.splitlines():
        line, _, comment = raw.partition("  #")
        if line.strip() and not line.strip().startswith("#"):
            pairs.append((line.strip(), comment))
    return pairs


def route_block() -> list[str]:
    """The commands of the README's route shell block (the one after "The hundredth
    promotion"), a line continued with a backslash joined to the next, comments dropped."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("**The hundredth promotion: a route.**", 1)[1]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    commands, pending = [], ""
    for raw in block.splitlines():
        line = raw.partition("  #")[0].strip()
        if line.endswith("\\"):
            pending += line[:-1]
            continue
        if pending + line:
            commands.append(pending + line)
        pending = ""
    return commands


ROUTE_EXITS = {
    "routes create": 0,
    "promote test-prod": 4,  # the first promotion: every example object to create
    "promote test-prod --apply --yes": 0,
    "routes history": 0,
    "drift": 0,  # nothing changed in prod since the promotion wrote it
}


def run_route_block(cwd: Path, env: dict[str, str]) -> None:
    """The route block, after the quickstart (prod has its connection; its import was rolled
    back), each command's exit code as its comment says."""
    for line in route_block():
        words = shlex.split(line)
        assert words[0] == ".venv/bin/jobferry", line
        done = run(words[1:], cwd, env)
        said = (line, done.stdout[-2000:], done.stderr[-2000:])
        command = " ".join(words[1:])
        start = max((s for s in ROUTE_EXITS if command.startswith(s)), key=len)
        expected = ROUTE_EXITS[start]
        assert done.returncode == expected, said


def newcomer_env(home: Path) -> dict[str, str]:
    """This process's environment without any jobferry setting, with a config folder of its
    own (``config init`` writes there, as it would in a newcomer's ~/.config)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("JOBFERRY_") or key == "JOBFERRY_TEST_POSTGRES_URL"
    }
    env["XDG_CONFIG_HOME"] = str(home / "config")
    env["HOME"] = str(home)
    return env


def run(words: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``jobferry WORDS…`` as a separate process."""
    return subprocess.run([JOBFERRY, *words], cwd=cwd, env=env, capture_output=True, text=True)


def plan_problems(words: list[str], cwd: Path, env: dict[str, str]) -> list[dict[str, object]]:
    """The problems of the plan ``words`` asks for, read from its ``--json`` answer."""
    done = run([*words, "--json"], cwd, env)
    problems: list[dict[str, object]] = json.loads(done.stdout)["plan"]["problems"]
    return problems


def assert_only_dws_conn_missing(problems: list[dict[str, object]]) -> None:
    """The first plan's one problem: prod lacks dws_conn, which every example object uses, so
    it lists them all; nothing else is wrong."""
    examples = {(o.kind.value, o.name) for o in read_folder(ROOT / "examples").objects}
    assert len(problems) == 1, problems
    [problem] = problems
    assert problem["reason"] == "missing_reference", problem
    assert (problem["kind"], problem["name"]) == ("connection", "dws_conn"), problem
    assert problem["reference"] == {"kind": "connection", "name": "dws_conn"}, problem
    used_by = problem["usedBy"]
    assert isinstance(used_by, list)
    assert {(u["kind"], u["name"]) for u in used_by} == examples
    assert "'prod'" in str(problem["detail"]), problem


def test_the_readme_quickstart_runs_as_written(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    db = tmp_path / "data" / "jobferry.db"
    server = start_server(tmp_path / "data", f"sqlite:///{db}", first_start=True)
    try:
        env = newcomer_env(tmp_path)
        values = {**PLACEHOLDERS, "http://127.0.0.1:8000": server.url}
        task_id = None
        ran = []
        for line, comment in quickstart():
            for placeholder, value in values.items():
                line = line.replace(placeholder, value)
            if task_id is not None:
                line = line.replace("<import task id>", task_id)
            words = shlex.split(line)
            assert "<" not in line, f"a placeholder the test does not fill: {line}"
            if words[0] == "export":
                env.update(word.split("=", 1) for word in words[1:])
                continue
            assert words[0] == ".venv/bin/jobferry", line
            done = run(words[1:], tmp_path, env)
            first = words[1] not in ran
            expected = 3 if "exit 3" in comment and first else 4 if "exit 4" in comment else 0
            said = (line, done.stdout[-2000:], done.stderr[-2000:])
            assert done.returncode == expected, said
            ran.append(words[1])
            if words[1] == "plan":
                problems = plan_problems(words[1:], tmp_path, env)
                if first:
                    assert_only_dws_conn_missing(problems)
                    # the fix in the CLI's own words, of the type and with the secret the
                    # package says the source's connection has: the README's next command
                    fix = "jobferry env put connection dws_conn --type DWS --secret password=@FILE"
                    assert fix in done.stdout, said
                else:
                    assert problems == [], problems
            found = re.search(r"Task ([0-9a-f]{32})\. Roll it back with", done.stdout)
            if words[1] == "import":
                assert found, done.stdout[-2000:]
                task_id = found.group(1)
        assert ran == [
            "config",
            "env",
            "apply",
            "admin",
            "export",
            "package",
            "plan",
            "env",
            "plan",
            "import",
            "rollback",
        ]
        run_route_block(tmp_path, env)
    finally:
        server.stop()
