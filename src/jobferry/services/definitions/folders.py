"""Jobs, scripts and resources one folder at a time, and job selections that name folders.

A workspace of 100,000 jobs cannot be shown at once (the console's jobs page used to render
the whole tree: 1 MB of HTML at 2,000 jobs). A folder listing shows one folder: its
sub-folders, each with how many objects it holds, then its own objects, by name, in pages of
``PAGE_SIZE`` entries (sub-folders first, as a file manager lists them). It costs two narrow
queries however large the workspace is (``storage.folders``).

A **selection** is what a person ticked while browsing such folders: jobs by name, and whole
folders whose contents they may never have loaded. It is kept as ticks and unticks, each
meaning "this object, or everything in this folder, is (not) selected", the most specific one
deciding: a job is selected when its own tick says so, else when the nearest folder above it
that was ticked or unticked was ticked. The server expands the folders with the filter the page
showed (a name part, a tag, a scheduling state), so a folder's tick selects exactly the jobs
its count promised.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from jobferry.domain.enums import JobStatus, ListedStatus, ObjectKind, ProcessType
from jobferry.domain.folders import SubFolder, crumbs, folder_of, open_folder, segments
from jobferry.errors import InvalidRequestError
from jobferry.services.context import Scope
from jobferry.services.definitions.documents import load
from jobferry.services.definitions.records import job_owner
from jobferry.services.support.paging import name_filter
from jobferry.storage import Database
from jobferry.storage import folders as repo
from jobferry.storage.records import JobRecord, ResourceRecord, ScriptRecord

PAGE_SIZE = 100
"""Entries (sub-folders and objects) one page of a folder shows."""

MAX_PAGE = 100_000


@dataclass(frozen=True)
class FolderQuery:
    """Which folder, which page, and which objects a listing shows (``tag`` and ``status``
    apply to jobs only)."""

    folder: str = "/"
    name: str | None = None
    tag: str | None = None
    status: ListedStatus | None = None
    page: int = 1


def parse_folder_query(
    folder: str = "/", name: str = "", tag: str = "", status: str = "", page: int | str = 1
) -> FolderQuery:
    """A listing's query from what a page or form sent; a bad value is refused, naming it."""
    try:
        status_value = ListedStatus(status) if status else None
    except ValueError:
        allowed = ", ".join(s.value for s in ListedStatus)
        raise InvalidRequestError(
            f"status '{status}' is not a scheduling state to filter by; use one of {allowed}, "
            "or leave it empty for every job.",
            parameter="status",
        ) from None
    number = _page_number(page)
    if "\x00" in folder or "\x00" in tag:
        raise InvalidRequestError(
            "The folder or tag contains a NUL character, which no name can hold; remove it.",
            parameter="folder",
        )
    return FolderQuery(
        folder=folder_of(folder or "/"),
        name=name_filter(name.strip() or None, "name"),
        tag=tag.strip() or None,
        status=status_value,
        page=number,
    )


def _page_number(page: int | str) -> int:
    try:
        number = int(page or 1)
    except ValueError:
        number = 0
    if not 1 <= number <= MAX_PAGE:
        raise InvalidRequestError(
            f"page '{page}' is not a page number; pages count from 1.", parameter="page"
        )
    return number


@dataclass(frozen=True)
class FolderPage:
    """One page of one folder: where it is, its sub-folders and objects on this page, and how
    many entries the folder has in all."""

    kind: ObjectKind
    query: FolderQuery
    crumbs: list[tuple[str, str]]
    folders: list[SubFolder]
    items: Sequence[FolderItem]
    count: int
    """Objects in the folder, its sub-folders' included (what a folder tick selects)."""
    entries: int
    """Sub-folders plus the folder's own objects: what the pages share."""
    page: int
    pages: int
    page_size: int = PAGE_SIZE

    @property
    def path(self) -> str:
        """The folder shown (``/a/b``; ``/`` for the root)."""
        return self.query.folder


@dataclass(frozen=True)
class JobSelection:
    """Ticks and unticks of jobs and folders, and the filter the page showed when they were
    made (see the module's docstring for how they combine)."""

    jobs: tuple[str, ...] = ()
    folders: tuple[str, ...] = ()
    not_jobs: tuple[str, ...] = ()
    not_folders: tuple[str, ...] = ()
    query: FolderQuery = field(default_factory=FolderQuery)

    @property
    def names_only(self) -> bool:
        """Whether only jobs were ticked (no folder to expand)."""
        return not self.folders and not self.not_folders


def parse_job_selection(
    jobs: Iterable[str],
    folders: Iterable[str],
    not_jobs: Iterable[str],
    not_folders: Iterable[str],
    query: FolderQuery,
) -> JobSelection:
    """A selection from the ticks a page posted (folders spelled as the listing spells them)."""
    return JobSelection(
        jobs=tuple(dict.fromkeys(jobs)),
        folders=tuple(dict.fromkeys(folder_of(f) for f in folders)),
        not_jobs=tuple(dict.fromkeys(not_jobs)),
        not_folders=tuple(dict.fromkeys(folder_of(f) for f in not_folders)),
        query=query,
    )


