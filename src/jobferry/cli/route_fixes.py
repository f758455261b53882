"""The fixes ``jobferry promote`` says of its plan's problems, in its own flags and the route's
settings, where a plain plan's would name ``plan``, ``export`` or options ``promote`` does not
have (``cli.fixes`` says the others)."""

from __future__ import annotations

from typing import Any

from jobferry.cli.fix_terms import (
    CARRIED,
    in_workspace,
    name_conflict,
    quoted,
    reference,
    register_it,
    set_secrets,
    stop_it,
)
from jobferry.domain.enums import ENVIRONMENT_KINDS, EnvironmentKind, ObjectKind, ProblemReason


def _missing(
    kind: str, name: str, route: str, workspace: str | None, needs: Any = None
) -> str | None:
    """A missing object of a route's plan: ``promote`` carries what its jobs use and maps
    names with the route's profile (it has no --replace or --profile-map)."""
    edit, where = f"jobferry routes edit {quoted(route)}", in_workspace(workspace)
    if kind in ENVIRONMENT_KINDS and kind != EnvironmentKind.CDM_JOB:
        put = register_it(kind, name, workspace, needs)
        return (
            f"register it: {put}; or map it to one that exists in the target's environment "
            f"profile (jobferry profiles put NAME -f FILE{where}) named on the route "
            f"({edit} --profile NAME)"
        )
    if kind in CARRIED:
        return f"create {kind} '{name}' in the source, so the route carries it, or in the target"
    if kind == ObjectKind.JOB:
        return f"let the route carry upstream jobs ({edit} --upstream), or promote job '{name}'"
    return None


_SKIP = "or promote with --policy skip (keep the target's)"


def route_fix(
    problem: dict[str, Any], route: str, workspace: str | None, remote: str | None = None
) -> str | None:
    """The fixes ``promote`` says in its own flags and the route's settings, where a plain
    plan's would name ``plan``, ``export`` or options ``promote`` does not have (``remote``:
    the target is that remote's shadow, changed only in DataArts)."""
    reason = problem.get("reason")
    edit = f"jobferry routes edit {quoted(route)}"
    ref = reference(problem)
    if reason == ProblemReason.MISSING_REFERENCE and ref is not None:
        return _missing(ref[0], ref[1], route, workspace, problem.get("needs"))
    if reason == ProblemReason.MISSING_SECRET and ref is not None:
        return (
            f"{set_secrets(ref[1], workspace)}; or map it to another connection in the route's "
            f"profile ({edit} --profile NAME)"
        )
    if reason in (ProblemReason.DRIFT, ProblemReason.OLDER_PACKAGE):
        return _on_drift(problem, route, edit)
    if reason in (ProblemReason.SCHEDULED, ProblemReason.LOCKED):
        return _held(problem, edit, workspace, remote)
    if reason == ProblemReason.TIME_ZONE:
        return (
            "say how schedules move in the route's profile (keep the wall clock or the instant: "
            f"jobferry profiles put NAME -f FILE{in_workspace(workspace)}, {edit} --profile NAME), "
            "or change the schedule in the source so the move can be expressed"
        )
    if reason == ProblemReason.NAME_CONFLICT:
        return name_conflict("promote", remote, workspace)
    return None


def _held(problem: dict[str, Any], edit: str, workspace: str | None, remote: str | None) -> str:
    """What the target holds in the way: a scheduled job, another user's lock (of an object
    the promotion writes, or of one it deletes, which keeping fixes)."""
    name = str(problem.get("name", ""))
    keep = "or keep it (promote with --keep-deletes)"
    other = keep if problem.get("action") == "DELETE" else _SKIP
    if problem.get("reason") == ProblemReason.LOCKED:
        return f"ask the lock's holder to release it, {other}"
    if problem.get("action") == "DELETE":
        return (
            f"{stop_it(name, workspace, remote)}, let the import stop "
            f"it before deleting it (promote with --scheduling pause-and-restore, or {edit} "
            f"--scheduling pause-and-restore), {keep}"
        )
    return (
        f"{stop_it(name, workspace, remote)}, let the import stop "
        f"and restart it (promote with --scheduling pause-and-restore, or {edit} "
        f"--scheduling pause-and-restore), {_SKIP}"
    )


def _on_drift(problem: dict[str, Any], route: str, edit: str) -> str:
    """What ``--on-drift`` decides: an object changed in the target since an import wrote it,
    or one a package older than the one that last wrote it would put back."""
    if problem.get("reason") == ProblemReason.DRIFT:
        return (
            "carry the change back to the source and promote again, or promote with --on-drift "
            "keep-target (leave it as it is) or --on-drift take-package (overwrite the change) "
            f"for this run ({edit} --on-drift … for every run)"
        )
    return _older(route, edit, str(problem.get("action")))


def _older(route: str, edit: str, action: str) -> str:
    """An older package than the one of the same source that last wrote the object (or whose
    import deleted it: ``action`` CREATE): a newer one is cut on the source's side (a carried
    route's package is taken in from a file)."""
    newer = (
        f"promote a package cut since (on the source's server: jobferry promote {quoted(route)} "
        "--out FILE, then --in FILE here)"
    )
    if action == "DELETE":
        return (
            f"{newer}, or promote with --keep-deletes (keep it) or --on-drift take-package "
            "(delete it) for this run"
        )
    keep, take = _OLDER_CHOICES[action == "CREATE"]
    return (
        f"{newer}, or promote with --on-drift keep-target ({keep}) or --on-drift "
        f"take-package ({take}) for this run ({edit} --on-drift … for every run)"
    )


_OLDER_CHOICES = {
    False: ("leave it as it is", "take this package's version"),
    True: ("leave it deleted", "make it again"),
}
"""What keep-target and take-package do with an object an older package would put back, and
with one it would make again (a newer package's import deleted it)."""
