"""Writing the package: entries streamed in path order, then the manifest.

Entries are sorted by path and every entry has the same timestamp; ``createdAt`` is the newest
change among the objects written, not the wall clock: the same definitions always give the
same bytes. A large package is written by a helper process on another core
(:mod:`jobferry.package.writebehind`) while the next batch is read and rendered; a small one
here, each batch deflated on two threads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import jobferry
from jobferry.domain.enums import ObjectKind
from jobferry.package.basisblock import BasisBlock
from jobferry.package.manifest import ManifestHeader
from jobferry.package.routeblock import RouteBlock
from jobferry.package.writebehind import WriteBehind
from jobferry.package.writer import NewEntry, PackageWriter, WrittenPackage
from jobferry.services.context import WRITERS, Scope
from jobferry.services.exporting.contents import Summary, package_entries, requirements
from jobferry.services.exporting.options import ExportOptions
from jobferry.services.exporting.selection import Selection
from jobferry.services.support.collector import collect_batch_garbage
from jobferry.storage import Tx
from jobferry.storage.importing import ledger as promotion_repo

COMPRESS_THREADS = 2
INVENTORY_KINDS = (ObjectKind.JOB, ObjectKind.RESOURCE, ObjectKind.SCRIPT)
BasisOf = Callable[[dict[str, set[str]]], BasisBlock]
"""What gives a package's basis block from the names it writes or deletes, per kind."""


class _Sink(Protocol):
    def add_many(self, entries: list[NewEntry]) -> None: ...

    def close(self, header: ManifestHeader | None = None) -> WrittenPackage: ...


@contextmanager
def _writer(path: Path, signer: Callable[[bytes], bytes] | None, helper: bool) -> Iterator[_Sink]:
    if helper:
        with WriteBehind(path, signer) as behind:
            yield behind
        return
    with path.open("wb") as out:
        yield PackageWriter(out, None, signer, threads=COMPRESS_THREADS)


def deleted_since(tx: Tx, scope: Scope, options: ExportOptions) -> list[dict[str, Any]]:
    """The deletions an export carries: since ``deletionsSince``, or since the last export
    for the ``deletionsFor`` target (all the workspace ever deleted, the first time)."""
    since = options.deletions_since
    if options.deletions_for is not None:
        since = promotion_repo.last_export_to(tx, scope.workspace.id, options.deletions_for) or 0
    if since is None:
        return []
    return [
        {"kind": t.kind, "uid": t.uid, "name": t.name, "deletedAt": t.deleted_at}
        for t in promotion_repo.deletions_since(tx, scope.workspace.id, since)
    ]


def _newest(tx: Tx, scope: Scope, summary: Summary, inventory: bool) -> int:
    """The newest change among the objects written; for a package holding kinds whole, the
    workspace's deletions count too (what it no longer holds is a change it carries): an import
    judges a package older than another of its source by it (``older_package``)."""
    if not inventory:
        return summary.newest
    return max(summary.newest, promotion_repo.newest_deletion(tx, scope.workspace.id))


def _created(newest: int, deleted: list[dict[str, Any]], route: RouteBlock | None) -> int:
    """The manifest's ``createdAt``: the newest change among the objects written and the
    deletions carried (a package of deletions only was dated 1970-01-01), else when a route's
    source was read."""
    changed = max([newest, *(int(gone["deletedAt"]) for gone in deleted)])
    return changed or (route.snapshot_at if route is not None else 0)


def write_package(
    tx: Tx,
    scope: Scope,
    selection: Selection,
    options: ExportOptions,
    path: Path,
    signer: Callable[[bytes], bytes] | None = None,
    *,
    inventory: bool = False,
    helper: bool = False,
    route: RouteBlock | None = None,
    basis: BasisOf | None = None,
    also: dict[str, set[str]] | None = None,
    deletions: list[dict[str, Any]] | None = None,
    said: Callable[[int], None] | None = None,
) -> WrittenPackage:
    """Write the package of ``selection`` into the file at ``path`` (signed when ``signer`` is
    given); ``inventory``: the selection is every job of the workspace, the package gets every
    script and resource too (with exportDepend), and the manifest says which kinds it holds
    whole; ``helper``: a helper process writes it (a large package); ``route``: the manifest
    names the route a carried package was cut for; ``basis``: called with the names of what
    the package writes or deletes (per kind), it gives the manifest's basis block; ``also``:
    scripts and resources by name taken whether or not a job uses them; ``deletions``: the
    deletions the manifest carries, instead of those the options select; ``said``: told how
    many jobs were written so far, a batch at a time."""
    scope.require(WRITERS, "export jobs")
    with _writer(path, signer, helper) as writer:
        extra = _Extra(route, basis, also, deletions, said)
        return _write(tx, scope, selection, options, writer, inventory, extra)


@dataclass(frozen=True)
class _Extra:
    """What a package may carry beyond the selection and the options."""

    route: RouteBlock | None = None
    basis: BasisOf | None = None
    also: dict[str, set[str]] | None = None
    deletions: list[dict[str, Any]] | None = None
    said: Callable[[int], None] | None = None


def _add_all(
    entries_of: Iterable[list[NewEntry]],
    writer: _Sink,
    names: dict[str, set[str]] | None,
    said: Callable[[int], None] | None,
) -> None:
    """Write every batch of entries, noting their names in ``names`` (for the manifest's
    basis) and telling ``said`` how many jobs were written so far."""
    jobs = 0
    for entries in entries_of:
        writer.add_many(entries)
        if names is not None:
            for entry in entries:
                names.get(entry.kind, set()).add(entry.name)
        written = sum(1 for entry in entries if entry.kind == ObjectKind.JOB)
        if said is not None and written:
            jobs += written
            said(jobs)
        collect_batch_garbage()


def _write(
    tx: Tx,
    scope: Scope,
    selection: Selection,
    options: ExportOptions,
    writer: _Sink,
    inventory: bool,
    extra: _Extra,
) -> WrittenPackage:
    route, basis = extra.route, extra.basis
    summary = Summary()
    names: dict[str, set[str]] = {kind.value: set() for kind in INVENTORY_KINDS}
    entries_of = package_entries(
        tx, scope, selection, options, summary, whole=inventory, also=extra.also
    )
    _add_all(entries_of, writer, names if basis is not None else None, extra.said)
    header = None
    if options.with_manifest:
        deleted = (
            extra.deletions if extra.deletions is not None else deleted_since(tx, scope, options)
        )
        for gone in deleted:
            names.get(gone["kind"], set()).add(gone["name"])
        header = ManifestHeader(
            producer_version=jobferry.__version__,
            project_id=scope.actor.project_id,
            workspace_id=scope.workspace.id,
            workspace_name=scope.workspace.name,
            created_at_ms=_created(_newest(tx, scope, summary, inventory), deleted, route),
            options=options.as_json() | {"layout": selection.layout.value},
            requires=requirements(tx, scope, summary.requires),
            unresolved=summary.unresolved + selection.unresolved,
            inventory=(INVENTORY_KINDS if options.export_depend else (ObjectKind.JOB,))
            if inventory
            else (),
            deleted=deleted,
            route=route,
            basis=basis(names) if basis is not None else None,
        )
    return writer.close(header)
