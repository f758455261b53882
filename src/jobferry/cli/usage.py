"""How the command line is shown and misread: readable ``--help``, and usage errors as JSON.

Typer 0.29 labels every value in ``--help`` by its Python type (``<str>``, ``<bool>``,
``<list[str]>``), flags included. jobferry's help names the value instead: an option shows its
``metavar`` (``--context NAME``, ``--output FILE|DIR``), a flag shows nothing, a choice shows
its values (``develop|submit``), and an argument shows its name in capitals (``NAME``, also
on the usage line). :func:`make_readable` turns every parameter of a command tree into the
classes below once, when the root group builds that command; an option that takes a value needs
its own ``metavar`` (``tests/cli/test_help.py`` refuses ``<…>`` anywhere in any command's help).

In a group's list of commands Typer keeps the line breaks of each command's docstring, so a
summary broke off mid-sentence (``exit 0 nothing would`` / ``change``): every command of the tree
gets its summary on one line (its help's first paragraph), which the list wraps to the terminal.

Typer lays the options out in a table as wide as the terminal, and at 80 columns it cut the
names of options with a negative form (``--propagate-dele…  --keep-deletes``) to make room:
:class:`HelpTable` keeps every name column whole and lets the description column wrap instead,
puts a negative form under its option's name (its own column left descriptions a few words a
line), and folds a choice's values after a ``|`` (:class:`Choices`), never inside one.

Usage errors (an unknown option or command, a missing argument, a bad value) are Typer's to
report; under ``--json`` they become one ``{"error": {"code": "usage", …}}`` document on
standard output like every other failure, with exit code 2. An option of ``jobferry`` itself
given after the command (``jobferry promote R --wait-timeout 600``, as a pipeline's script is
written) is refused saying where it goes, with the command line to give.
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Sequence
from typing import Any

import typer
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

from jobferry.cli.exits import ExitCode
from jobferry.cli.output import Output

USAGE_CODE = "usage"
JSON_META = "jobferry.json"
"""Where the root context records, for every nested context, that ``--json`` was asked."""


def _choices(param: TyperArgument | TyperOption) -> str | None:
    choices = param.type_descriptor.choices
    if not choices:
        return None
    return "|".join(str(getattr(c, "value", c)) for c in choices)


class ReadableArgument(TyperArgument):
    """An argument shown by its name (``NAME``), without a type label."""

    def display_type_rich(self, ctx: Any) -> str | None:
        """Only a choice's values; the name column already says what to give."""
        return _choices(self)

    def _usage_display_name(self) -> str:
        name = self.display_name_raw + ("..." if self.nargs != 1 else "")
        return name if self.required else f"[{name}]"


class ReadableOption(TyperOption):
    """An option shown by its value's name (its ``metavar``); a flag by nothing."""

    def display_type_rich(self, ctx: Any) -> str | None:
        """The value's name: nothing for a flag, the values of a choice, else the metavar."""
        if self.is_flag or self.count:
            return None
        if self.metavar is not None:
            return self.metavar
        return _choices(self) or super().display_type_rich(ctx)


OPTION_CELLS = 6
"""A row of Typer's options table: name, short name, negative name, negative short name, value
and description (and a required mark before them when an option is required)."""


class HelpTable(Table):
    """Typer's table of options (or commands) in ``--help``, whose name columns never wrap or
    shorten: only the last two (a value's name, which folds after a ``|``, and the description)
    give way.

    A flag's negative form (``--no-upstream``) goes under its name rather than in a column of
    its own: beside a long pair (``--require-signature  --no-require-signature``) that column
    took some 24 of 80 columns from every row's description, which wrapped a few words a line
    (``routes create``, ``promote``)."""

    def add_row(self, *renderables: Any, **options: Any) -> None:
        """Add the row; every column before the value and description ones keeps its width."""
        cells = list(renderables)
        if len(cells) >= OPTION_CELLS and isinstance(cells[-4], Text) and cells[-4].plain:
            name, negative = cells[-6], cells[-4]
            cells[-6] = Text.assemble(name, "\n", negative) if isinstance(name, Text) else name
            cells[-4] = Text("")
        if len(cells) >= OPTION_CELLS and isinstance(cells[-2], Text) and "|" in cells[-2].plain:
            cells[-2] = Choices(cells[-2])
        super().add_row(*cells, **options)
        for column in self.columns[:-2]:
            column.no_wrap = True


