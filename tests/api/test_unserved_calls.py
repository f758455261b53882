"""The DataArts Studio SDK's calls jobferry does not serve answer 501 ``DLF.9501`` naming the call
and what to use instead, in the DataArts envelope: never the 404 of an unknown path, never a
pretend success. The list is checked against the SDK itself (``support.sdkcalls``)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from jobferry.api.routes.unserved import UNSERVED, Unserved
from support.accounts import default_workspace
from support.clients import SignedClient, assert_error
from support.sdkcalls import SDK_CALLS, Api, calls_named

FACTORY_V2 = "/v2/{project_id}/factory/"


def _sample(template: str) -> tuple[str, str]:
    """The path of a call with every parameter filled in, as (version, path after project)."""
    path = re.sub(r"\{(?!project_id)[^}]+\}", "p1", template)
    version, rest = path.removeprefix("/").split("/{project_id}", 1)
    return version, rest


def _send(api: SignedClient, method: str, template: str) -> Any:
    version, rest = _sample(template)
    body = {} if method in ("POST", "PUT") else None
    return api.call(method, rest, body, workspace=default_workspace(api), version=version)


@pytest.mark.parametrize("unserved", UNSERVED, ids=lambda u: u.call)
def test_each_unserved_call_is_the_sdks_own_call(unserved: Unserved) -> None:
    studio = [c for c in calls_named(unserved.call) if c.api is Api.STUDIO]
    assert [(c.method, c.path) for c in studio] == [(unserved.method, unserved.path)]


@pytest.mark.parametrize("unserved", UNSERVED, ids=lambda u: u.call)
def test_an_unserved_call_answers_501_naming_the_call_and_writes_nothing(
    api: SignedClient, unserved: Unserved
) -> None:
    before = api.call("GET", "/jobs").json()

    answer = _send(api, unserved.method, unserved.path)

    assert_error(answer, "DLF.9501", f"{unserved.call} is not supported: ", status=501)
    envelope = answer.json()
    assert envelope["operation"] == unserved.call
    assert envelope["errors"] == [{"error_code": "DLF.9501", "error_msg": envelope["error_msg"]}]
    assert api.call("GET", "/jobs").json() == before


def test_every_factory_v2_call_of_the_sdk_is_served_or_answers_501(api: SignedClient) -> None:
    factory = [c for c in SDK_CALLS.values() if c.api is Api.STUDIO and FACTORY_V2 in c.path]
    assert len(factory) >= 32
    unknown = []
    for call in factory:
        answer = _send(api, call.method, call.path)
        if answer.status_code == 404:  # APIGW.0101: no such API
            unknown.append(f"{call.name}: {call.method} {call.path}")
    assert not unknown, "answered as unknown paths:\n" + "\n".join(unknown)


def test_an_unserved_call_still_needs_a_valid_signature(api: SignedClient) -> None:
    stranger = api.as_user("UNKNOWNAK00000000000", "x")
    response = stranger.call("GET", "/factory/jobs", version="v2")
    assert_error(response, "APIGW.0301", status=401)


@pytest.mark.parametrize("unserved", UNSERVED[:3] + UNSERVED[-2:], ids=lambda u: u.call)
def test_an_unserved_call_naming_another_project_is_refused_as_a_served_one_is(
    api: SignedClient, unserved: Unserved
) -> None:
    version, rest = _sample(unserved.path)
    body = {} if unserved.method in ("POST", "PUT") else None
    other = "0" * 32
    answer = api.call(unserved.method, rest, body, version=version, project_id=other)
    served = api.call("GET", "/jobs", None, project_id=other)
    assert_error(answer, "DLF.6888", f"not to project '{other}'", status=403)
    assert (answer.status_code, answer.json()["error_code"]) == (
        served.status_code,
        served.json()["error_code"],
    )
