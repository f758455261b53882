"""One warning line in the server log for each task that ends FAILED: an import, export,
rollback or refresh that failed (object storage down, a package refused in its task) is
otherwise only in the task's row, and an operator reading the log would not see it."""

from __future__ import annotations

import logging

from jobferry.storage import Tx
from jobferry.storage import tasks as repo

log = logging.getLogger("jobferry.tasks")


def log_failed(tx: Tx, task_id: str, message: str) -> None:
    """Say in the log that task ``task_id`` ended FAILED with ``message`` (what its user
    reads), naming its kind and workspace; inside the transaction that records the end."""
    if not log.isEnabledFor(logging.WARNING):
        return
    found = repo.kind_and_workspace(tx, task_id)
    kind, workspace = found if found is not None else ("unknown", "unknown")
    log.warning(
        "task %s FAILED: kind=%s workspace=%s message=%s",
        task_id,
        kind,
        workspace,
        " ".join(message.split()),  # one line, whatever the message holds
    )
