"""What the console tells a person about release packages and their approvals: a plan
problem's fix (in the API's words) in a refused package said with the Releases pages, and an
approval's refusal said by the rule it broke (``fixes.said`` asks here first)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from jobferry.domain.enums import ENVIRONMENT_KINDS, EnvironmentKind, ObjectKind, ProblemReason
from jobferry.domain.policies import release_changes, repackaging, rules_broken
from jobferry.domain.releases import MAX_PACKAGE_ITEMS
from jobferry.domain.remedies import Remedy, rules_named
from jobferry.errors import (
    ApprovalRefusedError,
    JobferryError,
    PackageReleasedError,
    ReleasePackageNotFoundError,
)
from jobferry.services.releases.checks import NO_APPROVER, NO_ITEMS, NO_NAME

PACKAGE_PROBLEMS = {
    NO_NAME: "the package needs a name",
    NO_ITEMS: f"no pending item is ticked; tick 1 to {MAX_PACKAGE_ITEMS}",
    NO_APPROVER: "no approver is chosen; choose at least one member holding admin or deployer",
}
"""A refused package's problems the package form says in its own words."""
TOO_FEW_APPROVERS = re.compile(r"requires \d+ signed approvals? of a release package")
"""The problem of a package naming fewer approvers than the workspace's rule requires."""


def package_fields(problems: list[str]) -> frozenset[str]:
    """The package form's fields a refused package's problems are about (marked invalid on
    the form): its name, and its approvers (none chosen, or fewer than the rule requires)."""
    fields = {"package_name"} if NO_NAME in problems else set()
    if NO_APPROVER in problems or any(TOO_FEW_APPROVERS.search(p) for p in problems):
        fields.add("approver")
    return frozenset(fields)


RELEASE_ERRORS = (PackageReleasedError, ReleasePackageNotFoundError)
API_FIX = re.compile(r"\b(?:GET|PUT|POST|DELETE) |/v[12]/|/environment/|\b[a-z]+[A-Z]\w*\b")
"""A plan problem's fix in the API's words (a call, a path, a request field)."""


PRODUCTION_LACKS = (
    "production lacks it: tick its pending item into the package too, or release it first"
)
BEFORE_THE_SWITCH = (
    "one submitted before the workspace's switch to enterprise mode has no pending item: "
    "export what the workspace submitted (Workspace export, job status Submitted version) and "
    "import that package here with the target status Production"
)
REGISTER_HERE = "register it in this workspace under Admin → Environment objects"


def plan_problem_said(problem: dict[str, Any]) -> str:
    """One problem of a refused release package's plan (its typed form, ``plan_problems``),
    its fix said with the console's pages from its reason and reference, not its text."""
    detail = str(problem.get("detail") or "")
    ref = problem.get("reference")
    kind = ref.get("kind") if isinstance(ref, dict) else None
    if problem.get("reason") == ProblemReason.MISSING_REFERENCE and kind is not None:
        if kind in (ObjectKind.JOB, ObjectKind.SCRIPT):
            return f"{detail} — {PRODUCTION_LACKS}; {BEFORE_THE_SWITCH}"
        if kind in ENVIRONMENT_KINDS and kind != EnvironmentKind.CDM_JOB:
            return f"{detail} — production takes this workspace's: {REGISTER_HERE}"
    fix = problem.get("fix")
    return release_worded(f"{detail} ({fix})" if fix else detail)


def plan_refused(exc: JobferryError) -> str | None:
    """A package refused for its plan's problems (``None``: another refusal), each said."""
    typed = exc.context.get("plan_problems")
    if not isinstance(typed, list) or not typed:
        return None
    said = "; ".join(plan_problem_said(p) for p in typed if isinstance(p, dict))
    return (
        f"The release package's plan into production found {len(typed)} problem(s); it was "
        f"not planned: {said}."
    )


