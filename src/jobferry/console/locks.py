"""A job's or script's *Lock* and *Unlock*, on its page: the same service calls as the API's
locks (``governance``), so the same rules (writers lock; the holder, or a workspace admin for
anyone, unlocks); the page then shows who holds it. A refusal is the console's error page,
saying its fix in the console's words (another user's lock: ask them, or a workspace admin)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Response

from jobferry.console.web import FormDep, Page, PageDep, redirect
from jobferry.domain.enums import ObjectKind

router = APIRouter()


@router.post("/w/{workspace_id}/jobs/{job_name}/lock")
def lock_job(page: PageDep, form: FormDep, job_name: str) -> Response:
    """Lock a job for the viewer."""
    return _locked(page, ObjectKind.JOB, job_name, True)


@router.post("/w/{workspace_id}/jobs/{job_name}/unlock")
def unlock_job(page: PageDep, form: FormDep, job_name: str) -> Response:
    """Release a job's lock: the viewer's own, or (workspace admins) anyone's."""
    return _locked(page, ObjectKind.JOB, job_name, False)


@router.post("/w/{workspace_id}/scripts/{script_name}/lock")
def lock_script(page: PageDep, form: FormDep, script_name: str) -> Response:
    """Lock a script for the viewer."""
    return _locked(page, ObjectKind.SCRIPT, script_name, True)


@router.post("/w/{workspace_id}/scripts/{script_name}/unlock")
def unlock_script(page: PageDep, form: FormDep, script_name: str) -> Response:
    """Release a script's lock: the viewer's own, or (workspace admins) anyone's."""
    return _locked(page, ObjectKind.SCRIPT, script_name, False)


def _locked(page: Page, kind: ObjectKind, name: str, lock: bool) -> Response:
    governance = page.services.governance
    if lock:
        governance.acquire(page.scope, kind.value, name)
    else:
        governance.release(page.scope, kind.value, name)
    return redirect(page.url(f"/{kind.value}s/{quote(name, safe='')}"))
