"""``jobferry jobs delete`` and ``jobferry scripts delete``: one definition deleted through the
API's own delete call, so with its checks (a scheduled job, jobs that depend on the job or use
the script, another user's lock), after a question naming the workspace and the endpoint.

A refusal the CLI can say better than the API's message (the job is scheduled, others use it)
is said with jobferry's commands; any other is the endpoint's own, as every command reports it.
A delete (or a rename, ``jobs rename``) that another user's lock did not stop, the workspace's
soft lock policy only warning, says whose lock it was (:func:`lock_passed`).
"""

from __future__ import annotations

from typing import Any

import typer

from jobferry.cli import terminal
from jobferry.cli.client import ApiError, Changed, segment
from jobferry.cli.exits import CommandError
from jobferry.cli.fix_terms import in_workspace, quoted
from jobferry.cli.session import Session, session
from jobferry.domain.dependents import dependents_named
from jobferry.domain.enums import ObjectKind

SCHEDULED = "DLF.9011"
IN_USE = "DLF.9013"
LOCKED_TAG = "DLF.9091"


def delete_definition(
    ctx: typer.Context,
    kind: ObjectKind,
    name: str,
    *,
    yes: bool,
    json_mode: bool,
    workspace: str | None,
) -> None:
    """Ask (unless ``yes``), delete one job or script, say what was done."""
    s = session(ctx, json_mode, workspace)
    out = s.output
    if not yes:
        terminal.require_person(f"{kind}s delete", "delete")
        question = (
            f"Delete {kind} '{name}' from {s.workspace_label()} at {s.client().endpoint}? "
            f"Its definition is not kept (keep a copy first with: jobferry export …)."
        )
        out.confirm_or_end(question, {"deleted": None}, "Cancelled; nothing was deleted.")
    try:
        changed = s.client().change("DELETE", f"/{kind}s/{segment(name)}")
    except ApiError as exc:
        raise _refusal(s, kind, name, exc) or exc from None
    result = {"deleted": name, "kind": str(kind)} | lock_passed(s, kind, name, changed, "deleted")
    out.result(result, f"Deleted {kind} '{name}' from {s.workspace_label()}.")


def lock_passed(
    s: Session, kind: ObjectKind, name: str, changed: Changed, done: str
) -> dict[str, str]:
    """Warn when the change (``done``: what was done) passed over another user's lock, which
    the workspace's soft lock policy lets through; ``lockedBy`` for the JSON result then."""
    if not changed.locked_by:
        return {}
    holders = ", ".join(changed.locked_by)
    s.output.warn(
        f"{kind.capitalize()} '{name}' is locked by {holders}; this workspace's locks only "
        f"warn, so it was {done} anyway."
    )
    return {"lockedBy": holders}


def rename_locks_passed(s: Session, name: str, changed: Changed) -> dict[str, str]:
    """Warn when a job's rename passed over other users' locks, on the job or on the jobs
    depending on it that it rewrote (the server names each user once, not whose lock is on
    which job); ``lockedBy`` for the JSON result then, the users' names comma-separated."""
    if not changed.locked_by:
        return {}
    holders = ", ".join(changed.locked_by)
    which = (
        "or a job depending on it that the rename rewrote is"
        if len(changed.locked_by) == 1
        else "or jobs depending on it that the rename rewrote are"
    )
    s.output.warn(
        f"Job '{name}' {which} locked by {holders}; this workspace's locks only warn, so it "
        "was renamed anyway."
    )
    return {"lockedBy": holders}


def _refusal(s: Session, kind: ObjectKind, name: str, exc: ApiError) -> CommandError | None:
    """A refusal said with jobferry's commands (``None``: the endpoint's own words do)."""
    if exc.code == SCHEDULED:
        stop = f"jobferry jobs stop {quoted(name)}{in_workspace(s.fix_workspace())}"
        message = (
            f"Job '{name}' is scheduled, and a scheduled job is not deleted; stop it with: "
            f"{stop} — then delete it again. Nothing was deleted."
        )
    elif exc.code == IN_USE and kind is ObjectKind.JOB:
        message = _job_in_use(name, exc.body)
    elif exc.code == IN_USE and kind is ObjectKind.SCRIPT:
        message = _script_in_use(name, exc.body)
    elif exc.code == LOCKED_TAG and exc.body.get("tags"):
        message = locked_tags(name, exc.body["tags"], "deleted", s.fix_workspace())
    else:
        return None
    return CommandError(message, code=exc.code, status=exc.status)


def locked_tags(name: str, tags: Any, done: str, workspace: str | None) -> str:
    """Job ``name`` refused for carrying locked ``tags``: a workspace admin unlocks them."""
    named = [str(t) for t in tags] if isinstance(tags, list) else [str(tags)]
    said = ", ".join(f"'{t}'" for t in named)
    unlock = "; ".join(f"jobferry tags unlock {quoted(t)}{in_workspace(workspace)}" for t in named)
    return (
        f"Job '{name}' carries the locked tag(s) {said}, and a locked tag's jobs do not change, "
        f"so it was not {done}. A workspace admin unlocks a tag with: {unlock}."
    )


SUBMIT_AGAIN = (
    "submit those jobs again (jobferry import or jobferry apply -f, which submit a version by "
    "default) or delete them"
)
"""The fix for jobs whose latest submitted version alone uses what is deleted."""


def _job_in_use(name: str, body: dict[str, Any]) -> str:
    """The jobs depending on job ``name``: by their saved definition (``dependent_jobs``) or,
    once those no longer do, by their latest submitted version (``submitted_dependent_jobs``)."""
    if body.get("dependent_jobs") or body.get("dependents"):
        return (
            f"Job '{name}' is an upstream job of {dependents_named(body)}: change those jobs so "
            "they no longer depend on it (or delete them first), then delete it again. Nothing "
            "was deleted."
        )
    waiting = {
        "dependent_jobs": body.get("submitted_dependent_jobs"),
        "dependents": body.get("submitted_jobs"),
        "workspace": body.get("workspace"),
    }
    return (
        f"Job '{name}' is an upstream job of the submitted version of {dependents_named(waiting)}"
        f" (their saved definition no longer depends on it): {SUBMIT_AGAIN} first, then delete "
        "it again. Nothing was deleted."
    )


def _script_in_use(name: str, body: dict[str, Any]) -> str:
    """The jobs using script ``name``: by their saved definition (``jobs``), and those whose
    latest submitted version alone does (``submitted_jobs``)."""
    using = ", ".join(str(j) for j in body.get("jobs") or [])
    submitted = ", ".join(str(j) for j in body.get("submitted_jobs") or [])
    users = [f"job(s) {using}"] if using else []
    steps = ["change or delete those jobs"] if using else []
    if submitted:
        users.append(f"the submitted version of job(s) {submitted}")
        steps.append(f"{SUBMIT_AGAIN} (their saved definition no longer uses it)")
    return (
        f"Script '{name}' is used by {' and '.join(users)}: {'; '.join(steps)} first, then "
        "delete it again. Nothing was deleted."
    )
