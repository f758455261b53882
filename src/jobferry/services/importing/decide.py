"""Import, decide: what to do with one object once it is matched.

CREATE when the target has nothing of it; otherwise the target-owned fields (the profile's
``targetOwned``) take the target's values, and the definition is compared: UNCHANGED when equal
(unless the import submits a job or script not submitted as it stands: its version is due),
SKIP under the policy the plan applies (``sameNamePolicy`` SKIP, or AUTO on a first import:
:mod:`.policy`), RENAME when matched by identity under another name, else
OVERWRITE. An object the last import wrote and someone changed in the target since has
*drifted* (in a field the overwrite would change; one the package now holds as the target
has it is no conflict): ``onDrift`` FAIL makes that a problem, KEEP_TARGET leaves the object
as the target has it (SKIP, and says so), TAKE_PACKAGE writes the package's.

The field diff says where each change comes from: ``source`` (the source changed it since the
last import of the object), ``target`` (it undoes a change made in the target), ``transform``
(the same source value, transformed otherwise: a profile or an option changed); changes that
cannot alter what a job does (a node's place on the canvas) are ``cosmetic``; target-owned
fields the package would have changed are listed as ``kept``.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

from jobferry.domain.diff import Change, diff, related
from jobferry.domain.enums import (
    DriftPolicy,
    ObjectKind,
    PlanAction,
    ProblemReason,
    SameNamePolicy,
    SkipReason,
    TargetStatus,
)
from jobferry.domain.fieldpaths import COSMETIC, FieldPath, keep_target, matches
from jobferry.package.manifest import iso_ms
from jobferry.services.definitions.documents import CONTROL_FIELDS, SERVER_FIELDS, load
from jobferry.services.importing.model import PlannedObject, Problem
from jobferry.services.importing.policy import PolicyChoice
from jobferry.services.importing.request import ImportRequest

IGNORED_IN_DIFF = frozenset(CONTROL_FIELDS + SERVER_FIELDS)
_RENAMED_IGNORED = IGNORED_IN_DIFF | {"name"}
_OWNED_KINDS = (ObjectKind.JOB, ObjectKind.SCRIPT, ObjectKind.RESOURCE)
_VERSIONED = (ObjectKind.JOB, ObjectKind.SCRIPT)


def _canonical(doc: dict[str, Any], ignore: frozenset[str]) -> bytes:
    return orjson.dumps(
        {k: v for k, v in doc.items() if k not in ignore}, option=orjson.OPT_SORT_KEYS
    )


def decide(
    item: PlannedObject,
    request: ImportRequest,
    owned: tuple[FieldPath, ...],
    policy: PolicyChoice,
    created_at: int | None = None,
) -> None:
    """Set the item's action and changes (and kept fields, drift, why a SKIP) against its
    target, under the ``sameNamePolicy`` the plan applies (``policy``); ``created_at``: the
    package's ``createdAt``, to find a newer package of its source that wrote the object."""
    target = item.target
    if target is None:
        item.action = PlanAction.CREATE
        _deleted_newer(item, request, created_at)
        return
    renamed = item.previous_name is not None
    # Cheap exact checks first (a package exported by jobferry holds the stored text itself;
    # equal bytes keep no target-owned field either); the structural comparison only runs
    # when the bytes differ.
    if not renamed and target.document == item.text:
        _unchanged(item, request, policy)
        return
    before = _keep_owned(item, target.document, owned)
    ignore = _RENAMED_IGNORED if renamed else IGNORED_IN_DIFF
    if not renamed and item.kept and target.document == item.text:
        _unchanged(item, request, policy)
        return
    before = before if before is not None else load(target.document)
    # Equal bytes once canonical are equal; otherwise one structural walk both decides and
    # lists the changes (the rules may still find none: a number written 1 or 1.0).
    changes: list[Change] = []
    if _canonical(before, ignore) != _canonical(item.document, ignore):
        changes = diff(before, item.document, ignore=ignore)
    if not changes and not renamed:
        _unchanged(item, request, policy)
        return
    if policy.applied is SameNamePolicy.SKIP:
        item.action, item.skip = PlanAction.SKIP, policy.skip
        return
    item.action = PlanAction.RENAME if renamed else PlanAction.OVERWRITE
    item.changes = changes
    _drift(item, before, request, owned)
    _older(item, request, created_at)


def _unchanged(item: PlannedObject, request: ImportRequest, policy: PolicyChoice) -> None:
    """An object the package holds as the target does: UNCHANGED, unless the import submits
    a job or script whose newest submitted version is not that text (it has none: an import
    or a save only saved it; or it was saved since). Its version is then due: it is written
    (OVERWRITE, nothing changed) as the policy allows, else SKIP."""
    target = item.target
    assert target is not None
    due = (
        request.target_status is not TargetStatus.SAVED
        and item.kind in _VERSIONED
        and not target.submitted
    )
    if not due:
        item.action = PlanAction.UNCHANGED
    elif policy.applied is SameNamePolicy.SKIP:
        item.action, item.skip = PlanAction.SKIP, policy.skip
    else:
        item.action = PlanAction.OVERWRITE


def _keep_owned(
    item: PlannedObject, document: str, owned: tuple[FieldPath, ...]
) -> dict[str, Any] | None:
    """The target's values of the target-owned fields written into the item's definition (its
    ``kept``); the target's definition, parsed (``None``: no field applies)."""
    if not owned or item.kind not in _OWNED_KINDS:
        return None
    before = load(document)
    item.kept = keep_target(item.document, before, owned)
    if item.kept:
        item.changed()
    return before


