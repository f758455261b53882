"""Every call of the wire contracts answers honestly: a served call answers its status and
nothing but the fields of the SDK's response model, each in the model's JSON type; a call
jobferry does not serve answers 501 ``DLF.9501`` in the DataArts envelope, naming the call and
what to do, and changes nothing (docs/api.md). The requests are built from the contract's
request models (each body is checked against its model before it is sent)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from support.clients import SignedClient
from support.contract_calls import UNSERVED, V1_CASES, V2_CASES, Case, World
from support.sdkcalls import SDK_CALLS, Api, SdkCall, answer_problems, body_problems

CASES = V1_CASES + V2_CASES

EXTENSIONS: dict[str, tuple[str, ...]] = {
    # docs/api.md, "DataArts v1 calls served": scripts add id, version, modifyTime, createUser
    "factory:show_script": ("modifyTime", "createUser"),
    "factory:list_scripts": ("scripts[].modifyTime", "scripts[].createUser"),
    # resources: show and list items carry id and resourceId
    "factory:show_resource": ("resourceId",),
    "factory:list_resources": ("resources[].resourceId",),
    # list_jobs: a job's latest submitted version
    "factory:list_jobs": ("jobs[].version",),
    # list_system_tasks and show_file_info: their extension fields
    "factory:list_system_tasks": (
        "projectId",
        "kind",
        "progress",
        "createUser",
        "result",
        "subtasks[].kind",
        "subtasks[].action",
    ),
    "factory:show_file_info": (
        "others",
        "layout",
        "manifest",
        "signed",
        "signature",
        "sha256",
        "size",
    ),
    # releases: jobferry's plan_id beside a package; the answer of update_work_space_old
    "studio:create_factory_pending_items_package": ("plan_id",),
    "studio:list_factory_release_packages": ("data[].plan_id",),
    "studio:show_factory_package_detail": ("release_package.plan_id",),
    "studio:update_work_space_old": ("message", "is_success"),
}
"""Fields docs/api.md adds to an answer beyond the SDK's model, by path (``[]``: each item of a
list): the SDKs read past them."""


def without(value: Any, path: str) -> None:
    """Drop the field at ``path`` from a decoded answer, wherever it is."""
    head, _, rest = path.partition(".")
    items = head.endswith("[]")
    key = head.removesuffix("[]")
    if not isinstance(value, dict) or key not in value:
        return
    if not rest:
        del value[key]
    elif items:
        for item in value[key] or []:
            without(item, rest)
    else:
        without(value[key], rest)


def unnulled(value: Any) -> Any:
    """The answer without its nulls: an SDK model reads a null as a field left unset."""
    if isinstance(value, dict):
        return {k: unnulled(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [unnulled(v) for v in value]
    return value


def test_the_table_holds_every_call_of_both_contracts_once() -> None:
    v1 = sorted(c.call for c in V1_CASES)
    assert v1 == sorted(k for k, c in SDK_CALLS.items() if c.api is Api.FACTORY)
    assert len(v1) == 31
    v2 = [c.call for c in V2_CASES]
    assert len(v2) == len(set(v2)) == 54
    assert set(v2) <= set(SDK_CALLS)


def _path(call: SdkCall, params: dict[str, str]) -> tuple[str, str]:
    def fill(found: re.Match[str]) -> str:
        return params.get(found.group(1), "1")

    path = re.sub(r"\{(?!project_id)([^}]+)\}", fill, call.path)
    version, rest = path.removeprefix("/").split("/{project_id}", 1)
    return version, rest


def send(world: World, case: Case) -> Any:
    call = SDK_CALLS[case.call]
    body = case.body(world)
    if call.body is not None and body is not None:
        assert body_problems(call, body) == [], "the request is not one the SDK sends"
    version, path = _path(call, case.params(world))
    workspace = world.enterprise if case.enterprise else world.ws
    client = world.deploying if case.deployer and world.deploying else world.api
    return client.call(
        call.method, path, body, workspace=workspace, query=case.query(world), version=version
    )


@pytest.mark.databases("sqlite")  # an answer's shape shows nothing of the database
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.call)
def test_each_call_answers_what_its_contract_and_the_docs_say(
    api: SignedClient, case: Case
) -> None:
    world = World(api).build()
    answer = send(world, case)
    if case.status == UNSERVED:
        assert answer.status_code == 501, answer.text
        envelope = answer.json()
        assert envelope["error_code"] == "DLF.9501"
        assert envelope["errors"] == [
            {"error_code": "DLF.9501", "error_msg": envelope["error_msg"]}
        ]
        assert "jobferry" in envelope["error_msg"] or "not supported" in envelope["error_msg"]
        return
    assert answer.status_code == case.status, answer.text
    if case.status == 204 or not answer.headers.get("content-type", "").startswith(
        "application/json"
    ):
        return
    decoded = answer.json()
    for path in EXTENSIONS.get(case.call, ()):
        without(decoded, path)
    problems = answer_problems(SDK_CALLS[case.call], unnulled(decoded))
    assert problems == [], problems
