"""Option sets (``cli.optionsets``): a command takes a set's options in the place of the
parameter that receives the set's value, and is called with that value."""

from __future__ import annotations

from typing import Annotated

import typer
from typer.testing import CliRunner

from jobferry.cli.optionsets import takes

Left = Annotated[int, typer.Option("--left", help="The left number.")]
Right = Annotated[int, typer.Option("--right", help="The right number.")]
Label = Annotated[str, typer.Option("--label", help="What to print first.")]


def total(left: Left = 1, right: Right = 2) -> int:
    """The two options as their sum."""
    return left + right


app = typer.Typer()


@app.command("sum")
@takes("summed", total)
def show_sum(name: Annotated[str, typer.Argument()], summed: int, label: Label = "=") -> None:
    """Print the sum."""
    print(name, label, summed)


@app.command("other")
def _other() -> None:
    """A second command, so that ``sum`` is called by its name."""


def test_the_set_s_options_stand_in_the_parameter_s_place() -> None:
    result = CliRunner().invoke(app, ["sum", "--help"], terminal_width=100)
    help_text = result.output
    assert result.exit_code == 0
    assert "Print the sum." in help_text
    assert help_text.index("--left") < help_text.index("--right") < help_text.index("--label")


def test_the_command_gets_the_set_s_value() -> None:
    result = CliRunner().invoke(app, ["sum", "x", "--right", "5", "--label", ":"])
    assert result.exit_code == 0, result.output
    assert result.output == "x : 6\n"
