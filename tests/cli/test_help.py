"""Every command's ``--help`` names values (NAME, FILE, develop|submit), never Python types,
and usage errors under ``--json`` are one JSON error document with exit code 2."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import typer
import typer.rich_utils

from jobferry.cli.output import Output
from support.cli import invoke, whole_command

WIDE = {"COLUMNS": "200", "TERMINAL_WIDTH": "200"}
TYPE_LABEL = re.compile(
    r"<(?:bool|str|int|float|path|file|directory|datetime|uuid|list\[[^\]]*\]|[\w-]+(?:\|[\w-]+)+)>"
)
"""Typer's type labels (``<str>``, ``<list[str]>``) and choices (``<develop|submit>``); a
placeholder in a help text (``DLF_<job>.zip``) is prose, not a label."""


def _commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield path
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        if not sub.hidden:
            yield from _commands(sub, (*path, name))


COMMANDS = list(_commands(whole_command()))


def test_the_walk_finds_every_command_group_and_leaf() -> None:
    assert ("export",) in COMMANDS
    assert ("env", "put") in COMMANDS
    assert ("package", "verify") in COMMANDS
    assert len(COMMANDS) > 50


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "jobferry")
def test_help_names_values_not_python_types(path: tuple[str, ...]) -> None:
    result = invoke([*path, "--help"], env=WIDE, prog_name="jobferry")
    assert result.exit_code == 0, result.output
    labels = TYPE_LABEL.findall(result.output)
    assert not labels, f"jobferry {' '.join(path)} --help shows {labels}:\n{result.output}"
    usage = next(line for line in result.output.splitlines() if "Usage:" in line)
    assert "{" not in usage, usage


def test_help_shows_flags_bare_and_values_by_name() -> None:
    output = invoke(["export", "--help"], env=WIDE, prog_name="jobferry").output
    assert re.search(r"--with-upstream\s+Add every job", output)
    assert re.search(r"--output\s+-o\s+FILE\|DIR\s", output)
    assert re.search(r"--status\s+develop\|submit\s", output)
    assert "Usage: jobferry export [OPTIONS] [JOB...]" in output
    shown = invoke(["jobs", "show", "--help"], env=WIDE, prog_name="jobferry").output
    assert "Usage: jobferry jobs show [OPTIONS] NAME" in shown


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--json", "export", "--bogus"], "No such option: --bogus"),
        (["export", "--bogus", "--json"], "No such option: --bogus"),
        (["--json", "jobs", "show"], "Missing argument 'NAME'"),
        (["--json", "tasks", "list", "--limit", "many"], "Invalid value for '--limit'"),
        (["--json", "export", "--status", "later"], "'later' is not one of"),
        (["--json", "nosuchcommand"], "No such command 'nosuchcommand'"),
        (["--json", "--bogus"], "No such option: --bogus"),
        (["--json", "env"], "'jobferry env' needs a command"),
    ],
)
def test_usage_errors_under_json_are_one_json_error_with_exit_2(
    args: list[str], words: str
) -> None:
    result = invoke(args, prog_name="jobferry")
    assert result.exit_code == 2, result.output
    document = orjson.loads(result.stdout)
    error = document["error"]
    assert error["code"] == "usage"
    assert words in error["message"]
    assert error["help"].startswith("jobferry")
    assert error["help"].endswith("--help")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["promote", "r", "--apply", "--json"], "pass --yes to import without asking"),
        (["promote", "r", "--out", "a", "--in", "b", "--json"], "--out FILE (source side) or"),
        (["--json", "rollback", "t1"], "pass --yes to roll back without asking"),
        # a release command asks before it looks its production side up on the server
        (["--json", "releases", "deploy", "1"], "pass --yes to go on without asking"),
        (["--json", "releases", "rollback", "--last"], "pass --yes to go on without asking"),
        (["--json", "releases", "restore", "1"], "pass --yes to go on without asking"),
    ],
)
def test_a_command_refusing_before_it_reads_its_json_option_still_answers_json(
    args: list[str], words: str
) -> None:
    """A pipeline parsing standard output gets one document even when the command refuses in
    its first step (its options checked, no terminal to confirm at), before any call."""
    result = invoke(args, prog_name="jobferry")
    assert result.exit_code == 2, result.output
    error = orjson.loads(result.stdout)["error"]
    assert error["code"] == "usage"
    assert words in error["message"]
    assert result.stderr == ""


def test_usage_errors_without_json_stay_for_people() -> None:
    result = invoke(["export", "--bogus"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "No such option: --bogus" in result.stderr


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (
            ["promote", "r", "--apply", "--yes", "--wait-timeout", "600"],
            "--wait-timeout is an option of jobferry itself, not of 'jobferry promote': give it "
            "before the command: jobferry --wait-timeout SECONDS promote …",
        ),
        (
            ["tasks", "show", "t1", "--context", "prod"],
            "--context is an option of jobferry itself, not of 'jobferry tasks show': give it "
            "before the command: jobferry --context NAME tasks show …",
        ),
        (
            # jobferry --context prod config init would write the context 'default' (--name's
            # default) with the new keys, over the one that was there.
            ["config", "init", "--endpoint", "http://h:8000", "--context", "prod"],
            "--context is an option of jobferry itself, not of 'jobferry config init', which "
            "names the context it writes with --name: jobferry config init --name NAME …",
        ),
        (
            # jobferry -w ent admin set-role bob deployer would lack its WORKSPACE argument.
            ["admin", "set-role", "bob", "deployer", "-w", "ent"],
            "-w is an option of jobferry itself, not of 'jobferry admin set-role', which takes "
            "the workspace as its argument WORKSPACE: jobferry admin set-role USER WORKSPACE ROLE",
        ),
        (
            ["workspaces", "settings", "--workspace", "ent", "--lock-policy", "hard"],
            "--workspace is an option of jobferry itself, not of 'jobferry workspaces settings', "
            "which takes the workspace as its argument WORKSPACE: jobferry workspaces settings "
            "[WORKSPACE]",
        ),
    ],
)
def test_an_option_of_jobferry_itself_after_the_command_is_said_to_go_before_it(
    args: list[str], said: str
) -> None:
    # As a pipeline's script is often written: every option at the end of the line.
    result = invoke(args, prog_name="jobferry")
    assert result.exit_code == 2
    assert said in " ".join(result.stderr.replace("│", " ").split())
    answered = invoke([*args, "--json"], prog_name="jobferry")
    assert answered.exit_code == 2
    assert orjson.loads(answered.stdout)["error"]["message"] == said


def test_an_option_a_command_lacks_is_not_sent_to_jobferry_s_own_version() -> None:
    # jobs show takes --version N; resources show does not, and jobferry --version resources
    # show would print jobferry's version and run nothing.
    result = invoke(["resources", "show", "udf_jar", "--version", "1"], prog_name="jobferry")
    said = " ".join(result.stderr.replace("│", " ").split())
    assert result.exit_code == 2
    assert "No such option: --version" in said
    assert "before the command" not in said


def _options(path: tuple[str, ...]) -> list[str]:
    command: Any = whole_command()
    for name in path:
        command = command.commands[name]
    return [
        name
        for param in command.params
        if not getattr(param, "hidden", False)
        for name in (*param.opts, *param.secondary_opts)
        if name.startswith("--")
    ]


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "jobferry")
def test_help_at_80_columns_shows_every_option_name_whole(path: tuple[str, ...]) -> None:
    narrow = {"COLUMNS": "80", "TERMINAL_WIDTH": "80"}
    output = invoke([*path, "--help"], env=narrow, prog_name="jobferry").output
    words = set(re.findall(r"--[\w-]+", output))
    cut = [name for name in _options(path) if name not in words]
    assert not cut, f"jobferry {' '.join(path)} --help at 80 columns cuts {cut}:\n{output}"


def _summaries(output: str) -> dict[str, list[str]]:
    """A group's ``--help`` list of commands: each name and the terminal lines of its summary
    (the name on the first)."""
    found: dict[str, list[str]] = {}
    name = ""
    for line in output.splitlines():
        row = re.match(r"│ (\S*)\s+(.*?)\s*│$", line)
        if row is not None:
            name = row[1] or name
            found.setdefault(name, []).append(row[2])
    return found


def test_a_group_lists_each_command_with_its_summary_unbroken(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    wide = {"COLUMNS": "250", "TERMINAL_WIDTH": "250"}
    # Typer reads TERMINAL_WIDTH once, when its help renderer is first imported (by whichever
    # test of this process asks for help first).
    monkeypatch.setattr(typer.rich_utils, "MAX_WIDTH", 250)
    groups = 0
    for path in [p for p in COMMANDS if len(p) < 2]:
        command = whole_command()
        for name in path:
            command = command.commands[name]
        if not getattr(command, "commands", None):
            continue
        listed = _summaries(invoke([*path, "--help"], env=wide, prog_name="jobferry").output)
        groups += 1
        for name, sub in command.commands.items():
            first = " ".join((sub.help or "").split("\n\n")[0].split())
            if sub.hidden or len(first) > 150:  # a longer one wraps at 250 columns
                continue
            said = f"jobferry {' '.join(path)} --help lists {name} as {listed[name]}"
            assert listed[name] == [first], said  # one line where it fits, as written
    assert groups > 10  # the root and its groups


def test_a_reader_that_goes_away_ends_the_output_without_a_word(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # jobferry … | head: the reader closed the pipe while the command still wrote.
    def gone(*_: Any, **__: Any) -> None:
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(Output, "line", gone)
    monkeypatch.setattr(Output, "fields", gone)
    done = invoke(["package", "keygen", str(tmp_path / "k")])
    assert done.exit_code == 1, done.output
    assert isinstance(done.exception, SystemExit)  # ended as the CLI ends, not by a crash
    assert "Broken pipe" not in done.output
    assert "cannot use" not in done.output


def _params(path: tuple[str, ...]) -> list[Any]:
    command: Any = whole_command()
    for name in path:
        command = command.commands[name]
    return [param for param in command.params if not getattr(param, "hidden", False)]


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "jobferry")
def test_help_at_80_columns_cuts_no_word_of_a_description_and_no_value(
    path: tuple[str, ...],
) -> None:
    """Every word of each option's and argument's description, and each value of a choice
    (``take-package`` of ``fail|keep-target|take-package``), is shown whole at 80 columns:
    a choice folds after a ``|``, never inside a value, and no word ends in a ``…``."""
    narrow = {"COLUMNS": "80", "TERMINAL_WIDTH": "80"}
    output = invoke([*path, "--help"], env=narrow, prog_name="jobferry").output
    shown = set(re.split(r"[\s│|]+", output))
    cut = []
    for param in _params(path):
        values = param.display_type_rich(typer.Context(whole_command()))
        words = [*(getattr(param, "help", None) or "").split(), *(values or "").split("|")]
        cut += [word for word in words if word and word not in shown]
    assert not cut, f"jobferry {' '.join(path)} --help at 80 columns cuts {cut}:\n{output}"