class Choices:
    """A choice's values in ``--help`` (``fail|keep-target|take-package``), wrapped after a
    ``|`` where the column is narrower than all of them, never inside a value (Rich wraps only
    at spaces, and cut ``take-package`` in two)."""

    def __init__(self, text: Text) -> None:
        self.text = text

    def _ends(self) -> list[int]:
        """Where each value ends (after its ``|``)."""
        plain = self.text.plain
        return [i + 1 for i, c in enumerate(plain) if c == "|"] + [len(plain)]

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        """At least the longest value, at most all of them on one line."""
        ends = self._ends()
        longest = max(end - start for start, end in itertools.pairwise([0, *ends]))
        return Measurement(longest, len(self.text.plain))

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        """The values, as many a line as fit."""
        breaks, start = [], 0
        ends = self._ends()
        for before, end in itertools.pairwise(ends):
            if end - start > options.max_width:
                breaks.append(before)
                start = before
        yield from self.text.divide(breaks)


def _help_tables() -> None:
    """Have Typer's help lay its tables out as :class:`HelpTable`. Typer imports its help
    renderer (``typer.rich_utils``, with Markdown and traceback support) only to print help;
    so does this, rather than every command paying for it at start-up."""
    import typer.rich_utils

    setattr(typer.rich_utils, "Table", HelpTable)  # noqa: B010 (an attribute it does not export)


class ReadableCommand(TyperCommand):
    """A command whose ``--help`` tables are :class:`HelpTable`."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        """Typer's help, its tables readable."""
        _help_tables()
        super().format_help(ctx, formatter)


class MissingCommandError(typer.TyperException):
    """A command group was given no command (``jobferry env``): a usage error."""

    exit_code = int(ExitCode.USAGE)

    def __init__(self, ctx: Any) -> None:
        super().__init__(f"'{ctx.command_path}' needs a command; see '{ctx.command_path} --help'.")
        self.ctx = ctx


class ReadableGroup(TyperGroup):
    """A command group that, under ``--json``, reports a missing command as a usage error
    instead of printing its help (which Typer does while building that error)."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        """Refuse a missing command under ``--json``; else as Typer does."""
        if not args and self.no_args_is_help and ctx.meta.get(JSON_META):
            raise MissingCommandError(ctx)
        return list(super().parse_args(ctx, args))

    def format_help(self, ctx: Any, formatter: Any) -> None:
        """Typer's help, its tables readable."""
        _help_tables()
        super().format_help(ctx, formatter)


def make_readable(command: Any) -> None:
    """Give every parameter of ``command`` and its subcommands readable help (in place), and
    ``--help`` its tables with whole option names (the root group renders its own)."""
    for param in command.params:
        _readable(param)
    help_option = command.get_help_option(typer.Context(command))
    if help_option is not None:
        _readable(help_option)
    for sub in getattr(command, "commands", {}).values():
        make_subcommand_readable(sub)


def make_subcommand_readable(command: Any) -> None:
    """:func:`make_readable` for a subcommand, whose own help also renders readable tables,
    and whose summary in its group's list is one line."""
    if type(command) is TyperGroup:
        command.__class__ = ReadableGroup
    elif type(command) is TyperCommand:
        command.__class__ = ReadableCommand
    if command.short_help is None and command.help:
        first = inspect.cleandoc(command.help).split("\n\n")[0]
        command.short_help = " ".join(first.split())
    make_readable(command)


def _readable(param: Any) -> None:
    if type(param) is TyperArgument:
        if param.metavar is None:
            param.metavar = param.name.upper()
        param.__class__ = ReadableArgument
    elif type(param) is TyperOption:
        param.__class__ = ReadableOption


