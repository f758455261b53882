"""What a push reads of its remote (``reading.read_state``) by name, against a fake endpoint:
touched objects are listed by their names (batch jobs first, real-time ones only for a name no
batch job has) when that costs no more calls than every page of their list, else by every page,
and only the touched ones are read either way. How many objects the remote holds is what its
shadow last read (``DataArtsClient.held``), else what the first page of the list says."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from typing import Any

import httpx2
import orjson

from jobferry.domain.enums import ObjectKind
from jobferry.services.remotes.client import DataArtsClient, RemoteEndpoint
from jobferry.services.remotes.reading import by_name, named_calls, paged_calls, read_state
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


@dataclass
class Held:
    """What a shadow says the remote held (a :class:`~jobferry.services.remotes.paging.Held`)."""

    counts: dict[str, int]
    names: set[str] = field(default_factory=set)
    asked: list[str] = field(default_factory=list)

    def count(self, kind: str) -> int:
        self.asked.append(kind)
        return self.counts.get(kind, 0)

    def holding(self, kind: str, names: set[str]) -> set[str]:
        return names & self.names


def _read(fake: FakeRemote, touched: dict[str, set[str]], held: Held | None = None) -> Any:
    transport = httpx2.MockTransport(fake)
    with DataArtsClient("prod", ENDPOINT, transport=transport, held=held) as client:
        return read_state(client, touched)


def _probes(fake: FakeRemote) -> list[str]:
    """The lists whose first row was asked for its ``total`` alone (``limit`` 1)."""
    return [kind for kind, params in fake.queries if params["limit"] == "1"]


def test_the_cheaper_way_in_calls_is_taken_names_on_a_tie() -> None:
    assert paged_calls(0) == 1  # an empty list still answers a call
    assert paged_calls(100) == 1
    assert paged_calls(101) == 2
    assert paged_calls(100_000, lists=2) == 1_001  # the real-time jobs' list beside
    assert by_name(30, paged_calls(5_000, lists=2))  # 30 calls, not 51
    assert by_name(51, paged_calls(5_000, lists=2))
    assert not by_name(52, paged_calls(5_000, lists=2))
    assert by_name(2, paged_calls(150))  # a tie: the names, all in flight at once
    assert not by_name(3, paged_calls(150))
    # a job the remote did not hold as last read takes two calls (batch, then real-time)
    held = Held({"job": 5_000}, {"job_000"})
    assert named_calls(ObjectKind.JOB, {"job_000", "job_new"}, held) == 3
    assert named_calls(ObjectKind.SCRIPT, {"job_000", "job_new"}, held) == 2
    assert named_calls(ObjectKind.JOB, {"job_000", "job_new"}, None) == 2


def test_a_few_touched_objects_are_listed_by_their_names() -> None:
    fake = FakeRemote(300)
    touched = {"job": {"job_010", "stream", "gone_job"}, "script": {"job_010_sql"}}
    state = _read(fake, touched)
    # the remote's size unknown: the first row of each list says its total (one call each)
    assert sorted(_probes(fake)) == ["jobs", "scripts"]
    fake.queries = [(kind, p) for kind, p in fake.queries if p["limit"] != "1"]
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


def test_touched_jobs_costing_more_calls_by_name_are_found_on_every_page_instead() -> None:
    fake = FakeRemote(300)  # 3 pages of batch jobs and 1 of real-time ones: 4 calls
    wanted = {f"job_{i:03d}" for i in range(5)}
    state = _read(fake, {"job": wanted})
    assert set(state.docs["job"]) == wanted
    assert all("jobName" not in params for _, params in fake.queries)
    assert len(fake.queries) == 1 + 4  # the first row, then every page
    assert _probes(fake) == ["jobs"]


def test_what_the_shadow_last_read_decides_without_a_call() -> None:
    fake = FakeRemote(300)
    wanted = {f"job_{i:03d}" for i in range(5)}
    # five new jobs (ten calls by name) in a remote of 1,000 (eleven of pages): by name
    assert set(_read(fake, {"job": wanted}, Held({"job": 1_000})).docs["job"]) == wanted
    assert len(fake.queries) == 5  # batch jobs all, so one call each
    # seven new ones (fourteen calls): the pages
    fake.queries.clear()
    seven = {f"job_{i:03d}" for i in range(7)}
    assert set(_read(fake, {"job": seven}, Held({"job": 1_000})).docs["job"]) == seven
    assert all("jobName" not in params for _, params in fake.queries)
    fake.queries.clear()
    # the shadow says 1,000 jobs (11 calls of pages): five names cost less
    state = _read(fake, {"job": wanted}, Held({"job": 1_000}, wanted))
    assert set(state.docs["job"]) == wanted
    assert _probes(fake) == []
    assert sorted(p["jobName"] for _, p in fake.queries) == sorted(wanted)
    # it says 300 (4 calls): the pages
    fake.queries.clear()
    assert set(_read(fake, {"job": wanted}, Held({"job": 300}, wanted)).docs["job"]) == wanted
    assert _probes(fake) == []
    assert len(fake.queries) == 4
    assert all("jobName" not in params for _, params in fake.queries)
