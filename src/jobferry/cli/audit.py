"""``jobferry audit``: who did what to which object in a workspace, and when.

Every change made through the server is written to the workspace's audit log in the
transaction that makes it (``GET …/audit``, workspace admins). This lists the newest entries
that match: those about one object, by one user, of one action or family of actions (``job``:
every ``job.…``), in a window of time given as a span back from now (``7d``) or a UTC date or
time.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import typer

from jobferry.cli.fix_terms import in_workspace, quoted
from jobferry.cli.output import Output, epoch_ms, mapping, moment
from jobferry.cli.session import JsonOption, Session, WorkspaceOption, session
from jobferry.domain.audit import detail_line

SPAN = re.compile(r"(\d+)([mhdw])")
UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}

WHEN_HELP = (
    "a span back from now (30m, 12h, 7d, 2w), or a UTC date or time (2026-11-01, "
    "2026-11-01T08:30; an offset such as +08:00 names another zone)"
)


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
"""The earliest time a search reads: the server counts times in milliseconds from it."""


def when(text: str, option: str, now: datetime | None = None) -> int:
    """The epoch milliseconds ``text`` names (see :data:`WHEN_HELP`); refused, naming the
    ``option`` and the forms it takes, and a time before 1970 (a span reaching back so far)."""
    span = SPAN.fullmatch(text.strip())
    try:
        if span:
            back = timedelta(**{UNITS[span.group(2)]: int(span.group(1))})
            moment = (now or datetime.now(UTC)) - back
        else:
            moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise typer.BadParameter(
            f"'{text}' is not a time; give {WHEN_HELP}.", param_hint=option
        ) from None
    except OverflowError:
        moment = datetime.min.replace(tzinfo=UTC)  # a span reaching back past year 1
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if moment < EPOCH:
        raise typer.BadParameter(
            f"'{text}' is before 1970-01-01, the earliest time a search reads; give a later "
            f"time, or leave {option} out.",
            param_hint=option,
        )
    return int(moment.timestamp() * 1000)


def window(since: str | None, until: str | None) -> dict[str, int | None]:
    """``--since`` and ``--until`` as the epoch milliseconds they name (a span of each counted
    back from the same moment); refused when the first is not earlier than the second: the
    window would hold no time."""
    now = datetime.now(UTC)
    start = when(since, "--since", now) if since is not None else None
    end = when(until, "--until", now) if until is not None else None
    if start is not None and end is not None and start >= end:
        said = "later than" if start > end else "the same time as"
        raise typer.BadParameter(
            f"--since {since} is {said} --until {until}: give the earlier time to --since.",
            param_hint="--since",
        )
    return {"since": start, "until": end}


def audit_command(
    ctx: typer.Context,
    object_name: Annotated[
        str | None,
        typer.Option("--object", metavar="NAME", help="Only entries about this object (a job…)."),
    ] = None,
    kind: Annotated[
        str | None,
        typer.Option(
            "--kind", metavar="KIND", help="Only entries about objects of this kind (job, script…)."
        ),
    ] = None,
    user: Annotated[
        str | None, typer.Option("--user", metavar="NAME", help="Only what this user did.")
    ] = None,
    action: Annotated[
        str | None,
        typer.Option(
            "--action",
            metavar="ACTION",
            help="Only this action (job.update) or family of them (job: every job.…).",
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(metavar="WHEN", help=f"Only entries at or after this time: {WHEN_HELP}."),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(metavar="WHEN", help="Only entries before this time (the same forms)."),
    ] = None,
    limit: Annotated[
        int,
        typer.Option("--limit", min=1, max=100, metavar="N", help="How many entries (1-100)."),
    ] = 20,
    project: Annotated[
        bool,
        typer.Option(
            "--project",
            help="The project's entries of no workspace instead: users, their access keys, "
            "approval keys and passwords, sign-ins, tokens, the secret key (project admins).",
        ),
    ] = False,
    json_mode: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Who did what to which object in the workspace, and when: the audit log's newest
    entries, of one object, user, action or time if asked (workspace admins); with
    --project, what was done to users and their access (project admins)."""
    s = session(ctx, json_mode, workspace)
    object_name = _named(object_name)
    query: dict[str, Any] = {
        "objectName": object_name,
        "objectKind": kind,
        "actor": user,
        "action": action,
        **window(since, until),
    }
    answer = mapping(s.client().get("/audit", limit=limit, offset=0, **query, **_of(project)))
    out = s.output
    items = out.items(answer, "entries")
    if items is None:
        return
    asked = any(value is not None for value in query.values())
    imports = [mapping(i) for i in answer.get("imports") or []]
    out.table(
        ("time (UTC)", "by", "action", "object", "detail"),
        [
            (
                epoch_ms(e.get("time")),
                e.get("actor"),
                e.get("action"),
                " ".join(str(e.get(k)) for k in ("objectKind", "objectName") if e.get(k)),
                detail_line(e.get("detail")),
            )
            for e in items
        ],
        empty=(
            f"No line of the audit log names {object_name} besides the imports below."
            if imports
            else _nothing(_log_of(s, project), asked, mapping(answer.get("dropped")))
        ),
    )
    if imports:
        _imports(out, imports, str(object_name))
    of_object = _of_object(object_name, project)
    where = in_workspace(s.workspace_arg()) if of_object and not out.json_mode else ""
    _notes(out, answer, items, of_object, where, bool(imports))


