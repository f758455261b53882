"""What the offline package tools must answer for a package (``tests/unit/cli/
test_generated_package_tools.py``), as docs/cli.md (``package inspect | diff | keygen | sign |
verify | transform`` and its exit-code table), docs/design.md (the package format) and the
reader's rules (docs/errors.md, ``DLF.9020``) say it.

A package of a story is what its writer put in it, then what happened to it on the way (a USB
stick between two networks): signed, signed again with another key, an entry altered, added,
removed or renamed, ``manifest.json`` or ``manifest.sig`` edited, the signature taken out, the
zip cut short, a path written twice or one climbing out of the package, or a transform applied.
:class:`Pkg` holds what the model knows of one such file; :class:`Model` the source workspace the
packages are exported from and the signing keys.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace
from typing import Any

from jobferry.package.signature import key_id_of

Key = tuple[str, str]
"""(kind, name) of an object."""

PROFILE = {
    "renames": {"connection": {"dws_conn": "dws_prod"}},
    "directory": {"from": "/sales", "to": "/prod/sales"},
}
"""The environment profile a story's transform applies."""
ZONE = "Asia/Tokyo"
"""The zone a story's time-zone transform moves schedules to (``--keep-wall-clock``)."""

UNSIGNED, VALID, UNTRUSTED, INVALID = "unsigned", "valid", "untrusted", "invalid"


@dataclass(frozen=True)
class Obj:
    """One object of the source workspace or of a package: its stable id and document."""

    kind: str
    name: str
    uid: str
    document: dict[str, Any]
    path: str


@dataclass(frozen=True)
class Refusal:
    """Why the reader refuses a package: the rule and the entries its message names."""

    rule: str
    entries: tuple[str, ...] = ()


@dataclass
class Pkg:
    """What the model knows of one package file."""

    file: str
    objects: dict[Key, Obj]
    manifest: bool
    signer: str | None = None
    """The public key that signed it (``None``: no ``manifest.sig``)."""
    broken_signature: bool = False
    """``manifest.json`` or ``manifest.sig`` changed since it was signed (or a ``manifest.sig``
    that never was one): the signature is ``invalid``."""
    refusal: Refusal | None = None

    @property
    def signed(self) -> bool:
        """Whether it carries ``manifest.sig`` at all."""
        return self.signer is not None or self.broken_signature

    def state(self, trusted: tuple[str, ...]) -> str:
        """The signature's state given these trusted public keys."""
        if self.broken_signature:
            return INVALID
        if self.signer is None:
            return UNSIGNED
        return VALID if self.signer in trusted else UNTRUSTED

    def verify_exit(self, trusted: tuple[str, ...], require_signed: bool) -> int:
        """``package verify``'s exit code (docs/cli.md): 3 when the package is refused, has no
        manifest, its signature is invalid, keys were given and none signed it, or a signature
        is required and none trusted signed it; else 0."""
        if self.refusal is not None or not self.manifest:
            return 3
        state = self.state(trusted)
        if state == INVALID:
            return 3
        if (trusted or require_signed) and state != VALID:
            return 3
        return 0

    def key_id(self) -> str | None:
        """The signing key's id, when a good signature names one."""
        if self.broken_signature or self.signer is None:
            return None
        return key_id_of(self.signer)

    def copy(self, file: str, **changes: Any) -> Pkg:
        """Another file holding this package, changed so."""
        return replace(self, file=file, objects=dict(self.objects), **changes)


@dataclass(frozen=True)
class Line:
    """One line of ``package diff`` the model expects: status, kind, name, the older name of a
    renamed object, the top-level fields that differ."""

    status: str
    kind: str
    name: str
    previous: str | None = None
    fields: frozenset[str] = frozenset()


def expected_diff(before: Pkg, after: Pkg) -> list[Line]:
    """Every object of both packages (docs/cli.md: added / removed / renamed — matched by
    stable identifier — / changed / same), each object of either package on one line at
    least: an older object whose name a renamed one took is *removed*, not lost."""
    by_uid = (
        {(o.kind, o.uid): o for o in before.objects.values()}
        if before.manifest and after.manifest
        else {}
    )
    taken: set[Key] = set()
    lines: list[Line] = []
    matched_new: set[Key] = set()
    for key, new in after.objects.items():
        was = by_uid.get((new.kind, new.uid))
        if was is not None and was.name != new.name:
            taken.add((was.kind, was.name))
            matched_new.add(key)
            fields = _fields(was.document, new.document) - {"name"}
            lines.append(Line("renamed", new.kind, new.name, was.name, fields))
    for key, new in after.objects.items():
        if key in matched_new:
            continue
        old = before.objects.get(key)
        if old is None or key in taken:
            lines.append(Line("added", *key))
            continue
        fields = _fields(old.document, new.document)
        lines.append(Line("changed" if fields else "same", *key, fields=fields))
    for key in before.objects:
        if key in taken:
            continue
        if key not in after.objects or key in matched_new:
            lines.append(Line("removed", *key))
    return lines


def _fields(before: dict[str, Any], after: dict[str, Any]) -> frozenset[str]:
    """The top-level fields whose values differ."""
    return frozenset(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))


def top_field(path: str) -> str:
    """The top-level field a diff path is under (``nodes[load].properties…`` → ``nodes``)."""
    return path.split(".", 1)[0].split("[", 1)[0]


# -- the transform --------------------------------------------------------------------------------


def transformed(document: dict[str, Any], mode: str) -> dict[str, Any]:
    """What ``package transform`` makes of a definition: with the profile, ``dws_conn`` is
    ``dws_prod`` wherever a connection is named and a directory under ``/sales`` moves under
    ``/prod/sales``; with the zone move (``--keep-wall-clock``), a cron schedule names the new
    zone, its expression kept."""
    out = copy.deepcopy(document)
    if mode == "profile":
        if out.get("connectionName") == "dws_conn":
            out["connectionName"] = "dws_prod"
        for node in out.get("nodes") or []:
            for prop in node.get("properties") or []:
                if prop.get("name") == "connectionName" and prop.get("value") == "dws_conn":
                    prop["value"] = "dws_prod"
        directory = out.get("directory")
        if isinstance(directory, str) and (directory + "/").startswith("/sales/"):
            out["directory"] = "/prod/sales" + directory[len("/sales") :]
    else:
        cron = (out.get("schedule") or {}).get("cron")
        if isinstance(cron, dict):
            cron["expressionTimeZone"] = ZONE
    return out


# -- the story's world ----------------------------------------------------------------------------


@dataclass
class Model:
    """The source workspace (objects by kind and name), the signing keys (name → public key)
    and every package file written so far (by file name)."""

    source: dict[Key, Obj] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)
    packages: dict[str, Pkg] = field(default_factory=dict)
    serial: int = 0

    def next_file(self, stem: str) -> str:
        """A new file name in the story's folder."""
        self.serial += 1
        return f"{stem}{self.serial}.zip"

    def readable(self) -> list[Pkg]:
        """The packages every tool reads (in the order they were made)."""
        return [p for p in self.packages.values() if p.refusal is None]
