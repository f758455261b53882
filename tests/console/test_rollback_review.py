"""*Roll back this import* opens a review first (``console/rollback_review.py``): what the
rollback would undo, asked of its own checks without a write, and *Roll back* to confirm it; a
rollback that would be refused (objects changed since) is refused there, on the import's page,
before anything is confirmed, and nothing is queued or written."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobferry.domain.enums import Role
from jobferry.services.container import Services
from jobferry.services.context import Scope
from support.builders import make_job
from support.console import Browser, sign_in_as
from support.task_stories import package, run_import, run_queued_rollbacks

pytestmark = [pytest.mark.databases("sqlite", "postgresql"), pytest.mark.usefixtures("held_tasks")]
"""The app's task runner claims nothing: a rollback the console queued is run here."""
UNKNOWN = "0" * 32


def rollbacks(services: Services, scope: Scope) -> int:
    return len(services.tasks.list_tasks(scope, kind="rollback").tasks)


def test_the_review_says_what_the_rollback_would_undo_and_its_button_rolls_back(
    browser: Browser, services: Services, seeded: Scope, tmp_path: Path
) -> None:
    imported = run_import(services, seeded, package(tmp_path, 1, ("ja", "jb"), False), {})
    ws = seeded.workspace.id
    page = browser.get(f"/console/w/{ws}/tasks/{imported}").text
    assert f'<form method="get" action="/console/w/{ws}/tasks/{imported}/rollback">' in page

    review = browser.get(f"/console/w/{ws}/tasks/{imported}/rollback")

    assert review.status_code == 200, review.text
    foreseen = services.rollback.preview(seeded, imported)
    created = foreseen.actions["DELETED"]
    assert f"It will delete the {created} objects the import created" in review.text
    assert "<td>ja</td><td>job</td>" in review.text
    assert f'<form method="post" action="/console/w/{ws}/tasks/{imported}/rollback">' in (
        review.text
    )
    assert services.tasks.show(seeded, imported).rolled_back is None  # nothing written
    assert rollbacks(services, seeded) == 0
    rolled = browser.post(f"/console/w/{ws}/tasks/{imported}/rollback", {})
    assert rolled.status_code == 303, rolled.text
    started = rolled.headers["location"].rsplit("/", 1)[1]  # the rollback task's page
    assert run_queued_rollbacks(services) == [started]
    assert services.tasks.show(seeded, imported).rolled_back is not None


def test_a_rollback_objects_changed_since_would_refuse_is_refused_before_its_confirm(
    browser: Browser, services: Services, seeded: Scope, tmp_path: Path
) -> None:
    imported = run_import(services, seeded, package(tmp_path, 1, ("ja",), False), {})
    services.jobs.update(seeded, "ja", make_job("ja", description="edited since"))
    ws = seeded.workspace.id

    refused = browser.get(f"/console/w/{ws}/tasks/{imported}/rollback")

    assert refused.status_code == 400, refused.text
    assert 'class="alert' in refused.text
    assert "job &#39;ja&#39; was edited" in refused.text
    assert "data-roll-back" not in refused.text  # no confirm step
    assert rollbacks(services, seeded) == 0
    assert services.tasks.show(seeded, imported).rolled_back is None


@pytest.mark.parametrize("role", [Role.VIEWER, Role.OPERATOR])
def test_a_review_by_one_who_may_not_roll_back_is_refused_whether_the_task_is_there_or_not(
    browser: Browser, services: Services, seeded: Scope, tmp_path: Path, role: Role
) -> None:
    imported = run_import(services, seeded, package(tmp_path, 1, ("ja",), False), {})
    sign_in_as(browser, services, "someone", role)
    ws = seeded.workspace.id
    for task_id in (imported, UNKNOWN):
        refused = browser.get(f"/console/w/{ws}/tasks/{task_id}/rollback")
        assert refused.status_code == 403, refused.text
