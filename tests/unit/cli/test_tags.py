"""``tags delete`` says the server's refusals with jobferry's commands (``cli/tags.py``): the
jobs carrying the tag (the first, and how many more), the unlock of a locked one, the list of
a workspace lacking it; a fix acts where the refused deletion was (``-w`` as ``--workspace``
named it); any other refusal is the endpoint's own."""

from __future__ import annotations

from typing import Any

from jobferry.cli.client import ApiError
from jobferry.cli.session import Session
from jobferry.cli.tags import IN_USE, LOCKED_TAG, NOT_FOUND, _refusal

LABEL = "workspace dev (0123456789abcdef0123456789abcdef)"


def _said(code: str, body: dict[str, Any], s: Session | None = None) -> str | None:
    told = _refusal(
        s or Session(), "daily", ApiError(400, code, "The server's words.", body), LABEL
    )
    return None if told is None else str(told)


def test_a_carried_tag_names_its_first_jobs_counts_the_rest_and_lists_them_all() -> None:
    body = {"tag": "daily", "jobs": ["a", "b"], "jobs_total": 7}
    said = _said(IN_USE, body)
    assert said == (
        "Tag 'daily' is carried by 7 job(s): a, b and 5 more; take it out of those jobs' tags "
        "(jobferry jobs list --tags daily lists them), then delete it again. Nothing was "
        "deleted."
    )
    elsewhere = _said(IN_USE, body, Session(workspace="prod"))
    assert elsewhere is not None
    assert "(jobferry jobs list --tags daily -w prod lists them)" in elsewhere


def test_a_locked_tag_says_to_unlock_it_first() -> None:
    said = _said(LOCKED_TAG, {"tag": "daily", "tags": ["daily"]}, Session(workspace="prod"))
    assert said is not None
    assert "unlock it with: jobferry tags unlock daily -w prod — then delete it again" in said


def test_an_unknown_tag_names_the_workspace_and_the_list() -> None:
    said = _said(NOT_FOUND, {"tag": "daily"})
    assert said == (
        f"Tag 'daily' does not exist in {LABEL}; nothing was deleted (jobferry tags list lists "
        "the tags)."
    )


def test_other_refusals_keep_the_endpoints_words() -> None:
    assert _said(NOT_FOUND, {"parameter": "name"}) is None  # an invalid request, not a tag's
    assert _said(IN_USE, {"jobs": ["a"]}) is None
    assert _said("DLF.6888", {"tag": "daily"}) is None
