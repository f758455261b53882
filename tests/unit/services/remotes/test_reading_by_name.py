"""What a push reads of its remote (``reading.read_state``) by name, against a fake endpoint:
a few touched objects are listed by their names (batch jobs first, real-time ones only for a
name no batch job has), many by every page, and only the touched ones are read either way."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import httpx2
import orjson

from jobferry.services.remotes.client import DataArtsClient, RemoteEndpoint
from jobferry.services.remotes.reading import NAMED_LISTS, read_state
from support.builders import make_job, make_script

ENDPOINT = RemoteEndpoint("https://dayu-dlf.example", "p" * 32, "ws", "AK", "SK")
FILTERS = {"jobs": "jobName", "scripts": "scriptName"}


class FakeRemote:
    """Batch jobs ``job_NNN``, one real-time job ``stream``, scripts ``job_NNN_sql``; name
    filters match by substring (as DataArts'); every list query is recorded."""

    def __init__(self, count: int) -> None:
        self.jobs = [f"job_{i:03d}" for i in range(count)]
        self.queries: list[tuple[str, dict[str, str]]] = []

    def _list(self, kind: str, params: dict[str, str]) -> list[dict[str, Any]]:
        if kind == "scripts":
            return [make_script(f"{name}_sql") for name in self.jobs]
        real_time = params.get("jobType") == "REAL_TIME"
        names = ["stream"] if real_time else self.jobs
        return [{"name": n, "status": "STOPPED", "jobType": params.get("jobType")} for n in names]

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        kind = request.url.path.rsplit("/", 1)[1]
        if kind == "batch-export":
            names = orjson.loads(request.content)["jobList"]
            data = io.BytesIO()
            with zipfile.ZipFile(data, "w") as archive:
                for name in names:
                    archive.writestr(f"jobs/{name}.job", orjson.dumps(make_job(name)))
            return httpx2.Response(200, content=data.getvalue())
        params = dict(request.url.params)
        self.queries.append((kind, params))
        found = [x for x in self._list(kind, params) if params.get(FILTERS[kind], "") in x["name"]]
        offset, limit = int(params["offset"]), int(params["limit"])
        body = {"total": len(found), kind: found[offset : offset + limit]}
        return httpx2.Response(200, content=orjson.dumps(body))


def _read(fake: FakeRemote, touched: dict[str, set[str]]) -> Any:
    with DataArtsClient("prod", ENDPOINT, transport=httpx2.MockTransport(fake)) as client:
        return read_state(client, touched)


def test_a_few_touched_objects_are_listed_by_their_names() -> None:
    fake = FakeRemote(300)
    touched = {"job": {"job_010", "stream", "gone_job"}, "script": {"job_010_sql"}}
    state = _read(fake, touched)
    assert set(state.docs["job"]) == {"job_010", "stream"}
    assert set(state.docs["script"]) == {"job_010_sql"}
    assert set(state.status) == {"job_010", "stream"}
    filters = {(kind, p.get(FILTERS[kind]), p.get("jobType")) for kind, p in fake.queries}
    # a batch job is found by one call; the real-time job and the one not held take two
    assert filters == {
        ("jobs", "job_010", "BATCH"),
        *(
            ("jobs", name, kind)
            for name in ("stream", "gone_job")
            for kind in ("BATCH", "REAL_TIME")
        ),
        ("scripts", "job_010_sql", None),
    }
    assert len(fake.queries) == len(filters)


def test_many_touched_jobs_are_found_on_every_page_instead() -> None:
    fake = FakeRemote(300)
    wanted = {f"job_{i:03d}" for i in range(NAMED_LISTS + 1)}
    state = _read(fake, {"job": wanted})
    assert set(state.docs["job"]) == wanted
    assert all("jobName" not in params for _, params in fake.queries)
