"""A job or script of a workspace by name, or DataArts' "does not exist" error, naming the
workspace's nearest name when one is near enough (a case or a letter amiss: ``Daily_sales``,
``daily_sale``), and the error of a job version it does not have (:func:`no_version`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

from jobferry.domain.definitions import VERSIONS_KEPT
from jobferry.domain.names import nearest_among, storable
from jobferry.domain.remedies import Remedy
from jobferry.errors import (
    JobNotFoundError,
    NotFoundError,
    ScriptNotFoundError,
    VersionNotFoundError,
)
from jobferry.services.context import Scope
from jobferry.storage import Tx
from jobferry.storage import jobs as job_repo
from jobferry.storage import scripts as script_repo
from jobferry.storage.nearby import job_names_alike, script_names_alike
from jobferry.storage.records import JobRecord, RowLock, ScriptRecord

Alike = Callable[[Tx, str, str], list[str]]
"""The names of a kind the workspace holds that start as a name does (``storage.nearby``)."""

R_co = TypeVar("R_co", covariant=True)


def nearest_name(tx: Tx, alike: Alike, workspace_id: str, name: str) -> str | None:
    """The workspace's name (of the kind ``alike`` reads) nearest to ``name``, which it does
    not hold: :func:`~jobferry.domain.names.nearest_among` those that start alike."""
    if not storable(name):
        return None
    return nearest_among(name, alike(tx, workspace_id, name))


def _meant(nearest: str | None) -> str:
    return f" Did you mean '{nearest}'?" if nearest else ""


def _not_there(kind: str, name: str, scope: Scope, nearest: str | None) -> str:
    """DataArts' "does not exist" of a job or script: the name, the workspace, the nearest
    name the workspace holds, and what to check."""
    return (
        f"The {kind} does not exist: no {kind} '{name}' in workspace '{scope.workspace.name}'."
        f"{_meant(nearest)} Check the name (names are case-sensitive) and the workspace."
    )


def job_not_found(scope: Scope, name: str, nearest: str | None = None) -> JobNotFoundError:
    """The DataArts 'job does not exist' error, naming the job and workspace (and the nearest
    name the workspace holds, when one is near)."""
    return JobNotFoundError(_not_there("job", name, scope, nearest), job_name=name)


def missing_job(tx: Tx, scope: Scope, name: str) -> JobNotFoundError:
    """:func:`job_not_found`, with the nearest name the workspace holds."""
    return job_not_found(scope, name, nearest_name(tx, job_names_alike, scope.workspace.id, name))


def _missing_script(tx: Tx, scope: Scope, name: str) -> ScriptNotFoundError:
    nearest = nearest_name(tx, script_names_alike, scope.workspace.id, name)
    return ScriptNotFoundError(_not_there("script", name, scope, nearest), script_name=name)


class _ByName(Protocol[R_co]):
    """A storage read of one object of a workspace by name (``storage.jobs.get_job``)."""

    def __call__(
        self, tx: Tx, workspace_id: str, name: str, *, locked: RowLock | None = None
    ) -> R_co | None: ...


def _held(
    tx: Tx,
    scope: Scope,
    name: str,
    read: _ByName[R_co],
    missing: Callable[[Tx, Scope, str], NotFoundError],
    locked: RowLock | None,
) -> R_co:
    """The object ``read`` finds by ``name`` in the scope's workspace, or the refusal
    ``missing`` builds; a name no object can have is refused without a read."""
    found = read(tx, scope.workspace.id, name, locked=locked) if storable(name) else None
    if found is None:
        raise missing(tx, scope, name)
    return found


def get_job_or_raise(
    tx: Tx, scope: Scope, name: str, *, locked: RowLock | None = None
) -> JobRecord:
    """The job of the scope's workspace (``locked``: its row, for a write that the read
    decides: a save's, which keeps the row's keys, or a delete's), or DLF.0100."""
    return _held(tx, scope, name, job_repo.get_job, missing_job, locked)


def get_script_or_raise(
    tx: Tx, scope: Scope, name: str, *, locked: RowLock | None = None
) -> ScriptRecord:
    """The script of the scope's workspace (``locked``: its row, for a write that the read
    decides: a save's, which keeps the row's keys, or a delete's), or DLF.6201."""
    return _held(tx, scope, name, script_repo.get_script, _missing_script, locked)


def never_submitted_fix() -> str:
    """The fix of a version asked of a job never submitted, in the API's terms."""
    return (
        "Show its development state instead (without version, getJobSubmitVersion=false), or "
        "submit it first."
    )


def no_version(name: str, version: int, latest: int | None) -> VersionNotFoundError:
    """The refusal of a job version that does not exist, or no longer (past the newest
    ``VERSIONS_KEPT``)."""
    said = f"Job '{name}' has no submitted version {version}; its latest version is "
    said += f"{latest or 'none (never submitted)'}"
    if latest is not None and version <= latest - VERSIONS_KEPT:
        said += f" and a job keeps its newest {VERSIONS_KEPT} (as DataArts does)"
    if latest is None:  # no version at all: its development state is what there is
        return VersionNotFoundError(
            said + ".",
            fix=never_submitted_fix(),
            remedy=Remedy.SHOW_DEVELOPMENT_STATE,
            job_name=name,
        )
    return VersionNotFoundError(said + ".", job_name=name)
