"""The audit log's search (``domain/audit.py``): blank texts are no filter, an action or a
family of them, a half-open window; an entry's detail on one line."""

from __future__ import annotations

import pytest

from jobferry.domain.audit import AuditQuery, detail_line
from jobferry.errors import InvalidRequestError


def test_blank_texts_are_no_filter_and_a_family_has_no_dot() -> None:
    query = AuditQuery(object_name=" ", actor="", action=" job ").checked()
    assert (query.object_name, query.actor, query.action) == (None, None, "job")
    assert query.family == "job"
    assert AuditQuery(action="job.update").checked().family is None


@pytest.mark.parametrize("action", ["Job", "job.update.x", "job-update", "job.", ".job", "1job"])
def test_an_action_is_lower_case_words_and_one_dot_at_most(action: str) -> None:
    with pytest.raises(InvalidRequestError, match="neither an action") as refused:
        AuditQuery(action=action).checked()
    assert refused.value.context == {"parameter": "action"}


def test_a_window_starts_before_it_ends() -> None:
    assert AuditQuery(since=1, until=2).checked().since == 1
    with pytest.raises(InvalidRequestError, match="since 2 is not before until 2"):
        AuditQuery(since=2, until=2).checked()
    with pytest.raises(InvalidRequestError, match="since -1 is not a time"):
        AuditQuery(since=-1).checked()


def test_detail_is_one_line_and_cut() -> None:
    assert detail_line({"id": 3, "names": ["a", "b"], "to": {"name": "b"}}) == (
        "id=3, names=[a, b], to={name=b}"
    )
    assert detail_line("plain") == "plain"
    said = detail_line({"targetStatus": "SUBMITTED", "jobParams": [], "studioEndpoint": "x"})
    assert said == "target status=SUBMITTED, job params=[], studio endpoint=x"  # not API fields
    assert detail_line(None) == ""
    # A field without a value (a package no task generated) is said so, not as Python's None.
    said = detail_line({"size": 4126, "taskId": None, "ids": [None], "to": {"name": None}})
    assert said == "size=4126, task id=none, ids=[none], to={name=none}"
    cut = detail_line({"sql": "x" * 500})
    assert len(cut) == 160
    assert cut.endswith("…")
