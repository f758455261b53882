"""Reading submitted versions against a fake endpoint (an httpx transport): one call a batch
when nothing is refused, a refused batch split in halves down to the never-submitted jobs, a
batch of jobs without a version at the last refresh split into single jobs at once, and only
an invalid-request refusal split (credentials, an unpublished call: raised as they are); the
Studio calls sent to the Studio endpoint."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import httpx2
import orjson
import pytest

from jobferry.errors import RemoteAuthError, RemoteError
from jobferry.services.remotes.client import STUDIO_CALLS, Backoff, DataArtsClient, RemoteEndpoint
from jobferry.services.remotes.refresh import job_entries
from jobferry.services.remotes.submitted import NEVER_HASH, Batches, export_submitted

ENDPOINT = RemoteEndpoint("https://dayu-dlf.example", "p" * 32, "ws", "AK", "SK")


class FakeExport:
    """``export_job_list``: refuses a SUBMIT batch holding a job in ``never`` (or answers
    ``status`` to every call when given)."""

    def __init__(self, never: set[str], status: int | None = None) -> None:
        self.never, self.status = never, status
        self.asked: list[list[str]] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        body = orjson.loads(request.content)
        names = list(body["jobList"])
        self.asked.append(names)
        if self.status is not None:
            return httpx2.Response(self.status, json={"error_code": "X.0001", "error_msg": "no"})
        if body.get("exportStatus") == "SUBMIT" and set(names) & self.never:
            return httpx2.Response(400, json={"error_code": "DLF.3051", "error_msg": "never"})
        data = io.BytesIO()
        with zipfile.ZipFile(data, "w") as archive:
            for name in names:
                archive.writestr(f"{name}/{name}.job", orjson.dumps({"name": name}))
        return httpx2.Response(200, content=data.getvalue())


def _client(fake: Any, endpoint: RemoteEndpoint = ENDPOINT) -> DataArtsClient:
    transport = httpx2.MockTransport(fake)
    return DataArtsClient("prod", endpoint, backoff=Backoff(attempts=1), transport=transport)


def _read(client: DataArtsClient, zips: list[bytes]) -> list[str]:
    return sorted(names[0] for data in zips for names, _ in job_entries(client, data))


def test_a_batch_nothing_refuses_is_one_call() -> None:
    fake = FakeExport(never=set())
    names = [f"job_{i}" for i in range(100)]
    zips, never = export_submitted(_client(fake), names)
    assert (fake.asked, never) == ([names], [])
    assert _read(_client(fake), zips) == sorted(names)


def test_a_refused_batch_is_split_in_halves_down_to_the_jobs_never_submitted() -> None:
    fake = FakeExport(never={"job_5"})
    names = [f"job_{i}" for i in range(8)]
    client = _client(fake)
    zips, never = export_submitted(client, names)
    assert never == ["job_5"]
    assert _read(client, zips) == sorted(set(names) - {"job_5"})
    # 8 refused → 0-3, 4-7 refused → 4-5 refused → 4, 5 refused; then 6-7
    assert [len(asked) for asked in fake.asked] == [8, 4, 4, 2, 1, 1, 2]


def test_a_batch_of_jobs_without_a_version_is_split_into_single_jobs_at_once() -> None:
    fake = FakeExport(never={"job_0", "job_1", "job_2"})
    names = ["job_0", "job_1", "job_2", "job_3"]
    zips, never = export_submitted(_client(fake), names, alone=True)
    assert never == ["job_0", "job_1", "job_2"]
    assert [len(asked) for asked in fake.asked] == [4, 1, 1, 1, 1]
    assert _read(_client(fake), zips) == ["job_3"]


@pytest.mark.parametrize(("status", "error"), [(403, RemoteAuthError), (404, RemoteError)])
def test_only_an_invalid_request_is_split(status: int, error: type[RemoteError]) -> None:
    fake = FakeExport(never=set(), status=status)
    with pytest.raises(error):
        export_submitted(_client(fake), ["a", "b"])
    assert fake.asked == [["a", "b"]]


def test_jobs_without_a_version_at_the_last_refresh_are_batched_apart() -> None:
    known = {"lonely": NEVER_HASH, "kept": "ab" * 32}
    batches = Batches(known)
    exports = [*batches.add("kept"), *batches.add("lonely"), *batches.add("new")]
    assert exports == []
    rest = list(batches.rest())
    assert [(e.names, e.submitted, e.alone) for e in rest] == [
        (["kept", "lonely", "new"], False, False),
        (["kept", "new"], True, False),
        (["lonely"], True, True),
    ]


def test_the_studio_calls_go_to_the_studio_endpoint_and_the_others_to_the_endpoint() -> None:
    hosts: dict[str, str] = {}

    def answer(request: httpx2.Request) -> httpx2.Response:
        hosts[request.url.path.rsplit("/", 1)[-1]] = request.url.host
        assert request.headers["Host"] == request.url.host
        assert "Authorization" in request.headers
        return httpx2.Response(200, json={"params": [], "jobs": [], "total": 0})

    endpoint = RemoteEndpoint(
        "https://dayu-dlf.example", "p" * 32, "ws", "AK", "SK", "https://dayu.example/"
    )
    client = _client(answer, endpoint)
    client.environment_variables()
    client.json("list_jobs", query={"limit": 1, "offset": 0})
    assert hosts == {"env": "dayu.example", "jobs": "dayu-dlf.example"}
    assert "show_factory_env" in STUDIO_CALLS
