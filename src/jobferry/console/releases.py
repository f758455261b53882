"""An enterprise workspace's pending items: what was submitted, renamed or deleted in
development and waits for a release, filtered, ticked and packaged with named approvers.

Packaging goes through the release service the API uses (``ReleaseService.create``): the
package freezes the items' content and plans it into production at once, and a refusal names
every problem (in the console's words, ``fixes.release_spoken``), the ticks, name and
approvers kept as they were.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from fastapi import APIRouter, Response
from starlette.datastructures import FormData

from jobferry.console.fixes import release_spoken, said, spoken
from jobferry.console.release_fixes import package_fields, plan_problem_said
from jobferry.console.web import (
    FormDep,
    Page,
    PageContext,
    PageDep,
    QueryInt,
    redirect,
    render,
    text,
    texts,
)
from jobferry.domain.enums import ObjectKind
from jobferry.domain.releases import APPROVER_ROLES, UpdateType
from jobferry.domain.remedies import Remedy
from jobferry.errors import InvalidRequestError, JobferryError
from jobferry.services.releases.production import ENTERPRISE_FIX
from jobferry.services.releases.records import PackageRequest
from jobferry.storage.releases import ItemFilter, ItemRecord

router = APIRouter()

ITEMS_PAGE = 100
"""Pending items a page lists (a package takes at most 100)."""
CHANGES = {
    str(UpdateType.ADD.value): "add",
    str(UpdateType.CHANGE.value): "change",
    str(UpdateType.DELETE.value): "delete",
}
"""The change filter's values and their words."""
KINDS = (ObjectKind.JOB.value, ObjectKind.SCRIPT.value)
"""The object types pending items are of."""


@dataclass(frozen=True)
class ItemQuery:
    """The pending items page's filters (each '' for any) and page."""

    change: str = ""
    kind: str = ""
    name: str = ""
    who: str = ""
    offset: int = 0

    def filter(self) -> ItemFilter:
        """The filter the release service reads."""
        return ItemFilter(
            item_name=self.name or None,
            submit_user_name=self.who or None,
            update_type=int(self.change) if self.change in CHANGES else None,
            task_type_kind=self.kind if self.kind in KINDS else None,
        )

    def link(self, offset: int) -> str:
        """The query string of this filter at another page."""
        values = {"change": self.change, "kind": self.kind, "name": self.name, "who": self.who}
        return urlencode({**{k: v for k, v in values.items() if v}, "offset": offset})


@dataclass(frozen=True)
class Approver:
    """A member the package form offers as approver: id, name, role."""

    id: str
    name: str
    role: str


@dataclass(frozen=True)
class Draft:
    """What the package form holds: the ticked items, the name, the chosen approvers."""

    items: tuple[str, ...] = ()
    name: str = ""
    approvers: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class PendingContext(PageContext):
    """The pending items page: a page of items, the filters, the approvers the form offers,
    what the form holds, and a refused package's problems."""

    template = "releases_pending.html"
    items: list[ItemRecord]
    total: int
    query: ItemQuery
    changes: dict[str, str]
    kinds: tuple[str, ...]
    approvers: list[Approver]
    can_package: bool
    required_approvals: int = 0
    """The workspace's rule: how many signed approvals a deploy needs (0: none), each by a
    different approver named on the package; the form says so beside its approvers."""
    draft: Draft = field(default_factory=Draft)
    error: str = ""
    problems: list[str] = field(default_factory=list)
    invalid_fields: frozenset[str] = frozenset()
    """The form's fields the problems are about."""
    previous: str | None = None
    """The previous page's query (``None`` on the first)."""
    next: str | None = None
    """The next page's query (``None`` on the last)."""
    first: str | None = None
    """The first page's query, for a page past the last (``None`` otherwise)."""
    tick_all: str = ""
    """This page's query with every item shown ticked."""


def require_enterprise(page: Page) -> None:
    """Refuse the Releases pages of a workspace that has none, in the console's words."""
    if page.enterprise:
        return
    name = page.scope.workspace.name
    if page.production_of:
        raise InvalidRequestError(
            f"Workspace '{name}' has no pending items or release packages: it is the "
            f"production side of workspace '{page.development_name}'; its releases are on that "
            "workspace's Releases pages.",
            workspace=name,
        )
    raise InvalidRequestError(
        f"Workspace '{name}' has no pending items or release packages: it is in simple mode, "
        "where what is submitted is in use at once.",
        fix=ENTERPRISE_FIX,
        remedy=Remedy.ENABLE_ENTERPRISE,
        workspace=name,
    )


