"""A job or script saved from the definition read earlier (the console's editor sends the one
it was opened with), over a real database (SQLite and PostgreSQL): refused, naming the fields
and who changed them, when another save changed it since; never refused for what it already
is (the same form posted twice); and of two such saves at the same moment, one wins and the
other is refused, never both written."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from jobferry.domain.enums import ObjectKind
from jobferry.errors import DefinitionChangedError
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.definitions import jobs as jobs_module
from support.builders import editable, make_script
from support.console import seeded_admin


@pytest.fixture
def scope(services: Services) -> Scope:
    """The admin in the default workspace, holding daily_sales with its scripts."""
    return seeded_admin(services)


def _read(services: Services, scope: Scope) -> dict[str, Any]:
    return editable(services.jobs.show(scope, "daily_sales").document)


def test_a_save_over_a_change_made_since_it_was_read_is_refused_naming_the_change(
    services: Services, scope: Scope
) -> None:
    opened = _read(services, scope)
    services.jobs.update(scope, "daily_sales", opened | {"description": "by the API"})
    mine = opened | {"logPath": "obs://logs/mine/"}

    with pytest.raises(DefinitionChangedError) as refused:
        services.jobs.update(scope, "daily_sales", mine, opened)
    with pytest.raises(DefinitionChangedError):
        services.reviews.job(scope, "daily_sales", mine, opened)  # the review says it first

    envelope = refused.value.envelope()
    assert envelope["error_code"] == "DLF.9087"
    assert (envelope["kind"], envelope["name"]) == ("job", "daily_sales")
    assert envelope["changed_fields"] == ["description"]
    assert envelope["changed_by"] == scope.actor.name
    assert envelope["remedy"] == "read_again"
    assert "Job 'daily_sales' changed since it was read" in envelope["error_msg"]
    assert "nothing was saved" in envelope["error_msg"]
    stored = services.jobs.show(scope, "daily_sales").document
    assert (stored["description"], stored.get("logPath")) == ("by the API", None)
    # Read again, the same change saves.
    services.jobs.update(scope, "daily_sales", mine, _read(services, scope))
    assert services.jobs.show(scope, "daily_sales").document["logPath"] == "obs://logs/mine/"


def test_a_save_that_finds_its_own_text_stored_is_not_refused(
    services: Services, scope: Scope
) -> None:
    opened = _read(services, scope)
    mine = opened | {"description": "posted twice"}
    services.jobs.update(scope, "daily_sales", mine, opened)

    services.jobs.update(scope, "daily_sales", mine, opened)  # the second post of the form

    review = services.reviews.job(scope, "daily_sales", mine, opened)
    assert (review.replaces, review.changes) == (True, ())
    services.jobs.update(scope, "daily_sales", opened | {"description": "no base"})  # the API


def test_a_script_saved_over_a_change_made_since_is_refused(
    services: Services, scope: Scope
) -> None:
    services.scripts.create(scope, make_script("load_sh", type="Shell", content="echo 1"))
    opened = editable(services.scripts.show(scope, "load_sh").document)
    services.scripts.update(scope, "load_sh", opened | {"content": "echo 2"})

    with pytest.raises(DefinitionChangedError) as refused:
        services.scripts.update(scope, "load_sh", opened | {"content": "echo 3"}, opened)

    assert refused.value.context["kind"] == ObjectKind.SCRIPT.value
    assert refused.value.context["changed_fields"] == ["content"]
    assert services.scripts.show(scope, "load_sh").document["content"] == "echo 2"


def test_of_two_saves_from_the_same_read_at_once_one_wins_and_the_other_is_refused(
    services: Services, scope: Scope, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened = _read(services, scope)
    checked = jobs_module.check_lock

    def slow_check(*args: Any) -> None:
        # Between the read of the job and its write: the other save reads it now, unless the
        # first one's read locked it.
        time.sleep(0.3)
        checked(*args)

    monkeypatch.setattr(jobs_module, "check_lock", slow_check)
    outcomes: dict[str, str] = {}
    start = threading.Barrier(2)

    def save(who: str) -> None:
        start.wait()
        try:
            services.jobs.update(scope, "daily_sales", opened | {"description": who}, opened)
            outcomes[who] = "saved"
        except DefinitionChangedError:
            outcomes[who] = "refused"

    threads = [threading.Thread(target=save, args=(who,)) for who in ("ann", "bob")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert sorted(outcomes.values()) == ["refused", "saved"], outcomes
    winner = next(who for who, outcome in outcomes.items() if outcome == "saved")
    assert services.jobs.show(scope, "daily_sales").document["description"] == winner
