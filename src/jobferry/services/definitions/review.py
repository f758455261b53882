"""What saving a job or script would do, said before it is done: the console's editor shows
it and asks for a confirmation.

A review refuses what the save would refuse (the validation of ``domain/validation.py``, a
name already taken, a definition that does not exist, a target status the workspace's
approval or the caller's role does not allow, a lock), with the same errors and without
writing anything. Otherwise it says which fields change against the development state (the
import plan's field diff, ``domain/diff.py``) and what the save accepts although it is
probably a mistake (``cautions.py``'s :class:`Caution`): a node type DataArts is not known to
have, or a script, resource, job or environment object the definition names that the
workspace lacks.
DataArts takes a node's type as open text and saves a job whose script is missing; so does
jobferry, through the API and the editor alike. The review says so rather than refusing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jobferry.domain.definitions import canonical
from jobferry.domain.diff import Change, diff
from jobferry.domain.enums import ObjectKind
from jobferry.domain.mandatory import missing_job_fields
from jobferry.domain.validation import validate_job, validate_script
from jobferry.services.context import WRITERS, Scope
from jobferry.services.definitions.cautions import Cautions, cautions_of
from jobferry.services.definitions.documents import load, raise_violations, split_body
from jobferry.services.definitions.lookup import get_job_or_raise, get_script_or_raise
from jobferry.services.definitions.publishing import (
    check_lock,
    check_tags,
    resolve_target_status,
)
from jobferry.services.definitions.renames import require_free_job_name
from jobferry.services.definitions.scripts import require_free_script_name
from jobferry.services.definitions.since import require_unchanged
from jobferry.storage import Database, Tx
from jobferry.storage.records import JobRecord


@dataclass(frozen=True)
class DefinitionReview:
    """What saving a definition would do: create ``name`` or replace it, the fields that
    change (none when it is created), and the cautions."""

    kind: ObjectKind
    name: str
    replaces: bool
    changes: tuple[Change, ...]
    cautions: Cautions
    """What it cautions of; a save made from the review says them back (``cautions.py``)."""


@dataclass
class DefinitionReviews:
    """Reviews of a job's or script's save, as the editor makes them before saving."""

    db: Database
    max_nodes: int

    def job(
        self, scope: Scope, name: str, body: dict[str, Any], base: dict[str, Any] | None = None
    ) -> DefinitionReview:
        """Saving ``body`` as a new job (``name`` ``''``) or as job ``name``'s development
        state, made from ``base``: refused as ``JobService.create``/``update`` refuse it, else
        reviewed."""
        scope.require_change(WRITERS, "change jobs" if name else "create jobs")
        doc = _definition(ObjectKind.JOB, body, name)
        here = scope.workspace
        found = validate_job(doc, max_nodes=self.max_nodes, workspace=(here.name, here.id))
        raise_violations(ObjectKind.JOB, doc.get("name"), [*missing_job_fields(doc), *found])
        resolve_target_status(scope, body.get("targetStatus"), body.get("approvers"), "a job")
        saved = str(doc["name"])
        with self.db.transaction(readonly=True) as tx:
            before = _replaced(tx, scope, ObjectKind.JOB, name, saved, (base, doc))
            cautions = cautions_of(tx, scope, ObjectKind.JOB, doc)
        return _review(ObjectKind.JOB, saved, before, doc, cautions)

    def script(
        self, scope: Scope, name: str, body: dict[str, Any], base: dict[str, Any] | None = None
    ) -> DefinitionReview:
        """Saving ``body`` as a new script (``name`` ``''``) or as script ``name``'s
        development state, made from ``base``: refused as ``ScriptService.create``/``update``
        refuse it, else reviewed."""
        scope.require_change(WRITERS, "change scripts" if name else "create scripts")
        doc = _definition(ObjectKind.SCRIPT, body, name)
        raise_violations(ObjectKind.SCRIPT, doc.get("name"), validate_script(doc))
        resolve_target_status(scope, body.get("targetStatus"), body.get("approvers"), "a script")
        saved = str(doc["name"])
        with self.db.transaction(readonly=True) as tx:
            before = _replaced(tx, scope, ObjectKind.SCRIPT, name, saved, (base, doc))
            cautions = cautions_of(tx, scope, ObjectKind.SCRIPT, doc)
        return _review(ObjectKind.SCRIPT, saved, before, doc, cautions)


def _replaced(
    tx: Tx,
    scope: Scope,
    kind: ObjectKind,
    name: str,
    saved: str,
    made: tuple[dict[str, Any] | None, dict[str, Any]],
) -> dict[str, Any] | None:
    """The stored definition of job or script ``name`` that the save replaces (refused when
    locked, or changed since ``made``'s base, which the saved definition was made from), or
    ``None`` for a new one, whose name ``saved`` must be free."""
    job = kind is ObjectKind.JOB
    if not name:
        noun = "job" if job else "script"
        require_free = require_free_job_name if job else require_free_script_name
        require_free(tx, scope, saved, f"change that {noun}, or choose another name")
        if job:
            check_tags(tx, scope, saved, None, made[1])
        return None
    stored = get_job_or_raise(tx, scope, name) if job else get_script_or_raise(tx, scope, name)
    check_lock(tx, scope, kind, name)
    if isinstance(stored, JobRecord):
        check_tags(tx, scope, name, stored.id, made[1])
    require_unchanged(kind, stored, *made)
    return load(stored.document)


def _definition(kind: ObjectKind, body: dict[str, Any], name: str) -> dict[str, Any]:
    """The definition a body saves (its name the one edited when it gives none)."""
    doc, _, _ = split_body(kind, body)
    if name:
        doc.setdefault("name", name)
    return doc


def _review(
    kind: ObjectKind,
    name: str,
    before: dict[str, Any] | None,
    after: dict[str, Any],
    cautions: Cautions,
) -> DefinitionReview:
    changes = () if before is None else tuple(diff(canonical(kind, before), canonical(kind, after)))
    return DefinitionReview(kind, name, before is not None, changes, cautions)