def release_worded(text: str) -> str:
    """A release refusal's text (or one problem of a refused package) in the console's terms:
    a plan problem's fix (in the API's words) replaced by what to do in an enterprise
    workspace."""
    if text in PACKAGE_PROBLEMS:
        return PACKAGE_PROBLEMS[text]
    start = _last_group(text)
    if start is not None and API_FIX.search(text[start:]):
        text = (
            f"{text[:start].rstrip()} — {PRODUCTION_LACKS} (or register it for production under "
            "Admin → Environment objects)"
        )
    return text


def _last_group(text: str) -> int | None:
    """Where the parenthesised group ending ``text`` opens (``None``: it ends otherwise):
    a plan problem's fix, after a detail that may hold parentheses of its own."""
    if not text.endswith(")"):
        return None
    depth = 0
    for at in range(len(text) - 1, -1, -1):
        depth += {")": 1, "(": -1}.get(text[at], 0)
        if depth == 0:
            return at
    return None


SETTINGS_PAGE = "Admin → Workspace settings"
"""The page where a workspace admin changes the workspace's settings and mode."""
APPROVE_HERE = "on its Approvals page (Approve with my key) or with jobferry releases approve"
ROUTE_APPROVE_HERE = (
    "on the plan's Approvals page (linked from its promotion's plan; Approve with my key) or "
    "with jobferry routes approve"
)


def _approval_fixes(here: str) -> dict[str, str]:
    return {
        "approval.self": f"One of its approvers approves it, {here}.",
        "approval.approver": f"One of its approvers approves it, {here}.",
        "approval.plan": "Open its Approvals page again and approve the plan as it is now.",
        "approval.signature": (
            "Choose the private key file of that key (the file jobferry users keys new wrote) "
            "and approve again."
        ),
    }


APPROVAL_FIXES = _approval_fixes(APPROVE_HERE)
"""A release package's approval refused, by the rule it broke: what to do instead."""
ROUTE_APPROVAL_FIXES = _approval_fixes(ROUTE_APPROVE_HERE)
"""A route plan's approval refused, by the rule it broke: what to do instead."""


def approve_plan(context: dict[str, Any]) -> str:
    """How a plan gets approved: an approval's refusal said by its rule (a release package's
    or a route plan's); otherwise (a deploy or a route's import short of approvals) where
    approvers sign."""
    rule = str(context.get("rule"))
    if "package_id" in context and rule in APPROVAL_FIXES:
        return APPROVAL_FIXES[rule]
    if rule == "approval.approvers_gone":
        return (
            "A project admin names approvers who can on the route's page (Routes), then they "
            f"approve the plan, {ROUTE_APPROVE_HERE}."
        )
    if "route" in context:
        return ROUTE_APPROVAL_FIXES.get(
            rule, f"Its approvers sign the plan with their own key, {ROUTE_APPROVE_HERE}."
        )
    return (
        "Approvers sign the plan with their own key: a release package's "
        f"{APPROVE_HERE}, a route's {ROUTE_APPROVE_HERE}."
    )


def approval_refusal(exc: JobferryError, command: str = "releases") -> str | None:
    """An approval posted without its key's id, plan hash or signature (the Approvals page's
    script fills them in), said with the page (``None``: another refusal); ``command``: the
    group whose ``approve`` signs it from the command line."""
    if isinstance(exc, ApprovalRefusedError) and exc.context.get("rule") == "approval.body":
        return (
            "The approval was not kept: it arrived without its signature, key or plan. Choose "
            "your private key file on the Approvals page and approve again (the page signs in "
            f"the browser, which needs its script), or approve with jobferry {command} approve."
        )
    return None


def release_refusal(exc: JobferryError) -> str | None:
    """A refusal about a release package, said with the Releases pages (``None``: not about
    one, or one whose remedy says it)."""
    if exc.remedy is None and (isinstance(exc, RELEASE_ERRORS) or "package_id" in exc.context):
        return release_worded(exc.message)
    return plan_refused(exc)


def _release_policy(context: dict[str, Any]) -> str:
    """What a release package refused by a policy can do, by the rules it breaks."""
    said = repackaging(
        rules_named(context),
        "package the pending items anew (Releases → Pending items) and revoke this package",
        "deploy it again",
    )
    return said + "; an admin can change the policy under Admin → Policies."


