"""What the ``jobferry`` command says for a refusal that carries a remedy: its ``problem``,
then the remedy in this CLI's commands and flags (:data:`REMEDIES`, :func:`refusal_text`),
from the error envelope's context fields — never the fix the server wrote for API clients
(``domain/remedies.py``). A plan problem's fix is ``cli/fixes.py``'s."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jobferry.cli.fix_terms import in_workspace as _in_workspace
from jobferry.cli.fix_terms import quoted as _quoted
from jobferry.domain.remedies import Remedy, rules_named


def _name(body: dict[str, Any], key: str, default: str) -> str:
    value = body.get(key)
    return _quoted(value) if isinstance(value, str) and value else default


def _refresh_shadow(body: dict[str, Any]) -> str:
    """A change refused in a remote's shadow: what an import into it pushes to the remote is
    changed by one; what it does not push (``pushed`` false: its environment variables, its
    locks) is changed in the remote workspace and refreshed."""
    refresh = f"jobferry remotes refresh {_name(body, 'remote', 'REMOTE')}"
    if body.get("pushed", True):
        return (
            f"Refresh it with {refresh}; to change the remote, import a package into the "
            "shadow: the import is pushed to the remote."
        )
    return f"Make the change in the remote workspace, then refresh it with {refresh}."


def _others_approve(body: dict[str, Any]) -> str:
    """The fix of an approval refused because the caller may not approve (they made the plan,
    or are not named): who may, rather than the command they just ran; of an import whose
    named approvers left: name others; else nothing."""
    if body.get("rule") == "approval.approvers_gone":
        return _name_approvers(body)
    if body.get("rule") not in ("approval.self", "approval.approver"):
        return ""
    who = f" ({body['approvers']})" if body.get("approvers") else ""
    return f"Ask one of its approvers{who} to approve it with their own key."


def _name_approvers(body: dict[str, Any]) -> str:
    """The fix of a route's import short of approvals that its named approvers, some of them
    removed, can no longer give: name others; else nothing."""
    if body.get("rule") != "approval.approvers_gone":
        return ""
    route = _name(body, "route", "ROUTE")
    return (
        f"Name approvers who can (a project admin: jobferry routes edit {route} --approvers "
        f"A,B), then they approve the plan: jobferry routes approve {route} "
        f"{_name(body, 'plan_id', 'PLAN')} --key FILE."
    )


def _policy_of(body: dict[str, Any], where: str) -> str:
    """The option naming whose policy a refusal means: a route's (project-wide), else the
    workspace's (``where``: the ``-w`` of the workspace the command acted in, if any)."""
    if body.get("holder_kind") == "route":
        return f" --route {_name(body, 'holder', 'ROUTE')}"
    return where


def _freeze(body: dict[str, Any]) -> bool:
    """Whether a policy's refusal names a freeze window among the rules broken."""
    return "freeze" in rules_named(body)


def _release_policy(body: dict[str, Any], where: str) -> str:
    """What a release package refused by a policy can do, by the rules it breaks."""
    # here, not at the top: the policies' model reads schedules (croniter), which every command
    # that only follows a task (taskview, this module's caller) would load for nothing
    from jobferry.domain.policies import repackaging

    package = _name(body, "package_id", "ID")
    return repackaging(
        rules_named(body),
        f"package the pending items anew with jobferry releases create{where} and cancel this "
        f"one (jobferry releases cancel {package}{where})",
        f"deploy it again (jobferry releases deploy {package}{where})",
    )


def _in_target(body: dict[str, Any], key: str = "target_workspace") -> str:
    """`` -w NAME`` of the workspace a refusal names in ``key`` (a route's target workspace
    unless told; none: it names none)."""
    value = body.get(key)
    return f" -w {_quoted(value)}" if isinstance(value, str) and value else ""


RELEASE_CREATE = "jobferry releases create NAME --all --approver USER"
"""The release package of every pending item, as a fix names it (the person picks a name and
the approvers)."""


def _production(body: dict[str, Any]) -> str:
    """The production side of the workspace a refusal names, as ``-w`` takes it: ``'WS
    (production)'``, quoted once as a whole for the shell."""
    workspace = body.get("workspace")
    name = workspace if isinstance(workspace, str) and workspace else "WORKSPACE"
    return _quoted(f"{name} (production)")


