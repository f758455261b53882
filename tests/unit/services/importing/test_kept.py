"""A kept plan applied as it was made (``services.importing.kept``): an import naming a plan
makes the plan's reads of its target again and applies the kept working set, without reading
and planning the package again; a target changed since is refused exactly as before; a plan
whose files are not here, or whose reads answer otherwise beyond what the fingerprint hashes,
is planned again; the files go with their plan."""

from __future__ import annotations

import re
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from jobferry.domain.enums import TaskStatus
from jobferry.errors import BasisChangedError, JobNotFoundError, PlanStaleError, StoreFullError
from jobferry.package.basisblock import BasisBlock, BasisObject
from jobferry.services.container import Services
from jobferry.services.context import Scope, now_ms
from jobferry.services.importing import kept as kept_module
from jobferry.services.importing.plan import Plan
from jobferry.services.importing.planner import Planner
from jobferry.services.importing.request import parse_import_request
from jobferry.services.taskviews import Task
from jobferry.storage.importing.plans import plans_among
from jobferry.storage.importing.workset import Workset
from support.builders import make_job
from support.packages import HEADER, write_package
from support.planning import (
    import_package,
    jobs_with_dependencies,
    run_import,
    uid_of,
    upload,
    workspace,
    write_objects,
)
from support.progress import said_by


@pytest.fixture
def scope(services: Services) -> Scope:
    return workspace(services, "prod")


