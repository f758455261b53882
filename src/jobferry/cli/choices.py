"""Command-line spellings of the domain's vocabularies: an enum's values in kebab case.

``--policy overwrite``, ``--mode per-object``, ``--scheduling pause-and-restore``: each choice
is derived from the domain enum (``SchedulingPolicy.PAUSE_AND_RESTORE`` is
``pause-and-restore``) and read back into it, so the CLI keeps no copy of a vocabulary.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal, TypeVar

from jobferry.cli.exits import CliUsageError

E = TypeVar("E", bound=StrEnum)


def kebab(member: StrEnum) -> str:
    """The command-line spelling of one member: its value in lower case, ``_`` as ``-``."""
    return str(member).lower().replace("_", "-")


def kebab_choices(enum: type[StrEnum]) -> tuple[str, ...]:
    """Every member of ``enum`` as the command line spells it, in the enum's order."""
    return tuple(kebab(member) for member in enum)


def choice_type(enum: type[StrEnum]) -> Any:
    """``Literal[...]`` of ``enum``'s kebab-case choices: the type of a typer option or
    argument, which offers (and checks) exactly those. Modules declare it under
    ``if not TYPE_CHECKING``; the type checker sees ``str``."""
    return Literal.__getitem__(kebab_choices(enum))


def from_kebab(enum: type[E], choice: str) -> E:
    """The member of ``enum`` a command-line choice names (typer has checked it already; a
    caller building options by hand gets a usage error naming the choices)."""
    for member in enum:
        if kebab(member) == choice:
            return member
    raise CliUsageError(f"{choice!r} is not one of {', '.join(kebab_choices(enum))}.")
