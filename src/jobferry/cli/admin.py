"""``jobferry admin …``: users, credentials, console passwords, workspaces and roles, run on the
server machine.

These commands open the server's database directly (the same ``JOBFERRY_*`` settings as
``jobferry serve``) and call the account services as the local operator — recorded in the audit
log as ``local-admin`` — so an operator can create the first users and keys without any
credentials: whoever can run them can read the database anyway. ``--project-id`` (default
``JOBFERRY_PROJECT_ID``, else the only project) picks the project. For remote administration
use the HTTP API (``/users``, ``/workspaces``…) with an admin's AK/SK.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from jobferry.cli import terminal
from jobferry.cli.exits import CliUsageError, CommandError
from jobferry.cli.output import Output, epoch_ms
from jobferry.cli.removal import left_short_said
from jobferry.cli.session import JsonOption, YesOption, session
from jobferry.domain.enums import Role

# The server and the services (FastAPI, SQLAlchemy: ~1.5 s of CPU) are imported when a command
# opens the database, not by every CLI process (jobferry.cli.serve says why).
if TYPE_CHECKING:
    from jobferry.services.accounts.adminfile import RemovedFile
    from jobferry.services.accounts.records import User, Workspace
    from jobferry.services.container import Services
    from jobferry.services.context import Actor

app = typer.Typer(
    help="Users, credentials, workspaces and roles (local: on the server's database).",
    no_args_is_help=True,
)


UserArg = Annotated[str, typer.Argument(help="User name.")]
WorkspaceArg = Annotated[str, typer.Argument(help="Workspace name or id.")]


@dataclass
class AdminTarget:
    """Which project the admin commands act on."""

    project_id: str | None = None


@app.callback()
def admin_options(
    ctx: typer.Context,
    project_id: Annotated[
        str | None,
        typer.Option(
            "--project-id",
            envvar="JOBFERRY_PROJECT_ID",
            metavar="ID",
            help="Project to administer (default: the only one in the database).",
        ),
    ] = None,
) -> None:
    """Users, credentials, workspaces and roles (local: on the server's database)."""
    ctx.obj = AdminTarget(project_id)


@contextmanager
def operator(ctx: typer.Context) -> Iterator[tuple[Services, Actor]]:
    """The services over the configured database and the local operator acting on them."""
    from jobferry.server import local_services
    from jobferry.settings import load_settings

    target = ctx.find_object(AdminTarget) or AdminTarget()
    with local_services(load_settings()) as services:
        yield services, services.accounts.local_operator(target.project_id)


def workspace_id(services: Services, actor: Actor, name_or_id: str) -> str:
    """The id of a workspace named by name or id."""
    known = services.accounts.list_workspaces(actor, actor.project_id)
    for ws in known:
        if name_or_id in (ws.id, ws.name):
            return ws.id
    # A production side is not listed, but it exists: the services refuse a role there
    # (DLF.9070, naming its development workspace) rather than this saying to create it.
    for ws in known:
        if ws.production_id is None:
            continue
        side = services.accounts.scope(actor, actor.project_id, ws.production_id).workspace
        if name_or_id in (side.id, side.name):
            return side.id
    names = ", ".join(ws.name for ws in known)
    raise CliUsageError(
        f"Workspace '{name_or_id}' does not exist in project {actor.project_id} (workspaces: "
        f"{names}); create it with 'jobferry admin create-workspace'."
    )


Item = TypeVar("Item")


def _show_project_list(
    out: Output,
    actor: Actor,
    key: str,
    items: list[Item],
    columns: tuple[str, ...],
    row: Callable[[Item], tuple[Any, ...]],
    wire: Callable[[Item], dict[str, Any]],
    title: str | None = None,
) -> None:
    """``items`` as a table of ``columns``, a ``row`` each (``--json``: the items in their
    ``wire`` form, as the HTTP API answers them, under ``key`` beside the project id)."""
    if out.json_mode:
        out.emit({"projectId": actor.project_id, key: [wire(item) for item in items]})
        return
    out.table(columns, [row(item) for item in items], title=title)


def _workspace_row(w: Workspace) -> tuple[Any, ...]:
    return (
        w.id,
        w.name,
        "yes" if w.is_default else "",
        w.lock_policy.value,
        "on" if w.approval_enabled else "off",
    )


def _user_row(u: User) -> tuple[Any, ...]:
    return (
        u.name,
        "yes" if u.project_admin else "",
        ", ".join(f"{r.workspace}={r.role.value}" for r in u.roles),
        ", ".join(u.access_keys),
        epoch_ms(u.created_at),
    )


@app.command("workspaces")
def list_workspaces(ctx: typer.Context, json_mode: JsonOption = False) -> None:
    """List the project's workspaces."""
    out = session(ctx, json_mode).output
    with operator(ctx) as (services, actor):
        from jobferry.api.presenters.accounts import workspace

        items = services.accounts.list_workspaces(actor, actor.project_id)
    columns = ("id", "name", "default", "lock policy", "approval")
    title = f"Workspaces of project {actor.project_id}"
    _show_project_list(out, actor, "workspaces", items, columns, _workspace_row, workspace, title)


@app.command("create-workspace")
def create_workspace(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Workspace name.")],
    json_mode: JsonOption = False,
) -> None:
    """Create a workspace; prints its id (what -w takes, as it takes the name)."""
    out = session(ctx, json_mode).output
    with operator(ctx) as (services, actor):
        ws_id = services.accounts.create_workspace(actor, actor.project_id, name)
    out.result({"id": ws_id, "name": name}, f"Workspace '{name}' created: {ws_id}")


@app.command("users")
def list_users(ctx: typer.Context, json_mode: JsonOption = False) -> None:
    """List the project's users with their roles and access keys."""
    out = session(ctx, json_mode).output
    with operator(ctx) as (services, actor):
        from jobferry.api.presenters.accounts import user

        users = services.accounts.list_users(actor, actor.project_id)
    columns = ("name", "project admin", "roles", "access keys", "created (UTC)")
    _show_project_list(out, actor, "users", users, columns, _user_row, user)


@app.command("create-user")
def create_user(
    ctx: typer.Context,
    name: UserArg,
    project_admin: Annotated[
        bool, typer.Option("--project-admin", help="Make the user admin of every workspace.")
    ] = False,
    json_mode: JsonOption = False,
) -> None:
    """Create a user (give them a role and credentials next)."""
    out = session(ctx, json_mode).output
    with operator(ctx) as (services, actor):
        from jobferry.api.presenters.accounts import created_user

        user = services.accounts.create_user(actor, actor.project_id, name, project_admin)
    out.result(created_user(user), f"User '{name}' created.")


@app.command("create-credentials")
def create_credentials(
    ctx: typer.Context,
    user: UserArg,
    json_mode: JsonOption = False,
) -> None:
    """Issue an AK/SK pair for a user; the secret key is shown this once."""
    out = session(ctx, json_mode).output
    with operator(ctx) as (services, actor):
        issued = services.accounts.issue_credential(actor, actor.project_id, user)
    view: dict[str, Any] = {
        "user": user,
        "projectId": actor.project_id,
        "accessKey": issued.access_key,
        "secretKey": issued.secret_key,
    }
    if out.json_mode:
        out.emit(view)
        return
    out.fields(
        [
            ("user", user),
            ("project id", actor.project_id),
            ("access key", issued.access_key),
            ("secret key", f"{issued.secret_key}  (shown once)"),
        ]
    )


@app.command("revoke-credentials")
def revoke_credentials(
    ctx: typer.Context,
    user: UserArg,
    access_key: Annotated[str, typer.Argument(help="The access key to revoke.")],
    json_mode: JsonOption = False,
) -> None:
    """Revoke one of a user's access keys."""
    out = session(ctx, json_mode).output
    with operator(ctx) as (services, actor):
        removed = services.accounts.revoke_credential(actor, actor.project_id, user, access_key)
    answer: dict[str, Any] = {"user": user, "revoked": access_key}
    out.result(*_file_forgotten(answer, f"Access key {access_key} revoked.", removed))


def _file_forgotten(
    answer: dict[str, Any], said: str, removed: RemovedFile | None
) -> tuple[dict[str, Any], str]:
    """The answer and its words once the data folder's admin-credentials.json went with the
    key it held, just revoked or deleted with their user (``services.accounts.adminfile``):
    kept, ``jobferry config init`` would still write a key good for nothing into a context."""
    if removed is None:
        return answer, said
    said += (
        f" Removed {removed.path}, which held {removed.access_key} (jobferry config init reads "
        "that file: give a context the admin's new key pair instead)."
    )
    return answer | {"removedFile": str(removed.path)}, said


@app.command("set-project-admin")
def set_project_admin(
    ctx: typer.Context,
    user: UserArg,
    off: Annotated[
        bool, typer.Option("--off", help="Make the user no longer a project admin.")
    ] = False,
    json_mode: JsonOption = False,
) -> None:
    """Make a user a project admin (admin of every workspace, managing users), or with --off
    no longer one."""
    out = session(ctx, json_mode).output
    with operator(ctx) as (services, actor):
        admin = services.users.set_project_admin(actor, actor.project_id, user, not off)
    said = "a project admin now" if admin else "no longer a project admin"
    out.result({"name": user, "projectAdmin": admin}, f"User '{user}' is {said}.")


@app.command("remove-user")
def remove_user(
    ctx: typer.Context,
    user: UserArg,
    yes: YesOption = False,
    json_mode: JsonOption = False,
) -> None:
    """Remove a user (someone leaving), after asking: their access keys, roles, console
    sessions, IAM tokens and approval keys go with them and their locks are released; what
    they did stays in the audit log. The question and the answer name the routes and waiting
    release packages left with too few approvers, and how to mend each."""
    out = session(ctx, json_mode).output
    if not yes:
        terminal.require_person("admin remove-user", "remove the user")
        with operator(ctx) as (services, actor):
            left = services.users.leaving(actor, actor.project_id, user)
        question = (
            f"Remove user '{user}'? Their access keys, roles, console sessions, tokens and "
            "approval keys are deleted with them."
        )
        short = left_short_said(left, done=False)
        question += f"\n{short}\n" if short else ""
        declined = {"removed": None, **left.wire()}
        out.confirm_or_end(question, declined, "Cancelled; nothing was removed.")
    with operator(ctx) as (services, actor):
        removed = services.users.remove(actor, actor.project_id, user)
    roles = ", ".join(removed.roles) or "none"
    said = (
        f"User '{user}' removed: {len(removed.access_keys)} access key(s), roles in {roles}, "
        f"{removed.sessions_ended} console session(s), {removed.tokens_revoked} token(s), "
        f"{removed.approval_keys} approval key(s) and {removed.locks_released} lock(s) went "
        "with them."
    )
    short = left_short_said(removed.left_short, done=True)
    said += f"\n{short}" if short else ""
    out.result(*_file_forgotten(removed.wire(), said, removed.removed_file))


@app.command("unlock-key")
def unlock_key(
    ctx: typer.Context,
    access_key: Annotated[str, typer.Argument(help="The locked access key.")],
    json_mode: JsonOption = False,
) -> None:
    """Lift an access key's lockout after failed signatures (it lapses on its own after
    JOBFERRY_AK_LOCKOUT_SECONDS)."""
    out = session(ctx, json_mode).output
    with operator(ctx) as (services, actor):
        done = services.lockouts.unlock(actor, access_key)
    if done is None:
        raise CommandError(
            f"No access key '{access_key}' on this server; check the key's spelling.",
            code="not_found",
        )
    if done.lifted:
        out.result({"unlocked": access_key}, f"Access key {access_key} unlocked.")
        return
    counted = (
        f" ({done.failures} failed signature(s) in a row counted: its next good signature "
        "forgets them)"
        if done.failures
        else ""
    )
    out.result(
        {"notLocked": access_key, "failures": done.failures},
        f"Access key {access_key} is not locked; nothing changed{counted}.",
    )


@app.command("set-role")
def set_role(
    ctx: typer.Context,
    user: UserArg,
    workspace: WorkspaceArg,
    role: Annotated[Role, typer.Argument(help="Role in that workspace.")],
    json_mode: JsonOption = False,
) -> None:
    """Give a user a role in a workspace (replaces the role they had there)."""
    out = session(ctx, json_mode).output
    with operator(ctx) as (services, actor):
        ws = workspace_id(services, actor, workspace)
        services.accounts.set_role(actor, actor.project_id, user, ws, role.value)
    out.result(
        {"user": user, "workspaceId": ws, "role": role.value},
        f"User '{user}' is {role.value} in workspace {workspace}.",
    )


@app.command("remove-role")
def remove_role(
    ctx: typer.Context,
    user: UserArg,
    workspace: WorkspaceArg,
    json_mode: JsonOption = False,
) -> None:
    """Take a user's role in a workspace away."""
    out = session(ctx, json_mode).output
    with operator(ctx) as (services, actor):
        ws = workspace_id(services, actor, workspace)
        services.accounts.remove_role(actor, actor.project_id, user, ws)
    out.result(
        {"user": user, "workspaceId": ws, "removed": True},
        f"User '{user}' has no role in workspace {workspace} any more.",
    )


@app.command("set-password")
def set_password(
    ctx: typer.Context,
    user: Annotated[str, typer.Argument(help="User name (the bootstrap admin is 'admin').")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    json_mode: JsonOption = False,
) -> None:
    """Set a user's web console password (asked twice, unless --password-stdin); ends the
    user's console sessions."""
    out = session(ctx, json_mode).output
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif not terminal.stdin_is_terminal():
        raise CliUsageError(
            "admin set-password asks for the password twice, but standard input is not a "
            "terminal; run it in a terminal, or pass the password on standard input: "
            f"jobferry admin set-password {user} --password-stdin < FILE."
        )
    else:
        with out.asking():
            password = typer.prompt(
                "New password", hide_input=True, confirmation_prompt=True, err=True
            )
    with operator(ctx) as (services, actor):
        services.signin.set_password(actor, user, password)
    out.result(
        {"user": user, "projectId": actor.project_id},
        f"Console password of user '{user}' set; sign in at /console/.",
    )
