"""Reading a remote's environment: connections (names listed, settings shown, secrets never),
variables, and an endpoint that does not publish the DataArts Studio calls."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import httpx2
import pytest

from jobferry.errors import RemoteError
from jobferry.services.remotes.client import Backoff, DataArtsClient, RemoteEndpoint
from jobferry.services.remotes.environment import bounded_map, read_environment

SHOWN = {
    "c1": {
        "dw_name": "dws_prod",
        "dw_type": "DWS",
        "dw_config": {"host": "10.0.0.1", "db_password": "*********"},
        "env_type": 0,
        "agent_id": "cdm-1",
        "dw_catagory": "warehouse",
        "description": "prod warehouse",
    },
    "c2": {"dw_name": "dws_prod", "dw_type": "DWS", "dw_config": {}, "env_type": 1},
}


def _client(answer: Any) -> DataArtsClient:
    def handle(request: httpx2.Request) -> httpx2.Response:
        status, body = answer(request.url.path)
        return httpx2.Response(status, content=json.dumps(body).encode())

    endpoint = RemoteEndpoint("https://dayu-dlf.example", "p", "w", "AK", "SK")
    return DataArtsClient(
        "prod",
        endpoint,
        backoff=Backoff(attempts=1),
        transport=httpx2.MockTransport(handle),
    )


def _studio(path: str) -> tuple[int, dict[str, Any]]:
    if path.endswith("/data-connections"):
        rows = [{"dw_id": key, "dw_name": "dws_prod"} for key in SHOWN]
        return 200, {"total_size": 2, "data_connection_lists": rows}
    if "/data-connections/" in path:
        return 200, SHOWN[path.rsplit("/", 1)[1]]
    return 200, {"params": [{"name": "region", "type": "constant", "value": "eu"}]}


def test_connections_are_read_with_their_settings_and_the_names_of_their_secrets_only() -> None:
    reads, notes = read_environment(_client(_studio), {})
    assert notes == []
    connections, variables = reads
    assert list(connections.hashes) == ["dws_prod"]  # the production side is not read
    [(name, value)] = list(connections.spool)
    assert name == "dws_prod"
    assert value == {
        "type": "DWS",
        # the category as the answer spells it (dw_catagory, sic): kept as dwCategory
        "config": {"host": "10.0.0.1", "agentId": "cdm-1", "dwCategory": "warehouse"},
        "description": "prod warehouse",
        "secretKeys": ["db_password"],
    }
    assert [(n, v["value"]) for n, v in variables.spool] == [("region", "eu")]
    for read in reads:
        read.spool.close()


def test_an_endpoint_without_the_studio_calls_leaves_the_environment_and_says_so() -> None:
    def gateway(path: str) -> tuple[int, dict[str, Any]]:
        return 404, {"error_code": "APIGW.0101", "error_msg": "The API does not exist"}

    reads, notes = read_environment(_client(gateway), {})
    assert reads == []
    assert len(notes) == 1
    assert "does not offer list_dataconnections (APIGW.0101)" in notes[0]
    fix = "jobferry remotes edit prod --studio-endpoint https://dayu.example"
    assert notes[0].endswith(f"give the remote its DataArts Studio endpoint ({fix})")


def test_any_other_refusal_of_the_environment_calls_fails_the_refresh() -> None:
    def refusing(path: str) -> tuple[int, dict[str, Any]]:
        return 400, {"error_code": "DLF.0001", "error_msg": "no"}

    with pytest.raises(RemoteError) as refused:
        read_environment(_client(refusing), {})
    assert refused.value.context["remote_error_code"] == "DLF.0001"


@pytest.mark.parametrize(
    ("param", "said"),
    [
        ({"name": "region", "type": "t" * 33}, "its type is 33 characters, at most 32 are kept"),
        ({"name": "r" * 65, "type": "constant"}, "its name is 65 characters, at most 64 are kept"),
    ],
)
def test_a_variable_no_workspace_here_can_keep_fails_the_refresh_naming_it(
    param: dict[str, str], said: str
) -> None:
    """Written as it was, it failed the refresh's transaction on PostgreSQL with a database
    error (SQLite kept it whatever its length)."""

    def studio(path: str) -> tuple[int, dict[str, Any]]:
        if "data-connections" in path:
            return _studio(path)
        return 200, {"params": [{**param, "value": "eu"}]}

    with pytest.raises(RemoteError) as refused:
        read_environment(_client(studio), {})

    error = refused.value
    assert error.context == {"remote": "prod", "variable": param["name"]}
    assert f"Remote 'prod' holds the environment variable '{param['name']}'" in error.message
    assert said in error.message
    assert error.message.endswith(
        "Nothing was refreshed. Shorten it in the DataArts workspace, then refresh again."
    )


def test_bounded_map_keeps_order_and_never_more_than_its_width_in_flight() -> None:
    lock, running, peak = threading.Lock(), [0], [0]

    def slow(n: int) -> int:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.01 * (n % 3))
        with lock:
            running[0] -= 1
        return n * n

    assert list(bounded_map(slow, range(20), width=3)) == [n * n for n in range(20)]
    assert peak[0] <= 3
