"""What a push reads of its remote, in bulk, before it writes and after.

:func:`read_state` reads the objects a push touches as a refresh does — ``list_jobs`` for the
scheduling status, ``export_job_list`` (100 names a call) for the jobs' definitions,
``list_scripts`` and ``list_resources`` for theirs (each list by the names it touches, a call
each, or by every page, whichever takes fewer calls: :func:`by_name`, the remote's size known
from its shadow's last read, :class:`LastRead`; the three lists side by side, the exports a few
in flight) — and hashes each as the refresh does, so the hashes compare with what the last
refresh recorded (``remote_objects``). The definitions read are the push's before-images; the
resources' ids are what their calls address.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from jobferry.domain.enums import JobStatus, ObjectKind
from jobferry.services.context import now_ms
from jobferry.services.definitions.documents import reference_index
from jobferry.services.remotes.client import JOB_TYPES, PAGE, DataArtsClient
from jobferry.services.remotes.environment import bounded_map
from jobferry.services.remotes.paging import Held
from jobferry.services.remotes.records import CREATED, LISTED, SUBMITTED
from jobferry.services.remotes.refresh import (
    canonical,
    creation,
    digest,
    identity,
    job_documents,
    listing,
    read_batches,
    scheduling,
)
from jobferry.services.remotes.shadow import job_value
from jobferry.storage import Database, Tx
from jobferry.storage import remotes as repo


@dataclass
class RemoteState:
    """The touched objects as the remote holds them: per kind, name → definition (canonical)
    and hash; jobs' scheduling status; resources' ids."""

    docs: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    hashes: dict[str, dict[str, str]] = field(default_factory=dict)
    status: dict[str, JobStatus] = field(default_factory=dict)
    resource_ids: dict[str, str] = field(default_factory=dict)
    listed: dict[str, str] = field(default_factory=dict)
    """Each job read: the hash of its list entry (:func:`~.refresh.listing`), listed before
    its export, as a refresh records it (none: the entry has no ``lastUpdateTime``)."""
    created: dict[str, str] = field(default_factory=dict)
    """Each job read: the hash of its identity (its creation stamp and its definition but its
    name), as a refresh records it to tell a rename (none: the entry has no stamp)."""

    def has(self, kind: str, name: str) -> bool:
        """Whether the remote holds this object."""
        return name in self.docs.get(kind, {})

    def doc(self, kind: str, name: str) -> dict[str, Any]:
        """The remote's definition of an object it holds."""
        return self.docs[kind][name]

    def add(self, kind: str, name: str, doc: dict[str, Any], hashed: object) -> None:
        """One object read."""
        self.docs.setdefault(kind, {})[name] = doc
        self.hashes.setdefault(kind, {})[name] = digest(hashed)


def _kind(
    kind: ObjectKind, items: Iterable[dict[str, Any]], names: set[str], state: RemoteState
) -> None:
    state.docs.setdefault(kind.value, {})
    state.hashes.setdefault(kind.value, {})
    for item in items:
        name = item.get("name")
        if not isinstance(name, str) or name not in names:
            continue
        doc = canonical(kind, item)
        state.add(kind.value, name, doc, doc)
        if kind is ObjectKind.RESOURCE:
            state.resource_ids[name] = str(item.get("id") or item.get("resourceId") or "")


NAMED_IN_FLIGHT = 25
"""Touched objects of a kind a push lists by their names at once (each name a call of its own)."""


class LastRead:
    """What a shadow's remote held as last read (``remote_objects``: its last refresh, and the
    pushes since; a :class:`~.paging.Held`): how many objects of each kind, read in one query
    when first asked, and which of some names. The remotes service's clients carry it
    (``DataArtsClient.held``), so that a push's reads choose between names and pages
    (:func:`by_name`) without a call."""

    def __init__(self, db: Database, workspace_id: str) -> None:
        self._db, self._workspace_id = db, workspace_id
        self._lock = threading.Lock()
        self._counts: dict[str, int] | None = None

    def count(self, kind: str) -> int:
        """How many objects of ``kind`` the last read found."""
        with self._lock:
            if self._counts is None:
                with self._db.transaction(readonly=True) as tx:
                    kinds = [kind.value for kind in LISTS]
                    self._counts = repo.count_read(tx, self._workspace_id, kinds)
            return self._counts.get(kind, 0)

    def holding(self, kind: str, names: set[str]) -> set[str]:
        """Those of ``names`` the last read found as objects of ``kind``."""
        with self._db.transaction(readonly=True) as tx:
            return set(repo.read_hashes_of(tx, self._workspace_id, kind, names))


