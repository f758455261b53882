"""The ``route`` block of a manifest: the identity of a package carried along a route.

``jobferry promote ROUTE --out FILE`` cuts a package on the route's source server for a target
on another server; the block names the route, its source workspace, when the source was read
(``snapshotAt``) and the snapshot of the route's previous carried package it continues
(``since``, null for a full package). The target checks it before planning (the route's name,
the source, the chain of packages). It sits in ``manifest.json``, so the signature and the
hashes cover it; readers that do not know it ignore it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jobferry.package.blocks import block_fields, epoch
from jobferry.package.refusals import refuse

MANIFEST_NAME = "manifest.json"


@dataclass(frozen=True)
class RouteBlock:
    """The identity of a package carried along a route (``route`` in the manifest)."""

    name: str
    source_workspace_id: str
    source_workspace: str
    snapshot_at: int
    """When the source was read: the next package of the route continues from here."""
    since: int | None
    """The snapshot of the route's previous carried package (``None``: a full package)."""

    def as_json(self) -> dict[str, Any]:
        """The manifest form."""
        return {
            "name": self.name,
            "sourceWorkspaceId": self.source_workspace_id,
            "sourceWorkspace": self.source_workspace,
            "snapshotAt": self.snapshot_at,
            "since": self.since,
        }


def route_block(manifest: dict[str, Any] | None) -> RouteBlock | None:
    """The ``route`` block of a manifest (``None``: the package was not cut for a route);
    ``manifest.invalid`` when it is there but malformed."""
    fields = block_fields(manifest, "route")
    if fields is None:
        return None
    name, ws_id, ws = (fields.get(k) for k in ("name", "sourceWorkspaceId", "sourceWorkspace"))
    snapshot, since = epoch(fields.get("snapshotAt")), fields.get("since")
    texts = all(isinstance(v, str) and v for v in (name, ws_id, ws))
    if not texts or snapshot is None or (since is not None and epoch(since) is None):
        raise refuse(
            "manifest.invalid",
            '"route" needs a name, sourceWorkspaceId and sourceWorkspace (text), snapshotAt '
            "(epoch ms) and since (epoch ms or null)",
            "cut the package again with jobferry promote ROUTE --out FILE",
            entry=MANIFEST_NAME,
        )
    return RouteBlock(str(name), str(ws_id), str(ws), snapshot, epoch(since))
