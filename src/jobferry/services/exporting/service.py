"""The export use cases: single and batch (DataArts), by name list and whole workspace
(extensions, as background tasks that land in the download center), and obsPath uploads."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

from jobferry.domain.enums import (
    ExportChanges,
    ExportMode,
    ExportStatus,
    ObjectKind,
    TaskKind,
    TaskStatus,
)
from jobferry.domain.routes import package_file_name
from jobferry.errors import InvalidRequestError, JobferryError
from jobferry.package.layout import Layout
from jobferry.services.audit import audit_in_scope
from jobferry.services.context import WRITERS, Scope, now_ms
from jobferry.services.downloads import DownloadService, file_digest
from jobferry.services.exporting.options import ExportOptions, ExportRequest
from jobferry.services.exporting.package import write_package
from jobferry.services.exporting.selection import (
    NameCheck,
    Selection,
    add_upstream,
    check_batch_size,
    check_name_list,
    ordered,
    require_submitted,
    select_jobs,
    workspace_jobs,
)
from jobferry.services.support.collector import collector_paused
from jobferry.services.support.scratch import new_zip, scratch_folder
from jobferry.services.support.switches import Switches
from jobferry.services.taskfailures import unexpected_failure
from jobferry.services.tasks import ClaimedTask, TaskService
from jobferry.services.workspaces.keys import KeyService
from jobferry.settings import Settings
from jobferry.space import Store, writing
from jobferry.storage import Database, Tx
from jobferry.storage import downloads as download_repo
from jobferry.storage.blobs import ObjectStorage, parse_obs_path
from jobferry.storage.exports import JobHead
from jobferry.storage.importing import ledger as promotion_repo

log = logging.getLogger("jobferry.export")


@dataclass(frozen=True)
class Upload:
    """A package uploaded to object storage: ``path`` is its object, ``folder`` the
    ``<label>_exported/<epoch ms>`` folder DataArts answers as ``obsPath`` (what the Terraform
    provider appends ``/<job>.zip`` to for its import)."""

    folder: str
    path: str
    size: int
    sha256: str


@dataclass(frozen=True)
class ExportOutcome:
    """A finished synchronous export: bytes to stream back, or where it was uploaded."""

    file_name: str
    data: bytes | None
    uploaded: Upload | None


@dataclass(frozen=True)
class PreparedExport:
    """A validated background export, ready to run."""

    task_id: str
    scope: Scope
    mode: ExportMode
    names: list[str]
    since: int | None
    options: ExportOptions
    obs_path: str | None


@dataclass
class ExportService:
    """Exports of every kind."""

    db: Database
    settings: Settings
    downloads: DownloadService
    tasks: TaskService
    object_storage: Callable[[], ObjectStorage]
    keys: KeyService

    def _options(self, request: ExportRequest) -> ExportOptions:
        return request.options(self.settings.export_manifest)

    def _upload(self, obs_path: str, file_name: str, source: Path) -> dict[str, Any]:
        bucket, key = parse_obs_path(obs_path)
        if not key.endswith(".zip"):
            key = f"{key}{'' if not key or key.endswith('/') else '/'}{file_name}"
        self.object_storage().put_file(bucket, key, source)
        size, sha256 = file_digest(source)
        return {"path": f"obs://{bucket}/{key}", "size": size, "sha256": sha256}

    def _selection(
        self, tx: Tx, scope: Scope, heads: list[JobHead], options: ExportOptions, layout: Layout
    ) -> Selection:
        """``heads`` (with the jobs they depend on, when asked) in ``layout``'s entry order;
        refused for exportStatus SUBMIT when one was never submitted. Callers pass the heads
        straight in, so they are let go once ordered."""
        extra: list[dict[str, str]] = []
        if options.with_upstream:
            heads, extra = add_upstream(tx, scope, heads, submitted=options.submitted)
        if options.submitted:
            require_submitted(scope, heads)
        return ordered(heads, layout, extra)

    def _chosen(self, tx: Tx, job: PreparedExport) -> list[JobHead]:
        """The jobs a background export names: its name list, or the workspace's."""
        if job.mode is ExportMode.NAMES:
            return select_jobs(tx, job.scope, job.names)
        cap = self.settings.export_workspace_max_jobs
        return workspace_jobs(tx, job.scope, job.since, cap)

    def _upload_exported(self, obs_path: str, label: str, source: Path) -> Upload:
        """Upload as DataArts does: ``<obsPath>/<label>_exported/<epoch ms>/<label>.zip``."""
        bucket, key = parse_obs_path(obs_path)
        base = key if not key or key.endswith("/") else f"{key}/"
        folder = f"{base}{label}_exported/{now_ms()}"
        object_key = f"{folder}/{label}.zip"
        self.object_storage().put_file(bucket, object_key, source)
        size, sha256 = file_digest(source)
        return Upload(f"obs://{bucket}/{folder}", f"obs://{bucket}/{object_key}", size, sha256)

    def _export_now(
        self,
        scope: Scope,
        names: list[str],
        request: ExportRequest,
        layout: Layout,
        file_name: str,
        label: str,
    ) -> ExportOutcome:
        """Write the named jobs' package now; stream it back or upload it under obsPath."""
        options, obs_path = self._options(request), request.obs_path
        with writing(Store.SCRATCH, f"the package '{file_name}'"):
            path = new_zip(scratch_folder(self.settings))
        started = now_ms()
        try:
            with (
                writing(Store.SCRATCH, f"the package '{file_name}'"),
                self.db.transaction(readonly=True, snapshot=True) as tx,
            ):
                chosen = select_jobs(tx, scope, names)
                selection = self._selection(tx, scope, chosen, options, layout)
                signer = self.keys.signer_in(tx, scope.workspace.id)
                helper = self._helper(selection)
                write_package(tx, scope, selection, options, path, signer, helper=helper)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        try:
            # obsPath first: an export it refuses is neither remembered nor audited
            uploaded = self._upload_exported(obs_path, label, path) if obs_path else None
            self._exported(scope, None, options, started)
            self._audit_export(scope, file_name, len(selection), path, obs_path)
            return ExportOutcome(file_name, None if uploaded else path.read_bytes(), uploaded)
        finally:
            path.unlink(missing_ok=True)

    def export_job(self, scope: Scope, job_name: str, request: ExportRequest) -> ExportOutcome:
        """DataArts export_job: ``DLF_<job>.zip`` with jobs/, scripts/, resources/ (with
        ``obsPath``: ``<obsPath>/<job>_exported/<epoch ms>/<job>.zip``)."""
        Switches.of(self.settings).require_export()
        scope.require(WRITERS, "export jobs")
        return self._export_now(
            scope, [job_name], request, Layout.SINGLE, f"DLF_{job_name}.zip", job_name
        )

    def export_batch(self, scope: Scope, request: ExportRequest) -> ExportOutcome:
        """DataArts export_job_list: ``jobs.zip`` with one folder per job (with ``obsPath``:
        ``<obsPath>/jobs_exported/<epoch ms>/jobs.zip``)."""
        Switches.of(self.settings).require_export()
        scope.require(WRITERS, "export jobs")
        names = check_batch_size(list(request.names), self.settings.export_batch_max_jobs)
        return self._export_now(scope, names, request, Layout.BATCH, "jobs.zip", "jobs")

    def check_names(self, scope: Scope, names: list[str], *, cap: int | None = None) -> NameCheck:
        """Which pasted names match (extension; the first step of export by name list)."""
        Switches.of(self.settings).require_export()
        scope.require(WRITERS, "export jobs")
        limit = self.settings.export_name_list_max if cap is None else cap
        with self.db.transaction(readonly=True) as tx:
            return check_name_list(tx, scope, names, limit)

    def prepare(self, scope: Scope, request: ExportRequest) -> PreparedExport:
        """Validate a background export and queue its task (refusals change nothing)."""
        Switches.of(self.settings).require_export()
        scope.require(WRITERS, "export jobs")
        options, obs_path, mode = self._options(request), request.obs_path, request.mode
        names: list[str] = []
        since: int | None = None
        if mode is ExportMode.NAMES:
            names = self._matched_names(scope, list(request.names), request.selected)
            if options.submitted:  # refused now, not as a failed task (the task checks again)
                with self.db.transaction(readonly=True) as tx:
                    self._selection(tx, scope, select_jobs(tx, scope, names), options, Layout.BATCH)
            how = "ticked" if request.selected else "by name list"
            title = f"Export {len(names):,} job(s) {how}."
        else:
            since, what = self._changed_since(scope, request)
            self._within_cap(scope, since)
            title = f"Export workspace '{scope.workspace.name}' ({what})."
            if since is not None and options.deletions_since is None:
                # An export of the changes since a moment is made for a target that has the
                # rest: it carries what the workspace deleted since that moment too.
                options = replace(options, deletions_since=since)
        params = {
            "mode": mode,
            "names": names,
            "since": since,
            **options.as_json(),
            "withManifest": options.with_manifest,
            "obsPath": obs_path,
        }
        task_id = self.tasks.enqueue(scope, TaskKind.EXPORT, title, params)
        return PreparedExport(task_id, scope, mode, names, since, options, obs_path)

    def resume(self, task: ClaimedTask) -> PreparedExport:
        """A queued export that this process claimed, rebuilt from what ``prepare`` stored."""
        stored = task.request
        options = ExportOptions(
            export_depend=bool(stored["exportDepend"]),
            submitted=stored["exportStatus"] == ExportStatus.SUBMIT,
            with_upstream=bool(stored["withUpstream"]),
            with_manifest=bool(stored.get("withManifest", self.settings.export_manifest)),
            deletions_since=stored.get("deletionsSince"),
            deletions_for=stored.get("deletionsFor"),
        )
        mode, names = ExportMode(stored["mode"]), [str(n) for n in stored["names"]]
        obs_path = stored.get("obsPath")
        return PreparedExport(task.id, task.scope, mode, names, stored["since"], options, obs_path)

    def _matched_names(self, scope: Scope, names: list[str], selected: bool) -> list[str]:
        """The names of a name-list export, refused unless every one matches a job (ticked
        jobs, one gone since the page showed it, as an export of a few ticked jobs is: naming
        it, since the page that ticked them has no name check to show)."""
        if selected:
            with self.db.transaction(readonly=True) as tx:
                select_jobs(tx, scope, names)
        report = self.check_names(scope, names, cap=len(names) if selected else None)
        if report.unmatched:
            raise InvalidRequestError(
                f"Matched {len(report.matched)}, failed {len(report.unmatched)}: "
                "every name must match a job before the package is generated; fix or remove "
                "each name that failed (each is listed with why).",
                details=[{"name": u.name, "reason": u.reason} for u in report.unmatched],
                matched=len(report.matched),
            )
        return report.matched

    def _within_cap(self, scope: Scope, since: int | None) -> None:
        """Refuse a workspace export of more jobs than it may hold before it is queued (the
        task checks again: the workspace may grow meanwhile)."""
        cap = self.settings.export_workspace_max_jobs
        if cap:
            with self.db.transaction(readonly=True) as tx:
                workspace_jobs(tx, scope, since, cap)

    def _changed_since(self, scope: Scope, request: ExportRequest) -> tuple[int | None, str]:
        """A workspace export's lower bound on changes, and what it selects in words."""
        changed, since = request.changed, request.since
        if changed is ExportChanges.SINCE_LAST_EXPORT:
            with self.db.transaction(readonly=True) as tx:
                since = download_repo.last_workspace_export(tx, scope.workspace.id) or 0
        what = "all jobs" if since is None else "jobs changed since the last export"
        if changed is ExportChanges.SINCE:
            what = "jobs changed since the given time"
        return since, what

    def _exported(
        self, scope: Scope, mode: ExportMode | None, options: ExportOptions, at: int
    ) -> None:
        """Remember a finished export: the workspace's last whole export, and the last
        export for a named target (``deletionsFor``)."""
        if mode is not ExportMode.WORKSPACE and options.deletions_for is None:
            return
        with self.db.transaction() as tx:
            if mode is ExportMode.WORKSPACE:
                download_repo.set_last_workspace_export(tx, scope.workspace.id, at)
            if options.deletions_for is not None:
                promotion_repo.set_export_to(tx, scope.workspace.id, options.deletions_for, at)

    def _audit_export(
        self, scope: Scope, file_name: str, jobs: int, path: Path, obs_path: str | None
    ) -> None:
        """Record a package exported in the answer (or to ``obs_path``) as the download
        center records a download: who took which jobs' definitions out, and the package's
        sha256 (``package.export``)."""
        size, sha256 = file_digest(path)
        detail: dict[str, Any] = {"jobs": jobs, "sha256": sha256, "size": size}
        if obs_path:
            detail["obsPath"] = obs_path
        with self.db.transaction() as tx:
            audit_in_scope(tx, scope, "package.export", "package", file_name, detail)

    def _helper(self, selection: Selection) -> bool:
        """Whether a helper process writes the package (a large one: starting it costs most
        of a second)."""
        return len(selection) >= self.settings.export_helper_jobs

    def run(self, job: PreparedExport) -> None:
        """Generate the package of a prepared export and keep it in the download center."""
        try:
            with collector_paused():
                self._run(job)
        except JobferryError as exc:
            self.tasks.finish(job.task_id, TaskStatus.FAILED, exc.message)
        except Exception as exc:
            # The package is written in the scratch folder (here or by a helper process).
            what = f"the package of export task {job.task_id}"
            said, _ = unexpected_failure(exc, "export task", job.task_id, what, log)
            self.tasks.finish(job.task_id, TaskStatus.FAILED, said)

    def _writing(self, task_id: str, total: int, written: int) -> None:
        """The export's progress as it writes its jobs: 10–90 %."""
        done = 10 + 80 * min(written, total) // max(total, 1)
        message = f"Wrote {min(written, total):,} of {total:,} job(s)."
        self.tasks.advance(task_id, done, message, often=True)

    def _run(self, job: PreparedExport) -> None:
        scope, options = job.scope, job.options
        path = new_zip(scratch_folder(self.settings))
        snapshot = now_ms()
        try:
            with self.db.transaction(readonly=True, snapshot=True) as tx:
                selection = self._selection(
                    tx, scope, self._chosen(tx, job), options, Layout.SINGLE
                )
                self.tasks.advance(job.task_id, 10, f"Writing {len(selection)} job(s).")
                signer = self.keys.signer_in(tx, scope.workspace.id)
                whole = job.mode is ExportMode.WORKSPACE and job.since is None
                written = write_package(
                    tx,
                    scope,
                    selection,
                    options,
                    path,
                    signer,
                    inventory=whole,
                    helper=self._helper(selection),
                    said=partial(self._writing, job.task_id, len(selection)),
                )
            file_name = package_file_name(f"{scope.workspace.name}_{job.mode}", snapshot)
            chosen = {
                "mode": job.mode,
                "jobs": len(selection),
                "names": selection.sample,
                "since": job.since,
                **options.as_json(),
            }
            # obsPath first: an export it refuses keeps nothing in the download center
            obs = self._upload(job.obs_path, file_name, path) if job.obs_path else None
            item = self.downloads.keep(scope, job.task_id, file_name, chosen, path)
            result: dict[str, Any] = {
                "downloadId": item.id,
                "fileName": file_name,
                "size": item.size,
                "sha256": item.sha256,
                "jobs": len(selection),
                "scripts": written.of(ObjectKind.SCRIPT),
                "resources": written.of(ObjectKind.RESOURCE),
                "entries": written.entries,
            }
            if obs is not None:
                result["obs"] = obs
            self._exported(scope, job.mode, options, snapshot)
            deletions = written.deletions
            result["deletions"] = deletions
            self.tasks.finish(
                job.task_id,
                TaskStatus.SUCCESSFUL,
                f"Package {file_name} is ready ({len(selection)} job(s), {deletions} deletion(s)).",
                result=result,
            )
        finally:
            path.unlink(missing_ok=True)