def _trust_source_key(body: dict[str, Any], where: str) -> str:
    """A route requiring a signature refused a package: an unsigned one is cut again signed,
    one signed by a key the target does not trust is taken once that key is trusted there
    (the route's target, else the workspace the command acted in: ``where``)."""
    trust = f"jobferry keys trust NAME 'ed25519:…'{_in_target(body) or where}"
    if body.get("signature_state") == "unsigned":
        return (
            "Give the source workspace a signing key (jobferry keys create there), cut the "
            f"package again (jobferry promote {_name(body, 'route', 'ROUTE')} --out FILE) and "
            f"trust that key in the target workspace ({trust})."
        )
    return (
        f"If you trust its holder, trust the key that signed it in the target workspace "
        f"({trust}); else have the package cut again on the source server with a key trusted "
        "there."
    )


def _plan_again(body: dict[str, Any]) -> str:
    """A plan that is not the one to import now: a route's is planned again by ``promote``
    without ``--plan`` (run again with it, the same plan would be refused again)."""
    name = body.get("route")
    if isinstance(name, str) and name:
        return (
            f"Plan the route again: jobferry promote {_quoted(name)} shows the plan of its "
            "newest changes, and --apply imports it."
        )
    return "Run the command again: it makes a new plan, shows it and imports with it."


def _carried_end(body: dict[str, Any]) -> str:
    """A route's end names a workspace this server lacks: create it, or make that end carried,
    on the route as it is saved (``exists``), or on the one being created."""
    name = _name(body, "route", "ROUTE")
    carried = "--to-carried" if body.get("end") == "target" else "--from-carried --from-id ID"
    if body.get("exists") is False:
        given = "--to WORKSPACE" if body.get("end") == "target" else "--from WORKSPACE"
        change = f"jobferry routes create {name} with {carried} in place of {given}"
    else:
        change = f"jobferry routes edit {name} {carried}"
    return (
        f"Create workspace {_name(body, 'workspace', 'NAME')} first (jobferry admin "
        f"create-workspace on the server), or make that end carried when it is on another "
        f"server ({change})."
    )


def _sha(body: dict[str, Any]) -> str:
    sha = body.get("missing_sha256")
    return f" (sha256 {sha})" if isinstance(sha, str) and sha else ""


Said = Callable[[dict[str, Any], str], str]
"""A remedy said from the envelope's context fields and the ``-w NAME`` (with its leading
blank; else empty) of the workspace the refused command acted in, which every command of a
workspace it names carries unless it names a workspace of its own: followed as printed, the
fix acts where the refusal was (``Session.fix_workspace``). Project-wide commands (routes,
promote, remotes, admin, users, workspaces) take none."""


