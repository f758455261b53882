"""What any JSON (or YAML) document jobferry accepts must satisfy, wherever it comes from.

- **Depth.** Parsers accept far deeper nesting than the writers can put back (orjson writes at
  most 255 levels; Python's own parsers stop near 1,000), so a document parsed fine could not be
  stored or exported. DataArts definitions nest about ten levels; ``MAX_DEPTH`` leaves ample
  room and is the one rule for request bodies, package entries and profiles.
- **UTF-8.** JSON travels as UTF-8 (RFC 8259); text that is not is said so, naming where
  (:func:`not_utf8`), rather than as the parser's "surrogates not allowed".
- **NUL.** PostgreSQL text cannot hold U+0000 and SQLite cuts some strings at it, so the same
  document would be stored on one database and not the other. No DataArts field needs it.
- **Integers.** A whole number past 64 bits (``99999999999999999999999`` in a YAML or JSON text
  Python's parsers read) cannot be written back (orjson stores at most 64-bit integers), so
  a document holding one would be accepted and then fail to be stored. orjson itself reads one
  past 64 bits as a float, silently (``1e+23``: the number changed), so a text orjson parsed
  that may hold one (a run of 19 digits or more) is parsed again exactly to be judged
  (:func:`parsed_problem`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from jobferry.domain.bounds import INT64_MAX, INT64_MIN

MAX_DEPTH = 64
"""Arrays and objects inside one another, the outermost counting as one."""


@dataclass(frozen=True)
class JsonProblem:
    """Why a document is refused: ``rule`` (``json.depth`` / ``json.nul`` /
    ``json.integer``) and where."""

    rule: str
    path: str
    message: str
    fix: str


Trail = tuple[Any, str | int] | None
"""Where a value sits: (the parent's trail, key or index); built only as the walk goes."""


def json_problem(value: Any, limit: int = MAX_DEPTH) -> JsonProblem | None:
    """The first rule ``value`` breaks, or None. Walks without recursion, and pushes only
    arrays and objects (this runs on every document of a 100,000-object package)."""
    stack: list[tuple[Any, Trail, int]] = [(value, None, 1)]
    while stack:
        item, trail, depth = stack.pop()
        if not isinstance(item, (dict, list)):
            if isinstance(item, str) and "\x00" in item:
                return _nul(_path(trail), "the value")
            if _outsized(item):
                return _too_big(_path(trail))
            continue
        if depth > limit:
            return _too_deep(_path(trail), limit)
        pairs = item.items() if isinstance(item, dict) else enumerate(item)
        for key, child in pairs:
            if isinstance(key, str) and "\x00" in key:
                return _nul(_path((trail, key)), "the key")
            if isinstance(child, str):
                if "\x00" in child:
                    return _nul(_path((trail, key)), "the value")
            elif isinstance(child, (dict, list)):
                stack.append((child, (trail, key), depth + 1))
            elif _outsized(child):
                return _too_big(_path((trail, key)))
    return None


def _outsized(value: object) -> bool:
    """Whether ``value`` is a whole number past 64 bits (``bool`` is an ``int`` too)."""
    return type(value) is int and not INT64_MIN <= value <= INT64_MAX


_LONG_NUMBER = re.compile(rb"\d{19,}")
"""A run of digits as long as a whole number past 64 bits must be (2**63 has 19)."""


def parsed_problem(text: bytes | str, value: Any) -> JsonProblem | None:
    """The first rule ``value``, as orjson parsed ``text``, breaks, or None. When the text
    holds a run of 19 digits or more, which may be a whole number orjson read as a float, it is
    parsed again by Python's own parser, which keeps every whole number as written, and that is
    judged too (once the first walk found the nesting within what that parser can read)."""
    found = json_problem(value)
    if found is not None:
        return found
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    return json_problem(json.loads(text)) if _LONG_NUMBER.search(raw) else None


def plainly_within(text: bytes, limit: int = MAX_DEPTH) -> bool:
    """Whether raw JSON text surely keeps the rules, judged at C speed without parsing: no
    ``\\u0000`` escape (a raw NUL is not valid JSON at all), fewer opening brackets in all
    than the depth limit (so no nesting can be deeper) and no run of digits as long as a whole
    number past 64 bits. ``False`` only means "walk it" (:func:`parsed_problem`)."""
    return (
        b"\\u0000" not in text
        and text.count(b"{") + text.count(b"[") <= limit
        and not _LONG_NUMBER.search(text)
    )


def _path(trail: Trail) -> str:
    parts: list[str] = []
    while trail is not None:
        trail, key = trail
        parts.append(f"[{key}]" if isinstance(key, int) else f".{key}")
    path = "".join(reversed(parts)).lstrip(".").replace("\x00", "\\u0000") or "$"
    return path if len(path) <= 120 else f"{path[:117]}..."


def _too_deep(path: str, limit: int) -> JsonProblem:
    return JsonProblem(
        "json.depth",
        path,
        f"it nests arrays and objects more than {limit} levels deep (at '{path}')",
        f"flatten the document to at most {limit} levels",
    )


def _nul(path: str, what: str) -> JsonProblem:
    return JsonProblem(
        "json.nul",
        path,
        f"{what} at '{path}' holds a NUL character (U+0000)",
        "remove the NUL character; no field may contain one",
    )


def _too_big(path: str) -> JsonProblem:
    return JsonProblem(
        "json.integer",
        path,
        f"the number at '{path}' is a whole number larger than 64 bits hold",
        f"write a whole number from {INT64_MIN} to {INT64_MAX}, or quote it as text",
    )


def not_utf8(data: bytes | str) -> str | None:
    """Where ``data`` is not UTF-8 ("not UTF-8: the byte at offset 16 (0xFF) …"), or ``None``
    when it is; for a parser's failure to say what it is (orjson says "surrogates not
    allowed"), so called only once parsing has failed. The fix is the caller's to say."""
    try:
        data.encode("utf-8") if isinstance(data, str) else data.decode("utf-8")
    except UnicodeError as exc:
        start: int = getattr(exc, "start", 0)
        if isinstance(data, str):
            return f"not UTF-8 text: character {start} is a lone surrogate"
        return (
            f"not UTF-8: the byte at offset {start} (0x{data[start]:02X}) does not begin or "
            "continue a UTF-8 character"
        )
    return None
