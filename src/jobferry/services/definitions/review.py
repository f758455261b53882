"""What saving a job or script would do, said before it is done: the console's editor shows
it and asks for a confirmation.

A review refuses what the save would refuse (the validation of ``domain/validation.py``, a
name already taken, a definition that does not exist, a target status the workspace's
approval or the caller's role does not allow, a lock), with the same errors and without
writing anything. Otherwise it says which fields change against the development state (the
import plan's field diff, ``domain/diff.py``) and what the save accepts although it is
probably a mistake (:class:`Caution`): a node type DataArts is not known to have, or a
script, resource, job or environment object the definition names that the workspace lacks.
DataArts takes a node's type as open text and saves a job whose script is missing; so does
jobferry, through the API and the editor alike. The review says so rather than refusing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from jobferry.domain.definitions import canonical
from jobferry.domain.diff import Change, diff
from jobferry.domain.enums import NODE_TYPES, AnyRefKind, CautionKind, ObjectKind
from jobferry.domain.mandatory import missing_job_fields
from jobferry.domain.references import Reference, job_references, script_references
from jobferry.domain.validation import validate_job, validate_script
from jobferry.services.context import WRITERS, Scope
from jobferry.services.definitions.documents import load, raise_violations, split_body
from jobferry.services.definitions.lookup import get_job_or_raise, get_script_or_raise
from jobferry.services.definitions.presence import absent
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
class Caution:
    """Something a save accepts that is probably a mistake: where it is (the definition's
    field, as the validation names fields, and its node), and what: an unknown node type
    (``name``, with the known type it may be a misspelling of) or a missing object (its kind
    and ``name``). The console words it (``console/editor.py``)."""

    kind: CautionKind
    field: str
    node: str | None
    name: str
    object_kind: AnyRefKind | None = None
    """The kind of object missing (a missing reference)."""
    near: str | None = None
    """The known node type an unknown one is a misspelling of (case, blanks)."""


@dataclass(frozen=True)
class DefinitionReview:
    """What saving a definition would do: create ``name`` or replace it, the fields that
    change (none when it is created), and the cautions."""

    kind: ObjectKind
    name: str
    replaces: bool
    changes: tuple[Change, ...]
    cautions: tuple[Caution, ...]


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
            refs = job_references(doc)
            cautions = [*_node_types(doc), *_missing(tx, scope, refs)]
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
            cautions = _missing(tx, scope, script_references(doc))
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
    cautions: list[Caution],
) -> DefinitionReview:
    changes = () if before is None else tuple(diff(canonical(kind, before), canonical(kind, after)))
    return DefinitionReview(kind, name, before is not None, changes, tuple(cautions))


def _node_types(doc: dict[str, Any]) -> list[Caution]:
    """A caution for each node whose type DataArts is not known to have."""
    out: list[Caution] = []
    nodes = doc.get("nodes")
    for i, node in enumerate(nodes if isinstance(nodes, list) else []):
        node_type = node.get("type") if isinstance(node, dict) else None
        if not isinstance(node_type, str) or not node_type or node_type in NODE_TYPES:
            continue
        name = node.get("name")
        out.append(
            Caution(
                CautionKind.UNKNOWN_NODE_TYPE,
                f"nodes[{i}].type",
                name if isinstance(name, str) else None,
                node_type,
                near=_spelled(node_type),
            )
        )
    return out


def _spelled(node_type: str) -> str | None:
    """The known node type ``node_type`` is a misspelling of (case, blanks), if one."""
    folded = node_type.replace(" ", "").casefold()
    return next((t for t in sorted(NODE_TYPES) if t.replace(" ", "").casefold() == folded), None)


def _missing(tx: Tx, scope: Scope, refs: Iterable[Reference]) -> list[Caution]:
    """A caution for each script, resource, job of the workspace or environment object the
    definition names that the workspace lacks, once each (tags are made by the save; a job of
    another workspace is not checked)."""
    wanted = list(refs)
    missing = absent(tx, scope, wanted)
    out: list[Caution] = []
    seen: set[tuple[str, str]] = set()
    for ref in wanted:
        key = (ref.kind.value, ref.name)
        if key in missing and key not in seen:
            seen.add(key)
            out.append(
                Caution(CautionKind.MISSING_REFERENCE, ref.field, ref.node, ref.name, ref.kind)
            )
    return out
