"""Projects, workspaces, users, credentials and roles: who may call, and where."""

from __future__ import annotations

import secrets
import string
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from jobferry.domain.enums import LockPolicy, Role
from jobferry.domain.names import storable
from jobferry.domain.remedies import Remedy
from jobferry.errors import (
    ConflictError,
    InvalidRequestError,
    NameTakenError,
    PermissionDeniedError,
    UserNotFoundError,
    WorkspaceNotFoundError,
)
from jobferry.services.accounts.adminfile import RemovedFile, forget_revoked_credentials
from jobferry.services.accounts.records import User, Workspace, WorkspaceRole
from jobferry.services.accounts.users import project_admin_flag, user_named
from jobferry.services.audit import record_audit
from jobferry.services.context import (
    Actor,
    Scope,
    now_ms,
    other_project,
    require_project_admin,
    require_same_project,
)
from jobferry.services.releases.production import refuse_production_roles, refuse_settings
from jobferry.services.support.cache import TtlCache
from jobferry.services.support.requests import valid_name
from jobferry.services.support.secretbox import SecretBox
from jobferry.services.workspaces.settings import WorkspaceSettings
from jobferry.storage import Database, Tx
from jobferry.storage import accounts as repo
from jobferry.storage.records import CredentialRecord, WorkspaceRecord

LOCAL_OPERATOR_ID = 0
"""User id of the local operator actor (no user row has it: ids start at 1)."""
LOCAL_OPERATOR_NAME = "local-admin"
"""How the audit log names changes made with ``jobferry admin`` on the server machine."""

_AK_ALPHABET = string.ascii_uppercase + string.digits
_SK_ALPHABET = string.ascii_letters + string.digits


def generate_access_key() -> str:
    """A new access key: 20 upper-case letters and digits, like the cloud's."""
    return "".join(secrets.choice(_AK_ALPHABET) for _ in range(20))


def generate_secret_key() -> str:
    """A new secret key: 40 letters and digits."""
    return "".join(secrets.choice(_SK_ALPHABET) for _ in range(40))


@dataclass(frozen=True)
class IssuedCredential:
    """A freshly issued AK/SK pair: the only time the secret is shown."""

    access_key: str
    secret_key: str


