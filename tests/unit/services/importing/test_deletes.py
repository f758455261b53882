"""What an import deletes (``services.importing.deletes``): with ``propagateDeletes`` only,
only what the target received from the package's source and the source no longer has (a kind
held whole and not listed, or listed as deleted), downstream jobs first, and with problems when
a deleted job is scheduled or still used; and names held by objects that do not go away."""

from __future__ import annotations

import marshal
from pathlib import Path
from typing import Any

import pytest

from jobferry.domain.enums import (
    ObjectKind,
    PlanAction,
    ProblemReason,
    SchedulingPolicy,
)
from jobferry.errors import JobNotFoundError
from jobferry.package.folder import FolderObject, pack
from jobferry.package.reader import PackageReader
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.importing.deletes import Deletes, name_conflicts
from jobferry.services.importing.local import LocalWorkspace
from jobferry.services.importing.matching import Matcher, package_source
from jobferry.services.importing.model import Problem, Record
from jobferry.services.importing.plan import Plan
from jobferry.services.importing.request import ImportRequest, parse_import_request
from jobferry.storage.importing.workset import Workset
from support.builders import make_job, make_script
from support.planning import (
    import_package,
    jobs_with_dependencies,
    plan_into,
    planned_actions,
    run_import,
    uid_of,
    upload,
    workspace,
    write_objects,
)


def deletes_of(
    services: Services, scope: Scope, package: Path, **asked: Any
) -> list[tuple[Record, list[Problem]]]:
    """The DELETE records (and their problems) of importing ``package`` into the scope's
    workspace, with propagateDeletes unless told otherwise."""
    request = ImportRequest(path="upload://p", **({"propagate_deletes": True} | asked))
    with (
        PackageReader(package) as reader,
        Workset(None) as workset,
        services.db.transaction(readonly=True) as tx,
    ):
        target = LocalWorkspace(tx, scope).reader(lock_rows=False)
        matcher = Matcher(target, package_source(reader), reader, request)
        planned = Deletes(scope, request, matcher, workset).plan(1)
    return [(record, problems) for _, record, problems in planned]


def jobs(tmp_path: Path, name: str, *named: dict[str, Any], **kw: Any) -> Path:
    return write_objects(tmp_path / name, jobs_with_dependencies(*named), **kw)


def depends(name: str, *upstream: str) -> dict[str, Any]:
    job = make_job(name)
    job["schedule"]["cron"]["dependJobs"] = {"jobs": list(upstream), "dependPeriod": "SAME_PERIOD"}
    return job


def _promoted(services: Services, tmp_path: Path, *named: dict[str, Any]) -> Scope:
    scope = workspace(services, "prod")
    import_package(services, scope, jobs(tmp_path, "first.zip", *named))
    return scope


def test_a_job_gone_from_a_kind_the_package_holds_whole_is_deleted(
    services: Services, tmp_path: Path
) -> None:
    scope = _promoted(services, tmp_path, make_job("a_job"), make_job("b_job"))
    services.jobs.create(scope, make_job("c_job"))  # made in the target: never deleted
    whole = jobs(tmp_path, "2.zip", make_job("a_job"), inventory=("job",))

    [(record, problems)] = deletes_of(services, scope, whole)

    assert (record.kind, record.name, record.action) == ("job", "b_job", PlanAction.DELETE)
    assert record.uid == uid_of("job", "b_job")
    assert problems == []
    assert deletes_of(services, scope, whole, propagate_deletes=False) == []
    # the scripts are not held whole: those b_job used stay
    assert deletes_of(services, scope, jobs(tmp_path, "3.zip", make_job("a_job"))) == []


def test_an_object_the_source_says_it_deleted_is_deleted(
    services: Services, tmp_path: Path
) -> None:
    scope = _promoted(services, tmp_path, make_job("a_job"), make_job("b_job"))
    gone = (("script", uid_of("script", "b_job_sh"), "b_job_sh"),)
    package = jobs(tmp_path, "2.zip", make_job("a_job"), deleted=gone)

    [(record, problems)] = deletes_of(services, scope, package)

    assert (record.kind, record.name) == ("script", "b_job_sh")
    [problem] = problems  # b_job stays and still runs it
    assert problem.reason is ProblemReason.IN_USE
    assert "job(s) b_job would still use it" in problem.detail


def test_jobs_are_deleted_downstream_first(services: Services, tmp_path: Path) -> None:
    scope = _promoted(services, tmp_path, make_job("a_job"), depends("b_job", "a_job"))
    package = jobs(tmp_path, "2.zip", make_job("z_job"), inventory=("job",))

    found = deletes_of(services, scope, package)

    assert [r.name for r, _ in found] == ["b_job", "a_job"]
    assert all(problems == [] for _, problems in found)  # b_job goes too: a_job is not in use


