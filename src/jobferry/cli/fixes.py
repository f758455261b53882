"""What the ``jobferry`` command tells a person to do, in its own commands and flags.

The server words a plan problem's fix for API clients ("PUT /environment/connection/dws_conn",
"import with onDrift KEEP_TARGET"); someone at the command line runs ``jobferry env put …``
or passes ``--on-drift keep-target`` instead. Here a problem's fix is said again from its
reason and its structured fields (the reference, the kind and name; the plan's signature state),
never by reading its text; a problem this module does not know keeps the server's fix.

A refusal (an error envelope) that carries a ``remedy`` is said the same way: its ``problem``,
then the remedy in this CLI's commands (:data:`REMEDIES`, :func:`refusal_text`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jobferry.cli.fix_terms import CARRIED as _CARRIED
from jobferry.cli.fix_terms import in_workspace as _in
from jobferry.cli.fix_terms import quoted as _quoted
from jobferry.cli.fix_terms import reference as _reference
from jobferry.cli.route_fixes import route_fix as _route_fix
from jobferry.domain.enums import ENVIRONMENT_KINDS, EnvironmentKind, ObjectKind, ProblemReason
from jobferry.domain.references import JOB_RESOURCE_TYPE_KINDS
from jobferry.domain.remedies import Remedy

_REPLACE_TYPE: dict[str, str] = {}
for _type, _kind in sorted(JOB_RESOURCE_TYPE_KINDS.items()):
    _REPLACE_TYPE.setdefault(_kind.value, _type)
APPLY_LEAVE_OUT = "or leave its file out of the folder"
"""What ``apply`` can do instead of mending a problem: its fixes end with it."""


def _missing(kind: str, name: str, workspace: str | None) -> str | None:
    """A missing object: register or map an environment object; bring a dependency along."""
    if kind in ENVIRONMENT_KINDS and kind != EnvironmentKind.CDM_JOB:
        secret = " --secret KEY=@FILE" if kind == EnvironmentKind.CONNECTION else ""
        put = f"jobferry env put {kind} {_quoted(name)} --type …{secret}{_in(workspace)}"
        if secret:
            put += " (one KEY=@FILE per secret it needs)"
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


def cli_fix(
    problem: dict[str, Any],
    workspace: str | None = None,
    signature: str | None = None,
    route: str | None = None,
    command: str = "plan",
) -> str | None:
    """The fix of a plan problem in the CLI's commands and flags (``None``: the server's fix
    says it already, in no API terms). ``workspace`` is the target as ``-w`` names it;
    ``signature`` the plan's signature state, when known; ``route`` the route ``promote``
    planned (its fixes name ``promote``'s flags and the route's settings); ``command`` the
    command that planned (``plan``, ``import`` or ``apply``: each fix names only its flags)."""
    if route is not None:
        fix = _route_fix(problem, route, workspace)
        if fix is not None:
            return fix
    if command == "apply":
        return _apply_fix(problem, workspace)
    reason = problem.get("reason")
    ref = _reference(problem)
    if reason == ProblemReason.MISSING_REFERENCE and ref is not None:
        return _missing(ref[0], ref[1], workspace)
    said = _said_alike(problem, workspace, command)
    if said is not None:
        return said
    if reason == ProblemReason.DRIFT:
        return (
            f"carry the change back to the source and export again, or {command} with "
            "--on-drift keep-target (leave it as it is) or --on-drift take-package (overwrite "
            "the change)"
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
            f"a job), or {command} with --propagate-deletes if the source deleted it"
        )
    return _any_command_fix(reason, command)


def _said_alike(problem: dict[str, Any], workspace: str | None, command: str) -> str | None:
    """The fixes ``plan``, ``import`` and ``apply`` say alike but for their options: ``apply``
    has no --policy or --replace (the files win), so its fixes change the files instead."""
    reason, name = problem.get("reason"), str(problem.get("name", ""))
    ref = _reference(problem)
    files = command == "apply"
    runner = "apply" if files else "the import"
    otherwise = APPLY_LEAVE_OUT if files else f"or {command} with --policy skip (keep the target's)"
    if reason == ProblemReason.MISSING_SECRET and ref is not None:
        other = (
            "change the files to use another connection"
            if files
            else f"map it to another connection with --replace DWS_CONNECTION:{ref[1]}=NEW"
        )
        return (
            f"set its secrets: jobferry env put connection {_quoted(ref[1])} --type … "
            f"--secret KEY=@FILE{_in(workspace)}; or {other}"
        )
    if reason == ProblemReason.SCHEDULED and problem.get("action") == "DELETE":
        keep = (
            "keep it (apply without --prune)"
            if files
            else f"keep it ({command} without --propagate-deletes)"
        )
        return (
            f"stop it (jobferry jobs stop {_quoted(name)}{_in(workspace)}), let {runner} stop "
            f"it before deleting it (--scheduling pause-and-restore), or {keep}"
        )
    if reason == ProblemReason.SCHEDULED:
        return (
            f"stop it (jobferry jobs stop {_quoted(name)}{_in(workspace)}), let {runner} stop "
            f"and restart it (--scheduling pause-and-restore), {otherwise}"
        )
    if reason == ProblemReason.LOCKED:
        return f"ask the lock's holder to release it, {otherwise}"
    return None


def _any_command_fix(reason: Any, command: str) -> str | None:
    """Fixes that name no option of the command that planned (but ``--propagate-deletes``,
    which ``apply`` has not)."""
    if reason == ProblemReason.MISSING_WORKSPACE:
        return (
            "create that workspace (jobferry admin create-workspace NAME on the server; names "
            "must match across projects), or remove the dependency"
        )
    if reason == ProblemReason.IN_USE:
        leave = "without --propagate-deletes" if command != "apply" else "keep those files"
        return (
            "remove those references (in the source, then export again, or in the target), or "
            f"leave the deletion out ({leave})"
        )
    return None


def _apply_fix(problem: dict[str, Any], workspace: str | None) -> str | None:
    """The fixes ``apply -f`` can follow: it has no --policy, --on-drift, --replace or
    --profile-map (the files win, as they are), so its fixes change the files or the target."""
    reason = problem.get("reason")
    ref = _reference(problem)
    if reason == ProblemReason.MISSING_REFERENCE and ref is not None:
        if ref[0] in ENVIRONMENT_KINDS and ref[0] != EnvironmentKind.CDM_JOB:
            return (
                f"register it: jobferry env put {ref[0]} {_quoted(ref[1])} --type …"
                f"{_in(workspace)}; or change the files to use one that exists"
            )
        return f"add {ref[0]} '{ref[1]}' to the folder, or create it in the workspace first"
    said = _said_alike(problem, workspace, "apply")
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
        return "rename or delete that object in the target (jobferry jobs rename NAME NEW_NAME)"
    return _any_command_fix(reason, "apply")


def _name(body: dict[str, Any], key: str, default: str) -> str:
    value = body.get(key)
    return _quoted(value) if isinstance(value, str) and value else default


def _policy_of(body: dict[str, Any]) -> str:
    """The option naming whose policy a refusal means (a route's; else the workspace's)."""
    if body.get("holder_kind") == "route":
        return f" --route {_name(body, 'holder', 'ROUTE')}"
    return ""


def _sha(body: dict[str, Any]) -> str:
    sha = body.get("missing_sha256")
    return f" (sha256 {sha})" if isinstance(sha, str) and sha else ""


def _remedies() -> dict[str, Callable[[dict[str, Any]], str]]:
    """Each remedy a refusal can carry, said with this CLI's commands, from the envelope's
    context fields."""

    def route(body: dict[str, Any]) -> str:
        return _name(body, "route", "ROUTE")

    return {
        Remedy.LIST_WORKSPACES: lambda b: (
            "Give -w a workspace name or id from jobferry workspaces list, or set the "
            "context's workspace."
        ),
        Remedy.LIST_ACCESS_KEYS: lambda b: (
            "The server's administrator lists each user's access keys with jobferry admin users."
        ),
        Remedy.LIST_CONNECTIONS: lambda b: (
            "jobferry env list connection lists the workspace's connections; register a new "
            "one with jobferry env put connection NAME --type …"
        ),
        Remedy.UPDATE_CONNECTION: lambda b: (
            f"Choose another name, or change it with jobferry env put connection "
            f"{_name(b, 'name', 'NAME')} --type …"
        ),
        Remedy.REGISTER_OBJECT: lambda b: (
            f"Register it with jobferry env put {_name(b, 'kind', 'KIND')} "
            f"{_name(b, 'name', 'NAME')} --type …"
        ),
        Remedy.RENAME_JOB: lambda b: (
            f"Rename it with jobferry jobs rename {_name(b, 'job_name', 'NAME')} NEW_NAME."
        ),
        Remedy.REFRESH_SHADOW: lambda b: (
            f"Refresh it with jobferry remotes refresh {_name(b, 'remote', 'REMOTE')}; to change "
            "the remote, import a package into the shadow: the import is pushed to the remote."
        ),
        Remedy.RELEASE_FROM_DEVELOPMENT: lambda b: (
            "Make the change in the development workspace, submit it, then jobferry releases "
            "create and jobferry releases deploy."
        ),
        Remedy.REPLAN_RELEASE: lambda b: (
            f"Review the change in production, then plan the release package "
            f"again (jobferry releases plan {_name(b, 'package_id', 'ID')}) and deploy it, "
            "or cancel it with jobferry releases cancel."
        ),
        Remedy.APPROVE_PLAN: lambda b: (
            (
                f"Approvers sign the plan: jobferry routes approve {_name(b, 'route', 'ROUTE')} "
                f"{_name(b, 'plan_id', 'PLAN')} --key FILE."
            )
            if b.get("route")
            else (
                "Approvers sign the plan: jobferry releases approve "
                f"{_name(b, 'package_id', 'ID')} --key FILE."
            )
        ),
        Remedy.REGISTER_APPROVAL_KEY: lambda b: (
            "Register your public key with jobferry users keys add FILE.pub (jobferry users "
            "keys list lists yours), then sign with its private key."
        ),
        Remedy.READ_RELEASE_LEDGER: lambda b: (
            "jobferry releases ledger lists the releases in order: roll back the last one "
            "(jobferry releases rollback --last), or bring an earlier one back with jobferry "
            "releases restore."
        ),
        Remedy.PLAN_AGAIN: lambda b: (
            "Run the command again: it makes a new plan, shows it and imports with it."
        ),
        Remedy.LIST_TASKS: lambda b: "jobferry tasks list lists the workspace's tasks.",
        Remedy.FOLLOW_TASK: lambda b: (
            f"Follow it with jobferry tasks show {_name(b, 'task_id', 'TASK')} --wait"
            + (f" -w {_name(b, 'workspace', '')}" if b.get("workspace") else "")
            + ", and try again when it has ended."
        ),
        Remedy.LIST_REMOTES: lambda b: "jobferry remotes list lists them.",
        Remedy.EXPORT_WORKSPACE: lambda b: (
            "Export the whole workspace on the remote's side (jobferry export --workspace-all) "
            "and carry that."
        ),
        Remedy.CARRY_IN: lambda b: (
            f"Take its packages in with jobferry promote {route(b)} --in FILE on this server."
        ),
        Remedy.CUT_PACKAGE: lambda b: f"Promote along it with jobferry promote {route(b)}.",
        Remedy.CUT_OUT: lambda b: (
            (
                f"Take it in with route {_quoted(b['package_route'])} (jobferry promote "
                f"{_quoted(b['package_route'])} --in FILE), or cut"
                if b.get("package_route")
                else "Cut"
            )
            + f" one for this route on the source server with jobferry promote {route(b)} "
            "--out FILE."
        ),
        Remedy.EDIT_ROUTE_SOURCE: lambda b: (
            "Take in packages of the route's source only, or change the route's source with "
            f"jobferry routes edit {route(b)} --from-carried --from-id ID."
        ),
        Remedy.CUT_FULL_PACKAGE: lambda b: (
            f"Take in the package before it{_sha(b)} first (jobferry promote {route(b)} --in "
            f"FILE), or cut a full one on the source server with jobferry promote {route(b)} "
            "--out FILE --full."
        ),
        Remedy.ROLL_BACK_FIRST: lambda b: (
            "Nothing needs doing; to import it again, roll that import back first: jobferry "
            f"rollback {_name(b, 'task_id', 'TASK')}."
        ),
        Remedy.RECORD_PROMOTION_IMPORT: lambda b: (
            f"Import the promotion's package with jobferry promote {route(b)} --apply, which "
            "records its task."
        ),
        Remedy.CARRIED_END: lambda b: (
            f"Create workspace {_name(b, 'workspace', 'NAME')} first (jobferry admin "
            "create-workspace on the server), or make that end carried when it is on another "
            f"server (jobferry routes edit {route(b)} "
            + ("--to-carried" if b.get("end") == "target" else "--from-carried --from-id ID")
            + ")."
        ),
        Remedy.LIST_ROUTES: lambda b: "jobferry routes list lists them.",
        Remedy.LIST_PROFILES: lambda b: "jobferry profiles list lists them.",
        Remedy.LIST_TRUSTED_KEYS: lambda b: "jobferry keys list lists the trusted keys.",
        Remedy.CREATE_SIGNING_KEY: lambda b: "Create one with jobferry keys create.",
        Remedy.TRUST_SOURCE_KEY: lambda b: (
            "Give the source workspace a signing key (jobferry keys create there) and cut the "
            "package again, or trust the source's key in the target workspace (jobferry keys "
            "trust NAME 'ed25519:…')."
        ),
        Remedy.EXPORT_IN_BACKGROUND: lambda b: (
            "Give the names in a file (jobferry export --names-file FILE): it exports them in "
            "the background, as many as you name."
        ),
        Remedy.SUBMIT_JOB: lambda b: (
            "Submit a version first: import or apply it with --status submitted (the default)."
        ),
        Remedy.CREATE_PROFILE: lambda b: (
            f"Save it with jobferry profiles put {_name(b, 'profile', 'NAME')} -f FILE, or give "
            "the profile's file instead (--profile-map FILE)."
        ),
        Remedy.FOLLOW_POLICY: lambda b: (
            "Change what the plan does so it keeps the rule, or wait for the freeze window to "
            f"end; an admin can read and change the policy with jobferry policies show"
            f"{_policy_of(b)} and jobferry policies put -f FILE{_policy_of(b)}."
        ),
        Remedy.SAVE_POLICY: lambda b: (
            f"Save one with jobferry policies put -f FILE{_policy_of(b)}."
        ),
        Remedy.LIST_DOWNLOADS: lambda b: (
            "jobferry downloads list lists the workspace's packages by id."
        ),
    }


REMEDIES = _remedies()
"""Every remedy, said with this CLI's commands (``tests/test_wording.py`` holds it whole)."""


def refusal_text(message: str, body: dict[str, Any]) -> str:
    """What the CLI prints of an error envelope: its problem and, when it carries a remedy
    this CLI knows, the fix in the CLI's commands; else the server's message."""
    remedy, problem = body.get("remedy"), body.get("problem")
    said = REMEDIES.get(str(remedy)) if remedy else None
    if said is None or not isinstance(problem, str):
        return message
    return f"{problem} {said(body)}"
