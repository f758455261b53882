"""Cutting a route's package: the selected jobs of the source changed since a moment, what
they use, their upstream jobs when the route asks, and the deletions the source made.

A route of every job (``ALL``) carries the source workspace whole: its first package holds
every script and resource, used or not, and each later one every script and resource changed
since, used or not, as it carries their deletions (a script no job uses, edited or made after
the first promotion, would otherwise never travel while ``promote`` said nothing changed). A
route of folders, tags or names carries only what its jobs use, the first time as every time.
Into a target of this server, every package also offers again each selected object an earlier
promotion left behind there (kept as the target had it, skipped: :mod:`.behind`).

Both kinds of promotion cut here: between two workspaces of this server (the package is kept as
an upload of the target) and for a target on another server (kept in the source's download
center, with the route's identity in the manifest)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from jobferry.domain.enums import ObjectKind
from jobferry.domain.routes import Route, SelectionKind
from jobferry.errors import InvalidRequestError
from jobferry.package.layout import Layout
from jobferry.package.routeblock import RouteBlock
from jobferry.services.context import Scope
from jobferry.services.exporting.options import ExportOptions
from jobferry.services.exporting.package import BasisOf, write_package
from jobferry.services.exporting.selection import add_upstream, ordered, workspace_jobs
from jobferry.services.routes.behind import left_behind
from jobferry.services.workspaces.keys import KeyService
from jobferry.storage import Database, Tx
from jobferry.storage import exports as export_repo
from jobferry.storage import folders as folder_repo
from jobferry.storage.exports import JobHead
from jobferry.storage.importing import ledger as ledger_repo


@dataclass(frozen=True)
class Cut:
    """What one package of a route holds."""

    since: int | None
    """Jobs changed after this moment (``None``: every selected job)."""
    deletions_since: int | None
    """Deletions the source made after this moment (``None``: none)."""
    block: RouteBlock | None = None
    """The route's identity, for a package carried to another server."""
    basis: BasisOf | None = None
    """What gives the basis block, for a package carried to a remote's side."""
    landed_in: str | None = None
    """The target workspace (of this server) whose ledger says which version of each object
    landed there: the package also offers again what earlier promotions left behind
    (:mod:`.behind`; ``None``: a target on another server, which this one cannot read)."""


class CutSize(NamedTuple):
    """What a route's package holds; all 0 (and nothing written) when nothing changed."""

    jobs: int
    deletions: int
    loose: int = 0
    """Scripts and resources carried for themselves, not for a job (changed since the
    route's last package, in a route of every job, or left behind)."""
    scripts: int = 0
    """Scripts the package holds (for a job or for themselves)."""
    resources: int = 0
    """Resources the package holds (as ``scripts``)."""

    @property
    def empty(self) -> bool:
        """Whether nothing changed, so that no package was written."""
        return not (self.jobs or self.deletions or self.loose)


@dataclass
class RouteCutter:
    """Writes the package of a route's source (signed with its key when it has one)."""

    db: Database
    keys: KeyService
    max_jobs: int
    """``JOBFERRY_EXPORT_WORKSPACE_MAX_JOBS``: the most jobs one package may hold."""

    def write(self, source: Scope, route: Route, cut: Cut, path: Path) -> CutSize:
        """Write the package into ``path``; what it holds, all 0 and nothing written when
        nothing changed."""
        since = cut.since
        with self.db.transaction(readonly=True, snapshot=True) as tx:
            behind = _behind(tx, source, cut)
            heads = self._heads(tx, source, route, since, behind.get(ObjectKind.JOB.value))
            deletions = (
                len(ledger_repo.deletions_since(tx, source.workspace.id, cut.deletions_since))
                if cut.deletions_since is not None
                else 0
            )
            loose = _loose(tx, source, route, since, behind)
            size = CutSize(len(heads), deletions, sum(len(names) for names in loose.values()))
            whole = since is None and route.selection.kind is SelectionKind.ALL
            if size.empty and whole:
                size = size._replace(loose=_held(tx, source))  # a source holding no job
            if size.empty:
                return size
            extra: list[dict[str, str]] = []
            if route.selection.with_upstream and heads:
                heads, extra = add_upstream(tx, source, heads)
            selection = ordered(heads, Layout.SINGLE, extra)
            options = ExportOptions(
                export_depend=True,
                with_upstream=route.selection.with_upstream,
                with_manifest=True,
                deletions_since=cut.deletions_since,
            )
            signer = self.keys.signer_in(tx, source.workspace.id)
            if signer is None and route.require_signature:
                raise InvalidRequestError(
                    f"Route '{route.name}' requires signed packages, but workspace "
                    f"'{source.workspace.name}' has no signing key to sign them with: create "
                    f"one (jobferry keys create -w {source.workspace.name}) and trust its public "
                    "key in the target workspace (jobferry keys trust), or let the route take "
                    f"unsigned packages (jobferry routes edit {route.name} "
                    "--no-require-signature).",
                    route=route.name,
                    workspace=source.workspace.name,
                )
            written = write_package(
                tx,
                source,
                selection,
                options,
                path,
                signer,
                inventory=whole,
                route=cut.block,
                basis=cut.basis,
                also=loose,
            )
        return size._replace(
            jobs=len(selection),
            scripts=written.of(ObjectKind.SCRIPT),
            resources=written.of(ObjectKind.RESOURCE),
        )

    def _heads(
        self, tx: Tx, source: Scope, route: Route, since: int | None, behind: set[str] | None
    ) -> list[JobHead]:
        """The selected jobs changed since ``since`` (every one: ``None``), with those left
        ``behind``."""
        heads = workspace_jobs(tx, source, since, self.max_jobs)
        missing = (behind or set()) - {h.name for h in heads}
        if missing:
            heads += export_repo.job_heads(tx, source.workspace.id, missing)
        return _selected(tx, source, route, heads)


