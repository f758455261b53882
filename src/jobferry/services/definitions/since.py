"""A save made from a definition read earlier (the console's editor keeps the one it opened
with): refused, naming the fields and who changed them, when the stored definition changed
since (another save, through the API or another tab, an import or a rollback), unless it
already is what the save writes. DataArts' job API has no such condition, so its calls save
as they always did."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from jobferry.domain.definitions import canonical
from jobferry.domain.diff import diff, same
from jobferry.domain.enums import ObjectKind
from jobferry.domain.remedies import Remedy
from jobferry.errors import DefinitionChangedError
from jobferry.services.definitions.documents import load
from jobferry.storage.records import JobRecord, ScriptRecord

NAMED_FIELDS = 20
"""How many changed fields a refusal names (``changed_total`` counts them all)."""


def require_unchanged(
    kind: ObjectKind,
    stored: JobRecord | ScriptRecord,
    base: dict[str, Any] | None,
    saving: dict[str, Any],
) -> None:
    """Refuse saving ``saving`` over ``stored`` when it is no longer ``base``, the definition
    the save was made from (``None``: the caller read none, as an API call)."""
    if base is None:
        return
    now = canonical(kind, load(stored.document))
    if same(canonical(kind, base), now) or same(now, canonical(kind, saving)):
        return
    changes = diff(canonical(kind, base), now)
    fields = sorted({c.path for c in changes})
    at = datetime.fromtimestamp(stored.updated_at / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    named = ", ".join(fields[:NAMED_FIELDS]) + (
        f" and {len(fields) - NAMED_FIELDS} more" if len(fields) > NAMED_FIELDS else ""
    )
    noun = kind.value
    raise DefinitionChangedError(
        f"{noun.capitalize()} '{stored.name}' changed since it was read for this save: "
        f"{stored.updated_by} last changed it at {at} ({named}); a save made from the older "
        "definition would undo that change unseen, so nothing was saved.",
        fix=f"Read the {noun} again and make your change to what is stored now, or save "
        "again from it to replace that change.",
        remedy=Remedy.READ_AGAIN,
        kind=noun,
        name=stored.name,
        changed_by=stored.updated_by,
        changed_at=stored.updated_at,
        changed_fields=fields[:NAMED_FIELDS],
        changed_total=len(fields),
    )
