"""DataArts Studio's management-centre look-ups (snake_case), signing and trusted keys and
environment profiles (camelCase)."""

from __future__ import annotations

from typing import Any

from jobferry.domain.enums import Role
from jobferry.services.support.versions import SavedVersion
from jobferry.services.workspaces.keys import SigningKey, TrustedKey
from jobferry.services.workspaces.profiles import ProfileVersion
from jobferry.services.workspaces.studio import (
    ROLE_IDS,
    ROLE_NAMES,
    InstancePage,
    StudioInstance,
    StudioMember,
    StudioMemberPage,
    StudioWorkspace,
    StudioWorkspacePage,
)

RESOURCE_TYPE = "hws.resource.type.dayu"
INSTANCE_RUNNING = 2
EPS_ID = "0"
"""Every instance and workspace is in the default enterprise project."""
# jobferry has no account (domain) above its projects: a project id stands for the tenant's
# domain id wherever DataArts answers one (instances, workspaces, members alike).


def commodity_order(instance: StudioInstance) -> dict[str, Any]:
    """A ``CommodityOrder``: ``resource_id`` is the instance id."""
    return {
        "project_id": instance.project_id,
        "resource_id": instance.project_id,
        "resource_name": instance.name,
        "resource_type": RESOURCE_TYPE,
        "status": INSTANCE_RUNNING,
        "work_space_mode": instance.mode,
        "eps_id": EPS_ID,
        "create_time": instance.created_at,
        "domain_id": instance.project_id,
    }


def instances(page: InstancePage) -> dict[str, Any]:
    """``ListDataArtsStudioInstancesResponse``."""
    return {
        "billing_check": False,
        "count": page.total,
        "commodity_orders": [commodity_order(i) for i in page.items],
    }


def workspace_body(ws: StudioWorkspace) -> dict[str, Any]:
    """A ``Workspacebody`` (also ``ShowWorkSpaceResponse``): ``id`` is the ``workspace``
    header value."""
    return {
        "id": ws.id,
        "name": ws.name,
        "description": "",
        "is_default": 1 if ws.is_default else 0,
        "project_id": ws.project_id,
        "instance_id": ws.project_id,
        "eps_id": EPS_ID,
        "domain_id": ws.project_id,
        "create_time": ws.created_at,
        "member_num": ws.members,
    }


def workspaces(page: StudioWorkspacePage) -> dict[str, Any]:
    """``ListManagerWorkSpacesResponse``."""
    return {
        "count": page.total,
        "total_page": page.pages,
        "data": [workspace_body(ws) for ws in page.items],
    }


def role_vo(role: Role) -> dict[str, Any]:
    """An ``ApigRoleVo``."""
    name, description = ROLE_NAMES[role]
    return {
        "role_id": ROLE_IDS[role],
        "role_code": role.value,
        "role_name": name,
        "description": description,
    }


def roles() -> list[dict[str, Any]]:
    """``list_workspace_roles``: a top-level array of the preset roles."""
    return [role_vo(role) for role in ROLE_IDS]


def _member(member: StudioMember, project_id: str) -> dict[str, Any]:
    return {
        "id": str(member.user_id),
        "user_id": str(member.user_id),
        "user_name": member.name,
        "domain_id": project_id,
        "domain_name": project_id,
        "display_user_name": member.name,
        "domain_owner": False,
        "description": "",
        "workspace_id": member.workspace_id,
        "roles": [role_vo(member.role)],
        "create_time": member.created_at,
        "create_user": None,
        "update_time": member.created_at,
        "update_user": None,
        "type": 0,
    }


def members(page: StudioMemberPage, project_id: str) -> dict[str, Any]:
    """``ListWorkspaceusersResponse``."""
    return {
        "count": page.total,
        "total_page": page.pages,
        "data": [_member(m, project_id) for m in page.items],
    }


def signing_key(key: SigningKey) -> dict[str, Any]:
    """The public half of the workspace's signing key."""
    return {
        "keyId": key.key_id,
        "publicKey": key.public_key,
        "createTime": key.created_at,
        "createUser": key.created_by,
    }


def trusted_key(key: TrustedKey) -> dict[str, Any]:
    """A key the workspace trusts, or distrusts (``distrusted``, with when and by whom)."""
    view: dict[str, Any] = {
        "keyId": key.key_id,
        "name": key.name,
        "publicKey": key.public_key,
        "addTime": key.added_at,
        "addUser": key.added_by,
        "distrusted": key.distrusted,
    }
    if key.distrusted:
        view["distrustTime"] = key.distrusted_at
        view["distrustUser"] = key.distrusted_by
    return view


def profile(version: ProfileVersion) -> dict[str, Any]:
    """One version of a profile (its ``document`` when the record carries it)."""
    return {"name": version.name, **saved_version(version)}


def saved_version(version: SavedVersion) -> dict[str, Any]:
    """A saved version of a document (a profile, a policy): its number, description, when and
    by whom, and its ``document`` when the record carries it."""
    view: dict[str, Any] = {
        "version": version.version,
        "description": version.description,
        "updateTime": version.updated_at,
        "updateUser": version.updated_by,
    }
    if version.document is not None:
        view["document"] = version.document
    return view
