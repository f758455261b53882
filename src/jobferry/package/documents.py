"""Each entry's JSON: one UTF-8 JSON object (a BOM is allowed), key order preserved.

Refusals: ``json.utf8`` (the byte that is not UTF-8), ``json.invalid`` (line and column) and
``json.object`` (an array, string … where the create request body belongs).
"""

from __future__ import annotations

import codecs
from typing import Any

import orjson

from jobferry.domain.jsonlimits import parsed_problem, plainly_within
from jobferry.package.refusals import refuse


def parse_json(data: bytes, entry: str) -> dict[str, Any]:
    """One UTF-8 JSON object (a BOM is allowed), key order preserved."""
    body = data[len(codecs.BOM_UTF8) :] if data.startswith(codecs.BOM_UTF8) else data
    try:
        # orjson refuses any invalid UTF-8 itself; the decode below only runs on a refusal,
        # to say which byte is wrong.
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        try:
            body.decode("utf-8")
        except UnicodeDecodeError as bad:
            raise refuse(
                "json.utf8",
                f"byte {bad.start} is not valid UTF-8 ({bad.reason})",
                "save the file as UTF-8",
                entry=entry,
            ) from bad
        raise refuse(
            "json.invalid",
            f"it is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
            "fix the JSON or export the object again",
            entry=entry,
            line=exc.lineno,
            column=exc.colno,
        ) from exc
    if not isinstance(value, dict):
        raise refuse(
            "json.object",
            f"it holds a JSON {_json_type(value)}, not an object",
            "each file holds one JSON object: the create request body of the object",
            entry=entry,
        )
    problem = None if plainly_within(body) else parsed_problem(body, value)
    if problem is not None:
        raise refuse(problem.rule, problem.message, problem.fix, entry=entry, at=problem.path)
    return value


def _json_type(value: Any) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    return "number"
