"""Restoring a production side to an earlier release (named by its package, or by its ledger
entry): production made to hold exactly what it held right after that release, through the
normal plan and apply.

The release ledger gives the state after release K of every object a release ever touched
(its definition, kept by hash, or its deletion). A restore writes a package of the objects
whose state production no longer holds — their definitions as production held them, and the
deletions of objects that did not exist then — as a package of the development workspace
(the objects keep their development identities, so renames match by identity; objects of
signed releases taken in from another server keep that server's, and the package is then of
its workspace: one package carries one workspace's identities, so a restore that would change
objects of two is refused), keeps it as
an upload of the production side and plans it there (OVERWRITE, ``propagateDeletes``, drift
refused as the plan reports it, scheduled jobs paused and restored). A dry run answers that
kept plan for review; the apply is the ATOMIC import of the same file naming it (a system
task), refused when production moved since the plan, and records the ledger entry in the
import's own transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import jobferry
from jobferry.domain.enums import (
    DriftPolicy,
    ImportMode,
    ObjectKind,
    RollbackRule,
    SameNamePolicy,
    SchedulingPolicy,
)
from jobferry.domain.releases import DEPLOY_ROLES
from jobferry.domain.remedies import Remedy
from jobferry.errors import InvalidRequestError, PlanStaleError, RollbackRefusedError
from jobferry.package.layout import Layout, entry_path
from jobferry.package.manifest import ManifestHeader
from jobferry.package.writer import NewEntry, PackageWriter
from jobferry.services.audit import audit_in_scope
from jobferry.services.context import Scope, now_ms
from jobferry.services.exporting.options import ExportOptions
from jobferry.services.importing.plan import Plan
from jobferry.services.importing.request import ImportRequest
from jobferry.services.importing.service import ImportService
from jobferry.services.releases import ledger
from jobferry.services.releases.deployed import tell_waiting
from jobferry.services.releases.production import production_scope
from jobferry.services.support.scratch import new_zip
from jobferry.storage import Database, Tx
from jobferry.storage import ledger as repo
from jobferry.storage import production as sides
from jobferry.storage.ledger import DELETE, PUT, EntryRecord, ObjectState, RestoreRecord

_KINDS = (ObjectKind.JOB.value, ObjectKind.SCRIPT.value)


@dataclass(frozen=True)
class RestorePlanned:
    """A restore planned (a dry run): the release it restores and the kept plan."""

    package_id: int | None
    """``None``: a signed release taken in from another server (it has no package here)."""
    entry_id: int
    plan: Plan | None
    """``None``: production holds that state already, nothing to plan."""


@dataclass(frozen=True)
class RestoreStarted:
    """A restore applied: the kept plan it applies and the import task doing it."""

    package_id: int | None
    entry_id: int
    plan_id: str
    task_id: str


@dataclass(frozen=True)
class _Content:
    """What a restore package holds: definitions to write and deletions to carry."""

    puts: list[ObjectState]
    documents: dict[str, str]
    deletions: list[ObjectState]
    sources: set[str]
    """The workspaces the objects' identities come from (one, for a package to carry them)."""


def _no_release(package_id: int, name: str) -> RollbackRefusedError:
    return _not_a_release(
        f"Release package '{package_id}' of workspace '{name}' has no release in the ledger "
        "(it was never released here, or released before the ledger was kept)",
        "a package it lists as released",
        package_id=str(package_id),
    )


def _no_entry(entry_id: int, name: str) -> RollbackRefusedError:
    return _not_a_release(
        f"Entry {entry_id} of the release ledger of workspace '{name}' is not a release",
        "an entry it lists as a deploy",
        entry_id=str(entry_id),
    )


def _not_a_release(asked: str, instead: str, **named: str) -> RollbackRefusedError:
    """The refusal of a restore whose package or entry (``asked``, said as a problem) names
    no release the ledger recorded; its fix names ``instead`` from the ledger."""
    return RollbackRefusedError(
        f"{asked}; only a release the ledger recorded can be restored.",
        rule=RollbackRule.NOT_RELEASED,
        fix="Read the release ledger (GET /v2/{project_id}/factory/release-ledger) and name "
        f"{instead}.",
        remedy=Remedy.READ_RELEASE_LEDGER,
        **named,
    )


