"""A push (``services/remotes/push.py``) at the service level, against the strict DataArts
stand-in (``support/standin.py``): an import into a remote's shadow writes the remote all or
nothing, dependencies first, with SDK calls only; a write refused midway undoes every write
made; a lost answer is read again rather than sent twice."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from jobferry.domain.enums import TaskStatus
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.importing.delivery import PreparedImport
from jobferry.services.importing.planner import Planner
from jobferry.services.importing.request import parse_import_request
from jobferry.services.remotes.records import CREATED, LISTED, SUBMITTED, RemoteChange
from jobferry.storage import remotes as remotes_repo
from jobferry.storage import remotes_journal as journal_repo
from support.builders import make_job
from support.console import admin_actor
from support.packages import write_package
from support.planning import (
    import_package,
    jobs_with_dependencies,
    run_import,
    uid_of,
    upload,
    write_objects,
)
from support.standin import STUDIO, DataArtsStandin, Fault, held, settling


@pytest.fixture
def standin() -> DataArtsStandin:
    return DataArtsStandin()


def _package(tmp_path: Path, *names: str) -> Path:
    return write_package(tmp_path / f"{'_'.join(names)}.zip", [make_job(n) for n in names])


def test_a_push_writes_what_the_package_holds_dependencies_first(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    standin.reset()
    task = import_package(services, shadow, _package(tmp_path, "daily_sales", "weekly_sales"))
    assert "Pushed to remote 'prod'" in task.message
    writes = standin.writes()
    assert sorted(writes) == sorted(
        ["create_script"] * 4 + ["create_resource"] + ["create_job"] * 2
    )
    assert writes.index("create_job") > max(
        i for i, call in enumerate(writes) if call != "create_job"
    )
    assert sorted(standin.workspace.jobs) == ["daily_sales", "weekly_sales"]
    assert standin.workspace.resource_named("udf_jar") is not None
    assert standin.refused() == []


def _push_then_change_daily_sales(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    """Push daily_sales and weekly_sales, then daily_sales with another log path (the stand-in
    counts the second push's calls only)."""
    import_package(services, shadow, _package(tmp_path, "daily_sales", "weekly_sales"))
    changed = make_job("daily_sales", logPath="obs://bucket/logs/hourly")
    standin.reset()
    import_package(
        services, shadow, write_package(tmp_path / "v2.zip", [changed, make_job("weekly_sales")])
    )


def test_a_push_overwrites_a_changed_job_and_leaves_the_unchanged_alone(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    _push_then_change_daily_sales(services, standin, shadow, tmp_path)
    assert standin.writes() == ["update_job"]
    assert standin.workspace.jobs["daily_sales"].doc["logPath"] == "obs://bucket/logs/hourly"
    assert standin.refused() == []


def test_a_write_refused_midway_undoes_every_write_made_newest_first(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    before = held(standin)
    standin.reset()
    standin.faults[6] = Fault.REFUSE  # the first job's create, after 4 scripts and a resource
    package = _package(tmp_path, "daily_sales", "weekly_sales")
    task = run_import(services, shadow, upload(services, shadow, package))
    assert task.status == TaskStatus.FAILED
    assert held(standin) == before
    assert standin.refused() == []
    # what the import wrote into the shadow was rolled back: no subtask says it is kept
    writes = [sub for sub in task.subtasks or [] if sub["action"] not in ("UNCHANGED", "SKIP")]
    assert writes
    assert {sub["status"] for sub in writes} == {TaskStatus.FAILED}
    message = "Not kept: the push to remote 'prod' failed and was undone. Undone: Created job"
    assert any(sub["message"].startswith(message) for sub in writes)


def test_a_lost_answer_is_read_again_and_not_sent_twice(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    standin.reset()
    standin.faults[1] = Fault.LOSE  # the first script is created, its answer lost
    task = import_package(services, shadow, _package(tmp_path, "daily_sales"))
    assert task.status == TaskStatus.SUCCESSFUL
    assert standin.writes().count("create_script") == 2  # one per script: none sent again
    assert "show_script" in standin.calls()  # the lost one was read again
    assert sorted(standin.workspace.scripts) == ["daily_sales_sh", "daily_sales_sql"]


def test_a_dropped_connection_on_a_write_is_read_again(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    standin.reset()
    standin.faults[3] = Fault.DROP
    task = import_package(services, shadow, _package(tmp_path, "daily_sales"))
    assert task.status == TaskStatus.SUCCESSFUL
    assert len(standin.writes()) == 4  # 2 scripts, a resource, a job: each once
    assert "daily_sales" in standin.workspace.jobs


def test_the_undo_of_a_write_with_no_answer_waits_for_it_to_land(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    """The job's create gets no answer, four times (every attempt): the push fails, and its
    undo first waits the settle time, so the creates still on their way land before the undo
    reads the remote and deletes the job they made."""
    before = held(standin)
    standin.reset()
    standin.faults.update({write: Fault.TIMEOUT for write in (4, 5, 6, 7)})
    landed = settling(services, standin)
    task = run_import(services, shadow, upload(services, shadow, _package(tmp_path, "daily_sales")))
    assert task.status == TaskStatus.FAILED
    assert "at create_job job 'daily_sales'" in task.message
    assert "(ReadTimeout, after 1 attempt(s))" in task.message
    assert landed == [[204, 400, 400, 400]]  # one creates it; the rest: it exists
    assert held(standin) == before
    assert standin.refused() == []


def test_a_write_refused_as_its_earlier_attempt_landed_meanwhile_is_done(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    """The job's create gets no answer; read again, it has not landed yet, so it is sent
    again; the first lands just before the second, which is refused (the job exists). Read
    once more, the job is there: the call is done, the push goes on."""
    standin.reset()
    standin.faults[4] = Fault.TIMEOUT
    standin.land_before_writes = True
    task = import_package(services, shadow, _package(tmp_path, "daily_sales"))
    assert task.status == TaskStatus.SUCCESSFUL, task.message
    assert [s.status for s in standin.seen if s.call == "create_job"] == [0, 204, 400]
    assert "daily_sales" in standin.workspace.jobs
    assert standin.refused() == []


def test_a_write_refused_after_an_attempt_with_no_answer_may_still_land(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    """The job's create gets no answer, then its second attempt is refused: the call is
    journalled as one that may have taken effect (not ``refused``, which the undo skips), and
    the undo waits for the first attempt, which lands and is undone."""
    before = held(standin)
    standin.reset()
    standin.faults.update({4: Fault.TIMEOUT, 5: Fault.REFUSE})
    landed = settling(services, standin)
    task = run_import(services, shadow, upload(services, shadow, _package(tmp_path, "daily_sales")))
    assert task.status == TaskStatus.FAILED
    assert "Injected refuse of create_job" in task.message
    assert landed == [[204]]
    assert held(standin) == before
    with services.db.transaction(readonly=True) as tx:
        calls = journal_repo.calls(tx, task.id)
    assert [c.state for c in calls if c.call == "create_job"] == ["undone"]


def test_a_throttled_write_is_sent_again(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    standin.reset()
    standin.faults[1] = Fault.THROTTLE
    import_package(services, shadow, _package(tmp_path, "daily_sales"))
    assert len(standin.writes()) == 5  # the throttled one, then the four
    assert sorted(standin.workspace.scripts) == ["daily_sales_sh", "daily_sales_sql"]


def test_a_write_throttled_past_its_attempts_is_waited_out_and_the_push_lands(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    """A busy remote's flow control answers the first write 429 eighteen times in a row (one
    call at a time): the client waits it out (``JOBFERRY_REMOTE_THROTTLE_SECONDS``, 60 s, of
    waits doubling from 0.01 s up to 5 s) rather than failing the push and undoing it."""
    standin.reset()
    standin.faults.update({n: Fault.THROTTLE for n in range(1, 19)})
    waits: list[float] = []
    services.remotes.sleep, services.pushes.in_flight = waits.append, 1
    task = import_package(services, shadow, _package(tmp_path, "daily_sales"))
    assert task.status == TaskStatus.SUCCESSFUL, task.message
    assert len(standin.writes()) == 22  # the throttled one 18 times, then the four
    assert len(waits) == 18
    assert sum(waits) <= 60
    assert "daily_sales" in standin.workspace.jobs


def test_a_push_ends_with_the_journal_done(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    task = import_package(services, shadow, _package(tmp_path, "daily_sales"))
    with services.db.transaction(readonly=True) as tx:
        push = journal_repo.get_push(tx, task.id)
        calls = journal_repo.calls(tx, task.id)
    assert push is not None
    assert push.state == "done"
    assert [c.state for c in calls] == ["done"] * 4


def test_a_renamed_job_is_renamed_on_the_remote_with_the_studio_call(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    import_package(services, shadow, _package(tmp_path, "daily_sales"))
    renamed = make_job("hourly_sales")
    objects = jobs_with_dependencies(renamed)
    package = write_objects(
        tmp_path / "renamed.zip", objects, uids={"hourly_sales": uid_of("job", "daily_sales")}
    )
    standin.reset()
    task = run_import(services, shadow, upload(services, shadow, package))
    assert standin.refused() == []
    assert task.status == TaskStatus.SUCCESSFUL, task.message
    assert "update_factory_job_name" in standin.writes()
    assert "hourly_sales" in standin.workspace.jobs


def test_a_rename_refused_as_the_endpoint_lacks_the_studio_call_says_to_give_its_endpoint(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    import_package(services, shadow, _package(tmp_path, "daily_sales"))
    change = RemoteChange(studio_endpoint=None, studio_given=True)  # Studio calls: the endpoint
    services.remotes.change(admin_actor(services), "prod", change)
    before = held(standin)
    objects = jobs_with_dependencies(make_job("hourly_sales"))
    package = write_objects(
        tmp_path / "renamed.zip", objects, uids={"hourly_sales": uid_of("job", "daily_sales")}
    )
    task = run_import(services, shadow, upload(services, shadow, package))
    assert task.status == TaskStatus.FAILED
    assert "update_factory_job_name with HTTP 404 APIGW.0101" in task.message
    fix = f"jobferry remotes edit prod --studio-endpoint {STUDIO}"
    assert f"give the remote its DataArts Studio endpoint ({fix})" in task.message
    assert held(standin) == before


def test_a_change_in_the_remote_since_the_refresh_refuses_the_push_naming_it(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    import_package(services, shadow, _package(tmp_path, "daily_sales"))
    services.imports.deliveries.remote.refresh_seconds = 3600  # plans on the last refresh
    services.remotes.refresh(admin_actor(services), "prod")
    standin.workspace.edit_job("daily_sales", logPath="obs://bucket/hot-fixed")  # a hot-fix
    before = held(standin)
    standin.reset()
    changed = make_job("daily_sales", logPath="obs://bucket/logs/new")
    package = write_package(tmp_path / "next.zip", [changed])
    task = run_import(services, shadow, upload(services, shadow, package))
    assert task.status == TaskStatus.FAILED
    assert "job 'daily_sales'" in task.message
    assert "changed since it was last refreshed" in task.message
    assert "jobferry remotes refresh prod" in task.message
    assert task.result is not None
    assert task.result["changed"] == ["job 'daily_sales'"]
    assert standin.writes() == []
    assert held(standin) == before


def test_a_job_with_a_description_is_pushed_with_sdk_fields_only(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    described = make_job("daily_sales", description="the daily sales load")
    task = run_import(
        services, shadow, upload(services, shadow, write_package(tmp_path / "d.zip", [described]))
    )
    assert standin.refused() == []
    assert task.status == TaskStatus.SUCCESSFUL, task.message


def test_a_kept_plan_is_pushed_without_planning_the_package_again(
    services: Services,
    standin: DataArtsStandin,
    shadow: Scope,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = upload(services, shadow, _package(tmp_path, "daily_sales", "weekly_sales"))
    body = {"path": path, "sameNamePolicy": "OVERWRITE"}
    prepared = services.imports.plan(shadow, parse_import_request(body))
    assert isinstance(prepared, PreparedImport)  # the shadow catches up first, in a task
    services.imports.run(prepared)
    plan_id = services.tasks.show(shadow, prepared.task_id).result["plan"]["plan_id"]
    planned: list[str] = []
    real = Planner.run
    monkeypatch.setattr(Planner, "run", lambda self: planned.append(self.ws_id) or real(self))
    standin.reset()

    task = run_import(services, shadow, path, planId=plan_id)

    assert task.status is TaskStatus.SUCCESSFUL, task.message
    assert "Pushed to remote 'prod'" in task.message
    assert planned == []
    assert sorted(standin.workspace.jobs) == ["daily_sales", "weekly_sales"]
    assert standin.refused() == []


def test_the_refresh_after_a_push_exports_only_the_pushed_jobs_submitted_versions(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    import_package(services, shadow, _package(tmp_path, "daily_sales", "weekly_sales"))
    standin.reset()
    done = services.remotes.refresh(admin_actor(services), "prod")
    # the push's re-read recorded both jobs' list entries and development states: one export,
    # of their submitted versions (a push cannot tell what the remote's saves submitted)
    assert Counter(standin.calls())["export_job_list"] == 1
    assert done.counts["job"]["unchanged"] == 2
    assert done.counts["submitted"]["unchanged"] == 2
    standin.workspace.edit_job("daily_sales", logPath="obs://bucket/hotfix")
    standin.reset()
    done = services.remotes.refresh(admin_actor(services), "prod")
    # its list entry changed since the push: exported and written into the shadow
    assert Counter(standin.calls())["export_job_list"] == 2  # its development state, submitted
    assert done.counts["job"] == {"created": 0, "updated": 1, "deleted": 0, "unchanged": 1}
    assert services.jobs.show(shadow, "daily_sales").document["logPath"] == "obs://bucket/hotfix"
    assert standin.refused() == []


def test_a_push_records_the_list_entries_and_identities_a_refresh_would_record(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    # daily_sales updated: its identity (its definition but its name) changed with it
    _push_then_change_daily_sales(services, standin, shadow, tmp_path)
    ws, names, kinds = shadow.workspace.id, ["daily_sales", "weekly_sales"], (LISTED, CREATED)
    with services.db.transaction(readonly=True) as tx:
        pushed = {kind: remotes_repo.read_hashes_of(tx, ws, kind, names) for kind in kinds}
    with services.db.transaction() as tx:  # what a refresh records of them, read afresh
        for kind in (*kinds, SUBMITTED):
            remotes_repo.forget_read(tx, ws, kind, names)
    services.remotes.refresh(admin_actor(services), "prod")
    with services.db.transaction(readonly=True) as tx:
        read = {kind: remotes_repo.read_hashes_of(tx, ws, kind, names) for kind in kinds}
    assert sorted(pushed[CREATED]) == names
    assert pushed == read