@dataclass
class FolderService:
    """Listings of one folder, and selections resolved to job names (read-only, any role)."""

    db: Database

    def page(self, scope: Scope, kind: ObjectKind, query: FolderQuery) -> FolderPage:
        """One page of one folder of the workspace's jobs, scripts or resources."""
        listing = _listing(scope, kind, query)
        with self.db.transaction(readonly=True) as tx:
            opened = open_folder(query.folder, repo.directory_counts(tx, listing))
            entries = len(opened.folders) + opened.own_count
            pages = max(1, -(-entries // PAGE_SIZE))
            page = min(query.page, pages)
            start = (page - 1) * PAGE_SIZE
            folders = opened.folders[start : start + PAGE_SIZE]
            skip = max(0, start - len(opened.folders))
            room = PAGE_SIZE - len(folders)
            records = repo.in_directories(tx, listing, opened.own, room, skip)
        return FolderPage(
            kind=kind,
            query=query,
            crumbs=crumbs(query.folder),
            folders=folders,
            items=[ITEMS[kind](r) for r in records],
            count=opened.count,
            entries=entries,
            page=page,
            pages=pages,
        )

    def selected_jobs(self, scope: Scope, selection: JobSelection) -> list[str]:
        """The names of the jobs a selection selects, by name."""
        if selection.names_only:
            unticked = set(selection.not_jobs)
            return sorted(n for n in selection.jobs if n not in unticked)
        listing = _listing(scope, ObjectKind.JOB, selection.query)
        with self.db.transaction(readonly=True) as tx:
            listed = repo.names_and_directories(tx, listing)
        return resolve_selection(selection, listed)


def resolve_selection(selection: JobSelection, listed: list[tuple[str, str]]) -> list[str]:
    """The names, by name, a selection selects among ``listed`` (name, stored directory)
    jobs: a job's own tick decides, else the nearest folder's; a ticked job that is not listed
    is kept (it was shown, so it exists)."""
    decided = {f: True for f in selection.folders}
    decided.update({f: False for f in selection.not_folders})
    ticked, unticked = set(selection.jobs), set(selection.not_jobs)
    says: dict[str, bool] = {}  # per stored directory: a workspace has few of them
    chosen = []
    for name, directory in listed:
        if name in ticked:
            chosen.append(name)
        elif name not in unticked:
            if directory not in says:
                says[directory] = _folder_says(decided, directory)
            if says[directory]:
                chosen.append(name)
    listed_names = {name for name, _ in listed}
    chosen += [n for n in selection.jobs if n not in listed_names]
    chosen.sort()
    return chosen


def _folder_says(decided: dict[str, bool], directory: str) -> bool:
    """The tick of the nearest ticked or unticked folder holding ``directory`` (False when
    none was)."""
    parts = segments(directory)
    for depth in range(len(parts), -1, -1):
        said = decided.get("/" + "/".join(parts[:depth]))
        if said is not None:
            return said
    return False


def _listing(scope: Scope, kind: ObjectKind, query: FolderQuery) -> repo.Listing:
    return repo.Listing(
        kind=kind,
        workspace_id=scope.workspace.id,
        name_contains=query.name,
        tags=(query.tag,) if query.tag else (),
        status=query.status,
    )


@dataclass(frozen=True)
class JobItem:
    """A job as a folder listing shows it."""

    name: str
    process_type: ProcessType
    status: JobStatus
    version: int | None
    owner: str
    """``basicConfig.owner``, else who created it."""
    tags: list[str]
    updated_at: int
    updated_by: str
    path: str
    """Its folder, spelled as the listing spells folders."""

    @classmethod
    def of(cls, job: JobRecord) -> JobItem:
        """The row of ``job``."""
        document = load(job.document)
        basic = document.get("basicConfig")
        tags = basic.get("tags") if isinstance(basic, dict) else None
        return cls(
            name=job.name,
            process_type=ProcessType(job.process_type),
            status=JobStatus(job.status),
            version=job.latest_version,
            owner=job_owner(document, job.created_by),
            tags=[str(t) for t in tags] if isinstance(tags, list) else [],
            updated_at=job.updated_at,
            updated_by=job.updated_by,
            path=folder_of(job.directory),
        )


@dataclass(frozen=True)
class ScriptItem:
    """A script as a folder listing shows it."""

    name: str
    type: str
    connection_name: str | None
    database: str | None
    """``database``, else ``currentDatabase``."""
    queue_name: str | None
    version: int | None
    updated_at: int
    updated_by: str
    path: str

    @classmethod
    def of(cls, script: ScriptRecord) -> ScriptItem:
        """The row of ``script``."""
        doc = load(script.document)
        return cls(
            name=script.name,
            type=script.type,
            connection_name=doc.get("connectionName"),
            database=doc.get("database") or doc.get("currentDatabase"),
            queue_name=doc.get("queueName"),
            version=script.latest_version,
            updated_at=script.updated_at,
            updated_by=script.updated_by,
            path=folder_of(script.directory),
        )


@dataclass(frozen=True)
class ResourceItem:
    """A resource as a folder listing shows it."""

    name: str
    id: str
    type: str
    location: str | None
    depends: int
    """How many packages and files it depends on."""
    updated_at: int
    updated_by: str
    path: str

    @classmethod
    def of(cls, resource: ResourceRecord) -> ResourceItem:
        """The row of ``resource``."""
        doc = load(resource.document)
        packages = doc.get("dependPackages")
        files = doc.get("dependFiles")
        return cls(
            name=resource.name,
            id=resource.id,
            type=resource.type,
            location=doc.get("location"),
            depends=(len(packages) if isinstance(packages, list) else 0)
            + (len(files) if isinstance(files, list) else 0),
            updated_at=resource.updated_at,
            updated_by=resource.updated_by,
            path=folder_of(resource.directory),
        )


FolderItem = JobItem | ScriptItem | ResourceItem
"""One object of a folder listing."""

ITEMS: dict[ObjectKind, Callable[[Any], FolderItem]] = {
    ObjectKind.JOB: JobItem.of,
    ObjectKind.SCRIPT: ScriptItem.of,
    ObjectKind.RESOURCE: ResourceItem.of,
}
"""How a listing shows a stored object of each kind."""