def _older(item: PlannedObject, request: ImportRequest, created_at: int | None) -> None:
    """Whether a newer package of the same source wrote the object last, with another
    definition of it than this package holds (this one would put back what that one replaced),
    and what then. A row or a package whose time is unknown is never judged."""
    row = item.ledger
    newer = row.package_created_at if row is not None else None
    if newer is None or created_at is None or newer <= created_at:
        return
    assert row is not None
    if item.raw is None or item.raw == row.source or item.action is PlanAction.SKIP:
        return
    item.newer = newer
    if request.on_drift is DriftPolicy.KEEP_TARGET:
        item.action, item.skip = PlanAction.SKIP, SkipReason.KEPT_NEWER


def _deleted_newer(item: PlannedObject, request: ImportRequest, created_at: int | None) -> None:
    """Whether the import of a newer package of the same source deleted the object this one
    would make again (its ledger row gone with it), and what then; a package whose time is
    unknown is never judged."""
    gone = item.deleted
    if gone is None or created_at is None or gone.package_created_at <= created_at:
        return
    item.newer = gone.package_created_at
    if request.on_drift is DriftPolicy.KEEP_TARGET:
        item.action, item.skip = PlanAction.SKIP, SkipReason.KEPT_DELETED


def _drift(
    item: PlannedObject,
    before: dict[str, Any],
    request: ImportRequest,
    owned: tuple[FieldPath, ...],
) -> None:
    """Whether the target changed the object since the last import wrote it, in a field the
    overwrite would change, and what then. Changes to target-owned fields are the target's to
    make, and a field the package now holds as the target has it (a hot-fix carried back to the
    source) is no conflict: neither is drift."""
    row, target = item.ledger, item.target
    if row is None or target is None:
        return
    since = drift_since(row.written, row.written_sha256, target.document, owned, before)
    changes = [c for c in since if any(related(c.path, o.path) for o in item.changes)]
    if not changes:
        return
    item.drift = changes
    if request.on_drift is DriftPolicy.KEEP_TARGET:
        item.action, item.skip = PlanAction.SKIP, SkipReason.KEPT_DRIFT


def older_problem(
    kind: str,
    name: str,
    ws_name: str,
    times: tuple[int, int],
    *,
    action: PlanAction | None = None,
) -> Problem:
    """An object a newer package of the same source wrote last, or whose import deleted it
    (``times``: that package's ``createdAt`` and this one's), that this package would write
    back, delete (``action`` DELETE) or make again (CREATE); ``onDrift`` FAIL, and a deletion
    unless TAKE_PACKAGE."""
    newer, this = (iso_ms(t) for t in times)
    done = "was deleted by the import of" if action is PlanAction.CREATE else "was last written by"
    if action is PlanAction.DELETE:
        what = "delete it"
        fix = (
            "import without propagating deletions (keep it) or with onDrift TAKE_PACKAGE "
            "(delete it)"
        )
    elif action is PlanAction.CREATE:
        what = "make it again"
        fix = "import with onDrift KEEP_TARGET (leave it deleted) or TAKE_PACKAGE (make it again)"
    else:
        what = "put back an older definition of it"
        fix = (
            "import with onDrift KEEP_TARGET (leave it as it is) or TAKE_PACKAGE (take this "
            "package's version)"
        )
    return Problem(
        ProblemReason.OLDER_PACKAGE,
        kind,
        name,
        f"{kind} '{name}' in workspace '{ws_name}' {done} a package of the same source "
        f"whose newest change is {newer}, and this package's is {this}: importing this "
        f"older package would {what}",
        f"import a package exported from the source since (export again), or {fix}",
        action=action,
    )


def drift_since(
    written: str,
    written_sha256: str,
    current: str,
    owned: tuple[FieldPath, ...],
    loaded: dict[str, Any] | None = None,
) -> list[Change]:
    """What changed in a target object since an import wrote ``written`` (whose sha256 is
    ``written_sha256``) to it, now that it holds ``current`` (``loaded``: that text parsed,
    when the caller has it); server-kept fields and target-owned ones (``owned``) aside."""
    if hashlib.sha256(current.encode()).hexdigest() == written_sha256:
        return []
    now = loaded if loaded is not None else load(current)
    changes = diff(load(written), now, ignore=IGNORED_IN_DIFF)
    return [c for c in changes if not any(matches(p, c.path) for p in owned)]


def change_lines(item: PlannedObject) -> list[dict[str, Any]]:
    """The wire form of the item's changes: each with where it comes from, cosmetic ones
    marked, then the target-owned fields kept."""
    source_paths: list[str] = []
    if item.ledger is not None and item.raw is not None:
        source_paths = [c.path for c in diff(load(item.ledger.source), load(item.raw))]
    drift_paths = [c.path for c in item.drift or []]
    lines = []
    for change in item.changes:
        line = change.as_json()
        if item.ledger is not None:
            line["origin"] = _origin(change, source_paths, drift_paths)
        if any(matches(pattern, change.path) for pattern in COSMETIC):
            line["cosmetic"] = True
        lines.append(line)
    for path, package, target in item.kept:
        lines.append({"path": path, "op": "kept", "package": package, "target": target})
    return lines


def _origin(change: Change, source_paths: list[str], drift_paths: list[str]) -> str:
    if any(related(change.path, p) for p in source_paths):
        return "source"
    if any(related(change.path, p) for p in drift_paths):
        return "target"
    return "transform"


def drift_lines(item: PlannedObject) -> list[dict[str, Any]]:
    """The wire form of what changed in the target since the last import."""
    return [c.as_json() for c in item.drift or []]
