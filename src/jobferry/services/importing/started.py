"""Which import a kept plan started: a second ask to import the same plan (a console form
posted twice, by a double click or a browser's retry) is the first one's, not a new import that
would find the workspace busy with it, or the target changed by it."""

from __future__ import annotations

import json
from dataclasses import dataclass

from jobferry.domain.enums import TaskKind, TaskStatus
from jobferry.services.context import WRITERS, Scope
from jobferry.storage import Database
from jobferry.storage import tasks as task_repo

LOOKED_AT = 20
"""How many of the workspace's newest imports are asked (a second post comes seconds after)."""


@dataclass
class PlanImports:
    """The import a plan started, for the adapters that ask to import it again."""

    db: Database

    def started(self, scope: Scope, plan_id: str) -> str | None:
        """The import task of the workspace that ``plan_id`` started and that did not fail
        (queued, running or ended well), among its newest imports; ``None`` when there is
        none (a failed one may be asked again: it wrote nothing)."""
        scope.require(WRITERS, "import packages")
        if not plan_id:
            return None
        with self.db.transaction(readonly=True) as tx:
            _, tasks = task_repo.list_tasks(
                tx,
                scope.workspace.id,
                kind=TaskKind.IMPORT.value,
                status=None,
                limit=LOOKED_AT,
                offset=0,
            )
        for task in tasks:
            if task.status != TaskStatus.FAILED and _plan_of(task.request) == plan_id:
                return task.id
        return None


def _plan_of(request: str | None) -> str | None:
    """The plan an import task's request named (``None``: none, or not a request)."""
    try:
        found = json.loads(request) if request else None
    except ValueError:
        return None
    plan = found.get("planId") if isinstance(found, dict) else None
    return plan if isinstance(plan, str) else None
