"""``jobferry releases pending|create|list|show|deploy|cancel``: enterprise mode's release flow,
thin commands over the DataArts Studio release calls (``/v2/{project_id}/factory/…``).

A workspace in enterprise mode keeps a pending item per submitted, renamed or deleted job and
script; a release package freezes some of them (a package file and a plan of production); one of its
approvers deploys it (an import of that plan into the production side, a system task) or it is
cancelled."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from jobferry.cli import terminal
from jobferry.cli.client import ApiClient, ApiError, segment
from jobferry.cli.exits import CommandError, ExitCode
from jobferry.cli.fix_terms import in_workspace
from jobferry.cli.output import epoch_ms, mapping, moment
from jobferry.cli.package_state import (
    deployed_lines,
    policy_fix,
    restored_lines,
    rolled_back,
    state,
)
from jobferry.cli.release_refusal import worded
from jobferry.cli.remedies import refusal_text
from jobferry.cli.session import (
    JsonOption,
    Session,
    WorkspaceOption,
    YesOption,
    release_session,
)
from jobferry.cli.tasks import wait_for
from jobferry.cli.workspaces import members
from jobferry.domain.enums import TaskStatus
from jobferry.domain.releases import DeployStatus, TaskType, UpdateType

app = typer.Typer(
    help="Releases (enterprise mode): pending items, release packages, deploy and cancel.",
    no_args_is_help=True,
)


def package_ids(value: Any) -> Any:
    """The release package ids an argument names, each checked here to be a whole number, as
    ``releases list`` shows them (the server would refuse another in its API's words)."""
    for text in value if isinstance(value, list) else [value]:
        if text is not None and not str(text).isdigit():
            raise typer.BadParameter(
                f"'{text}' is not a release package id: give its number, as jobferry releases "
                "list shows it."
            )
    return value


PackageId = Annotated[
    str, typer.Argument(metavar="ID", help="The release package's id.", callback=package_ids)
]


def factory_call(client: ApiClient, method: str, path: str, body: Any = None, **query: Any) -> Any:
    """A call of the release API (``/v2/{project_id}/factory…``); a query value ``None`` is
    left out."""
    given = {k: v for k, v in query.items() if v is not None}
    return client.call(method, f"/factory{path}", body, query=given or None, api="v2")


def _kind(code: Any) -> str:
    return TaskType(int(code)).kind.value if code in (1, 2, 3) else str(code)


def _change(code: Any) -> str:
    return UpdateType(int(code)).name.lower() if code in (1, 2, 3) else str(code)


def user_names(users: Any) -> str:
    """The names of the users a release answer lists (approvers), comma-separated."""
    return ", ".join(str(a.get("user_name")) for a in users or [])


def end_with_task(
    s: Session,
    task_id: str,
    result: dict[str, Any],
    *,
    done: str,
    failed: str,
    what: str,
    kind: str = "release",
    package: str | None = None,
) -> None:
    """Wait for a release's task (a deploy, a signed release taken in, a restore: ``kind``) and
    end the command: ``result`` with the task beside it, and ``done``/``failed`` ``what`` (task
    …) with the task's message; exit 1 when the task failed. Ctrl-C stops the waiting only:
    the task goes on in the server, as the interruption says (exit 130), as does a wait past
    ``--wait-timeout`` (exit 124). ``package``: the
    release package deployed, whose failure on a policy's rules says what to do next."""
    task = wait_for(s, task_id, f"Running the {kind}", kind)
    ok = task.get("status") == TaskStatus.SUCCESSFUL
    said = str(task.get("message"))
    if not ok:  # a refusal's fix in this CLI's commands, when the task says which
        result_of = mapping(task.get("result"))
        said = refusal_text(said, result_of, s.fix_workspace())
        fix = policy_fix(result_of, package, s.workspace_arg()) if package is not None else ""
        if fix:
            said = f"{said.rstrip().rstrip('.')}.{fix}"
    s.output.finish(
        {**result, "task": task},
        ExitCode.OK if ok else ExitCode.FAILED,
        f"{done if ok else failed} {what} (task {task_id}): {said}",
    )


def _pending(s: Session, name: str | None) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    page = 0
    while True:
        answer = mapping(
            factory_call(
                s.client(), "GET", "/pending-items", item_name=name, limit=100, offset=page
            )
        )
        batch = [i for i in answer.get("data") or [] if isinstance(i, dict)]
        items += batch
        if not batch or len(items) >= int(answer.get("total") or 0):
            return items
        page += 1


@app.command("pending")
def pending(
    ctx: typer.Context,
    name: Annotated[
        str | None,
        typer.Option("--name", metavar="TEXT", help="Only items whose name holds this text."),
    ] = None,
    workspace: WorkspaceOption = None,
    json_mode: JsonOption = False,
) -> None:
    """The pending items no package holds yet: each submitted, renamed or deleted job and script."""
    s = release_session(ctx, json_mode, workspace)
    items = _pending(s, name)
    if s.output.json_mode:
        s.output.emit({"total": len(items), "data": items})
        return
    rows = [
        (
            i.get("pending_item_id"),
            _kind(i.get("task_type")),
            i.get("item_name"),
            _change(i.get("update_type")),
            _version(i),
            i.get("deployed_version") or "none",
            i.get("submit_user_name"),
            epoch_ms(i.get("submit_timestamp")),
        )
        for i in items
    ]
    columns = ("item", "kind", "name", "change", "version", "in production", "by", "at (UTC)")
    s.output.table(
        columns,
        rows,
        empty="No pending items: nothing submitted, renamed or deleted here waits for a release.",
    )


def _version(item: dict[str, Any]) -> Any:
    """The version an item releases (``deleted`` for a deletion, which has none)."""
    return (
        "deleted" if item.get("update_type") == UpdateType.DELETE else item.get("pending_version")
    )


def _approver_ids(s: Session, approvers: list[str]) -> list[str]:
    """User ids of ``approvers`` (ids, or names looked up among the workspace's members)."""
    client = s.client()
    found = s.target_workspace()
    ws = found.id if found is not None else client.workspace
    every = members(client, segment(ws or ""))
    by_name = {m.get("user_name"): str(m.get("user_id")) for m in every}
    ids = []
    for approver in approvers:
        if approver.isdigit():
            ids.append(approver)
        elif approver in by_name:
            ids.append(by_name[approver])
        else:
            raise CommandError(
                f"No member of {s.workspace_label()} is called '{approver}'; name an approver "
                "holding the admin or deployer role (jobferry admin set-role USER WORKSPACE "
                "deployer gives it)."
            )
    return ids


@app.command("create")
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="The package's name.")],
    approvers: Annotated[
        list[str],
        typer.Option(
            "--approver",
            metavar="USER",
            help="An approver (name or user id) holding admin or deployer; repeat for more.",
        ),
    ],
    items: Annotated[
        list[str] | None,
        typer.Option("--item", metavar="ID", help="A pending item's id; repeat for more."),
    ] = None,
    every: Annotated[bool, typer.Option("--all", help="Every pending item (at most 100).")] = False,
    workspace: WorkspaceOption = None,
    json_mode: JsonOption = False,
) -> None:
    """Package pending items for release: their content is frozen and planned into production
    (refused with every problem listed)."""
    s = release_session(ctx, json_mode, workspace)
    if bool(items) == every:
        raise CommandError(
            "Name the items with --item ID (repeat it), or take every one with --all."
        )
    chosen = (
        [str(i.get("pending_item_id")) for i in _pending(s, None)] if every else list(items or [])
    )
    if every and not chosen:  # as promote when nothing changed: a pipeline's step, exit 0
        s.output.finish(
            {"release_package_id": None, "items": 0, "nothingPending": True},
            ExitCode.OK,
            f"Nothing to do: nothing waits for a release in {s.workspace_label()}, no pending "
            "item to package (an item is a job or script submitted, renamed or deleted since "
            "its last release; jobferry releases pending lists them). Nothing was created.",
        )
        return
    me = mapping(s.client().call("GET", "/users/me", scoped=False))
    body = {
        "apply_user_id": str(me.get("id")),
        "package_name": name,
        "pending_item_list": chosen,
        "approver_ids": _approver_ids(s, approvers),
    }
    try:
        answer = mapping(factory_call(s.client(), "POST", "/pending-items/package", body))
    except ApiError as exc:
        raise worded(exc, s.workspace_arg()) from exc
    s.output.result(
        answer,
        f"Created release package {answer.get('release_package_id')} '{name}' of "
        f"{len(chosen)} item(s) in {s.workspace_label()}; an approver deploys it with: "
        f"jobferry releases deploy {answer.get('release_package_id')}"
        f"{in_workspace(s.workspace_arg())}.",
    )


