"""A start call's body read once: the run's parameters and the two scheduling options, in
either spelling DataArts clients use."""

from __future__ import annotations

import pytest

from jobferry.errors import InvalidRequestError
from jobferry.services.definitions.starts import StartRequest, parse_start


def test_an_empty_or_absent_body_asks_for_nothing() -> None:
    assert parse_start(None) == StartRequest()
    assert parse_start({}) == StartRequest()
    assert parse_start({"jobParams": None, "start_date": None}) == StartRequest()


def test_the_terraform_body_is_read_whole() -> None:
    body = {
        "jobParams": [{"name": "d", "value": "1", "paramType": None}],
        "start_date": 20240229,
        "ignore_first_self_dependence": True,
    }
    request = parse_start(body)
    assert request == StartRequest(
        ({"name": "d", "value": "1", "paramType": None},), 20240229, True
    )
    assert request.detail() == {
        "jobParams": [{"name": "d", "value": "1", "paramType": None}],
        "startDate": 20240229,
        "ignoreFirstSelfDependence": True,
    }


def test_either_spelling_of_the_first_day_option_is_read_and_both_must_agree() -> None:
    assert parse_start({"ignore_first_self_dep": False}).ignore_first_self_dependence is False
    both = {"ignore_first_self_dep": True, "ignore_first_self_dependence": True}
    assert parse_start(both).ignore_first_self_dependence is True
    with pytest.raises(InvalidRequestError, match="disagree"):
        parse_start({"ignore_first_self_dep": True, "ignore_first_self_dependence": False})


@pytest.mark.parametrize(
    "day", [20230229, 20241301, 20241000, 2024103, 202410300, 0, -1, True, 20241030.0, "20241030"]
)
def test_a_start_date_that_is_not_a_day_as_yyyymmdd_is_refused(day: object) -> None:
    with pytest.raises(InvalidRequestError, match="start_date must be a day") as refused:
        parse_start({"start_date": day})
    assert refused.value.context["parameter"] == "start_date"


@pytest.mark.parametrize(
    ("param", "field"),
    [
        ({"name": "d", "value": 5}, "jobParams[0].value"),
        ({"name": "d", "value": "1", "paramType": 7}, "jobParams[0].paramType"),
        ({"name": "d", "type": ["variable"]}, "jobParams[0].type"),
    ],
)
def test_a_run_parameter_field_that_is_not_text_is_refused_naming_it(
    param: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidRequestError, match=r"must be text or null") as refused:
        parse_start({"jobParams": [param]})
    assert refused.value.context["parameter"] == field
    assert field in refused.value.message


def test_a_run_parameter_may_leave_its_value_and_type_null_as_terraform_sends_them() -> None:
    param = {"name": "d", "value": None, "type": None, "paramType": None}
    assert parse_start({"jobParams": [param]}).job_params == (param,)


@pytest.mark.parametrize(
    ("body", "said"),
    [
        ({"start_date": True}, "not true."),
        ({"start_date": "20241030"}, 'not "20241030".'),
        ({"ignore_first_self_dep": "yes"}, 'must be true or false, not "yes".'),
        ({"ignore_first_self_dependence": [True]}, "must be true or false, not [true]."),
    ],
)
def test_a_wrong_option_is_shown_as_the_json_it_was_sent_as(
    body: dict[str, object], said: str
) -> None:
    with pytest.raises(InvalidRequestError) as refused:
        parse_start(body)
    assert said in refused.value.message
