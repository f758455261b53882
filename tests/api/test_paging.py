"""Every list call pages correctly in both offset modes, walked the way its clients walk it.

``row`` (the default): the Terraform provider's data sources send ``offset += len(page)`` and
stop on an empty or short page. ``page``: a page-index client sends 0, 1, 2... Either walk,
against the mode it was written for, must see every row exactly once, in order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from jobferry.settings import OffsetMode, Settings
from support.builders import make_job, make_resource, make_script
from support.clients import SignedClient

LIMIT = 5
COUNT = 12  # two full pages and a short one


pytestmark = pytest.mark.parametrize("settings", list(OffsetMode), indirect=True)


def walk(
    api: SignedClient, path: str, items: str, mode: OffsetMode, **query: Any
) -> tuple[list[dict[str, Any]], int]:
    """Every item of a list call, page by page as a client of ``mode`` asks; the requests."""
    seen: list[dict[str, Any]] = []
    offset, calls = 0, 0
    while True:
        calls += 1
        assert calls < 50, "the walk does not end"
        body = api.call("GET", path, query={"limit": LIMIT, "offset": offset, **query}).json()
        page = body[items]
        seen.extend(page)
        if len(page) < LIMIT:
            return seen, calls
        offset += len(page) if mode is OffsetMode.ROW else 1


def everything(api: SignedClient, path: str, items: str, **query: Any) -> list[dict[str, Any]]:
    body = api.call("GET", path, query={"limit": 100, **query}).json()
    assert body["total"] == len(body[items])
    listed: list[dict[str, Any]] = body[items]
    return listed


def seed(api: SignedClient) -> None:
    for i in range(COUNT):
        assert api.call("POST", "/jobs", make_job(f"job_{i:02d}")).status_code == 204
        assert api.call("POST", "/scripts", make_script(f"sql_{i:02d}")).status_code == 204
        resource = make_resource(f"lib_{i:02d}", location=f"obs://bucket/lib{i}.jar")
        assert api.call("POST", "/resources", resource).status_code == 200


KEYS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "jobs": lambda item: item["name"],
    "scripts": lambda item: item["name"],
    "resources": lambda item: item["resourceId"],
    "entries": lambda item: item["id"],
}


@pytest.mark.parametrize(
    ("path", "items", "query"),
    [
        ("/jobs", "jobs", {}),
        ("/jobs", "jobs", {"jobName": "job_0"}),
        ("/scripts", "scripts", {}),
        ("/resources", "resources", {"resourceName": "lib"}),
        ("/audit", "entries", {}),
    ],
)
def test_a_walk_in_the_servers_mode_sees_every_row_once_in_order(
    api: SignedClient, settings: Settings, path: str, items: str, query: dict[str, Any]
) -> None:
    seed(api)
    expected = everything(api, path, items, **query)
    got, calls = walk(api, path, items, settings.offset_mode, **query)
    key = KEYS[items]
    assert [key(i) for i in got] == [key(i) for i in expected]
    assert calls == len(expected) // LIMIT + 1


def test_the_terraform_walk_of_jobs_stops_on_an_empty_page(
    api: SignedClient, settings: Settings
) -> None:
    # The provider's jobs data source and job lookup stop only when a page comes back empty.
    seed(api)
    if settings.offset_mode is not OffsetMode.ROW:
        pytest.skip("the Terraform provider pages by rows")
    names, offset = [], 0
    while True:
        page = api.call("GET", "/jobs", query={"limit": 100, "offset": offset}).json()["jobs"]
        if not page:
            break
        names += [j["name"] for j in page]
        offset += len(page)
    assert names == [f"job_{i:02d}" for i in range(COUNT)]


def test_total_is_the_same_on_every_page(api: SignedClient, settings: Settings) -> None:
    seed(api)
    offsets = (0, 5, 10, 15) if settings.offset_mode is OffsetMode.ROW else (0, 1, 2, 3)
    totals = {
        api.call("GET", "/scripts", query={"limit": LIMIT, "offset": o}).json()["total"]
        for o in offsets
    }
    assert totals == {COUNT}
