"""In-process workers for background tasks, and the housekeeping that expires packages.

Task state lives in the database (``system_tasks``), so any process can report it; the work runs
in a small thread pool of the process that accepted the request. A process that stops leaves
its tasks RUNNING; the next start marks them FAILED (they cannot finish any more).
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from jobferry.services.container import Services
from jobferry.services.context import Scope

log = logging.getLogger("jobferry.tasks")


class TaskRunner:
    """Accepts background work and keeps the download center tidy."""

    def __init__(self, services: Services, *, workers: int = 2, sweep_seconds: float = 600) -> None:
        self.services = services
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="jobferry-task")
        self._stop = threading.Event()
        self._sweep_seconds = sweep_seconds
        self._sweeper: threading.Thread | None = None
        self.pending: set[Future[None]] = set()

    def start(self) -> None:
        """Fail tasks a previous process left behind and start the expiry sweeper."""
        left = self.services.tasks.fail_unfinished()
        if left:
            log.warning("marked %d task(s) of a previous run as FAILED", left)
        self._sweeper = threading.Thread(
            target=self._sweep_loop, name="jobferry-sweeper", daemon=True
        )
        self._sweeper.start()

    def _sweep_loop(self) -> None:
        while not self._stop.is_set():
            try:
                removed = self.services.downloads.sweep()
                if removed:
                    log.info("removed %d expired package(s)", removed)
            except Exception:
                log.exception("download center sweep failed")
            self._stop.wait(self._sweep_seconds)

    def start_export(self, scope: Scope, body: dict[str, Any]) -> str:
        """Validate a background export, start it, return its task id."""
        prepared = self.services.exports.prepare(scope, body)
        future = self._pool.submit(self.services.exports.run, prepared)
        self.pending.add(future)
        future.add_done_callback(self.pending.discard)
        return prepared.task_id

    def shutdown(self) -> None:
        """Stop the sweeper and wait for running work."""
        self._stop.set()
        self._pool.shutdown(wait=True)
