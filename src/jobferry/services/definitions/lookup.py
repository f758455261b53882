"""A job or script of a workspace by name, or DataArts' "does not exist" error, naming the
workspace's nearest name when one is near enough (a case or a letter amiss: ``Daily_sales``,
``daily_sale``)."""

from __future__ import annotations

from collections.abc import Callable

from jobferry.domain.names import nearest_among, storable
from jobferry.errors import JobNotFoundError, ScriptNotFoundError
from jobferry.services.context import Scope
from jobferry.storage import Tx
from jobferry.storage import jobs as job_repo
from jobferry.storage import scripts as script_repo
from jobferry.storage.nearby import job_names_alike, script_names_alike
from jobferry.storage.records import JobRecord, RowLock, ScriptRecord

Alike = Callable[[Tx, str, str], list[str]]
"""The names of a kind the workspace holds that start as a name does (``storage.nearby``)."""


def nearest_name(tx: Tx, alike: Alike, workspace_id: str, name: str) -> str | None:
    """The workspace's name (of the kind ``alike`` reads) nearest to ``name``, which it does
    not hold: :func:`~jobferry.domain.names.nearest_among` those that start alike."""
    if not storable(name):
        return None
    return nearest_among(name, alike(tx, workspace_id, name))


def _meant(nearest: str | None) -> str:
    return f" Did you mean '{nearest}'?" if nearest else ""


def job_not_found(scope: Scope, name: str, nearest: str | None = None) -> JobNotFoundError:
    """The DataArts 'job does not exist' error, naming the job and workspace (and the nearest
    name the workspace holds, when one is near)."""
    return JobNotFoundError(
        f"The job does not exist: no job '{name}' in workspace '{scope.workspace.name}'."
        f"{_meant(nearest)} Check the name (names are case-sensitive) and the workspace.",
        job_name=name,
    )


def missing_job(tx: Tx, scope: Scope, name: str) -> JobNotFoundError:
    """:func:`job_not_found`, with the nearest name the workspace holds."""
    return job_not_found(scope, name, nearest_name(tx, job_names_alike, scope.workspace.id, name))


def get_job_or_raise(
    tx: Tx, scope: Scope, name: str, *, locked: RowLock | None = None
) -> JobRecord:
    """The job of the scope's workspace (``locked``: its row, for a write that the read
    decides: a save's, which keeps the row's keys, or a delete's), or DLF.0100."""
    workspace = scope.workspace.id
    job = job_repo.get_job(tx, workspace, name, locked=locked) if storable(name) else None
    if job is None:
        raise missing_job(tx, scope, name)
    return job


def get_script_or_raise(
    tx: Tx, scope: Scope, name: str, *, locked: RowLock | None = None
) -> ScriptRecord:
    """The script of the scope's workspace (``locked``: its row, for a write that the read
    decides: a save's, which keeps the row's keys, or a delete's), or DLF.6201."""
    workspace = scope.workspace.id
    script = script_repo.get_script(tx, workspace, name, locked=locked) if storable(name) else None
    if script is None:
        nearest = nearest_name(tx, script_names_alike, workspace, name)
        raise ScriptNotFoundError(
            f"The script does not exist: no script '{name}' in workspace "
            f"'{scope.workspace.name}'.{_meant(nearest)} Check the name and the workspace.",
            script_name=name,
        )
    return script
