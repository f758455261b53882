"""What the console tells a person to do, in the console's and the CLI's own terms.

The services word their fixes for API clients ("PUT /environment/connection/dws_conn",
"import with sameNamePolicy SKIP"): a console user never sees those calls or fields. Here an
import problem's fix (by its reason and reference) and a refusal's message (by its error
class) are said again with the console's pages and buttons, and the ``jobferry`` command
that does the same, wherever the console shows them: the import wizard's check and plan
steps, a task's problems, and every page's error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from jobferry.console.job_fixes import JOB_REMEDIES
from jobferry.console.release_fixes import (
    RELEASE_REMEDIES,
    approval_refusal,
    approve_plan,
    release_refusal,
    release_worded,
)
from jobferry.console.remote_fixes import REMOTE_REMEDIES
from jobferry.console.route_fixes import route_refusal
from jobferry.console.wizard import MAPPING_TYPES
from jobferry.domain.enums import EnvironmentKind, ProblemReason, PushRule, RefKind
from jobferry.domain.remedies import Remedy, rules_named
from jobferry.errors import (
    EnvironmentObjectNotFoundError,
    ImportRunningError,
    JobExistsError,
    JobferryError,
    KeyNotFoundError,
    PlanStaleError,
    ProfileNotFoundError,
    ScriptExistsError,
)
from jobferry.services.importing.plan import Plan

ENVIRONMENT_PAGE = "Admin → Environment objects"
KEYS_PAGE = "Admin → Signing and trusted keys"
SKIP_OPTION = (
    "go back to the options and choose to skip objects of that name (“Skip it (keep the target's)”)"
)
KEEP_OPTION = "keep it: untick “Delete what the source deleted”"


API_WORDS = {
    "AUTO keeps the target's objects": "this workspace's objects are kept",
    "AUTO overwrites the objects that changed": "the objects that changed are overwritten",
}
"""The API's field names the services' texts use, as the console says them."""


def spoken(text: str) -> str:
    """A service's text (a problem's detail, a signature's) with the API's field names said in
    the console's terms."""
    for api, console in API_WORDS.items():
        text = text.replace(api, console)
    return text


def spoken_plan(plan: Plan) -> Plan:
    """A plan whose signature detail and same-name decision are said in the console's terms."""
    policy, signature = plan.policy, plan.signature
    return replace(
        plan,
        policy=None if policy is None else replace(policy, why=spoken(policy.why)),
        signature=None
        if signature is None
        else replace(signature, detail=spoken(signature.detail)),
    )


def _named(kind: str) -> str:
    return kind.replace("_", " ")


def _missing_reference(problem: dict[str, Any], workspace: str, in_wizard: bool) -> str | None:
    reference = problem.get("reference") or {}
    kind, name = str(reference.get("kind") or ""), reference.get("name")
    if kind in MAPPING_TYPES and kind != EnvironmentKind.CDM_JOB:
        where = "below" if in_wizard else "in the import wizard's check step"
        return (
            f"Map {_named(kind)} '{name}' {where} to one that exists in '{workspace}', or add "
            f"'{name}'{_as_the_source_has_it(problem)} under {ENVIRONMENT_PAGE} (jobferry env "
            f"put {kind} {name} …)."
        )
    if kind in (RefKind.SCRIPT, RefKind.RESOURCE, EnvironmentKind.CDM_JOB):
        return (
            f"Export the package again with its dependencies (the export dialog's “Jobs and "
            f"their dependency scripts and resource definitions”; jobferry export without "
            f"--no-depend), or create {_named(kind)} '{name}' in '{workspace}' first."
        )
    if kind == RefKind.JOB:
        return (
            "Export the package again with upstream jobs (the export dialog's “With upstream "
            f"jobs”; jobferry export --with-upstream), or import job '{name}' into "
            f"'{workspace}' first."
        )
    return None