class AccountService:
    """Authentication look-ups, scopes, workspaces, users, credentials and roles."""

    data_dir: Path | None = None
    """The server's data folder: its admin-credentials.json goes when the key it holds does."""

    def __init__(self, db: Database, box: SecretBox, *, cache_seconds: float = 0) -> None:
        self.db = db
        self.box = box
        self._keys: TtlCache[str, tuple[str, Actor]] = TtlCache(cache_seconds)
        self._scopes: TtlCache[tuple[int, str, str | None], Scope] = TtlCache(cache_seconds)

    @contextmanager
    def _changing(self) -> Iterator[Tx]:
        """A write transaction; this process's credential and scope caches are cleared after."""
        try:
            with self.db.transaction() as tx:
                yield tx
        finally:
            self._keys.clear()
            self._scopes.clear()

    def _credential(self, access_key: str) -> tuple[str, Actor] | None:
        """(secret key, user) of an access key; unknown keys are not cached."""
        found = self._keys.get(access_key)
        if found is not None:
            return found
        with self.db.transaction(readonly=True) as tx:
            cred = repo.get_credential(tx, access_key)
            user = repo.get_user(tx, cred.user_id) if cred else None
        if cred is None or user is None:
            return None
        actor = Actor(user.id, user.name, user.project_id, user.is_project_admin)
        found = (self.box.decrypt(cred.secret_encrypted), actor)
        self._keys.put(access_key, found)
        return found

    # -- authentication -------------------------------------------------------------------

    def cached_credential(self, access_key: str) -> tuple[str, Actor] | None:
        """(secret key, user) when this process has them in memory; never reads storage (the
        API verifies such requests without leaving the event loop)."""
        return self._keys.get(access_key)

    def cached_scope(self, actor: Actor, project_id: str, workspace_id: str | None) -> Scope | None:
        """``scope(...)`` when this process has it in memory; never reads storage."""
        found = self._scopes.get((actor.user_id, project_id, workspace_id))
        return found if found is not None and found.actor == actor else None

    def forget_scopes(self) -> None:
        """Drop this process's cached scopes (a workspace changed elsewhere in the service)."""
        self._scopes.clear()

    def forget_key(self, access_key: str) -> None:
        """Drop an access key from this process's cache (after a failed signature, so the next
        request with it is checked against the lockout in storage)."""
        self._keys.discard(access_key)

    def secret_for(self, access_key: str) -> str | None:
        """The plain secret key of an access key (None when unknown), for signature checks."""
        found = self._credential(access_key)
        return found[0] if found else None

    def actor_for(self, access_key: str) -> Actor:
        """The user an (already verified) access key belongs to."""
        found = self._credential(access_key)
        if found is None:
            raise PermissionDeniedError(f"Access key '{access_key}' has no user any more.")
        return found[1]

    def scope(self, actor: Actor, project_id: str, workspace_id: str | None) -> Scope:
        """The actor in the workspace named by the ``workspace`` header (or the default one)."""
        if actor.project_id != project_id:
            raise other_project(actor, project_id)
        cached = self.cached_scope(actor, project_id, workspace_id)
        if cached is not None:
            return cached
        with self.db.transaction(readonly=True) as tx:
            ws = self._workspace(tx, project_id, workspace_id)
            # A production side is reached with the roles of its development workspace.
            role_name = repo.role_of(tx, actor.user_id, ws.roles_held_in)
        if actor.is_project_admin:
            found = Scope(actor, ws, Role.ADMIN)
        elif role_name is None:
            raise PermissionDeniedError(
                f"User '{actor.name}' has no role in workspace '{ws.name}'; ask a workspace "
                "admin to grant one.",
                workspace=ws.name,
            )
        else:
            found = Scope(actor, ws, Role(role_name))
        self._scopes.put((actor.user_id, project_id, workspace_id), found)
        return found

    def _workspace(self, tx: Tx, project_id: str, workspace_id: str | None) -> WorkspaceRecord:
        if workspace_id:
            ws = (
                repo.get_workspace(tx, project_id, workspace_id) if storable(workspace_id) else None
            )
            if ws is None:
                raise WorkspaceNotFoundError(
                    f"Workspace '{workspace_id}' does not exist in project '{project_id}'.",
                    fix="Pass the id of an existing workspace in the 'workspace' header (GET "
                    f"/v1/{project_id}/workspaces lists them) or omit it for the default.",
                    remedy=Remedy.LIST_WORKSPACES,
                    workspace=workspace_id,
                )
            return ws
        ws = repo.default_workspace(tx, project_id)
        if ws is None:
            raise WorkspaceNotFoundError(
                f"Project '{project_id}' has no default workspace; pass a workspace id in the "
                "'workspace' header."
            )
        return ws

    # -- bootstrap ------------------------------------------------------------------------

    def project_exists(self) -> bool:
        """Whether any project exists (False on a fresh database)."""
        with self.db.transaction(readonly=True) as tx:
            return repo.count_projects(tx) > 0

    def bootstrap(
        self, project_id: str | None, access_key: str | None, secret_key: str | None
    ) -> IssuedCredential | None:
        """On an empty database create the project, its default workspace and the admin user.

        Returns the admin's credentials when it created them, None when a project existed.
        """
        pid = project_id or uuid.uuid4().hex
        ak = access_key or generate_access_key()
        sk = secret_key or generate_secret_key()
        now = now_ms()
        try:
            with self._changing() as tx:
                if repo.count_projects(tx) > 0:
                    return None
                repo.insert_project(tx, pid, "default", now)
                ws = WorkspaceRecord(uuid.uuid4().hex, pid, "default", True, "soft", False, now)
                repo.insert_workspace(tx, ws)
                user_id = repo.insert_user(tx, pid, "admin", True, now)
                repo.insert_credential(tx, CredentialRecord(ak, user_id, self.box.encrypt(sk), now))
                record_audit(tx, pid, None, "system", "bootstrap", "project", pid, None)
        except ConflictError:
            return None  # another replica bootstrapped at the same moment
        return IssuedCredential(ak, sk)

    def bootstrap_summary(self) -> tuple[str, str | None]:
        """(first project id, first access key of its first project admin) for the banner."""
        with self.db.transaction(readonly=True) as tx:
            project = repo.list_projects(tx)[0]
            admins = [u for u in repo.list_users(tx, project.id) if u.is_project_admin]
            creds = repo.list_credentials(tx, admins[0].id) if admins else []
        return project.id, creds[0].access_key if creds else None

    def local_operator(self, project_id: str | None) -> Actor:
        """The actor of commands run with direct database access on the server machine
        (``jobferry admin``): a project admin of ``project_id`` (default: the only project),
        recorded in the audit log as ``local-admin``. Whoever can run them can read the
        database anyway, so they need no credentials."""
        with self.db.transaction(readonly=True) as tx:
            known = [p.id for p in repo.list_projects(tx)]
        if not known:
            raise InvalidRequestError(
                "The database has no project yet; start the server once (jobferry serve) so it "
                "creates the project and its admin."
            )
        if project_id is None:
            if len(known) > 1:
                raise InvalidRequestError(
                    f"The database holds {len(known)} projects ({', '.join(known)}); name one "
                    "with --project-id (or JOBFERRY_PROJECT_ID)."
                )
            project_id = known[0]
        elif project_id not in known:
            raise InvalidRequestError(
                f"Project '{project_id}' does not exist in this database (projects: "
                f"{', '.join(known)}); check --project-id / JOBFERRY_PROJECT_ID."
            )
        return Actor(LOCAL_OPERATOR_ID, LOCAL_OPERATOR_NAME, project_id, True)

    # -- workspaces -----------------------------------------------------------------------

    def create_workspace(self, actor: Actor, project_id: str, name: object) -> str:
        """Create a workspace (project admins only); returns its id."""
        require_same_project(actor, project_id)
        require_project_admin(actor, "create workspaces")
        name = valid_name(name, "workspace name")
        with self._changing() as tx:
            if repo.find_workspace_by_name(tx, project_id, name):
                raise NameTakenError(
                    f"Workspace '{name}' already exists in project '{project_id}'; choose another "
                    "name."
                )
            ws = WorkspaceRecord(
                uuid.uuid4().hex, project_id, name, False, LockPolicy.SOFT.value, False, now_ms()
            )
            repo.insert_workspace(tx, ws)
            record_audit(tx, project_id, ws.id, actor.name, "workspace.create", "workspace", name)
        return ws.id

    def list_workspaces(self, actor: Actor, project_id: str) -> list[Workspace]:
        """The workspaces the actor has a role in (all of them for project admins)."""
        require_same_project(actor, project_id)
        with self.db.transaction(readonly=True) as tx:
            all_ws = repo.list_workspaces(tx, project_id)
            roles = repo.roles_of_user(tx, actor.user_id)
        if actor.is_project_admin:
            return [Workspace.of(ws, Role.ADMIN) for ws in all_ws]
        return [Workspace.of(ws, Role(roles[ws.id])) for ws in all_ws if ws.id in roles]

    def update_workspace(
        self, actor: Actor, project_id: str, workspace_id: str, change: WorkspaceSettings
    ) -> Workspace:
        """Change a workspace's lock policy, approval switch, signed-package rule (admins)."""
        scope = self.scope(actor, project_id, workspace_id)
        scope.require((Role.ADMIN,), "change workspace settings")
        refuse_settings(scope.workspace, change.approval_enabled, change.require_signed)
        with self._changing() as tx:
            held = repo.get_workspace(tx, project_id, workspace_id)
            if held is not None and not change.changes(held):
                return Workspace.of(held)  # as it is already: no write, no audit
            repo.update_workspace_policies(
                tx,
                workspace_id,
                lock_policy=change.lock_policy.value if change.lock_policy else None,
                approval_enabled=change.approval_enabled,
                require_signed=change.require_signed,
            )
            record_audit(
                tx,
                project_id,
                workspace_id,
                actor.name,
                "workspace.update",
                "workspace",
                scope.workspace.name,
                change.wire(),
            )
            ws = repo.get_workspace(tx, project_id, workspace_id)
        assert ws is not None
        return Workspace.of(ws)

    # -- users, credentials, roles --------------------------------------------------------

    def create_user(
        self, actor: Actor, project_id: str, name: object, project_admin: object
    ) -> User:
        """Create a user of the project (project admins only)."""
        require_same_project(actor, project_id)
        require_project_admin(actor, "create users")
        project_admin = project_admin_flag(project_admin)
        name = valid_name(name, "user name")
        with self._changing() as tx:
            if repo.find_user(tx, project_id, name):
                raise NameTakenError(f"User '{name}' already exists; choose another name.")
            created_at = now_ms()
            user_id = repo.insert_user(tx, project_id, name, project_admin, created_at)
            record_audit(tx, project_id, None, actor.name, "user.create", "user", name)
        return User(user_id, name, project_admin, created_at)

    def list_users(self, actor: Actor, project_id: str) -> list[User]:
        """Every user of the project with their roles (project admins only)."""
        require_same_project(actor, project_id)
        require_project_admin(actor, "list users")
        with self.db.transaction(readonly=True) as tx:
            names = {ws.id: ws.name for ws in repo.list_workspaces(tx, project_id)}
            return [
                User(
                    user.id,
                    user.name,
                    user.is_project_admin,
                    user.created_at,
                    tuple(
                        WorkspaceRole(ws_id, names.get(ws_id), Role(role))
                        for ws_id, role in sorted(repo.roles_of_user(tx, user.id).items())
                    ),
                    tuple(c.access_key for c in repo.list_credentials(tx, user.id)),
                )
                for user in repo.list_users(tx, project_id)
            ]

    def issue_credential(self, actor: Actor, project_id: str, user_name: str) -> IssuedCredential:
        """Issue a new AK/SK pair for a user (project admins, or the user for themselves)."""
        require_same_project(actor, project_id)
        if actor.name != user_name:
            require_project_admin(actor, "issue credentials for other users")
        issued = IssuedCredential(generate_access_key(), generate_secret_key())
        with self._changing() as tx:
            user = user_named(tx, project_id, user_name)
            repo.insert_credential(
                tx,
                CredentialRecord(
                    issued.access_key, user.id, self.box.encrypt(issued.secret_key), now_ms()
                ),
            )
            record_audit(
                tx,
                project_id,
                None,
                actor.name,
                "credential.create",
                "user",
                user_name,
                {"accessKey": issued.access_key},
            )
        return issued

    def revoke_credential(
        self, actor: Actor, project_id: str, user_name: str, access_key: str
    ) -> RemovedFile | None:
        """Delete one of a user's access keys; answers the data folder's credentials file
        when it held that key and was removed with it (``adminfile``)."""
        require_same_project(actor, project_id)
        if actor.name != user_name:
            require_project_admin(actor, "revoke credentials of other users")
        with self._changing() as tx:
            user = user_named(tx, project_id, user_name)
            owned = {c.access_key for c in repo.list_credentials(tx, user.id)}
            if access_key not in owned or not repo.delete_credential(tx, access_key):
                raise UserNotFoundError(
                    f"User '{user_name}' has no access key '{access_key}'.",
                    fix=f"List the user's keys with GET /v1/{project_id}/users.",
                    remedy=Remedy.LIST_ACCESS_KEYS,
                    user=user_name,
                )
            record_audit(
                tx,
                project_id,
                None,
                actor.name,
                "credential.delete",
                "user",
                user_name,
                {"accessKey": access_key},
            )
        return forget_revoked_credentials(self.data_dir, [access_key]) if self.data_dir else None

    def set_role(
        self, actor: Actor, project_id: str, user_name: str, workspace_id: str, role: object
    ) -> None:
        """Give a user a role in a workspace (that workspace's admins only)."""
        scope = self.scope(actor, project_id, workspace_id)
        scope.require((Role.ADMIN,), "grant roles")
        refuse_production_roles(scope.workspace)
        if not isinstance(role, str) or role not in [r.value for r in Role]:
            raise InvalidRequestError(f"Role '{role}' is not valid; use one of {', '.join(Role)}.")
        with self._changing() as tx:
            user = user_named(tx, project_id, user_name)
            if repo.roles_of_user(tx, user.id).get(workspace_id) == role:
                return  # the role held already: nothing changes, nothing to audit
            repo.set_role(tx, user.id, workspace_id, str(role))
            record_audit(
                tx,
                project_id,
                workspace_id,
                actor.name,
                "role.set",
                "user",
                user_name,
                {"role": role},
            )

    def remove_role(self, actor: Actor, project_id: str, user_name: str, workspace_id: str) -> None:
        """Take a user's role in a workspace away."""
        scope = self.scope(actor, project_id, workspace_id)
        scope.require((Role.ADMIN,), "revoke roles")
        refuse_production_roles(scope.workspace)
        with self._changing() as tx:
            user = user_named(tx, project_id, user_name)
            if not repo.remove_role(tx, user.id, workspace_id):
                raise UserNotFoundError(
                    f"User '{user_name}' has no role in workspace '{scope.workspace.name}', so "
                    "there is none to take away and nothing was changed; the project's users "
                    "are listed with their roles.",
                    user=user_name,
                )
            record_audit(tx, project_id, workspace_id, actor.name, "role.remove", "user", user_name)
