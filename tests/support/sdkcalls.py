"""The calls the official DataArts SDKs make, read from the SDKs themselves, and the checks of a
request against them: its query, its body, its signature.

:data:`SDK_CALLS` is built, not written: for every method of ``huaweicloudsdkdgc``'s
``DgcClient`` (DataArts Factory v1, host ``dayu-dlf.<region>``) and of
``huaweicloudsdkdataartsstudio``'s ``DataArtsStudioClient`` (DataArts Studio, host
``dayu.<region>``), the SDK's own ``_<method>_http_info`` is asked with an empty request model:
it answers the HTTP method, the path template, the path, query and header parameters. The
request model's ``openapi_types`` and ``attribute_map`` give each parameter's type and wire name,
and the body's model; a body model's own ``openapi_types``/``attribute_map`` (recursively) give
every field a body may have and its type (:func:`body_problems`). A signature is checked by
signing the request again with ``huaweicloudsdkcore``'s own ``Signer`` (:func:`signature_matches`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from types import ModuleType
from typing import Any

import huaweicloudsdkdataartsstudio.v1 as studio_sdk
import huaweicloudsdkdataartsstudio.v1.model as studio_models
import huaweicloudsdkdgc.v1 as dgc_sdk
import huaweicloudsdkdgc.v1.model as dgc_models
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer


class Api(StrEnum):
    """Which SDK (and so which host) a call belongs to."""

    FACTORY = "huaweicloudsdkdgc"
    """DataArts Factory v1: ``https://dayu-dlf.<region>.myhuaweicloud.com``."""
    STUDIO = "huaweicloudsdkdataartsstudio"
    """DataArts Studio (connections, v2 factory calls): ``https://dayu.<region>.myhuaweicloud.com``."""


@dataclass(frozen=True)
class SdkCall:
    """One SDK method as it goes on the wire."""

    name: str
    api: Api
    method: str
    path: str
    """The path template, ``{project_id}`` included."""
    pattern: re.Pattern[str]
    literal: int
    """Characters of the template outside parameters: the most literal match wins (a
    ``jobs/batch-export`` is not a ``jobs/{job_name}``)."""
    path_params: tuple[str, ...]
    query: dict[str, str]
    """Wire name → SDK type of each query parameter."""
    headers: frozenset[str]
    """Lower-case names of the header parameters the request model has (``workspace``…)."""
    body: str | None
    """The body's SDK type (a model name), ``None``: the call takes no body."""
    models: ModuleType
    response: str
    """The response model's name."""

    def match(self, path: str) -> dict[str, str] | None:
        """The path parameters of ``path`` (raw, still quoted), or ``None``: another call."""
        found = self.pattern.match(path)
        return None if found is None else found.groupdict()


def _camel(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


def _pattern(template: str) -> tuple[re.Pattern[str], int]:
    parts = re.split(r"\{([^}]+)\}", template)
    regex, literal = "", 0
    for index, part in enumerate(parts):
        if index % 2:
            regex += f"(?P<{part}>[^/]+)"
        else:
            regex += re.escape(part)
            literal += len(part)
    return re.compile(f"^{regex}$"), literal


def _calls(client: type, models: ModuleType, api: Api) -> Iterator[SdkCall]:
    for attr in sorted(vars(client)):
        found = re.fullmatch(r"_(\w+)_http_info", attr)
        if not found:
            continue
        name = found.group(1)
        request_model = getattr(models, f"{_camel(name)}Request", None)
        if request_model is None:
            continue
        info = getattr(client, attr)(request_model())
        wire_to_attr = {wire: py for py, wire in request_model.attribute_map.items()}
        types = request_model.openapi_types
        query = {wire: types[wire_to_attr[wire]] for wire, _ in info["query_params"]}
        headers = frozenset(
            h.lower() for h in info["header_params"] if h.lower() in wire_to_attr
        )  # Content-Type is the SDK's, not the model's
        pattern, literal = _pattern(info["resource_path"])
        yield SdkCall(
            name,
            api,
            info["method"],
            info["resource_path"],
            pattern,
            literal,
            tuple(info["path_params"]),
            query,
            headers,
            types.get("body"),
            models,
            info["response_type"],
        )


def _table() -> dict[str, SdkCall]:
    table: dict[str, SdkCall] = {}
    for client, models, api in (
        (dgc_sdk.DgcClient, dgc_models, Api.FACTORY),
        (studio_sdk.DataArtsStudioClient, studio_models, Api.STUDIO),
    ):
        for call in _calls(client, models, api):
            table.setdefault(f"{api.name.lower()}:{call.name}", call)
    return table


SDK_CALLS = _table()
"""``factory:<method>`` / ``studio:<method>`` → the call, every method of both SDKs."""


def find_call(api: Api, method: str, path: str) -> tuple[SdkCall, dict[str, str]] | None:
    """The call of ``api`` a request is (the most literal template that matches) and its path
    parameters, or ``None``: that SDK never makes such a request."""
    best: tuple[SdkCall, dict[str, str]] | None = None
    for call in SDK_CALLS.values():
        if call.api is not api or call.method != method:
            continue
        params = call.match(path)
        if params is not None and (best is None or call.literal > best[0].literal):
            best = call, params
    return best


def calls_named(name: str) -> list[SdkCall]:
    """Every SDK's call of this method name (a name both SDKs have gives two)."""
    return [call for call in SDK_CALLS.values() if call.name == name]


# -- values against SDK types --------------------------------------------------------------

_LIST = re.compile(r"list\[(.+)\]")
_DICT = re.compile(r"dict\(([^,]+), (.+)\)")
_SCALARS: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
    "date": (str,),
    "datetime": (str,),
}


