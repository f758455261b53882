"""Each way an import's rollback is refused says which rule and what to do: objects changed
since named (the first twenty in the message, all in ``conflicts``), nothing to roll back,
the import busy."""

from __future__ import annotations

from jobferry.domain.enums import RollbackRule
from jobferry.domain.remedies import Remedy
from jobferry.services.importing.rollback_refusals import SHOWN, busy, changed_since, nothing


def test_objects_changed_since_are_named_the_first_twenty_in_the_message() -> None:
    conflicts = [f"job 'j{n}' was edited" for n in range(SHOWN + 3)]
    refused = changed_since("t1", conflicts, len(conflicts))
    assert refused.context["rule"] == RollbackRule.CHANGED
    assert refused.context["conflicts"] == conflicts
    assert f"{SHOWN + 3} object(s) changed since it ran: job 'j0' was edited;" in refused.message
    assert "job 'j19' was edited (and 3 more)." in refused.message
    assert "j20" not in refused.message


def test_objects_changed_since_name_where_to_see_how_each_changed() -> None:
    """The fix: the drift report, which says how each object changed since its import and who
    changed it (each client says where it is: ``jobferry drift``, the console's page)."""
    refused = changed_since("t1", ["job 'j0' was edited"], 1)
    assert refused.remedy == Remedy.SHOW_DRIFT
    assert refused.message.endswith(
        "GET /v1/{project_id}/drift says how each changed since and who changed it."
    )
    assert refused.problem.endswith("or change them by hand instead.")


def test_nothing_to_roll_back_and_a_busy_import_each_say_their_rule() -> None:
    assert nothing("t1").context["rule"] == RollbackRule.NOTHING
    assert "there is nothing to roll back" in nothing("t1").message
    assert busy("t1").context["rule"] == RollbackRule.BUSY
    assert "try again when that finished" in busy("t1").message
