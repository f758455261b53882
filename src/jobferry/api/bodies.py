"""JSON Schemas of the request bodies of jobferry's own calls, for the OpenAPI document.

DataArts' documents (JobInfo, ScriptInfo, ResourceInfo, the v2 bodies) stay described by name:
DataArts owns them and they keep unknown keys. These are jobferry's; the services check every
field again and name the one that is wrong.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from jobferry.domain.enums import (
    DriftPolicy,
    ExportChanges,
    ExportMode,
    ImportMode,
    SameNamePolicy,
    SchedulingPolicy,
    TargetStatus,
)

_TEXT: dict[str, Any] = {"type": "string"}
_FLAG: dict[str, Any] = {"type": "boolean"}
_NAMES: dict[str, Any] = {"type": "array", "items": _TEXT}


def _one_of(vocabulary: type[StrEnum]) -> dict[str, Any]:
    """A string field taking the values of one of the domain's vocabularies."""
    return {"type": "string", "enum": [str(member) for member in vocabulary]}


def _object(required: tuple[str, ...] = (), **properties: dict[str, Any]) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    return schema


WORKSPACE = _object(("name",), name=_TEXT)
WORKSPACE_SETTINGS = _object(
    lockPolicy={"type": "string", "enum": ["soft", "hard"]},
    approvalEnabled=_FLAG,
    requireSigned=_FLAG,
)
USER = _object(("name",), name=_TEXT, projectAdmin=_FLAG)
ROLE = _object(
    ("role",), role={"type": "string", "enum": ["admin", "developer", "operator", "viewer"]}
)
TAG = _object(locked=_FLAG)
ENVIRONMENT_OBJECT = _object(
    ("type",),
    type=_TEXT,
    config={"type": "object"},
    secrets={"type": "object", "additionalProperties": _TEXT, "description": "write-only"},
    description=_TEXT,
)
TRUSTED_KEY = _object(
    ("name", "publicKey"),
    name=_TEXT,
    publicKey={"type": "string", "description": "'ed25519:<base64>' or a PEM public key"},
)
FILE_PATH = _object(("path",), path={"type": "string", "description": "upload://… or obs://…"})
NAME_LIST = _object(("names",), names=_NAMES)
IMPORT = _object(
    ("path",),
    path=FILE_PATH["properties"]["path"],
    params={"type": "object"},
    sameNamePolicy=_one_of(SameNamePolicy),
    jobsParam={"type": "array", "items": {"type": "object"}},
    executeUser=_TEXT,
    targetStatus=_one_of(TargetStatus),
    approvers={"type": "array", "items": {"type": "object"}},
    resources={
        "type": "array",
        "items": _object(("name", "type"), name=_TEXT, type=_TEXT, replace=_TEXT),
    },
    targetDirectory=_TEXT,
    dryRun=_FLAG,
    planId=_TEXT,
    mode=_one_of(ImportMode),
    propagateDeletes=_FLAG,
    onDrift=_one_of(DriftPolicy),
    scheduling=_one_of(SchedulingPolicy),
    profile={"description": "a stored profile's name, or a profile document (object)"},
)
EXPORT = _object(
    ("mode",),
    mode=_one_of(ExportMode),
    names=_NAMES,
    changed=_one_of(ExportChanges),
    since={"description": "epoch milliseconds or an ISO 8601 time"},
    exportDepend=_FLAG,
    exportStatus=_FLAG,
    withUpstream=_FLAG,
    withManifest=_FLAG,
    obsPath=_TEXT,
)