def value_problems(sdk_type: str, value: Any, where: str, models: ModuleType) -> Iterator[str]:
    """What is wrong with a JSON ``value`` sent as SDK type ``sdk_type`` (``where``: its place in
    the body, for the message); nothing when the SDK's model would have sent it."""
    if sdk_type == "object":
        return
    if value is None:
        yield f"{where} is null (the SDK leaves an unset field out, it never sends null)"
        return
    scalar = _SCALARS.get(sdk_type)
    if scalar is not None:
        if (isinstance(value, bool) and bool not in scalar) or not isinstance(value, scalar):
            yield f"{where} is {type(value).__name__} {value!r}, the SDK's type is {sdk_type}"
        return
    if found := _LIST.fullmatch(sdk_type):
        if not isinstance(value, list):
            yield f"{where} is {type(value).__name__}, the SDK's type is {sdk_type}"
            return
        for index, item in enumerate(value):
            yield from value_problems(found.group(1), item, f"{where}[{index}]", models)
        return
    if found := _DICT.fullmatch(sdk_type):
        if not isinstance(value, dict):
            yield f"{where} is {type(value).__name__}, the SDK's type is {sdk_type}"
            return
        for key, item in value.items():
            yield from value_problems(found.group(2), item, f"{where}.{key}", models)
        return
    yield from model_problems(sdk_type, value, where, models)


def model_problems(name: str, value: Any, where: str, models: ModuleType) -> Iterator[str]:
    """What is wrong with ``value`` sent as the SDK model ``name``: a field the model does not
    have, a field of the wrong type."""
    model = getattr(models, name, None)
    if model is None:
        raise LookupError(f"the SDK has no model {name} (at {where})")
    if not isinstance(value, dict):
        yield f"{where} is {type(value).__name__}, the SDK's type is the model {name}"
        return
    wire = {wire_name: attr for attr, wire_name in model.attribute_map.items()}
    for key, item in value.items():
        attr = wire.get(key)
        if attr is None:
            yield f"{where}.{key} is not a field of the SDK's model {name}"
            continue
        yield from value_problems(model.openapi_types[attr], item, f"{where}.{key}", models)


def body_problems(call: SdkCall, body: Any) -> list[str]:
    """What is wrong with a decoded request body for ``call``."""
    if call.body is None:
        return ["the SDK sends no body with this call"]
    return list(value_problems(call.body, body, "body", call.models))


def answer_problems(call: SdkCall, answer: Any) -> list[str]:
    """What in a JSON answer to ``call`` its SDK's response model would not read (a model whose
    one attribute is ``body`` takes the whole answer as it is)."""
    model = getattr(call.models, call.response, None)
    if model is None or list(model.attribute_map) == ["body"]:
        return []
    return list(model_problems(call.response, answer, "answer", call.models))


def query_problems(call: SdkCall, query: list[tuple[str, str]]) -> list[str]:
    """What is wrong with a request's query parameters for ``call``."""
    problems = []
    for key, value in query:
        sdk_type = call.query.get(key)
        if sdk_type is None:
            problems.append(
                f"query parameter {key!r} is not one of the SDK's ({sorted(call.query)})"
            )
        elif sdk_type == "int" and not re.fullmatch(r"-?\d+", value):
            problems.append(f"query parameter {key}={value!r} is not an integer")
        elif sdk_type == "bool" and value not in ("true", "false"):
            problems.append(f"query parameter {key}={value!r} is not true or false")
    return problems


# -- the signature -------------------------------------------------------------------------

_AUTHORIZATION = re.compile(
    r"SDK-HMAC-SHA256 Access=(?P<ak>[^,]+), SignedHeaders=(?P<signed>[^,]+), Signature=[0-9a-f]+"
)


def signature_matches(
    method: str,
    path: str,
    query: list[tuple[str, str]],
    headers: dict[str, str],
    body: bytes,
    keys: dict[str, str],
) -> str | None:
    """Why a request's ``Authorization`` is not what ``huaweicloudsdkcore``'s signer makes of the
    same request with the access key's secret (``keys``: AK → SK), or ``None`` when it is.
    ``headers``: lower-case names."""
    authorization = headers.get("authorization", "")
    found = _AUTHORIZATION.fullmatch(authorization)
    if found is None:
        return f"the Authorization header {authorization[:60]!r} is not an SDK-HMAC-SHA256 one"
    ak, signed = found.group("ak"), found.group("signed").split(";")
    secret = keys.get(ak)
    if secret is None:
        return f"the access key {ak!r} is not one of this workspace's"
    missing = [name for name in signed if name not in headers]
    if missing or "x-sdk-date" not in signed or "host" not in signed:
        return (
            f"SignedHeaders {found.group('signed')!r} names headers not sent, or leaves out "
            "host or x-sdk-date"
        )
    request = SdkRequest(
        method=method,
        resource_path=path,
        query_params=list(query),
        header_params={name: headers[name] for name in signed},
        body=body,
    )
    Signer(BasicCredentials(ak, secret)).sign(request)
    expected = request.header_params["Authorization"]
    return None if expected == authorization else "the signature does not match the request"


# -- answers as the SDK read them ----------------------------------------------------------


def unset_fields(value: Any, where: str = "") -> set[str]:
    """The fields of an SDK response object, and of the models inside it (``[]``: any item of a
    list), that the SDK read as ``None``: what the answer left out, sent as null, or spelled
    another way than the model's wire name."""
    if isinstance(value, list):
        return {name for item in value for name in unset_fields(item, f"{where}[]")}
    types: dict[str, str] | None = getattr(value, "openapi_types", None)
    if types is None:
        return set()
    found: set[str] = set()
    for attr in types:
        name = f"{where}.{attr}" if where else attr
        field = getattr(value, attr)
        found |= {name} if field is None else unset_fields(field, name)
    return found