def failed_on_policy(outcome: dict[str, Any]) -> str:
    """What to do after a release whose import found a policy's rule broken (the rules that
    read definitions: owners, protected connections), from its task's outcome; blank when no
    problem is a policy's."""
    problems = outcome.get("problems")
    rules = list(dict.fromkeys(rules_broken(problems)))
    changes = release_changes(rules)
    if not changes:
        return ""
    return (
        f"To release it: {changes}; submit what you changed, package the pending items anew "
        "(Releases → Pending items) and revoke this package; or have an admin change the "
        "policy (Admin → Policies) and deploy it again."
    )


RELEASE_REMEDIES: dict[str, Callable[[dict[str, Any]], str]] = {
    Remedy.RELEASE_POLICY: _release_policy,
    Remedy.ENABLE_ENTERPRISE: lambda c: (
        f"A workspace admin switches it to enterprise mode under {SETTINGS_PAGE} (Switch to "
        "enterprise mode), which creates its production side and cannot be undone."
    ),
    Remedy.DISTRUSTED_APPROVER: lambda c: (
        "Have the approver approve the package again on its server with a key this workspace "
        "trusts, and export the signed release again; if distrusting the key was a mistake, "
        "trust it again under Admin → Signing and trusted keys (Trust again)."
    ),
    Remedy.CARRY_APPROVED_AGAIN: lambda c: (
        "Have its package approved on its server (or a new package of its changes), export "
        "the signed release again and import it here"
        + (
            f"; to have production hold it again, restore ledger entry {c['entry_id']} on the "
            "Release ledger page."
            if c.get("entry_id")
            else "."
        )
    ),
    Remedy.APPROVAL_OFF: lambda c: (
        f"Untick Approval under {SETTINGS_PAGE} and save, then switch it to enterprise mode."
    ),
    Remedy.RELEASE_FROM_DEVELOPMENT: lambda c: (
        "Make the change in the development workspace and submit it; it reaches production "
        "when a release package holding it is deployed."
    ),
    Remedy.START_IN_PRODUCTION: lambda c: (
        "Release it: a release package holding it starts a new batch job once deployed, and "
        "its schedule is started and stopped in the production side from then on."
    ),
    Remedy.LIST_RELEASE_PACKAGES: lambda c: "Releases → Packages lists them.",
    Remedy.SHOW_RELEASE_PACKAGE: lambda c: "Its page (Releases → Packages) shows where it stands.",
    Remedy.MEND_PACKAGE_REQUEST: lambda c: (
        "Tick 1 to 100 pending items, name the package (1 to 256 characters) and choose "
        "its approvers, then package them again."
    ),
    Remedy.PACKAGE_AGAIN: lambda c: (
        "Revoke it on its page (Releases → Packages) and package its items again (Releases "
        "→ Pending items)."
    ),
    Remedy.DEPLOY_WITHOUT_START: lambda c: (
        "Deploy it with “Leave scheduling as production has it”, or give each job's schedule "
        "a cron expression in development, submit it and package it again."
    ),
    Remedy.TAKE_IN_WITHOUT_START: lambda c: (
        "Take it in without starting new jobs, or give each job's schedule a cron expression "
        "on the server it was released from and export the release again."
    ),
    Remedy.REPLAN_RELEASE: lambda c: (
        "Review the change in production, then plan the release package again and deploy "
        "it, or cancel it."
    ),
    Remedy.READ_RELEASE_LEDGER: lambda c: (
        "The Release ledger page lists the releases in order: roll back the last one, or "
        "restore an earlier one."
    ),
    Remedy.SCHEDULE_AS_RELEASED: lambda c: (
        "Start or stop each job named, on its page in the production workspace, as the "
        "release left it, then roll the release back again; change its scheduling after "
        "the rollback if you want it otherwise."
    ),
}
"""The remedies of the release flow, said with the Releases pages (``fixes.REMEDIES`` holds
them with every other)."""
