"""What the remotes feature answers and parses (``services/remotes/records.py``): a remote's
body parsed once, every problem named at once; a refresh's body; a refresh's summary kept and
read back."""

from __future__ import annotations

import pytest

from jobferry.domain.enums import RefreshAction, RefreshSource
from jobferry.errors import InvalidRequestError
from jobferry.services.remotes.records import Refresh, Snapshot, parse_refresh, parse_remote

BODY = {
    "name": "prod",
    "endpoint": "https://dayu-dlf.cn-north-4.myhuaweicloud.com/",
    "projectId": "p1",
    "workspace": "w1",
    "accessKey": "AK",
    "secretKey": "SK",
}


def test_a_remote_body_is_parsed_trimmed() -> None:
    spec = parse_remote({**BODY, "studioEndpoint": "https://dayu.cn-north-4.myhuaweicloud.com/"})
    assert spec.endpoint == "https://dayu-dlf.cn-north-4.myhuaweicloud.com"
    assert spec.studio_endpoint == "https://dayu.cn-north-4.myhuaweicloud.com"
    assert parse_remote(BODY).studio_endpoint is None


def test_every_problem_of_a_remote_body_is_named_at_once() -> None:
    body = {**BODY, "endpoint": "ftp://host", "secretKey": "", "colour": "red"}
    with pytest.raises(InvalidRequestError) as refused:
        parse_remote(body)
    problems = refused.value.context["problems"]
    assert "unknown field 'colour'" in problems
    assert any(p.startswith("secretKey is required") for p in problems)
    assert any("is not an http(s) URL" in p and "dayu-dlf" in p for p in problems)


def test_a_refresh_body_names_a_snapshot_or_nothing() -> None:
    assert parse_refresh({}) is None
    assert parse_refresh({"path": " upload://x.zip "}) == "upload://x.zip"
    with pytest.raises(InvalidRequestError, match="path must be a non-empty text"):
        parse_refresh({"path": ""})
    with pytest.raises(InvalidRequestError, match="unknown field 'from'"):
        parse_refresh({"from": "x"})


def test_a_refresh_summary_is_kept_and_read_back() -> None:
    snapshot = Snapshot("jobs.zip", "ab" * 32, 10, None, "dataarts", ("job",))
    done = Refresh(
        5,
        {"job": {"created": 2, "updated": 1, "deleted": 0, "unchanged": 4}},
        7,
        0.5,
        RefreshSource.SNAPSHOT,
        snapshot,
        ("a note",),
    )
    again = Refresh.load(done.dump())
    assert again == done
    assert again.total(RefreshAction.CREATED) == 2
    assert again.written() == 3
