"""Where a job came from (issue #37): the promotion ledger's row of the import from another
workspace that last wrote it, read with its task, rollback, route and source workspace in one
query (``storage/importing/origins.py``), and whether the job drifted since.

Drift is the import's own comparison (``services/importing/decide.py``, :func:`drift_since`):
the job's development state against the document the import wrote, server-kept fields and the
target-owned fields of the profile the import named aside. That profile is read (its current
version) only when the job's bytes differ from what was written.
"""

from __future__ import annotations

import hashlib
from typing import Any

from jobferry.domain.fieldpaths import FieldPath
from jobferry.errors import InvalidRequestError, ProfileNotFoundError
from jobferry.services.context import Scope
from jobferry.services.definitions.documents import load
from jobferry.services.definitions.records import Provenance
from jobferry.services.importing.decide import drift_since
from jobferry.services.workspaces.profiles import resolve_profile
from jobferry.storage import Tx
from jobferry.storage.importing.origins import JobOrigin


def provenance_of(tx: Tx, scope: Scope, origin: JobOrigin) -> Provenance | None:
    """The provenance of the job ``origin`` describes (``None``: it was not imported from
    another workspace)."""
    row = origin.ledger
    if row is None:
        return None
    source = load(row.source)
    source_name = source.get("name")
    return Provenance(
        source_workspace_id=row.source_workspace_id,
        source_workspace=origin.source_workspace,
        source_name=source_name if isinstance(source_name, str) else row.name,
        source_uid=row.source_uid,
        package_sha256=row.package_sha256,
        import_task_id=row.task_id,
        route=origin.route,
        imported_by=origin.imported_by,
        imported_at=row.recorded_at,
        rolled_back=origin.rolled_back is not None,
        drifted=_drifted(tx, scope, origin),
    )


def _drifted(tx: Tx, scope: Scope, origin: JobOrigin) -> bool:
    row = origin.ledger
    assert row is not None
    if hashlib.sha256(origin.document.encode()).hexdigest() == row.written_sha256:
        return False  # the bytes written: no need to read the profile
    owned = target_owned(tx, scope, origin.import_request)
    return bool(drift_since(row.written, row.written_sha256, origin.document, owned))


def target_owned(tx: Tx, scope: Scope, request: str | None) -> tuple[FieldPath, ...]:
    """The target-owned fields of the profile the import named (none when it named none, or
    the profile is gone or no longer valid)."""
    asked: Any = load(request).get("profile") if request else None
    if not isinstance(asked, str | dict):
        return ()
    try:
        resolved = resolve_profile(tx, scope, asked)
    except (ProfileNotFoundError, InvalidRequestError):
        return ()
    return resolved.profile.target_owned if resolved is not None else ()
