"""Enterprise-mode helpers of the command-line tests: the CLI as another user, a job with its
two scripts submitted over the API, and a cell of a table the CLI printed."""

from __future__ import annotations

from dataclasses import replace
from itertools import takewhile
from pathlib import Path

from support.builders import make_job, make_script
from support.cli import Cli


def as_user(cli: Cli, name: str, ak: str, sk: str, tmp: Path) -> Cli:
    """The same CLI configured with another user's credentials."""
    text = cli.config.read_text(encoding="utf-8")
    text = text.replace(f'ak = "{cli.server.ak}"', f'ak = "{ak}"')
    text = text.replace(f'sk = "{cli.server.sk}"', f'sk = "{sk}"')
    config = tmp / f"{name}.toml"
    config.write_text(text, encoding="utf-8")
    return replace(cli, config=config)


def submit(cli: Cli, name: str) -> None:
    """A job and the two scripts it runs, created over the API (each a submit)."""
    for script in (make_script(f"{name}_sql"), make_script(f"{name}_sh", type="Shell")):
        answer = cli.remote.call("POST", "/scripts", script, workspace=cli.workspace)
        assert answer.status_code == 204, answer.text
    answer = cli.remote.call("POST", "/jobs", make_job(name), workspace=cli.workspace)
    assert answer.status_code == 204, answer.text


def table_cell(stdout: str, row: str, column: int) -> str:
    """The text of ``column`` in the table row holding ``row``, its lines joined: a narrow
    terminal wraps a cell over the lines below, whose first cell is blank."""
    lines = stdout.splitlines()
    at = next(n for n, line in enumerate(lines) if row in line)
    below = (line.split("│") for line in lines[at + 1 :])
    cells = [
        lines[at].split("│"),
        *takewhile(lambda c: len(c) > column and not c[0].strip(), below),
    ]
    return " ".join(c[column].strip() for c in cells if c[column].strip())
