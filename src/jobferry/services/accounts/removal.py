"""Removing a user from a project (a person leaving): everything that lets them act goes at
once, in one transaction, and what they did stays on record.

Their access keys, roles, console sessions, IAM tokens and approval keys are deleted with
them; the job and script locks they held are released. The audit log, the imports, releases
and approvals they made keep naming them: an approval they signed stays beside its plan and
no longer counts ("its signer was removed"). Their id is never given to another user (0046),
and their name is free again: a later user of that name is someone else, whom the audit tells
apart by the time of this removal's ``user.remove`` entry.

Refused: removing oneself (another project admin does it, or ``jobferry admin`` on the server
machine) and removing the project's last admin (no one could manage its users over the API).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from jobferry.errors import ConflictError, UserNotFoundError
from jobferry.services.audit import record_audit
from jobferry.services.context import Actor, now_ms, require_project_admin, require_same_project
from jobferry.storage import Database
from jobferry.storage import accounts as repo
from jobferry.storage import approvals as approval_repo
from jobferry.storage import console as session_repo
from jobferry.storage import tokens as token_repo


@dataclass(frozen=True)
class RemovedUser:
    """What went with a removed user."""

    name: str
    access_keys: tuple[str, ...]
    roles: tuple[str, ...]
    """The workspaces (by name) they held a role in."""
    sessions_ended: int
    """Console sessions still live."""
    tokens_revoked: int
    """IAM tokens not yet past their end."""
    approval_keys: int
    """Approval keys not already revoked."""
    locks_released: int

    def wire(self) -> dict[str, Any]:
        """As the audit entry's detail and the API's answer."""
        return {
            "user": self.name,
            "accessKeys": list(self.access_keys),
            "roles": list(self.roles),
            "sessionsEnded": self.sessions_ended,
            "tokensRevoked": self.tokens_revoked,
            "approvalKeys": self.approval_keys,
            "locksReleased": self.locks_released,
        }


class UserRemoval:
    """Removes users (project admins only). ``forget`` drops the removed access keys and the
    caller identities this process keeps in memory, so no request of theirs passes here after
    the removal; another server process forgets them within ``JOBFERRY_AUTH_CACHE_SECONDS``,
    as it does a revoked access key."""

    def __init__(
        self, db: Database, *, idle_ms: int, forget: Callable[[Sequence[str]], None]
    ) -> None:
        self.db = db
        self.idle_ms = idle_ms
        self.forget = forget

    def remove(self, actor: Actor, project_id: str, name: str) -> RemovedUser:
        """Remove the project's user ``name``; what went with them."""
        require_same_project(actor, project_id)
        require_project_admin(actor, "remove users")
        now = now_ms()
        with self.db.transaction() as tx:
            user = repo.find_user(tx, project_id, name)
            if user is None:
                raise UserNotFoundError(
                    f"User '{name}' does not exist in project '{project_id}'; nothing to remove.",
                    user=name,
                )
            if user.id == actor.user_id:
                raise ConflictError(
                    f"User '{name}' cannot remove themselves from project '{project_id}'.",
                    fix="Have another project admin remove this user.",
                    rule="user.self",
                    user=name,
                )
            if user.is_project_admin and repo.project_admin_count(tx, project_id) <= 1:
                raise ConflictError(
                    f"User '{name}' is the last admin of project '{project_id}': without them "
                    "no one could manage its users and workspaces over the API.",
                    fix="Create another project admin first (jobferry admin create-user NAME "
                    "--project-admin), then remove this user.",
                    rule="user.last_admin",
                    user=name,
                )
            names = {ws.id: ws.name for ws in repo.list_workspaces(tx, project_id)}
            keys = approval_repo.user_keys(tx, [user.id])
            removed = RemovedUser(
                name=name,
                access_keys=tuple(c.access_key for c in repo.list_credentials(tx, user.id)),
                roles=tuple(sorted(names.get(w, w) for w in repo.roles_of_user(tx, user.id))),
                sessions_ended=session_repo.delete_sessions_of_user(
                    tx, user.id, now, now - self.idle_ms
                ),
                tokens_revoked=token_repo.delete_tokens_of_user(tx, user.id, now),
                approval_keys=sum(1 for k in keys if k.revoked_at is None),
                locks_released=repo.delete_user(tx, user.id),
            )
            record_audit(
                tx, project_id, None, actor.name, "user.remove", "user", name, removed.wire()
            )
        self.forget(removed.access_keys)
        return removed
