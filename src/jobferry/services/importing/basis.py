"""Import, check: a package that carries a basis (:mod:`jobferry.package.basisblock`) was
planned against a snapshot of this target; what it writes or deletes must not have changed
here since.

Each object the basis names is read as the target holds it now, through the plan's
:class:`~.ports.TargetReader` (a batch of names per kind and call, so every target, a
workspace of this server or a remote's shadow, gets the same check), hashed by the function
the snapshot's side hashed it with (:func:`~jobferry.domain.definitions.definition_hash`),
and compared. Any difference refuses the whole import, naming every such object (changed,
created or deleted since the snapshot), before anything is planned or written. A package
without a basis is planned as before.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any

import orjson

from jobferry.domain.definitions import definition_hash
from jobferry.errors import BasisChangedError
from jobferry.package.basisblock import BasisBlock, BasisObject, basis_block
from jobferry.package.manifest import iso_ms
from jobferry.package.routeblock import route_block
from jobferry.services.importing.ports import TargetReader

BATCH = 500
"""Names asked of the target in one read."""
NAMED = 20
"""Objects the refusal's message names (its ``changed`` lists every one)."""


@dataclass(frozen=True)
class Changed:
    """An object of the basis that is not, in the target, what the snapshot held."""

    kind: str
    name: str
    change: str
    """``changed``, ``created`` (absent from the snapshot, present now) or ``deleted``."""

    def as_json(self) -> dict[str, str]:
        """The refusal's form."""
        return {"kind": self.kind, "name": self.name, "change": self.change}


def _batches(objects: tuple[BasisObject, ...]) -> Iterator[list[BasisObject]]:
    stream = iter(objects)
    while batch := list(islice(stream, BATCH)):
        yield batch


def changed_since(target: TargetReader, block: BasisBlock) -> list[Changed]:
    """The objects of ``block`` that the target does not hold as the snapshot held them."""
    out: list[Changed] = []
    for batch in _batches(block.objects):
        wanted: dict[str, list[str]] = {}
        for item in batch:
            wanted.setdefault(item.kind, []).append(item.name)
        held = target.stored(wanted)
        for item in batch:
            now = held.get((item.kind, item.name))
            sha = definition_hash(item.kind, orjson.loads(now.document)) if now else None
            if sha == item.sha256:
                continue
            change = "created" if item.sha256 is None else "deleted" if sha is None else "changed"
            out.append(Changed(item.kind, item.name, change))
    return out


def _refusal(
    block: BasisBlock, workspace: str, changed: list[Changed], route: str | None
) -> BasisChangedError:
    """The refusal, with the round trip that mends it: the export of this workspace (named:
    the command's context may be another's), the refresh, the route's package cut again."""
    named = ", ".join(f"{c.kind} '{c.name}' ({c.change})" for c in changed[:NAMED])
    more = f" and {len(changed) - NAMED} more" if len(changed) > NAMED else ""
    made = f", made {iso_ms(block.made_at)}" if block.made_at is not None else ""
    context: dict[str, Any] = {
        "rule": "basis.changed",
        "changed": [c.as_json() for c in changed],
        "snapshot": block.file_name,
        "snapshot_sha256": block.sha256,
    }
    return BasisChangedError(
        f"The package was planned against snapshot '{block.file_name}' (sha256 "
        f"{block.sha256[:12]}{made}) of workspace '{workspace}', and {len(changed)} object(s) "
        f"it writes or deletes changed here since: {named}{more}; nothing was imported (rule "
        "basis.changed). Export the workspace here again (jobferry export --workspace-all -w "
        f"{shlex.quote(workspace)}), refresh remote '{block.remote}' from it on the planning "
        f"side (jobferry remotes refresh {shlex.quote(block.remote)} --from FILE), then plan "
        f"and cut the package again (jobferry promote {shlex.quote(route or 'ROUTE')} --out "
        "FILE).",
        **context,
    )


def check_basis(target: TargetReader, manifest: dict[str, Any] | None, workspace: str) -> None:
    """Refuse (naming every one) the objects the package's basis says it was planned against
    that changed in the target since; nothing for a package without a basis."""
    block = basis_block(manifest)
    if block is None:
        return
    changed = changed_since(target, block)
    if changed:
        cut_by = route_block(manifest)
        raise _refusal(block, workspace, changed, cut_by.name if cut_by else None)
