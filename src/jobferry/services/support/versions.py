"""A saved version of a named document (an environment profile, a policy) as the services
answer it: its number, its description, who saved it and when, and the document itself unless
a list leaves it out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from jobferry.services.definitions.documents import load


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