@app.command("show")
def show(
    ctx: typer.Context,
    package_id: PackageId,
    workspace: WorkspaceOption = None,
    json_mode: JsonOption = False,
) -> None:
    """A release package and its items (each one's change and versions)."""
    s = release_session(ctx, json_mode, workspace)
    answer = mapping(factory_call(s.client(), "GET", f"/release-packages/{segment(package_id)}"))
    if s.output.json_mode:
        s.output.emit(answer)
        return
    package = mapping(answer.get("release_package"))
    undone = rolled_back(package)
    s.output.fields(
        [
            ("package", f"{package.get('package_id')} '{package.get('package_name')}'"),
            ("state", state(package)),
            ("applicant", package.get("apply_user_name")),
            ("approvers", user_names(package.get("package_approvers"))),
            *deployed_lines(package),
            *([("rolled back", undone)] if undone else []),
            *restored_lines(package),
        ]
    )
    rows = [
        (
            d.get("item_name"),
            _kind(d.get("task_type")),
            _change(d.get("update_type")),
            _version(d),
            d.get("deployed_version") or "none",
            {2: "started", 3: "not started"}.get(d.get("start_job_status") or 0, ""),
        )
        for d in answer.get("task_details") or []
    ]
    s.output.table(("name", "kind", "change", "version", "in production", "scheduling"), rows)


