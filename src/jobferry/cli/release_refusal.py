"""What ``releases create`` and ``releases plan`` say of a release package refused for what its
plan into production found (``DLF.3051`` with ``plan_problems``): each problem with its fix in
this CLI's commands, and once, when production lacks a job or script, how what the workspace
submitted before its switch to enterprise mode comes in (it has no pending item).

The server words each fix for API clients ("export with exportDepend", "targetStatus
PRODUCTION"); the fix here is said again from the problem's reason and reference, never by
reading its text. A problem this module does not know keeps the server's fix.
"""

from __future__ import annotations

from typing import Any

from jobferry.cli.client import ApiError
from jobferry.cli.fix_terms import as_released, register_it, set_secrets
from jobferry.cli.fix_terms import in_workspace as _in
from jobferry.cli.fix_terms import reference as _reference
from jobferry.domain.enums import ENVIRONMENT_KINDS, EnvironmentKind, ObjectKind, ProblemReason

DEFINITIONS = (ObjectKind.JOB, ObjectKind.SCRIPT)
"""What a workspace releases through pending items (its environment is production's too)."""


def release_fix(problem: dict[str, Any], workspace: str | None) -> str | None:
    """The fix of a problem of a release package's plan in the CLI's commands (``None``: the
    server's fix stands); ``workspace``: the development workspace, as ``-w`` names it."""
    ref = _reference(problem)
    if ref is None:
        return None
    kind, name = ref
    reason = problem.get("reason")
    if reason == ProblemReason.MISSING_SECRET:
        return set_secrets(name, workspace)
    if reason != ProblemReason.MISSING_REFERENCE:
        return None
    if kind in DEFINITIONS:
        return (
            f"package the pending item of {kind} '{name}' too (jobferry releases pending"
            f"{_in(workspace)} lists them), or release it first"
        )
    if kind in ENVIRONMENT_KINDS and kind != EnvironmentKind.CDM_JOB:
        put = register_it(kind, name, workspace, problem.get("needs"))
        return f"register it in the workspace (a release takes the workspace's): {put}"
    return None


def worded(exc: ApiError, workspace: str | None, made: bool = True) -> ApiError:
    """``exc`` said in the CLI's commands when it is a package refused for its plan's problems
    (else ``exc`` itself); ``made``: the package was to be created (else planned again)."""
    typed = exc.body.get("plan_problems")
    if exc.code != "DLF.3051" or not isinstance(typed, list) or not typed:
        return exc
    found = [p for p in typed if isinstance(p, dict)]
    problems = [{**p, "fix": release_fix(p, workspace) or p.get("fix")} for p in found]
    done = "created" if made else "planned again (it keeps the plan it had)"
    where = f" in workspace '{workspace}'" if workspace else ""
    message = (
        f"The release package was not {done}{where}: its plan into production found "
        f"{len(problems)} problem(s)."
    )
    if any(_lacks_definition(p) for p in found):
        message += (
            " A job or script the workspace submitted before its switch to enterprise mode "
            "has no pending item: bring what it submitted into production as released "
            f"({as_released(workspace)})."
        )
    said = ApiError(exc.status, exc.code, message, {**exc.body, "problems": problems})
    said.path = exc.path
    return said


def _lacks_definition(problem: dict[str, Any]) -> bool:
    """Whether production lacks a job or script the package references."""
    ref = _reference(problem)
    return problem.get("reason") == ProblemReason.MISSING_REFERENCE and (
        ref is not None and ref[0] in DEFINITIONS
    )
