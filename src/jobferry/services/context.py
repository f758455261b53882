"""Who is calling, in which workspace, with which role — and the checks that follow from it."""

from __future__ import annotations

import time
from dataclasses import dataclass

from jobferry.domain.enums import Role
from jobferry.domain.releases import PRODUCTION_SUFFIX
from jobferry.domain.remedies import Remedy
from jobferry.errors import (
    DevelopmentScheduleError,
    PermissionDeniedError,
    ProductionSideError,
    ShadowWorkspaceError,
)
from jobferry.storage.records import WorkspaceRecord

WRITERS = (Role.ADMIN, Role.DEVELOPER)
OPERATORS = (Role.ADMIN, Role.DEVELOPER, Role.OPERATOR)
PRODUCTION_OPERATORS = (Role.ADMIN, Role.OPERATOR)
"""Who starts and stops the jobs of a production side: in DataArts' enterprise mode a
developer has every right in development and reads production; operators run production."""


def writing_roles(workspace: WorkspaceRecord) -> tuple[Role, ...]:
    """The roles that write what a workspace keeps beside its definitions (locks, environment
    variables): admins and developers, and on a production side, which a developer only
    reads, admins alone."""
    return (Role.ADMIN,) if workspace.production_of is not None else WRITERS


def registry_of(workspace: WorkspaceRecord) -> str:
    """The workspace whose environment objects ``workspace`` uses are registered in: that
    one, or for a production side its development workspace, whose objects each release
    gives it (its own writes are refused, DLF.9070)."""
    if workspace.production_of is None:
        return workspace.name
    return workspace.name.removesuffix(PRODUCTION_SUFFIX)


def scheduling_roles(workspace: WorkspaceRecord) -> tuple[Role, ...]:
    """The roles that start and stop jobs in ``workspace`` (fewer on a production side)."""
    return PRODUCTION_OPERATORS if workspace.production_of is not None else OPERATORS


def now_ms() -> int:
    """Current time in epoch milliseconds (the unit of every time on the wire)."""
    return time.time_ns() // 1_000_000


@dataclass(frozen=True)
class Actor:
    """An authenticated user."""

    user_id: int
    name: str
    project_id: str
    is_project_admin: bool