def _named(object_name: str | None) -> str | None:
    """The object asked for: a blank name is none, as the server reads it (no imports of it
    to list, no note about them)."""
    return (object_name or "").strip() or None


def _of(project: bool) -> dict[str, str]:
    """The query's scope: the project's own entries (``--project``), or the workspace's."""
    return {"project": "true"} if project else {}


def _of_object(object_name: str | None, project: bool) -> str | None:
    """The object whose imports the notes point at: none in the project's entries (users)."""
    return None if project else object_name


def _log_of(s: Session, project: bool) -> str:
    """Whose audit log an empty answer names."""
    return "the project" if project else s.workspace_label()


def _imports(out: Output, imports: list[dict[str, Any]], name: str) -> None:
    """The imports (promotions, releases, ``apply -f``) that changed the object, newest
    first: what the audit log's one line per package does not say."""
    out.table(
        ("time (UTC)", "by", "object", "action", "task", "import"),
        [
            (
                epoch_ms(i.get("time")),
                i.get("actor"),
                f"{i.get('objectKind')} {i.get('objectName')}",
                f"{i.get('action')}{' (rolled back)' if i.get('rolledBack') else ''}",
                i.get("taskId"),
                i.get("taskName"),
            )
            for i in imports
        ],
        title=f"Imports that changed {name}, newest first",
    )


def _notes(
    out: Output,
    answer: dict[str, Any],
    items: list[dict[str, Any]],
    object_name: str | None,
    where: str,
    imports: bool = False,
) -> None:
    """What the tables leave unsaid: entries dropped before the window, more than shown, and
    (of one object) that imports are logged per package; ``where``: the commands' ``-w``."""
    dropped = mapping(answer.get("dropped"))
    if dropped and items:
        out.note(_dropped(dropped))
    total = answer.get("total", len(items))
    if isinstance(total, int) and total > len(items):
        out.note(
            f"The newest {len(items)} of {total} entries; --limit shows up to 100, and --object, "
            "--kind, --user, --action, --since and --until narrow them."
        )
    if object_name is not None and imports:
        out.note(f"jobferry tasks show TASK{where} lists every object an import changed.")
    elif object_name is not None:  # an empty answer must not read "nobody changed it"
        out.note(
            "An import (a promotion, apply -f) is logged once, as its package (import.apply), "
            f"not per object: jobferry jobs show {quoted(object_name)}{where} says which import "
            f"last wrote a job, and jobferry tasks show TASK{where} lists each object an import "
            "changed."
        )


def _dropped(dropped: dict[str, Any]) -> str:
    """What the server dropped before the window's start (``JOBFERRY_AUDIT_DAYS``)."""
    return (
        f"Entries before {moment(dropped.get('before'))} were dropped: the server keeps "
        f"{dropped.get('keptDays')} day(s) of them (JOBFERRY_AUDIT_DAYS)."
    )


def _nothing(workspace: str, asked: bool, dropped: dict[str, Any]) -> str:
    """What an empty answer says: no entry, or none kept where older ones were dropped."""
    if dropped:
        which = " that matches" if asked else ""
        return f"The audit log of {workspace} keeps no entry{which}. {_dropped(dropped)}"
    return f"The audit log of {workspace} has no entry" + (" that matches." if asked else " yet.")
