"""A workspace's production side: switching a workspace to enterprise mode, and the scope a
release (or a read of production) acts in.

*Decision:* the production side is a workspace record of its own, linked to its development
workspace (``workspaces.production_id`` / ``production_of``), hidden from workspace lists and
changed only by releases (``Scope.require_change``). So everything the import pipeline does
for a workspace — plans kept and applied against a fingerprint, the ledger matching objects by
identity, deletes downstream first, rollback — holds for production unchanged, and production
is read through the ordinary calls with its id in the ``workspace`` header.
"""

from __future__ import annotations

import uuid
from typing import Any

from jobferry.domain.enums import LockPolicy, Role, TargetStatus
from jobferry.domain.releases import ENTERPRISE, PRODUCTION_SUFFIX, SIMPLE
from jobferry.domain.remedies import Remedy
from jobferry.errors import InvalidRequestError, NameTakenError, ProductionSideError
from jobferry.services.audit import audit_in_scope
from jobferry.services.context import Scope, now_ms
from jobferry.storage import Database, Tx
from jobferry.storage import accounts as account_repo
from jobferry.storage import production as sides
from jobferry.storage.records import WorkspaceRecord

ENTERPRISE_FIX = (
    'A workspace admin switches it to enterprise mode (update_work_space_old with mode "1"), '
    "which creates its production side and cannot be undone."
)
"""How an API client switches a simple-mode workspace to enterprise mode (a refusal's ``fix``
with ``Remedy.ENABLE_ENTERPRISE``; the CLI and the console say it with their own command and
page)."""


def enable_enterprise(tx: Tx, scope: Scope) -> WorkspaceRecord:
    """Switch ``scope``'s workspace to enterprise mode (workspace admins), creating its
    production side; the development workspace as it is now. A workspace in enterprise mode
    already is left as it is."""
    scope.require((Role.ADMIN,), "switch the workspace to enterprise mode")
    ws = scope.workspace
    if ws.production_of is not None:
        raise InvalidRequestError(
            f"Workspace '{ws.name}' is the production side of an enterprise workspace; switch "
            "its development workspace instead.",
            workspace=ws.name,
        )
    current = account_repo.get_workspace(tx, ws.project_id, ws.id)
    assert current is not None
    if current.enterprise:
        return current
    if current.approval_enabled:
        raise InvalidRequestError(
            f"Workspace '{ws.name}' has approval switched on, and enterprise mode has no review "
            "of submissions (its changes are approved by releasing them); it was not switched.",
            fix="Switch approvalEnabled off first (PUT /v1/{project_id}/workspaces/"
            "{workspace_id}), then switch it to enterprise mode.",
            remedy=Remedy.APPROVAL_OFF,
            workspace=ws.name,
        )
    name = f"{ws.name}{PRODUCTION_SUFFIX}"
    if account_repo.find_workspace_by_name(tx, ws.project_id, name) is not None:
        raise NameTakenError(
            f"Workspace '{name}' exists already, so workspace '{ws.name}' cannot take that name "
            "for its production side; rename or remove it first.",
            workspace=name,
        )
    production = WorkspaceRecord(
        uuid.uuid4().hex,
        ws.project_id,
        name,
        False,
        LockPolicy.SOFT.value,
        False,
        now_ms(),
        production_of=ws.id,
    )
    sides.link_production(tx, current, production)
    audit_in_scope(tx, scope, "workspace.enterprise", "workspace", ws.name, {"production": name})
    found = account_repo.get_workspace(tx, ws.project_id, ws.id)
    assert found is not None
    return found


def refuse_review(workspace: WorkspaceRecord) -> None:
    """Enterprise mode has no review of submissions (as in DataArts): approval stays off."""
    if workspace.enterprise:
        raise InvalidRequestError(
            f"Workspace '{workspace.name}' is in enterprise mode, which has no review of "
            "submissions (as in DataArts): its changes reach production through release "
            "packages, approved by deploying them. Leave approval off.",
            workspace=workspace.name,
            parameter="approvalEnabled",
        )


def refuse_settings(
    workspace: WorkspaceRecord, approval: bool | None, signed_only: bool | None
) -> None:
    """Refuse the settings a workspace of enterprise mode cannot take: review of submissions
    on a development workspace, signed packages only on a production side."""
    if approval:
        refuse_review(workspace)
    if signed_only:
        refuse_signed_only(workspace)


def refuse_production_roles(workspace: WorkspaceRecord) -> None:
    """A production side is reached with the roles of its development workspace: a role given
    or taken there would change nobody's rights (and would be listed as if it did)."""
    if workspace.production_of is not None:
        raise ProductionSideError(
            f"Workspace '{workspace.name}' is the production side of an enterprise workspace: "
            "its users hold the roles of its development workspace, which are given and taken "
            "there, so nothing was changed. Give or take the role in the development workspace.",
            workspace=workspace.name,
            development=workspace.production_of,
        )


