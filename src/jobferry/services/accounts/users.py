"""Who administers the project, and removing a user from it (a person leaving).

Making a user a project admin, or no longer one, takes effect on their next request (their
keys are forgotten from this process's memory). Removing a user takes everything that lets
them act at once, in one transaction, and keeps what they did on record: their access keys,
roles, console sessions, IAM tokens and approval keys are deleted with them and the job and
script locks they held are released; the audit log, the imports, releases and approvals they
made keep naming them, and an approval they signed stays beside its plan and no longer counts
("its signer was removed"). Their id is never given to another user (0046), and their name is
free again: a later user of that name is someone else, whom the audit tells apart by the time
of the removal's ``user.remove`` entry.

Refused: removing oneself (another project admin does it, or ``jobferry admin`` on the server
machine), and removing the project's last admin or making them no longer one (no one could
manage its users over the API).

Their access key held by the data folder's admin-credentials.json takes that file with it
(``adminfile``), as a revocation of the key does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from jobferry.domain.remedies import Remedy
from jobferry.domain.shapes import json_text
from jobferry.errors import ConflictError, InvalidRequestError, UserNotFoundError
from jobferry.services.accounts.adminfile import RemovedFile, forget_revoked_credentials
from jobferry.services.accounts.leaving import LeftShort, left_short
from jobferry.services.audit import record_audit
from jobferry.services.context import Actor, now_ms, require_project_admin, require_same_project
from jobferry.storage import Database, Tx
from jobferry.storage import accounts as repo
from jobferry.storage import approvals as approval_repo
from jobferry.storage import console as session_repo
from jobferry.storage import tokens as token_repo
from jobferry.storage.records import UserRecord


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
    left_short: LeftShort
    """The routes and waiting release packages it left with too few approvers."""
    removed_file: RemovedFile | None = None
    """The data folder's admin-credentials.json, removed: it held one of their access keys
    (``adminfile``; the server's own path, never in the API's answer)."""

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
            **self.left_short.wire(),
        }


class UserAdmin:
    """Makes users project admins and removes them (project admins only). ``forget`` drops
    the changed user's access keys and the caller identities this process keeps in memory,
    so their next request here is checked as they are now; another server process forgets
    them within ``JOBFERRY_AUTH_CACHE_SECONDS``, as it does a revoked access key."""

    def __init__(
        self,
        db: Database,
        *,
        idle_ms: int,
        forget: Callable[[Sequence[str]], None],
        data_dir: Path | None = None,
    ) -> None:
        self.db = db
        self.idle_ms = idle_ms
        self.forget = forget
        self.data_dir = data_dir
        """The server's data folder: its admin-credentials.json goes with a removed user's
        access key it holds (``adminfile``)."""

    def remove(self, actor: Actor, project_id: str, name: str) -> RemovedUser:
        """Remove the project's user ``name``; what went with them."""
        require_same_project(actor, project_id)
        require_project_admin(actor, "remove users")
        now = now_ms()
        with self.db.transaction() as tx:
            user = _removable(tx, actor, project_id, name)
            short = left_short(tx, project_id, [name]).get(name, LeftShort())
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
                left_short=short,
            )
            record_audit(
                tx, project_id, None, actor.name, "user.remove", "user", name, removed.wire()
            )
        self.forget(removed.access_keys)
        if self.data_dir is None:
            return removed
        gone = forget_revoked_credentials(self.data_dir, removed.access_keys)
        return replace(removed, removed_file=gone)

    def leaving(self, actor: Actor, project_id: str, name: str) -> LeftShort:
        """What removing the project's user ``name`` would leave short of approvers, asked
        before the removal (refused when there is no such user)."""
        require_same_project(actor, project_id)
        require_project_admin(actor, "remove users")
        with self.db.transaction(readonly=True) as tx:
            user_named(tx, project_id, name)
            return left_short(tx, project_id, [name]).get(name, LeftShort())

    def leaving_all(self, actor: Actor, project_id: str) -> dict[str, LeftShort]:
        """:meth:`leaving` of every user of the project its removal leaves something short
        (the console's box says them before a user is picked)."""
        require_same_project(actor, project_id)
        require_project_admin(actor, "remove users")
        with self.db.transaction(readonly=True) as tx:
            names = [u.name for u in repo.list_users(tx, project_id)]
            return left_short(tx, project_id, names)

    def set_project_admin(self, actor: Actor, project_id: str, name: str, admin: object) -> bool:
        """Make the project's user ``name`` a project admin (``admin`` true) or no longer one;
        whether they are one now. Setting what they are already changes nothing."""
        require_same_project(actor, project_id)
        require_project_admin(actor, "make users project admins")
        admin = project_admin_flag(admin)
        with self.db.transaction() as tx:
            user = user_named(tx, project_id, name)
            if user.is_project_admin == admin:
                return admin
            if not admin:
                _refuse_last_admin(tx, project_id, name, "made no longer one")
            keys = tuple(c.access_key for c in repo.list_credentials(tx, user.id))
            repo.set_project_admin(tx, user.id, admin)
            detail = {"projectAdmin": admin}
            record_audit(
                tx, project_id, None, actor.name, "user.project_admin", "user", name, detail
            )
        self.forget(keys)
        return admin


def project_admin_flag(value: object) -> bool:
    """A request's ``projectAdmin``: true or false, else refused (DLF.3051)."""
    if not isinstance(value, bool):
        raise InvalidRequestError(
            f"projectAdmin must be true or false, not {json_text(value)}.",
            parameter="projectAdmin",
        )
    return value


def user_not_found(project_id: str, name: str) -> UserNotFoundError:
    """The refusal of ``name``, which is none of the project's users."""
    return UserNotFoundError(
        f"User '{name}' does not exist in project '{project_id}'; check the name (the "
        "project's users are listed with their roles), or create the user first.",
        user=name,
    )


def user_named(tx: Tx, project_id: str, name: str) -> UserRecord:
    """The project's user ``name`` (:func:`user_not_found` when there is none)."""
    user = repo.find_user(tx, project_id, name)
    if user is None:
        raise user_not_found(project_id, name)
    return user


def _removable(tx: Tx, actor: Actor, project_id: str, name: str) -> UserRecord:
    """The project's user ``name``, unless removing them is refused: oneself, the last
    admin."""
    user = user_named(tx, project_id, name)
    if user.id == actor.user_id:
        raise ConflictError(
            f"User '{name}' cannot remove themselves from project '{project_id}'.",
            fix="Have another project admin remove this user.",
            rule="user.self",
            user=name,
        )
    if user.is_project_admin:
        _refuse_last_admin(tx, project_id, name, "removed")
    return user


def _refuse_last_admin(tx: Tx, project_id: str, name: str, what: str) -> None:
    """Refuse the change (``what``: "removed"…) when ``name`` is the project's only admin."""
    if repo.project_admin_count(tx, project_id) > 1:
        return
    raise ConflictError(
        f"User '{name}' is the last admin of project '{project_id}' and cannot be {what}: "
        "without a project admin no one could manage its users and workspaces over the API.",
        fix=(
            f"Make another user a project admin first (PUT /v1/{project_id}/users/NAME with "
            '{"projectAdmin": true}).'
        ),
        remedy=Remedy.KEEP_PROJECT_ADMIN,
        rule="user.last_admin",
        user=name,
    )
