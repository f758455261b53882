"""What a save of a job or script accepts although it is probably a mistake (a
:class:`Caution`): a node type DataArts is not known to have, or a script, resource, job or
environment object the definition names that the workspace lacks. The editor's review
(``review.py``) shows them before the save; a save made from that review says which it
showed, and :func:`require_cautioned`, in the saving transaction, refuses it when the
workspace now gives others (a job it names renamed or deleted since the review, or created):
the caution the person confirmed holds for what is saved, as ``since.py``'s check holds the
definition they read. DataArts' job API has no such condition, so its calls save as before.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from jobferry.domain.enums import NODE_TYPES, AnyRefKind, CautionKind, ObjectKind
from jobferry.domain.references import Reference, job_references, script_references
from jobferry.errors import CautionsChangedError
from jobferry.services.context import Scope
from jobferry.services.definitions.presence import absent
from jobferry.storage import Tx


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


Cautions = tuple[Caution, ...]
"""The cautions of a save, in the definition's order."""


def cautions_of(
    tx: Tx, scope: Scope, kind: ObjectKind, doc: dict[str, Any], *, held: bool = False
) -> Cautions:
    """The cautions of saving ``doc`` as a job or script of the scope's workspace as it is
    in ``tx``; ``held``: the objects it names that the workspace has are held until ``tx``
    ends (``presence.absent``)."""
    if kind is ObjectKind.JOB:
        return (*_node_types(doc), *_missing(tx, scope, job_references(doc), held))
    return tuple(_missing(tx, scope, script_references(doc), held))


def require_cautioned(
    tx: Tx, scope: Scope, kind: ObjectKind, doc: dict[str, Any], reviewed: Cautions | None
) -> None:
    """Refuse saving ``doc`` when the workspace in ``tx`` no longer gives the cautions
    ``reviewed`` (those the save's review showed; ``None``: no review, as an API call).

    On PostgreSQL the objects ``doc`` names that the workspace has are held ``FOR KEY SHARE``
    until the save commits: a rename or delete of one, locking its row whole, waits for the
    save, or the save waits for it and finds the object gone (SQLite's writers go one at a
    time). A name the workspace lacks holds no row: an object created under it (or renamed to
    it) committing before the save does is not seen (docs/design.md)."""
    if reviewed is None:
        return
    now = cautions_of(tx, scope, kind, doc, held=True)
    if set(now) == set(reviewed):
        return
    gone = [c for c in now if c not in reviewed]
    back = [c for c in reviewed if c not in now]
    said = [f"{_object(c)}, which the workspace no longer has" for c in gone]
    said += [f"{_object(c)}, which the workspace has now" for c in back]
    noun = kind.value
    raise CautionsChangedError(
        f"The workspace changed since the review of this save of {noun} '{doc.get('name')}': "
        f"it names {'; '.join(said)}. The confirmed review did not say so (an object it names "
        "was renamed, deleted or created meanwhile), so nothing was saved.",
        fix="Review the save again, and save it if what the review says now is what you want.",
        kind=noun,
        name=doc.get("name"),
        missing=[_named(c) for c in gone],
        found=[_named(c) for c in back],
    )


def _object(caution: Caution) -> str:
    return f"{str(caution.object_kind or '').replace('_', ' ')} '{caution.name}'"


def _named(caution: Caution) -> dict[str, str]:
    return {"kind": str(caution.object_kind or ""), "name": caution.name, "field": caution.field}


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


def _missing(tx: Tx, scope: Scope, refs: Iterable[Reference], held: bool) -> list[Caution]:
    """A caution for each script, resource, job of the workspace or environment object the
    definition names that the workspace lacks, once each (tags are made by the save; a job of
    another workspace is not checked); ``held``: those it has are held (``absent``)."""
    wanted = list(refs)
    missing = absent(tx, scope, wanted, held=held)
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
