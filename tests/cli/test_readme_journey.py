"""The README's quickstart, run line by line as a newcomer would: a real server on the embedded
SQLite database in a fresh folder, the CLI as a separate process with only the environment the
README sets, each command's exit code checked. If the README drifts, this fails."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from support.builders import make_job, make_script
from support.server import ServerProcess, start_server

# A server and ten CLI processes of ~1.8 s of CPU each: on a 2-core machine shared with the
# rest of the suite (make check) that took over the default 120 s.
pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(300)]
ROOT = Path(__file__).resolve().parents[2]
JOBFERRY = str(Path(sys.executable).parent / "jobferry")


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


def seed_default_workspace(server: ServerProcess) -> None:
    """What the README assumes: a job in `default`, using a connection with a password."""
    conn = {"type": "DWS", "config": {"host": "test-db"}, "secrets": {"password": "test-pw"}}
    assert server.call("PUT", "/environment/connection/dws_conn", json.dumps(conn).encode()).ok
    script = make_script("orders_sql")
    assert server.call("POST", "/scripts", json.dumps(script).encode()).status_code == 204
    job = make_job("orders")
    job["nodes"] = job["nodes"][:1]  # one DWS SQL node: script orders_sql, connection dws_conn
    job["nodes"][0]["properties"][0]["value"] = "orders_sql"
    assert server.call("POST", "/jobs", json.dumps(job).encode()).status_code == 204


def test_the_readme_quickstart_runs_as_written(tmp_path: Path) -> None:
    server = start_server(tmp_path / "data", f"sqlite:///{tmp_path / 'data' / 'jobferry.db'}")
    try:
        seed_default_workspace(server)
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("JOBFERRY_") or key == "JOBFERRY_TEST_POSTGRES_URL"
        }
        values = {
            "<printed project id>": server.project_id,
            "<admin access key>": server.ak,
            "<admin secret key>": server.sk,
            "<prod database password>": "prod-pw",
            "http://127.0.0.1:8000": server.url,
        }
        task_id = None
        ran = []
        for line, comment in quickstart():
            for placeholder, value in values.items():
                line = line.replace(placeholder, value)
            if task_id is not None:
                line = line.replace("<import task id>", task_id)
            words = shlex.split(line)
            if words[0] == "export":
                env.update(word.split("=", 1) for word in words[1:])
                continue
            assert words[0] == ".venv/bin/jobferry", line
            done = subprocess.run(
                [JOBFERRY, *words[1:]], cwd=tmp_path, env=env, capture_output=True, text=True
            )
            expected = 3 if "exit 3" in comment and not ran.count(words[1]) else 0
            said = (line, done.stdout[-2000:], done.stderr[-2000:])
            assert done.returncode == expected, said
            ran.append(words[1])
            found = re.search(r"Task ([0-9a-f]{32})\. Roll it back with", done.stdout)
            if words[1] == "import":
                assert found, done.stdout[-2000:]
                task_id = found.group(1)
        assert ran == [
            "admin",
            "export",
            "package",
            "plan",
            "env",
            "plan",
            "import",
            "rollback",
        ]
    finally:
        server.stop()
