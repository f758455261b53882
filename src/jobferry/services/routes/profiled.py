"""Whether a route's profile changed since its newest applied promotion.

A route's package carries the jobs changed in the source since its last applied promotion.
The profile the target applies (renames, parameters, a directory, target-owned fields) changes
what those jobs become there, so a new version of that profile, or another profile named by
the route, changes the target's due state of every selected job, changed in the source or not.
Cut from the last promotion alone, such a change never reached the jobs that did not change
again, while ``promote`` said "nothing changed": so then the route's package carries every
selected job again (its deletions still since the last promotion), and the plan overwrites
only those the profile now makes differ.

The profile a promotion applied is the one its import task asked for (a run may override the
route's); the version of a stored profile is the one newest when its package was cut, so a
version saved after that snapshot counts as a change (a version saved between the cut and its
plan only makes the next package carry every job again, which plans as unchanged).
"""

from __future__ import annotations

from jobferry.domain.routes import Route
from jobferry.services.definitions.documents import load
from jobferry.services.routes.records import Promotion
from jobferry.storage import Tx
from jobferry.storage import profiles as profile_repo
from jobferry.storage import tasks as task_repo


def profile_changed(
    tx: Tx, project_id: str, target_workspace_id: str, route: Route, last: Promotion | None
) -> bool:
    """Whether the profile ``route`` applies in its target differs from the one its newest
    applied promotion ``last`` applied (``False`` when none was applied: the next package
    carries every selected job anyway)."""
    if last is None or last.task_id is None:
        return False
    task = task_repo.task_of_project(tx, project_id, last.task_id)
    applied = load(task.request or "{}").get("profile") if task is not None else None
    if applied != route.profile:
        return True
    if not isinstance(route.profile, str):
        return False
    newest = profile_repo.PROFILES.get(tx, target_workspace_id, route.profile)
    return newest is not None and newest.created_at > last.snapshot_at
