"""In-process workers for background tasks, and the housekeeping that expires packages.

Task state lives in the database (``system_tasks``), so any process can report it; the work runs
in a small thread pool of the process that accepted the request. A process that stops leaves
its tasks RUNNING; the next start marks them FAILED (they cannot finish any more).
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.exporting.options import ExportRequest
from jobferry.services.exporting.service import ExportOutcome
from jobferry.services.importing.request import ImportRequest
from jobferry.services.importing.service import PreparedImport

log = logging.getLogger("jobferry.tasks")


class TaskRunner:
    """Accepts background work and keeps the download center tidy."""

    def __init__(self, services: Services, *, workers: int = 2, sweep_seconds: float = 600) -> None:
        self.services = services
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="jobferry-task")
        self._stop = threading.Event()
        self._sweep_seconds = sweep_seconds
        self._beat_seconds = float(services.settings.worker_heartbeat_seconds)
        self._keeper: threading.Thread | None = None
        self.pending: set[Future[None]] = set()

    def start(self) -> None:
        """Register this process and start the heartbeat/expiry thread."""
        self.services.tasks.register_worker()
        self._keeper = threading.Thread(target=self._keep, name="jobferry-keeper", daemon=True)
        self._keeper.start()

    def _keep(self) -> None:
        next_sweep = 0.0
        while not self._stop.is_set():
            try:
                failed = self.services.tasks.heartbeat()
                if failed:
                    log.warning("marked %d orphaned task(s) FAILED: %s", len(failed), failed)
                if time.monotonic() >= next_sweep:
                    next_sweep = time.monotonic() + self._sweep_seconds
                    removed = self.services.downloads.sweep() + self.services.imports.sweep()
                    if removed:
                        log.info("removed %d expired package(s)", removed)
                    self.services.signin.sweep()
            except Exception:
                log.exception("housekeeping failed")
            self._stop.wait(self._beat_seconds)

    def start_export(self, scope: Scope, request: ExportRequest) -> str:
        """Validate a background export, start it, return its task id."""
        prepared = self.services.exports.prepare(scope, request)
        future = self._pool.submit(self.services.exports.run, prepared)
        self.pending.add(future)
        future.add_done_callback(self.pending.discard)
        return prepared.task_id

    def export_selected(
        self, scope: Scope, names: list[str], options: ExportRequest
    ) -> ExportOutcome | str:
        """Ticked jobs: a selection small enough is exported at once (answers the package),
        a larger one becomes a task of the download center (answers its id)."""
        settings = self.services.settings
        if len(names) > min(settings.console_sync_export_max_jobs, settings.export_batch_max_jobs):
            return self.start_export(scope, options.of_names(names, selected=True))
        if len(names) == 1:
            return self.services.exports.export_job(scope, names[0], options)
        return self.services.exports.export_batch(scope, options.of_names(names))

    def start_import(self, scope: Scope, request: ImportRequest) -> str:
        """Validate an import (taking the workspace's import lock), start it, return its id."""
        return self._submit_import(self.services.imports.prepare(scope, request))

    def plan_import(self, scope: Scope, request: ImportRequest) -> dict[str, Any]:
        """The plan of an import; a large package's plan runs as a task (answers its id)."""
        outcome = self.services.imports.plan(scope, request)
        if isinstance(outcome, dict):
            return outcome
        return {"taskId": self._submit_import(outcome)}

    def _submit_import(self, prepared: PreparedImport) -> str:
        future = self._pool.submit(self.services.imports.run, prepared)
        self.pending.add(future)
        future.add_done_callback(self.pending.discard)
        return prepared.task_id

    def shutdown(self) -> None:
        """Stop housekeeping, wait for running work, unregister."""
        self._stop.set()
        self._pool.shutdown(wait=True)
        if self._keeper is not None:
            self._keeper.join(timeout=5)
        self.services.tasks.unregister_worker()
