"""Which of the objects a definition names its workspace lacks: the editor's review cautions
about them, and a job's page names them without a link to a page that is not there."""

from __future__ import annotations

from collections.abc import Iterable

from jobferry.domain.enums import AnyRefKind, RefKind
from jobferry.domain.references import Reference
from jobferry.services.context import Scope
from jobferry.storage import Tx
from jobferry.storage.importing.target import names_in

PAGED_KINDS: frozenset[AnyRefKind] = frozenset({RefKind.SCRIPT, RefKind.RESOURCE, RefKind.JOB})
"""The kinds the console has a page for."""


def absent(
    tx: Tx,
    scope: Scope,
    refs: Iterable[Reference],
    kinds: frozenset[AnyRefKind] | None = None,
    *,
    held: bool = False,
) -> frozenset[tuple[str, str]]:
    """``(kind, name)`` of each object of the scope's workspace ``refs`` name (of ``kinds``;
    ``None``: every kind but tags, which a save makes) that the workspace does not hold. A job
    of another workspace is not checked (one naming this workspace as another's is). ``held``
    (a save holding to its review's cautions): the objects found are held ``FOR KEY SHARE``
    until the transaction ends (``names_in``), kind by kind and name by name in order, which
    their rename or delete, locking the row whole, waits for (or the read waits for it, then
    finds the object gone)."""
    own = (None, "", scope.workspace.name)
    wanted = [
        r
        for r in refs
        if r.kind is not RefKind.TAG and r.workspace in own and (kinds is None or r.kind in kinds)
    ]
    workspace_id = scope.workspace.id
    missing: set[tuple[str, str]] = set()
    for kind in sorted({r.kind.value for r in wanted}):  # a stable order of the locks held
        names = {r.name for r in wanted if r.kind.value == kind}
        found = names_in(tx, workspace_id, kind, names, held=held)
        missing.update((kind, n) for n in names - found)
    return frozenset(missing)
