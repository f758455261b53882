"""Row shapes of stored definitions: what writing a job, script or resource puts in its row.

They are named tuples: immutable, and cheap enough to build 100,000 of in an import (a frozen
dataclass costs several times more per instance).

One place maps a definition document to its columns (directory, type, process type…), for the
single-object path (the API's create and update) and the bulk paths (import, rollback) alike.
Services build these typed rows; only storage spells column names.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any, NamedTuple

import orjson

from jobferry.domain.enums import ProcessType


def directory_of(doc: Mapping[str, Any]) -> str:
    """The folder a definition lives in ('/' when it names none), its segments kept as sent:
    a folder's name may start or end in a blank (``/etl /x`` is in ``etl ``, not ``etl``), so
    the whole directory is not trimmed either (``/etl `` is that same folder), as
    ``domain.folders`` reads every directory."""
    value = doc.get("directory")
    if not isinstance(value, str) or not value:
        return "/"
    return value if value.startswith("/") else "/" + value


JOB_COLUMNS = (
    "directory",
    "process_type",
    "document",
    "latest_version",
    "updated_at",
    "updated_by",
    "summary",
    "document_sha256",
)
SCRIPT_COLUMNS = (
    "type",
    "directory",
    "document",
    "latest_version",
    "updated_at",
    "updated_by",
    "document_sha256",
)
RESOURCE_COLUMNS = (
    "name",
    "type",
    "directory",
    "document",
    "updated_at",
    "updated_by",
    "document_sha256",
)
CREATED_COLUMNS = ("created_at", "created_by")


def job_summary(doc: Mapping[str, Any]) -> str:
    """The ``summary`` column of a job definition: what a job listing shows of it beyond its
    other columns (``basicConfig``'s ``owner`` and ``priority``, ``singleNodeJobFlag``), those
    it gives, as compact JSON: a listing reads them without reading the whole definition."""
    basic = doc.get("basicConfig")
    basic = basic if isinstance(basic, Mapping) else {}
    kept = {key: basic[key] for key in ("owner", "priority") if key in basic}
    if "singleNodeJobFlag" in doc:
        kept["singleNodeJobFlag"] = doc["singleNodeJobFlag"]
    return orjson.dumps(kept).decode()


def document_sha256(text: str) -> str:
    """The ``document_sha256`` column of a stored definition: the SHA-256 of its text (UTF-8,
    hex), the hash an import's ledger keeps of what it wrote (``written_sha256``), so the
    database finds the objects changed since without reading their definitions."""
    return hashlib.sha256(text.encode()).hexdigest()


def job_columns(doc: Mapping[str, Any]) -> tuple[str, str, str, str]:
    """(name, directory, process type, summary) of the row a job definition becomes."""
    process = doc.get("processType") or ProcessType.BATCH.value
    return str(doc.get("name")), directory_of(doc), str(process), job_summary(doc)


def typed_columns(doc: Mapping[str, Any]) -> tuple[str, str, str]:
    """(name, directory, type) of the row a script or resource definition becomes."""
    return str(doc.get("name")), directory_of(doc), str(doc.get("type"))


class Stamp(NamedTuple):
    """When and by whom rows are written (``updated_*``; ``created_*`` for new rows)."""

    at: int
    by: str


class JobRow(NamedTuple):
    """A job's development state as stored: its JSON text and the columns derived from it."""

    name: str
    document: str
    directory: str
    process_type: str
    latest_version: int | None
    summary: str
    """What a listing shows of the definition (:func:`job_summary`)."""
    sha256: str
    """The hash of ``document`` (:func:`document_sha256`)."""

    @classmethod
    def of(cls, doc: Mapping[str, Any], text: str, latest_version: int | None) -> JobRow:
        """The row of ``doc`` (already dumped to ``text``)."""
        name, directory, process, summary = job_columns(doc)
        return cls(name, text, directory, process, latest_version, summary, document_sha256(text))

    def values(self, stamp: Stamp) -> tuple[Any, ...]:
        """The written values, in the order of ``JOB_COLUMNS`` (not the name, which never
        changes here)."""
        return (
            self.directory,
            self.process_type,
            self.document,
            self.latest_version,
            stamp.at,
            stamp.by,
            self.summary,
            self.sha256,
        )


class ScriptRow(NamedTuple):
    """A script's development state as stored."""

    name: str
    document: str
    directory: str
    type: str
    latest_version: int | None
    sha256: str
    """The hash of ``document`` (:func:`document_sha256`)."""

    @classmethod
    def of(cls, doc: Mapping[str, Any], text: str, latest_version: int | None) -> ScriptRow:
        """The row of ``doc`` (already dumped to ``text``)."""
        name, directory, type_ = typed_columns(doc)
        return cls(name, text, directory, type_, latest_version, document_sha256(text))

    def values(self, stamp: Stamp) -> tuple[Any, ...]:
        """The written values, in the order of ``SCRIPT_COLUMNS``."""
        return (
            self.type,
            self.directory,
            self.document,
            self.latest_version,
            stamp.at,
            stamp.by,
            self.sha256,
        )


class ResourceRow(NamedTuple):
    """A resource as stored (resources are not versioned)."""

    name: str
    document: str
    directory: str
    type: str
    sha256: str
    """The hash of ``document`` (:func:`document_sha256`)."""

    @classmethod
    def of(cls, doc: Mapping[str, Any], text: str) -> ResourceRow:
        """The row of ``doc`` (already dumped to ``text``)."""
        name, directory, type_ = typed_columns(doc)
        return cls(name, text, directory, type_, document_sha256(text))

    def values(self, stamp: Stamp) -> tuple[Any, ...]:
        """The written values, in the order of ``RESOURCE_COLUMNS`` (a resource is addressed by
        id, so its name may change)."""
        return (
            self.name,
            self.type,
            self.directory,
            self.document,
            stamp.at,
            stamp.by,
            self.sha256,
        )


_COLUMNS_OF: dict[type, tuple[str, ...]] = {
    JobRow: JOB_COLUMNS,
    ScriptRow: SCRIPT_COLUMNS,
    ResourceRow: RESOURCE_COLUMNS,
}


def written(row: JobRow | ScriptRow | ResourceRow, stamp: Stamp) -> dict[str, Any]:
    """The columns a write of ``row`` sets, by name (its ``values`` under their columns)."""
    return dict(zip(_COLUMNS_OF[type(row)], row.values(stamp), strict=True))


class RefRow(NamedTuple):
    """One row of a job's reference index (what the job names, for look-ups and checks)."""

    job_id: int
    kind: str
    name: str
    ref_workspace: str  # '' for the job's own workspace


class ChangeRow(NamedTuple):
    """What one import did to one object, with the state before it (what rollback reads)."""

    task_id: str
    workspace_id: str
    kind: str
    name: str
    action: str
    object_id: str | None
    before_document: str | None
    before_version: int | None
    after_version: int | None
    after_sha256: str | None
    undo: str | None = None
    """JSON of what else a rollback restores (a name, a scheduling status, a deleted object,
    the ledger row the import replaced)."""


def created(stamp: Stamp) -> dict[str, Any]:
    """The creation columns of a new row."""
    return {"created_at": stamp.at, "created_by": stamp.by}
