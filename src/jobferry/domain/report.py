"""How validation reports: violations with their JSON path, rule, message and DataArts code,
collected all at once, and the lenient readers of values DataArts accepts in several shapes."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeGuard

from jobferry.domain.shapes import json_kind, json_text

GENERIC = "DLF.3051"


@dataclass(frozen=True)
class Violation:
    """One broken rule: where (JSON path), which rule, what to do, and the DataArts code."""

    field: str
    rule: str
    message: str
    code: str = GENERIC


def missing(value: object) -> bool:
    return value is None or value == ""


def as_int(value: object) -> int | None:
    """An integer from an int, an integral float or a numeric string; ``None`` otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value):
        return int(value)
    return None


def is_number(value: object) -> bool:
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            return False
        return True
    return isinstance(value, int | float) and not isinstance(value, bool)


class Report:
    """Collects violations; ``code`` is the DataArts code used when a call gives none."""

    def __init__(self, items: list[Violation] | None = None, code: str = GENERIC) -> None:
        self.items: list[Violation] = [] if items is None else items
        self.code = code

    def coded(self, code: str) -> Report:
        """A view adding to the same list with another default code."""
        return Report(self.items, code)

    def add(self, field: str, rule: str, message: str, code: str | None = None) -> None:
        self.items.append(Violation(field, rule, message, code or self.code))

    def is_object(self, value: object, field: str, what: str) -> TypeGuard[Mapping[str, Any]]:
        if type(value) is dict or isinstance(value, Mapping):
            return True
        self.add(field, "type", f"{what} must be a JSON object, not {json_kind(value)}")
        return False

    def array(self, obj: Mapping[str, Any], key: str, base: str) -> list[Any]:
        """The list at ``key`` (empty when absent); a violation when it is something else."""
        value = obj.get(key)
        if value is None or isinstance(value, list):
            return value or []
        self.add(at(base, key), "type", f"{key} must be a JSON array, not {json_kind(value)}")
        return []

    def text(self, obj: Mapping[str, Any], key: str, base: str, limit: int = 0) -> None:
        value = obj.get(key)
        if value is not None and not isinstance(value, str):
            self.add(at(base, key), "type", f"{key} {json_text(value)} is not text; send a string")
        elif limit and value is not None and len(value) > limit:
            message = f"{key} has {len(value)} characters; shorten it to at most {limit}"
            self.add(at(base, key), "length", message)

    def one_of(self, obj: Mapping[str, Any], key: str, base: str, allowed: tuple[str, ...]) -> None:
        value = obj.get(key)
        if value is not None and value not in allowed:
            message = f"{key} {json_text(value)} is not allowed; use one of {', '.join(allowed)}"
            self.add(at(base, key), "enum", message)

    def whole(
        self, obj: Mapping[str, Any], key: str, base: str, low: int, high: int, unit: str
    ) -> None:
        value = obj.get(key)
        if value is None or (type(value) is int and low <= value <= high):
            return  # the common case, decided without parsing
        number = as_int(value)
        if value is not None and number is None:
            message = (
                f"{key} {json_text(value)} is not a whole number; give {unit} from {low} to {high}"
            )
            self.add(at(base, key), "type", message)
        elif number is not None and not low <= number <= high:
            message = f"{key} is {number}; set it to {unit} from {low} to {high}"
            self.add(at(base, key), "range", message)


def at(base: str, key: str) -> str:
    return f"{base}.{key}" if base else key
