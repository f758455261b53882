"""The remote client's call table (``services/remotes/calls.py``) against the official SDKs'
request models (``support/sdkcalls.py``): each call is the SDK call of that name, on the host of
the SDK that has it (``dayu-dlf.<region>``: the Factory SDK; ``dayu.<region>``: the DataArts
Studio SDK, the v2 rename included), and the writes are every call but the reads."""

from __future__ import annotations

import pytest

from jobferry.services.remotes.calls import CALLS, STUDIO_CALLS, WRITES
from support.sdkcalls import Api, find_call


def _sample(template: str) -> str:
    return template.replace("{project_id}", "p").replace("{", "").replace("}", "")


@pytest.mark.parametrize("call", sorted(CALLS))
def test_each_call_of_the_client_is_the_sdk_call_of_that_name_on_its_host(call: str) -> None:
    method, template = CALLS[call]
    api = Api.STUDIO if call in STUDIO_CALLS else Api.FACTORY
    found = find_call(api, method, _sample(template))
    assert found is not None, f"no {api.value} call is {method} {template}"
    assert found[0].name == call
    other = Api.FACTORY if api is Api.STUDIO else Api.STUDIO
    elsewhere = find_call(other, method, _sample(template))
    assert elsewhere is None or elsewhere[0].name != call, f"{call} is on both hosts"


def test_the_writes_are_every_call_but_the_reads() -> None:
    reads = {call for call, (method, _) in CALLS.items() if method == "GET"}
    assert set(CALLS) - reads - {"export_job_list"} == WRITES
    assert "update_factory_job_name" in WRITES & STUDIO_CALLS