def named(entry: EntryRecord) -> str:
    """A release as messages name it: its package, or the signed release taken in."""
    if entry.package_id is not None:
        return f"release package {entry.package_id}"
    return f"the signed release '{entry.package_name}' (ledger entry {entry.id})"


def _mixed(entry: EntryRecord, name: str) -> RollbackRefusedError:
    return RollbackRefusedError(
        f"Production of workspace '{name}' cannot be restored to {named(entry)} in one "
        "change: the objects it would write or delete were released from two workspaces "
        "(this one and another server's, through signed releases taken in), and one restore "
        "carries the identities of one.",
        rule=RollbackRule.MIXED_SOURCES,
        fix="Roll back the last release (POST /v2/{project_id}/factory/release-packages/last/"
        "rollback), or restore to a release after which only one workspace released.",
        remedy=Remedy.READ_RELEASE_LEDGER,
        entry_id=str(entry.id),
    )


def _states_now(
    tx: Tx, production: str, sources: dict[int, str], states: Iterable[ObjectState]
) -> list[tuple[str, ObjectState]]:
    """What production holds now of each object the ledger ``states`` name, with the
    workspace its identity comes from (that of the entry that left the state)."""
    groups: dict[str, list[tuple[str, str, str]]] = {}
    for state in states:
        if state.kind in _KINDS:
            key = (state.kind, state.uid, state.name)
            groups.setdefault(sources[state.entry_id], []).append(key)
    found: list[tuple[str, ObjectState]] = []
    for source, keys in groups.items():
        now, _ = ledger.production_states(tx, production, source, keys)
        found.extend((source, state) for state in now)
    return found


def _sources(entries: Iterable[EntryRecord]) -> dict[int, str]:
    """Entry id → the workspace its objects' identities come from."""
    return {e.id: e.source_id or e.workspace_id for e in entries}


def content_of(tx: Tx, workspace_id: str, production: str, entry: EntryRecord) -> _Content:
    """What production must be given to hold the state right after ``entry`` again."""
    everything = repo.entries(tx, workspace_id)
    wanted = ledger.replay(tx, [e for e in everything if e.id <= entry.id])
    touched = ledger.replay(tx, everything)
    puts: list[ObjectState] = []
    deletions: list[ObjectState] = []
    used: set[str] = set()
    for source, current in _states_now(tx, production, _sources(everything), touched.values()):
        then = wanted.get((current.kind, current.uid))
        if then is not None and then.action == PUT:
            if _differs(current, then):
                puts.append(then)
                used.add(source)
        elif current.action == PUT:
            deletions.append(current)
            used.add(source)
    documents = repo.contents(tx, workspace_id, [s.sha256 or "" for s in puts])
    return _Content(puts, documents, deletions, used)


def write_restore(
    scope: Scope, entry: EntryRecord, content: _Content, source: str, path: Path
) -> None:
    """The restore's package file: a package of ``source`` (the development workspace, or
    the other server's whose signed releases production took in) holding the definitions and
    deletions, its bytes the same for the same content."""
    entries = sorted(
        (
            NewEntry(
                entry_path(Layout.SINGLE, s.kind, s.name),
                s.kind,
                s.name,
                s.uid,
                content.documents[s.sha256 or ""].encode(),
            )
            for s in content.puts
        ),
        key=lambda e: e.path,
    )
    options = ExportOptions(export_depend=False, submitted=True, with_manifest=True)
    header = ManifestHeader(
        producer_version=jobferry.__version__,
        project_id=scope.actor.project_id,
        workspace_id=source,
        workspace_name=scope.workspace.name,
        # Undated (as a folder is): a restore is no export of the source, and is meant to put
        # back older definitions, which a dated package older than the last release's would
        # be refused for (``older_package``); its ledger rows are never judged by age after.
        created_at_ms=0,
        options=options.as_json() | {"layout": Layout.SINGLE.value},
        deleted=[
            {"kind": s.kind, "uid": s.uid, "name": s.name, "deletedAt": entry.at}
            for s in sorted(content.deletions, key=lambda s: (s.kind, s.name))
        ],
    )
    with path.open("wb") as out:
        writer = PackageWriter(out, None)
        writer.add_many(entries)
        writer.close(header)


