"""Docs that cannot rot: every setting, error code and CLI command is in the README."""

from __future__ import annotations

from pathlib import Path

import click
import typer.main

from jobferry.cli import app
from jobferry.errors import all_error_classes
from jobferry.settings import Settings

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _commands(group: click.Command, prefix: str = "jobferry") -> list[str]:
    if isinstance(group, click.Group):
        found: list[str] = []
        for name, cmd in group.commands.items():
            found += _commands(cmd, f"{prefix} {name}")
        return found
    return [prefix]


def test_readme_opens_with_the_two_commands() -> None:
    head = README[:1200]
    assert "make run" in head
    assert "make test" in head


def test_every_setting_is_documented() -> None:
    for name, field in Settings.model_fields.items():
        assert f"JOBFERRY_{name.upper()}" in README, name
        assert field.description, f"setting {name} has no help text"


def test_every_error_code_is_documented() -> None:
    for cls in all_error_classes():
        assert f"`{cls.code}`" in README, cls.__name__
        assert cls.__doc__, f"{cls.__name__} has no docstring"


def test_every_cli_command_is_documented() -> None:
    commands = _commands(typer.main.get_command(app))
    assert commands
    for command in commands:
        assert f"`{command}" in README, command
