"""``jobferry tasks list|show`` and ``jobferry downloads …``: system tasks and the download
center.

``wait_for`` and ``task_exit`` are shared by every command that follows a task (export,
import, releases): the task is polled behind a progress bar, and its final status decides the
exit code; a task that ended without success is the output's ``failed_task``, which the failure
it causes names.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from jobferry.cli.asking import (
    interrupted_import,
    interrupted_task,
    lost_while_following,
    wait_timed_out,
)
from jobferry.cli.audit import WHEN_HELP, window
from jobferry.cli.choices import choice_type, from_kebab
from jobferry.cli.client import ApiError, ConnectionProblemError, segment
from jobferry.cli.exits import PACKAGE_REFUSALS, ExitCode, TaskWaitTimeoutError
from jobferry.cli.output import Output, epoch_ms, mapping, size_text
from jobferry.cli.session import JsonOption, Session, WorkspaceOption, session
from jobferry.cli.taskpages import task_page
from jobferry.cli.taskview import said_message, show_task
from jobferry.domain.enums import TaskKind, TaskStatus

tasks_app = typer.Typer(
    help="System tasks of a workspace: imports, plans, exports, rollbacks, refreshes."
)
downloads_app = typer.Typer(help="The download center of a workspace (jobferry).")
DownloadId = Annotated[str, typer.Argument(help="Download id (downloads list).")]


def wait_for(
    s: Session, task_id: str, description: str, what: str = "", then: str = ""
) -> dict[str, Any]:
    """Poll a task to its end behind a progress bar. Ctrl-C, or the wait's limit running out,
    stops the following only: the server goes on with the task (``what`` it is), which the
    interruption (exit 130) or the timeout (exit 124) says, with how to follow it and
    ``then`` what to do once it has ended."""
    try:
        return _waited(s, task_id, description, what, then=then)
    except KeyboardInterrupt:
        raise interrupted_task(s, task_id, what, then=then) from None


def _waited(
    s: Session, task_id: str, description: str, what: str, *, rollback: bool = False, then: str = ""
) -> dict[str, Any]:
    try:
        with s.output.progress(description) as bar:
            task = s.client().wait_task(task_id, bar.task)
    except TaskWaitTimeoutError as late:
        raise wait_timed_out(s, late, what, rollback=rollback, then=then) from None
    if task.get("status") != TaskStatus.SUCCESSFUL:  # a failure it causes names it
        s.output.failed_task = task_id
    return task


def follow_import(s: Session, task_id: str) -> dict[str, Any]:
    """Follow an import the server accepted to its end. Ctrl-C stops the following only: the
    server goes on, so the interruption (exit 130) says how to follow the task and roll it
    back rather than leaving in silence."""
    try:
        return _waited(s, task_id, "Importing", "import", rollback=True)
    except KeyboardInterrupt:
        raise interrupted_import(s, task_id) from None
    except ConnectionProblemError as lost:
        raise lost_while_following(s, task_id, "import", lost, rollback=True) from None


def follow_accepted(
    s: Session, task_id: str, what: str, *, changes: bool = True, then: str = ""
) -> dict[str, Any]:
    """Follow the task a call answered instead of doing its work (``Prefer: respond-async``;
    ``what`` it does: rollback, refresh, promotion) to its end: its result. A task that failed
    is the refusal the call would have answered (:class:`ApiError`). Stopped following, the
    command says that the task goes on (and ``changes`` all or nothing), and ``then`` what
    to do once it has ended."""
    try:
        task = _waited(s, task_id, f"Running the {what}", what, then=then)
    except KeyboardInterrupt:
        raise interrupted_task(s, task_id, what, all_or_nothing=changes, then=then) from None
    except ConnectionProblemError as lost:
        raise lost_while_following(s, task_id, what, lost) from None
    result = mapping(task.get("result"))
    if task.get("status") != TaskStatus.SUCCESSFUL:
        code, message = str(result.get("errorCode") or "?"), str(task.get("message") or "")
        status = int(result.pop("httpStatus", 400))
        raise ApiError(status, code, message, {**result, "error_code": code, "error_msg": message})
    return result


def task_exit(task: dict[str, Any]) -> ExitCode:
    """The exit code a finished task stands for (see ``jobferry.cli.exits``)."""
    status = task.get("status")
    result = mapping(task.get("result"))
    if status == TaskStatus.WARNING or (status == TaskStatus.FAILED and refused_by_check(result)):
        return ExitCode.PROBLEMS
    if status == TaskStatus.FAILED:
        return ExitCode.FAILED
    return ExitCode.OK


def status_text(task: dict[str, Any]) -> str:
    """A task's status: ``RUNNING 40%``, ``SUCCESSFUL`` (and under it ``rolled back``, or
    ``rollback expired`` for an import past ``JOBFERRY_ROLLBACK_DAYS``)."""
    status = str(task.get("status", ""))
    if status == TaskStatus.RUNNING:
        return f"RUNNING {task.get('progress', 0)}%"
    if isinstance(task.get("rolledBack"), dict):
        return f"{status}\nrolled back"
    if isinstance(task.get("rollingBack"), dict):
        return f"{status}\nrolling back"
    return (
        f"{status}\nrollback expired" if isinstance(task.get("rollbackExpired"), dict) else status
    )


def task_text(task: dict[str, Any]) -> str:
    """What a task is: ``import, 2025-03-01 10:00:00 UTC by alice``, its title and message."""
    head = str(task.get("kind") or "task")
    started = epoch_ms(task.get("startTime"))
    if started:
        head += f", {started} UTC"
    if task.get("createUser"):
        head += f" by {task['createUser']}"
    lines = (head, task.get("name"), said_message(task))
    return "\n".join(str(line) for line in lines if line)


def refused_by_check(result: dict[str, Any]) -> bool:
    """Whether a FAILED task's result says the check refused it: problems listed, or the
    package itself refused (its ``errorCode``, e.g. a planning task reading a corrupt entry)."""
    return bool(result.get("problems")) or result.get("errorCode") in PACKAGE_REFUSALS


# ``--status`` and ``--kind``: the domain's task statuses and kinds in kebab case (the type
# checker sees strings).
if TYPE_CHECKING:
    StatusName = str
    KindName = str
else:
    StatusName = choice_type(TaskStatus)
    KindName = choice_type(TaskKind)


@tasks_app.command("list")
def list_tasks_command(
    ctx: typer.Context,
    status: Annotated[
        StatusName | None, typer.Option("--status", help="Only tasks with this status.")
    ] = None,
    kind: Annotated[
        KindName | None,
        typer.Option("--kind", help="Only tasks of this kind (a plan is an import's dry run)."),
    ] = None,
    limit: Annotated[
        int,
        typer.Option(
            "--limit", min=1, max=100, metavar="N", help="How many tasks a page lists (1-100)."
        ),
    ] = 20,
    page: Annotated[
        int,
        typer.Option(
            "--page",
            min=1,
            max=1_000_000,
            metavar="K",
            help="Which page of --limit tasks, newest first (1: the newest).",
        ),
    ] = 1,
    since: Annotated[
        str | None,
        typer.Option(
            metavar="WHEN", help=f"Only tasks started at or after this time: {WHEN_HELP}."
        ),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(metavar="WHEN", help="Only tasks started before this time (the same forms)."),
    ] = None,
    json_mode: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """List the workspace's system tasks, newest first, a page at a time: their ids for
    'tasks show' and 'rollback' (jobferry extension)."""
    s = session(ctx, json_mode, workspace)
    wanted = from_kebab(TaskStatus, status) if status is not None else None
    of_kind = from_kebab(TaskKind, kind) if kind is not None else None
    query = {
        "status": wanted,
        "kind": of_kind,
        **window(since, until),
    }
    answer = task_page(s.client(), query, limit, page)
    out = s.output
    items = out.items(answer, "tasks")
    if items is None:
        return
    # Three columns fit 80: the id (to copy into 'tasks show' or 'rollback') never folds; the
    # task cell says what, when and who, then the title and the message, each on its line.
    out.table(
        ("id", "status", "task"),
        [(t.get("id"), status_text(t), task_text(t)) for t in items],
        empty="No tasks.",
    )
    total = answer.get("total", len(items))
    if isinstance(total, int):
        shown = PageShown(page, limit, len(items), total)
        asked_window = {"--since": since, "--until": until}
        asked = _asked(status, kind, limit, s.workspace_arg() if shown.more else None, asked_window)
        _page_note(out, shown, asked)


@dataclass(frozen=True)
class PageShown:
    """Which page of tasks a list showed: its number, its size, how many it listed, of how
    many."""

    page: int
    limit: int
    listed: int
    total: int

    @property
    def pages(self) -> int:
        """How many pages of ``limit`` the tasks make."""
        return max(1, -(-self.total // self.limit))

    @property
    def more(self) -> bool:
        """Whether a next page holds tasks."""
        return self.listed > 0 and self.page < self.pages


def _asked(
    status: str | None,
    kind: str | None,
    limit: int,
    workspace: str | None,
    window: dict[str, str | None] | None = None,
) -> str:
    """The options of a ``tasks list`` that the next page's command repeats."""
    given = (
        ("--status", status),
        ("--kind", kind),
        *(window or {}).items(),
        ("--limit", None if limit == 20 else str(limit)),
        ("-w", workspace),
    )
    return "".join(f" {option} {shlex.quote(value)}" for option, value in given if value)


