"""The compare page of a job or a script: what changed from one submitted version to another,
or since the latest was submitted, field by field (a script's content line by line), with
the two states to compare picked from its versions — as DataArts' console compares them.

Comparing a version with the development state, it offers *Restore version N* (writers): the
development state given that version's definition, saved and not submitted (the service's
``version_restores``); comparing the latest version with a changed development state, *Submit
as version N+1* (``version_submits``). The page then compares them again, saying what was
done; a refusal is said on the page, nothing changed (a version the object lacks, on the error
page: there is no such comparison to show). Another user's lock on the object is warned of
beside them, as the editor warns of it: the soft lock policy lets them through, the hard one
refuses them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Response

from jobferry.console.fixes import said
from jobferry.console.missing import JOBS, SCRIPTS, looked_up
from jobferry.console.web import FormDep, Page, PageContext, PageDep, redirect, render
from jobferry.domain.diff import line_diff
from jobferry.domain.enums import ObjectKind
from jobferry.errors import InvalidRequestError, JobferryError, VersionNotFoundError
from jobferry.services.context import WRITERS
from jobferry.services.definitions.compare import Comparison
from jobferry.services.definitions.records import Lock, SubmittedVersion

router = APIRouter()


@dataclass(frozen=True, kw_only=True)
class CompareContext(PageContext):
    """A comparison of two states of a job or script, the versions it may pick from, and
    each text field of several lines that changed as its changed lines (``path`` → lines)."""

    template = "compare.html"
    comparison: Comparison
    versions: list[SubmittedVersion]
    lines: dict[str, list[str]]
    locked: Lock | None = None
    """Another user's lock on it, warned of beside *Restore version N* as the editor warns."""
    error: str = ""
    message: str = ""


@router.get("/w/{workspace_id}/jobs/{job_name}/compare")
def compare_job(page: PageDep, job_name: str, older: str = "", newer: str = "") -> Response:
    """What changed in a job from version ``older`` to ``newer`` (blank: the development
    state; ``older`` blank: the version before ``newer``)."""
    return _page(page, ObjectKind.JOB, job_name, (older, newer))


@router.get("/w/{workspace_id}/scripts/{script_name}/compare")
def compare_script(page: PageDep, script_name: str, older: str = "", newer: str = "") -> Response:
    """What changed in a script from version ``older`` to ``newer`` (as a job's)."""
    return _page(page, ObjectKind.SCRIPT, script_name, (older, newer))


@router.post("/w/{workspace_id}/jobs/{job_name}/versions/{version}/restore")
def restore_job(page: PageDep, form: FormDep, job_name: str, version: int) -> Response:
    """Give a job version ``version``'s definition as its development state (writers)."""
    return _restore(page, ObjectKind.JOB, job_name, version)


@router.post("/w/{workspace_id}/scripts/{script_name}/versions/{version}/restore")
def restore_script(page: PageDep, form: FormDep, script_name: str, version: int) -> Response:
    """Give a script version ``version``'s content and settings (writers)."""
    return _restore(page, ObjectKind.SCRIPT, script_name, version)


@router.post("/w/{workspace_id}/jobs/{job_name}/submit")
def submit_job(page: PageDep, form: FormDep, job_name: str) -> Response:
    """Submit a job's development state as a new version (writers)."""
    return _submit(page, ObjectKind.JOB, job_name)


@router.post("/w/{workspace_id}/scripts/{script_name}/submit")
def submit_script(page: PageDep, form: FormDep, script_name: str) -> Response:
    """Submit a script's development state as a new version (writers)."""
    return _submit(page, ObjectKind.SCRIPT, script_name)


def _submit(page: Page, kind: ObjectKind, name: str) -> Response:
    page.require_change(WRITERS, f"submit {kind}s")
    submits = page.services.version_submits
    act = _Act(kind, name, ("", ""), "submitted")
    return act.done(page, lambda: submits.submit(page.scope, kind, name, {}).version)


def _restore(page: Page, kind: ObjectKind, name: str, version: int) -> Response:
    page.require_change(WRITERS, f"restore {kind}s")
    restores = page.services.version_restores
    act = _Act(kind, name, (str(version), ""), "restored")
    return act.done(page, lambda: restores.restore(page.scope, kind, name, version).version)


@dataclass(frozen=True)
class _Act:
    """A restore or a submit from the compare page of ``kind`` ``name``: ``picked``, the
    comparison that says its refusal; ``said``, the query key that says it was done."""

    kind: ObjectKind
    name: str
    picked: tuple[str, str]
    said: str

    def done(self, page: Page, act: Callable[[], int]) -> Response:
        """Do ``act`` (the version it leaves the development state at); the page comparing
        that version with the development state, or its refusal said on this one."""
        try:
            version = act()
        except VersionNotFoundError:
            raise  # said as the act's refusal, not as a comparison of a version it lacks
        except JobferryError as exc:
            said_page = _page(page, self.kind, self.name, self.picked, error=said(exc))
            said_page.status_code = exc.status
            return said_page
        query = urlencode({"older": version, self.said: version})
        return redirect(page.url(f"/{self.kind}s/{quote(self.name, safe='')}/compare?{query}"))


def _page(
    page: Page, kind: ObjectKind, name: str, picked: tuple[str, str], error: str = ""
) -> Response:
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
    message = "" if error else _done(page)
    governance = page.services.governance
    context = CompareContext(
        page=page,
        comparison=comparison,
        versions=versions,
        lines=lines,
        locked=governance.held_by_another(page.scope, kind.value, name)
        if page.can_change and comparison.newer is None
        else None,
        error=error,
        message=message,
    )
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


def _done(page: Page) -> str:
    """What the page says of the restore or submit it comes back from, if one."""
    query = page.request.query_params
    restored, submitted = query.get("restored", ""), query.get("submitted", "")
    if restored.isdigit():
        return f"Restored version {restored} as the development state: saved, not submitted."
    if submitted.isdigit():
        return f"Submitted the development state as version {submitted}."
    return ""