def _remedies() -> dict[str, Said]:
    """Each remedy a refusal can carry, said with this CLI's commands, from the envelope's
    context fields."""

    def route(body: dict[str, Any]) -> str:
        return _name(body, "route", "ROUTE")

    return {
        Remedy.LIST_WORKSPACES: lambda b, w: (
            "Give -w a workspace name or id from jobferry workspaces list, or set the "
            "context's workspace."
        ),
        Remedy.LIST_ACCESS_KEYS: lambda b, w: (
            "The server's administrator lists each user's access keys with jobferry admin users."
        ),
        Remedy.LIST_CONNECTIONS: lambda b, w: (
            f"jobferry env list connection{w} lists the workspace's connections; register a new "
            f"one with jobferry env put connection NAME{w} --type …"
        ),
        Remedy.UPDATE_CONNECTION: lambda b, w: (
            f"Choose another name, or change it with jobferry env put connection "
            f"{_name(b, 'name', 'NAME')}{w} --type …"
        ),
        Remedy.REGISTER_OBJECT: lambda b, w: (
            f"Register it with jobferry env put {_name(b, 'kind', 'KIND')} "
            f"{_name(b, 'name', 'NAME')}{w} --type …"
        ),
        Remedy.LIST_OBJECTS: lambda b, w: (
            f"jobferry env list {_name(b, 'kind', 'KIND')}{w} lists the workspace's objects of "
            "that kind."
        ),
        Remedy.SHOW_DRIFT: lambda b, w: (
            f"jobferry drift{w} shows how each changed since and who changed it."
        ),
        Remedy.RENAME_JOB: lambda b, w: (
            f"Rename it with jobferry jobs rename {_name(b, 'job_name', 'NAME')} NEW_NAME{w}."
        ),
        Remedy.REFRESH_SHADOW: lambda b, w: _refresh_shadow(b),
        Remedy.ENABLE_ENTERPRISE: lambda b, w: (
            "A workspace admin switches it to enterprise mode with jobferry workspaces settings "
            f"{_name(b, 'workspace', 'WORKSPACE')} --enterprise (it creates the workspace's "
            "production side, and cannot be undone)."
        ),
        Remedy.APPROVAL_OFF: lambda b, w: (
            "Switch approval off first with jobferry workspaces settings "
            f"{_name(b, 'workspace', 'WORKSPACE')} --no-approval, then switch it to "
            "enterprise mode."
        ),
        Remedy.RELEASE_FROM_DEVELOPMENT: lambda b, w: (
            "Make the change in the development workspace, submit it, then package it with "
            f"{RELEASE_CREATE}{w} and release that package with jobferry releases deploy "
            f"ID{w} (the ID the first prints)."
        ),
        Remedy.START_IN_PRODUCTION: lambda b, w: (
            f"Release it (package it with {RELEASE_CREATE}{w}, then jobferry releases deploy "
            f"ID{w} with the ID it prints, which starts a new batch job), then start it there: "
            f"jobferry jobs start {_name(b, 'job_name', 'NAME')} -w {_production(b)}."
        ),
        Remedy.LIST_RELEASE_PACKAGES: lambda b, w: (
            f"jobferry releases list{w} lists the workspace's release packages."
        ),
        Remedy.SHOW_RELEASE_PACKAGE: lambda b, w: (
            f"jobferry releases show {_name(b, 'package_id', 'ID')}{w} shows where it stands."
        ),
        Remedy.MEND_PACKAGE_REQUEST: lambda b, w: (
            f"Package them again with jobferry releases create NAME --approver USER --item ID{w} "
            "(a NAME of 1 to 256 characters; --item for each of 1 to 100 pending items, or "
            f"--all, as jobferry releases pending{w} lists them; --approver for each approver, "
            "holding admin or deployer)."
        ),
        Remedy.PACKAGE_AGAIN: lambda b, w: (
            f"Cancel it with jobferry releases cancel {_name(b, 'package_id', 'ID')}{w}, then "
            f"package its items again with jobferry releases create{w}."
        ),
        Remedy.DEPLOY_WITHOUT_START: lambda b, w: (
            "Deploy it without starting new jobs (jobferry releases deploy "
            f"{_name(b, 'package_id', 'ID')} --no-start{w}), or give each job's schedule a cron "
            "expression in development, submit it and package it again."
        ),
        Remedy.TAKE_IN_WITHOUT_START: lambda b, w: (
            "Import it without --start (new jobs stay stopped), or give each job's schedule a "
            "cron expression on the server it was released from and export the release again."
        ),
        Remedy.REPLAN_RELEASE: lambda b, w: (
            f"Review the change in production, then plan the release package "
            f"again (jobferry releases plan {_name(b, 'package_id', 'ID')}{w}) and deploy it, "
            f"or cancel it with jobferry releases cancel{w}."
        ),
        Remedy.APPROVE_PLAN: lambda b, w: (
            _others_approve(b)
            or (
                f"Approvers sign the plan: jobferry routes approve {_name(b, 'route', 'ROUTE')} "
                f"{_name(b, 'plan_id', 'PLAN')} --key FILE."
            )
            if b.get("route")
            else _others_approve(b)
            or (
                "Approvers sign the plan: jobferry releases approve "
                f"{_name(b, 'package_id', 'ID')} --key FILE{w}."
            )
        ),
        Remedy.REGISTER_APPROVAL_KEY: lambda b, w: (
            "Register your public key with jobferry users keys add FILE.pub (jobferry users "
            "keys list lists yours), then sign with its private key."
        ),
        Remedy.NEW_APPROVAL_KEY: lambda b, w: (
            "Make a new key pair with jobferry users keys new FILE, then register it with "
            "jobferry users keys add FILE.pub."
        ),
        Remedy.LIST_APPROVAL_KEYS: lambda b, w: (
            "jobferry users keys list lists your approval keys by key id."
        ),
        Remedy.READ_RELEASE_LEDGER: lambda b, w: (
            f"jobferry releases ledger{w} lists the releases in order: roll back the last one "
            f"(jobferry releases rollback --last{w}), or bring an earlier one back with jobferry "
            f"releases restore{w}."
        ),
        Remedy.SCHEDULE_AS_RELEASED: lambda b, w: (
            "Start or stop each job named as the release left it (jobferry jobs start|stop "
            f"NAME -w {_name(b, 'workspace', 'PRODUCTION')}), then run "
            f"jobferry releases rollback{w} again; change its scheduling after the rollback if "
            "you want it otherwise."
        ),
        Remedy.PLAN_AGAIN: lambda b, w: _plan_again(b),  # promote: project-wide
        Remedy.LIST_TASKS: lambda b, w: f"jobferry tasks list{w} lists the workspace's tasks.",
        Remedy.READ_AGAIN: lambda b, w: (
            f"Read it again (jobferry pull DIR{w} writes the workspace's definitions as files) and "
            "make your change to what is stored now."
        ),
        Remedy.FOLLOW_TASK: lambda b, w: (
            f"Follow it with jobferry tasks show {_name(b, 'task_id', 'TASK')} --wait"
            + (f" -w {_name(b, 'workspace', '')}" if b.get("workspace") else w)
            + ", and try again when it has ended."
        ),
        Remedy.LIST_REMOTES: lambda b, w: "jobferry remotes list lists them.",
        Remedy.EXPORT_WORKSPACE: lambda b, w: (
            "Export the whole workspace on the remote's side (jobferry export --workspace-all) "
            "and carry that."
        ),
        Remedy.CARRY_IN: lambda b, w: (
            f"Take its packages in with jobferry promote {route(b)} --in FILE on this server."
        ),
        Remedy.CUT_PACKAGE: lambda b, w: f"Promote along it with jobferry promote {route(b)}.",
        Remedy.CUT_OUT: lambda b, w: (
            (
                f"Take it in with route {_quoted(b['package_route'])} (jobferry promote "
                f"{_quoted(b['package_route'])} --in FILE), or cut"
                if b.get("package_route")
                else "Cut"
            )
            + f" one for this route on the source server with jobferry promote {route(b)} "
            "--out FILE."
        ),
        Remedy.EDIT_ROUTE_SOURCE: lambda b, w: (
            "Take in packages of the route's source only, or change the route's source with "
            f"jobferry routes edit {route(b)} --from-carried --from-id ID."
        ),
        Remedy.CUT_FULL_PACKAGE: lambda b, w: (
            f"Take in the package before it{_sha(b)} first (jobferry promote {route(b)} --in "
            f"FILE), or cut a full one on the source server with jobferry promote {route(b)} "
            "--out FILE --full."
        ),
        Remedy.ROLL_BACK_FIRST: lambda b, w: (
            "Nothing needs doing; to import it again, roll that import back first: jobferry "
            f"rollback {_name(b, 'task_id', 'TASK')}{_in_target(b) or w}."
        ),
        Remedy.RECORD_PROMOTION_IMPORT: lambda b, w: (
            f"Import the promotion's package with jobferry promote {route(b)} --apply, which "
            "records its task."
        ),
        Remedy.CARRIED_END: lambda b, w: _carried_end(b),  # routes: project-wide
        Remedy.LIST_ROUTES: lambda b, w: "jobferry routes list lists them.",
        Remedy.LIST_PROFILES: lambda b, w: f"jobferry profiles list{w} lists them.",
        Remedy.LIST_TRUSTED_KEYS: lambda b, w: f"jobferry keys list{w} lists the trusted keys.",
        Remedy.CREATE_SIGNING_KEY: lambda b, w: f"Create one with jobferry keys create{w}.",
        Remedy.TRUST_SOURCE_KEY: _trust_source_key,
        Remedy.DISTRUSTED_SIGNER: lambda b, w: (
            "Ask its sender to sign it again with a key this workspace trusts (jobferry keys "
            f"list{w}); if distrusting the key was a mistake, trust it again: jobferry keys trust "
            f"NAME {_name(b, 'public_key', 'ed25519:…')}{_in_target(b, 'workspace') or w}."
        ),
        Remedy.DISTRUSTED_APPROVER: lambda b, w: (
            f"Have {_name(b, 'user', 'the approver')} approve the package again on its server "
            "with an approval key this workspace trusts (jobferry users keys new there, then "
            f"jobferry keys trust NAME KEY{w} here), export the signed release again (jobferry "
            "releases export) and import it; if distrusting the key was a mistake, trust it "
            f"again: jobferry keys trust NAME {_name(b, 'public_key', 'ed25519:…')}"
            f"{_in_target(b, 'workspace') or w}."
        ),
        Remedy.CARRY_APPROVED_AGAIN: lambda b, w: (
            "Have its package approved on its server (jobferry releases approve ID --key FILE "
            "there, or a new package of its changes), export the signed release again "
            "(jobferry releases export ID --out FILE) and import it here (jobferry releases "
            f"import FILE{w})"
            + (
                f"; to have production hold it again, restore it: jobferry releases restore "
                f"--entry {b['entry_id']}{w}."
                if b.get("entry_id")
                else "."
            )
        ),
        Remedy.EXPORT_IN_BACKGROUND: lambda b, w: (
            f"Give the names in a file (jobferry export --names-file FILE{w}): it exports them in "
            "the background, as many as you name."
        ),
        Remedy.EXPORT_DEVELOPMENT: lambda b, w: (
            "Export their development states (export --status develop, the default), or submit "
            "a version of each first: import or apply it with --status submitted (the default)."
        ),
        Remedy.SUBMIT_JOB: lambda b, w: (
            "Submit a version first: import or apply it with --status submitted (the default)."
        ),
        Remedy.SHOW_DEVELOPMENT_STATE: lambda b, w: (
            "Show its development state with jobferry jobs show "
            f"{_name(b, 'job_name', 'NAME')}{w} (without --submitted), or submit a version "
            "first: import or apply it with --status submitted (the default)."
        ),
        Remedy.SCHEDULABLE_VERSION: lambda b, w: (
            "Give its schedule a cron expression (e.g. '0 30 2 * * ?'), or stop it first "
            f"(jobferry jobs stop {_name(b, 'job_name', 'NAME')}{w})."
        ),
        Remedy.RELEASE_LOCK: lambda b, w: (
            f"Ask {_name(b, 'holder', 'its holder')} to release the lock with jobferry "
            f"{'script' if b.get('kind') == 'script' else 'job'}s unlock "
            f"{_name(b, 'name', 'NAME')}{w}, or a workspace admin to run it for them (jobferry "
            f"locks list{w} shows every lock)."
        ),
        Remedy.STOP_JOB: lambda b, w: (
            f"Stop it first with jobferry jobs stop {_name(b, 'job_name', 'NAME')}{w}, then try "
            "again."
        ),
        Remedy.CREATE_PROFILE: lambda b, w: (
            f"Save it with jobferry profiles put {_name(b, 'profile', 'NAME')} -f FILE{w}, or give "
            "the profile's file instead (--profile-map FILE)."
        ),
        Remedy.ROUTE_PROFILE: lambda b, w: (
            f"Save it there first (jobferry profiles put {_name(b, 'profile', 'NAME')} -f FILE "
            f"-w {_name(b, 'workspace', 'WORKSPACE')}), or name another profile of that workspace "
            "(--profile NAME)."
        ),
        Remedy.FOLLOW_POLICY: lambda b, w: (
            "Change what the plan does so it keeps the rule"
            + (", or wait for the freeze window to end" if _freeze(b) else "")
            + "; an admin can read and change the policy with jobferry policies show"
            f"{_policy_of(b, w)} and jobferry policies put -f FILE{_policy_of(b, w)}."
        ),
        Remedy.RELEASE_POLICY: lambda b, w: (
            _release_policy(b, w)
            + "; an admin can read and change the policy with jobferry policies show"
            f"{_policy_of(b, w)} and jobferry policies put -f FILE{_policy_of(b, w)}."
        ),
        Remedy.SAVE_POLICY: lambda b, w: (
            f"Save one with jobferry policies put -f FILE{_policy_of(b, w)}."
        ),
        Remedy.LIST_DOWNLOADS: lambda b, w: (
            f"jobferry downloads list{w} lists the workspace's packages by id."
        ),
        Remedy.KEEP_PROJECT_ADMIN: lambda b, w: (
            "Make another user a project admin first: jobferry admin set-project-admin USER "
            "(a new user: jobferry admin create-user NAME --project-admin)."
        ),
    }


REMEDIES = _remedies()
"""Every remedy, said with this CLI's commands (``tests/test_wording.py`` holds it whole)."""


def refusal_text(message: str, body: dict[str, Any], workspace: str | None = None) -> str:
    """What the CLI prints of an error envelope: its problem and, when it carries a remedy
    this CLI knows, the fix in the CLI's commands (with ``-w workspace`` where a command acts
    in one: the refused command's, when not the context's own); else the server's message."""
    remedy, problem = body.get("remedy"), body.get("problem")
    said = REMEDIES.get(str(remedy)) if remedy else None
    if said is None or not isinstance(problem, str):
        return message
    return f"{problem} {said(body, _in_workspace(workspace))}"
