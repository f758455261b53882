"""Rolling an import back (``services.importing.rollback``): what it created goes, what it
overwrote or renamed comes back as it was, in one transaction; refused, changing nothing and
listing every conflict, when objects changed since, and refused for what is not a finished
import or was rolled back already."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from jobferry.domain.enums import SameNamePolicy, TaskKind, TaskStatus
from jobferry.errors import ImportRunningError, RollbackRefusedError, TaskNotFoundError
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.importing.plan import Plan
from jobferry.services.importing.request import parse_import_request
from jobferry.services.importing.rollback import LocalRollback
from jobferry.services.taskviews import Task
from jobferry.storage import tables
from jobferry.storage.importing import ledger as ledger_repo
from jobferry.storage.importing.ledger import LedgerRow
from support.builders import editable, make_job
from support.planning import (
    create_what_jobs_use,
    import_package,
    jobs_package,
    jobs_with_dependencies,
    run_import,
    uid_of,
    upload,
    workspace,
    write_objects,
)
from support.progress import said_by

DRIFT = "TAKE_PACKAGE"


def job_names(services: Services, scope: Scope) -> list[str]:
    with services.db.transaction(readonly=True) as tx:
        where = tables.jobs.c.workspace_id == scope.workspace.id
        return sorted(tx.conn.execute(sa.select(tables.jobs.c.name).where(where)).scalars())


def description(services: Services, scope: Scope, name: str) -> object:
    return services.jobs.show(scope, name).document.get("description")


@pytest.fixture
def scope(services: Services, tmp_path: Path) -> Scope:
    """A workspace where a_job was imported once, then edited in place (the imports below
    take the package's over that change: onDrift TAKE_PACKAGE)."""
    scope = workspace(services, "prod")
    import_package(services, scope, jobs_package(tmp_path / "first.zip", "a_job"))
    services.jobs.update(scope, "a_job", make_job("a_job", description="before"))
    return scope


def test_a_rollback_removes_what_the_import_created_and_restores_what_it_overwrote(
    services: Services, scope: Scope, tmp_path: Path
) -> None:
    task = import_package(
        services, scope, jobs_package(tmp_path / "2.zip", "a_job", "b_job"), onDrift=DRIFT
    )

    answer = services.rollback.rollback(scope, task.id)

    assert job_names(services, scope) == ["a_job"]
    assert description(services, scope, "a_job") == "before"
    actions = {(o["name"], o["action"]) for o in answer.objects}
    assert {("b_job", "DELETED"), ("a_job", "RESTORED")} <= actions
    assert answer.count == len(answer.objects)
    assert services.tasks.show(scope, task.id).rolled_back is not None
    with pytest.raises(RollbackRefusedError, match="already rolled back"):
        services.rollback.rollback(scope, task.id)


def test_a_rename_is_rolled_back_to_the_old_name(
    services: Services, scope: Scope, tmp_path: Path
) -> None:
    objects = jobs_with_dependencies(make_job("a_job"))
    objects[0] = ("job", "z_job", {**make_job("a_job"), "name": "z_job"})
    renamed = write_objects(tmp_path / "2.zip", objects, uids={"z_job": uid_of("job", "a_job")})
    task = import_package(services, scope, renamed, onDrift=DRIFT)
    assert job_names(services, scope) == ["z_job"]

    services.rollback.rollback(scope, task.id)

    assert job_names(services, scope) == ["a_job"]
    assert description(services, scope, "a_job") == "before"


def test_objects_changed_since_refuse_the_rollback_and_nothing_changes(
    services: Services, scope: Scope, tmp_path: Path
) -> None:
    task = import_package(
        services, scope, jobs_package(tmp_path / "2.zip", "a_job", "b_job", "c_job"), onDrift=DRIFT
    )
    services.jobs.update(scope, "b_job", make_job("b_job", description="edited since"))
    services.jobs.start(scope, "c_job")

    with pytest.raises(RollbackRefusedError) as refused:
        services.rollback.rollback(scope, task.id)

    assert refused.value.context["conflicts"] == [
        "job 'b_job' was edited",
        "job 'c_job' is scheduled (SCHEDULING); stop it first",
    ]
    assert "Nothing was changed" in refused.value.message
    assert job_names(services, scope) == ["a_job", "b_job", "c_job"]
    assert description(services, scope, "a_job") is None  # still as the import wrote it
    assert services.tasks.show(scope, task.id).rolled_back is None


def test_only_a_finished_import_that_changed_something_can_be_rolled_back(
    services: Services, scope: Scope, tmp_path: Path
) -> None:
    with pytest.raises(TaskNotFoundError, match=r"Task \[no-such-task\] does not exist"):
        services.rollback.rollback(scope, "no-such-task")
    services.jobs.update(scope, "a_job", make_job("a_job"))  # as the package has it again
    unchanged = import_package(services, scope, jobs_package(tmp_path / "2.zip", "a_job"))
    with pytest.raises(RollbackRefusedError, match="nothing to roll back"):
        services.rollback.rollback(scope, unchanged.id)


def test_a_per_object_import_that_only_deleted_ended_with_a_warning_and_rolls_back(
    services: Services, scope: Scope, tmp_path: Path
) -> None:
    """The source deleted a_job and made another a_job the target cannot take (it runs a
    script neither holds): the deletion is done, the new job fails. The import said FAILED,
    so its deletion could not be rolled back, and a route took its promotion for one not
    applied (found by the generated promotions, test_generated_promotions.py)."""
    job = make_job("a_job")
    job["nodes"] = job["nodes"][:1]
    job["nodes"][0]["properties"][0]["value"] = "no_such_sql"
    gone = (("job", uid_of("job", "a_job"), "a_job"),)
    uids = {"a_job": "another-a_job"}
    package = write_objects(tmp_path / "2.zip", [("job", "a_job", job)], uids=uids, deleted=gone)
    options = {"propagateDeletes": True, "mode": "PER_OBJECT", "onDrift": DRIFT}
    task = run_import(services, scope, upload(services, scope, package), **options)
    assert task.status == TaskStatus.WARNING, task.message
    assert "deleted 1, 1 failed" in task.message
    assert "a_job" not in job_names(services, scope)
    services.rollback.rollback(scope, task.id)
    assert "a_job" in job_names(services, scope)


def test_the_check_refuses_what_the_rollback_would_and_writes_nothing(
    services: Services, scope: Scope, tmp_path: Path
) -> None:
    task = import_package(
        services, scope, jobs_package(tmp_path / "2.zip", "a_job", "b_job", "c_job"), onDrift=DRIFT
    )
    services.jobs.update(scope, "b_job", make_job("b_job", description="edited since"))
    services.jobs.start(scope, "c_job")
    rollback = LocalRollback(services.db, scope, task.id)

    with pytest.raises(RollbackRefusedError) as checked:
        rollback.check()
    with pytest.raises(RollbackRefusedError) as ran:
        rollback.run()

    assert checked.value.context["conflicts"] == ran.value.context["conflicts"]
    assert len(checked.value.context["conflicts"]) == 2
    services.jobs.stop(scope, "c_job")
    with pytest.raises(RollbackRefusedError) as again:
        rollback.check()
    assert again.value.context["conflicts"] == ["job 'b_job' was edited"]
    assert services.tasks.show(scope, task.id).rolled_back is None


def test_the_check_passes_a_swap_of_names_that_the_rollback_then_undoes(
    services: Services, scope: Scope, tmp_path: Path
) -> None:
    """The second pass's names are checked against what the first pass will free: a swap
    (a_job ↔ b_job) takes back names only the import's own objects hold."""
    import_package(
        services, scope, jobs_package(tmp_path / "2.zip", "a_job", "b_job"), onDrift=DRIFT
    )
    objects = jobs_with_dependencies(make_job("a_job"), make_job("b_job"))
    objects = [o for o in objects if o[0] != "job"] + [
        ("job", "b_job", {**make_job("a_job"), "name": "b_job"}),
        ("job", "a_job", {**make_job("b_job"), "name": "a_job"}),
    ]
    uids = {"b_job": uid_of("job", "a_job"), "a_job": uid_of("job", "b_job")}
    swap = import_package(
        services, scope, write_objects(tmp_path / "3.zip", objects, uids=uids), onDrift=DRIFT
    )
    rollback = LocalRollback(services.db, scope, swap.id)

    rollback.check()
    undone = rollback.run()

    assert {(o["name"], o["action"]) for o in undone.objects} == {
        ("a_job", "RENAMED"),
        ("b_job", "RENAMED"),
    }
    with pytest.raises(RollbackRefusedError, match="already rolled back"):
        rollback.check()


def test_the_check_finds_a_name_taken_since_as_the_rollback_does(
    services: Services, scope: Scope, tmp_path: Path
) -> None:
    objects = jobs_with_dependencies(make_job("a_job"))
    objects[0] = ("job", "z_job", {**make_job("a_job"), "name": "z_job"})
    renamed = write_objects(tmp_path / "2.zip", objects, uids={"z_job": uid_of("job", "a_job")})
    task = import_package(services, scope, renamed, onDrift=DRIFT)
    services.jobs.create(scope, make_job("a_job", description="made after"))
    rollback = LocalRollback(services.db, scope, task.id)

    with pytest.raises(RollbackRefusedError, match="'a_job' was made after the import"):
        rollback.check()
    with pytest.raises(RollbackRefusedError, match="'a_job' was made after the import"):
        rollback.run()
    assert job_names(services, scope) == ["a_job", "z_job"]


# -- the rollback as a task of its own (``Prefer: respond-async``) ---------------------------


def run_queued(services: Services) -> Task:
    """Claim the queued rollback task and run it, as a task thread does; the task then."""
    claimed = services.tasks.claim((TaskKind.ROLLBACK,), look_first=False)
    assert claimed is not None
    services.rollback.run(claimed)
    return services.tasks.show(claimed.scope, claimed.id)


def test_a_queued_rollback_holds_the_import_lock_and_ends_with_the_rollback(
    services: Services, scope: Scope, tmp_path: Path
) -> None:
    task = import_package(
        services, scope, jobs_package(tmp_path / "2.zip", "a_job", "b_job"), onDrift=DRIFT
    )

    queued = services.rollback.start(scope, task.id)

    with pytest.raises(ImportRunningError, match=f"Rollback task {queued} is running") as busy:
        import_package(services, scope, jobs_package(tmp_path / "3.zip", "c_job"))
    assert busy.value.context["running"] == "rollback"
    with pytest.raises(ImportRunningError, match=f"Rollback task {queued} is running"):
        services.rollback.start(scope, task.id)
    assert job_names(services, scope) == ["a_job", "b_job"]  # nothing before it runs
    assert services.tasks.show(scope, task.id).rolling_back == queued  # the import says so
    listed = services.tasks.list_tasks(scope, limit=10, offset=0).tasks
    assert {t.id: t.rolling_back for t in listed}[task.id] == queued

    ended = run_queued(services)
    assert services.tasks.show(scope, task.id).rolling_back is None

    assert ended.id == queued
    assert ended.kind is TaskKind.ROLLBACK
    assert ended.status is TaskStatus.SUCCESSFUL
    assert ended.progress == 100
    done = ended.outcome
    assert ended.message == f"Rolled back {done['rolledBack']} object(s) of import {task.id}."
    assert done["taskId"] == task.id
    assert done["rolledBack"] == len(done["objects"])
    actions = {(o["name"], o["action"]) for o in done["objects"]}
    assert {("b_job", "DELETED"), ("a_job", "RESTORED")} <= actions
    assert job_names(services, scope) == ["a_job"]
    assert services.tasks.show(scope, task.id).rolled_back is not None
    import_package(services, scope, jobs_package(tmp_path / "3.zip", "c_job"))  # the lock is free


def test_what_can_be_told_before_reading_a_change_refuses_the_task_at_once(
    services: Services, scope: Scope, tmp_path: Path
) -> None:
    task = import_package(services, scope, jobs_package(tmp_path / "2.zip", "b_job"))
    services.rollback.rollback(scope, task.id)

    with pytest.raises(TaskNotFoundError, match=r"Task \[no-such-task\] does not exist"):
        services.rollback.start(scope, "no-such-task")
    with pytest.raises(RollbackRefusedError, match="already rolled back"):
        services.rollback.start(scope, task.id)

    kinds = {t.kind for t in services.tasks.list_tasks(scope, limit=50, offset=0).tasks}
    assert TaskKind.ROLLBACK not in kinds  # no task was queued
    assert services.tasks.claim((TaskKind.ROLLBACK,), look_first=False) is None


def test_objects_changed_since_fail_the_task_naming_them_and_nothing_changes(
    services: Services, scope: Scope, tmp_path: Path
) -> None:
    task = import_package(
        services, scope, jobs_package(tmp_path / "2.zip", "a_job", "b_job"), onDrift=DRIFT
    )
    services.rollback.start(scope, task.id)
    services.jobs.update(scope, "b_job", make_job("b_job", description="edited since"))

    ended = run_queued(services)

    assert ended.status is TaskStatus.FAILED
    assert "cannot be rolled back: 1 object(s) changed since" in ended.message
    assert ended.outcome == {
        "errorCode": "DLF.9016",
        "httpStatus": 400,
        "rule": "changed",
        "conflicts": ["job 'b_job' was edited"],
        "remedy": "show_drift",  # where to see how it changed, said by each client its way
        "problem": ended.message.removesuffix(
            " GET /v1/{project_id}/drift says how each changed since and who changed it."
        ),
    }
    assert job_names(services, scope) == ["a_job", "b_job"]
    assert services.tasks.show(scope, task.id).rolled_back is None
    import_package(services, scope, jobs_package(tmp_path / "3.zip", "c_job"))  # the lock is free


def test_a_rollback_task_says_how_many_changes_it_checks_and_undoes(
    services: Services, scope: Scope, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    task = import_package(
        services, scope, jobs_package(tmp_path / "2.zip", "a_job", "b_job"), onDrift=DRIFT
    )
    queued = services.rollback.start(scope, task.id)
    said = said_by(services, monkeypatch, queued)

    ended = run_queued(services)

    assert said == [
        (5, f"Checking and undoing 4 change(s) of import {task.id}."),
        (95, "Undoing: 4 of 4 change(s) checked."),  # written beside the undo where it can be
    ]
    assert ended.outcome["rolledBack"] == 4  # two jobs, and the two scripts one of them uses
    assert (ended.status, ended.progress) == (TaskStatus.SUCCESSFUL, 100)


# -- the promotion ledger ---------------------------------------------------------------------


def ledger(services: Services, scope: Scope) -> dict[tuple[str, str], LedgerRow]:
    """The workspace's ledger rows of the packages' source, by (kind, source uid)."""
    with services.db.transaction(readonly=True) as tx:
        rows = ledger_repo.source_ledger(tx, scope.workspace.id, "ws-test", None, 1000)
    return {(row.kind, row.source_uid): row for row in rows}


def planned(services: Services, scope: Scope, package: Path, policy: str) -> Plan:
    """The plan of ``package`` into the scope's workspace with the same-name ``policy``."""
    body = {"path": upload(services, scope, package), "sameNamePolicy": policy}
    plan = services.imports.plan(scope, parse_import_request(body))
    assert isinstance(plan, Plan)
    return plan


def lines(plan: Plan) -> list[tuple[str, str, str, str]]:
    return [(str(ln.kind), ln.name, str(ln.action), ln.target_name) for ln in plan.lines]


def took_over(services: Services, tmp_path: Path) -> tuple[Scope, Path, Path]:
    """The pinned story ``support.import_stories.took_over_alike``: ja imported, renamed jd in
    the target; the source then drops ja and makes a job jd just like the target's, and adds
    je. The workspace, the first package and the second."""
    scope = workspace(services, "prod")
    first = write_objects(tmp_path / "1.zip", jobs_with_dependencies(make_job("ja")))
    import_package(services, scope, first)
    services.jobs.rename(scope, "ja", "jd")
    jd = ("job", "jd", editable(services.jobs.show(scope, "jd").document))
    held = jobs_with_dependencies(make_job("ja"), make_job("je"))
    entries = [jd if entry[:2] == ("job", "ja") else entry for entry in held]
    return scope, first, write_objects(tmp_path / "2.zip", entries)


def test_a_rollback_gives_back_the_ledger_row_a_job_it_found_unchanged_took_over(
    services: Services, tmp_path: Path
) -> None:
    """The import finds jd unchanged and links it in place of ja's row (a change record of
    its own, ``LINK``); its rollback puts ja's row back and forgets jd's, so a package that
    still holds ja plans as it did before: jd renamed back to ja, not a second job made."""
    scope, first, second = took_over(services, tmp_path)
    rows, plan = ledger(services, scope), lines(planned(services, scope, first, "OVERWRITE"))
    assert ("job", "ja", "RENAME", "jd") in plan
    task = import_package(services, scope, second)
    linked = ledger(services, scope)
    assert ("job", uid_of("job", "ja")) not in linked
    assert linked[("job", uid_of("job", "jd"))].task_id == task.id

    answer = services.rollback.rollback(scope, task.id)

    assert answer.actions == {"DELETED": 3}  # je and its scripts: the link is no object
    assert lines(planned(services, scope, first, "OVERWRITE")) == plan
    assert ledger(services, scope) == rows


def test_a_rollback_gives_back_the_ledger_row_of_a_job_the_source_took_from_the_target(
    services: Services, tmp_path: Path
) -> None:
    """The target edits a_job and the source then makes the same edit: the import finds
    a_job unchanged and relinks its row to the source's new version (a route reads from it
    which version landed); its rollback puts back the row naming the version before."""
    scope = workspace(services, "prod")
    import_package(
        services,
        scope,
        write_objects(tmp_path / "1.zip", jobs_with_dependencies(make_job("a_job"))),
    )
    edited = make_job("a_job", description="edited in the target")
    services.jobs.update(scope, "a_job", edited)
    before = ledger(services, scope)
    second = jobs_with_dependencies(edited, make_job("b_job"))
    task = import_package(services, scope, write_objects(tmp_path / "2.zip", second))
    key = ("job", uid_of("job", "a_job"))
    assert ledger(services, scope)[key].source != before[key].source

    services.rollback.rollback(scope, task.id)

    assert ledger(services, scope) == before


def test_a_rollback_gives_back_the_ledger_row_of_a_job_deleted_by_hand_it_made_again(
    services: Services, tmp_path: Path
) -> None:
    """a_job is imported, then deleted by hand; the same package imported again makes it
    anew and writes its ledger row over the one naming the deleted job. The rollback deletes
    the new job and puts that row back, as it was before (found by the generated chains of
    imports and rollbacks: the row was forgotten)."""
    scope = workspace(services, "prod")
    first = write_objects(tmp_path / "1.zip", jobs_with_dependencies(make_job("a_job")))
    import_package(services, scope, first)
    services.jobs.delete(scope, "a_job")
    before = ledger(services, scope)
    task = import_package(services, scope, first)
    key = ("job", uid_of("job", "a_job"))
    assert ledger(services, scope)[key].target_uid != before[key].target_uid

    services.rollback.rollback(scope, task.id)

    assert job_names(services, scope) == []
    assert ledger(services, scope) == before


def test_a_rollback_gives_back_the_ledger_row_of_a_job_made_again_by_hand_it_linked(
    services: Services, tmp_path: Path
) -> None:
    """a_job is imported, deleted by hand and made again by hand just as it was: a package
    holding it and b_job finds it unchanged and links its row to it (``LINK``). The rollback
    deletes b_job and puts back a_job's row naming the deleted job, as it was before."""
    scope = workspace(services, "prod")
    first = write_objects(tmp_path / "1.zip", jobs_with_dependencies(make_job("a_job")))
    import_package(services, scope, first)
    again = editable(services.jobs.show(scope, "a_job").document)
    services.jobs.delete(scope, "a_job")
    services.jobs.create(scope, again)
    before = ledger(services, scope)
    both = jobs_with_dependencies(make_job("a_job"), make_job("b_job"))
    task = import_package(services, scope, write_objects(tmp_path / "2.zip", both))
    key = ("job", uid_of("job", "a_job"))
    assert ledger(services, scope)[key].target_uid != before[key].target_uid

    services.rollback.rollback(scope, task.id)

    assert job_names(services, scope) == ["a_job"]
    assert ledger(services, scope) == before


def test_a_rollback_forgets_the_rows_of_objects_only_linked_so_auto_decides_as_before(
    services: Services, tmp_path: Path
) -> None:
    """A first import from a source that finds a_job (made in the target) unchanged links it;
    rolled back, the workspace holds no row of that source again, so the same-name policy
    auto still takes the next import for a first one (skipping what differs), as before."""
    scope = workspace(services, "prod")
    jobs = (make_job("a_job"), make_job("b_job"))
    first = write_objects(tmp_path / "1.zip", jobs_with_dependencies(*jobs))
    create_what_jobs_use(services, scope, first)
    services.jobs.create(scope, make_job("a_job"))
    changed = jobs_with_dependencies(make_job("a_job", description="changed"))
    later = write_objects(tmp_path / "2.zip", changed)
    before = planned(services, scope, later, "AUTO")
    assert before.policy is not None
    assert before.policy.applied is SameNamePolicy.SKIP  # a first import from the source
    task = import_package(services, scope, first, sameNamePolicy="AUTO")
    assert ledger(services, scope)  # a_job and what the jobs use: linked

    services.rollback.rollback(scope, task.id)

    after = planned(services, scope, later, "AUTO")
    assert (after.policy, lines(after)) == (before.policy, lines(before))
    assert ledger(services, scope) == {}


def test_a_link_whose_ledger_row_a_later_import_wrote_again_refuses_the_rollback(
    services: Services, tmp_path: Path
) -> None:
    scope, _, second = took_over(services, tmp_path)
    task = import_package(services, scope, second)
    jd = {**editable(services.jobs.show(scope, "jd").document), "description": "later"}
    held = jobs_with_dependencies(make_job("ja"), make_job("je"))
    entries = [("job", "jd", jd) if entry[:2] == ("job", "ja") else entry for entry in held]
    later = import_package(services, scope, write_objects(tmp_path / "3.zip", entries))

    with pytest.raises(RollbackRefusedError) as refused:
        services.rollback.rollback(scope, task.id)

    assert refused.value.context["conflicts"] == [
        f"the promotion ledger row of job 'jd' was written again by a later import, "
        f"{later.id}: roll that one back first"
    ]
    services.rollback.rollback(scope, later.id)
    services.rollback.rollback(scope, task.id)
    assert ("job", uid_of("job", "ja")) in ledger(services, scope)


def test_a_later_import_that_only_linked_the_row_again_does_not_hold_the_rollback_back(
    services: Services, tmp_path: Path
) -> None:
    """A later import that wrote no object (it only linked jd's row again: the source's
    text of it differs, not its definition) has nothing to roll back, so it cannot be rolled
    back first: the rollback goes ahead and its links go with it."""
    scope, _, second = took_over(services, tmp_path)
    task = import_package(services, scope, second)
    jd = editable(services.jobs.show(scope, "jd").document)
    held = jobs_with_dependencies(make_job("ja"), make_job("je"))
    reordered = dict(reversed(list(jd.items())))  # the same definition, other text
    entries = [("job", "jd", reordered) if entry[:2] == ("job", "ja") else entry for entry in held]
    later = import_package(services, scope, write_objects(tmp_path / "3.zip", entries))
    assert ledger(services, scope)[("job", uid_of("job", "jd"))].task_id == later.id
    with pytest.raises(RollbackRefusedError, match="nothing to roll back"):
        services.rollback.rollback(scope, later.id)

    services.rollback.rollback(scope, task.id)

    assert ("job", uid_of("job", "ja")) in ledger(services, scope)


def test_an_import_that_only_linked_objects_has_nothing_to_roll_back_and_keeps_its_links(
    services: Services, tmp_path: Path
) -> None:
    """The check and the rollback agree: links (ledger rows) alone are no object to roll
    back, as a promotion that finds everything in place records its baseline by them."""
    scope = workspace(services, "prod")
    first = write_objects(tmp_path / "1.zip", jobs_with_dependencies(make_job("a_job")))
    create_what_jobs_use(services, scope, first)
    services.jobs.create(scope, make_job("a_job"))
    task = import_package(services, scope, first)
    linked = ledger(services, scope)
    assert len(linked) == 4  # a_job and what it uses

    with pytest.raises(RollbackRefusedError, match="nothing to roll back"):
        LocalRollback(services.db, scope, task.id).check()
    with pytest.raises(RollbackRefusedError, match="nothing to roll back"):
        services.rollback.rollback(scope, task.id)
    assert ledger(services, scope) == linked


@pytest.mark.parametrize("undone", ["overwritten", "deleted"])
def test_a_job_restored_carrying_a_tag_deleted_since_makes_the_tag_again(
    services: Services, scope: Scope, tmp_path: Path, undone: str
) -> None:
    """A rollback gives a job back its tags as a save does: a tag the import took out of the
    workspace's jobs (overwriting the job that carried it, or deleting it), deleted since (no
    job carried it), is listed again, not named by the job alone."""
    tagged = make_job("a_job", basicConfig={"owner": "alice", "tags": ["finance"]})
    services.jobs.update(scope, "a_job", tagged)
    if undone == "overwritten":
        package = jobs_package(tmp_path / "2.zip", "a_job")
        task = import_package(services, scope, package, onDrift=DRIFT)
    else:
        gone = (("job", uid_of("job", "a_job"), "a_job"),)
        package = write_objects(tmp_path / "2.zip", [], deleted=gone)
        task = import_package(services, scope, package, propagateDeletes=True, onDrift=DRIFT)
    services.governance.delete_tag(scope, "finance")  # no job carries it now

    services.rollback.rollback(scope, task.id)

    assert services.jobs.show(scope, "a_job").document["basicConfig"]["tags"] == ["finance"]
    listed = {t.name: t.jobs for t in services.governance.list_tags(scope, counted=True)}
    assert listed.get("finance") == 1