def refuse_signed_only(workspace: WorkspaceRecord) -> None:
    """A production side changes only through the releases this server makes (or takes in
    with their signed approvals), never by an import of a package from elsewhere: "signed
    packages only" would refuse every release, and there is no package of its to sign."""
    if workspace.production_of is not None:
        raise InvalidRequestError(
            f"Workspace '{workspace.name}' is a production side: it changes only through the "
            "release packages its development workspace approves and deploys (their approvals "
            "are signed), never by importing a package from elsewhere, so signed packages only "
            "would refuse every release. Leave it off; a development workspace may take signed "
            "packages only.",
            workspace=workspace.name,
            parameter="requireSigned",
        )


def refuse_simple_mode(workspace: WorkspaceRecord) -> None:
    """An enterprise workspace stays one: DataArts documents no way back."""
    if workspace.enterprise:
        raise InvalidRequestError(
            f"Workspace '{workspace.name}' is in enterprise mode, which cannot be switched back "
            'to simple mode (DataArts documents no downgrade); send mode "1" or leave it out.',
            workspace=workspace.name,
            parameter="mode",
        )


def import_side(db: Database, scope: Scope, status: TargetStatus | None) -> Scope:
    """Where an import goes: an import as released (``targetStatus`` PRODUCTION, admins) into
    an enterprise workspace writes its production side directly, with no pending item (the
    side's environment brought up to the development workspace's first, as a package's)."""
    if not scope.workspace.enterprise or status is not TargetStatus.PRODUCTION:
        return scope
    scope.require((Role.ADMIN,), "import objects as released (into production)")
    with db.transaction() as tx:
        production = production_scope(tx, scope, releasing=True)
        sides.mirror_production_environment(tx, scope.workspace.id, production.workspace.id)
        return production


def production_scope(tx: Tx, scope: Scope, *, releasing: bool) -> Scope:
    """The production side of ``scope``'s enterprise workspace, with the caller's role there
    (``releasing``: for a release, the one writer production takes)."""
    ws = scope.workspace
    if ws.production_of is not None:
        raise InvalidRequestError(
            f"Workspace '{ws.name}' is the production side of an enterprise workspace: "
            "pending items, release packages and their deploys are read and made through the "
            "development workspace.",
            fix=f"Name its development workspace ({ws.production_of}) instead.",
            workspace=ws.name,
        )
    if ws.production_id is None:
        raise InvalidRequestError(
            f"Workspace '{ws.name}' is in simple mode: it has no production side and no releases.",
            fix=ENTERPRISE_FIX,
            remedy=Remedy.ENABLE_ENTERPRISE,
            workspace=ws.name,
        )
    production = sides.get_workspace_by_id(tx, ws.production_id)
    assert production is not None
    role = Role.ADMIN if releasing else scope.role
    return Scope(scope.actor, production, role, releasing=releasing)


_KEPT_ELSEWHERE = ("description", "job_log_location_name", "bad_record_location_name")


def parse_workspace_update(body: dict[str, Any], workspace: WorkspaceRecord) -> bool:
    """``update_work_space_old``'s ``WorkspaceDto`` checked against what jobferry keeps:
    whether it asks for enterprise mode. Every problem is refused at once, naming the field."""
    problems: list[str] = []
    name = body.get("name")
    if name != workspace.name:
        problems.append(
            f"name '{name}' is not the workspace's name '{workspace.name}': workspaces are not "
            "renamed here; send the workspace's own name"
        )
    mode = body.get("mode")
    if mode is not None and str(mode) not in (SIMPLE, ENTERPRISE):
        problems.append(f'mode \'{mode}\' is not "0" (simple) or "1" (enterprise)')
    if body.get("status") not in (None, "0", 0):
        problems.append(
            f"status '{body.get('status')}' is not \"0\": jobferry does not freeze workspaces"
        )
    if body.get("eps_id") not in (None, "", "0"):
        problems.append(
            f"eps_id '{body.get('eps_id')}' is not \"0\": every workspace is in the default "
            "enterprise project"
        )
    problems += [
        f"{key} is not kept by jobferry; leave it out (or empty)"
        for key in _KEPT_ELSEWHERE
        if body.get(key) not in (None, "")
    ]
    if problems:
        raise InvalidRequestError(
            f"Workspace '{workspace.name}' was not changed: {'; '.join(problems)}.",
            workspace=workspace.name,
            problems=problems,
        )
    if mode is not None and str(mode) == SIMPLE:
        refuse_simple_mode(workspace)
    return mode is not None and str(mode) == ENTERPRISE
