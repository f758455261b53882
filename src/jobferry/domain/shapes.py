"""Body shapes: the fields a request parser accepts, declared once.

Each parser of a JSON body (the import request, the export requests, a route, a profile, a
workspace's settings…) declares its body as a :class:`BodyShape` beside itself: every field's
name, JSON types, vocabulary (a domain ``StrEnum``), whether it is required or may be ``null``,
and what it means. A parser that refuses unknown keys refuses through it
(:meth:`BodyShape.unknown`, naming the keys); the API turns the same value into the body's JSON
Schema (``api/bodies.py``). So the published document lists exactly what the parsers read, and
tests/api/test_openapi_bodies.py holds each parser to its shape from the outside (the keys it
looks up, the values it refuses, what it does with other keys).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import orjson


class JsonType(StrEnum):
    """A JSON value's type, as JSON Schema names it."""

    STRING = "string"
    BOOLEAN = "boolean"
    INTEGER = "integer"
    NUMBER = "number"
    OBJECT = "object"
    ARRAY = "array"


class Extra(StrEnum):
    """What a parser does with a key its shape does not declare."""

    REFUSED = "refused"
    """Refused, naming the key (a typo must not silently do nothing)."""
    IGNORED = "ignored"
    """Accepted and ignored (DataArts clients may send fields jobferry does not use)."""


@dataclass(frozen=True)
class Field:
    """One field of a body.

    ``types`` empty means any JSON value; ``choices`` the values a string field takes (from a
    domain vocabulary); ``items`` an array's element (a type or a shape); ``shape`` an object's
    own fields; ``values`` the types of an object's values when it is a free map of name: value.
    ``nullable``: ``null`` is read as absent. ``ignored``: accepted and not read (a label kept
    in a stored document, or a DataArts field jobferry has no use for).
    """

    name: str
    description: str
    types: tuple[JsonType, ...] = ()
    required: bool = False
    choices: tuple[str, ...] = ()
    items: JsonType | BodyShape | None = None
    shape: BodyShape | None = None
    values: tuple[JsonType, ...] = ()
    nullable: bool = False
    ignored: bool = False


@dataclass(frozen=True)
class BodyShape:
    """A JSON object body as a parser reads it: its fields and what happens to other keys."""

    title: str
    fields: tuple[Field, ...]
    extra: Extra = Extra.REFUSED

    @property
    def names(self) -> tuple[str, ...]:
        """The declared field names, in declaration order."""
        return tuple(f.name for f in self.fields)

    def unknown(self, body: Mapping[str, object]) -> list[str]:
        """The keys of ``body`` this shape does not declare, sorted."""
        known = set(self.names)
        return sorted(str(key) for key in body if key not in known)


def json_kind(value: object) -> str:
    """What a parsed JSON value is, in JSON's words (``null``, ``an array``), never Python's
    type names."""
    if value is None or isinstance(value, bool):
        return "null" if value is None else str(value).lower()
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an array" if isinstance(value, list) else "an object"


def json_text(value: object) -> str:
    """A parsed JSON value written back as JSON (``true``, ``"20241030"``), as the sender wrote
    it, for a refusal to quote: never Python's spelling (``True``, ``'20241030'``)."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # not a JSON value (a YAML date): as Python writes it
        return repr(value)


def text(name: str, description: str, *, required: bool = False, nullable: bool = False) -> Field:
    """A string field."""
    return Field(name, description, (JsonType.STRING,), required=required, nullable=nullable)


def flag(name: str, description: str, *, nullable: bool = False) -> Field:
    """A boolean field."""
    return Field(name, description, (JsonType.BOOLEAN,), nullable=nullable)


def choice(
    name: str,
    description: str,
    vocabulary: Iterable[str],
    *,
    required: bool = False,
    nullable: bool = False,
) -> Field:
    """A string field taking the values of one of the domain's vocabularies."""
    values = tuple(str(member) for member in vocabulary)
    return Field(
        name,
        description,
        (JsonType.STRING,),
        required=required,
        choices=values,
        nullable=nullable,
    )


def text_map(name: str, description: str) -> Field:
    """A free object of name: value (text or a number), ``null`` read as empty."""
    kinds = (JsonType.STRING, JsonType.NUMBER)
    return Field(name, description, (JsonType.OBJECT,), values=kinds, nullable=True)


def text_values(
    value: object, where: str, problems: list[str], *, spelled: str = "a map of name: value"
) -> dict[str, str]:
    """``value``, a :func:`text_map` at ``where`` in a document, its values as text (``None``:
    empty); added to ``problems``: no map at all ("``where`` must be ``spelled``"), a value
    that is neither text nor a number, an empty name."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        problems.append(f"{where} must be {spelled}")
        return {}
    out: dict[str, str] = {}
    for key, item in value.items():
        if isinstance(item, bool) or not isinstance(item, str | int | float):
            problems.append(f"{where}.{key} must be text or a number")
        elif not str(key).strip():
            problems.append(f"{where} has an empty name")
        else:
            out[str(key)] = str(item)
    return out


def nested_map(
    value: object, shape: BodyShape, where: str, spelled: str, problems: list[str]
) -> Mapping[str, Any] | None:
    """``value`` as the map ``shape`` declares, at ``where`` in a document: ``None`` when it
    is no map ("``where`` must be ``spelled``"); keys the shape does not declare are added to
    ``problems``, with the keys it does."""
    if not isinstance(value, Mapping):
        problems.append(f"{where} must be {spelled}")
        return None
    unknown = shape.unknown(value)
    if unknown:
        problems.append(
            f"{where} has unknown key(s) {', '.join(unknown)}; it may hold {', '.join(shape.names)}"
        )
    return value


class DocumentError(ValueError):
    """A saved document (a profile, a policy) that cannot be used; ``problems`` lists every
    reason."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def opened(
    document: object, shape: BodyShape, what: str, error: type[DocumentError]
) -> tuple[Mapping[str, Any], str, list[str]]:
    """The checks a saved document (a ``what``: profile, policy) opens with: it is a map, it
    holds only the keys ``shape`` declares, and its description is text. Answers the map, the
    description ("" when there is none or it is not text) and the problems found so far (for
    the parser to add to); raises ``error`` when the document is no map."""
    if not isinstance(document, Mapping):
        raise error([f"a {what} must be a map (JSON object / YAML mapping)"])
    problems: list[str] = []
    unknown = shape.unknown(document)
    if unknown:
        problems.append(
            f"unknown key(s) {', '.join(unknown)}; a {what} may hold {', '.join(shape.names)}"
        )
    description = document.get("description") or ""
    if not isinstance(description, str):
        problems.append("description must be text")
        description = ""
    return document, description, problems
