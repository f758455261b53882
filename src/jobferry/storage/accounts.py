"""Projects, workspaces, users, credentials and roles."""

from __future__ import annotations

from sqlalchemy import delete, func, insert, select, update

from jobferry.storage.columns import holds
from jobferry.storage.records import (
    CredentialRecord,
    ProjectRecord,
    UserRecord,
    WorkspaceRecord,
    all_records,
    first_record,
    insert_record,
    record,
)
from jobferry.storage.tables import credentials, locks, projects, role_bindings, users, workspaces
from jobferry.storage.tx import Tx


def count_projects(tx: Tx) -> int:
    """How many projects exist (0 on a fresh database)."""
    return int(tx.conn.execute(select(func.count()).select_from(projects)).scalar_one())


def insert_project(tx: Tx, project_id: str, name: str, now: int) -> None:
    """Create a project."""
    tx.conn.execute(insert(projects).values(id=project_id, name=name, created_at=now))


def list_projects(tx: Tx) -> list[ProjectRecord]:
    """Every project, oldest first."""
    return all_records(tx, ProjectRecord, projects, [projects.c.created_at, projects.c.id])


def get_project(tx: Tx, project_id: str) -> ProjectRecord | None:
    """The project of that id."""
    return first_record(tx, ProjectRecord, projects, id=project_id)


def insert_workspace(tx: Tx, ws: WorkspaceRecord) -> None:
    """Create a workspace."""
    insert_record(tx, workspaces, ws)


def get_workspace(tx: Tx, project_id: str, workspace_id: str) -> WorkspaceRecord | None:
    """A workspace of the project by id."""
    return first_record(tx, WorkspaceRecord, workspaces, project_id=project_id, id=workspace_id)


def find_workspace_by_name(tx: Tx, project_id: str, name: str) -> WorkspaceRecord | None:
    """A workspace of the project by name."""
    return first_record(tx, WorkspaceRecord, workspaces, project_id=project_id, name=name)


def default_workspace(tx: Tx, project_id: str) -> WorkspaceRecord | None:
    """The project's default workspace."""
    row = tx.conn.execute(
        select(workspaces).where(
            workspaces.c.project_id == project_id, workspaces.c.is_default.is_(True)
        )
    ).first()
    return record(WorkspaceRecord, row) if row else None


def list_workspaces(tx: Tx, project_id: str) -> list[WorkspaceRecord]:
    """Every workspace of the project, default first, then by name; a production side is
    not listed (it is reached through its development workspace)."""
    order = [workspaces.c.is_default.desc(), tx.by_name(workspaces.c.name)]
    found = all_records(tx, WorkspaceRecord, workspaces, order, project_id=project_id)
    return [ws for ws in found if ws.production_of is None]


def member_counts(tx: Tx, project_id: str) -> dict[str, int]:
    """Workspace id → how many members it has (workspaces of one project): the users holding
    a role in it and the project admins, each once, as :func:`workspace_members` lists them."""
    admins = tx.conn.execute(
        select(func.count())
        .select_from(users)
        .where(users.c.project_id == project_id, users.c.is_project_admin.is_(True))
    ).scalar_one()
    rows = tx.conn.execute(
        select(role_bindings.c.workspace_id, func.count().label("members"))
        .join(workspaces, workspaces.c.id == role_bindings.c.workspace_id)
        .join(users, users.c.id == role_bindings.c.user_id)
        .where(workspaces.c.project_id == project_id, users.c.is_project_admin.is_(False))
        .group_by(role_bindings.c.workspace_id)
    )
    bound = {r.workspace_id: int(r.members) for r in rows}
    ids = tx.conn.execute(select(workspaces.c.id).where(workspaces.c.project_id == project_id))
    return {ws: bound.get(ws, 0) + int(admins) for ws in ids.scalars()}


def update_workspace_policies(
    tx: Tx,
    workspace_id: str,
    *,
    lock_policy: str | None,
    approval_enabled: bool | None,
    require_signed: bool | None = None,
) -> None:
    """Change a workspace's lock policy, approval switch and/or signed-package rule."""
    values: dict[str, object] = {}
    if require_signed is not None:
        values["require_signed"] = require_signed
    if lock_policy is not None:
        values["lock_policy"] = lock_policy
    if approval_enabled is not None:
        values["approval_enabled"] = approval_enabled
    if values:
        tx.conn.execute(update(workspaces).where(workspaces.c.id == workspace_id).values(**values))


