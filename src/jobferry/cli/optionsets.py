"""Option sets: options several commands share, declared once with what they make.

Typer reads a command's options from its parameters, so commands that take the same options
listed them all, each (``routes create`` and ``routes edit`` twenty-one, ``plan`` and
``import`` seventeen), and handed them on one by one. An option set is a function whose
parameters are those options and which returns what the commands make of them (the import's
settings, a route's changes). A command takes it with :func:`takes`, naming the parameter that
receives the value, where the options go: Typer sees the set's options in that place, so the
command's ``--help`` lists them there, and the command is called with the set's value. A set
may take another set the same way (the import's options take the time-zone move's).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, TypeVar

Made = TypeVar("Made")


def takes(
    parameter: str, options: Callable[..., Any]
) -> Callable[[Callable[..., Made]], Callable[..., Made]]:
    """A decorator: the command's ``parameter`` is what ``options`` makes of its own
    parameters, which the command line gives in ``parameter``'s place."""

    def decorate(command: Callable[..., Made]) -> Callable[..., Made]:
        own = inspect.signature(command, eval_str=True)
        shared = inspect.signature(options, eval_str=True).parameters
        parameters: list[inspect.Parameter] = []
        for each in own.parameters.values():
            parameters.extend(shared.values() if each.name == parameter else [each])

        def run(**given: Any) -> Made:
            chosen = {name: given.pop(name) for name in shared}
            return command(**given, **{parameter: options(**chosen)})

        run.__name__, run.__qualname__ = command.__name__, command.__qualname__
        run.__module__, run.__doc__ = command.__module__, command.__doc__
        run.__signature__ = own.replace(parameters=parameters)  # type: ignore[attr-defined]
        return run

    return decorate
