"""Whether a route's next package must carry every selected job again: its profile or its
selection changed since its newest applied promotion.

A route's package carries the jobs changed in the source since its last applied promotion.
That is all the target lacks only while the route stays as it was. The profile the target
applies (renames, parameters, a directory, target-owned fields) changes what every job becomes
there, and a selection given more folders, tags or names takes in jobs no package carried; cut
from the last promotion alone, such a change never reached the jobs that did not change again,
while ``promote`` said "nothing changed". So then the package carries every selected job (its
deletions still since the last promotion), and the plan writes only those that now differ.

The profile a promotion applied is the one its import task asked for (a run may override the
route's); the version of a stored profile is the one newest when its package was cut, so a
version saved after that snapshot counts as a change (a version saved between the cut and its
plan only makes the next package carry every job again, which plans as unchanged). The
selection a promotion carried is that of the route version its package was cut with.
"""

from __future__ import annotations

from jobferry.domain.routes import Route, parse_route
from jobferry.services.definitions.documents import load
from jobferry.services.importing.request import ImportRequest
from jobferry.services.routes.records import Promotion
from jobferry.storage import Tx
from jobferry.storage import profiles as profile_repo
from jobferry.storage import routes as route_repo
from jobferry.storage import tasks as task_repo


def carries_all_again(
    tx: Tx, project_id: str, target_workspace_id: str, route: Route, last: Promotion | None
) -> bool:
    """Whether the profile ``route`` applies in its target, or the jobs it selects, differ from
    those of its newest applied promotion ``last`` (``False`` when none was applied: the next
    package carries every selected job anyway)."""
    if last is None or last.task_id is None:
        return False
    cut_with = route_repo.ROUTES.get(tx, project_id, route.name, last.route_version)
    selected = parse_route(route.name, load(cut_with.document)).selection if cut_with else None
    if selected is not None and selected != route.selection:
        return True
    task = task_repo.task_of_project(tx, project_id, last.task_id)
    asked = ImportRequest.from_stored(load(task.request)) if task and task.request else None
    applied = asked.profile if asked is not None else None
    if applied != route.profile:
        return True
    if not isinstance(route.profile, str):
        return False
    newest = profile_repo.PROFILES.get(tx, target_workspace_id, route.profile)
    return newest is not None and newest.created_at > last.snapshot_at