def wants_json(args: Sequence[str]) -> bool:
    """Whether the command line asks for ``--json`` (before any ``--``), read from the raw
    arguments so that it counts even when they cannot be parsed."""
    for arg in args:
        if arg == "--":
            return False
        if arg == "--json":
            return True
    return False


def usage_error_json(exc: typer.TyperException) -> typer.Exit:
    """Print a usage error as the ``--json`` error document; the exit to raise (code 2)."""
    ctx = getattr(exc, "ctx", None)
    extra: dict[str, Any] = {}
    message = exc.format_message()
    if ctx is not None:
        extra["usage"] = ctx.get_usage().removeprefix("Usage: ").strip()
        extra["help"] = f"{ctx.command_path} --help"
    Output(True).error(USAGE_CODE, message, extra)
    return typer.Exit(int(ExitCode.USAGE))


class UsageGroup(TyperGroup):
    """A root group that reports usage errors as JSON under ``--json``."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        """Typer's help, its tables readable."""
        _help_tables()
        super().format_help(ctx, formatter)

    def make_context(
        self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any
    ) -> Any:
        """Parse the root's options; a usage error under ``--json`` is printed as JSON."""
        json_mode = wants_json(args)
        try:
            ctx = super().make_context(info_name, args, parent, **extra)
        except typer.TyperException as exc:
            if json_mode and exc.exit_code == ExitCode.USAGE:
                raise usage_error_json(exc) from exc
            raise
        ctx.meta[JSON_META] = json_mode
        return ctx

    def invoke(self, ctx: Any) -> Any:
        """Run the command; its usage errors under ``--json`` are printed as JSON."""
        try:
            return super().invoke(ctx)
        except typer.TyperException as exc:
            _before_the_command(ctx, exc)
            if ctx.meta.get(JSON_META) and exc.exit_code == ExitCode.USAGE:
                raise usage_error_json(exc) from exc
            raise


def _before_the_command(ctx: Any, exc: typer.TyperException) -> None:
    """An option of the root group that the command it runs does not take (``jobferry promote
    R --wait-timeout 600``): the refusal says that it goes before the command, with the line."""
    given = getattr(exc, "option_name", None)
    sub = getattr(exc, "ctx", None)
    root = {opt: param for param in ctx.command.params for opt in getattr(param, "opts", ())}
    if given not in root or sub is None or sub is ctx:
        return
    param = root[given]
    if param.is_eager:
        # --version answers alone and exits: before the command it would run no command.
        return
    exc.message = _where_it_goes(ctx, sub, param, str(given))


def _where_it_goes(ctx: Any, sub: Any, param: Any, given: str) -> str:
    """Where root option ``given``, given after command ``sub``, goes instead."""
    said = f"{given} is an option of {ctx.command_path} itself, not of '{sub.command_path}'"
    if param.name == "workspace" and _takes_workspace(sub):
        # Before the command it would be ignored: the command's own argument names it.
        pieces = [p for p in sub.command.collect_usage_pieces(sub) if p != "[OPTIONS]"]
        line = " ".join([sub.command_path, *pieces])
        return f"{said}, which takes the workspace as its argument WORKSPACE: {line}"
    if param.name == "context" and _names_its_context(sub):
        # Before the command it would name the context read, not the one written: config init
        # would replace the context --name defaults to ('default') with the new keys.
        return (
            f"{said}, which names the context it writes with --name: {sub.command_path} "
            "--name NAME …"
        )
    value = [] if param.is_flag else [param.metavar or "VALUE"]
    command = sub.command_path.split()[1:]
    line = " ".join([ctx.command_path, given, *value, *command, "…"])
    return f"{said}: give it before the command: {line}"


def _names_its_context(sub: Any) -> bool:
    """Whether the command names the context it writes by an option of its own (``config
    init --name``), which the root's ``--context`` does not fill."""
    return bool(sub.command_path.split()[1:] == ["config", "init"])


def _takes_workspace(sub: Any) -> bool:
    """Whether the command names its workspace by an argument of its own (``admin set-role
    USER WORKSPACE ROLE``), which the root's ``-w`` does not fill."""
    return any(
        param.param_type_name == "argument" and param.name == "workspace"
        for param in sub.command.params
    )
