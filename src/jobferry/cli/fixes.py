"""What the ``jobferry`` command tells a person to do, in its own commands and flags.

The server words a plan problem's fix for API clients ("PUT /environment/connection/dws_conn",
"import with onDrift KEEP_TARGET"); someone at the command line runs ``jobferry env put …``
or passes ``--on-drift keep-target`` instead. Here a problem's fix is said again from its
reason and its structured fields (the reference, the kind and name; the plan's signature state),
never by reading its text; a problem this module does not know keeps the server's fix.
"""

from __future__ import annotations

import shlex
from typing import Any

from jobferry.domain.enums import ENVIRONMENT_KINDS, EnvironmentKind, ObjectKind, ProblemReason
from jobferry.domain.references import JOB_RESOURCE_TYPE_KINDS

_REPLACE_TYPE: dict[str, str] = {}
for _type, _kind in sorted(JOB_RESOURCE_TYPE_KINDS.items()):
    _REPLACE_TYPE.setdefault(_kind.value, _type)
_CARRIED = (ObjectKind.SCRIPT, ObjectKind.RESOURCE, ObjectKind.CDM_JOB)
"""Kinds a package brings along with the jobs that use them (export with dependencies)."""
_SKIP = "or plan with --policy skip (keep the target's)"


def _in(workspace: str | None) -> str:
    return f" -w {shlex.quote(workspace)}" if workspace else ""


def _quoted(name: Any) -> str:
    return shlex.quote(str(name))


def _missing(kind: str, name: str, workspace: str | None) -> str | None:
    """A missing object: register or map an environment object; bring a dependency along."""
    if kind in ENVIRONMENT_KINDS and kind != EnvironmentKind.CDM_JOB:
        put = f"jobferry env put {kind} {_quoted(name)} --type …{_in(workspace)}"
        if kind == EnvironmentKind.CONNECTION:
            put += " (with --secret KEY=@FILE for each secret it needs)"
        replace_type = _REPLACE_TYPE.get(kind)
        mapped = (
            f"--replace {replace_type}:{name}=NEW"
            if replace_type
            else f"--profile-map FILE (an environment profile renaming {kind} '{name}')"
        )
        return f"register it: {put}; or map it to one that exists with {mapped}"
    if kind in _CARRIED:
        return (
            f"export the package again with its dependencies (jobferry export without "
            f"--no-depend), or create {kind} '{name}' in the target first"
        )
    if kind == ObjectKind.JOB:
        return (
            "export the package again with upstream jobs (jobferry export --with-upstream), or "
            f"import job '{name}' first"
        )
    return None


def _signature(state: str | None, workspace: str | None) -> str:
    trust = f"jobferry keys trust NAME 'ed25519:…'{_in(workspace)}"
    sign = "jobferry package sign FILE --key KEY.pem"
    if state == "invalid":
        return "export the package again from the source and carry it unchanged"
    if state == "untrusted":
        return (
            f"trust the key that signed it ({trust}), or import a package signed by a trusted key"
        )
    if state == "unsigned":
        return f"sign the package ({sign}), or export it from a workspace with a signing key"
    return f"sign the package ({sign}) or trust the key that signed it ({trust})"


def _reference(problem: dict[str, Any]) -> tuple[str, str] | None:
    ref = problem.get("reference")
    if isinstance(ref, dict) and ref.get("kind") and ref.get("name") is not None:
        return str(ref["kind"]), str(ref["name"])
    return None


def _route_missing(kind: str, name: str, route: str, workspace: str | None) -> str | None:
    """A missing object of a route's plan: ``promote`` carries what its jobs use and maps
    names with the route's profile (it has no --replace or --profile-map)."""
    edit = f"jobferry routes edit {_quoted(route)}"
    if kind in ENVIRONMENT_KINDS and kind != EnvironmentKind.CDM_JOB:
        put = f"jobferry env put {kind} {_quoted(name)} --type …{_in(workspace)}"
        return (
            f"register it: {put}; or map it to one that exists in the target's environment "
            f"profile (jobferry profiles put NAME -f FILE{_in(workspace)}) named on the route "
            f"({edit} --profile NAME)"
        )
    if kind in _CARRIED:
        return f"create {kind} '{name}' in the source, so the route carries it, or in the target"
    if kind == ObjectKind.JOB:
        return f"let the route carry upstream jobs ({edit} --upstream), or promote job '{name}'"
    return None