def _as_the_source_has_it(problem: dict[str, Any]) -> str:
    """What the package says the missing object is in the source (its ``needs``), in words:
    `` of type DWS, with its secret password``; empty when it says nothing."""
    said_of = problem.get("needs")
    needs: dict[str, Any] = said_of if isinstance(said_of, dict) else {}
    type_ = needs.get("type")
    secrets = [str(key) for key in needs.get("secrets") or []]
    said = f" of type {type_}" if isinstance(type_, str) and type_ else ""
    if secrets:
        said += f", with its secret{'s' if len(secrets) > 1 else ''} {', '.join(secrets)}"
    return said


def _signature(problem: dict[str, Any]) -> str:
    detail = str(problem.get("detail") or "")
    if "is untrusted" in detail:
        return (
            f"Trust the key that signed it under {KEYS_PAGE} (jobferry keys trust NAME "
            "'ed25519:…'), or import a package signed by a key this workspace trusts."
        )
    if "is unsigned" in detail:
        return (
            "Sign the package (jobferry package sign FILE --key KEY.pem), or export it from a "
            f"workspace that has a signing key ({KEYS_PAGE} there)."
        )
    return (
        "Export the package again from its source and carry it unchanged: a package changed "
        "since it was signed is never imported."
    )


AGAIN = "export again"
AGAIN_ALONG_ROUTE = "promote again (Promote now on the route's page)"
"""How a change made at the source reaches the target: a new package, or the next promotion."""


def console_fix(
    problem: dict[str, Any], workspace: str, *, in_wizard: bool = True, again: str = AGAIN
) -> dict[str, Any]:
    """An import problem with its fix said in the console's terms (``in_wizard``: shown in
    the wizard's check step, where mappings are made below the problems; ``again``: how a
    change made at the source comes here, :data:`AGAIN` or :data:`AGAIN_ALONG_ROUTE`)."""
    reason = problem.get("reason")
    if problem.get("detail"):
        problem = {**problem, "detail": spoken(str(problem["detail"]))}
    fix: str | None = None
    if reason == ProblemReason.MISSING_REFERENCE:
        fix = _missing_reference(problem, workspace, in_wizard)
    elif reason == ProblemReason.MISSING_SECRET:
        where = " below" if in_wizard else " in the import wizard's check step"
        fix = (
            f"Set the connection's secrets under {ENVIRONMENT_PAGE} (jobferry env put "
            f"connection NAME --secret KEY=…), or map it{where} to another connection."
        )
    elif reason == ProblemReason.SIGNATURE:
        fix = _signature(problem)
    elif reason == ProblemReason.DRIFT:
        fix = (
            f"Carry the change back to the source and {again}, or go back to the options "
            "and choose, for objects changed here since, “Keep this workspace's version” or "
            "“Overwrite the change with the package's”."
        )
    elif reason == ProblemReason.OLDER_PACKAGE:
        keep = {
            "DELETE": "untick “Delete what the source deleted”",
            "CREATE": "choose “Keep this workspace's version” (it stays deleted)",
        }.get(str(problem.get("action")), "choose “Keep this workspace's version”")
        fix = (
            f"Import a package exported from the source since, or go back to the options and "
            f"{keep} or “Overwrite the change with the package's”."
        )
    elif reason == ProblemReason.TIME_ZONE:
        fix = (
            "Go back to the options and choose “Keep the wall-clock time” for the time-zone "
            "move, or change the schedule in the source so the move can be expressed, and "
            f"{again}."
        )
    else:
        fix = _target_fix(problem, workspace)
    return problem if fix is None else {**problem, "fix": fix}


