"""What a route left behind in its target: the source's objects whose version that last landed
there is not the one the source holds now.

A promotion's import may leave an object of its package as the target has it (``onDrift``
KEEP_TARGET kept a target that drifted, ``sameNamePolicy`` SKIP, an object that failed under
PER_OBJECT). The package was cut from what changed since the last promotion, so the next
promotion, cut since this one, would not hold that object again: ``promote`` would say nothing
changed while the two workspaces differ. The target's promotion ledger says, for each object
of a source, which version of it landed (written, or found there already): the definition
its package held, and that package's ``createdAt`` (the newest change it carries). An object
the source changed after that moment, holding now another definition than the one that
landed, or one that never landed, is left behind, and every package of the route offers it
again (:mod:`.cutting`), so the plan shows it as what it is (kept as the target has it, and
why) until a promotion writes it or the source takes the target's version.

The moment is only a sieve (no definition is read for an object unchanged since it landed);
the definitions decide, so an object saved again as it was is not offered forever."""

from __future__ import annotations

from collections.abc import Iterable

from jobferry.domain.enums import ObjectKind
from jobferry.storage import Tx
from jobferry.storage import exports as export_repo
from jobferry.storage.importing import ledger as ledger_repo
from jobferry.storage.tx import chunks

BATCH = 500
"""Objects whose definitions are compared at once (their source's and the ledger's)."""


def left_behind(tx: Tx, source_ws: str, target_ws: str, kind: ObjectKind) -> set[str]:
    """Names of the source's objects of ``kind`` whose version that last landed in the target
    (by the target's ledger of that source) is not the source's now, or that never landed."""
    never: set[str] = set()
    changed: dict[str, str] = {}  # uid → name: changed since its version landed
    for name, uid, unseen in export_repo.unlanded(tx, source_ws, target_ws, kind):
        if unseen:
            never.add(name)
        else:
            changed[uid] = name
    behind = never
    for part in chunks(sorted(changed), BATCH):  # two definitions an object: a batch at a time
        rows = ledger_repo.ledger_rows(tx, target_ws, source_ws, kind, part)
        now = _definitions(tx, source_ws, kind, [changed[uid] for uid in part])
        behind |= {
            changed[uid]
            for uid in part
            if uid not in rows or now.get(changed[uid]) != rows[uid].source
        }
    return behind


def _definitions(tx: Tx, ws: str, kind: ObjectKind, names: Iterable[str]) -> dict[str, str]:
    """Name → the definition a package of the source holds of these objects now."""
    wanted = sorted(names)
    if kind is not ObjectKind.JOB:
        found = (
            export_repo.script_definitions(tx, ws, wanted, submitted=False)
            if kind is ObjectKind.SCRIPT
            else export_repo.resource_definitions(tx, ws, wanted)
        )
        return {name: d.text for name, d in found.items()}
    ids = [head.id for head in export_repo.job_heads(tx, ws, wanted)]
    return {e.name: e.text for e in export_repo.job_entries(tx, ids, submitted=False).values()}
