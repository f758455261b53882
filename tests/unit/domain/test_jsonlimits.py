"""The depth, NUL and 64-bit integer rules every accepted document satisfies."""

from __future__ import annotations

from typing import Any

import orjson

from jobferry.domain.jsonlimits import MAX_DEPTH, json_problem, parsed_problem, plainly_within


def lists(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


def test_nesting_up_to_the_limit_passes_and_one_more_level_is_refused_with_its_path() -> None:
    assert json_problem(lists(MAX_DEPTH)) is None
    problem = json_problem({"a": {"b": lists(MAX_DEPTH - 1)}})
    assert problem is not None
    assert problem.rule == "json.depth"
    assert problem.path.startswith("a.b[0][0]")


def test_a_nul_in_a_value_or_a_key_is_refused_with_where_it_is() -> None:
    nul_value = json_problem({"nodes": [{"name": "n1"}, {"name": "x\x00"}]})
    assert nul_value is not None
    assert (nul_value.rule, nul_value.path) == ("json.nul", "nodes[1].name")
    nul_key = json_problem({"config": {"ho\x00st": "h"}})
    assert nul_key is not None
    assert nul_key.rule == "json.nul"
    assert nul_key.path == "config.ho\\u0000st"
    top = json_problem("a\x00")
    assert top is not None
    assert top.path == "$"


def test_scalars_and_ordinary_documents_pass() -> None:
    for value in (None, 1, 2.5, True, "text", [], {}, {"a": [1, "b", {"c": None}]}):
        assert json_problem(value) is None


def test_a_very_deep_document_is_walked_without_recursion() -> None:
    problem = json_problem(lists(100_000))
    assert problem is not None
    assert problem.rule == "json.depth"
    assert len(problem.path) <= 120


def test_a_whole_number_past_64_bits_is_refused_with_where_it_is() -> None:
    assert json_problem({"maxDeletions": 2**63 - 1, "low": -(2**63)}) is None
    big = json_problem({"params": {"a": [1, 2**63]}})
    assert big is not None
    assert (big.rule, big.path) == ("json.integer", "params.a[1]")
    assert "9223372036854775807" in big.fix
    top = json_problem(-(2**63) - 1)
    assert top is not None
    assert (top.rule, top.path) == ("json.integer", "$")


def test_a_whole_number_orjson_reads_as_a_float_is_judged_as_written() -> None:
    """orjson reads a whole number past 64 bits as a float without a word (the number
    changed); the text is parsed again exactly wherever it may hold one."""
    text = b'{"params": {"a": [1, 123456789012345678901234567890]}}'
    value = orjson.loads(text)
    assert isinstance(value["params"]["a"][1], float)  # what orjson makes of it
    assert json_problem(value) is None
    found = parsed_problem(text, value)
    assert found is not None
    assert (found.rule, found.path) == ("json.integer", "params.a[1]")
    low = "[-123456789012345678901234567890]"
    assert parsed_problem(low, orjson.loads(low)) is not None
    assert not plainly_within(text)


def test_long_digit_runs_that_are_no_whole_number_pass() -> None:
    for text in (
        b'{"id": "123456789012345678901234567890"}',  # text
        b'{"x": 0.123456789012345678901234567890}',  # a fraction, a float as written
        b'{"max": 9223372036854775807, "min": -9223372036854775808}',  # 64 bits exactly
    ):
        assert parsed_problem(text, orjson.loads(text)) is None, text


def test_a_nesting_problem_is_said_before_the_text_is_parsed_again() -> None:
    text = "[" * (MAX_DEPTH + 1) + "1234567890123456789012" + "]" * (MAX_DEPTH + 1)
    found = parsed_problem(text, orjson.loads(text))
    assert found is not None
    assert found.rule == "json.depth"
