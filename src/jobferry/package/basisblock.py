"""The ``basis`` block of a manifest: what a package carried to a remote's side was planned
against.

``jobferry promote ROUTE --out FILE`` on a route whose target is a remote's shadow, refreshed
from a carried snapshot, cuts a package for the remote's side. Its manifest says which
snapshot the shadow held (the remote, the snapshot's file name, SHA-256, when it was made and
by what) and, per object the package writes or deletes (by kind and name in the target), the
hash that object had in the snapshot, or ``null`` when the snapshot did not hold it::

    "basis": {
      "remote": "prod",
      "snapshot": {"fileName": "prod.zip", "sha256": "…", "madeAt": 1764000000000,
                   "producer": "jobferry"},
      "refreshedAt": 1764003600000,
      "objects": [{"kind": "job", "name": "daily_sales", "sha256": "…"},
                  {"kind": "job", "name": "new_job", "sha256": null}]
    }

The hash is :func:`jobferry.domain.definitions.definition_hash` of the definition, the same
function on both sides. Whatever imports the package on the remote's side compares each with
the object as it stands there now and refuses what changed since
(:mod:`jobferry.services.importing.basis`). The block sits in ``manifest.json``, so the
signature covers it; readers that do not know it ignore it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jobferry.domain.enums import ObjectKind
from jobferry.package.blocks import block_fields, epoch, malformed, text

BASIS_KINDS = (ObjectKind.JOB, ObjectKind.RESOURCE, ObjectKind.SCRIPT)
"""The kinds a snapshot holds (a workspace's own objects), so a basis may name."""


@dataclass(frozen=True)
class BasisObject:
    """One object the package writes or deletes, as the snapshot held it."""

    kind: str
    name: str
    sha256: str | None
    """:func:`~jobferry.domain.definitions.definition_hash` in the snapshot (``None``: the
    snapshot did not hold it)."""

    def as_json(self) -> dict[str, Any]:
        """The manifest form."""
        return {"kind": self.kind, "name": self.name, "sha256": self.sha256}


@dataclass(frozen=True)
class BasisBlock:
    """The snapshot a package was planned against, and its objects' hashes there."""

    remote: str
    file_name: str
    sha256: str
    made_at: int | None
    producer: str
    refreshed_at: int
    """When the shadow was refreshed from the snapshot (epoch ms)."""
    objects: tuple[BasisObject, ...]

    def as_json(self) -> dict[str, Any]:
        """The manifest form (objects sorted by kind and name)."""
        return {
            "remote": self.remote,
            "snapshot": {
                "fileName": self.file_name,
                "sha256": self.sha256,
                "madeAt": self.made_at,
                "producer": self.producer,
            },
            "refreshedAt": self.refreshed_at,
            "objects": [o.as_json() for o in sorted(self.objects, key=lambda o: (o.kind, o.name))],
        }


def _object(item: object) -> BasisObject:
    fields = item if isinstance(item, dict) else {}
    kind, name, sha = fields.get("kind"), fields.get("name"), fields.get("sha256")
    if kind not in BASIS_KINDS or not text(name) or not (sha is None or text(sha)):
        raise malformed(
            "basis",
            "objects need a kind (job, script or resource), a name and a sha256 (text or null)",
        )
    return BasisObject(str(kind), str(name), None if sha is None else str(sha))


def _snapshot(value: object) -> tuple[str, str, int | None, str]:
    """(file name, sha256, made at, producer) of the block's ``snapshot``."""
    fields = value if isinstance(value, dict) else {}
    name, sha, made, producer = (
        fields.get(k) for k in ("fileName", "sha256", "madeAt", "producer")
    )
    if not (
        text(name) and text(sha) and text(producer) and (made is None or epoch(made) is not None)
    ):
        raise malformed(
            "basis",
            "snapshot needs a fileName, sha256 and producer (text) and madeAt (epoch ms or null)",
        )
    return str(name), str(sha), made if isinstance(made, int) else None, str(producer)


def basis_block(manifest: dict[str, Any] | None) -> BasisBlock | None:
    """The ``basis`` block of a manifest (``None``: the package carries none);
    ``manifest.invalid`` when it is there but malformed."""
    fields = block_fields(manifest, "basis")
    if fields is None:
        return None
    remote, refreshed, objects = (fields.get(k) for k in ("remote", "refreshedAt", "objects"))
    if not text(remote) or epoch(refreshed) is None or not isinstance(objects, list):
        raise malformed(
            "basis", "needs a remote (text), refreshedAt (epoch ms) and objects (a list)"
        )
    assert isinstance(refreshed, int)  # epoch said so
    name, sha, made, producer = _snapshot(fields.get("snapshot"))
    return BasisBlock(
        str(remote),
        name,
        sha,
        made,
        producer,
        refreshed,
        tuple(_object(item) for item in objects),
    )
