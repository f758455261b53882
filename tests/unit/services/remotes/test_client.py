"""The remote client (``services/remotes/client.py``) against the strict DataArts stand-in:
each call it makes is an SDK call on the SDK's host, signed as the SDK core signs; reads are
retried on 429 and 5xx, writes are not; and the stand-in refuses, changing nothing, what no
SDK would send (another path or host, a field or type the model lacks, a bad signature)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx2
import orjson
import pytest

from jobferry.errors import RemoteAuthError, RemoteError, RemoteUnreachableError
from jobferry.services.remotes.calls import CALLS
from jobferry.services.remotes.client import (
    Backoff,
    DataArtsClient,
    RemoteEndpoint,
)
from jobferry.signing import sign_request
from support.builders import make_job
from support.sdkcalls import Api
from support.standin import AK, FACTORY, STUDIO, DataArtsStandin, Fault
from support.standin_workspace import MODELLED

HOST_OF = {Api.FACTORY: FACTORY, Api.STUDIO: STUDIO}


def _client(standin: DataArtsStandin, **over: Any) -> DataArtsClient:
    values = {
        "endpoint": FACTORY,
        "project_id": standin.project_id,
        "workspace": standin.workspace_id,
        "access_key": AK,
        "secret_key": standin.keys[AK],
        "studio": STUDIO,
        **over,
    }
    return DataArtsClient(
        "prod",
        RemoteEndpoint(**values),
        backoff=Backoff(attempts=3, first=0.0),
        transport=standin.transport(),
        sleep=lambda _: None,
    )


def _raw(
    standin: DataArtsStandin,
    method: str,
    url: str,
    body: Any = None,
    *,
    secret: str | None = None,
    workspace: str | None = None,
) -> httpx2.Response:
    """A request signed as the SDK signs it, but built by hand (what no client call builds)."""
    parts = urlsplit(url)
    data = orjson.dumps(body) if body is not None else b""
    headers = {
        "Host": parts.netloc,
        "Content-Type": "application/json",
        "X-Project-Id": standin.project_id,
        "workspace": workspace or standin.workspace_id,
    }
    signed = sign_request(
        method, parts.path, parts.query, headers, data, AK, secret or standin.keys[AK]
    )
    request = httpx2.Request(method, url, content=data, headers={**headers, **signed})
    return standin.handle(request)


def test_reads_pass_the_standin_signed_and_typed(standin: DataArtsStandin) -> None:
    with _client(standin) as client:
        assert [job["name"] for job in client.jobs()] == ["daily_sales"]
        assert client.show_job("daily_sales")["name"] == "daily_sales"
        assert client.export_jobs(["daily_sales"])[:2] == b"PK"
    assert standin.refused() == []
    # list_jobs: batch jobs, then real-time ones (the list answers batch jobs unless asked)
    assert standin.calls() == ["list_jobs", "list_jobs", "show_job", "export_job_list"]


def test_a_read_is_retried_after_a_429_or_a_500_a_write_is_not(standin: DataArtsStandin) -> None:
    standin.call_faults.update({1: Fault.THROTTLE, 2: Fault.FAIL})
    with _client(standin) as client:
        assert client.show_job("daily_sales")["name"] == "daily_sales"
        standin.faults[1] = Fault.FAIL
        with pytest.raises(RemoteError) as failed:
            client.send("stop_job", path={"job_name": "daily_sales"})
    assert failed.value.context["remote_status"] == 500
    assert [s.status for s in standin.seen] == [429, 500, 200, 500]


def test_a_write_with_no_answer_may_be_on_its_way_one_never_sent_is_not(
    standin: DataArtsStandin,
) -> None:
    """A write that timed out may still land (the push's undo waits for it); one that found
    no connection was never sent."""
    standin.faults[1] = Fault.TIMEOUT
    with _client(standin) as client, pytest.raises(RemoteUnreachableError) as timed_out:
        client.send("stop_job", path={"job_name": "daily_sales"})
    assert timed_out.value.on_its_way
    assert len(standin.strays) == 1

    def refuse(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ConnectError("connection refused", request=request)

    unreachable = DataArtsClient(
        "prod",
        RemoteEndpoint(FACTORY, standin.project_id, standin.workspace_id, AK, "sk"),
        transport=httpx2.MockTransport(refuse),
    )
    with unreachable, pytest.raises(RemoteUnreachableError) as refused:
        unreachable.send("stop_job", path={"job_name": "daily_sales"})
    assert not refused.value.on_its_way
    assert "ConnectError" in refused.value.message


def _throttled_client(standin: DataArtsStandin, waits: list[float]) -> DataArtsClient:
    """A client waiting 1 s, then doubling up to 5 s, 30 s in all for a throttled call."""
    secret = standin.keys[AK]
    endpoint = RemoteEndpoint(FACTORY, standin.project_id, standin.workspace_id, AK, secret)
    return DataArtsClient(
        "prod",
        endpoint,
        backoff=Backoff(attempts=4, first=1.0, throttled=30.0),
        transport=standin.transport(),
        sleep=waits.append,
    )


def test_a_throttled_call_is_waited_for_past_its_attempts_until_its_budget_is_spent(
    standin: DataArtsStandin,
) -> None:
    """Throttled six times (nothing done each time), a write is sent a seventh time and
    answered: the waits double up to 5 s, 22 s in all, within the 30 s budget."""
    standin.call_faults.update({n: Fault.THROTTLE for n in range(1, 7)})
    waits: list[float] = []
    with _throttled_client(standin, waits) as client:
        client.send("stop_job", path={"job_name": "daily_sales"})
    assert waits == [1.0, 2.0, 4.0, 5.0, 5.0, 5.0]
    assert [s.status for s in standin.seen] == [429] * 6 + [204]
    assert standin.workspace.jobs["daily_sales"].status == "STOPPED"


def test_a_call_throttled_past_its_budget_fails_saying_so(standin: DataArtsStandin) -> None:
    standin.call_faults.update({n: Fault.THROTTLE for n in range(1, 50)})
    waits: list[float] = []
    with _throttled_client(standin, waits) as client, pytest.raises(RemoteError) as refused:
        client.send("show_job", path={"job_name": "daily_sales"})
    assert sum(waits) <= 30
    assert waits == [1.0, 2.0, 4.0, 5.0, 5.0, 5.0, 5.0]  # the next 5 s would pass 30
    assert refused.value.context["remote_status"] == 429
    assert "throttled show_job (HTTP 429 APIGW.0308" in refused.value.message
    assert "8 time(s), over 27 s of waiting" in refused.value.message


def test_a_wrong_secret_is_refused_as_the_gateway_does(standin: DataArtsStandin) -> None:
    with _client(standin, secret_key="not-the-secret") as client, pytest.raises(RemoteAuthError):
        client.show_job("daily_sales")
    assert "signature does not match" in str(standin.refused()[0].refused)


def test_a_path_no_sdk_calls_is_refused_unpublished(standin: DataArtsStandin) -> None:
    answer = _raw(standin, "GET", f"{FACTORY}/v1/{standin.project_id}/jobs/daily_sales/tags")
    assert answer.status_code == 404
    assert answer.json()["error_code"] == "APIGW.0101"
    assert standin.refused()[0].call is None


def test_a_studio_call_on_the_factory_host_is_refused_naming_the_host(
    standin: DataArtsStandin,
) -> None:
    answer = _raw(standin, "GET", f"{FACTORY}/v2/{standin.project_id}/factory/env")
    assert answer.status_code == 404
    assert "sent to another host" in answer.json()["error_msg"]


def test_a_body_field_the_sdk_model_lacks_is_refused_and_nothing_written(
    standin: DataArtsStandin,
) -> None:
    body = {**make_job("weekly_sales"), "owner_team": "sales"}
    answer = _raw(standin, "POST", f"{FACTORY}/v1/{standin.project_id}/jobs", body)
    assert answer.status_code == 400
    assert "body.owner_team is not a field of the SDK's model JobInfo" in answer.json()["error_msg"]
    assert "weekly_sales" not in standin.workspace.jobs


def test_a_body_field_of_the_wrong_type_is_refused(standin: DataArtsStandin) -> None:
    body = {**make_job("weekly_sales"), "cleanOverdueDays": "seven"}
    answer = _raw(standin, "POST", f"{FACTORY}/v1/{standin.project_id}/jobs", body)
    assert answer.status_code == 400
    assert (
        "body.cleanOverdueDays is str 'seven', the SDK's type is int" in answer.json()["error_msg"]
    )
    assert "weekly_sales" not in standin.workspace.jobs


def test_a_body_where_the_sdk_sends_none_is_refused(standin: DataArtsStandin) -> None:
    url = f"{FACTORY}/v1/{standin.project_id}/jobs/daily_sales/stop"
    answer = _raw(standin, "POST", url, {"now": True})
    assert answer.status_code == 400
    assert "the SDK sends no body" in answer.json()["error_msg"]


def test_a_query_parameter_the_sdk_lacks_is_refused(standin: DataArtsStandin) -> None:
    answer = _raw(standin, "GET", f"{FACTORY}/v1/{standin.project_id}/jobs?limit=ten")
    assert answer.status_code == 400
    assert "limit='ten' is not an integer" in answer.json()["error_msg"]
    answer = _raw(standin, "GET", f"{FACTORY}/v1/{standin.project_id}/jobs?sort=name")
    assert "'sort' is not one of the SDK's" in answer.json()["error_msg"]


def test_another_workspace_is_refused(standin: DataArtsStandin) -> None:
    answer = _raw(standin, "GET", f"{FACTORY}/v1/{standin.project_id}/jobs", workspace="other")
    assert answer.status_code == 400
    assert answer.json()["error_code"] == "DLF.0819"


def test_list_jobs_without_job_type_lists_batch_jobs_only(standin: DataArtsStandin) -> None:
    standin.workspace.put_job(make_job("clicks_stream", processType="REAL_TIME"))
    with _client(standin) as client:
        batch = client.json("list_jobs")
        real_time = client.json("list_jobs", query={"jobType": "REAL_TIME"})
    assert [job["name"] for job in batch["jobs"]] == ["daily_sales"]
    assert [job["name"] for job in real_time["jobs"]] == ["clicks_stream"]


def test_the_standin_answers_every_call_the_client_can_make() -> None:
    assert set(CALLS) <= MODELLED, sorted(set(CALLS) - MODELLED)


def test_after_a_refused_signature_no_other_call_is_sent(standin: DataArtsStandin) -> None:
    # DataArts locks a key after a few failed signatures in a row, for everyone using it
    with _client(standin, secret_key="not-the-secret") as client:
        with pytest.raises(RemoteAuthError, match="jobferry remotes edit prod --secret-key"):
            list(client.jobs())
        with pytest.raises(RemoteAuthError):
            client.show_script("daily_sales_sql")
    assert len(standin.seen) == 1
