"""The table of commands (``jobferry.cli.commands``) names every command a group has: a fresh
``jobferry`` process, which imports only the module of the command it runs, finds each group's
commands as a process that has imported every module of the CLI does, and loads none of the
server's libraries (SQLAlchemy, FastAPI…) before a command runs."""

from __future__ import annotations

import functools
import importlib
import json
import pkgutil
import subprocess
import sys
from typing import Any

import jobferry.cli
from jobferry.cli.commands import COMMANDS, load

FRESH = """
import json, os, sys
import jobferry.cli.session  # what every command imports, before the forks
from jobferry.cli.commands import COMMANDS, load
found = {}
for name in COMMANDS:  # each group loaded in a process that has loaded nothing else
    read, write = os.pipe()
    if os.fork() == 0:
        group = load(name)
        os.write(write, json.dumps(%s).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as answer:
        found[name] = json.loads(answer.read())
    os.wait()
print(json.dumps(found))
"""
"""Loads each command group in a fresh process and prints what the expression put in it
says of the group (``group``, the loaded module) or of the process (``sys``)."""


SERVER_SIDE = ("sqlalchemy", "alembic", "psycopg", "fastapi", "starlette", "uvicorn", "jinja2")

SAID = {
    "loaded": f"sorted(set(sys.modules) & set({SERVER_SIDE!r}))",
    "commands": 'sorted(getattr(group, "commands", {}))',
}
"""What each test asks of each group once it alone is loaded: the server's libraries the
process then holds (asked first), and the group's commands."""


@functools.cache
def _fresh_answers() -> dict[str, dict[str, Any]]:
    """Each command group: what every expression of :data:`SAID` says once it alone is loaded
    (:data:`FRESH`), all asked in one run of the fresh process (a fork per group), as the
    process costs seconds on a busy machine."""
    said = "{" + ", ".join(f"{key!r}: {expression}" for key, expression in SAID.items()) + "}"
    ran = subprocess.run([sys.executable, "-c", FRESH % said], capture_output=True, check=True)
    found: dict[str, dict[str, Any]] = json.loads(ran.stdout)
    return found


def _fresh(asked: str) -> dict[str, Any]:
    """Each command group: what the expression ``SAID[asked]`` says once it alone is loaded."""
    return {name: answers[asked] for name, answers in _fresh_answers().items()}


def _groups() -> dict[str, list[str]]:
    return {name: sorted(getattr(load(name), "commands", {})) for name in COMMANDS}


def test_a_fresh_process_finds_every_command_of_every_group() -> None:
    for module in pkgutil.iter_modules(jobferry.cli.__path__):
        importlib.import_module(f"jobferry.cli.{module.name}")  # every decorator has run
    everything = _groups()

    fresh = _fresh("commands")

    assert fresh == everything
    assert "history" in fresh["routes"]


def test_no_command_group_loads_the_servers_libraries_before_it_runs() -> None:
    # every command (and `jobferry --help`, which loads every group) starts in a fresh
    # process: `remotes` took the database layer in through one constant, half a second of
    # every command's start on a busy machine. A command that needs them (`serve`, `db`,
    # `admin`) imports them as it runs.
    loaded = _fresh("loaded")
    assert loaded == {name: [] for name in COMMANDS}