def test_a_deleted_job_still_used_or_scheduled_is_a_problem(
    services: Services, tmp_path: Path
) -> None:
    scope = _promoted(services, tmp_path, make_job("a_job"), make_job("b_job"))
    services.jobs.create(scope, depends("c_job", "b_job"))  # the target's own, downstream
    services.jobs.start(scope, "b_job")
    package = jobs(tmp_path, "2.zip", make_job("a_job"), inventory=("job",))

    [(record, problems)] = deletes_of(services, scope, package)
    assert record.pause is False  # refused while scheduled, never said to be paused
    assert [p.reason for p in problems] == [ProblemReason.SCHEDULED, ProblemReason.IN_USE]
    assert "c_job" in problems[1].detail
    assert all(p.as_json()["action"] == "DELETE" for p in problems)  # a deletion's problems
    assert [Problem.unpacked(p.packed()) for p in problems] == problems

    pausing = SchedulingPolicy.PAUSE_AND_RESTORE
    [(record, problems)] = deletes_of(services, scope, package, scheduling=pausing)
    assert record.pause is True
    assert [p.reason for p in problems] == [ProblemReason.IN_USE]


def test_a_name_held_by_an_object_that_stays_is_a_conflict() -> None:
    record = Record("job", "b_job", "jobs/b_job.job", "CREATE", None, None, None, [], [], None,
                    None)  # fmt: skip
    with Workset(None) as workset:
        workset.add(
            [
                (1, 3, "job", "b_job", "", "CREATE", record.packed(), None, "uid-held"),
                (2, 3, "job", "c_job", "", "RENAME", record.packed(), "uid-moved", None),
                (3, 3, "job", "d_job", "", "CREATE", record.packed(), None, "uid-moved"),
            ]
        )
        [(seq, problem)] = name_conflicts(workset, "prod")
        assert seq == 1  # d_job's name is freed: its holder is renamed away
        assert problem.reason is ProblemReason.NAME_CONFLICT
        assert "workspace 'prod'" in problem.detail
        assert workset.records([1])[1][1] == [marshal.dumps(problem.packed())]


def _folder_package(tmp_path: Path, name: str, *, whole: bool, **documents: Any) -> Path:
    """A folder's package (``apply -f``): jobs and scripts by name, no identities; ``whole``
    as ``--prune`` packs it."""
    objects = [
        FolderObject(
            ObjectKind.JOB if key.startswith("job_") else ObjectKind.SCRIPT,
            doc["name"],
            f"{key}.json",
            doc,
        )
        for key, doc in documents.items()
    ]
    path = tmp_path / f"{name}.zip"
    with path.open("wb") as out:
        pack(objects, out, whole=whole)
    return path


def test_a_folder_packed_whole_prunes_what_the_target_holds_beside_it(
    services: Services, tmp_path: Path
) -> None:
    """No ledger, no source: every job and script of the target that no object of the
    folder is matched to is a DELETE without a ledger row; what the folder holds stays."""
    scope = workspace(services, "prod")
    for name in ("kept_sql", "gone_sql"):
        services.scripts.create(scope, make_script(name))
    services.jobs.create(scope, make_job("gone_job"))
    kept = make_script("kept_sql")
    package = _folder_package(tmp_path, "whole", whole=True, script_kept=kept)
    with (
        PackageReader(package) as reader,
        Workset(None) as workset,
        services.db.transaction(readonly=True) as tx,
    ):
        plan = plan_into(LocalWorkspace(tx, scope), reader, workset, propagate_deletes=True)
        actions = planned_actions(plan, workset)
        records = [Record.unpacked(r[0]) for r in workset.records(plan.order).values()]
    assert actions[("script", "kept_sql")] == PlanAction.UNCHANGED
    pruned = {(r.kind, r.name) for r in records if r.action == PlanAction.DELETE}
    assert ("script", "gone_sql") in pruned
    assert ("job", "gone_job") in pruned
    assert ("script", "kept_sql") not in pruned
    assert all(r.ledger is None for r in records if r.action == PlanAction.DELETE)


def test_a_folder_not_packed_whole_or_planned_without_propagate_deletes_prunes_nothing(
    services: Services, tmp_path: Path
) -> None:
    scope = workspace(services, "prod")
    services.scripts.create(scope, make_script("gone_sql"))
    kept = make_script("kept_sql")
    for whole, propagate in ((False, True), (True, False)):
        package = _folder_package(tmp_path, f"p{whole}", whole=whole, script_kept=kept)
        with (
            PackageReader(package) as reader,
            Workset(None) as workset,
            services.db.transaction(readonly=True) as tx,
        ):
            plan = plan_into(
                LocalWorkspace(tx, scope), reader, workset, propagate_deletes=propagate
            )
            actions = planned_actions(plan, workset)
        assert PlanAction.DELETE not in actions.values(), (whole, propagate)


