"""Which jobs of a workspace use a script, resource, connection or other named object: by
their development state (the reference index) or by their latest submitted version, which is
what runs while the job is scheduled, what an export of submitted versions carries and what a
release package freezes. DataArts refuses to delete a script that job versions reference; a
job saved since it was last submitted may no longer name the object while its submitted
version still does."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from jobferry.domain.enums import RefKind
from jobferry.errors import InUseError
from jobferry.services.context import Scope
from jobferry.services.definitions.documents import load, reference_index
from jobferry.storage import Tx
from jobferry.storage import jobs as job_repo

SHOWN = 20
"""Jobs a refusal names of each kind of use (the first by name)."""
_ESCAPED = frozenset('"\\/')
"""Characters a JSON text may write escaped, so a name holding one is not searched as text."""


@dataclass(frozen=True)
class Users:
    """The jobs using an object: ``developed`` by their development state, ``submitted`` by
    their latest submitted version alone (their development state no longer names it)."""

    developed: list[str]
    submitted: list[str]

    def __bool__(self) -> bool:
        return bool(self.developed or self.submitted)

    def said(self) -> str:
        """The users in words: "job(s) a, b and the submitted version of job(s) c"."""
        parts = [f"job(s) {', '.join(self.developed)}"] if self.developed else []
        if self.submitted:
            parts.append(f"the submitted version of job(s) {', '.join(self.submitted)}")
        return " and ".join(parts)

    def fix(self, change: str) -> str:
        """What to do first: ``change`` the jobs using it now (``"change or delete those
        jobs"``), and submit again the jobs whose submitted version alone uses it."""
        steps = [change] if self.developed else []
        if self.submitted:
            steps.append(
                f"submit {', '.join(self.submitted)} again (their saved definition no longer "
                "uses it) or delete them"
            )
        return "; ".join(steps)

    def context(self) -> dict[str, Any]:
        """The refusal's fields: ``jobs`` (by their development state) and, when any,
        ``submitted_jobs``."""
        fields: dict[str, Any] = {"jobs": self.developed}
        if self.submitted:
            fields["submitted_jobs"] = self.submitted
        return fields


def users_of(tx: Tx, workspace_id: str, kind: str, name: str) -> Users:
    """The jobs of the workspace that use the object ``kind`` ``name`` of that workspace (at
    most :data:`SHOWN` of each kind of use)."""
    developed = [n for _, n in job_repo.jobs_referencing_with_ids(tx, workspace_id, kind, name)]
    using = set(developed)
    submitted: list[str] = []
    rows = job_repo.submitted_apart(tx, workspace_id=workspace_id, holding=_searched(name))
    for _, _, job, text in rows:
        if job not in using and (kind, name, "") in reference_index(load(text)):
            submitted.append(job)
            if len(submitted) == SHOWN:
                break
    return Users(developed[:SHOWN], submitted)


def version_dependents(
    tx: Tx, scope: Scope, name: str, known: Collection[tuple[str, str]]
) -> list[tuple[str, str]]:
    """(workspace name, job) of the jobs of the project, the scope's workspace among them,
    whose latest submitted version depends on job ``name`` of the scope's workspace, but those
    of ``known`` (its dependents by their saved definition) and the job itself (at most
    :data:`SHOWN`)."""
    here = scope.workspace
    found: list[tuple[str, str]] = []
    rows = job_repo.submitted_apart(tx, project_id=scope.actor.project_id, holding=_searched(name))
    for ws_id, ws_name, job, text in rows:
        if (ws_name, job) in known or (ws_id == here.id and job == name):
            continue
        named = {(kind, n, w) for kind, n, w in reference_index(load(text))}
        if ("job", name, here.name) in named or (ws_id == here.id and ("job", name, "") in named):
            found.append((ws_name, job))
            if len(found) == SHOWN:
                break
    return found


def version_uses(
    tx: Tx, scope: Scope, freed: Collection[tuple[str, str]]
) -> list[tuple[str, str, str, str]]:
    """(kind, name, workspace name, job) for each object ``freed`` (kind, name) of the scope's
    workspace that the latest submitted version of a job uses though the job's saved definition
    is another text: a job of that workspace, or, for a job (an upstream dependency), of any
    workspace of the project. One read of those versions, whatever the number of objects."""
    here, wanted = scope.workspace, set(freed)
    if not wanted:
        return []
    if any(kind == RefKind.JOB for kind, _ in wanted):
        rows = job_repo.submitted_apart(tx, project_id=scope.actor.project_id)
    else:
        rows = job_repo.submitted_apart(tx, workspace_id=here.id)
    found: list[tuple[str, str, str, str]] = []
    for ws_id, ws_name, job, text in rows:
        for kind, name, where in reference_index(load(text)):
            ours = ws_id == here.id and not where
            named = ours or (kind == RefKind.JOB and where == here.name)
            if named and (kind, name) in wanted:
                found.append((kind, name, ws_name, job))
    return found


def refuse_version_dependents(
    tx: Tx, scope: Scope, name: str, known: Collection[tuple[str, str]]
) -> None:
    """Refuse (DLF.9013) to delete job ``name`` of the scope's workspace while the latest
    submitted version of a job of the project depends on it, though its saved definition no
    longer does (``known``: its dependents by their saved definition, refused already)."""
    waiting = version_dependents(tx, scope, name, known)
    if waiting:
        raise _depended_on_by_versions(scope.workspace.name, name, waiting)


def _depended_on_by_versions(here: str, name: str, waiting: list[tuple[str, str]]) -> InUseError:
    """The refusal to delete job ``name`` of workspace ``here`` that the latest submitted
    versions of ``waiting`` (workspace, job) depend on, though their saved definition no
    longer does."""
    named = [f"job '{j}'" + (f" of workspace '{w}'" if w != here else "") for w, j in waiting]
    return InUseError(
        f"Job '{name}' is an upstream dependency of the submitted version of "
        f"{', '.join(named)}; nothing was deleted.",
        fix="Submit those jobs again (their saved definition no longer depends on it), or "
        f"delete them, then delete '{name}'.",
        job_name=name,
        submitted_jobs=[j for _, j in waiting],
        submitted_dependent_jobs=[{"workspace": w, "job_name": j} for w, j in waiting],
        workspace=here,
    )


def _searched(name: str) -> str | None:
    """``name`` as a version's text surely holds it, when JSON writes it as is."""
    return name if name.isascii() and name.isprintable() and not _ESCAPED & set(name) else None
