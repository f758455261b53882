"""The definition editor: a job or a script as its DataArts JSON in a text box, created or
saved through the same services the API calls (``jobs.create``/``update``,
``scripts.create``/``update``), so the server's validation refuses bad input with every problem
listed on the page and the typed text kept as it was.

A save is confirmed first: the editor's first post reviews the text (``services.reviews``:
what the save would refuse, the fields it changes, and what it accepts that is probably a
mistake, such as a node type DataArts does not have or a script the workspace lacks) and shows
that review with *Save*; only a post confirming that same review saves. A review is named by
a fingerprint of what it showed and of the text and choices it reviewed, so a text changed
since, or a definition changed by someone else since, is reviewed again rather than saved.
The save says the cautions of the review it confirms, and its service refuses it when the
workspace gives others by then (``services/definitions/cautions.py``: a job it names renamed
between the review and the save): that is reviewed again too."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, TypedDict
from urllib.parse import quote

from fastapi import APIRouter, Response
from starlette.exceptions import HTTPException

from jobferry.console.edited import EDITED, Base, Edited
from jobferry.console.editor_problems import (
    Problem,
    cautioned,
    parsed,
    refused_problems,
    unoffered_target,
    with_choices,
)
from jobferry.console.fixes import said
from jobferry.console.missing import looked_up
from jobferry.console.web import FormDep, Page, PageContext, PageDep, raw, redirect, render, text
from jobferry.domain.definitions import CONTROL_FIELDS, SERVER_FIELDS
from jobferry.domain.enums import TargetStatus
from jobferry.errors import (
    CautionsChangedError,
    DefinitionChangedError,
    JobExistsError,
    JobferryError,
    ScriptExistsError,
)
from jobferry.services.context import WRITERS
from jobferry.services.definitions.records import Lock
from jobferry.services.definitions.review import DefinitionReview

router = APIRouter()


class Kept(TypedDict):
    """What a post of the editor keeps as it was sent, whatever its answer: the status it
    saves with, the approvers typed and the definition the page was opened with."""

    target: str
    approvers: str
    base: str


@dataclass(frozen=True, kw_only=True)
class EditorContext(PageContext):
    """The editor: the kind edited, the name edited (``''``: a new one), the definition's text,
    the problems the last save was refused for and the refusal, the review to confirm (its
    cautions worded, the fingerprint *Save* posts, whether the text or the definition changed
    since the review confirmed), the statuses it may save with and the one chosen, the
    approvers typed, where it posts and where Cancel goes, and the definition the page was
    opened with (``opened``, posted as the form's ``base``: what a save is made from, so that
    one over a change made since is refused), and another user's lock on it (``locked``)."""

    template = "editor.html"
    kind: str
    name: str
    definition: str
    opened: str = ""
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
    locked: Lock | None = None


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
    base: str = "",
    status_code: int = 200,
) -> Response:
    path = f"/editor/{edited.pages}" + (f"/{quote(name, safe='')}" if name else "")
    back = f"/{edited.pages}" + (f"/{quote(name, safe='')}" if name else "")
    context = EditorContext(
        page=page,
        kind=edited.kind,
        name=name,
        definition=definition,
        opened=base,
        problems=problems or [],
        error=error,
        review=review,
        cautions=[cautioned(c, page.scope.workspace.name) for c in review.cautions]
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
        locked=page.services.governance.held_by_another(page.scope, edited.kind, name)
        if name
        else None,
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
    opened = _text_of(shown)
    return _editor_page(page, edited, name, opened, base=opened)


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
    kept: Kept = {
        "target": text(form, "target", TargetStatus.SUBMITTED.value),
        "approvers": text(form, "approvers"),
        "base": raw(form, "base") if name else "",
    }
    workspace = page.scope.workspace.name
    body, problems = parsed(definition, edited.kind, edited.rename, name, workspace)
    error = unoffered_target(kept["target"], _targets(page))
    if body is None or error:
        error = error or (
            f"Nothing was saved: the text is not a {edited.kind} definition the server can read."
        )
        return _editor_page(
            page, edited, name, definition, problems=problems, error=error, status_code=400, **kept
        )
    typed = Typed(
        definition, with_choices(body, kept["target"], kept["approvers"]), text(form, "confirm")
    )
    try:
        return _reviewed_or_saved(page, edited, name, typed, kept)
    except DefinitionChangedError as exc:
        return _changed_since(page, edited, name, definition, exc, kept)
    except JobferryError as exc:
        if typed.confirmed and not name and _created_already(page, edited, exc, body):
            return _saved(page, edited, body, name, kept["target"])
        return _refused(page, edited, name, definition, exc, kept)


@dataclass(frozen=True)
class Typed:
    """What a post of the editor asks: the text typed, the body it makes, and the review it
    confirms (``''``: none, a first post)."""

    definition: str
    body: dict[str, Any]
    confirmed: str


def _reviewed_or_saved(
    page: Page, edited: Edited, name: str, typed: Typed, kept: Kept, error: str = ""
) -> Response:
    """The review of the typed save, or the save when the post confirms that very review (or
    finds it already saved: the same post twice). A save refused because the workspace gives
    other cautions than that review (an object it names renamed meanwhile) shows the review
    again, made now, saying why (``error``)."""
    base = _base(kept["base"])
    review = edited.review(page.services, page.scope, name, typed.body, base)
    fingerprint = _fingerprint(typed.definition, kept["target"], kept["approvers"], review)
    if typed.confirmed == fingerprint:
        try:
            edited.save(page.services, page.scope, name, typed.body, base, review.cautions)
        except CautionsChangedError as exc:  # between this review and the save: again
            unconfirmed = Typed(typed.definition, typed.body, "")
            return _reviewed_or_saved(page, edited, name, unconfirmed, kept, said(exc))
    elif not (typed.confirmed and _stored_already(review)):
        return _editor_page(
            page,
            edited,
            name,
            typed.definition,
            error=error,
            review=review,
            confirm=fingerprint,
            restated=bool(typed.confirmed),
            **kept,
        )
    return _saved(page, edited, typed.body, name, kept["target"])


def _base(text: str) -> Base:
    """The definition the page was opened with, from its hidden field (``None``: none)."""
    try:
        found = json.loads(text) if text else None
    except json.JSONDecodeError:
        return None
    return found if isinstance(found, dict) else None


def _stored_already(review: DefinitionReview) -> bool:
    """Whether a confirmed save whose review moved finds the definition already saved as
    typed: the same form posted twice (a double click, a browser's retry), the first of which
    saved it. The second says it was saved rather than asking again."""
    return review.replaces and not review.changes


def _created_already(page: Page, edited: Edited, exc: JobferryError, body: dict[str, Any]) -> bool:
    """Whether a confirmed create refused because the name is taken finds that object
    already as typed: the create posted twice, the first of which created it."""
    if not isinstance(exc, JobExistsError | ScriptExistsError):
        return False
    try:
        again = edited.review(page.services, page.scope, str(body.get("name")), body, None)
    except JobferryError:
        return False
    return _stored_already(again)


def _saved(page: Page, edited: Edited, body: dict[str, Any], name: str, target: str) -> Response:
    saved = str(body.get("name") or name)
    return redirect(page.url(f"/{edited.pages}/{quote(saved, safe='')}?saved={target}"))


def _refused(
    page: Page,
    edited: Edited,
    name: str,
    definition: str,
    exc: JobferryError,
    kept: Kept,
) -> Response:
    found = refused_problems(exc)
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
        **kept,
    )


def _changed_since(
    page: Page,
    edited: Edited,
    name: str,
    definition: str,
    exc: DefinitionChangedError,
    kept: Kept,
) -> Response:
    """The save refused because someone changed the definition since the page was opened:
    the text typed kept, each field they changed listed, and the page now made from what is
    stored, so that a save from it (reviewed again) replaces their change knowingly."""
    who = str(exc.context.get("changed_by", ""))
    problems = [
        Problem(str(f), f"changed by {who} since this page was opened", "changed since")
        for f in exc.context.get("changed_fields", [])
    ]
    with looked_up(page, edited.listed):
        now = _text_of(edited.show(page.services, page.scope, name))
    return _editor_page(
        page,
        edited,
        name,
        definition,
        problems=problems,
        error=said(exc),
        status_code=exc.status,
        target=kept["target"],
        approvers=kept["approvers"],
        base=now,
    )


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