@pytest.fixture
def planned(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The plans made (``Planner.run`` calls), by workspace id."""
    calls: list[str] = []
    real = Planner.run

    def counted(self: Planner) -> Any:
        calls.append(self.ws_id)
        return real(self)

    monkeypatch.setattr(Planner, "run", counted)
    return calls


@pytest.fixture
def progress(services: Services, monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, str]]:
    """What tasks said as they went."""
    return said_by(services, monkeypatch)


def _plan(services: Services, scope: Scope, path: str, **options: Any) -> Plan:
    body = {"path": path, "sameNamePolicy": "OVERWRITE", **options}
    plan = services.imports.plan(scope, parse_import_request(body))
    assert isinstance(plan, Plan)
    return plan


def _forget_files(services: Services, plan: Plan) -> None:
    folder = services.imports.plans.kept.folder(plan.plan_id)
    assert folder is not None
    assert folder.is_dir()
    shutil.rmtree(folder)


def _ended(task: Task) -> tuple[Any, ...]:
    """What an import's task says at its end, its subtasks included."""
    subtasks = [(s["name"], s["status"], s["message"]) for s in task.subtasks or ()]
    return (task.status, task.message, subtasks)


def test_a_kept_plan_is_applied_without_reading_or_planning_the_package_again(
    services: Services,
    scope: Scope,
    tmp_path: Path,
    planned: list[str],
    progress: list[tuple[int, str]],
) -> None:
    path = upload(services, scope, write_package(tmp_path / "p.zip"))
    plan = _plan(services, scope, path)
    assert services.imports.plans.kept.has(plan.plan_id)
    planned.clear()

    task = run_import(services, scope, path, planId=plan.plan_id)

    assert task.status is TaskStatus.SUCCESSFUL, task.message
    assert planned == []
    assert any("as it was made" in message for _, message in progress)
    assert services.jobs.show(scope, "daily_sales").name == "daily_sales"


def test_a_kept_plan_s_files_go_once_its_import_succeeded_and_its_page_stays(
    services: Services, scope: Scope, tmp_path: Path
) -> None:
    """Only an import naming the plan reads its kept files; once one ended well they are
    removed, not left until the plans' expiry. The plan's page and lines read the database."""
    path = upload(services, scope, write_package(tmp_path / "p.zip"))
    plan = _plan(services, scope, path)
    kept = services.imports.plans.kept

    task = run_import(services, scope, path, planId=plan.plan_id)

    assert task.status is TaskStatus.SUCCESSFUL, task.message
    assert not kept.has(plan.plan_id)
    assert kept.held() == []
    again = services.imports.plans.plan(scope, plan.plan_id)
    assert plan.lines
    assert [line.target_name for line in again.lines] == [line.target_name for line in plan.lines]


def test_a_kept_plan_s_files_stay_when_its_import_failed(
    services: Services, scope: Scope, tmp_path: Path
) -> None:
    """ATOMIC with a failing object writes nothing: the same plan may be applied again (once
    the cause is mended), and its files spare it the planning."""
    jobs = [make_job("good_job"), make_job("bad_job", processType="SOMETIMES")]
    path = upload(services, scope, write_package(tmp_path / "p.zip", jobs))
    plan = _plan(services, scope, path)

    task = run_import(services, scope, path, planId=plan.plan_id)

    assert task.status is TaskStatus.FAILED, task.message
    assert services.imports.plans.kept.has(plan.plan_id)


def test_the_kept_plan_and_a_plan_made_again_import_the_same(
    services: Services, tmp_path: Path, planned: list[str]
) -> None:
    """PER_OBJECT with a failing object: the kept plan's failures, counts and subtasks are the
    ones a plan made again gives."""
    jobs = [make_job("good_job"), make_job("bad_job", processType="SOMETIMES")]
    package = write_package(tmp_path / "p.zip", jobs)
    ended = []
    for name, keep in (("kept", True), ("again", False)):
        scope = workspace(services, name)
        path = upload(services, scope, package)
        plan = _plan(services, scope, path, mode="PER_OBJECT")
        if not keep:
            _forget_files(services, plan)
        planned.clear()
        task = run_import(services, scope, path, planId=plan.plan_id, mode="PER_OBJECT")
        assert planned == ([] if keep else [scope.workspace.id])
        ended.append(_ended(task))
        services.jobs.show(scope, "good_job")
        with pytest.raises(JobNotFoundError):
            services.jobs.show(scope, "bad_job")

    assert ended[0] == ended[1]
    assert ended[0][0] is TaskStatus.WARNING


def _renames_and_deletes(services: Services, name: str, tmp_path: Path) -> tuple[Scope, Path]:
    """A workspace holding a_job and gone_job (imported) and a job of its own using a_job; the
    package renaming a_job to new_job, whose source deleted gone_job."""
    scope = workspace(services, name)
    first = jobs_with_dependencies(make_job("a_job"), make_job("gone_job"))
    import_package(services, scope, write_objects(tmp_path / f"{name}-1.zip", first))
    own = make_job("own_job")
    own["schedule"]["cron"]["dependJobs"] = {"jobs": ["a_job"], "dependPeriod": "SAME_PERIOD"}
    services.jobs.create(scope, own)
    objects = jobs_with_dependencies(make_job("a_job"))
    objects[0] = ("job", "new_job", {**make_job("a_job"), "name": "new_job"})
    gone = (("job", uid_of("job", "gone_job"), "gone_job"),)
    package = write_objects(
        tmp_path / f"{name}-2.zip",
        objects,
        uids={"new_job": uid_of("job", "a_job")},
        deleted=gone,
    )
    return scope, package


def test_a_kept_plan_renames_deletes_and_rewrites_as_it_listed(
    services: Services, tmp_path: Path, planned: list[str]
) -> None:
    ended = []
    for name, keep in (("kept", True), ("again", False)):
        scope, package = _renames_and_deletes(services, name, tmp_path)
        path = upload(services, scope, package)
        plan = _plan(services, scope, path, propagateDeletes=True)
        assert (plan.summary.rename, plan.summary.delete, plan.rewrites) == (
            1,
            1,
            ("own_job",),
        )
        if not keep:
            _forget_files(services, plan)
        planned.clear()
        task = run_import(services, scope, path, planId=plan.plan_id, propagateDeletes=True)
        assert task.status is TaskStatus.SUCCESSFUL, task.message
        assert planned == ([] if keep else [scope.workspace.id])
        ended.append(_ended(task))
        depends = services.jobs.show(scope, "own_job").document["schedule"]["cron"]
        assert depends["dependJobs"]["jobs"] == ["new_job"]
        for gone in ("a_job", "gone_job"):
            with pytest.raises(JobNotFoundError):
                services.jobs.show(scope, gone)

    assert ended[0] == ended[1]


def _object_changed(services: Services, scope: Scope) -> None:
    services.jobs.create(scope, make_job("daily_sales", description="made since"))


def _connection_gone(services: Services, scope: Scope) -> None:
    services.environment.delete(scope, "connection", "dws_conn")


def _connection_made(services: Services, scope: Scope) -> None:
    body = {"type": "DWS", "config": {}, "secrets": {"password": "pw"}}
    services.environment.put(scope, "connection", "other_conn", body)


def _profile_changed(services: Services, scope: Scope) -> None:
    services.profiles.put(scope, "release", b'{"params": {"env": "q"}}')


def _tag_locked(services: Services, scope: Scope) -> None:
    services.governance.put_tag(scope, "daily", True)


def _job_locked(services: Services, scope: Scope) -> None:
    services.governance.acquire(scope, "job", "daily_sales")


@pytest.mark.parametrize(
    "change",
    [
        _object_changed,
        _connection_gone,
        _connection_made,
        _profile_changed,
        _tag_locked,
        _job_locked,
    ],
)
def test_a_target_changed_since_the_plan_is_refused_as_a_plan_made_again_refuses_it(
    services: Services, tmp_path: Path, planned: list[str], change: Any
) -> None:
    package = write_package(tmp_path / "p.zip")
    ended = []
    for name, keep in (("kept", True), ("again", False)):
        scope = workspace(services, name)
        if change is _connection_made:  # the plan found it missing
            services.environment.delete(scope, "connection", "dws_conn")
            package = write_package(tmp_path / "p.zip", [_using("other_conn")])
        if change is _job_locked:  # a job of the target, to lock
            services.jobs.create(scope, make_job("daily_sales", description="the target's"))
        services.profiles.put(scope, "release", b'{"params": {"env": "p"}}')
        path = upload(services, scope, package)
        plan = _plan(services, scope, path, profile="release", mode="PER_OBJECT")
        if not keep:
            _forget_files(services, plan)
        change(services, scope)
        planned.clear()

        task = run_import(
            services, scope, path, planId=plan.plan_id, profile="release", mode="PER_OBJECT"
        )

        assert planned == ([] if keep else [scope.workspace.id])
        assert task.status is TaskStatus.FAILED
        assert task.message.startswith(f"The target changed since plan {plan.plan_id} was made")
        assert task.result is not None
        assert (task.result["errorCode"], task.result["remedy"]) == (
            PlanStaleError.code,
            "plan_again",
        )
        if change not in (_object_changed, _job_locked):
            with pytest.raises(JobNotFoundError):  # nothing was imported
                services.jobs.show(scope, "daily_sales")
        result = {k: _alike(str(v), plan.plan_id) for k, v in task.result.items()}
        ended.append((task.status, _alike(task.message, plan.plan_id), result))

    assert ended[0] == ended[1]


def _alike(said: str, plan_id: str) -> str:
    """What a refusal says, its plan and the moments of the changes it names left out."""
    said = re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", "AT", said.replace(plan_id, "ID"))
    return re.sub(r"'at': \d+", "'at': AT", said)


def _using(connection: str) -> dict[str, Any]:
    """daily_sales, its SQL node on ``connection``."""
    job = make_job("daily_sales")
    for node in job["nodes"]:
        for prop in node["properties"]:
            if prop["name"] == "connectionName" and prop["value"] == "dws_conn":
                prop["value"] = connection
    return job


def test_a_kept_plan_whose_files_are_gone_is_planned_again_and_says_so(
    services: Services,
    scope: Scope,
    tmp_path: Path,
    planned: list[str],
    progress: list[tuple[int, str]],
) -> None:
    path = upload(services, scope, write_package(tmp_path / "p.zip"))
    plan = _plan(services, scope, path)
    _forget_files(services, plan)
    planned.clear()

    task = run_import(services, scope, path, planId=plan.plan_id)

    assert task.status is TaskStatus.SUCCESSFUL, task.message
    assert planned == [scope.workspace.id]
    assert any("not kept here: planning again" in message for _, message in progress)


def test_what_the_fingerprint_does_not_hash_changed_since_plans_again(
    services: Services, scope: Scope, tmp_path: Path, planned: list[str]
) -> None:
    """A policy is not in the fingerprint: a plan made now finds what it forbids, as every
    apply did before plans were kept."""
    path = upload(services, scope, write_package(tmp_path / "p.zip"))
    plan = _plan(services, scope, path)
    services.policies.put(scope, None, {"owners": ["ops"]})
    planned.clear()

    task = run_import(services, scope, path, planId=plan.plan_id)

    assert planned == [scope.workspace.id]
    assert task.status is TaskStatus.FAILED
    assert "problem(s); nothing was imported" in task.message
    with pytest.raises(JobNotFoundError):
        services.jobs.show(scope, "daily_sales")


def test_kept_files_go_with_their_plan_when_it_expires(
    services: Services, scope: Scope, tmp_path: Path
) -> None:
    path = upload(services, scope, write_package(tmp_path / "p.zip"))
    plan = _plan(services, scope, path)
    kept = services.imports.plans.kept
    orphan = kept.root / ("0" * 32)  # a plan refused while its files were kept
    shutil.copytree(kept.root / plan.plan_id, orphan)

    services.imports.sweep()
    assert kept.held() == [plan.plan_id]

    services.imports.sweep(now_ms() + services.settings.download_ttl_seconds * 1000 + 1)
    assert kept.held() == []
    assert not kept.root.exists() or list(kept.root.iterdir()) == []


def test_a_kept_working_set_reads_back_what_planning_wrote(tmp_path: Path) -> None:
    with Workset(tmp_path) as workset:
        workset.add([(1, 0, "job", "a_job", "/", "CREATE", b"record", None, None)])
        workset.add_read(b"a read")
        workset.keep(tmp_path / "kept")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept"]

    with Workset.reopen(tmp_path / "kept") as again:
        assert again.records([1]) == {1: (b"record", [])}
        assert list(again.reads()) == [b"a read"]
    assert (tmp_path / "kept" / "records").exists()  # closing leaves the kept files


def test_kept_files_under_a_relative_data_folder_are_read_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # make run's default data folder is relative ("data"): its kept plans are read, not
    # planned again for want of a file URI.
    monkeypatch.chdir(tmp_path)
    Path("data").mkdir()
    with Workset(Path("data")) as workset:
        workset.add_read(b"a read")
        workset.keep(Path("data") / "kept")
    with Workset.reopen(Path("data") / "kept") as again:
        assert list(again.reads()) == [b"a read"]


def test_kept_files_another_version_kept_are_not_read_and_the_plan_is_made_again(
    services: Services, scope: Scope, tmp_path: Path, planned: list[str]
) -> None:
    path = upload(services, scope, write_package(tmp_path / "p.zip"))
    plan = _plan(services, scope, path)
    kept = services.imports.plans.kept
    outcome = kept.root / plan.plan_id / "outcome.json"
    outcome.write_bytes(outcome.read_bytes().replace(b'"version":"', b'"version":"0.0.1-'))
    assert kept.open(plan.plan_id) is None
    planned.clear()

    task = run_import(services, scope, path, planId=plan.plan_id)

    assert task.status is TaskStatus.SUCCESSFUL, task.message
    assert planned == [scope.workspace.id]


def test_a_plan_whose_files_cannot_be_kept_is_not_kept_and_leaves_no_files(
    services: Services, scope: Scope, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = upload(services, scope, write_package(tmp_path / "p.zip"))

    def full(*_: Any) -> bytes:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(kept_module, "_stored", full)
    with pytest.raises(StoreFullError, match="Nothing half-written was kept"):
        _plan(services, scope, path)

    kept = services.imports.plans.kept
    assert list(kept.root.iterdir()) == []
    assert list(kept.root.parent.glob("plan-*")) == []  # nor the working set it planned into
    with services.db.transaction(readonly=True) as tx:
        assert plans_among(tx, kept.held()) == set()


def test_a_basis_changed_since_the_plan_is_refused_as_a_plan_made_again_refuses_it(
    services: Services, tmp_path: Path, planned: list[str]
) -> None:
    """A package cut against a snapshot names what it found there; the kept plan's apply
    checks it first, as a plan does, and refuses with the same error."""
    basis = BasisBlock(
        "prod",
        "prod.zip",
        "a" * 64,
        None,
        "jobferry",
        1,
        (BasisObject("job", "daily_sales", None),),
    )
    package = write_package(tmp_path / "p.zip", header=replace(HEADER, basis=basis))
    ended = []
    for name, keep in (("kept", True), ("again", False)):
        scope = workspace(services, name)
        path = upload(services, scope, package)
        plan = _plan(services, scope, path)
        if not keep:
            _forget_files(services, plan)
        services.jobs.create(scope, make_job("daily_sales", description="made since"))
        planned.clear()

        task = run_import(services, scope, path, planId=plan.plan_id)

        assert planned == ([] if keep else [scope.workspace.id])
        assert task.status is TaskStatus.FAILED
        assert task.result is not None
        assert task.result["errorCode"] == BasisChangedError.code
        said = task.message.replace(f"'{name}'", "'WS'").replace(f"-w {name})", "-w WS)")
        ended.append((said, task.result))

    assert ended[0] == ended[1]


def _folder_bytes(folder: Path) -> int:
    return sum(entry.stat().st_size for entry in folder.iterdir() if entry.is_file())


def test_kept_files_past_the_budget_go_oldest_first_and_their_plans_are_planned_again(
    services: Services, scope: Scope, tmp_path: Path, planned: list[str]
) -> None:
    path = upload(services, scope, write_package(tmp_path / "p.zip"))
    first = _plan(services, scope, path)
    kept = services.imports.plans.kept
    one = _folder_bytes(kept.root / first.plan_id)
    services.imports.plans.kept = kept = replace(kept, budget=one * 2 + one // 2)

    second = _plan(services, scope, path)
    assert kept.held() == sorted([first.plan_id, second.plan_id])
    third = _plan(services, scope, path)  # three plans' files are over the budget
    assert set(kept.held()) == {second.plan_id, third.plan_id}

    planned.clear()
    task = run_import(services, scope, path, planId=first.plan_id)
    assert task.status is TaskStatus.SUCCESSFUL, task.message
    assert planned == [scope.workspace.id]  # its files were dropped: planned again


def test_a_budget_of_nothing_keeps_no_files_and_every_import_plans_again(
    services: Services, scope: Scope, tmp_path: Path, planned: list[str]
) -> None:
    services.imports.plans.kept = replace(services.imports.plans.kept, budget=0)
    path = upload(services, scope, write_package(tmp_path / "p.zip"))
    plan = _plan(services, scope, path)
    assert services.imports.plans.kept.held() == []
    planned.clear()

    task = run_import(services, scope, path, planId=plan.plan_id)

    assert task.status is TaskStatus.SUCCESSFUL, task.message
    assert planned == [scope.workspace.id]
