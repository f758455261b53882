"""What the ``jobferry`` command tells a person to do, in its own commands and flags.

The server words a plan problem's fix for API clients ("PUT /environment/connection/dws_conn",
"import with onDrift KEEP_TARGET"); someone at the command line runs ``jobferry env put …``
or passes ``--on-drift keep-target`` instead. Here a problem's fix is said again from its
reason and its structured fields (the reference, the kind and name; the plan's signature state),
never by reading its text; a problem this module does not know keeps the server's fix.

A refusal (an error envelope) that carries a ``remedy`` is said the same way, by
``cli/remedies.py``.
"""

from __future__ import annotations

from typing import Any

from jobferry.cli.fix_terms import CARRIED as _CARRIED
from jobferry.cli.fix_terms import in_target, name_conflict, register_it, set_secrets, stop_it
from jobferry.cli.fix_terms import in_workspace as _in
from jobferry.cli.fix_terms import quoted as _quoted
from jobferry.cli.fix_terms import reference as _reference
from jobferry.cli.route_fixes import route_fix as _route_fix
from jobferry.domain.enums import (
    ENVIRONMENT_KINDS,
    EnvironmentKind,
    ObjectKind,
    ProblemReason,
    PushRule,
)
from jobferry.domain.references import JOB_RESOURCE_TYPE_KINDS

_REPLACE_TYPE: dict[str, str] = {}
for _type, _kind in sorted(JOB_RESOURCE_TYPE_KINDS.items()):
    _REPLACE_TYPE.setdefault(_kind.value, _type)
_CONNECTION_TYPES = sorted(
    t for t, k in JOB_RESOURCE_TYPE_KINDS.items() if k == EnvironmentKind.CONNECTION
)
_CONNECTION_TYPE_OF = {
    "DWS": "DWS_CONNECTION",
    "HIVE": "MRS_HIVE_CONNECTION",
    "SPARK": "MRS_SPARK_CONNECTION",
}
"""How a connection's type starts (as DataArts spells it: ``DWS``, ``Hive``, ``SparkSQL``) →
the ``--replace`` TYPE naming it: the import maps any ``*_CONNECTION`` onto connections, but
a fix names the one it is."""
APPLY_LEAVE_OUT = "or leave its file out of the folder"
"""What ``apply`` can do instead of mending a problem: its fixes end with it."""


def profile_check_fix(kind: str, name: str, workspace: str | None) -> str:
    """What ``profiles check`` says to do about an environment object the package needs and
    the workspace lacks: register it, or have the profile rename it to one that exists."""
    return (
        f"register it: {register_it(kind, name, workspace)}; or have the profile map {kind} "
        f"'{name}' to one that exists and save it again (jobferry profiles put NAME -f FILE"
        f"{_in(workspace)})"
    )


