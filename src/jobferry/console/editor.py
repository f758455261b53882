"""The definition editor: a job or a script as its DataArts JSON in a text box, created or
saved through the same services the API calls (``jobs.create``/``update``,
``scripts.create``/``update``), so the server's validation refuses bad input with every problem
listed on the page and the typed text kept as it was.

A save is confirmed first: the editor's first post reviews the text (``services.reviews``:
what the save would refuse, the fields it changes, and what it accepts that is probably a
mistake, such as a node type DataArts does not have or a script the workspace lacks) and shows
that review with *Save*; only a post confirming that same review saves. A review is named by
a fingerprint of what it showed and of the text and choices it reviewed, so a text changed
since, or a definition changed by someone else since, is reviewed again rather than saved."""

from __future__ import annotations

import hashlib
import json
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Response
from starlette.exceptions import HTTPException

from jobferry.console.fixes import said
from jobferry.console.missing import JOBS, SCRIPTS, Listed, looked_up
from jobferry.console.web import FormDep, Page, PageContext, PageDep, raw, redirect, render, text
from jobferry.domain.definitions import CONTROL_FIELDS, SERVER_FIELDS
from jobferry.domain.enums import CautionKind, TargetStatus
from jobferry.errors import JobferryError
from jobferry.services.container import Services
from jobferry.services.context import WRITERS, Scope
from jobferry.services.definitions.review import Caution, DefinitionReview

router = APIRouter()

Save = Callable[[Services, Scope, str, dict[str, Any]], None]
"""Create (name ``''``) or replace (the name edited) a definition through its service."""
Review = Callable[[Services, Scope, str, dict[str, Any]], DefinitionReview]
"""What that save would do (refused as the save would be)."""


def _save_job(services: Services, scope: Scope, name: str, body: dict[str, Any]) -> None:
    if name:
        services.jobs.update(scope, name, body)
    else:
        services.jobs.create(scope, body)


def _save_script(services: Services, scope: Scope, name: str, body: dict[str, Any]) -> None:
    if name:
        services.scripts.update(scope, name, body)
    else:
        services.scripts.create(scope, body)


@dataclass(frozen=True)
class Edited:
    """What the editor edits: a kind's words, its pages, its service calls, and the definition
    a new one starts from."""

    kind: str
    pages: str
    show: Callable[[Services, Scope, str], dict[str, Any]]
    save: Save
    review: Review
    start: dict[str, Any]
    rename: str
    """How to rename one, since the editor does not (``{old}``: the name edited)."""
    listed: Listed
    """The list of the kind, where the editor of one that is not there links back to."""


EDITED = {
    "jobs": Edited(
        "job",
        "jobs",
        lambda services, scope, name: services.jobs.show(scope, name).document,
        _save_job,
        lambda services, scope, name, body: services.reviews.job(scope, name, body),
        {
            "name": "new_job",
            "directory": "/",
            "processType": "BATCH",
            "nodes": [{"name": "step_1", "type": "Dummy", "location": {"x": "10", "y": "10"}}],
            "schedule": {"type": "EXECUTE_ONCE"},
            "params": [],
        },
        "rename it with jobferry jobs rename {old} {new} -w {workspace}",
        JOBS,
    ),
    "scripts": Edited(
        "script",
        "scripts",
        lambda services, scope, name: services.scripts.show(scope, name).document,
        _save_script,
        lambda services, scope, name, body: services.reviews.script(scope, name, body),
        {"name": "new_script", "type": "Shell", "directory": "/", "content": "echo hello"},
        "create the new name with New script and delete '{old}'",
        SCRIPTS,
    ),
}


@dataclass(frozen=True)
class Problem:
    """One thing the server (or the JSON reader) refused: the field, what is wrong, the rule."""

    field: str
    message: str
    rule: str = ""


