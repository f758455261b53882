"""``jobferry releases rollback|restore|ledger``: the last release rolled back, production
restored to an earlier release (a plan to review, then its apply), and the release ledger at a
moment — thin commands over jobferry's extensions of the release calls.

Exit codes as ``promote``'s: 0 done (or, for ``restore --dry-run``, nothing would change),
1 refused or failed, 3 the restore's plan lists problems (nothing applied), 4 ``restore
--dry-run`` with changes pending.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from jobferry.cli.client import RESPOND_ASYNC, WORK_SECONDS, segment
from jobferry.cli.exits import CommandError, ExitCode
from jobferry.cli.fix_terms import in_workspace
from jobferry.cli.output import mapping, to_json
from jobferry.cli.planview import show_plan
from jobferry.cli.planwork import pending
from jobferry.cli.releases import (
    confirm_production,
    end_with_task,
    factory_call,
    package_ids,
    refuse_unasked,
    user_names,
)
from jobferry.cli.session import (
    JsonOption,
    Session,
    WorkspaceOption,
    YesOption,
    release_session,
)
from jobferry.cli.tasks import follow_accepted

PackageArgument = Annotated[
    str | None,
    typer.Argument(metavar="PACKAGE", help="The release package's id.", callback=package_ids),
]


def rollback_command(
    ctx: typer.Context,
    package_id: PackageArgument = None,
    last: Annotated[
        bool, typer.Option("--last", help="The last release, whichever it is.")
    ] = False,
    yes: YesOption = False,
    workspace: WorkspaceOption = None,
    json_mode: JsonOption = False,
) -> None:
    """Roll back the last release: production back to exactly what it held before (jobs it
    started stopped again), refused naming every object changed since; asks first unless
    --yes."""
    if (package_id is None) != last:
        raise CommandError(
            "Name the release package to roll back, or roll back the last with --last."
        )
    refuse_unasked(yes, "releases rollback")
    s = release_session(ctx, json_mode, workspace)
    which = "the last release" if last else f"release package {package_id}"
    question = f"Roll back {which} of {s.workspace_label()}: production as it was before it?"
    confirm_production(s, yes, "releases rollback", question)
    wanted = "last" if last else segment(package_id or "")
    answer = mapping(
        s.client().call(
            "POST",
            f"/factory/release-packages/{wanted}/rollback",
            api="v2",
            timeout=WORK_SECONDS,
            unanswered="the server may still be rolling the release back: jobferry releases "
            "ledger shows its rollback once it is done; do not start it again before.",
            headers=RESPOND_ASYNC,
        )
    )
    if "workspace_id" in answer:  # a rollback task of the production side, followed
        answer = _as_answered(follow_accepted(s, str(answer.get("task_id")), "rollback"))
    what = (
        f"release package {answer.get('package_id')} '{answer.get('package_name')}'"
        if answer.get("package_id") is not None
        else f"the signed release '{answer.get('package_name')}' taken in"
    )
    s.output.result(
        answer,
        f"Rolled back {what} in {s.workspace_label()}: {answer.get('rolled_back')} object(s) "
        f"back as they were (ledger entry {answer.get('entry_id')}).",
    )


def _restored(package_id: str | None, entry: int | None) -> tuple[str, str, str]:
    """The restore call of a release named by its package or its ledger entry: its path, the
    release in words, and how a command names it again."""
    if package_id is not None:
        path = f"/release-packages/{segment(package_id)}/restore"
        return path, f"release package {package_id}", package_id
    return f"/release-ledger/{entry}/restore", f"entry {entry}", f"--entry {entry}"


def _as_answered(result: dict[str, Any]) -> dict[str, Any]:
    """A release rollback task's result as the rollback call answers it."""
    return {
        "package_id": result.get("packageId"),
        "package_name": result.get("packageName"),
        "entry_id": result.get("entryId"),
        "task_id": result.get("taskId"),
        "rolled_back": result.get("rolledBack"),
        "objects": result.get("objects") or [],
    }


