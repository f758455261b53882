"""The workspace's audit log (Admin → Audit log): who did what to which object, and when,
newest first, searched by object, kind, user, action and days (``services/audit.py``)."""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Response

from jobferry.console.fixes import said
from jobferry.console.web import Page, PageContext, PageDep, QueryInt, render
from jobferry.domain.audit import AuditQuery, detail_line
from jobferry.domain.enums import Role
from jobferry.errors import InvalidRequestError, JobferryError
from jobferry.services.audit import AuditEntry, AuditPage, ObjectImport
from jobferry.services.context import require_project_admin

router = APIRouter()

AUDIT_PAGE = 50
PAGES = {"job": "jobs", "script": "scripts", "resource": "resources", "task": "tasks"}
"""The kinds whose objects have a page here, and its list path (a rollback's line names the
import it undid, a task)."""
KINDS = ("job", "script", "resource", "connection", "route", "remote", "package", "task")
"""The kinds the search's field suggests (any kind an entry names may be typed)."""


@dataclass(frozen=True)
class AuditFilter:
    """The search form as typed: texts, and days (``YYYY-MM-DD``, UTC) from and to."""

    object: str = ""
    kind: str = ""
    user: str = ""
    action: str = ""
    since: str = ""
    until: str = ""
    project: str = ""
    """``"1"``: the project's entries of no workspace (users, their access, sign-ins)."""

    def query(self) -> AuditQuery:
        """The search the form asks for: from the start of ``since`` to the end of ``until``;
        a day that is not one is refused naming the field."""
        since, until = _day(self.since, "From"), _day(self.until, "To")
        if since and until and since > until:
            raise InvalidRequestError(
                f"From {since} is after To {until}.", fix="Give a From on or before the To."
            )
        return AuditQuery(
            object_name=self.object,
            object_kind=self.kind,
            actor=self.user,
            action=self.action,
            since=_ms(since) if since else None,
            until=_ms(until + timedelta(days=1)) if until else None,
        )

    @property
    def link(self) -> str:
        """The search as the pages' links carry it (``&object=…``; ``""``: none)."""
        asked = {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}
        return f"&{urlencode(asked)}" if asked else ""


def _day(text: str, label: str) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidRequestError(
            f"{label} '{text}' is not a day.", fix="Give one as YYYY-MM-DD."
        ) from None


def _ms(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)


_HASH = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class AuditRow:
    """One entry as the table shows it: the object's name (cut short when it is a package's
    hash, as imports were logged before they named their package's file) and its page when it
    has one, the task the entry names (an import's), the rest of the detail on a line."""

    entry: AuditEntry
    object_label: str
    object_path: str
    task_id: str
    detail: str

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditRow:
        """The row of an entry."""
        name, kind = entry.object_name or "", entry.object_kind or ""
        task_id, detail = _task_of(entry.detail)
        return cls(
            entry=entry,
            object_label=f"{name[:12]}…" if kind == "package" and _HASH.fullmatch(name) else name,
            object_path=f"/{PAGES[kind]}/" if kind in PAGES else "",
            task_id=task_id,
            detail=detail_line(detail),
        )


def _task_of(detail: object) -> tuple[str, object]:
    """The task an entry's detail names (``taskId``; ``""``: none), and the rest of it."""
    if not isinstance(detail, dict) or not isinstance(detail.get("taskId"), str):
        return "", detail
    return detail["taskId"], {k: v for k, v in detail.items() if k != "taskId"}


@dataclass(frozen=True, kw_only=True)
class AuditContext(PageContext):
    """A page of the audit log, where it starts among how many, the search, and what a
    refused search said."""

    template = "admin_audit.html"
    rows: list[AuditRow]
    total: int
    offset: int
    size: int
    shown: AuditFilter
    imports: list[ObjectImport]
    """When the search names one job, script or resource: the imports that changed it."""
    kinds: tuple[str, ...] = KINDS
    error: str = ""
    dropped: str = ""
    """What ``JOBFERRY_AUDIT_DAYS`` dropped before the search's window ("": nothing)."""


@router.get("/w/{workspace_id}/admin/audit")
def audit_page(
    page: PageDep,
    offset: QueryInt = 0,
    object_name: Annotated[str, Query(alias="object")] = "",
    kind: str = "",
    user: str = "",
    action: str = "",
    since: str = "",
    until: str = "",
    project: str = "",
) -> Response:
    """The audit log, newest first, a page at a time (workspace admins); with ``project``,
    the project's entries of no workspace (project admins)."""
    shown = AuditFilter(object_name, kind, user, action, since, until, "1" if project else "")
    start = max(offset, 0) // AUDIT_PAGE * AUDIT_PAGE
    audit = page.services.audit
    # Who may read comes first: one who may not is told so, whatever the search typed.
    if shown.project:
        require_project_admin(page.scope.actor, "read the project's audit log")
    else:
        page.scope.require((Role.ADMIN,), "read the audit log")

    def read(at: int) -> AuditPage:
        if shown.project:
            return audit.project_entries(page.scope.actor, AUDIT_PAGE, at, shown.query())
        return audit.list_entries(page.scope, AUDIT_PAGE, at, shown.query())

    try:
        found = read(start)
    except InvalidRequestError as refused:
        return _render(page, AuditPage(0, []), start, shown, refused)
    if not found.entries and found.total and start:
        # an address past the end (a stale link, entries swept since): the last page, never
        # "no entry matches" where some do
        start = (found.total - 1) // AUDIT_PAGE * AUDIT_PAGE
        found = read(start)
    return _render(page, found, start, shown)


def _render(
    page: Page,
    found: AuditPage,
    start: int,
    shown: AuditFilter,
    refused: JobferryError | None = None,
) -> Response:
    rows = [AuditRow.of(e) for e in found.entries]
    kind, name = shown.kind.strip(), shown.object.strip()
    named = bool(name) and kind in ("", "job", "script", "resource") and refused is None
    named = named and not shown.project
    audit = page.services.audit
    context = AuditContext(
        page=page,
        rows=rows,
        imports=audit.imports_of(page.scope, kind or None, name, shown.query()) if named else [],
        total=found.total,
        offset=start,
        size=AUDIT_PAGE,
        shown=shown,
        error=said(refused) if refused is not None else "",
        dropped=found.dropped_said,
    )
    return render(page.request, context, status_code=refused.status if refused else 200)