@dataclass(frozen=True, kw_only=True)
class EditorContext(PageContext):
    """The editor: the kind edited, the name edited (``''``: a new one), the definition's text,
    the problems the last save was refused for and the refusal, the review to confirm (its
    cautions worded, the fingerprint *Save* posts, whether the text or the definition changed
    since the review confirmed), the statuses it may save with and the one chosen, the
    approvers typed, where it posts and where Cancel goes."""

    template = "editor.html"
    kind: str
    name: str
    definition: str
    problems: list[Problem]
    error: str = ""
    review: DefinitionReview | None = None
    cautions: list[Problem]
    confirm: str = ""
    restated: bool = False
    targets: list[tuple[str, str]]
    target: str
    approvers: str
    approval: bool
    action: str
    back: str


def _edited(kind: str) -> Edited:
    found = EDITED.get(kind)
    if found is None:
        raise HTTPException(404)
    return found


def _targets(page: Page) -> list[tuple[str, str]]:
    """What a save may do, in the console's words (PRODUCTION is for admins)."""
    targets = [
        (TargetStatus.SUBMITTED.value, "Save and submit a new version"),
        (TargetStatus.SAVED.value, "Save the development state only"),
    ]
    if page.is_admin:
        targets.append((TargetStatus.PRODUCTION.value, "Save and submit to production (admins)"))
    return targets


def _editor_page(
    page: Page,
    edited: Edited,
    name: str,
    definition: str,
    *,
    problems: list[Problem] | None = None,
    error: str = "",
    review: DefinitionReview | None = None,
    confirm: str = "",
    restated: bool = False,
    target: str = TargetStatus.SUBMITTED.value,
    approvers: str = "",
    status_code: int = 200,
) -> Response:
    path = f"/editor/{edited.pages}" + (f"/{quote(name, safe='')}" if name else "")
    back = f"/{edited.pages}" + (f"/{quote(name, safe='')}" if name else "")
    context = EditorContext(
        page=page,
        kind=edited.kind,
        name=name,
        definition=definition,
        problems=problems or [],
        error=error,
        review=review,
        cautions=[_cautioned(c, page.scope.workspace.name) for c in review.cautions]
        if review
        else [],
        confirm=confirm,
        restated=restated,
        targets=_targets(page),
        target=target,
        approvers=approvers,
        approval=page.scope.workspace.approval_enabled,
        action=page.url(path),
        back=page.url(back),
    )
    return render(page.request, context, status_code=status_code)


def _text_of(document: dict[str, Any]) -> str:
    """A stored definition as the editor shows it: without what the server sets."""
    left_out = set(SERVER_FIELDS) | set(CONTROL_FIELDS)
    shown = {k: v for k, v in document.items() if k not in left_out}
    return json.dumps(shown, indent=2, ensure_ascii=False) + "\n"


@router.get("/w/{workspace_id}/editor/{kind}")
def new_definition(page: PageDep, kind: str) -> Response:
    """A new job or script, starting from a small valid definition."""
    edited = _edited(kind)
    page.require_change(WRITERS, f"create {edited.kind}s")
    return _editor_page(page, edited, "", _text_of(edited.start))


@router.get("/w/{workspace_id}/editor/{kind}/{name}")
def edit_definition(page: PageDep, kind: str, name: str) -> Response:
    """A job's or a script's development state, to change."""
    edited = _edited(kind)
    page.require_change(WRITERS, f"change {edited.kind}s")
    with looked_up(page, edited.listed):
        shown = edited.show(page.services, page.scope, name)
    return _editor_page(page, edited, name, _text_of(shown))


@router.post("/w/{workspace_id}/editor/{kind}")
def create_definition(page: PageDep, form: FormDep, kind: str) -> Response:
    """Create the job or script the text defines, or show why not with the text kept."""
    return _save(page, form, _edited(kind), "")


@router.post("/w/{workspace_id}/editor/{kind}/{name}")
def save_definition(page: PageDep, form: FormDep, kind: str, name: str) -> Response:
    """Replace the job's or script's definition, or show why not with the text kept."""
    return _save(page, form, _edited(kind), name)