def paged_calls(held: int, lists: int = 1) -> int:
    """The calls of a walk of every page of a kind's lists: one per :data:`PAGE` objects the
    remote holds (one at least), and one more per list beside the first (the real-time jobs'
    list beside the batch jobs': a page, as a rule)."""
    return max(1, -(-held // PAGE)) + lists - 1


def named_calls(kind: ObjectKind, wanted: set[str], held: Held | None) -> int:
    """The calls of listing ``wanted`` one name each: a call per name, two for a job the
    remote did not hold as last read (:func:`job_named`: batch jobs first, then real-time)."""
    if kind is not ObjectKind.JOB or held is None:
        return len(wanted)
    return 2 * len(wanted) - len(held.holding(kind.value, wanted))


def by_name(named: int, paged: int) -> bool:
    """Whether the touched objects of a kind are listed one name each (``named`` calls)
    rather than every page (``paged`` calls): the cheaper in calls, names on a tie (they are
    all in flight at once, :data:`NAMED_IN_FLIGHT`)."""
    return named <= paged


@dataclass(frozen=True)
class Lists:
    """How one kind is listed: its list ``call`` (its whole ``query``: the batch jobs', whose
    first page says how many the remote holds), beside ``lists - 1`` others walked whole."""

    call: str
    items: str
    param: str
    query: dict[str, str] = field(default_factory=dict)
    lists: int = 1

    def held(self, client: DataArtsClient, kind: ObjectKind) -> int | None:
        """How many objects of the kind the remote holds: as its shadow last read them, else
        as the first page of its list says (one call, ``limit`` 1; ``None``: it says no
        ``total``)."""
        if client.held is not None:
            return client.held.count(kind.value)
        total = client.json(self.call, query={**self.query, "limit": 1, "offset": 0}).get("total")
        return total if isinstance(total, int) else None


LISTS = {
    ObjectKind.JOB: Lists(
        "list_jobs", "jobs", "jobName", {"jobType": JOB_TYPES[0]}, len(JOB_TYPES)
    ),
    ObjectKind.SCRIPT: Lists("list_scripts", "scripts", "scriptName"),
    ObjectKind.RESOURCE: Lists("list_resources", "resources", "resourceName"),
}
"""How a push lists each kind it reads."""


def _listed(client: DataArtsClient, kind: ObjectKind, wanted: set[str]) -> list[dict[str, Any]]:
    """The list entries of the ``wanted`` objects of ``kind``: each name's (the name filters
    match by substring, other names' entries are passed over; :data:`NAMED_IN_FLIGHT` at
    once), or every page, whichever costs fewer calls (:func:`by_name`)."""
    if not wanted:
        return []
    lists = LISTS[kind]
    size = lists.held(client, kind)
    paged = 0 if size is None else paged_calls(size, lists.lists)
    items: Iterable[dict[str, Any]]
    if size is None or (
        len(wanted) <= paged and by_name(named_calls(kind, wanted, client.held), paged)
    ):
        each = _named_call(client, kind)
        width = min(len(wanted), NAMED_IN_FLIGHT)
        items = [item for page in bounded_map(each, sorted(wanted), width) for item in page]
    else:
        items = _whole_call(client, kind)()
    return [item for item in items if item.get("name") in wanted]


def _whole_call(client: DataArtsClient, kind: ObjectKind) -> Callable[[], Iterable[dict[str, Any]]]:
    return {
        ObjectKind.JOB: client.jobs,
        ObjectKind.SCRIPT: client.scripts,
        ObjectKind.RESOURCE: client.resources,
    }[kind]


def _named_call(client: DataArtsClient, kind: ObjectKind) -> Callable[[str], list[dict[str, Any]]]:
    if kind is ObjectKind.JOB:
        return partial(job_named, client)
    lists = LISTS[kind]
    return lambda name: list(client.pages(lists.call, lists.items, {lists.param: name}))


def job_named(client: DataArtsClient, name: str) -> list[dict[str, Any]]:
    """``list_jobs`` entries of the jobs whose name holds ``name``, one job type after another
    (:data:`JOB_TYPES`), until a type holds the job of exactly that name: a workspace's job
    names are unique across types (its calls address a job by name alone), so a batch job is
    one call rather than two; a real-time job, or a name the remote does not hold, two."""
    out: list[dict[str, Any]] = []
    for job_type in JOB_TYPES:
        out.extend(client.pages("list_jobs", "jobs", {"jobType": job_type, "jobName": name}))
        if any(item.get("name") == name for item in out):
            break
    return out


def read_state(client: DataArtsClient, touched: dict[str, set[str]]) -> RemoteState:
    """The remote's state of the objects named per kind (read in bulk): the scripts', the
    resources' and the jobs' lists side by side, then the jobs' exports
    (:data:`~.environment.IN_FLIGHT` in flight)."""
    state = RemoteState()
    scripts, resources = (
        touched.get(ObjectKind.SCRIPT, set()),
        touched.get(ObjectKind.RESOURCE, set()),
    )
    job = ObjectKind.JOB.value
    wanted = touched.get(job, set())
    with ThreadPoolExecutor(max_workers=3) as pool:
        listed_scripts = pool.submit(_listed, client, ObjectKind.SCRIPT, scripts)
        listed_resources = pool.submit(_listed, client, ObjectKind.RESOURCE, resources)
        jobs = _listed(client, ObjectKind.JOB, wanted)
        listed = {str(item["name"]): scheduling(item.get("status")) for item in jobs}
        entries = {str(item["name"]): (listing(item), creation(item)) for item in jobs}
        _kind(ObjectKind.SCRIPT, listed_scripts.result(), scripts, state)
        _kind(ObjectKind.RESOURCE, listed_resources.result(), resources, state)
    state.docs.setdefault(job, {})
    state.hashes.setdefault(job, {})
    batches = read_batches(sorted(wanted & set(listed)))
    for exported in bounded_map(client.export_jobs, batches):
        for doc in job_documents(client, exported):
            name = str(doc["name"])
            if name in wanted:
                value = canonical(ObjectKind.JOB, doc)
                state.add(job, name, value, job_value(value, listed[name]))
                state.status[name] = listed[name]
                entry, stamp = entries[name]
                if entry is not None:
                    state.listed[name] = digest(entry)
                if stamp is not None:
                    state.created[name] = digest(identity(stamp, value))
    return state


def changed_since(
    db: Database, workspace_id: str, state: RemoteState, touched: dict[str, set[str]]
) -> list[str]:
    """``kind 'name'`` of every touched object whose hash, as read now (``state``), differs
    from the one the last refresh of the shadow ``workspace_id`` recorded (changed, created or
    deleted in the remote since). Only the touched objects' hashes are read."""
    with db.transaction(readonly=True) as tx:
        recorded = {
            kind: repo.read_hashes_of(tx, workspace_id, kind, names)
            for kind, names in touched.items()
        }
    out: list[str] = []
    for kind in sorted(touched):
        now, then = state.hashes.get(kind, {}), recorded.get(kind, {})
        out.extend(f"{kind} '{n}'" for n in sorted(touched[kind]) if now.get(n) != then.get(n))
    return out


def jobs_listed_since(
    db: Database, workspace_id: str, client: DataArtsClient, skip: set[str]
) -> list[str]:
    """The names of the jobs the remote lists (``list_jobs``, every page; no export) but those
    in ``skip`` that are new since the last refresh of the shadow ``workspace_id``, or whose
    list entry changed since it (or a push's or rollback's re-read) recorded it: jobs a person
    made or saved in DataArts since, which the shadow cannot know the references of. A changed
    entry without ``lastUpdateTime`` cannot be told from an unchanged one: only a new such job
    is named."""
    with db.transaction(readonly=True) as tx:
        recorded = repo.read_all_hashes(tx, workspace_id, (ObjectKind.JOB.value, LISTED))
    known, listed = recorded[ObjectKind.JOB.value], recorded[LISTED]
    found = []
    for item in client.jobs():
        name, entry = str(item["name"]), listing(item)
        if name in skip:
            continue
        if name not in known or (entry is not None and listed.get(name) != digest(entry)):
            found.append(name)
    return sorted(found)


def jobs_using(
    client: DataArtsClient, names: Iterable[str], freed: set[tuple[str, str]]
) -> list[str]:
    """Of the remote's jobs ``names`` (read in bulk: :func:`read_state`), each that uses one of
    the objects ``freed`` (kind, name) by its name in this workspace, said as ``job 'name'
    (uses script 'x')``. A job gone since it was listed uses nothing."""
    wanted = set(names)
    if not wanted or not freed:
        return []
    job = ObjectKind.JOB.value
    state = read_state(client, {job: wanted})
    found = []
    for name in sorted(wanted):
        if not state.has(job, name):
            continue
        refs = reference_index(state.doc(job, name))
        uses = [
            f"{kind} '{ref}'" for kind, ref, other in refs if not other and (kind, ref) in freed
        ]
        if uses:
            found.append(f"job '{name}' (uses {', '.join(uses)})")
    return found


def record_after(
    tx: Tx, workspace_id: str, after: RemoteState, touched: dict[str, set[str]]
) -> None:
    """In the transaction that ends a push (or a push's rollback): the hashes of what the
    remote holds now (``after``, read again after the calls) become what the shadow last read
    of the touched objects, and so do the jobs' list entries (each listed before its export:
    an entry changed between the two reads differs from the one recorded, and the next refresh
    exports that job) and identities (what tells a rename on the remote). The jobs' submitted
    versions were not read again: they are forgotten, and the next refresh exports those of the
    touched jobs (their development states stand, while their entries are as recorded here)."""
    now = now_ms()
    for kind, names in touched.items():
        repo.forget_read(tx, workspace_id, kind, names)
        hashes = after.hashes.get(kind, {})
        repo.record_read(tx, workspace_id, kind, sorted(hashes.items()), now)
    jobs = touched.get(ObjectKind.JOB.value, set())
    repo.forget_read(tx, workspace_id, SUBMITTED, jobs)
    for kind, read in ((LISTED, after.listed), (CREATED, after.created)):
        repo.forget_read(tx, workspace_id, kind, jobs)
        repo.record_read(tx, workspace_id, kind, sorted(read.items()), now)
