"""Exports on the wire: an obsPath upload's answer and a checked name list."""

from __future__ import annotations

from typing import Any

from jobferry.services.exporting.selection import NameCheck
from jobferry.services.exporting.service import Upload


def upload_document(uploaded: Upload) -> dict[str, Any]:
    """DataArts' answer to an export with ``obsPath``: the new folder as ``obsPath``;
    ``path``, ``size`` and ``sha256`` are jobferry's additions."""
    return {
        "obsPath": uploaded.folder,
        "path": uploaded.path,
        "size": uploaded.size,
        "sha256": uploaded.sha256,
    }


def name_check_document(report: NameCheck) -> dict[str, Any]:
    """Which pasted names match (``POST /exports/check-names``, extension)."""
    return {
        "total": report.total,
        "matched": report.matched,
        "unmatched": [{"name": u.name, "reason": u.reason} for u in report.unmatched],
        "duplicates": report.duplicates,
        "cap": report.cap,
    }
