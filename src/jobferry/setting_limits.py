"""What each setting accepts, in words, and one line per setting that breaks it.

``settings.load_settings`` turns pydantic's report of a bad environment into these lines (the
variable, what it was set to, the rule, the fix) instead of a traceback; docs/settings.md
states every limit as :func:`limit_of` words it (``tests/unit/test_setting_limits.py``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import Enum
from typing import Any

from annotated_types import Ge, Gt, Le, Lt
from pydantic.fields import FieldInfo

_ALTERNATIVES = re.compile(r"^\^\(([\w|-]+)\)\$$")


def _secret(name: str) -> bool:
    """Whether a refusal must not repeat the setting's value (a key or a password)."""
    return "secret" in name or "password" in name or name.endswith("_sk")


def variable(name: str) -> str:
    """The environment variable of setting ``name``."""
    return f"JOBFERRY_{name.upper()}"


def _number(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


_RULES = ((Ge, "ge"), (Gt, "gt"), (Le, "le"), (Lt, "lt"))
_WORDS = {"ge": "at least", "gt": "above", "le": "at most", "lt": "below"}


Bound = tuple[str, str] | None
"""One end of a range: the rule (``ge``, ``gt``, ``le``, ``lt``) and its number, or none."""


def _ends(field: FieldInfo) -> tuple[Bound, Bound]:
    """The lower and the upper end of a setting's range."""
    found = {
        kind: _number(getattr(rule, kind))
        for rule in field.metadata
        for cls, kind in _RULES
        if isinstance(rule, cls)
    }
    low = next(((kind, found[kind]) for kind in ("ge", "gt") if kind in found), None)
    high = next(((kind, found[kind]) for kind in ("le", "lt") if kind in found), None)
    return low, high


def _bounds(field: FieldInfo) -> str | None:
    """``1 to 64``, ``60 or more``, ``above 0, at most 5``…; None when unbounded."""
    low, high = _ends(field)
    if low and high and (low[0], high[0]) == ("ge", "le"):
        return f"{low[1]} to {high[1]}"
    if low and not high and low[0] == "ge":
        return f"{low[1]} or more"
    said = [f"{_WORDS[part[0]]} {part[1]}" for part in (low, high) if part]
    return ", ".join(said) or None


def choices_of(field: FieldInfo) -> list[str] | None:
    """The values a setting of fixed choices takes (an enum, or a pattern of alternatives)."""
    kind = field.annotation
    if isinstance(kind, type) and issubclass(kind, Enum):
        return [str(member.value) for member in kind]
    for rule in field.metadata:
        found = _ALTERNATIVES.match(str(getattr(rule, "pattern", "") or ""))
        if found:
            return found[1].split("|")
    return None


def limit_of(field: FieldInfo) -> str | None:
    """What a setting accepts beyond its type, in the words docs/settings.md uses."""
    choices = choices_of(field)
    if choices:
        return "one of " + ", ".join(f"'{choice}'" for choice in choices)
    return _bounds(field)


def _kind(field: FieldInfo) -> str:
    kind = field.annotation
    if kind is bool:
        return "true or false"
    if kind is int or kind == int | None:
        return "a whole number"
    if kind is float or kind == float | None:
        return "a number"
    return "a value"


def _default(field: FieldInfo) -> str:
    default = field.default
    if default is None:
        return "unset it (it has none by default)"
    if isinstance(default, Enum):
        default = default.value
    if isinstance(default, bool):
        default = str(default).lower()
    return f"unset it for the default ({_number(default)})"


def problem_line(name: str, field: FieldInfo, error: Mapping[str, Any]) -> str:
    """One line for a setting pydantic refused: variable, value, rule, fix."""
    shown = "" if _secret(name) else f"={error.get('input')!s}"
    rule = limit_of(field)
    if rule is None:
        need = _kind(field)
    elif choices_of(field):
        need = rule
    else:
        need = f"{_kind(field)}, {rule}"
    if rule is None and not error.get("type", "").endswith("_parsing"):
        need = f"{need} ({error.get('msg', 'refused')})"
    return f"{variable(name)}{shown}: must be {need}; change it, or {_default(field)}."


def problem_lines(fields: Mapping[str, FieldInfo], errors: list[Any]) -> list[str]:
    """A line for each refused setting, in the order pydantic found them."""
    lines = []
    for error in errors:
        name = str(error["loc"][0]) if error.get("loc") else ""
        field = fields.get(name)
        if field is None:
            lines.append(f"{error.get('msg', 'a setting was refused')}.")
            continue
        lines.append(problem_line(name, field, error))
    return lines
