"""JSON Schemas of the request bodies of jobferry's own calls, for the OpenAPI document.

Each body a service parser reads is declared once, as a ``BodyShape`` beside its parser
(``domain/shapes.py``); :func:`schema_of` turns it into the schema published here, so the
document lists exactly the fields the parser reads (tests/api/test_openapi_bodies.py). DataArts'
own documents (JobInfo, ScriptInfo, ResourceInfo, the v2 bodies) stay described by name:
DataArts owns them and they keep unknown keys. The few bodies read by the route itself (a
workspace's or user's name, a role, a package path) are written out here.
"""

from __future__ import annotations

from typing import Any

from jobferry.domain.enums import Role
from jobferry.domain.policies import POLICY as POLICY_SHAPE
from jobferry.domain.profile import PROFILE as PROFILE_SHAPE
from jobferry.domain.routes import ROUTE as ROUTE_SHAPE
from jobferry.domain.shapes import BodyShape, Extra, Field
from jobferry.services.connections.migration import IMPORT_CONNECTIONS
from jobferry.services.definitions.governance import TAG as TAG_SHAPE
from jobferry.services.definitions.publishing import DELETE as DELETE_SHAPE
from jobferry.services.definitions.renames import RENAME as RENAME_SHAPE
from jobferry.services.definitions.starts import START as START_SHAPE
from jobferry.services.environment.objects import OBJECT
from jobferry.services.exporting.options import (
    BACKGROUND_EXPORT,
    BATCH_EXPORT,
    EXPORT_JOB,
)
from jobferry.services.exporting.options import NAME_LIST as NAME_LIST_SHAPE
from jobferry.services.importing.request import IMPORT as IMPORT_SHAPE
from jobferry.services.remotes.records import REFRESH as REFRESH_SHAPE
from jobferry.services.remotes.records import REMOTE as REMOTE_SHAPE
from jobferry.services.remotes.records import REMOTE_CHANGE as REMOTE_CHANGE_SHAPE
from jobferry.services.workspaces.keys import DISTRUSTED_KEY as DISTRUSTED_KEY_SHAPE
from jobferry.services.workspaces.keys import TRUSTED_KEY as TRUSTED_KEY_SHAPE
from jobferry.services.workspaces.settings import SETTINGS

_EXTRA = {
    Extra.REFUSED: "other keys are refused",
    Extra.IGNORED: "other keys are accepted and ignored",
}


def _types(names: list[str]) -> dict[str, Any]:
    """``type`` of a schema: one name, a list of them, or none (any JSON value)."""
    if not names:
        return {}
    return {"type": names[0] if len(names) == 1 else names}


def _field(field: Field) -> dict[str, Any]:
    types = [str(t) for t in field.types]
    if field.nullable and types:
        types.append("null")
    schema: dict[str, Any] = _types(types)
    if field.choices:
        schema["enum"] = [*field.choices, *([None] if field.nullable else [])]
    if isinstance(field.items, BodyShape):
        schema["items"] = schema_of(field.items)
    elif field.items is not None:
        schema["items"] = {"type": str(field.items)}
    if field.shape is not None:
        nested = schema_of(field.shape)
        schema.update(properties=nested["properties"], additionalProperties=False)
        if field.shape.extra is Extra.IGNORED:
            schema["additionalProperties"] = True
        if "required" in nested:
            schema["required"] = nested["required"]
    if field.values:
        schema["additionalProperties"] = _types([str(t) for t in field.values])
    described = field.description + (" (accepted and ignored)" if field.ignored else "")
    schema["description"] = described
    return schema


def schema_of(shape: BodyShape) -> dict[str, Any]:
    """The JSON Schema of a body shape: its fields, which are required, and whether other keys
    are refused (``additionalProperties: false``) or accepted and ignored."""
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {f.name: _field(f) for f in shape.fields},
        "additionalProperties": shape.extra is Extra.IGNORED,
        "description": f"{shape.title}; {_EXTRA[shape.extra]}",
    }
    required = [f.name for f in shape.fields if f.required]
    if required:
        schema["required"] = required
    return schema


def _object(required: tuple[str, ...] = (), **properties: dict[str, Any]) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    return schema


_TEXT: dict[str, Any] = {"type": "string"}
_FLAG: dict[str, Any] = {"type": "boolean"}

WORKSPACE = _object(("name",), name=_TEXT)
USER = _object(("name",), name=_TEXT, projectAdmin=_FLAG)
PROJECT_ADMIN = _object(("projectAdmin",), projectAdmin=_FLAG)
ROLE = _object(("role",), role={"type": "string", "enum": [str(r) for r in Role]})
FILE_PATH = _object(("path",), path={"type": "string", "description": "upload://… or obs://…"})

IMPORT = schema_of(IMPORT_SHAPE)
EXPORT = schema_of(BACKGROUND_EXPORT)
EXPORT_JOB_REQ = schema_of(EXPORT_JOB)
EXPORT_JOBS_REQ = schema_of(BATCH_EXPORT)
NAME_LIST = schema_of(NAME_LIST_SHAPE)
WORKSPACE_SETTINGS = schema_of(SETTINGS)
TAG = schema_of(TAG_SHAPE)
ENVIRONMENT_OBJECT = schema_of(OBJECT)
TRUSTED_KEY = schema_of(TRUSTED_KEY_SHAPE)
DISTRUSTED_KEY = schema_of(DISTRUSTED_KEY_SHAPE)
START_JOB_REQ = schema_of(START_SHAPE)
DELETE_REQ = schema_of(DELETE_SHAPE)
RENAME_JOB_REQ = schema_of(RENAME_SHAPE)
ROUTE = schema_of(ROUTE_SHAPE)
REMOTE = schema_of(REMOTE_SHAPE)
REMOTE_CHANGE = schema_of(REMOTE_CHANGE_SHAPE)
REFRESH = schema_of(REFRESH_SHAPE)
CONNECTIONS_IMPORT = schema_of(IMPORT_CONNECTIONS)
PROFILE = schema_of(PROFILE_SHAPE)
POLICY = schema_of(POLICY_SHAPE)
