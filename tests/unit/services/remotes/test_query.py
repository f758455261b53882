"""The query string the remote client sends (``services/remotes/query.py``): as the SDKs send
it, keys sorted, RFC 3986 encoded, booleans lower-case, ``None`` left out."""

from __future__ import annotations

from jobferry.services.remotes.query import sdk_query


def test_the_query_is_sorted_encoded_and_leaves_none_out() -> None:
    query = {"offset": 0, "jobName": "daily sales~1", "limit": 100, "tags": None}
    assert sdk_query(query) == "jobName=daily%20sales~1&limit=100&offset=0"


def test_booleans_are_sent_lower_case() -> None:
    assert sdk_query({"preciseQuery": True, "dependencies": False}) == (
        "dependencies=false&preciseQuery=true"
    )


def test_no_parameters_make_no_query() -> None:
    assert sdk_query(None) == ""
    assert sdk_query({"jobType": None}) == ""
