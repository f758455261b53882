"""The definition editor's reading of what was typed and the problems it lists, in the
console's words: the text as a request body or why it is not one (:func:`parsed`), what the
server's validation refused (:func:`refused_problems`) and what a review accepts that is
probably a mistake (:func:`cautioned`)."""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from typing import Any

from jobferry.domain.enums import CautionKind
from jobferry.domain.jsonlimits import MAX_DEPTH, json_problem
from jobferry.errors import JobferryError
from jobferry.services.definitions.cautions import Caution


@dataclass(frozen=True)
class Problem:
    """One thing the server (or the JSON reader) refused: the field, what is wrong, the rule."""

    field: str
    message: str
    rule: str = ""


_OBJECT_WORDS = {
    "script": ("runs script", "create the script first (New script), or correct the name"),
    "resource": ("uses resource", "create the resource first, or correct the name"),
    "job": ("names job", "create that job first, or correct the name"),
}


def cautioned(caution: Caution, workspace: str) -> Problem:
    """A review's caution in the console's words: where, what, and what to do."""
    where = f"node '{caution.node}'" if caution.node else f"field {caution.field}"
    if caution.kind is CautionKind.UNKNOWN_NODE_TYPE:
        fix = (
            f"did you mean '{caution.near}'? Node types are case-sensitive"
            if caution.near
            else "check its spelling (node types are case-sensitive: DWSSQL, HiveSQL, Shell…)"
        )
        message = (
            f"{where} has type '{caution.name}', which is not a DataArts node type: it is "
            f"saved as written, but DataArts will not run that node; {fix}."
        )
        return Problem(caution.field, message, "unknown node type")
    kind = str(caution.object_kind or "")
    verb, fix = _OBJECT_WORDS.get(
        kind,
        (
            f"names {kind.replace('_', ' ')}",
            "register it under Admin → Environment objects first, or correct the name",
        ),
    )
    message = (
        f"{where} {verb} '{caution.name}', which workspace '{workspace}' does not have: it "
        f"is saved, but fails when it runs; {fix}."
    )
    return Problem(caution.field, message, "missing reference")


def refused_problems(exc: JobferryError) -> list[Problem]:
    """Every rule a refused definition broke, as the server's validation lists them."""
    details = exc.context.get("details")
    if not isinstance(details, list):
        return []
    return [
        Problem(str(d.get("field", "")), str(d.get("message", "")), str(d.get("rule", "")))
        for d in details
        if isinstance(d, dict)
    ]


def parsed(
    definition: str, kind: str, rename: str, name: str, workspace: str
) -> tuple[dict[str, Any] | None, list[Problem]]:
    """The definition typed, as a request body, or the problems that keep it from being one
    (``kind``'s; a rename's names the command that does it, ``rename`` with this page's
    names: ``workspace``'s)."""
    try:
        body = json.loads(definition)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        return None, [Problem(where, f"not JSON: {exc.msg}", "json")]
    except RecursionError:  # nested past what the reader follows, so past the limit too
        deep = f"it nests arrays and objects more than {MAX_DEPTH} levels deep"
        return None, [Problem("(the whole text)", f"{deep}; flatten it", "json.depth")]
    broken = json_problem(body)
    if broken is not None:  # what the API's reader refuses of any body (domain/jsonlimits.py)
        return None, [Problem(broken.path, f"{broken.message}; {broken.fix}", broken.rule)]
    if not isinstance(body, dict):
        return None, [Problem("(the whole text)", f"a {kind} definition is a JSON object {{…}}")]
    if name and body.get("name", name) != name:
        new, where = shlex.quote(str(body.get("name"))), shlex.quote(workspace)
        fix = rename.format(old=name, new=new, workspace=where)
        message = (
            f"names {kind} '{body.get('name')}', but this page edits '{name}'; the "
            f"editor does not rename: keep the name '{name}', or {fix}"
        )
        return None, [Problem("name", message, "rename")]
    return body, []


def unoffered_target(target: str, offered: list[tuple[str, str]]) -> str:
    """Why a save with ``target``, a status the form does not offer this viewer (a form from
    an older page or another user's, a hand-made post; *Production* is offered to admins
    only), is refused in the form's words ('' when it offers it)."""
    if target in (value for value, _ in offered):
        return ""
    labels = [label for _, label in offered]
    return (
        "Nothing was saved: choose what the save does, "
        f"{' or '.join(f'“{label}”' for label in labels)} (the form sent a choice it does not "
        "offer; reload the page if it looks out of date)."
    )


def with_choices(body: dict[str, Any], target: str, approvers: str) -> dict[str, Any]:
    """The body with the form's choices: the status it saves with (``target``) and the
    approvers typed (comma-separated names)."""
    body["targetStatus"] = target
    names = [a.strip() for a in approvers.split(",") if a.strip()]
    if names:
        body["approvers"] = [{"approverName": a} for a in names]
    return body