def _route_fix(problem: dict[str, Any], route: str, workspace: str | None) -> str | None:
    """The fixes ``promote`` says in its own flags and the route's settings, where a plain
    plan's would name ``plan``, ``export`` or options ``promote`` does not have."""
    reason, name = problem.get("reason"), str(problem.get("name", ""))
    edit = f"jobferry routes edit {_quoted(route)}"
    skip = "or promote with --policy skip (keep the target's)"
    ref = _reference(problem)
    if reason == ProblemReason.MISSING_REFERENCE and ref is not None:
        return _route_missing(ref[0], ref[1], route, workspace)
    if reason == ProblemReason.MISSING_SECRET and ref is not None:
        return (
            f"set its secrets: jobferry env put connection {_quoted(ref[1])} --type … "
            f"--secret KEY=@FILE{_in(workspace)}; or map it to another connection in the "
            f"route's profile ({edit} --profile NAME)"
        )
    if reason == ProblemReason.DRIFT:
        return (
            "carry the change back to the source and promote again, or promote with --on-drift "
            "keep-target (leave it as it is) or --on-drift take-package (overwrite the change) "
            f"for this run ({edit} --on-drift … for every run)"
        )
    if reason == ProblemReason.SCHEDULED:
        return (
            f"stop it (jobferry jobs stop {_quoted(name)}{_in(workspace)}), let the import stop "
            f"and restart it (promote with --scheduling pause-and-restore, or {edit} "
            f"--scheduling pause-and-restore), {skip}"
        )
    if reason == ProblemReason.LOCKED:
        return f"ask the lock's holder to release it, {skip}"
    if reason == ProblemReason.TIME_ZONE:
        return (
            "say how schedules move in the route's profile (keep the wall clock or the instant: "
            f"jobferry profiles put NAME -f FILE, {edit} --profile NAME), or change the "
            "schedule in the source so the move can be expressed"
        )
    if reason == ProblemReason.NAME_CONFLICT:
        return (
            "rename or delete that object in the target (jobferry jobs rename NAME NEW_NAME for "
            "a job), or promote with --propagate-deletes if the source deleted it"
        )
    return None


def cli_fix(
    problem: dict[str, Any],
    workspace: str | None = None,
    signature: str | None = None,
    route: str | None = None,
) -> str | None:
    """The fix of a plan problem in the CLI's commands and flags (``None``: the server's fix
    says it already, in no API terms). ``workspace`` is the target as ``-w`` names it;
    ``signature`` the plan's signature state, when known; ``route`` the route ``promote``
    planned (its fixes name ``promote``'s flags and the route's settings)."""
    if route is not None:
        fix = _route_fix(problem, route, workspace)
        if fix is not None:
            return fix
    reason, name = problem.get("reason"), str(problem.get("name", ""))
    ref = _reference(problem)
    if reason == ProblemReason.MISSING_REFERENCE and ref is not None:
        return _missing(ref[0], ref[1], workspace)
    if reason == ProblemReason.MISSING_SECRET and ref is not None:
        return (
            f"set its secrets: jobferry env put connection {_quoted(ref[1])} --type … "
            f"--secret KEY=@FILE{_in(workspace)}; or map it to another connection with "
            f"--replace DWS_CONNECTION:{ref[1]}=NEW"
        )
    if reason == ProblemReason.SCHEDULED:
        return (
            f"stop it (jobferry jobs stop {_quoted(name)}{_in(workspace)}), let the import stop "
            f"and restart it (--scheduling pause-and-restore), {_SKIP}"
        )
    if reason == ProblemReason.LOCKED:
        return f"ask the lock's holder to release it, {_SKIP}"
    if reason == ProblemReason.DRIFT:
        return (
            "carry the change back to the source and export again, or plan with --on-drift "
            "keep-target (leave it as it is) or --on-drift take-package (overwrite the change)"
        )
    if reason == ProblemReason.SIGNATURE:
        return _signature(signature, workspace)
    if reason == ProblemReason.TIME_ZONE:
        return (
            "use --keep-wall-clock, or change the schedule in the source so the move can be "
            "expressed, and export again"
        )
    if reason == ProblemReason.NAME_CONFLICT:
        return (
            "rename or delete that object in the target (jobferry jobs rename NAME NEW_NAME for "
            "a job), or plan with --propagate-deletes if the source deleted it"
        )
    if reason == ProblemReason.MISSING_WORKSPACE:
        return (
            "create that workspace (jobferry admin create-workspace NAME on the server; names "
            "must match across projects), or remove the dependency"
        )
    return None