def approvers(page: Page) -> list[Approver]:
    """The members who may approve the viewer's package: admins and deployers of the
    workspace (project admins included), never the viewer."""
    found: list[Approver] = []
    offset = 0
    while True:
        members = page.services.studio_workspaces.members(page.scope, 100, offset)
        found += [
            Approver(str(m.user_id), m.name, m.role.value)
            for m in members.items
            if m.role in APPROVER_ROLES and m.user_id != page.scope.actor.user_id
        ]
        offset += 100
        if offset >= members.total:
            return found


def _pending_view(
    page: Page,
    query: ItemQuery,
    *,
    draft: Draft | None = None,
    error: str = "",
    problems: list[str] | None = None,
    invalid: frozenset[str] = frozenset(),
    status_code: int = 200,
    tick_all: bool = False,
) -> Response:
    require_enterprise(page)
    asked = max(query.offset, 0) // ITEMS_PAGE
    total, items = page.services.releases.pending(page.scope, query.filter(), ITEMS_PAGE, asked)
    start, after = asked * ITEMS_PAGE, (asked + 1) * ITEMS_PAGE
    if tick_all:  # every item shown ticked: a page holds at most what a package takes
        draft = Draft(items=tuple(str(i.id) for i in items))
    context = PendingContext(
        page=page,
        items=items,
        total=total,
        query=ItemQuery(query.change, query.kind, query.name, query.who, start),
        previous=query.link(start - ITEMS_PAGE) if start else None,
        next=query.link(after) if after < total else None,
        first=query.link(0) if start and not items and total else None,
        tick_all=query.link(start) + "&tick=all",
        changes=CHANGES,
        kinds=KINDS,
        approvers=approvers(page) if page.can_write else [],
        can_package=page.can_write,
        required_approvals=page.services.release_approvals.rule(page.scope),
        draft=draft or Draft(),
        error=error,
        problems=problems or [],
        invalid_fields=invalid,
    )
    return render(page.request, context, status_code=status_code)


@router.get("/w/{workspace_id}/releases/pending")
def pending_page(
    page: PageDep,
    change: str = "",
    kind: str = "",
    name: str = "",
    who: str = "",
    offset: QueryInt = 0,
    tick: str = "",
) -> Response:
    """The workspace's pending items not in a package, newest first, filtered (``tick=all``:
    every item shown ticked, what the page's tick-all box does where scripts run)."""
    query = ItemQuery(change, kind, name.strip(), who.strip(), offset)
    return _pending_view(page, query, tick_all=tick == "all")


def _query_of(form: FormData) -> ItemQuery:
    offset = text(form, "offset")
    return ItemQuery(
        text(form, "change"),
        text(form, "kind"),
        text(form, "name"),
        text(form, "who"),
        int(offset) if offset.isdigit() else 0,
    )


@router.post("/w/{workspace_id}/releases/pending/package")
def package_items(page: PageDep, form: FormDep) -> Response:
    """Package the ticked items with the chosen approvers (admins and developers), then open
    the new package; a refusal lists every problem and keeps the form as it was."""
    require_enterprise(page)
    draft = Draft(
        tuple(texts(form, "item")), text(form, "package_name"), tuple(texts(form, "approver"))
    )
    request = PackageRequest(
        str(page.scope.actor.user_id), draft.name, draft.items, draft.approvers
    )
    try:
        made = page.services.releases.create(page.scope, request, [])
    except JobferryError as exc:
        listed, typed = exc.context.get("problems"), exc.context.get("plan_problems")
        raw = [str(p) for p in listed] if isinstance(listed, list) else []
        problems = (
            [spoken(plan_problem_said(p)) for p in typed if isinstance(p, dict)]
            if isinstance(typed, list)
            else [release_spoken(p) for p in raw]
        )
        error = (
            "The release package was not created; fix these and package again:"
            if problems
            else said(exc)
        )
        return _pending_view(
            page,
            _query_of(form),
            draft=draft,
            error=error,
            problems=problems,
            invalid=package_fields(raw),
            status_code=exc.status,
        )
    return redirect(page.url(f"/releases/packages/{made.package_id}?made=1"))