def restore_command(
    ctx: typer.Context,
    package_id: Annotated[
        str | None,
        typer.Argument(metavar="PACKAGE", help="The release to restore.", callback=package_ids),
    ] = None,
    entry: Annotated[
        int | None,
        typer.Option(
            "--entry",
            metavar="ENTRY",
            help="The release to restore by its ledger entry (a signed release taken in has "
            "no package here).",
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Plan only: show the plan and keep it for --plan.")
    ] = False,
    plan_id: Annotated[
        str | None,
        typer.Option("--plan", metavar="PLAN_ID", help="Apply the plan a --dry-run kept."),
    ] = None,
    yes: YesOption = False,
    workspace: WorkspaceOption = None,
    json_mode: JsonOption = False,
) -> None:
    """Restore production to what it held right after a release: a plan from production now
    to that state, applied as one change (exit 4 with --dry-run when it would change); asks
    first unless --yes or --dry-run."""
    if dry_run and plan_id is not None:
        raise CommandError("--dry-run makes a plan and --plan applies one; give one of them.")
    if (package_id is None) == (entry is None):
        raise CommandError("Name the release to restore: a PACKAGE, or --entry ENTRY.")
    refuse_unasked(yes or dry_run, "releases restore")
    s = release_session(ctx, json_mode, workspace)
    path, what, again = _restored(package_id, entry)
    question = f"Restore the production of {s.workspace_label()} to {what}?"
    if not dry_run:
        confirm_production(s, yes, "releases restore", question)
    body = {"dry_run": dry_run, "plan_id": plan_id}
    answer = mapping(factory_call(s.client(), "POST", path, body))
    if answer.get("asy_task_id"):
        _follow(s, what, answer)
        return
    plan = answer.get("plan")
    if plan is None:
        s.output.finish(answer, ExitCode.OK, f"Production already holds {what}'s state.")
        return
    into = f"the production of {s.workspace_label()}"
    show_plan(s.output, plan, command="releases restore", into=into)
    if plan.get("problems"):
        s.output.finish(
            answer, ExitCode.PROBLEMS, "The restore's plan has problems; nothing was applied."
        )
    said = pending(plan)
    s.output.finish(
        answer,
        ExitCode.PENDING if said else ExitCode.OK,
        f"Plan {answer.get('plan_id')} ({said or 'no change'}); apply it with: jobferry "
        f"releases restore {again} --plan {answer.get('plan_id')}"
        f"{in_workspace(s.workspace_arg())}.",
    )


def _follow(s: Session, what: str, answer: dict[str, Any]) -> None:
    end_with_task(
        s,
        str(answer.get("asy_task_id")),
        {"restore": answer},
        done="Restored",
        failed="The restore failed:",
        what=f"production to {what}",
        kind="restore",
    )


def ledger_command(
    ctx: typer.Context,
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            metavar="WHEN",
            help="A moment: 2026-11-26T08:00:00+08:00, a UTC time, a date (its end) or epoch ms.",
        ),
    ] = None,
    shape: Annotated[
        str, typer.Option("--format", metavar="json|csv", help="The export's format.")
    ] = "",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", metavar="FILE", help="Write it to FILE.")
    ] = None,
    limit: Annotated[
        int,
        typer.Option(
            "--limit", min=1, max=100, metavar="N", help="How many of the newest entries shown."
        ),
    ] = 20,
    workspace: WorkspaceOption = None,
    json_mode: JsonOption = False,
) -> None:
    """The release ledger: its newest releases, rollbacks and restores (package, plan hash,
    approvers, deployer, start mode, when, each object's version) and what production held at
    --at; --format json|csv or --json: every entry."""
    s = release_session(ctx, json_mode, workspace)
    if shape not in ("", "json", "csv"):
        raise CommandError(f"--format '{shape}' is not json or csv.")
    if shape == "csv":
        text = s.client().text("/factory/release-ledger", query=_query(at, "csv"), api="v2")
        _write(s, output, text)
        return
    if shape == "json" or s.output.json_mode or output is not None:
        answer = mapping(factory_call(s.client(), "GET", "/release-ledger", at=at))
        _write(s, output, None, answer)
        return
    page = {"limit": limit, "offset": 0}
    _show(s, mapping(factory_call(s.client(), "GET", "/release-ledger", at=at, **page)))


def _query(at: str | None, shape: str) -> dict[str, str]:
    query = {"format": shape}
    if at:
        query["at"] = at
    return query


def _write(s: Session, output: Path | None, text: str | None, value: Any = None) -> None:
    body = text if text is not None else to_json(value) + "\n"
    if output is None:
        typer.echo(body, nl=False)
        return
    # A CSV file is for a spreadsheet: a byte order mark makes Excel read it as UTF-8.
    output.write_text(body, encoding="utf-8-sig" if text is not None else "utf-8")
    s.output.note(f"Wrote the release ledger to {output}.")


def _package(e: dict[str, Any]) -> str:
    """The package an entry names: its id and name, or a signed release's taken in."""
    if e.get("package_id") is None and e.get("source_workspace_id"):
        return f"{e.get('package_name') or ''} (signed release taken in)"
    return f"{e.get('package_id')} {e.get('package_name') or ''}".strip()


_STARTS = {1: "started", 0: "not started (--no-start)"}
"""What a release did with the jobs it released (the entry's ``startup_mode``)."""


def _entry_row(e: dict[str, Any]) -> tuple[Any, ...]:
    start = e.get("startup_mode")
    return (
        e.get("entry_id"),
        e.get("action"),
        _package(e),
        user_names(e.get("approvers")),
        ", ".join(f"{a.get('user_name')} ({a.get('key_id')})" for a in e.get("approvals") or []),
        e.get("deployer"),
        "" if start is None else _STARTS.get(start, str(start)),
        e.get("at_iso"),
        len(e.get("objects") or []),
        str(e.get("plan_hash") or "")[:12],
    )


def _show(s: Session, answer: dict[str, Any]) -> None:
    when = answer.get("at_iso") or "now"
    rows = [_entry_row(e) for e in answer.get("entries") or []]
    columns = (
        "entry",
        "action",
        "package",
        "approvers",
        "signed by (key)",
        "by",
        "start",
        "at (UTC)",
        "objects",
        "plan hash",
    )
    s.output.table(columns, rows, title=f"Release ledger ({when})", empty="no releases")
    total = answer.get("total")
    if isinstance(total, int) and total > len(rows):
        s.output.note(
            f"The newest {len(rows)} of {total:,} entries; --limit shows up to 100, and "
            "--at WHEN the ledger as it stood then (the entries made by then)."
        )
    held = [
        (
            o.get("name"),
            o.get("kind"),
            o.get("version"),
            str(o.get("sha256"))[:12],
            o.get("entry_id"),
        )
        for o in answer.get("production") or []
    ]
    s.output.table(
        ("name", "kind", "version", "content", "entry"),
        held,
        title=f"In production ({when})",
        empty="nothing released",
    )
