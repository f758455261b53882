"""The rules a release package is made and deployed by: every problem of a package request
at once (items, applicant, approvers, the workspace's rule of signed approvals), who may
deploy, and how a package's state is worded."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from jobferry.domain.audit import AuditQuery
from jobferry.domain.enums import ProblemReason, Role
from jobferry.domain.policies import PolicyRule, release_changes
from jobferry.domain.releases import APPROVER_ROLES, DEPLOY_ROLES, MAX_PACKAGE_ITEMS, DeployStatus
from jobferry.domain.remedies import Remedy
from jobferry.errors import (
    InvalidRequestError,
    PackageReleasedError,
    PermissionDeniedError,
    PolicyViolationError,
)
from jobferry.services.context import Scope
from jobferry.services.importing.expiry import utc_minute
from jobferry.services.importing.model import Problem
from jobferry.services.policies.gate import Found, broken_rules, violation
from jobferry.services.releases.records import (
    APPROVERS_SHAPE,
    ITEMS_SHAPE,
    PackageRequest,
    PackageView,
)
from jobferry.storage import Tx
from jobferry.storage import accounts as account_repo
from jobferry.storage import approvals as approval_repo
from jobferry.storage import audit as audit_repo
from jobferry.storage import releases as repo
from jobferry.storage.releases import ItemRecord, PackageRecord

MAX_NAME = 256
"""The longest name a release package takes (its column's)."""
NO_NAME = f"the package has no name; give it one of 1 to {MAX_NAME} characters"
NO_ITEMS = f"no pending item is named; name 1 to {MAX_PACKAGE_ITEMS}"
NO_APPROVER = (
    "no approver is named; name at least one user holding the admin or deployer role in the "
    "workspace"
)
"""Problems of a package request each client may say in its own words (the console does)."""


def package_problems(
    tx: Tx, scope: Scope, request: PackageRequest, problems: list[str]
) -> tuple[list[ItemRecord], list[dict[str, str]]]:
    """The items and approvers of ``request``, with every rule they break added to
    ``problems`` (said in no client's terms: :func:`request_refused` gives each its fix)."""
    if not request.package_name:
        problems.append(NO_NAME)
    elif len(request.package_name) > MAX_NAME:
        problems.append(
            f"the package's name has {len(request.package_name)} characters; a name has at "
            f"most {MAX_NAME}"
        )
    items = _items(tx, scope, request, problems)
    if request.apply_user_id and request.apply_user_id != str(scope.actor.user_id):
        problems.append(
            f"the applicant named ('{request.apply_user_id}') is not the caller: a package is "
            f"applied for by whoever makes it (user id {scope.actor.user_id})"
        )
    approvers = _approvers(tx, scope, request, problems)
    _approval_rule(tx, scope, request, len(approvers), problems)
    return [i for i in items if i.package_id is None], approvers


def _items(tx: Tx, scope: Scope, request: PackageRequest, problems: list[str]) -> list[ItemRecord]:
    ids = [int(i) for i in request.items if i.isdigit()]
    problems += [f"pending item '{i}' is not an item id" for i in request.items if not i.isdigit()]
    if not request.items and ITEMS_SHAPE not in problems:
        problems.append(NO_ITEMS)
    if len(request.items) > MAX_PACKAGE_ITEMS:
        problems.append(
            f"{len(request.items)} pending items are named; a package takes at most "
            f"{MAX_PACKAGE_ITEMS}"
        )
    found = repo.items_by_id(tx, scope.workspace.id, ids)
    items = [found[i] for i in dict.fromkeys(ids) if i in found]
    problems += [
        f"pending item {i} does not exist in workspace '{scope.workspace.name}'"
        for i in dict.fromkeys(ids)
        if i not in found
    ]
    problems += [
        f"pending item {i.id} ({i.kind} '{i.name}') is in package {i.package_id} already"
        for i in items
        if i.package_id is not None
    ]
    return items


def _approvers(
    tx: Tx, scope: Scope, request: PackageRequest, problems: list[str]
) -> list[dict[str, str]]:
    if not request.approver_ids and APPROVERS_SHAPE not in problems:
        problems.append(NO_APPROVER)
    approvers = []
    for user_id in dict.fromkeys(request.approver_ids):
        user = account_repo.get_user(tx, int(user_id)) if user_id.isdigit() else None
        if user is None or user.project_id != scope.actor.project_id:
            problems.append(f"approver '{user_id}' is not a user of this project")
            continue
        if user.id == scope.actor.user_id or user_id == request.apply_user_id:
            problems.append(
                f"approver '{user.name}' is the applicant; nobody approves their own package"
            )
            continue
        role = account_repo.role_of(tx, user.id, scope.workspace.id)
        if not user.is_project_admin and role not in APPROVER_ROLES:
            problems.append(
                f"approver '{user.name}' has role '{role or 'none'}' in workspace "
                f"'{scope.workspace.name}'; an approver holds admin or deployer"
            )
            continue
        approvers.append({"user_id": str(user.id), "user_name": user.name})
    return approvers


def _approval_rule(
    tx: Tx, scope: Scope, request: PackageRequest, able: int, problems: list[str]
) -> None:
    """A package naming fewer approvers than the workspace's rule requires signed approvals
    could never be deployed (each approval counts once per approver named on it): refused at
    once rather than at every deploy. ``able``: the approvers named who may approve."""
    required = approval_repo.required(tx, scope.workspace.id)
    named = len(dict.fromkeys(request.approver_ids))
    if not required or not named or able >= required:
        return
    who = f"{named} approver{'s are' if named != 1 else ' is'} named"
    if able != named:
        who += f", {able} of them able to approve"
    problems.append(
        f"workspace '{scope.workspace.name}' requires {required} signed "
        f"approval{'s' if required != 1 else ''} of a release package, each by a different "
        f"approver named on it, and {who}: name at "
        f"least {required} approvers (holding admin or deployer), or the package could never "
        "be deployed"
    )


def may_deploy(tx: Tx, scope: Scope, package: PackageView) -> None:
    """Refuse unless the caller may deploy ``package`` and it waits (or its release failed)."""
    record = package.record
    approver = str(scope.actor.user_id) in {a["user_id"] for a in record.approver_list()}
    admin = scope.role is Role.ADMIN
    if record.apply_user_id == str(scope.actor.user_id) or not (
        admin or (approver and scope.role in DEPLOY_ROLES)
    ):
        raise PermissionDeniedError(
            f"User '{scope.actor.name}' has role '{scope.role.value}' in workspace "
            f"'{scope.workspace.name}' and may not deploy release package '{record.id}': a "
            "package is deployed by one of its approvers holding the deployer, operator or "
            "admin role, or by a workspace admin, never by its applicant.",
            package_id=str(record.id),
            workspace=scope.workspace.name,
            role=scope.role.value,
        )
    refusal = not_waiting(tx, scope, package, "deployed")
    if refusal is not None:
        raise refusal


def not_waiting(
    tx: Tx, scope: Scope, package: PackageView, nothing: str
) -> PackageReleasedError | None:
    """The refusal (``DLF.20990``) of what only a package waiting for approval, or whose
    release failed, takes, said as the package stands: cancelled (by whom and when, as the
    audit log recorded it), released (by whom and when) or being released; ``nothing``: what
    was not done (``deployed``, ``cancelled``…). ``None``: the package waits."""
    record = package.record
    named = f"Release package '{record.id}' ({record.name})"
    if record.delete_flag:
        by = cancelled_by(tx, scope, record)
        when = f" by {by[0]} on {utc_minute(by[1])}" if by is not None else ""
        said = (
            f"{named} was cancelled{when}; nothing was {nothing}. Its items are pending "
            "again: package them anew to release them."
        )
    elif package.status is DeployStatus.SUCCESS:
        said = (
            "Cannot perform the operation because the release package has been released: "
            f"package '{record.id}' ({record.name}) was released{_deployed(record)}; nothing "
            f"was {nothing}."
        )
    elif package.status is DeployStatus.RELEASING:
        said = (
            f"{named} is being released (deployed{_deployed(record)}); nothing was {nothing}. "
            "Wait for its release to end: one that fails may be deployed again."
        )
    else:
        return None
    return PackageReleasedError(said, package_id=str(record.id))


def _deployed(record: PackageRecord) -> str:
    """`` by NAME on TIME`` of a package's deploy (blank when it names none)."""
    if record.deploy_timestamp is None:
        return ""
    return f" by {record.deploy_user_name} on {utc_minute(record.deploy_timestamp)}"


CANCEL_ACTION = "release.cancel"
"""The audit log's action of a package cancelled (its detail names the package's id)."""


def cancelled_by(tx: Tx, scope: Scope, record: PackageRecord) -> tuple[str, int] | None:
    """Who cancelled the package and when, as the audit log recorded it (``None``: it does not
    say, for a package cancelled before its entries named the package's id)."""
    query = AuditQuery(object_name=record.name, object_kind="package", action=CANCEL_ACTION)
    _, found = audit_repo.list_entries(
        tx, scope.actor.project_id, scope.workspace.id, query, limit=20, offset=0
    )
    for _, entry in found:
        if json.loads(entry.detail or "{}").get("id") == record.id:
            return entry.actor, entry.at
    return None


def state(view: PackageView) -> str:
    """How a package stands, in words."""
    if view.record.delete_flag:
        return "cancelled"
    return {
        DeployStatus.SUCCESS: "released",
        DeployStatus.RELEASING: "being released",
        DeployStatus.FAILED: "failed",
        DeployStatus.PENDING: "waiting for approval",
    }[view.status]


def policy_refused(package: PackageRecord, found: Found) -> PolicyViolationError:
    """The refusal (``DLF.9085``) of a deploy whose package's plan breaks policy rules now:
    every rule and object named, with the fix a release package takes (the objects changed in
    development and released in a new package, the freeze window waited out, or the policy
    changed)."""
    rules = broken_rules(found)
    changes = release_changes([str(r) for r in rules])
    fix = ""
    if changes:
        fix = (
            f"{changes[0].upper()}{changes[1:]}; submit what you changed, package the pending "
            "items anew (POST /v2/{project_id}/factory/pending-items/package) and cancel this "
            "package (POST /v2/{project_id}/factory/release-packages/unpack with package_ids "
            f"[{package.id}])"
        )
    if PolicyRule.FREEZE in rules:
        fix = (
            f"{fix}, and deploy the new package once the freeze window ends"
            if fix
            else "Deploy it again once the freeze window ends"
        )
    fix = fix + "; or have an admin change the policy ({}).".format(
        ", ".join(dict.fromkeys(f"PUT /v1/{{project_id}}{i.holder.path()}" for i, _ in found))
    )
    return violation(
        found,
        fix,
        Remedy.RELEASE_POLICY,
        f"release package '{package.id}' ({package.name}) was not deployed",
        whole=package.name,
        package_id=str(package.id),
    )


def problem_text(found: Problem, package: str) -> str:
    """A plan's problem as one line of a refusal. A problem of the whole package is named by
    ``package`` (what the user calls it: the release package's name), not by the id of the
    upload its content is kept as; an object's, by the object, once."""
    fixed = _release_fix(found)
    fix = f" ({fixed})" if fixed else ""
    named = package if found.kind == "package" else f"{found.kind} '{found.name}'"
    if found.kind != "package" and found.detail.startswith(named):
        return f"{found.detail}{fix}"
    return f"{named}: {found.detail}{fix}"


def typed_problems(problems: Sequence[Problem], package: str) -> list[dict[str, Any]]:
    """A refused release's plan problems as a plan lists them (``planProblems``: reason, kind,
    name, reference…), so a client says each fix in its own terms: each with its fix in a
    release's words, and one of the whole package named by ``package`` (the release package's
    name), not by the upload its content is kept as."""
    return [
        replace(
            found, name=package if found.kind == "package" else found.name, fix=_release_fix(found)
        ).as_json()
        for found in problems
    ]


def _release_fix(found: Problem) -> str:
    """A plan problem's fix, for a policy's rule in a release package's words (what to change
    in development before packaging again; the plan's own fix says to change the plan)."""
    if found.reason != ProblemReason.POLICY:
        return found.fix
    if found.rule is None:
        return found.fix
    rule = PolicyRule(found.rule)
    if rule is PolicyRule.FREEZE:
        return "package the items once the freeze window ends, or have an admin lift it"
    return f"{release_changes([str(rule)])}, then package again; or have an admin change the policy"


def refused(scope: Scope, problems: list[str]) -> InvalidRequestError:
    """The refusal of a package (``DLF.3051``) with ``problems``, every one named."""
    return InvalidRequestError(_not_created(scope, problems), problems=problems)


def plan_refused(
    scope: Scope, problems: Sequence[Problem], package: str, *, again: bool = False
) -> InvalidRequestError:
    """The refusal (``DLF.3051``) of package ``package`` whose plan into production found
    ``problems``, made or (``again``) planned again: each named with its fix (``problems``),
    and typed (``plan_problems``: a client says each fix in its own terms)."""
    named = f"release package '{package}'"
    texts = [problem_text(p, named) for p in problems]
    message = (
        f"The request parameter is invalid: {named} was not planned again in workspace "
        f"'{scope.workspace.name}' (it keeps the plan it had): {'; '.join(texts[:20])}."
        if again
        else _not_created(scope, texts)
    )
    return InvalidRequestError(
        message, problems=texts, plan_problems=typed_problems(problems, package)
    )


def request_refused(scope: Scope, problems: list[str]) -> InvalidRequestError:
    """The refusal of a package request (``DLF.3051``) that breaks the rules of its items,
    name, applicant or approvers, every problem named, with the fix in each client's terms."""
    return InvalidRequestError(
        _not_created(scope, problems),
        fix="Send 1 to 100 pending_item_list ids (list_factory_pending_items lists them), a "
        f"package_name of 1 to {MAX_NAME} characters, approver_ids of users holding admin or "
        "deployer (not you) and your own user id as apply_user_id.",
        remedy=Remedy.MEND_PACKAGE_REQUEST,
        problems=problems,
    )


def _not_created(scope: Scope, problems: list[str]) -> str:
    return (
        f"The request parameter is invalid: the release package was not created in workspace "
        f"'{scope.workspace.name}': {'; '.join(problems[:20])}."
    )
