"""An import's task page marks each object it changed or deleted over another user's lock (the
workspace's soft lock policy only warns), as its result line says it (``lockedBy``) and as the
plan step and the CLI say it."""

from __future__ import annotations

import re
from pathlib import Path

from jobferry.domain.enums import ObjectKind, Role
from jobferry.services.container import Services
from support.builders import make_job
from support.console import Browser, assert_page, main_text, seeded_admin
from support.planning import import_package, jobs_with_dependencies, write_objects


def test_an_import_s_task_page_marks_each_object_it_changed_over_another_user_s_lock(
    browser: Browser, services: Services, tmp_path: Path
) -> None:
    # The API and the CLI said the lock an import passed over on its result lines; the task
    # page said nothing of it.
    admin = seeded_admin(services)
    jobs = (make_job("a_job"), make_job("b_job"), make_job("c_job"))
    import_package(
        services, admin, write_objects(tmp_path / "1.zip", jobs_with_dependencies(*jobs))
    )
    accounts, boss = services.accounts, admin.actor
    accounts.create_user(boss, boss.project_id, "dana", False)
    accounts.set_role(boss, boss.project_id, "dana", admin.workspace.id, Role.DEVELOPER)
    actor = accounts.actor_for(accounts.issue_credential(boss, boss.project_id, "dana").access_key)
    dana = accounts.scope(actor, actor.project_id, admin.workspace.id)
    for name in ("a_job", "b_job"):
        services.governance.acquire(dana, ObjectKind.JOB, name)
    changed = (make_job("a_job", description="changed"), make_job("c_job", description="changed"))
    package = write_objects(
        tmp_path / "2.zip",
        jobs_with_dependencies(*changed),
        inventory=("job",),  # type: ignore[arg-type]
    )
    task = import_package(services, admin, package, propagateDeletes=True)

    page = browser.get(f"/console/w/{admin.workspace.id}/tasks/{task.id}")

    assert_page(page, 200, "data-task-locked")
    rows: dict[str, str] = {}
    for row in re.findall(r"<tr><td>Import the .*?</tr>", page.text, flags=re.S):
        text = " ".join(main_text(row).split())
        rows[text.split()[2]] = text  # "Import the NAME job. …"
    said = "locked by dana: {} anyway (this workspace's locks only warn)"
    assert said.format("changed") in rows["a_job"]
    assert said.format("deleted") in rows["b_job"]
    assert "locked" not in rows["c_job"]  # nobody else's lock
