"""The remote client's walk of a paged list call, against a fake endpoint (an httpx
transport): every item once and in order, whether ``offset`` counts rows (jobferry) or pages
(DataArts' documented meaning), the pages past the second asked side by side (past the first
once the endpoint's mode is known), rows pushed down by an insert during the walk still
seen (one page after another), none twice, and rows pulled up by a delete seen too (the list
walked again)."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx2
import orjson
import pytest

from jobferry.services.remotes.client import PAGE, DataArtsClient, RemoteEndpoint
from jobferry.services.remotes.paging import PagingModes

ENDPOINT = RemoteEndpoint("https://dayu.example", "p" * 32, "ws", "AK", "SK")


class FakeList:
    """``list_jobs`` of ``count`` batch jobs and ``real_time`` real-time ones, ``offset`` in
    rows or in pages; as DataArts, the batch jobs unless ``jobType=REAL_TIME`` is asked."""

    def __init__(
        self,
        count: int,
        *,
        pages: bool,
        real_time: int = 0,
        together: int = 0,
        alone: tuple[int, ...] = (0,),
    ) -> None:
        self.names = [f"job_{i:05d}" for i in range(count)]
        self.streams = [f"stream_{i:05d}" for i in range(real_time)]
        self.pages = pages
        self.asked: list[int] = []
        """The offsets asked of the batch jobs."""
        self.lock = threading.Lock()
        self.in_flight = self.most_in_flight = 0
        self.together = together
        """Calls held (up to a second each) until this many were in flight at once: a test
        of calls asked side by side does not depend on how busy the machine is."""
        self.alone = alone
        """The offsets asked alone, never held: the first page (it says the total), and while
        the paging mode is not known, the second (it tells rows from pages)."""
        self.met = threading.Event()

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        offset, limit = int(request.url.params["offset"]), int(request.url.params["limit"])
        real_time = request.url.params.get("jobType", "BATCH") == "REAL_TIME"
        with self.lock:
            if not real_time:
                self.asked.append(offset)
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            if self.together and self.in_flight >= self.together:
                self.met.set()
        time.sleep(0.002)  # a round trip, so that calls asked together overlap
        if self.together and offset not in self.alone:
            self.met.wait(1.0)
        with self.lock:
            self.in_flight -= 1
        start = offset * limit if self.pages else offset
        names = self.streams if real_time else self.names
        jobs = [{"name": n} for n in names[start : start + limit]]
        body: dict[str, Any] = {"jobs": jobs, "total": len(names)}
        return httpx2.Response(200, content=orjson.dumps(body))


def walk(fake: FakeList) -> list[str]:
    client = DataArtsClient("prod", ENDPOINT, transport=httpx2.MockTransport(fake))
    with client:
        return [str(item["name"]) for item in client.jobs()]


@pytest.mark.parametrize("pages", [False, True], ids=["rows", "pages"])
@pytest.mark.parametrize("count", [0, 1, PAGE, PAGE + 1, 5 * PAGE + 37])
def test_every_item_once_and_in_order(count: int, pages: bool) -> None:
    fake = FakeList(count, pages=pages)
    assert walk(fake) == fake.names


@pytest.mark.parametrize("pages", [False, True], ids=["rows", "pages"])
def test_real_time_jobs_are_listed_after_the_batch_jobs_the_list_answers_by_default(
    pages: bool,
) -> None:
    fake = FakeList(PAGE + 3, pages=pages, real_time=PAGE + 1)
    assert walk(fake) == [*fake.names, *fake.streams]


def test_the_pages_past_the_second_are_all_asked_once() -> None:
    rows, pages = (
        FakeList(5_000, pages=False, together=2, alone=(0, PAGE)),
        FakeList(5_000, pages=True),
    )
    assert walk(rows) == rows.names
    assert sorted(rows.asked) == list(range(0, 5_000, PAGE))
    assert rows.most_in_flight > 1, "the pages past the second are asked side by side"
    assert walk(pages) == pages.names
    # rows asked first (0, 100: past the end in pages), then page numbers 1 to 49
    assert sorted(pages.asked) == sorted([0, PAGE, *range(1, 50)])


def test_rows_pushed_down_during_the_walk_are_still_seen_once() -> None:
    fake = FakeList(3 * PAGE, pages=False)
    before = list(fake.names)
    real = fake.__call__
    grown: dict[str, Any] = {"done": False}

    def growing(request: httpx2.Request) -> httpx2.Response:
        answer = real(request)
        if int(request.url.params["offset"]) == PAGE and not grown["done"]:
            grown["done"] = True
            fake.names.insert(0, "job_new")  # everything moves one row down
        return answer

    client = DataArtsClient("prod", ENDPOINT, transport=httpx2.MockTransport(growing))
    with client:
        names = [str(item["name"]) for item in client.jobs()]
    # the row inserted before the walk's place is not seen (offset paging cannot); every row
    # it pushed down is, once
    assert sorted(names) == before
    assert fake.asked[-1] >= 3 * PAGE - 1, "the walk went on past the first total"


@pytest.mark.parametrize("pages", [False, True], ids=["rows", "pages"])
def test_rows_pulled_up_by_a_delete_during_the_walk_are_still_seen_once(pages: bool) -> None:
    fake = FakeList(3 * PAGE, pages=pages)
    real = fake.__call__

    def shrinking(request: httpx2.Request) -> httpx2.Response:
        answer = real(request)
        batch = request.url.params.get("jobType") == "BATCH"
        if batch and int(request.url.params["offset"]) == 0 and fake.names[0] == "job_00000":
            del fake.names[0]  # everything after it moves one row up, job_00100 onto page 1
        return answer

    client = DataArtsClient("prod", ENDPOINT, transport=httpx2.MockTransport(shrinking))
    with client:
        names = [str(item["name"]) for item in client.jobs()]
    assert "job_00100" in names
    assert sorted(names) == ["job_00000", *fake.names]  # the deleted one was seen first
    assert len(names) == len(set(names))


def _walked(fake: FakeList, paging: PagingModes) -> list[str]:
    client = DataArtsClient("prod", ENDPOINT, transport=httpx2.MockTransport(fake), paging=paging)
    with client:
        return [str(item["name"]) for item in client.jobs()]


@pytest.mark.parametrize("pages", [False, True], ids=["rows", "pages"])
def test_a_walk_in_a_mode_learned_before_asks_the_pages_after_the_first_at_once(
    pages: bool,
) -> None:
    paging = PagingModes()
    first = FakeList(5_000, pages=pages)
    assert _walked(first, paging) == first.names
    assert paging.get(ENDPOINT.endpoint, "list_jobs") is pages
    again = FakeList(5_000, pages=pages, together=9)
    assert _walked(again, paging) == again.names
    # the first page (it says the total), then every other once: no page asked to find
    # the mode, none past the end
    assert again.asked[0] == 0
    assert sorted(again.asked) == (list(range(50)) if pages else list(range(0, 5_000, PAGE)))
    assert again.most_in_flight > 8, "the pages after the first are asked side by side"


@pytest.mark.parametrize("pages", [False, True], ids=["rows", "pages"])
def test_a_mode_learned_wrong_is_found_again_and_nothing_is_lost(pages: bool) -> None:
    paging = PagingModes()
    paging.learn(ENDPOINT.endpoint, "list_jobs", not pages)  # an endpoint that changed
    fake = FakeList(5 * PAGE + 37, pages=pages)
    assert _walked(fake, paging) == fake.names
    assert paging.get(ENDPOINT.endpoint, "list_jobs") is pages


@pytest.mark.parametrize("pages", [False, True], ids=["rows", "pages"])
def test_a_walk_of_two_pages_learns_the_mode_and_the_next_asks_no_page_to_find_it(
    pages: bool,
) -> None:
    """Its second page ends the walk: still the mode it showed is learned, so that the next
    walk of a list of that size (page numbers on DataArts: its second page asked as rows
    comes back empty) asks the second page at once, in that mode."""
    paging = PagingModes()
    first = FakeList(PAGE + 37, pages=pages)
    assert _walked(first, paging) == first.names
    assert paging.get(ENDPOINT.endpoint, "list_jobs") is pages
    again = FakeList(PAGE + 37, pages=pages)
    assert _walked(again, paging) == again.names
    assert sorted(again.asked) == [0, 1 if pages else PAGE]
