"""The DataArts Studio look-ups a client makes to find its ``workspace`` header value:
instances (``GET /v1/{project_id}/instances``), workspaces of an instance and one workspace.

jobferry has one DataArts Studio instance per project, and its id is the project id: a client
lists instances, takes ``resource_id``, lists that instance's workspaces and sends a
workspace's ``id`` as the ``workspace`` header. Read-only here: workspaces are created and
changed with jobferry's own calls (``POST /v1/{project_id}/workspaces``) and ``jobferry
admin``, where roles and policies are set with them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from jobferry.domain.enums import Role
from jobferry.errors import StudioLookupError, StudioWorkspaceNotFoundError
from jobferry.services.context import Actor, Scope, require_same_project
from jobferry.services.support.paging import MAX_OFFSET, Given, whole
from jobferry.storage import Database
from jobferry.storage import accounts as repo
from jobferry.storage.records import WorkspaceRecord

T = TypeVar("T")

INSTANCE_NAME = "jobferry"
WORKSPACE_MODE = "simple"
"""The instance's mode: its workspaces start in simple mode; each may be switched to enterprise
mode (``update_work_space_old`` with ``mode`` "1", ``services/releases``)."""


def _paged(limit: Given, offset: Given) -> tuple[int, int]:
    """A management-centre page: every wrong ``limit`` or ``offset`` is its own code."""
    rows = whole(limit, "limit", 1, 100, StudioLookupError)
    start = whole(offset, "offset", 0, MAX_OFFSET, StudioLookupError)
    return 20 if rows is None else rows, start or 0


@dataclass(frozen=True)
class StudioInstance:
    """The project's DataArts Studio instance: its id is the project id."""

    project_id: str
    name: str
    mode: str
    created_at: int


@dataclass(frozen=True)
class InstancePage:
    """A page of instances and how many there are."""

    total: int
    items: tuple[StudioInstance, ...]


@dataclass(frozen=True)
class StudioWorkspace:
    """A workspace as the management centre shows it: ``id`` is the ``workspace`` header."""

    id: str
    name: str
    is_default: bool
    project_id: str
    created_at: int
    members: int


@dataclass(frozen=True)
class StudioPage(Generic[T]):
    """A page of a management-centre list, how many there are and over how many pages."""

    total: int
    pages: int
    items: tuple[T, ...]

    @classmethod
    def of(cls, every: Sequence[T], limit: int, offset: int) -> StudioPage[T]:
        """The ``limit`` items of ``every`` from ``offset``."""
        return cls(len(every), math.ceil(len(every) / limit), tuple(every[offset : offset + limit]))


StudioWorkspacePage = StudioPage[StudioWorkspace]
"""A page of workspaces."""


ROLE_IDS = {
    Role.ADMIN: "r00001",
    Role.DEVELOPER: "r00002",
    Role.OPERATOR: "r00003",
    Role.VIEWER: "r00004",
    Role.DEPLOYER: "r00005",
}
"""The preset roles' ids: DataArts documents the first four; the deployer (enterprise mode) has
no documented id, so clients look roles up by ``role_code`` (``list_workspace_roles``)."""
ROLE_NAMES = {
    Role.ADMIN: ("Admin", "every right in the workspace"),
    Role.DEVELOPER: ("Developer", "develops jobs, scripts and resources; packages releases"),
    Role.OPERATOR: ("Operator", "starts and stops jobs; deploys release packages"),
    Role.VIEWER: ("Viewer", "reads"),
    Role.DEPLOYER: ("Deployer", "enterprise mode: approves, deploys and cancels releases"),
}


@dataclass(frozen=True)
class StudioMember:
    """A user with a role in a workspace, as ``list_workspaceusers`` lists them."""

    user_id: int
    name: str
    role: Role
    workspace_id: str
    created_at: int


StudioMemberPage = StudioPage[StudioMember]
"""A page of a workspace's members."""


@dataclass
class StudioWorkspaceService:
    """Instances and workspaces as DataArts Studio's management centre lists them."""

    db: Database

    def instances(self, actor: Actor, project_id: str, limit: Given, offset: Given) -> InstancePage:
        """``ListDataArtsStudioInstancesResponse``: the project's one instance."""
        require_same_project(actor, project_id)
        limit, offset = _paged(limit, offset)
        with self.db.transaction(readonly=True) as tx:
            project = repo.get_project(tx, project_id)
        assert project is not None  # the caller's own (require_same_project)
        instance = StudioInstance(project_id, INSTANCE_NAME, WORKSPACE_MODE, project.created_at)
        return InstancePage(1, (instance,)[offset:][:limit])

    def workspaces(
        self,
        actor: Actor,
        project_id: str,
        instance_id: str,
        limit: Given,
        offset: Given,
    ) -> StudioWorkspacePage:
        """``ListManagerWorkSpacesResponse``: the workspaces the caller may use."""
        limit, offset = _paged(limit, offset)
        visible, members = self._visible(actor, project_id, instance_id)
        return StudioPage.of([_workspace(ws, members) for ws in visible], limit, offset)

    def workspace(
        self, actor: Actor, project_id: str, instance_id: str, workspace_id: str
    ) -> StudioWorkspace:
        """``ShowWorkSpaceResponse``: one workspace the caller may use."""
        visible, members = self._visible(actor, project_id, instance_id)
        for ws in visible:
            if ws.id == workspace_id:
                return _workspace(ws, members)
        raise StudioWorkspaceNotFoundError(
            f"Workspace '{workspace_id}' does not exist in instance '{instance_id}' or you have "
            f"no role in it; GET /v1/{project_id}/workspaces/{instance_id} lists yours.",
            workspace_id=workspace_id,
        )

    def members(self, scope: Scope, limit: Given, offset: Given) -> StudioMemberPage:
        """``ListWorkspaceusersResponse``: the users holding a role in the workspace (and the
        project admins), by name — where a client finds ``approver_ids``. A production side's
        are its development workspace's, whose roles reach it."""
        limit, offset = _paged(limit, offset)
        held = scope.workspace.roles_held_in
        with self.db.transaction(readonly=True) as tx:
            found = repo.workspace_members(tx, scope.actor.project_id, held)
        members = [
            StudioMember(user.id, user.name, Role(role), scope.workspace.id, user.created_at)
            for user, role in found
        ]
        return StudioPage.of(members, limit, offset)

    def _visible(
        self, actor: Actor, project_id: str, instance_id: str
    ) -> tuple[list[WorkspaceRecord], dict[str, int]]:
        require_same_project(actor, project_id)
        if instance_id != project_id:
            raise StudioLookupError(
                f"Instance '{instance_id}' does not exist; jobferry has one instance per "
                f"project and its id is the project id ('{project_id}', as GET "
                f"/v1/{project_id}/instances answers).",
                instance_id=instance_id,
            )
        with self.db.transaction(readonly=True) as tx:
            all_ws = repo.list_workspaces(tx, project_id)
            roles = repo.roles_of_user(tx, actor.user_id)
            members = repo.member_counts(tx, project_id)
        if actor.is_project_admin:
            return all_ws, members
        return [ws for ws in all_ws if ws.id in roles], members


def _workspace(ws: WorkspaceRecord, members: dict[str, int]) -> StudioWorkspace:
    return StudioWorkspace(
        ws.id, ws.name, ws.is_default, ws.project_id, ws.created_at, members.get(ws.id, 0)
    )
