"""Folder listings of jobs, scripts and resources: one folder a page at a time, on a page of
its own or as a fragment the page's script loads into an opened folder.

Without the script every folder is a link to its own page; with it, opening a folder loads its
first page in place, and a large folder's pages replace each other there, so what was ticked
elsewhere stays ticked (the jobs page keeps ticks in the browser, see console.js).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Response

from jobferry.console.web import Page, PageContext, PageDep, render
from jobferry.domain.enums import ObjectKind
from jobferry.errors import InvalidRequestError
from jobferry.services.definitions.folders import FolderPage, FolderQuery, parse_folder_query

router = APIRouter()

PATHS = {ObjectKind.JOB: "jobs", ObjectKind.SCRIPT: "scripts", ObjectKind.RESOURCE: "resources"}
KINDS = {path: kind for kind, path in PATHS.items()}
NOUNS = {ObjectKind.JOB: "job", ObjectKind.SCRIPT: "script", ObjectKind.RESOURCE: "resource"}


@dataclass(frozen=True)
class Ticks:
    """What the jobs page shows ticked when it is drawn (after a refused export: what was
    posted), as the script's marks: ``j:NAME`` / ``f:/PATH`` → ticked or unticked."""

    jobs: frozenset[str] = frozenset()
    folders: frozenset[str] = frozenset()
    not_jobs: frozenset[str] = frozenset()
    not_folders: frozenset[str] = frozenset()

    @cached_property
    def marks(self) -> dict[str, bool]:
        """The ticks keyed as the page's script keys them."""
        found = {f"j:{n}": True for n in self.jobs} | {f"f:{p}": True for p in self.folders}
        found |= {f"j:{n}": False for n in self.not_jobs}
        found |= {f"f:{p}": False for p in self.not_folders}
        return dict(sorted(found.items()))


@dataclass(frozen=True)
class Listing:
    """One folder's listing with the links its page and its fragments need."""

    page: Page
    folder: FolderPage
    select: bool = False
    ticks: Ticks = field(default_factory=Ticks)

    @property
    def kind(self) -> ObjectKind:
        """Jobs, scripts or resources."""
        return self.folder.kind

    @property
    def noun(self) -> str:
        """``job``, ``script`` or ``resource``."""
        return NOUNS[self.kind]

    def _params(self, folder: str, page: int) -> str:
        query = self.folder.query
        pairs = [
            ("folder", folder),
            ("q", query.name or ""),
            ("tag", query.tag or ""),
            ("status", query.status.value if query.status else ""),
            ("select", "1" if self.select else ""),
            ("page", str(page) if page > 1 else ""),
        ]
        return urlencode([(k, v) for k, v in pairs if v and (k != "folder" or v != "/")])

    def page_url(self, folder: str, page: int = 1) -> str:
        """The page of ``folder`` (its ``page``-th page) with this listing's filters."""
        params = self._params(folder, page)
        return self.page.url(f"/{PATHS[self.kind]}") + (f"?{params}" if params else "")

    def fragment_url(self, folder: str, page: int = 1) -> str:
        """The same listing as a fragment, for the page's script."""
        params = self._params(folder, page)
        return self.page.url(f"/folder/{PATHS[self.kind]}") + (f"?{params}" if params else "")

    def item_url(self, name: str) -> str:
        """The page of one object of the listing."""
        return self.page.url(f"/{PATHS[self.kind]}/") + quote(name, safe="")

    def ticked(self, key: str) -> bool:
        """Whether a box starts ticked (``j:NAME`` / ``f:/PATH``): its own tick, else the
        nearest folder's above it (the listing's folder included)."""
        marks = self.ticks.marks
        if key in marks:
            return marks[key]
        path = key[2:] if key.startswith("f:") else self.folder.path
        parts = [p for p in path.split("/") if p]
        if key.startswith("f:"):
            parts = parts[:-1]
        for depth in range(len(parts), -1, -1):
            said = marks.get("f:/" + "/".join(parts[:depth]))
            if said is not None:
                return said
        return False


def listing_query(
    folder: str = "/", q: str = "", tag: str = "", status: str = "", page: str = "1"
) -> FolderQuery:
    """The query a listing's address carries (refused, naming the field, when it is bad)."""
    return parse_folder_query(folder or "/", q, tag, status, page or "1")


@dataclass(frozen=True)
class ListingAddress:
    """What a listing's address says: the folder, the filters, the page, and whether to show
    check boxes. As a route's dependency (``ListingAddressDep``) these are its query
    parameters."""

    folder: str = "/"
    q: str = ""
    tag: str = ""
    status: str = ""
    select: str = ""
    page: str = "1"

    def query(self) -> FolderQuery:
        """The folder query (refused, naming the field, when it is bad)."""
        return listing_query(self.folder, self.q, self.tag, self.status, self.page)

    @property
    def selecting(self) -> bool:
        """Whether the address asks for check boxes (``select=1``)."""
        return self.select in ("1", "on")


ListingAddressDep = Annotated[ListingAddress, Depends()]


@dataclass(frozen=True, kw_only=True)
class FolderContext(PageContext):
    """One page of one folder, as a fragment an opened folder loads."""

    template = "folder.html"
    view: Listing


@router.get("/w/{workspace_id}/folder/{kind}")
def folder_fragment(page: PageDep, kind: str, address: ListingAddressDep) -> Response:
    """One page of one folder as an HTML fragment (what an opened folder loads)."""
    found = KINDS.get(kind)
    if found is None:
        raise InvalidRequestError(f"There is no list of '{kind}'; use jobs, scripts or resources.")
    shown = page.services.folders.page(page.scope, found, address.query())
    view = Listing(page, shown, select=address.selecting and page.can_write)
    return render(page.request, FolderContext(page=page, view=view))
