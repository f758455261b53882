"""Two packages compared object by object, and field by field where both hold an object.

Objects are matched by their stable identifier first (packages of format 2 carry one per
object): one found under another name in the newer package was *renamed*. The rest are matched
by (kind, name), whatever their path, so a single export and a batch export of the same jobs
compare as the same objects. An older object whose name a renamed one took (deleted, another
renamed to its name) is *removed*: every object of either package is on a line. The
field-level diff is the import plan's own (:func:`jobferry.domain.diff.diff`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from jobferry.domain.diff import Change, diff
from jobferry.domain.enums import KIND_ORDER
from jobferry.package.reader import PackageObject, ReadPackage

_KIND_RANK: dict[str, int] = {str(kind): rank for kind, rank in KIND_ORDER.items()}


class ObjectStatus(StrEnum):
    """How an object of the newer package differs from the older one (in summary order)."""

    ADDED = "added"
    REMOVED = "removed"
    RENAMED = "renamed"
    CHANGED = "changed"
    SAME = "same"


@dataclass(frozen=True)
class ObjectComparison:
    """One object of either package."""

    kind: str
    name: str
    status: ObjectStatus
    changes: tuple[Change, ...] = ()
    previous_name: str | None = None
    """The object's name in the older package (renamed)."""

    def as_json(self) -> dict[str, Any]:
        """``{kind, name, status}``, plus ``previousName`` when it was renamed and ``diff``
        when its definition changed."""
        out: dict[str, Any] = {"kind": self.kind, "name": self.name, "status": self.status.value}
        if self.previous_name is not None:
            out["previousName"] = self.previous_name
        if self.changes:
            out["diff"] = [c.as_json() for c in self.changes]
        return out


@dataclass(frozen=True)
class PackageComparison:
    """Every object of both packages, scripts, resources and CDM jobs first, then jobs."""

    before_sha256: str
    after_sha256: str
    objects: tuple[ObjectComparison, ...]

    @property
    def identical(self) -> bool:
        """Whether the two zip files are the same bytes."""
        return self.before_sha256 == self.after_sha256

    def summary(self) -> dict[str, int]:
        """How many objects have each status, every status named."""
        return {s.value: sum(1 for o in self.objects if o.status is s) for s in ObjectStatus}


def compare_packages(before: ReadPackage, after: ReadPackage) -> PackageComparison:
    """Compare ``after`` with ``before``."""
    old = {(o.kind, o.name): o for o in before.objects}
    new = {(o.kind, o.name): o for o in after.objects}
    renamed = _renames(old.values(), new.values())
    gone = {(o.kind, o.name) for o in renamed.values()}
    keys = (old.keys() - gone) | new.keys()
    objects: list[ObjectComparison] = []
    for key in sorted(keys, key=_order):
        if key not in renamed:
            objects.append(_compare(key, None if key in gone else old.get(key), new.get(key)))
            continue
        if key in old and key not in gone:  # the older object whose name the renamed one took
            objects.append(ObjectComparison(key[0], key[1], ObjectStatus.REMOVED))
        objects.append(_renamed(key, renamed[key], new[key]))
    return PackageComparison(before.sha256, after.sha256, tuple(objects))


def _renames(
    old: Iterable[PackageObject], new: Iterable[PackageObject]
) -> dict[tuple[str, str], PackageObject]:
    """(kind, new name) → the older package's object of the same identifier under another
    name."""
    by_uid = {(o.kind, o.uid): o for o in old if o.uid}
    out: dict[tuple[str, str], PackageObject] = {}
    for obj in new:
        was = by_uid.get((obj.kind, obj.uid)) if obj.uid else None
        if was is not None and was.name != obj.name:
            out[(obj.kind, obj.name)] = was
    return out


def _renamed(key: tuple[str, str], old: PackageObject, new: PackageObject) -> ObjectComparison:
    changes = tuple(c for c in diff(old.document, new.document, ignore=_NAME) if not _type_only(c))
    return ObjectComparison(key[0], key[1], ObjectStatus.RENAMED, changes, old.name)


def _compare(
    key: tuple[str, str], old: PackageObject | None, new: PackageObject | None
) -> ObjectComparison:
    kind, name = key
    if new is None:
        return ObjectComparison(kind, name, ObjectStatus.REMOVED)
    if old is None:
        return ObjectComparison(kind, name, ObjectStatus.ADDED)
    changes = tuple(c for c in diff(old.document, new.document) if not _type_only(c))
    status = ObjectStatus.CHANGED if changes else ObjectStatus.SAME
    return ObjectComparison(kind, name, status, changes)


_COORDINATES = (".location.x", ".location.y")
_NAME = frozenset({"name"})


def _type_only(change: Change) -> bool:
    """A node's canvas coordinate written as a number on one side and as text on the other
    (DataArts answers ``"10"``, the Terraform provider sends ``10``): the same position."""
    if not change.path.endswith(_COORDINATES):
        return False
    before, after = change.before, change.after
    numbers = (int, float, str)
    return (
        isinstance(before, numbers)
        and isinstance(after, numbers)
        and not isinstance(before, bool)
        and not isinstance(after, bool)
        and type(before) is not type(after)
        and str(before) == str(after)
    )


def _order(key: tuple[str, str]) -> tuple[int, str]:
    return _KIND_RANK.get(key[0], len(_KIND_RANK)), key[1]