def insert_user(tx: Tx, project_id: str, name: str, is_project_admin: bool, now: int) -> int:
    """Create a user; returns its id."""
    result = tx.conn.execute(
        insert(users).values(
            project_id=project_id, name=name, is_project_admin=is_project_admin, created_at=now
        )
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def get_user(tx: Tx, user_id: int) -> UserRecord | None:
    """A user by id (an id past what the database stores is none)."""
    if not holds(users.c.id, user_id):
        return None
    return first_record(tx, UserRecord, users, id=user_id)


def find_user(tx: Tx, project_id: str, name: str) -> UserRecord | None:
    """A user of the project by name."""
    return first_record(tx, UserRecord, users, project_id=project_id, name=name)


def list_users(tx: Tx, project_id: str) -> list[UserRecord]:
    """Every user of the project by name."""
    return all_records(tx, UserRecord, users, [tx.by_name(users.c.name)], project_id=project_id)


def project_admin_count(tx: Tx, project_id: str) -> int:
    """How many users of the project are its admins, their rows locked until ``tx`` ends (on
    PostgreSQL: two admins removing each other at once, the second counts again after the
    first, and one stays; SQLite runs one writer at a time)."""
    u = users.c
    query = select(u.id).where(u.project_id == project_id, u.is_project_admin).with_for_update()
    return len(tx.conn.execute(query).all())


def set_project_admin(tx: Tx, user_id: int, admin: bool) -> None:
    """Make a user a project admin, or no longer one."""
    tx.conn.execute(update(users).where(users.c.id == user_id).values(is_project_admin=admin))


def existing_users(tx: Tx, user_ids: list[int]) -> set[int]:
    """Those of ``user_ids`` that are users (not removed)."""
    if not user_ids:
        return set()
    return set(tx.conn.execute(select(users.c.id).where(users.c.id.in_(user_ids))).scalars())


def delete_user(tx: Tx, user_id: int) -> int:
    """Remove a user, and with them (foreign keys, ``ON DELETE CASCADE``) their access keys,
    roles, console sessions, IAM tokens and approval keys; how many job and script locks they
    held (released)."""
    released = tx.conn.execute(delete(locks).where(locks.c.holder_user_id == user_id)).rowcount
    tx.conn.execute(delete(users).where(users.c.id == user_id))
    return int(released or 0)


def insert_credential(tx: Tx, cred: CredentialRecord) -> None:
    """Store an AK/SK pair (secret already encrypted)."""
    insert_record(tx, credentials, cred)


def get_credential(tx: Tx, access_key: str) -> CredentialRecord | None:
    """A credential by access key."""
    return first_record(tx, CredentialRecord, credentials, access_key=access_key)


def list_credentials(tx: Tx, user_id: int) -> list[CredentialRecord]:
    """A user's credentials, oldest first."""
    order = [credentials.c.created_at, credentials.c.access_key]
    return all_records(tx, CredentialRecord, credentials, order, user_id=user_id)


def delete_credential(tx: Tx, access_key: str) -> bool:
    """Remove a credential; True if it existed."""
    result = tx.conn.execute(delete(credentials).where(credentials.c.access_key == access_key))
    return bool(result.rowcount)


def role_of(tx: Tx, user_id: int, workspace_id: str) -> str | None:
    """The user's role in the workspace, if any."""
    return tx.conn.execute(
        select(role_bindings.c.role).where(
            role_bindings.c.user_id == user_id, role_bindings.c.workspace_id == workspace_id
        )
    ).scalar_one_or_none()


def roles_in(tx: Tx, user_ids: list[int], workspace_id: str) -> dict[int, str]:
    """The role each of ``user_ids`` holds in the workspace now, ``admin`` for a project
    admin (an admin of every workspace); a user holding none, or gone, is absent."""
    if not user_ids:
        return {}
    bound = role_bindings.c.user_id == users.c.id
    rows = tx.conn.execute(
        select(users.c.id, users.c.is_project_admin, role_bindings.c.role)
        .select_from(
            users.outerjoin(role_bindings, bound & (role_bindings.c.workspace_id == workspace_id))
        )
        .where(users.c.id.in_(user_ids))
    )
    return {
        int(r.id): "admin" if r.is_project_admin else str(r.role)
        for r in rows
        if r.is_project_admin or r.role is not None
    }


def roles_of_user(tx: Tx, user_id: int) -> dict[str, str]:
    """Workspace id → role for one user."""
    rows = tx.conn.execute(
        select(role_bindings.c.workspace_id, role_bindings.c.role).where(
            role_bindings.c.user_id == user_id
        )
    )
    return {r.workspace_id: r.role for r in rows}


def set_role(tx: Tx, user_id: int, workspace_id: str, role: str) -> None:
    """Give the user a role in the workspace (replacing any previous one)."""
    tx.conn.execute(
        delete(role_bindings).where(
            role_bindings.c.user_id == user_id, role_bindings.c.workspace_id == workspace_id
        )
    )
    tx.conn.execute(
        insert(role_bindings).values(user_id=user_id, workspace_id=workspace_id, role=role)
    )


def remove_role(tx: Tx, user_id: int, workspace_id: str) -> bool:
    """Take the user's role in the workspace away; True if there was one."""
    result = tx.conn.execute(
        delete(role_bindings).where(
            role_bindings.c.user_id == user_id, role_bindings.c.workspace_id == workspace_id
        )
    )
    return bool(result.rowcount)


def workspace_members(tx: Tx, project_id: str, workspace_id: str) -> list[tuple[UserRecord, str]]:
    """(user, role) of each user holding a role in the workspace, and of each project admin
    (an admin of every workspace), by name."""
    bound = {
        int(r.user_id): str(r.role)
        for r in tx.conn.execute(
            select(role_bindings.c.user_id, role_bindings.c.role).where(
                role_bindings.c.workspace_id == workspace_id
            )
        )
    }
    return [
        (user, "admin" if user.is_project_admin else bound[user.id])
        for user in list_users(tx, project_id)
        if user.is_project_admin or user.id in bound
    ]