def _target_fix(problem: dict[str, Any], workspace: str) -> str | None:
    """The fixes of what the target holds: a job scheduled there, a lock, a name taken, a
    remote written all or nothing."""
    reason = problem.get("reason")
    if reason == ProblemReason.SCHEDULED and problem.get("action") == "DELETE":
        return (
            f"Stop its scheduling on its job page in '{workspace}' (Stop scheduling), go back "
            "to the options and choose to pause a scheduled job (“Pause it during the import”), "
            f"or {KEEP_OPTION}."
        )
    if reason == ProblemReason.SCHEDULED:
        return (
            f"Stop its scheduling on its job page in '{workspace}' (Stop scheduling), or "
            f"{SKIP_OPTION}."
        )
    if reason == ProblemReason.LOCKED:
        kept = KEEP_OPTION if problem.get("action") == "DELETE" else SKIP_OPTION
        return f"Ask the lock's holder to release it, or {kept}."
    if reason == ProblemReason.REMOTE and problem.get("kind") == "package":
        if problem.get("rule") == PushRule.SUBMITS:
            return (
                "Go back to the options and choose “Submitted (a new version)”: the remote "
                "submits every job a push writes."
            )
        return (
            "Go back to the options and choose “Atomic: import nothing”: a remote is written "
            "all or nothing."
        )
    if reason == ProblemReason.NAME_CONFLICT:
        return (
            f"Rename or delete that object in '{workspace}', or, if the source deleted it, go "
            "back to the options and choose “Delete what the source deleted”."
        )
    return None


def console_problems(
    problems: Iterable[dict[str, Any]],
    workspace: str,
    *,
    in_wizard: bool = True,
    route: str = "",
) -> list[dict[str, Any]]:
    """Every problem with its fix in the console's terms (``route``: the route whose
    promotion the plan is, whose fixes promote again rather than export again)."""
    again = AGAIN_ALONG_ROUTE if route else AGAIN
    return [console_fix(p, workspace, in_wizard=in_wizard, again=again) for p in problems]


def without_fix(message: str) -> str:
    """A task's per-object message without the API's fix (the page lists each problem with
    its console fix): ``detail — fix: …`` → ``detail``."""
    return "; ".join(part.split(" — fix: ", 1)[0] for part in message.split("; "))


def release_spoken(text: str) -> str:
    """A release refusal's text (or one problem of a refused package) in the console's terms
    (``release_fixes.release_worded``, then the API's field names)."""
    return spoken(release_worded(text))


def _running(context: dict[str, Any]) -> str:
    """An import or rollback refused because another runs (``running`` says which)."""
    what = str(context.get("running") or "import").capitalize()
    return (
        f"{what} task {context.get('task_id')} is running in this workspace; imports and "
        "rollbacks run one at a time. Follow it on the Tasks page, and try again when it has "
        "ended."
    )


def said(exc: JobferryError) -> str:
    """A refusal's message, said with the console's pages where the service names API calls."""
    context = exc.context
    if isinstance(exc, ImportRunningError):
        return _running(context)
    if isinstance(exc, PlanStaleError):
        return _stale(exc)
    if isinstance(exc, JobExistsError | ScriptExistsError):
        kind = "job" if isinstance(exc, JobExistsError) else "script"
        name = context.get(f"{kind}_name", "")
        return (
            f"A {kind} named '{name}' already exists in this workspace; open it and choose "
            f"Edit to change it, or give this one another name."
        )
    if isinstance(exc, EnvironmentObjectNotFoundError):
        kind, name = context.get("kind", "object"), context.get("name", "")
        return (
            f"The {_named(str(kind))} '{name}' is not registered in this workspace; add it "
            f"under {ENVIRONMENT_PAGE} (jobferry env put {kind} {name} …)."
        )
    if isinstance(exc, ProfileNotFoundError):
        return (
            f"Environment profile '{context.get('profile')}' does not exist in this "
            "workspace; save it under Admin → Environment profiles (jobferry profiles put "
            "NAME -f FILE), or choose another."
        )
    topical = _topical(exc)
    if topical is not None:
        return topical
    if isinstance(exc, KeyNotFoundError) and exc.remedy is None:
        if context.get("key_id"):
            return (
                f"This workspace does not trust a key with id '{context['key_id']}'; the "
                f"trusted keys are listed under {KEYS_PAGE}."
            )
        return (
            f"This workspace has no signing key; create one under {KEYS_PAGE} (jobferry keys "
            "create)."
        )
    remedy = REMEDIES.get(str(exc.remedy)) if exc.remedy else None
    return exc.message if remedy is None else f"{exc.problem} {remedy(exc.context)}"


