"""The ``route`` block of a manifest: the identity of a package carried along a route.

``jobferry promote ROUTE --out FILE`` cuts a package on the route's source server for a target
on another server; the block names the route, its source workspace, when the source was read
(``snapshotAt``) and the snapshot of the route's previous carried package it continues
(``since``, null for a full package) and, since this version, that package's sha256
(``sinceSha256``, absent in a full package or one cut before), so a refusal names the missing
package by its hash rather than by a time. The target checks it before planning (the route's name,
the source, the chain of packages). It sits in ``manifest.json``, so the signature and the
hashes cover it; readers that do not know it ignore it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jobferry.package.blocks import block_fields, epoch, malformed, text


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
    since_sha256: str | None = None
    """The sha256 of that previous package (``None``: a full package, or cut by an older
    jobferry)."""

    def as_json(self) -> dict[str, Any]:
        """The manifest form."""
        form: dict[str, Any] = {
            "name": self.name,
            "sourceWorkspaceId": self.source_workspace_id,
            "sourceWorkspace": self.source_workspace,
            "snapshotAt": self.snapshot_at,
            "since": self.since,
        }
        if self.since_sha256 is not None:
            form["sinceSha256"] = self.since_sha256
        return form


def route_block(manifest: dict[str, Any] | None) -> RouteBlock | None:
    """The ``route`` block of a manifest (``None``: the package was not cut for a route);
    ``manifest.invalid`` when it is there but malformed."""
    fields = block_fields(manifest, "route")
    if fields is None:
        return None
    name, ws_id, ws = (fields.get(k) for k in ("name", "sourceWorkspaceId", "sourceWorkspace"))
    snapshot, since = epoch(fields.get("snapshotAt")), fields.get("since")
    since_sha = fields.get("sinceSha256")
    texts = all(text(v) for v in (name, ws_id, ws))
    sha_ok = since_sha is None or (isinstance(since_sha, str) and len(since_sha) == 64)
    if not texts or snapshot is None or (since is not None and epoch(since) is None) or not sha_ok:
        raise malformed(
            "route",
            "needs a name, sourceWorkspaceId and sourceWorkspace (text), snapshotAt (epoch ms), "
            "since (epoch ms or null) and, when there, sinceSha256 (a sha256)",
        )
    return RouteBlock(str(name), str(ws_id), str(ws), snapshot, epoch(since), since_sha or None)
