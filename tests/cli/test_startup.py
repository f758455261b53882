"""A command imports only its own module: ``jobferry remotes refresh`` starts without the
package reader, YAML or the cron parser that other commands need (jobferry.cli.commands)."""

from __future__ import annotations

import os
import subprocess
import sys

import orjson

RUN = """
import sys
import orjson
sys.argv = ["jobferry", *sys.argv[1:]]
from jobferry.cli import main
try:
    main()
except SystemExit:
    pass
sys.__stdout__.write(orjson.dumps(sorted(sys.modules)).decode())
"""


def _imported(*args: str) -> set[str]:
    """The modules a ``jobferry`` process has imported when ``args`` have run (against an
    endpoint nobody listens on: the command goes as far as its first call)."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("JOBFERRY_")},
        "JOBFERRY_CONFIG": os.devnull,
        "JOBFERRY_ENDPOINT": "http://127.0.0.1:9",
        "JOBFERRY_PROJECT_ID": "p1",
        "JOBFERRY_AK": "ak",
        "JOBFERRY_SK": "sk",
        "JOBFERRY_WORKSPACE": "w1",
    }
    done = subprocess.run(
        [sys.executable, "-c", RUN, *args], env=env, capture_output=True, check=True, timeout=60
    )
    return set(orjson.loads(done.stdout.splitlines()[-1]))


def test_remotes_refresh_imports_neither_the_package_reader_nor_yaml_nor_croniter() -> None:
    modules = _imported("remotes", "refresh", "prod")
    assert "jobferry.cli.remotes" in modules  # it ran its own command
    heavy = {"jobferry.package.reader", "yaml", "croniter", "jobferry.cli.transfer"}
    assert not heavy & modules, heavy & modules
    others = {"jobferry.cli.approve", "jobferry.cli.package", "jobferry.cli.routes"}
    assert not others & modules, others & modules


def test_a_command_that_needs_them_still_gets_them() -> None:
    assert "jobferry.package.reader" in _imported("package", "verify", os.devnull)


def test_the_object_commands_import_no_import_options() -> None:
    """``jobs``, ``scripts`` and ``workspaces`` (the commands run most) reach their endpoint
    without what an import's options need (the profiles' model: some 0.15 s of a start)."""
    modules = _imported("jobs", "list")
    assert "jobferry.cli.jobs" in modules
    heavy = {"jobferry.cli.transfer", "jobferry.cli.import_options", "jobferry.domain.profile"}
    assert not heavy & modules, heavy & modules


def test_the_commands_run_most_import_no_database_layer() -> None:
    """The command line talks to a server: ``jobs list`` and ``tasks show`` start without
    SQLAlchemy or the storage layer (a constant the command line shares with the services
    once brought them in: 0.5 of a start's 0.7 s of imports)."""
    for args in (("jobs", "list"), ("tasks", "show", "t1"), ("workspaces", "list")):
        modules = _imported(*args)
        heavy = {m for m in modules if m.startswith(("sqlalchemy", "jobferry.storage"))}
        assert not heavy, (args, sorted(heavy)[:5])