@dataclass
class RestoreService:
    """Restore an enterprise workspace's production side to an earlier release."""

    db: Database
    imports: ImportService

    def restore(
        self, scope: Scope, package_id: int, *, dry_run: bool = False, plan_id: str | None = None
    ) -> RestorePlanned | RestoreStarted:
        """Plan production back to its state right after ``package_id``'s release and, unless
        ``dry_run``, apply that plan (``plan_id``: apply a restore's plan kept by a dry run)."""
        scope.require(DEPLOY_ROLES, "restore releases")
        with self.db.transaction(readonly=True) as tx:
            production = production_scope(tx, scope, releasing=True)
            entry = repo.entry_of_package(tx, scope.workspace.id, package_id)
        if entry is None:
            raise _no_release(package_id, scope.workspace.name)
        return self._restore(scope, production, entry, dry_run, plan_id)

    def restore_entry(
        self, scope: Scope, entry_id: int, *, dry_run: bool = False, plan_id: str | None = None
    ) -> RestorePlanned | RestoreStarted:
        """:meth:`restore`, the release named by its ledger entry (a signed release taken in
        from another server has no package here to name it by)."""
        scope.require(DEPLOY_ROLES, "restore releases")
        with self.db.transaction(readonly=True) as tx:
            production = production_scope(tx, scope, releasing=True)
            entry = repo.entry_of(tx, scope.workspace.id, entry_id)
        if entry is None or entry.action != ledger.DEPLOY:
            raise _no_entry(entry_id, scope.workspace.name)
        return self._restore(scope, production, entry, dry_run, plan_id)

    def _restore(
        self,
        scope: Scope,
        production: Scope,
        entry: EntryRecord,
        dry_run: bool,
        plan_id: str | None,
    ) -> RestorePlanned | RestoreStarted:
        if plan_id is not None:
            with self.db.transaction(readonly=True) as tx:
                kept = repo.restore_of_plan(tx, plan_id)
            if (
                kept is None
                or kept.workspace_id != scope.workspace.id
                or kept.target_entry != entry.id
            ):
                raise InvalidRequestError(
                    f"Plan '{plan_id}' is not a restore of {named(entry)}; plan the restore "
                    "again (dry run) and apply the plan it answers.",
                    parameter="plan_id",
                )
            return self._apply(scope, production, entry, kept.path, plan_id)
        planned = self._plan(scope, production, entry)
        if dry_run or planned.plan is None or planned.plan.problems:
            return planned
        path = self._path_of(planned.plan.plan_id)
        return self._apply(scope, production, entry, path, planned.plan.plan_id)

    def _path_of(self, plan_id: str) -> str:
        with self.db.transaction(readonly=True) as tx:
            kept = repo.restore_of_plan(tx, plan_id)
        assert kept is not None
        return kept.path

    def _plan(self, scope: Scope, production: Scope, entry: EntryRecord) -> RestorePlanned:
        with self.db.transaction() as tx:
            sides.mirror_production_environment(tx, scope.workspace.id, production.workspace.id)
        with self.db.transaction(readonly=True) as tx:
            content = content_of(tx, scope.workspace.id, production.workspace.id, entry)
        if not content.puts and not content.deletions:
            return RestorePlanned(entry.package_id, entry.id, None)
        if len(content.sources) > 1:
            raise _mixed(entry, scope.workspace.name)
        (source,) = content.sources
        path = new_zip(self.imports.scratch)
        try:
            write_restore(scope, entry, content, source, path)
            with path.open("rb") as stream:
                upload = self.imports.upload(production, stream, f"restore-{entry.id}.zip")
        finally:
            path.unlink(missing_ok=True)
        plan = self.imports.plan(production, _request(upload.path))
        assert isinstance(plan, Plan)  # a production side is planned at once
        with self.db.transaction() as tx:
            repo.insert_restore(
                tx,
                RestoreRecord(
                    plan.plan_id,
                    scope.workspace.id,
                    entry.id,
                    upload.path,
                    scope.actor.name,
                    now_ms(),
                    source_id=None if source == scope.workspace.id else source,
                ),
            )
        return RestorePlanned(entry.package_id, entry.id, plan)

    def _apply(
        self, scope: Scope, production: Scope, entry: EntryRecord, path: str, plan_id: str
    ) -> RestoreStarted:
        job = self.imports.prepare(production, _request(path, plan_id))
        with self.db.transaction() as tx:
            audit_in_scope(
                tx,
                scope,
                "release.restore",
                "package",
                entry.package_name or named(entry),  # by its name, as its other entries
                {
                    "id": entry.package_id,
                    "entry": entry.id,
                    "planId": plan_id,
                    "taskId": job.task_id,
                },
            )
        return RestoreStarted(entry.package_id, entry.id, plan_id, job.task_id)