def _save(page: Page, form: Any, edited: Edited, name: str) -> Response:
    page.require_change(WRITERS, f"{'change' if name else 'create'} {edited.kind}s")
    definition = raw(form, "definition")
    target = text(form, "target", TargetStatus.SUBMITTED.value)
    approvers = text(form, "approvers")
    body, problems = _parsed(definition, edited, name, page.scope.workspace.name)
    if body is None:
        error = (
            f"Nothing was saved: the text is not a {edited.kind} definition the server can read."
        )
        return _editor_page(
            page,
            edited,
            name,
            definition,
            problems=problems,
            error=error,
            status_code=400,
            target=target,
            approvers=approvers,
        )
    body["targetStatus"] = target
    names = [a.strip() for a in approvers.split(",") if a.strip()]
    if names:
        body["approvers"] = [{"approverName": a} for a in names]
    try:
        review = edited.review(page.services, page.scope, name, body)
        fingerprint = _fingerprint(definition, target, approvers, review)
        confirmed = text(form, "confirm")
        if confirmed != fingerprint:
            return _editor_page(
                page,
                edited,
                name,
                definition,
                review=review,
                confirm=fingerprint,
                restated=bool(confirmed),
                target=target,
                approvers=approvers,
            )
        edited.save(page.services, page.scope, name, body)
    except JobferryError as exc:
        found = _problems(exc)
        error = (
            f"Nothing was saved: the server refused the {edited.kind} "
            f"({len(found)} problem{'s' if len(found) != 1 else ''} below); fix the text and "
            "save again."
            if found
            else said(exc)
        )
        return _editor_page(
            page,
            edited,
            name,
            definition,
            problems=found,
            error=error,
            status_code=exc.status,
            target=target,
            approvers=approvers,
        )
    saved = str(body.get("name") or name)
    return redirect(page.url(f"/{edited.pages}/{quote(saved, safe='')}?saved={target}"))


def saved_said(saved: str, kind: str, version: int | None) -> str:
    """What the page the editor comes back to says of the save (``saved``: the target status
    it saved with; ``""``: the page was not reached from a save)."""
    if not saved:
        return ""
    if saved == TargetStatus.SAVED.value:
        running = f"v{version}" if version else "no version yet"
        return (
            f"Saved the {kind}'s development state, not submitted: scheduling and releases "
            f"use its latest submitted version ({running})."
        )
    return f"Saved the {kind} and submitted it as version {version}."


def _fingerprint(definition: str, target: str, approvers: str, review: DefinitionReview) -> str:
    """What a confirmation must name: the text and choices reviewed and what the review
    showed (a change made to the definition by someone else since changes it too)."""
    shown = {
        "definition": definition,
        "target": target,
        "approvers": approvers,
        "replaces": review.replaces,
        "changes": [c.as_json() for c in review.changes],
        "cautions": [[c.field, c.name] for c in review.cautions],
    }
    text = json.dumps(shown, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


_OBJECT_WORDS = {
    "script": ("runs script", "create the script first (New script), or correct the name"),
    "resource": ("uses resource", "create the resource first, or correct the name"),
    "job": ("names job", "create that job first, or correct the name"),
}


def _cautioned(caution: Caution, workspace: str) -> Problem:
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


def _parsed(
    definition: str, edited: Edited, name: str, workspace: str
) -> tuple[dict[str, Any] | None, list[Problem]]:
    """The definition typed, as a request body, or the problems that keep it from being one
    (a rename's names the command that does it, with this page's names: ``workspace``'s)."""
    try:
        body = json.loads(definition)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        return None, [Problem(where, f"not JSON: {exc.msg}", "json")]
    if not isinstance(body, dict):
        return None, [
            Problem("(the whole text)", f"a {edited.kind} definition is a JSON object {{…}}")
        ]
    if name and body.get("name", name) != name:
        new, where = shlex.quote(str(body.get("name"))), shlex.quote(workspace)
        fix = edited.rename.format(old=name, new=new, workspace=where)
        message = (
            f"names {edited.kind} '{body.get('name')}', but this page edits '{name}'; the "
            f"editor does not rename: keep the name '{name}', or {fix}"
        )
        return None, [Problem("name", message, "rename")]
    return body, []


def _problems(exc: JobferryError) -> list[Problem]:
    """Every rule a refused definition broke, as the server's validation lists them."""
    details = exc.context.get("details")
    if not isinstance(details, list):
        return []
    return [
        Problem(str(d.get("field", "")), str(d.get("message", "")), str(d.get("rule", "")))
        for d in details
        if isinstance(d, dict)
    ]