@app.command("plan")
def plan(
    ctx: typer.Context,
    package_id: PackageId,
    workspace: WorkspaceOption = None,
    json_mode: JsonOption = False,
) -> None:
    """Plan a package waiting (or whose release failed) again against production as it is
    now: its frozen content, a new plan that a deploy applies (its approvals, when the plan
    moved, must be signed again)."""
    s = release_session(ctx, json_mode, workspace)
    try:
        answer = mapping(
            factory_call(s.client(), "POST", f"/release-packages/{segment(package_id)}/plan")
        )
    except ApiError as exc:
        raise worded(exc, s.workspace_arg(), made=False) from exc
    package = mapping(answer.get("release_package"))
    s.output.result(
        answer,
        f"Planned release package {package_id} again against production as it is now "
        f"(plan {package.get('plan_id')}); deploy it with: jobferry releases deploy "
        f"{package_id}.",
    )


def refuse_unasked(yes: bool, command: str) -> None:
    """Refuse (exit 2) a change of production that would ask first with no person at the
    terminal to answer: called before the session, whose production side is looked up on the
    server, so that the refusal comes before any call, as every other asking command's does."""
    if not yes:
        terminal.require_person(command, "go on")


def confirm_production(s: Session, yes: bool, command: str, question: str) -> None:
    """Go on with a change of production on ``--yes``, or when the person at the terminal
    answers yes to ``question`` (refused, exit 2, with no terminal to ask: the command refused
    it already, :func:`refuse_unasked`); declined, the command ends here (exit 1) saying that
    nothing changed."""
    if not yes:
        refuse_unasked(yes, command)
        s.output.confirm_or_end(question, {"cancelled": True}, "Cancelled; nothing changed.")


@app.command("deploy")
def deploy(
    ctx: typer.Context,
    package_id: PackageId,
    no_start: Annotated[
        bool,
        typer.Option("--no-start", help="Leave scheduling alone: new jobs stay stopped."),
    ] = False,
    yes: YesOption = False,
    workspace: WorkspaceOption = None,
    json_mode: JsonOption = False,
) -> None:
    """Release a package into production (its approvers, or an admin) and wait for its task;
    asks first unless --yes; exit 1 when the release failed."""
    refuse_unasked(yes, "releases deploy")
    s = release_session(ctx, json_mode, workspace)
    question = f"Release package {package_id} into the production of {s.workspace_label()}?"
    confirm_production(s, yes, "releases deploy", question)
    body = {"package_ids": [package_id], "startup_mode": 0 if no_start else 1}
    try:
        answer = mapping(factory_call(s.client(), "POST", "/release-packages/deploy", body))
    except ApiError as exc:
        if exc.code != "DLF.20990" or not _said_released(s, package_id):
            raise
        return
    details = [mapping(d) for d in answer.get("deploy_package_details") or []]
    task_id = str(details[0].get("asy_task_id")) if details else ""
    end_with_task(
        s,
        task_id,
        {"deploy": answer},
        done="Released",
        failed="The release failed:",
        what=f"package {package_id}",
        package=package_id,
    )


def _said_released(s: Session, package_id: str) -> bool:
    """Whether the package was released and production holds it (not rolled back since, or
    restored to it): a deploy run again (a pipeline's step retried) says so, exit 0."""
    answer = mapping(factory_call(s.client(), "GET", f"/release-packages/{segment(package_id)}"))
    package = mapping(answer.get("release_package"))
    holds = not package.get("rolled_back") or package.get("restored")
    if package.get("deploy_status") != DeployStatus.SUCCESS or not holds:
        return False
    s.output.finish(
        {"deploy": None, "releasedBefore": package},
        ExitCode.OK,
        f"Nothing to do: package {package_id} was released already "
        f"({moment(package.get('deploy_timestamp'))} by {package.get('deploy_user_name')}, task "
        f"{package.get('asy_task_id')}).",
    )
    return True


@app.command("cancel")
def cancel(
    ctx: typer.Context,
    package_ids: Annotated[
        list[str],
        typer.Argument(
            metavar="ID...", help="The release packages to cancel.", callback=package_ids
        ),
    ],
    workspace: WorkspaceOption = None,
    json_mode: JsonOption = False,
) -> None:
    """Cancel release packages not released: their items are pending again."""
    s = release_session(ctx, json_mode, workspace)
    factory_call(s.client(), "POST", "/release-packages/unpack", {"package_ids": package_ids})
    s.output.result(
        {"cancelled": package_ids},
        f"Cancelled release package(s) {', '.join(package_ids)}; their items are pending again.",
    )
