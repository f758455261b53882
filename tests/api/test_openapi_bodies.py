"""The published body of each of jobferry's own calls is exactly what its parser reads.

Every parser declares its body once (a ``BodyShape`` beside it) and the document is generated
from that declaration; these tests hold the parser to it from the outside. For each parser:
every key it reads (recorded while it parses full bodies, nested keys too) is documented; every
documented field is read (a wrong value is refused, naming the field; an ``ignored`` one is
accepted and never read); every documented choice is accepted and another value refused; a
required field's absence is refused; and an undocumented key is refused where the document says
other keys are refused, and accepted and never read where it says they are ignored (DataArts
clients send the fields of their own SDK).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from jobferry.api.bodies import schema_of
from jobferry.domain.enums import EnvironmentKind
from jobferry.domain.policies import POLICY, PolicyError, parse_policy
from jobferry.domain.profile import PROFILE, ProfileError, parse_profile
from jobferry.domain.routes import ROUTE, RouteError, parse_route
from jobferry.domain.shapes import BodyShape, Extra, JsonType
from jobferry.errors import InvalidRequestError
from jobferry.package.keys import generate_key_pair
from jobferry.services.connections.migration import IMPORT_CONNECTIONS, parse_import
from jobferry.services.definitions.governance import TAG, parse_tag_lock
from jobferry.services.definitions.publishing import DELETE, parse_delete
from jobferry.services.definitions.renames import RENAME, parse_rename
from jobferry.services.definitions.starts import START, parse_start
from jobferry.services.environment.objects import OBJECT, EnvironmentWrite
from jobferry.services.exporting.options import (
    BACKGROUND_EXPORT,
    BATCH_EXPORT,
    EXPORT_JOB,
    NAME_LIST,
    name_list,
    parse_background_export,
    parse_batch_export,
    parse_export_request,
)
from jobferry.services.importing.request import IMPORT, parse_import_request
from jobferry.services.remotes.records import (
    REFRESH,
    REMOTE,
    REMOTE_CHANGE,
    parse_refresh,
    parse_remote,
    parse_remote_change,
)
from jobferry.services.workspaces.keys import (
    DISTRUSTED_KEY,
    TRUSTED_KEY,
    parse_distrust,
    parse_trust,
)
from jobferry.services.workspaces.settings import SETTINGS, parse_workspace_settings
from support.clients import SignedClient

REFUSALS = (InvalidRequestError, RouteError, ProfileError, PolicyError)
UNDOCUMENTED = "undocumentedKey"
P = "/v1/{project_id}"


@cache
def _public_key() -> str:
    return generate_key_pair().public_key


@dataclass(frozen=True)
class Parser:
    """A parser, the shape it declares, the routes that publish it, and bodies to probe it."""

    name: str
    parse: Callable[[dict[str, Any]], object]
    shape: BodyShape
    routes: tuple[tuple[str, str], ...]
    base: dict[str, Any]
    """The smallest body it accepts."""
    full: tuple[dict[str, Any], ...]
    """Bodies that between them give every field (each parse path taken)."""
    bases: dict[str, dict[str, Any]] = field(default_factory=dict)
    """A field read only in some bodies: the base to probe it from."""


IMPORT_FULL = {
    "path": "upload://abc/package.zip",
    "params": {"env": "prod", "batch": 5},
    "sameNamePolicy": "OVERWRITE",
    "jobsParam": [{"name": "daily", "params": {"day": "1"}}],
    "executeUser": "etl",
    "targetStatus": "SAVED",
    "approvers": [{"approverName": "ann"}],
    "resources": [{"name": "dws_test", "type": "DWS_CONNECTION", "replace": "dws_prod"}],
    "targetDirectory": "/prod",
    "dryRun": True,
    "planId": "plan-1",
    "mode": "PER_OBJECT",
    "profile": "prod",
    "timeZone": {"zone": "Europe/Berlin", "mode": "keepInstant", "sourceZone": "Asia/Shanghai"},
    "propagateDeletes": True,
    "onDrift": "KEEP_TARGET",
    "scheduling": "PAUSE_AND_RESTORE",
}
EXPORT_OPTIONS = {
    "exportDepend": False,
    "exportStatus": "SUBMIT",
    "withUpstream": True,
    "withManifest": False,
    "deletionsSince": "2026-11-01T00:00:00+08:00",
    "deletionsFor": "prod",
    "obsPath": "obs://bucket/folder/",
}
WORKSPACE_EXPORT = {"mode": "workspace", "changed": "since", "since": 0}
ROUTE_FULL = {
    "name": "to-prod",
    "description": "test to prod",
    "source": {"workspace": "test"},
    "target": {"workspace": "prod"},
    "selection": {"kind": "TAGS", "values": ["nightly"], "withUpstream": False},
    "profile": "prod",
    "sameNamePolicy": "SKIP",
    "propagateDeletes": True,
    "onDrift": "TAKE_PACKAGE",
    "scheduling": "PAUSE_AND_RESTORE",
    "mode": "PER_OBJECT",
    "requireSignature": True,
}
CARRIED_ROUTE = {"source": {"carried": True, "workspaceId": "ws-1"}, "target": {"workspace": "p"}}
PROFILE_FULL = {
    "description": "production",
    "renames": {"connection": {"dws_test": "dws_prod"}, "workspace": {"test": "prod"}},
    "params": {"env": "prod"},
    "jobParams": {"daily": {"batch": "500"}},
    "executeUser": "etl_prod",
    "owner": "ops",
    "directory": {"from": "/test", "to": "/prod"},
    "timeZone": {"zone": "Europe/Berlin", "mode": "keepWallClock"},
    "targetOwned": ["schedule.cron.expression"],
}

POLICY_FULL = {
    "description": "production",
    "maxDeletions": 5,
    "protectedConnections": ["dws_prod"],
    "naming": {"jobs": "prod_.*", "scripts": "prod_.*"},
    "owners": ["ops"],
    "freeze": [{"from": "2026-12-24", "to": "2026-12-26", "zone": "Europe/Berlin"}],
}

PARSERS = [
    Parser(
        "import",
        parse_import_request,
        IMPORT,
        (
            (f"{P}/jobs/import", "post"),
            (f"{P}/jobs/import/plan", "post"),
            (f"{P}/profiles/check", "post"),
        ),
        {"path": "upload://abc/package.zip"},
        (IMPORT_FULL, {**IMPORT_FULL, "jobsParam": {"daily": {"day": "1"}}}),
    ),
    Parser(
        "export_job",
        parse_export_request,
        EXPORT_JOB,
        ((f"{P}/jobs/{{job_name}}/export", "post"),),
        {},
        (EXPORT_OPTIONS, {"deletionsSince": 0}),
    ),
    Parser(
        "export_job_list",
        parse_batch_export,
        BATCH_EXPORT,
        ((f"{P}/jobs/batch-export", "post"),),
        {"jobList": ["daily"]},
        ({"jobList": ["daily"], **EXPORT_OPTIONS},),
    ),
    Parser(
        "background export",
        parse_background_export,
        BACKGROUND_EXPORT,
        ((f"{P}/exports", "post"),),
        {"mode": "names", "names": ["daily"]},
        ({"mode": "names", "names": ["daily"], **EXPORT_OPTIONS}, WORKSPACE_EXPORT),
        {"changed": WORKSPACE_EXPORT, "since": WORKSPACE_EXPORT},
    ),
    Parser(
        "name list",
        name_list,
        NAME_LIST,
        ((f"{P}/exports/check-names", "post"),),
        {"names": []},
        ({"names": ["daily", "weekly"]},),
    ),
    Parser(
        "workspace settings",
        parse_workspace_settings,
        SETTINGS,
        ((f"{P}/workspaces/{{workspace_id}}", "put"),),
        {},
        ({"lockPolicy": "hard", "approvalEnabled": True, "requireSigned": False},),
    ),
    Parser(
        "trusted key",
        parse_trust,
        TRUSTED_KEY,
        ((f"{P}/trusted-keys", "post"),),
        {"name": "prod", "publicKey": "KEY"},
        ({"name": "prod", "publicKey": "KEY"},),
    ),
    Parser(
        "key to distrust",
        parse_distrust,
        DISTRUSTED_KEY,
        ((f"{P}/trusted-keys/distrust", "post"),),
        {"publicKey": "KEY"},
        ({"publicKey": "KEY"}, {"publicKey": "KEY", "name": "sales"}),
    ),
    Parser(
        "tag", parse_tag_lock, TAG, ((f"{P}/tags/{{tag_name}}", "put"),), {}, ({"locked": True},)
    ),
    Parser(
        "start_job",
        parse_start,
        START,
        ((f"{P}/jobs/{{job_name}}/start", "post"),),
        {},
        (
            {
                "jobParams": [{"name": "day", "value": "1", "type": "variable"}],
                "start_date": 20241030,
                "ignore_first_self_dep": True,
                "ignore_first_self_dependence": True,
            },
            {"jobParams": [{"name": "day", "value": "1", "paramType": "variable"}]},
        ),
    ),
    Parser(
        "delete (DeleteReq)",
        parse_delete,
        DELETE,
        (
            (f"{P}/jobs/{{job_name}}", "delete"),
            (f"{P}/scripts/{{script_name}}", "delete"),
        ),
        {},
        ({"approvers": [{"approverName": "ann"}]},),
    ),
    Parser(
        "update_factory_job_name",
        parse_rename,
        RENAME,
        (("/v2/{project_id}/factory/jobs/{job_name}/rename", "put"),),
        {"name": "renamed"},
        ({"name": "renamed"},),
    ),
    Parser(
        "route",
        lambda body: parse_route("to-prod", body),
        ROUTE,
        ((f"{P}/routes/{{name}}", "put"),),
        {"source": {"workspace": "test"}, "target": {"workspace": "prod"}},
        (ROUTE_FULL, CARRIED_ROUTE),
    ),
    Parser(
        "profile", parse_profile, PROFILE, ((f"{P}/profiles/{{name}}", "put"),), {}, (PROFILE_FULL,)
    ),
    Parser(
        "policy",
        parse_policy,
        POLICY,
        ((f"{P}/policies/workspace", "put"), (f"{P}/policies/routes/{{name}}", "put")),
        {},
        (POLICY_FULL, {"freeze": [{"days": ["SAT"], "zone": "UTC"}]}),
    ),
    Parser(
        "environment object",
        lambda body: EnvironmentWrite.from_wire(EnvironmentKind.CONNECTION, "dws", body),
        OBJECT,
        ((f"{P}/environment/{{kind}}/{{name}}", "put"),),
        {"type": "DWS"},
        (
            {
                "type": "DWS",
                "config": {"host": "h"},
                "secrets": {"pw": "x"},
                "kind": "connection",
                "name": "dws",
            },
        ),
    ),
]
PARSERS.append(
    Parser(
        "import_connections",
        parse_import,
        IMPORT_CONNECTIONS,
        ((f"{P}/connections/import", "post"),),
        {"path": "upload://abc"},
        (
            {
                "path": "upload://abc",
                "params": [{"name": "dws", "type": "DWS", "params": {"host": "h"}}],
                "sameNamePolicy": "OVERWRITE",
            },
            {"path": "upload://abc", "params": [{"name": "dws", "connectionType": "DWS"}]},
        ),
    )
)
REMOTE_BODY = {
    "name": "prod",
    "endpoint": "https://dayu-dlf.cn-north-4.myhuaweicloud.com",
    "projectId": "p",
    "workspace": "w",
    "accessKey": "AK",
    "secretKey": "SK",
}
PARSERS.append(
    Parser("remote", parse_remote, REMOTE, ((f"{P}/remotes", "post"),), REMOTE_BODY, (REMOTE_BODY,))
)
PARSERS.append(
    Parser(
        "refresh",
        parse_refresh,
        REFRESH,
        ((f"{P}/remotes/{{name}}/refresh", "post"),),
        {},
        ({"path": "upload://abc"},),
    )
)
PARSERS.append(
    Parser(
        "remote change",
        parse_remote_change,
        REMOTE_CHANGE,
        ((f"{P}/remotes/{{name}}", "patch"),),
        {"secretKey": "SK"},
        (
            {
                "endpoint": "https://dayu-dlf.cn-south-1.myhuaweicloud.com",
                "studioEndpoint": "https://dayu.cn-south-1.myhuaweicloud.com",
                "accessKey": "AK",
                "secretKey": "SK",
            },
        ),
    )
)
BY_NAME = {parser.name: parser for parser in PARSERS}


def _real(body: dict[str, Any]) -> dict[str, Any]:
    """``body`` with its placeholders made real (a public key is made once, when needed)."""
    if body.get("publicKey") == "KEY":
        return {**body, "publicKey": _public_key()}
    return body


class Reads(dict[str, Any]):
    """A JSON object that records the keys a parser looks up (nested objects too, as
    ``a.b`` and ``list[].b``); what it iterates over (a free map, the check for unknown keys)
    is not a look-up."""

    def __init__(self, data: dict[str, Any], seen: set[str], prefix: str = "") -> None:
        super().__init__({k: _wrap(v, seen, f"{prefix}{k}") for k, v in data.items()})
        self.seen, self.prefix = seen, prefix

    def get(self, key: Any, default: Any = None) -> Any:
        self.seen.add(f"{self.prefix}{key}")
        return super().get(key, default)

    def __getitem__(self, key: Any) -> Any:
        self.seen.add(f"{self.prefix}{key}")
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        self.seen.add(f"{self.prefix}{key}")
        return super().__contains__(key)


def _wrap(value: Any, seen: set[str], path: str) -> Any:
    if isinstance(value, dict):
        return Reads(value, seen, f"{path}.")
    if isinstance(value, list):
        return [
            _wrap(item, seen, f"{path}[]") if isinstance(item, dict) else item for item in value
        ]
    return value


def _reads(parser: Parser, body: dict[str, Any]) -> set[str]:
    seen: set[str] = set()
    parser.parse(Reads(_real(body), seen))
    return seen


def _documented(schema: dict[str, Any], path: str) -> bool:
    node = schema
    for part in path.split("."):
        name = part.removesuffix("[]")
        properties = node.get("properties", {})
        if name not in properties:
            return False
        node = properties[name]
        if part.endswith("[]"):
            node = node.get("items", {})
    return True


def _refusal(parser: Parser, body: dict[str, Any]) -> str:
    with pytest.raises(REFUSALS) as refused:
        parser.parse(_real(body))
    return str(refused.value)


_WRONG: list[tuple[Any, set[JsonType]]] = [
    ({"wrong": 1}, {JsonType.OBJECT}),
    ([1], {JsonType.ARRAY}),
    ("wrong", {JsonType.STRING}),
    (12345, {JsonType.INTEGER, JsonType.NUMBER}),
    (True, {JsonType.BOOLEAN}),
]


def _wrong_value(types: tuple[JsonType, ...]) -> Any:
    """A value of a JSON type the field does not take."""
    return next(value for value, kinds in _WRONG if not kinds & set(types))


@pytest.fixture
def database_url(tmp_path: Any) -> str:
    """The document does not depend on the database: SQLite only."""
    return f"sqlite:///{tmp_path / 'jobferry.db'}"


@pytest.fixture
def spec(api: SignedClient) -> dict[str, Any]:
    document: dict[str, Any] = api.client.get("/openapi.json").json()
    return document


def _body_schema(spec: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    content = spec["paths"][path][method]["requestBody"]["content"]["application/json"]
    schema: dict[str, Any] = content["schema"]
    return schema


def test_each_route_publishes_its_parsers_shape(spec: dict[str, Any]) -> None:
    for parser in PARSERS:
        expected = schema_of(parser.shape)
        for path, method in parser.routes:
            published = _body_schema(spec, path, method)
            for key in ("properties", "additionalProperties"):
                assert published[key] == expected[key], (parser.name, path, key)
            assert published.get("required") == expected.get("required"), (parser.name, path)
            other_keys = "ignored" if parser.shape.extra is Extra.IGNORED else "refused"
            assert other_keys in published["description"], (parser.name, path)


ROUTE_READ_BODIES = {
    (f"{P}/workspaces", "post"),
    (f"{P}/users", "post"),
    (f"{P}/users/{{user_name}}/roles/{{workspace_id}}", "put"),
    (f"{P}/users/{{user_name}}", "put"),
    (f"{P}/jobs/check-file", "post"),
}
"""Typed bodies a route reads itself (no parser of their own; written out in api/bodies.py)."""


def test_every_typed_body_in_the_document_is_a_parsers_or_listed(spec: dict[str, Any]) -> None:
    published = {route for parser in PARSERS for route in parser.routes}
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body is None or not body["schema"].get("properties"):
                continue  # none, or a DataArts document described by name
            route = (path, method)
            assert route in published or route in ROUTE_READ_BODIES, route


def test_import_body_documents_the_repeated_promotion_options(spec: dict[str, Any]) -> None:
    properties = _body_schema(spec, f"{P}/jobs/import", "post")["properties"]
    assert properties["onDrift"]["enum"] == ["FAIL", "KEEP_TARGET", "TAKE_PACKAGE"]
    assert properties["scheduling"]["enum"] == ["REFUSE", "PAUSE_AND_RESTORE"]
    assert properties["propagateDeletes"]["type"] == "boolean"
    zone = properties["timeZone"]
    assert set(zone["properties"]) == {"zone", "mode", "sourceZone"}
    assert zone["properties"]["mode"]["enum"] == ["keepWallClock", "keepInstant"]
    assert zone["additionalProperties"] is False
    assert zone["required"] == ["zone", "mode"]
    assert zone["type"] == ["object", "null"]  # null: no move, as absent
    assert properties["targetStatus"]["enum"][-1] is None
    import_body = _body_schema(spec, f"{P}/jobs/import", "post")
    assert import_body["required"] == ["path"]
    assert import_body["additionalProperties"] is True  # DataArts clients' other fields
    assert _body_schema(spec, f"{P}/routes/{{name}}", "put")["additionalProperties"] is False


@pytest.mark.parametrize("name", list(BY_NAME))
def test_every_key_the_parser_reads_is_documented(name: str) -> None:
    parser = BY_NAME[name]
    schema = schema_of(parser.shape)
    read = set().union(*(_reads(parser, body) for body in parser.full))
    undocumented = sorted(path for path in read if not _documented(schema, path))
    assert not undocumented, f"{name} reads {undocumented}, which its shape does not declare"
    top = {path.split(".")[0].removesuffix("[]") for path in read}
    for declared in parser.shape.fields:
        if declared.ignored:
            assert declared.name not in top, f"{name}: {declared.name} is read, not ignored"
        else:
            assert declared.name in top, f"{name} documents {declared.name} but never reads it"


@pytest.mark.parametrize("name", list(BY_NAME))
def test_every_documented_field_is_checked_by_the_parser(name: str) -> None:
    parser = BY_NAME[name]
    for declared in parser.shape.fields:
        base = parser.bases.get(declared.name, parser.base)
        if declared.ignored:
            parser.parse(_real({**base, declared.name: _wrong_value(declared.types)}))
            continue
        message = _refusal(parser, {**base, declared.name: _wrong_value(declared.types)})
        assert declared.name in message, (name, declared.name, message)
        if declared.required:
            rest = {k: v for k, v in base.items() if k != declared.name}
            assert declared.name in _refusal(parser, rest), (name, declared.name)
        if declared.nullable:  # null is read as absent
            parser.parse(_real({**base, declared.name: None}))
        else:
            assert declared.name in _refusal(parser, {**base, declared.name: None}), name
        for value in declared.choices:
            parser.parse(_real({**base, declared.name: value}))
        if declared.choices:
            message = _refusal(parser, {**base, declared.name: "NOT_A_CHOICE"})
            assert declared.name in message, (name, declared.name, message)


@pytest.mark.parametrize("name", list(BY_NAME))
def test_an_undocumented_key_is_refused_or_ignored_as_documented(name: str) -> None:
    parser = BY_NAME[name]
    body = {**parser.base, UNDOCUMENTED: "x"}
    if parser.shape.extra is Extra.REFUSED:
        assert UNDOCUMENTED in _refusal(parser, body), name
        return
    assert UNDOCUMENTED not in _reads(parser, body), name
    assert parser.parse(_real(body)) == parser.parse(_real(parser.base)), name


@pytest.mark.parametrize("name", list(BY_NAME))
def test_nested_objects_refuse_or_ignore_other_keys_as_documented(name: str) -> None:
    parser = BY_NAME[name]
    full = parser.full[0]
    for declared in parser.shape.fields:
        if declared.shape is None or not isinstance(full.get(declared.name), dict):
            continue
        nested = {**full[declared.name], UNDOCUMENTED: "x"}
        body = {**full, declared.name: nested}
        if declared.shape.extra is Extra.REFUSED:
            assert UNDOCUMENTED in _refusal(parser, body), (name, declared.name)
        else:
            assert f"{declared.name}.{UNDOCUMENTED}" not in _reads(parser, body)


API_DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"
DOC_ROWS = {
    "| `import_job` `POST": IMPORT,
    "| `export_job` `POST": EXPORT_JOB,
    "| `POST /exports` (extension)": BACKGROUND_EXPORT,
    "| `PUT /workspaces/{id}`": SETTINGS,
}


def test_docs_api_rows_name_every_field_of_their_body() -> None:
    """docs/api.md lists these bodies' fields by hand: every declared field is named there."""
    lines = API_DOC.read_text(encoding="utf-8").splitlines()
    for start, shape in DOC_ROWS.items():
        row = next(line for line in lines if line.startswith(start))
        missing = [f for f in shape.names if f"`{f}`" not in row and f'"{f}"' not in row]
        assert not missing, f"docs/api.md's row {start!r} does not name {missing}"