def _request(path: str, plan_id: str | None = None) -> ImportRequest:
    """The import a restore is: the definitions overwrite production's as they are (no
    profile: they are production's own), deletions propagate, drift is refused."""
    return ImportRequest(
        path=path,
        same_name_policy=SameNamePolicy.OVERWRITE,
        mode=ImportMode.ATOMIC,
        propagate_deletes=True,
        on_drift=DriftPolicy.FAIL,
        scheduling=SchedulingPolicy.PAUSE_AND_RESTORE,
        plan_id=plan_id,
        dry_run=plan_id is None,
    )


def restored(tx: Tx, task_id: str, restore: RestoreRecord, production: Scope) -> str:
    """The ledger entry of a restore, written in its import's transaction: every object whose
    state production holds now differs from the ledger's newest; what the task says of it."""
    everything = repo.entries(tx, restore.workspace_id)
    latest = ledger.replay(tx, everything)
    source = restore.source_id or restore.workspace_id
    sources = _sources(everything)
    mine = [s for s in latest.values() if sources[s.entry_id] == source]
    now = [s for _, s in _states_now(tx, production.workspace.id, sources, mine)]
    changed = [(s.kind, s.uid, s.name) for s in now if _differs(s, latest.get((s.kind, s.uid)))]
    target = next(e for e in everything if e.id == restore.target_entry)
    left = content_of(tx, restore.workspace_id, production.workspace.id, target)
    if left.puts or left.deletions:
        raise _not_restored(restore, left)
    entry = ledger.NewEntry.about(
        target,
        ledger.RESTORE,
        production.actor.name,
        now_ms(),
        production_id=production.workspace.id,
        task_id=task_id,
        plan_id=restore.plan_id,
        source_id=restore.source_id,
    )
    entry_id = ledger.record(tx, entry, changed)
    tell_waiting(tx, restore.workspace_id, [(kind, uid) for kind, uid, _ in changed])
    return (
        f" Production restored to {named(target)} (ledger entry {entry_id}, "
        f"{len(changed)} object(s))."
    )


def _not_restored(restore: RestoreRecord, left: _Content) -> PlanStaleError:
    """The refusal of a restore whose apply would leave production otherwise than right
    after its release (production moved since its plan in what the plan never read: a job
    released since, which the plan does not delete); its transaction is rolled back."""
    moved = sorted({(s.kind, s.name) for s in [*left.puts, *left.deletions]})
    said = ", ".join(f"{kind} '{name}'" for kind, name in moved[:20])
    return PlanStaleError(
        f"Restore plan {restore.plan_id} would leave production otherwise than right after "
        f"the release it restores ({said}): production changed since it was planned; nothing "
        "was restored.",
        fix="Plan the restore again (dry run) and apply the plan it answers.",
        remedy=Remedy.PLAN_AGAIN,
        plan_id=restore.plan_id,
        changed=[{"kind": kind, "name": name} for kind, name in moved],
    )


def _differs(now: ObjectState, then: ObjectState | None) -> bool:
    if then is None:
        return now.action != DELETE
    return (now.action, now.name, now.sha256) != (then.action, then.name, then.sha256)