def test_the_kept_plan_lists_the_pause_of_a_scheduled_job_it_deletes(
    services: Services, tmp_path: Path
) -> None:
    scope = _promoted(services, tmp_path, make_job("a_job"), make_job("b_job"))
    services.jobs.start(scope, "b_job")
    path = upload(services, scope, jobs(tmp_path, "2.zip", make_job("a_job"), inventory=("job",)))
    options = {"propagateDeletes": True, "scheduling": "PAUSE_AND_RESTORE"}
    body = {"path": path, "sameNamePolicy": "OVERWRITE", **options}
    plan = services.imports.plan(scope, parse_import_request(body))
    assert isinstance(plan, Plan)
    [gone] = [line for line in plan.lines if line.action is PlanAction.DELETE]
    assert (gone.name, gone.pause) == ("b_job", True)

    task = run_import(services, scope, path, planId=plan.plan_id, **options)

    assert task.status == "SUCCESSFUL", task.message
    with pytest.raises(JobNotFoundError):
        services.jobs.show(scope, "b_job")


def _saved_without_its_script(services: Services, scope: Scope, name: str) -> dict[str, Any]:
    """Job ``name`` saved (not submitted) running a_job_sh instead of its own script: its latest
    submitted version still runs ``{name}_sh``."""
    saved = make_job(name)
    saved["nodes"][1]["properties"][0]["value"] = "a_job_sh"
    services.jobs.update(scope, name, saved | {"targetStatus": "SAVED"})
    return saved


def test_what_a_job_s_submitted_version_alone_still_uses_is_a_problem(
    services: Services, tmp_path: Path
) -> None:
    scope = _promoted(services, tmp_path, make_job("a_job"), make_job("b_job"))
    _saved_without_its_script(services, scope, "b_job")
    gone = (("script", uid_of("script", "b_job_sh"), "b_job_sh"),)
    package = jobs(tmp_path, "2.zip", make_job("a_job"), deleted=gone)

    [(record, problems)] = deletes_of(services, scope, package)

    assert (record.kind, record.name) == ("script", "b_job_sh")
    [problem] = problems  # scheduled, b_job would run a script that is gone
    assert problem.reason is ProblemReason.IN_USE
    assert "the submitted version of job(s) b_job would still use it" in problem.detail
    assert "submit b_job again" in problem.fix


def test_a_job_the_import_submits_again_no_longer_uses_by_its_old_version(
    services: Services, tmp_path: Path
) -> None:
    scope = _promoted(services, tmp_path, make_job("a_job"), make_job("b_job"))
    saved = _saved_without_its_script(services, scope, "b_job")
    gone = (("script", uid_of("script", "b_job_sh"), "b_job_sh"),)
    changed = saved | {"description": "runs a_job_sh now"}
    held = jobs_with_dependencies(make_job("a_job"), changed)
    package = write_objects(
        tmp_path / "2.zip", [e for e in held if e[1] != "b_job_sh"], deleted=gone
    )
    path = upload(services, scope, package)
    body = {"path": path, "sameNamePolicy": "OVERWRITE", "propagateDeletes": True}

    def in_use(**asked: str) -> list[str]:
        plan = services.imports.plan(scope, parse_import_request(body | asked))
        assert isinstance(plan, Plan)
        return [p.name for p in plan.problems if p.reason is ProblemReason.IN_USE]

    assert in_use() == []  # the import writes b_job as a new submitted version
    assert in_use(targetStatus="SAVED") == ["b_job_sh"]  # version 1 stays its latest


def test_a_job_the_submitted_version_of_another_depends_on_is_a_problem(
    services: Services, tmp_path: Path
) -> None:
    scope = _promoted(services, tmp_path, make_job("a_job"), make_job("b_job"))
    services.jobs.create(scope, depends("c_job", "b_job"))  # submitted, depending on b_job
    services.jobs.update(scope, "c_job", make_job("c_job") | {"targetStatus": "SAVED"})
    elsewhere = workspace(services, "qa")
    other = make_job("d_job")
    other["schedule"]["cron"]["dependJobs"] = {
        "jobs": [],
        "otherWorkSpaceJobs": [{"jobName": "b_job", "workSpace": scope.workspace.name}],
    }
    services.jobs.create(elsewhere, other)
    services.jobs.update(elsewhere, "d_job", make_job("d_job") | {"targetStatus": "SAVED"})
    package = jobs(tmp_path, "2.zip", make_job("a_job"), inventory=("job",))

    [(record, problems)] = deletes_of(services, scope, package)

    assert (record.kind, record.name) == ("job", "b_job")
    [problem] = problems
    assert problem.reason is ProblemReason.IN_USE
    assert "the submitted version of job(s) c_job, qa/d_job" in problem.detail