def _stale(exc: PlanStaleError) -> str:
    """A stale plan's refusal: what changed since, when the server named it, and the way back."""
    back = "go back to the check step, review the new plan and import again."
    if exc.context.get("changed"):
        return f"{exc.problem} To import, {back}"
    return (
        "The workspace changed since this plan was made (or the plan is gone), so nothing "
        f"was imported: {back}"
    )


def _remedies() -> dict[str, Callable[[dict[str, Any]], str]]:
    """Each remedy a refusal can carry, said with the console's pages (and the ``jobferry``
    command that does the same), from the error's context."""
    promote = "Promote along it from its page (Routes), which cuts its package."
    return {
        Remedy.LIST_WORKSPACES: lambda c: "Choose one of your workspaces at the top of the page.",
        Remedy.LIST_ACCESS_KEYS: lambda c: "Admin → Users and roles lists each user's keys.",
        Remedy.LIST_CONNECTIONS: lambda c: f"{ENVIRONMENT_PAGE} lists the connections.",
        Remedy.UPDATE_CONNECTION: lambda c: (
            f"Choose another name, or edit that connection under {ENVIRONMENT_PAGE}."
        ),
        Remedy.REGISTER_OBJECT: lambda c: (
            f"Add {_named(str(c.get('kind', 'it')))} '{c.get('name', '')}' under "
            f"{ENVIRONMENT_PAGE}."
        ),
        Remedy.LIST_OBJECTS: lambda c: (
            f"{ENVIRONMENT_PAGE} lists the workspace's {_named(str(c.get('kind', 'object')))}s."
        ),
        Remedy.SHOW_DRIFT: lambda c: (
            "Jobs → Changed since promoted shows how each changed since and who changed it."
        ),
        Remedy.RENAME_JOB: lambda c: (
            "Keep the job's name in the editor; rename a job with jobferry jobs rename NAME "
            "NEW_NAME."
        ),
        **RELEASE_REMEDIES,
        **REMOTE_REMEDIES,
        **JOB_REMEDIES,
        Remedy.APPROVE_PLAN: approve_plan,
        Remedy.REGISTER_APPROVAL_KEY: lambda c: (
            "Register your public key from the command line (jobferry users keys add), then "
            "sign with its private key."
        ),
        Remedy.NEW_APPROVAL_KEY: lambda c: (
            "Make a new key pair from the command line (jobferry users keys new), then register "
            "it (jobferry users keys add)."
        ),
        Remedy.LIST_APPROVAL_KEYS: lambda c: (
            "Your approval keys are listed from the command line: jobferry users keys list."
        ),
        Remedy.PLAN_AGAIN: lambda c: (
            "Go back to the import's check step, review the new plan and import again."
        ),
        Remedy.LIST_TASKS: lambda c: "The Tasks page lists the workspace's tasks.",
        Remedy.READ_AGAIN: lambda c: (
            "Your text is kept below: copy what you need and open Edit again to start from "
            "what is stored now, or choose Review and save to replace that change with your text."
        ),
        Remedy.FOLLOW_TASK: lambda c: (
            "Follow it on the Tasks page, and try again when it has ended."
        ),
        Remedy.LIST_REMOTES: lambda c: "Admin → Remotes lists them.",
        Remedy.EXPORT_WORKSPACE: lambda c: (
            "Export the whole workspace on the remote's side (Workspace export) and carry that."
        ),
        Remedy.CARRY_IN: lambda c: (
            "Take its packages in with the command line: jobferry promote ROUTE --in FILE."
        ),
        Remedy.CUT_PACKAGE: lambda c: promote,
        Remedy.CUT_OUT: lambda c: (
            "Cut a package for this route on its source server (jobferry promote ROUTE --out "
            "FILE there)."
        ),
        Remedy.EDIT_ROUTE_SOURCE: lambda c: (
            "Take in packages of the route's source only, or change the route's source on its "
            "page (Routes)."
        ),
        Remedy.CUT_FULL_PACKAGE: lambda c: (
            "Take in the package before it"
            + (f" (sha256 {c['missing_sha256']})" if c.get("missing_sha256") else "")
            + " first, or cut a full one on the source server (jobferry promote ROUTE --out "
            "FILE --full there)."
        ),
        Remedy.ROLL_BACK_FIRST: lambda c: (
            "Nothing needs doing; to import it again, roll that import back first on its task "
            "page (Tasks)."
        ),
        Remedy.RECORD_PROMOTION_IMPORT: lambda c: promote,
        Remedy.CARRIED_END: lambda c: (
            "Create that workspace first, or make that end of the route carried (on another "
            "server) on the route's page (Routes)."
        ),
        Remedy.LIST_ROUTES: lambda c: "The Routes page lists them.",
        Remedy.LIST_PROFILES: lambda c: "Admin → Environment profiles lists them.",
        Remedy.LIST_TRUSTED_KEYS: lambda c: f"{KEYS_PAGE} lists the trusted keys.",
        Remedy.CREATE_SIGNING_KEY: lambda c: f"Create one under {KEYS_PAGE}.",
        Remedy.DISTRUSTED_SIGNER: lambda c: (
            "Ask its sender to sign it again with a key this workspace trusts; if distrusting "
            f"the key was a mistake, trust it again under {KEYS_PAGE} (Trust again)."
        ),
        Remedy.TRUST_SOURCE_KEY: lambda c: (
            f"Give the source workspace a signing key ({KEYS_PAGE} there) and cut the package "
            f"again, or trust the source's key here under {KEYS_PAGE}."
        ),
        Remedy.EXPORT_IN_BACKGROUND: lambda c: (
            "Export them with Export by names, which exports in the background."
        ),
        Remedy.CREATE_PROFILE: lambda c: (
            "Save it under Admin → Environment profiles, or choose another."
        ),
        Remedy.ROUTE_PROFILE: lambda c: (
            "Save it first under Admin → Environment profiles of the route's target workspace, "
            "or choose another profile for the route."
        ),
        Remedy.FOLLOW_POLICY: lambda c: (
            "Change what the plan does so it keeps the rule"
            + (", or wait for the freeze window to end" if "freeze" in rules_named(c) else "")
            + "; an admin can change the policy under Admin → Policies."
        ),
        Remedy.SAVE_POLICY: lambda c: "Save one under Admin → Policies.",
        Remedy.LIST_DOWNLOADS: lambda c: "The Download center lists the workspace's packages.",
        Remedy.KEEP_PROJECT_ADMIN: lambda c: (
            "Make another user a project admin first: choose them under Project admin and "
            "press Make project admin (or tick Project admin as you create a user)."
        ),
    }


REMEDIES = _remedies()
"""Every remedy, said with the console's pages (``tests/test_wording.py`` holds it whole)."""


def _topical(exc: JobferryError) -> str | None:
    """A refusal about a route or a release package, said with their pages (``None``: neither)."""
    released = release_refusal(exc)
    return approval_refusal(exc) or (released and spoken(released)) or route_refusal(exc)


def task_refused(message: str, result: dict[str, Any]) -> str:
    """A task failed by a refusal (its result keeps the refusal's ``problem`` and ``remedy``:
    ``services.tasks.refusal_result``), its fix said with the console's pages; its message as
    it is when the refusal had no remedy."""
    remedy = REMEDIES.get(str(result.get("remedy"))) if result.get("remedy") else None
    if remedy is None or not result.get("problem"):
        return message
    return f"{result['problem']} {remedy(result)}"