def _page_note(out: Output, shown: PageShown, asked: str) -> None:
    """Under the table: which tasks the page holds, of how many, and the command of the next
    page (or, past the end, how many pages there are)."""
    if not shown.listed:
        if shown.page > 1:
            count = f"{shown.total} task(s), {shown.pages} page(s)"
            out.note(f"Page {shown.page} is past the end: {count}.")
        return
    if shown.total <= shown.listed:
        return
    first = (shown.page - 1) * shown.limit + 1
    said = f"Tasks {first}-{first + shown.listed - 1} of {shown.total}, newest first"
    if shown.more:
        said += f"; the next page: jobferry tasks list{asked} --page {shown.page + 1}"
    out.note(said + ".")


@tasks_app.command("show")
def show_task_command(
    ctx: typer.Context,
    task_id: Annotated[
        str, typer.Argument(help="The task id (tasks list; a command that starts one prints it).")
    ],
    wait: Annotated[
        bool,
        typer.Option("--wait", help="Follow the task to its end; the exit code tells how it went."),
    ] = False,
    json_mode: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Show a system task: kind, who started it, status, progress, message, whether an import
    was rolled back (when, by whom), subtasks and problems."""
    s = session(ctx, json_mode, workspace)
    client = s.client()
    task = (
        wait_for(s, task_id, "Waiting") if wait else client.get(f"/system-tasks/{segment(task_id)}")
    )
    shown_in = None if s.output.json_mode else s.workspace_arg()
    show_task(s.output, task, shown_in, refused_in=s.fix_workspace())
    s.output.finish(task, task_exit(task) if wait else ExitCode.OK, None)


@downloads_app.command("list")
def list_downloads(
    ctx: typer.Context, json_mode: JsonOption = False, workspace: WorkspaceOption = None
) -> None:
    """List the packages in the download center (newest first)."""
    s = session(ctx, json_mode, workspace)
    answer = s.client().get("/downloads")
    out = s.output
    items = out.items(mapping(answer), "downloads")
    if items is None:
        return
    out.table(
        ("id", "file", "size", "created (UTC)", "expires (UTC)", "by"),
        [
            (
                d.get("id"),
                d.get("fileName"),
                size_text(d.get("size")),
                epoch_ms(d.get("createTime")),
                epoch_ms(d.get("expireTime")),
                d.get("createUser"),
            )
            for d in items
        ],
    )
    where = s.client().workspace
    if items and where:
        out.note(
            f"Import one (into any workspace) with jobferry import download://{where}/ID -w TARGET."
        )


@downloads_app.command("get")
def get_download(
    ctx: typer.Context,
    download_id: DownloadId,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", metavar="FILE|DIR", help="File or folder to write."),
    ] = None,
    json_mode: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Download a package from the download center."""
    s = session(ctx, json_mode, workspace)
    with s.output.progress("Downloading", transfer=True) as bar:
        got = s.client().download(
            "GET", f"/downloads/{segment(download_id)}/content", output, progress=bar.bytes
        )
    result = {"file": str(got.path), "size": got.size, "sha256": got.sha256}
    s.output.result(result, f"Downloaded {got.path} ({size_text(got.size)}).")


@downloads_app.command("delete")
def delete_download(
    ctx: typer.Context,
    download_id: DownloadId,
    json_mode: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Delete a package from the download center."""
    s = session(ctx, json_mode, workspace)
    s.client().call("DELETE", f"/downloads/{segment(download_id)}")
    s.output.result({"deleted": download_id}, f"Deleted {download_id}.")
