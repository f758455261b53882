"""``jobferry jobs versions|diff|restore|submit`` and the same of ``jobferry scripts``: a job's
or a script's submitted versions, what changed from one to another, field by field, or since
the latest was submitted (a script's content line by line), one version given back as the
development state, and the development state submitted as a new version.

``diff`` exits 0 when the two are the same and 4 when they differ, as ``plan`` and ``drift``
do, so that a script can ask "was anything saved since it was submitted?". ``restore`` asks
first (``--yes`` not to), naming the ``diff`` that shows what it would undo.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.text import Text

from jobferry.cli import terminal
from jobferry.cli.changeview import change_line
from jobferry.cli.client import segment
from jobferry.cli.deleting import lock_passed
from jobferry.cli.exits import ExitCode
from jobferry.cli.fix_terms import in_workspace, quoted
from jobferry.cli.output import Output, epoch_ms, mapping, objects_under
from jobferry.cli.session import JsonOption, Session, WorkspaceOption, YesOption, session
from jobferry.domain.diff import line_diff
from jobferry.domain.enums import ObjectKind

FromOption = Annotated[
    int | None,
    typer.Option(
        "--from",
        metavar="N",
        help="The submitted version to compare from (default: the one before --to).",
    ),
]
ToOption = Annotated[
    int | None,
    typer.Option(
        "--to",
        metavar="N",
        help="The submitted version to compare to (default: the development state, as saved).",
    ),
]
VersionOption = Annotated[
    int,
    typer.Option(
        "--version", metavar="N", min=1, help="The submitted version to restore (from 1)."
    ),
]
ApproverOption = Annotated[
    list[str] | None,
    typer.Option(
        "--approver",
        metavar="USER",
        help="A user who approves the version, where the workspace asks for approvers "
        "(repeat for more).",
    ),
]
JobName = Annotated[str, typer.Argument(help="Job name.")]
ScriptName = Annotated[str, typer.Argument(help="Script name.")]

_STYLES = {"+": "green", "-": "red", "@": "cyan"}
"""How a line of a content diff is coloured, by its first character."""


def _versions(s: Session, kind: ObjectKind, name: str) -> None:
    answer = mapping(s.client().get(f"/{kind}s/{segment(name)}/versions"))
    versions = objects_under(answer, "versions")
    out = s.output
    if out.json_mode:
        out.emit(answer)
        return
    rows = [
        (v.get("version"), v.get("status"), v.get("createUser"), epoch_ms(v.get("createTime")))
        for v in versions
    ]
    out.table(("version", "status", "by", "when (UTC)"), rows)
    if versions:
        out.note(
            f"{len(versions)} version(s); jobferry {kind}s diff {name} says what the "
            "development state changed since the latest, --to N what version N changed."
        )
    else:
        out.note(f"The {kind} {name} was never submitted: only its development state exists.")


def _diff(s: Session, kind: ObjectKind, name: str, older: int | None, newer: int | None) -> None:
    path = f"/{kind}s/{segment(name)}/compare"
    answer = mapping(s.client().get(path, **{"from": older, "to": newer}))
    out = s.output
    changes = objects_under(answer, "changes")
    span = f"from version {answer.get('from')} to {_state(answer.get('to'))}"
    if not changes:
        out.finish(answer, ExitCode.OK, f"No change in {kind} {name} {span}.")
        return
    out.line(Text(f"{kind} {name}, {span}:", style="bold"))
    for change in changes:
        _said(out, change)
    out.finish(
        answer, ExitCode.PENDING, f"{len(changes)} field(s) of {kind} {name} changed {span}."
    )


def _restore(s: Session, kind: ObjectKind, name: str, version: int, yes: bool) -> None:
    out = s.output
    if not yes:
        terminal.require_person(f"{kind}s restore", "restore it")
        undone = f"jobferry {kind}s diff {quoted(name)} --from {version}"
        question = (
            f"Give {kind} '{name}' in {s.workspace_label()} at {s.client().endpoint} the "
            f"definition of its version {version}? Its development state is replaced (saved, "
            "not submitted), and what was saved since and never submitted is not kept; see "
            f"what it undoes with: {undone}{in_workspace(s.fix_workspace())}"
        )
        out.confirm_or_end(question, {"restored": None}, "Cancelled; nothing changed.")
    changed = s.client().change("POST", f"/{kind}s/{segment(name)}/versions/{version}/restore")
    answer = mapping(changed.answer)
    result = answer | lock_passed(s, kind, name, changed, "restored")
    changes = objects_under(answer, "changes")
    if not changes:
        said = f"The development state of {kind} {name} is version {version} already; "
        out.result(result, said + "nothing was saved.")
        return
    out.line(Text(f"{kind} {name}, from the development state to version {version}:"))
    for change in changes:
        _said(out, change)
    out.result(
        result,
        f"Restored {kind} {name} to version {version}: {len(changes)} field(s) changed, "
        f"saved and not submitted (jobferry {kind}s submit {quoted(name)}"
        f"{in_workspace(s.fix_workspace())} makes it a version again).",
    )


def _submit(s: Session, kind: ObjectKind, name: str, approvers: list[str] | None) -> None:
    body = {"approvers": [{"approverName": a} for a in approvers]} if approvers else None
    changed = s.client().change("POST", f"/{kind}s/{segment(name)}/submit", body)
    answer = mapping(changed.answer)
    result = answer | lock_passed(s, kind, name, changed, "submitted")
    version = answer.get("version")
    if not answer.get("made"):
        said = f"The development state of {kind} {name} is version {version} already; "
        s.output.result(result, said + "nothing was submitted.")
        return
    s.output.result(result, f"Submitted {kind} {name} as version {version}.")


def _state(version: Any) -> str:
    return "the development state" if version is None else f"version {version}"


def _said(out: Output, change: dict[str, Any]) -> None:
    """One field change; a text of several lines (a script's content) as its changed lines."""
    before, after = change.get("before"), change.get("after")
    if not (isinstance(before, str) and isinstance(after, str) and "\n" in before + after):
        out.line(change_line(change))
        return
    out.line(Text.assemble(("    ~ ", "yellow"), (str(change.get("path")), "bold"), ":"))
    for line in line_diff(before, after):
        out.line(Text("      " + line, style=_STYLES.get(line[:1], "")))


def job_versions(
    ctx: typer.Context,
    name: JobName,
    json_mode: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """List a job's submitted versions: who submitted each, and when."""
    _versions(session(ctx, json_mode, workspace), ObjectKind.JOB, name)


def job_diff(
    ctx: typer.Context,
    name: JobName,
    older: FromOption = None,
    newer: ToOption = None,
    json_mode: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """What changed in a job, field by field: since its latest submitted version, or between
    two versions; exit 0 the same, 4 they differ."""
    _diff(session(ctx, json_mode, workspace), ObjectKind.JOB, name, older, newer)


def script_versions(
    ctx: typer.Context,
    name: ScriptName,
    json_mode: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """List a script's submitted versions: who submitted each, and when."""
    _versions(session(ctx, json_mode, workspace), ObjectKind.SCRIPT, name)


def script_diff(
    ctx: typer.Context,
    name: ScriptName,
    older: FromOption = None,
    newer: ToOption = None,
    json_mode: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """What changed in a script (its content line by line): since its latest submitted
    version, or between two versions; exit 0 the same, 4 they differ."""
    _diff(session(ctx, json_mode, workspace), ObjectKind.SCRIPT, name, older, newer)


def job_restore(
    ctx: typer.Context,
    name: JobName,
    version: VersionOption,
    yes: YesOption = False,
    json_mode: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Give a job the definition of one of its submitted versions, as its development state
    (saved, not submitted)."""
    _restore(session(ctx, json_mode, workspace), ObjectKind.JOB, name, version, yes)


def script_restore(
    ctx: typer.Context,
    name: ScriptName,
    version: VersionOption,
    yes: YesOption = False,
    json_mode: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Give a script the content and settings of one of its submitted versions, as its
    development state (saved, not submitted)."""
    _restore(session(ctx, json_mode, workspace), ObjectKind.SCRIPT, name, version, yes)


def job_submit(
    ctx: typer.Context,
    name: JobName,
    approvers: ApproverOption = None,
    json_mode: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Submit a job's development state, as it is saved, as a new version."""
    _submit(session(ctx, json_mode, workspace), ObjectKind.JOB, name, approvers)


def script_submit(
    ctx: typer.Context,
    name: ScriptName,
    approvers: ApproverOption = None,
    json_mode: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Submit a script's development state, as it is saved, as a new version."""
    _submit(session(ctx, json_mode, workspace), ObjectKind.SCRIPT, name, approvers)
