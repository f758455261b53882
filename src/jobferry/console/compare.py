"""The compare page of a job or a script: what changed from one submitted version to another,
or since the latest was submitted, field by field (a script's content line by line), with
the two states to compare picked from its versions — as DataArts' console compares them."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Response

from jobferry.console.missing import JOBS, SCRIPTS, looked_up
from jobferry.console.web import Page, PageContext, PageDep, render
from jobferry.domain.diff import line_diff
from jobferry.domain.enums import ObjectKind
from jobferry.errors import InvalidRequestError
from jobferry.services.definitions.compare import Comparison
from jobferry.services.definitions.records import SubmittedVersion

router = APIRouter()


@dataclass(frozen=True, kw_only=True)
class CompareContext(PageContext):
    """A comparison of two states of a job or script, the versions it may pick from, and
    each text field of several lines that changed as its changed lines (``path`` → lines)."""

    template = "compare.html"
    comparison: Comparison
    versions: list[SubmittedVersion]
    lines: dict[str, list[str]]


@router.get("/w/{workspace_id}/jobs/{job_name}/compare")
def compare_job(page: PageDep, job_name: str, older: str = "", newer: str = "") -> Response:
    """What changed in a job from version ``older`` to ``newer`` (blank: the development
    state; ``older`` blank: the version before ``newer``)."""
    return _page(page, ObjectKind.JOB, job_name, (older, newer))


@router.get("/w/{workspace_id}/scripts/{script_name}/compare")
def compare_script(page: PageDep, script_name: str, older: str = "", newer: str = "") -> Response:
    """What changed in a script from version ``older`` to ``newer`` (as a job's)."""
    return _page(page, ObjectKind.SCRIPT, script_name, (older, newer))


def _page(page: Page, kind: ObjectKind, name: str, picked: tuple[str, str]) -> Response:
    ends = _version(picked[0], "from"), _version(picked[1], "to")
    comparisons = page.services.comparisons
    with looked_up(page, JOBS if kind == ObjectKind.JOB else SCRIPTS):
        comparison = comparisons.compare(page.scope, kind, name, ends)
        versions = comparisons.versions(page.scope, kind, name)
    lines = {
        change.path: line_diff(change.before, change.after)
        for change in comparison.changes
        if isinstance(change.before, str)
        and isinstance(change.after, str)
        and "\n" in change.before + change.after
    }
    context = CompareContext(page=page, comparison=comparison, versions=versions, lines=lines)
    return render(page.request, context)


def _version(text: str, which: str) -> int | None:
    """A version picked on the page (blank: none picked)."""
    if not text.strip():
        return None
    if not text.strip().isdigit():
        raise InvalidRequestError(
            f"'{text}' is not a version number; pick the version to compare {which} in the list.",
            parameter=which,
        )
    return int(text)
