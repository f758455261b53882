"""Lists by name order and filter alike on SQLite and PostgreSQL, whatever the PostgreSQL
database's collation (here one that orders text as Chinese does, by pinyin): a few hundred
mixed names (Chinese, Japanese, Korean, upper- and lower-case Latin, digits, ``_``, ``-``,
``.``) walked page by page through the list calls come in code point order (Python's
``sorted``, SQLite's own), each once; a name filter keeps case as written on both (SQLite's
``LIKE`` ignores the case of ASCII letters)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest

from jobferry.package.signature import generate_key_pair
from support.builders import make_job, make_resource, make_script
from support.clients import SignedClient
from support.databases import language_schema_url, migrated_sqlite_url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """This module's database: SQLite, or a PostgreSQL database with a Chinese collation."""
    if request.param == "sqlite":
        yield migrated_sqlite_url()
    else:
        yield from language_schema_url()


PIECES = [
    *"订单销售汇总每日报表清洗加载数据仓库客户",
    *"データかきカキ",
    *"가나다한",
    *"abcxyzABCXYZ",
    *"0179",
    "_",
    "-",
    ".",
]


def mixed_names(count: int) -> list[str]:
    """``count`` distinct valid object names, the same every run, in no order."""
    rng = random.Random(20261128)
    names: set[str] = set()
    while len(names) < count:
        name = "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 6)))
        if name.strip(".") and not (
            set(name) & set("가나다한") and set(name) & set("かきカキデータ")
        ):
            names.add(name)
    return list(names)


def walk(api: SignedClient, path: str, items: str, **query: Any) -> list[str]:
    """Every name a list call gives, walked as the Terraform provider walks it."""
    seen: list[str] = []
    while True:
        body = api.call("GET", path, query={"limit": 7, "offset": len(seen), **query}).json()
        seen.extend(item["name"] for item in body[items])
        if len(body[items]) < 7:
            return seen


def test_jobs_and_scripts_list_in_code_point_order_on_either_database(api: SignedClient) -> None:
    names = mixed_names(240)
    for name in names:
        assert api.call("POST", "/jobs", make_job(name)).status_code == 204
    for name in names[:60]:
        assert api.call("POST", "/scripts", make_script(name)).status_code == 204
    assert walk(api, "/jobs", "jobs") == sorted(names)
    assert walk(api, "/scripts", "scripts") == sorted(names[:60])
    asked = "订"
    expected = sorted(n for n in names if asked in n)
    assert walk(api, "/jobs", "jobs", jobName=asked) == expected


@pytest.mark.parametrize(
    ("path", "items", "query", "create"),
    [
        ("/jobs", "jobs", "jobName", lambda name: ("/jobs", make_job(name))),
        ("/scripts", "scripts", "scriptName", lambda name: ("/scripts", make_script(name))),
        (
            "/resources",
            "resources",
            "resourceName",
            lambda name: ("/resources", make_resource(name, location="obs://bucket/x.jar")),
        ),
    ],
)
def test_a_name_filter_keeps_case_as_written_on_either_database(
    api: SignedClient, path: str, items: str, query: str, create: Any
) -> None:
    for name in ("Daily_Sales", "daily_sales_订单", "DAILY_SALES_X"):
        assert api.call("POST", *create(name)).status_code in (200, 204)
    assert sorted(
        i["name"] for i in api.call("GET", path, query={query: "daily"}).json()[items]
    ) == ["daily_sales_订单"]
    found = api.call("GET", path, query={query: "Sales"}).json()[items]
    assert [i["name"] for i in found] == ["Daily_Sales"]


def test_the_jobs_a_refusal_names_are_the_first_in_code_point_order(api: SignedClient) -> None:
    names = mixed_names(25)
    assert api.call("POST", "/scripts", make_script("shared_sql")).status_code == 204
    for name in names:
        job = make_job(name)
        job["nodes"][0]["properties"][0]["value"] = "shared_sql"
        assert api.call("POST", "/jobs", job).status_code == 204
    refused = api.call("DELETE", "/scripts/shared_sql")
    assert refused.status_code == 400, refused.text
    first = ", ".join(sorted(names)[:20])  # the message names 20 of them
    assert f"is used by job(s) {first};" in refused.json()["error_msg"]


def test_trusted_keys_list_by_name_in_code_point_order_on_either_database(
    api: SignedClient,
) -> None:
    """``GET /trusted-keys`` lists its keys by name as the other lists do: in code point
    order, the distrusted ones among them with ``distrusted=true``."""
    names = ["b", "B", "a", "订单", "_x", "Z", "数据", "z"]
    keys = {name: generate_key_pair() for name in names}
    for name, pair in keys.items():
        body = {"name": name, "publicKey": pair.public_key}
        assert api.call("POST", "/trusted-keys", body).status_code == 200
    gone = keys["订单"]
    assert api.call("DELETE", f"/trusted-keys/{gone.key_id}").status_code == 204

    listed = api.call("GET", "/trusted-keys").json()["keys"]
    every = api.call("GET", "/trusted-keys", query={"distrusted": "true"}).json()["keys"]

    assert [k["name"] for k in listed] == sorted(set(names) - {"订单"})
    assert [k["name"] for k in every] == sorted(names)
