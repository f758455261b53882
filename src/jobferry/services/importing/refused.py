"""Import, refused before its task: the audit entry of an import or of its plan that was refused
before any task was queued for it (a body that is not a request, a package that is not a zip or
is over the size limit, a signature the workspace does not accept, a plan that no longer fits, a
role that may not import), so that the audit log shows the attempt: who and when (the entry's
own), which package and how large, at which step, and why (the refusal's code and message). No
task is made for it: a task is work the server took on. Refusals of the server's own (5xx: the
database busy, imports switched off, the package store away) are not the attempt's and are not
logged."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from jobferry.errors import JobferryError, StorageError
from jobferry.services.audit import audit_in_scope
from jobferry.services.context import Scope
from jobferry.services.importing.request import ImportRequest, parse_import_request
from jobferry.services.importing.uploads import PackageSource
from jobferry.storage import Database

log = logging.getLogger("jobferry.import")

REFUSED = "import.refused"
"""The audit action of an import (``step``: ``import``) or a plan (``plan``) refused before
its task."""


@contextmanager
def refusals_audited(
    db: Database, packages: PackageSource, scope: Scope, asked: ImportRequest, *, planning: bool
) -> Iterator[None]:
    """Audit a refusal the block raises of the import ``asked`` (``planning``: of its plan);
    the refusal is raised as it was, whether its entry could be written or not."""
    try:
        yield
    except JobferryError as exc:
        if exc.status < 500:
            try:
                _audit(db, packages, scope, asked, "plan" if planning else "import", exc)
            except StorageError as failed:
                log.warning("an import refused (%s) is not in the audit log: %s", exc.code, failed)
        raise


def parsed_audited(
    db: Database,
    packages: PackageSource,
    scope: Scope,
    body: dict[str, Any],
    *,
    planning: bool,
) -> ImportRequest:
    """The import ``body`` asks (:func:`parse_import_request`); its refusal (an option of an
    unknown value, a field of the wrong type…) is audited as the refusal of that import, or of
    its plan, naming the package its ``path`` names."""
    path = body.get("path")
    asked = ImportRequest(path=path.strip() if isinstance(path, str) else "")
    with refusals_audited(db, packages, scope, asked, planning=planning):
        return parse_import_request(body)


def _audit(
    db: Database,
    packages: PackageSource,
    scope: Scope,
    asked: ImportRequest,
    step: str,
    refusal: JobferryError,
) -> None:
    name, size = packages.described(scope, asked.path)
    detail: dict[str, Any] = {
        "step": step,
        "errorCode": refusal.code,
        "size": size,
        "reason": refusal.message,
        "path": asked.path,
    }
    with db.transaction() as tx:
        audit_in_scope(tx, scope, REFUSED, "package", name, detail)