def _selected(tx: Tx, source: Scope, route: Route, heads: list[JobHead]) -> list[JobHead]:
    """Those of ``heads`` the route selects."""
    kind, values = route.selection.kind, set(route.selection.values)
    if kind is SelectionKind.NAMES:
        return [h for h in heads if h.name in values]
    if kind is SelectionKind.ALL:
        return heads
    listing = folder_repo.Listing(
        ObjectKind.JOB,
        source.workspace.id,
        tags=tuple(sorted(values)) if kind is SelectionKind.TAGS else (),
    )
    chosen = {
        job
        for job, directory in folder_repo.names_and_directories(tx, listing)
        if kind is SelectionKind.TAGS or _in_folders(directory, values)
    }
    return [h for h in heads if h.name in chosen]


def _loose(
    tx: Tx, source: Scope, route: Route, since: int | None, behind: dict[str, set[str]]
) -> dict[str, set[str]]:
    """The scripts and resources the package carries for themselves, by kind: in a route of
    every job, those changed since ``since``, used by a job or not (the first package,
    ``since`` ``None``, holds the workspace whole anyway); in any route, those left behind
    (in a route of folders, tags or names, those its jobs use)."""
    if since is None:
        return {}
    found: dict[str, set[str]] = {}
    ws, every = source.workspace.id, route.selection.kind is SelectionKind.ALL
    for kind in (ObjectKind.SCRIPT, ObjectKind.RESOURCE):
        names = set(behind.get(kind.value, ()))
        if names and not every:
            ids = [h.id for h in _selected(tx, source, route, export_repo.job_heads(tx, ws))]
            names = set(export_repo.jobs_using(tx, ids, kind, names))
        if every:
            names |= set(export_repo.names_of_kind(tx, ws, kind, since))
        if names:
            found[kind.value] = names
    return found


def _held(tx: Tx, source: Scope) -> int:
    """How many scripts and resources the source holds: what the whole workspace's package
    carries for themselves when it holds no job."""
    kinds = (ObjectKind.SCRIPT, ObjectKind.RESOURCE)
    return sum(len(export_repo.names_of_kind(tx, source.workspace.id, kind)) for kind in kinds)


def _behind(tx: Tx, source: Scope, cut: Cut) -> dict[str, set[str]]:
    """What earlier promotions left behind in the cut's target, by kind (nothing on the first
    package, which carries every selected object, or for a target this server cannot read)."""
    if cut.landed_in is None or cut.since is None:
        return {}
    kinds = (ObjectKind.JOB, ObjectKind.SCRIPT, ObjectKind.RESOURCE)
    found = {k.value: left_behind(tx, source.workspace.id, cut.landed_in, k) for k in kinds}
    return {kind: names for kind, names in found.items() if names}


def _in_folders(directory: str, folders: set[str]) -> bool:
    folder = "/" + directory.strip("/")
    return any(
        folder == f or folder.startswith(f.rstrip("/") + "/")
        for f in ("/" + v.strip("/") for v in folders)
    )
