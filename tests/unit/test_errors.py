"""How a refusal quotes what it names: a name or id longer than any object's (one a request
made up, up to the URL's length) is cut in the message, its length said, and kept whole in its
field; every name an object may have is quoted whole, as it always was."""

from __future__ import annotations

import pytest

from jobferry.domain.names import OBJECT_NAME_MAX
from jobferry.errors import JobNotFoundError, RouteNotFoundError
from jobferry.quoting import SHOWN_MAX
from jobferry.services.container import Services
from jobferry.services.definitions.lookup import job_not_found
from support.console import admin_scope

LONG = "j" * 4000


def test_names_as_long_as_an_object_may_have_are_quoted_whole() -> None:
    assert SHOWN_MAX == OBJECT_NAME_MAX
    name = "n" * OBJECT_NAME_MAX
    error = RouteNotFoundError(f"There is no route '{name}'.", fix=f"See '{name}'.", route=name)
    assert error.message == f"There is no route '{name}'. See '{name}'."


def test_a_name_too_long_for_any_object_is_cut_in_the_message_and_whole_in_its_field() -> None:
    error = JobNotFoundError(
        f"Job[{LONG}] does not exist; no job '{LONG}' nor \"{LONG}\", {LONG}.",
        fix=f"Look for {LONG}.",
        job_name=LONG,
    )
    head = "j" * 80 + "…"
    said = " (4,000 characters)"
    assert error.problem == (
        f"Job[{head}]{said} does not exist; no job '{head}'{said} nor \"{head}\"{said}, "
        f"{head}{said}."
    )
    assert error.message == f"{error.problem} Look for {head}{said}."
    body = error.envelope()
    assert body["job_name"] == LONG


def test_only_fields_that_name_something_are_cut() -> None:
    long_text = "x" * 300
    error = JobNotFoundError(f"Said: {long_text}.", details=long_text)
    assert error.message == f"Said: {long_text}."


def test_a_job_not_found_by_a_long_name_names_it_readably(services: Services) -> None:
    scope = admin_scope(services)
    with pytest.raises(JobNotFoundError) as refused:
        services.jobs.show(scope, LONG)
    assert len(refused.value.message) < 300
    assert "j" * 80 + "…' (4,000 characters)" in refused.value.message
    assert refused.value.context["job_name"] == LONG
    short = job_not_found(scope, "daily_sales")
    assert "no job 'daily_sales' in workspace" in short.message


def test_a_long_name_inside_another_leaves_the_longer_one_its_own_length() -> None:
    renamed = LONG + "_copy"
    for context in (
        {"job_name": LONG, "new_name": renamed},
        {"new_name": renamed, "job_name": LONG},
    ):
        error = JobNotFoundError(f"Job '{LONG}' cannot become '{renamed}'.", **context)
        head = "j" * 80 + "…'"
        assert error.message == (
            f"Job '{head} (4,000 characters) cannot become '{head} (4,005 characters)."
        )
