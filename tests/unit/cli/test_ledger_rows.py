"""How ``jobferry releases ledger`` names an entry's package in its table: a release package by
id and name, a signed release taken in from another server (no package here) as such."""

from __future__ import annotations

from jobferry.cli.ledger import _entry_row


def _entry(**fields: object) -> dict[str, object]:
    return {"entry_id": 1, "action": "deploy", "objects": [], **fields}


def test_a_release_package_is_named_by_its_id_and_name() -> None:
    row = _entry_row(_entry(package_id="7", package_name="nightly", source_workspace_id=None))
    assert row[2] == "7 nightly"


def test_a_signed_release_taken_in_is_said_to_be_one() -> None:
    row = _entry_row(_entry(package_id=None, package_name="nightly", source_workspace_id="ws"))
    assert row[2] == "nightly (signed release taken in)"


def test_a_release_says_in_words_whether_it_started_its_jobs() -> None:
    # The call's startup_mode (1 start, 0 not) is no word of the command line.
    started = _entry_row(_entry(package_id="7", package_name="n", startup_mode=1))
    stopped = _entry_row(_entry(package_id="7", package_name="n", startup_mode=0))
    rollback = _entry_row(_entry(action="rollback", package_id="7", package_name="n"))
    assert (started[6], stopped[6], rollback[6]) == ("started", "not started (--no-start)", "")
