"""A token's catalog: this server as ``dlf``, and as the ``volumev2`` endpoint the Go SDK
(gophertelekomcloud) derives DataArts' address from, in the region IAM's naming gives the
project."""

from __future__ import annotations

import pytest

from jobferry.api.presenters.tokens import region_of, service_catalog

PROJECT = "0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize(
    ("name", "region"),
    [("default", "default"), ("eu-de", "eu-de"), ("eu-de_sales", "eu-de"), ("a_b_c", "a")],
)
def test_a_project_is_in_the_region_its_name_starts_with(name: str, region: str) -> None:
    assert region_of(name) == region
    for entry in service_catalog("http://jobferry.example:8080/", PROJECT, name):
        assert [(e["interface"], e["region"], e["region_id"]) for e in entry["endpoints"]] == [
            ("public", region, region)
        ]


def test_the_go_sdk_derives_the_v1_address_of_the_project_from_volumev2() -> None:
    catalog = service_catalog("https://jobferry.example/base/", PROJECT, "eu-de_sales")
    assert {entry["type"]: entry["endpoints"][0]["url"] for entry in catalog} == {
        "dlf": "https://jobferry.example/base",
        "volumev2": f"https://jobferry.example/base/v2/{PROJECT}",
    }
    volumev2 = next(e for e in catalog if e["type"] == "volumev2")["endpoints"][0]["url"]
    # openstack.NewDataArtsV1: a trailing "/", the first "v2" made "v1", the first "evs" made
    # "dayu-dlf"
    derived = (volumev2 + "/").replace("v2", "v1", 1).replace("evs", "dayu-dlf", 1)
    assert derived + "jobs" == f"https://jobferry.example/base/v1/{PROJECT}/jobs"