def _missing(kind: str, name: str, workspace: str | None, needs: Any = None) -> str | None:
    """A missing object: register or map an environment object; bring a dependency along."""
    if kind in ENVIRONMENT_KINDS and kind != EnvironmentKind.CDM_JOB:
        put = register_it(kind, name, workspace, needs)
        mapped = _replace(kind, name, needs) or (
            f"--profile-map FILE (an environment profile renaming {kind} '{name}')"
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


def _replace(kind: str, name: str, needs: Any) -> str | None:
    """The ``--replace`` option mapping ``kind`` ``name`` to another object, of the import
    type its ``needs`` (what the package says it is) names: a connection's follows its type
    (a Hive connection's is MRS_HIVE_CONNECTION); one whose type is not said, TYPE."""
    if kind != EnvironmentKind.CONNECTION:
        replace_type = _REPLACE_TYPE.get(kind)
        return f"--replace {replace_type}:{name}=NEW" if replace_type else None
    said = needs.get("type") if isinstance(needs, dict) else None
    said = said.upper() if isinstance(said, str) else ""
    for start, replace_type in _CONNECTION_TYPE_OF.items():
        if said.startswith(start):
            return f"--replace {replace_type}:{name}=NEW"
    return f"--replace TYPE:{name}=NEW (TYPE as the connection is: {', '.join(_CONNECTION_TYPES)})"


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


def cli_fix(
    problem: dict[str, Any],
    workspace: str | None = None,
    signature: str | None = None,
    route: str | None = None,
    command: str = "plan",
    remote: str | None = None,
) -> str | None:
    """The fix of a plan problem in the CLI's commands and flags (``None``: the server's fix
    says it already, in no API terms). ``workspace`` is the target as ``-w`` names it;
    ``signature`` the plan's signature state, when known; ``route`` the route ``promote``
    planned (its fixes name ``promote``'s flags and the route's settings); ``command`` the
    command that planned (``plan``, ``import`` or ``apply``: each fix names only its flags);
    ``remote``: the target is that remote's shadow, which changes only in DataArts."""
    if route is not None:
        fix = _route_fix(problem, route, workspace, remote)
        if fix is not None:
            return fix
    if command == "apply":
        return _apply_fix(problem, workspace, remote)
    reason = problem.get("reason")
    ref = _reference(problem)
    if reason == ProblemReason.MISSING_REFERENCE and ref is not None:
        return _missing(ref[0], ref[1], workspace, problem.get("needs"))
    said = _said_alike(problem, workspace, command, remote)
    if said is not None:
        return said
    if reason == ProblemReason.DRIFT:
        return (
            f"carry the change back to the source and export again, or {command} with "
            "--on-drift keep-target (leave it as it is) or --on-drift take-package (overwrite "
            "the change)"
        )
    if reason == ProblemReason.OLDER_PACKAGE:
        return _older(command, str(problem.get("action")))
    if reason == ProblemReason.SIGNATURE:
        return _signature(signature, workspace)
    if reason == ProblemReason.TIME_ZONE:
        return (
            "use --keep-wall-clock, or change the schedule in the source so the move can be "
            "expressed, and export again"
        )
    if reason == ProblemReason.NAME_CONFLICT:
        return name_conflict(command, remote, workspace)
    return _any_command_fix(problem, command, remote)


def _said_alike(
    problem: dict[str, Any], workspace: str | None, command: str, remote: str | None
) -> str | None:
    """The fixes ``plan``, ``import`` and ``apply`` say alike but for their options: ``apply``
    has no --policy or --replace (the files win), so its fixes change the files instead."""
    reason, name = problem.get("reason"), str(problem.get("name", ""))
    ref = _reference(problem)
    files = command == "apply"
    runner = "apply" if files else "the import"
    otherwise = APPLY_LEAVE_OUT if files else f"or {command} with --policy skip (keep the target's)"
    keep = (
        "keep it (apply without --prune)"
        if files
        else f"keep it ({command} without --propagate-deletes)"
    )
    if reason == ProblemReason.MISSING_SECRET and ref is not None:
        other = (
            "change the files to use another connection"
            if files
            else "map it to another connection with "
            + str(_replace(ref[0], ref[1], problem.get("needs")))
        )
        return f"{set_secrets(ref[1], workspace)}; or {other}"
    if reason == ProblemReason.SCHEDULED and problem.get("action") == "DELETE":
        return (
            f"{stop_it(name, workspace, remote)}, let {runner} stop "
            f"it before deleting it (--scheduling pause-and-restore), or {keep}"
        )
    if reason == ProblemReason.SCHEDULED:
        return (
            f"{stop_it(name, workspace, remote)}, let {runner} stop "
            f"and restart it (--scheduling pause-and-restore), {otherwise}"
        )
    if reason == ProblemReason.LOCKED:
        deleting = problem.get("action") == "DELETE"
        return f"ask the lock's holder to release it, {f'or {keep}' if deleting else otherwise}"
    return None


def _any_command_fix(problem: dict[str, Any], command: str, remote: str | None) -> str | None:
    """Fixes that name no option of the command that planned (but ``--propagate-deletes``,
    which ``apply`` has not, and ``--mode``, which ``apply`` needs not: it writes all or
    nothing)."""
    reason = problem.get("reason")
    if reason == ProblemReason.REMOTE and problem.get("kind") == "package":
        if problem.get("rule") == PushRule.SUBMITS:
            return (
                f"{command} with --status submitted, the default (the remote submits every job "
                "a push writes)"
            )
        if command != "apply":
            return f"{command} with --mode atomic, the default (a remote is written all or nothing)"
    if reason == ProblemReason.MISSING_WORKSPACE:
        return (
            "create that workspace (jobferry admin create-workspace NAME on the server; names "
            "must match across projects), or remove the dependency"
        )
    if reason == ProblemReason.IN_USE and command == "apply":  # the folder is the source
        return (
            "change the files of the jobs that use it so they no longer do, or keep its file "
            "in the folder (or apply without --prune)"
        )
    if reason == ProblemReason.IN_USE:
        target = f"in DataArts, then jobferry remotes refresh {_quoted(remote)}" if remote else ""
        return (
            "remove those references (in the source, then export again, or "
            f"{target or 'in the target'}), or leave the deletion out (without "
            "--propagate-deletes)"
        )
    return None


def _older(command: str, action: str) -> str:
    """The fix of an older package than the one of the same source that last wrote an object
    (or whose import deleted it: ``action`` CREATE)."""
    if action == "CREATE":
        return (
            f"{command} a package exported from the source since (export again), or {command} "
            "with --on-drift keep-target (leave it deleted) or --on-drift take-package (make it "
            "again)"
        )
    if action == "DELETE":
        return (
            f"{command} a package exported from the source since (export again), or {command} "
            "with --keep-deletes (keep it) or --on-drift take-package (delete it)"
        )
    return (
        f"{command} a package exported from the source since (export again), or {command} with "
        "--on-drift keep-target (leave it as it is) or --on-drift take-package (take this "
        "package's version)"
    )


def _apply_fix(problem: dict[str, Any], workspace: str | None, remote: str | None) -> str | None:
    """The fixes ``apply -f`` can follow: it has no --policy, --on-drift, --replace or
    --profile-map (the files win, as they are), so its fixes change the files or the target."""
    reason = problem.get("reason")
    ref = _reference(problem)
    if reason == ProblemReason.MISSING_REFERENCE and ref is not None:
        if ref[0] in ENVIRONMENT_KINDS and ref[0] != EnvironmentKind.CDM_JOB:
            put = register_it(ref[0], ref[1], workspace, problem.get("needs"))
            return f"register it: {put}; or change the files to use one that exists"
        return f"add {ref[0]} '{ref[1]}' to the folder, or create it in the workspace first"
    said = _said_alike(problem, workspace, "apply", remote)
    if said is not None:
        return said
    if reason == ProblemReason.DRIFT:
        return (
            f"write the workspace's change into the files (jobferry pull DIR{_in(workspace)}) "
            f"and apply them again, {APPLY_LEAVE_OUT}"
        )
    if reason == ProblemReason.SIGNATURE:
        return (
            "the workspace takes signed packages only, and a folder is applied unsigned: pack "
            "and sign a package (jobferry package sign FILE --key KEY.pem) and import it "
            "(jobferry import FILE)"
        )
    if reason == ProblemReason.TIME_ZONE:
        return "change the schedule in the files so the move can be expressed"
    if reason == ProblemReason.NAME_CONFLICT:
        rename = in_target(remote, f"jobferry jobs rename NAME NEW_NAME{_in(workspace)}")
        return f"rename or delete that object {rename}"
    return _any_command_fix(problem, "apply", remote)
