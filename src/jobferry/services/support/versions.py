"""A saved version of a named document (an environment profile, a route, a policy) as the
services answer it: its number, its description, who saved it and when, and the document
itself unless a list leaves it out; and the number the next save writes, on the save's
condition (``domain.saving.Expected``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from jobferry.domain.saving import Expected
from jobferry.errors import VersionMovedError
from jobferry.services.definitions.documents import load
from jobferry.services.importing.expiry import utc_minute
from jobferry.storage.tx import Tx
from jobferry.storage.versioned import VersionedDocuments


class StoredVersion(Protocol):
    """What the storage keeps of a version (``storage.versioned``'s records)."""

    @property
    def version(self) -> int: ...
    @property
    def document(self) -> str: ...
    @property
    def created_at(self) -> int: ...
    @property
    def created_by(self) -> str: ...


@dataclass(frozen=True)
class SavedVersion:
    """One version of a document; ``document`` is None in lists."""

    version: int
    description: str
    updated_at: int
    updated_by: str
    document: dict[str, Any] | None

    @staticmethod
    def told(item: StoredVersion, *, with_document: bool) -> dict[str, Any]:
        """The stored version's fields of this value, with its document or without."""
        document = load(item.document)
        return {
            "version": item.version,
            "description": document.get("description") or "",
            "updated_at": item.created_at,
            "updated_by": item.created_by,
            "document": document if with_document else None,
        }


R = TypeVar("R", bound=StoredVersion)


def next_version(
    documents: VersionedDocuments[R],
    tx: Tx,
    owner: str,
    name: str,
    expected: Expected | None,
    what: str,
) -> int:
    """One past the newest version of ``name`` (1 when it has none), read in ``tx``; refused
    when ``expected`` is given and the newest is not what it expects (``what``: the document
    in words, "route 'nightly'")."""
    if expected is None:
        return documents.latest_version(tx, owner, name) + 1
    newest = documents.get(tx, owner, name)
    number = newest.version if newest is not None else 0
    if not expected.met_by(number):
        raise moved(what, expected, newest)
    return number + 1


def removable(
    documents: VersionedDocuments[R],
    tx: Tx,
    owner: str,
    name: str,
    expected: Expected | None,
    what: str,
) -> None:
    """Refuse, read in ``tx``, the removal of ``name`` when ``expected`` (its ``If-Match``) is
    given and its newest version is not the one expected (the remover read an older one;
    ``what``: the document in words)."""
    if expected is None:
        return
    newest = documents.get(tx, owner, name)
    if newest is not None and not expected.met_by(newest.version):
        raise moved(what, expected, newest, removing=True)


def moved(
    what: str, expected: Expected, newest: StoredVersion | None, *, removing: bool = False
) -> VersionMovedError:
    """The refusal of a save (or a removal) whose condition does not hold: what is stored, and
    what to do."""
    first = what[:1].upper() + what[1:]
    if removing and newest is not None:
        saved = f"version {newest.version}, saved by {newest.created_by} "
        return VersionMovedError(
            f"{first} is at {saved}{utc_minute(newest.created_at)}, not version "
            f"{expected.version}: it changed since it was read.",
            fix=f"Nothing was removed: read version {newest.version}, and remove it if it is "
            "still to go.",
            version=newest.version,
            expected_version=expected.version,
        )
    if newest is None:
        problem = (
            f"{first} does not exist, so there is no version {expected.version} to change: it "
            "was removed since it was read, or never existed under this name"
            if expected.version
            else f"{first} does not exist, and this save was to change it"
        )
        fix = "Nothing was saved: create it instead."
        return VersionMovedError(f"{problem}.", fix=fix, expected_version=expected.version)
    saved = (
        f"version {newest.version}, saved by {newest.created_by} {utc_minute(newest.created_at)}"
    )
    if expected.version == 0:
        problem = f"{first} exists ({saved}), and this save was to create it."
        fix = "Nothing was saved: change it as a new version instead, or remove it first."
    else:
        problem = (
            f"{first} is at {saved}, not version {expected.version}: it changed since it was read."
        )
        fix = f"Nothing was saved: read it again and make the change to version {newest.version}."
    return VersionMovedError(
        problem, fix=fix, version=newest.version, expected_version=expected.version
    )
