"""The web layer the API and the console share: JSON objects and download headers."""

from __future__ import annotations

from urllib.parse import unquote

import pytest

from jobferry.errors import InvalidRequestError
from jobferry.web import attachment, json_object


def test_a_json_object_is_parsed_with_its_key_order() -> None:
    assert list(json_object(b'{"b": 1, "a": {"c": []}}', "The body", "send an object")) == [
        "b",
        "a",
    ]


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"{not json", ["The body is not valid JSON", "send an object"]),
        (b"[1, 2]", ["The body must be a JSON object, not an array", "send an object"]),
        ('"text"', ["must be a JSON object, not a string"]),
        (b"null", ["must be a JSON object, not null"]),
        (b"1.5", ["must be a JSON object, not a number"]),
        (b"false", ["must be a JSON object, not false"]),
    ],
    ids=["malformed", "list", "string", "null", "number", "boolean"],
)
def test_anything_but_a_json_object_is_refused_naming_it_and_the_fix(
    data: bytes | str, words: list[str]
) -> None:
    with pytest.raises(InvalidRequestError) as refused:
        json_object(data, "The body", "send an object")

    for word in words:
        assert word in refused.value.message


def test_attachment_names_any_file_name_safely() -> None:
    header = attachment('作业 "a".zip')

    assert header.startswith('attachment; filename="')
    assert '"a"' not in header  # quotes are escaped, the header cannot be split
    assert unquote(header.split("filename*=UTF-8''")[1]) == '作业 "a".zip'
