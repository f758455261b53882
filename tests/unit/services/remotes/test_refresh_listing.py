"""A refresh exports only the jobs whose ``list_jobs`` entry changed since the last refresh
(``refresh.read_jobs``), against a fake endpoint (an httpx transport): an entry as recorded keeps
the recorded hashes unread, an entry that changed (or a job new, or without a version recorded)
is exported and compared by hash, and an entry without ``lastUpdateTime`` is always exported."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import httpx2
import orjson

from jobferry.domain.enums import JobStatus, ObjectKind
from jobferry.services.remotes.client import DataArtsClient, RemoteEndpoint
from jobferry.services.remotes.records import CREATED, LISTED, SUBMITTED
from jobferry.services.remotes.refresh import listing, read_jobs, renames
from jobferry.services.remotes.shadow import canonical, digest, job_value
from jobferry.services.remotes.submitted import submitted_value
from support.builders import make_job

ENDPOINT = RemoteEndpoint("https://dayu-dlf.example", "p" * 32, "ws", "AK", "SK")


class FakeRemote:
    """``list_jobs`` (batch jobs; no real-time ones) and ``export_job_list`` of some jobs."""

    def __init__(self, entries: list[dict[str, Any]]) -> None:
        self.entries = entries
        self.exported: list[list[str]] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        if request.url.path.endswith("/jobs"):
            real_time = request.url.params.get("jobType") == "REAL_TIME"
            jobs = [] if real_time else self.entries
            return httpx2.Response(200, content=orjson.dumps({"total": len(jobs), "jobs": jobs}))
        names = orjson.loads(request.content)["jobList"]
        self.exported.append(names)
        data = io.BytesIO()
        with zipfile.ZipFile(data, "w") as archive:
            for name in names:
                archive.writestr(f"jobs/{name}.job", orjson.dumps(make_job(name)))
        return httpx2.Response(200, content=data.getvalue())


def _entry(name: str, **over: Any) -> dict[str, Any]:
    return {"name": name, "jobType": "BATCH", "status": "STOPPED", "lastUpdateTime": 1, **over}


def _recorded(entries: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
    """What a last refresh recorded of these jobs (as exported by :class:`FakeRemote`)."""
    known: dict[str, dict[str, str]] = {"job": {}, SUBMITTED: {}, LISTED: {}, CREATED: {}}
    for item in entries:
        name, doc = item["name"], canonical(ObjectKind.JOB, make_job(item["name"]))
        known["job"][name] = digest(job_value(doc, JobStatus.STOPPED))
        known[SUBMITTED][name] = digest(submitted_value(make_job(name)))
        entry = listing(item)
        if entry is not None:
            known[LISTED][name] = digest(entry)
    return known


def _read(fake: FakeRemote, known: dict[str, dict[str, str]]) -> tuple[list[str], list[str]]:
    """(the names exported, the names whose definition differs from the recorded hash)."""
    with DataArtsClient("prod", ENDPOINT, transport=httpx2.MockTransport(fake)) as client:
        reads = read_jobs(client, known)
    reads.close()
    assert set(reads.jobs.hashes) == {item["name"] for item in fake.entries}
    return sorted({n for names in fake.exported for n in names}), reads.jobs.changed


def test_jobs_whose_entry_is_as_recorded_are_not_exported() -> None:
    entries = [_entry("a_job"), _entry("b_job"), _entry("c_job")]
    fake = FakeRemote(entries)
    assert _read(fake, _recorded(entries)) == ([], [])
    assert fake.exported == []


def test_a_changed_entry_a_new_job_and_one_without_a_recorded_version_are_exported() -> None:
    entries = [_entry("a_job"), _entry("b_job"), _entry("c_job")]
    known = _recorded(entries)
    del known[SUBMITTED]["c_job"]
    fake = FakeRemote([_entry("a_job", lastUpdateTime=2), entries[1], entries[2], _entry("d_job")])
    exported, changed = _read(fake, known)
    assert exported == ["a_job", "c_job", "d_job"]
    assert changed == ["d_job"]  # a_job's definition is the same: the hash is the guard


def test_an_entry_without_last_update_time_is_always_exported() -> None:
    entries = [_entry("a_job", lastUpdateTime=None), _entry("b_job")]
    fake = FakeRemote(entries)
    assert _read(fake, _recorded(entries)) == (["a_job"], [])


def test_a_rename_is_a_job_gone_and_one_new_with_the_same_creation_stamp_alone_on_each_side() -> (
    None
):
    recorded = {"a_job": "s1", "b_job": "s2", "c_job": "s2", "d_job": "s3"}
    stamps = {"a_new": "s1", "b_new": "s2", "d_new": "s3", "d_too": "s3", "e_new": "s4"}
    gone = {"a_job", "b_job", "c_job", "d_job"}
    # a_job: one on each side; b_job and c_job share a stamp, as d_new and d_too: no guess
    assert renames(stamps, recorded, gone) == {"a_job": "a_new"}
    assert renames(stamps, recorded, gone - {"a_job"}) == {}