@dataclass(frozen=True)
class Scope:
    """An actor acting in one workspace with one role."""

    actor: Actor
    workspace: WorkspaceRecord
    role: Role
    releasing: bool = False
    """A release writing into a production side (``services/releases``): the one writer a
    production side takes."""

    def require(self, allowed: tuple[Role, ...], action: str) -> None:
        """Refuse unless the actor's role is one of ``allowed``."""
        if self.role not in allowed:
            names = ", ".join(r.value for r in allowed)
            raise PermissionDeniedError(
                f"User '{self.actor.name}' has role '{self.role.value}' in workspace "
                f"'{self.workspace.name}', which may not {action}; ask a workspace admin for one "
                f"of: {names}.",
                workspace=self.workspace.name,
                role=self.role.value,
            )

    def require_change(
        self, allowed: tuple[Role, ...], action: str, *, scheduling: bool = False
    ) -> None:
        """Refuse unless the actor's role is one of ``allowed`` and the workspace may be
        changed here: a remote's shadow changes only with the remote (a refresh, or an import
        or rollback pushed to it, which do not pass here); a production side only by a release
        (and, ``scheduling``, by the start and stop of its jobs). Every other call that writes
        definitions or scheduling into a workspace passes here; on a production side the start
        and stop of jobs take admin or operator (:data:`PRODUCTION_OPERATORS`)."""
        if scheduling:
            allowed = tuple(r for r in allowed if r in scheduling_roles(self.workspace))
        self.require(allowed, action)
        if not scheduling:
            self.require_not_production(action)
        self.require_not_shadow(action)

    def require_scheduled_here(self, job: str) -> None:
        """Refuse to start ``job`` on the development side of an enterprise workspace: there a
        job is scheduled once released, in production (DataArts: jobs "developed and submitted
        must be approved and published before they can be scheduled")."""
        ws = self.workspace
        if ws.enterprise:
            raise DevelopmentScheduleError(
                f"Workspace '{ws.name}' is in enterprise mode: its development side schedules "
                f"nothing, so job '{job}' was not started.",
                fix="Release it (POST /v2/{project_id}/factory/pending-items/package, then "
                "/v2/{project_id}/factory/release-packages/deploy, whose startup_mode 1 starts "
                "a new batch job), then start it in production: POST /v1/{project_id}/jobs/"
                f"{job}/start with the workspace header {ws.production_id}.",
                remedy=Remedy.START_IN_PRODUCTION,
                job_name=job,
                workspace=ws.name,
                production=ws.production_id,
            )

    def require_not_production(self, action: str) -> None:
        """Refuse ``action`` on a production side unless a release takes it: production
        changes only by a release (its environment too, which each release gives it anew from
        the development workspace)."""
        development = self.workspace.production_of
        if development is not None and not self.releasing:
            raise ProductionSideError(
                f"Workspace '{self.workspace.name}' is the production side of an enterprise "
                f"workspace and may not {action}: production changes only by a release.",
                fix="Make the change in the development workspace, submit it, and release it "
                "(POST /v2/{project_id}/factory/pending-items/package, then "
                "/v2/{project_id}/factory/release-packages/deploy).",
                remedy=Remedy.RELEASE_FROM_DEVELOPMENT,
                workspace=self.workspace.name,
                development=development,
            )

    def require_not_shadow(self, action: str, *, pushed: bool = True) -> None:
        """Refuse ``action`` in a remote's shadow, which changes only with the remote (a
        refresh, or an import or rollback pushed to it, which do not pass here; ``pushed``:
        what the action changes can be pushed to the remote by an import)."""
        remote = self.workspace.shadow_of
        if remote is not None:
            name = self.workspace.name
            raise ShadowWorkspaceError(
                f"Workspace '{name}' is the shadow of remote '{remote}' and may not {action}: "
                "it changes only with the remote.",
                fix=f"Refresh it with POST /v1/{{project_id}}/remotes/{remote}/refresh; to "
                "change the remote, import a package into the shadow: the import is pushed to "
                "the remote."
                if pushed
                else "Make the change in the remote workspace, then refresh it with POST "
                f"/v1/{{project_id}}/remotes/{remote}/refresh.",
                remedy=Remedy.REFRESH_SHADOW,
                workspace=name,
                remote=remote,
                pushed=pushed,
            )


def require_project_admin(actor: Actor, action: str) -> None:
    """Refuse unless the actor administers the whole project."""
    if not actor.is_project_admin:
        raise PermissionDeniedError(
            f"User '{actor.name}' is not a project admin and may not {action}; ask a project "
            "admin to do it or to make you one."
        )


PROJECT_PLACEHOLDER = "{project_id}"
"""What the official SDKs put in the path for the project when their credentials carry no
project id (and no region lets them look it up)."""


def other_project(actor: Actor, project_id: str) -> PermissionDeniedError:
    """The refusal of a call whose path names another project than the credentials'; the
    SDK's unfilled placeholder is said to be one, with the project id to build them with."""
    if project_id == PROJECT_PLACEHOLDER:
        return PermissionDeniedError(
            f"The path names no project: '{PROJECT_PLACEHOLDER}' is what the SDK sends when "
            "its credentials were built without a project id; build them with the project's "
            f"id, BasicCredentials(ak, sk, '{actor.project_id}') (Go SDK: WithProjectId)."
        )
    return PermissionDeniedError(
        f"The credentials belong to project '{actor.project_id}', not to project "
        f"'{project_id}' named in the path; use that project's id or its credentials."
    )


def require_same_project(actor: Actor, project_id: str) -> None:
    """Refuse a call naming another project than the one the credentials belong to."""
    if actor.project_id != project_id:
        raise other_project(actor, project_id)
