"""Locks on jobs and scripts through an import and its rollback (docs/api.md, locks: under the
hard policy another user's lock refuses changes): a lock goes with the object an import or a
rollback deletes and follows the job an import renames, as it does through the job calls; an
import deleting a job another user locked under the hard policy is refused like the
delete call (a ``locked`` problem of the deletion); under the soft policy the plan's lines of
the objects it changes anyway say who holds the lock (``lockedBy``), and refuse nothing."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from jobferry.domain.enums import (
    ImportMode,
    LockPolicy,
    ObjectKind,
    PlanAction,
    ProblemReason,
    Role,
    SameNamePolicy,
)
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.importing.plan import Plan
from jobferry.services.importing.request import parse_import_request
from jobferry.services.workspaces.settings import WorkspaceSettings
from jobferry.storage.importing import rollbacks, snapshots
from jobferry.storage.importing import target as target_repo
from support.builders import make_job, make_script
from support.planning import (
    import_package,
    jobs_with_dependencies,
    plan_of,
    run_import,
    uid_of,
    upload,
    workspace,
    write_objects,
)


def _package(tmp_path: Path, file: str, *names: str, **kw: object) -> Path:
    objects = jobs_with_dependencies(*(make_job(n) for n in names))
    return write_objects(tmp_path / file, objects, **kw)  # type: ignore[arg-type]


def _locks(services: Services, scope: Scope) -> dict[tuple[str, str], str]:
    return {(lk.kind.value, lk.name): lk.holder for lk in services.governance.list_locks(scope)}


def _with_policy(services: Services, scope: Scope, policy: LockPolicy) -> Scope:
    """The scope again, its workspace's lock policy set to ``policy``."""
    actor = scope.actor
    change = WorkspaceSettings(lock_policy=policy)
    services.accounts.update_workspace(actor, actor.project_id, scope.workspace.id, change)
    return services.accounts.scope(actor, actor.project_id, scope.workspace.id)


def _developer(services: Services, scope: Scope, name: str) -> Scope:
    """A developer of the scope's workspace: their scope."""
    accounts, boss = services.accounts, scope.actor
    accounts.create_user(boss, boss.project_id, name, False)
    accounts.set_role(boss, boss.project_id, name, scope.workspace.id, Role.DEVELOPER)
    actor = accounts.actor_for(accounts.issue_credential(boss, boss.project_id, name).access_key)
    return accounts.scope(actor, actor.project_id, scope.workspace.id)


def test_an_import_deleting_a_job_takes_its_lock_with_it(
    services: Services, tmp_path: Path
) -> None:
    scope = workspace(services, "prod")
    import_package(services, scope, _package(tmp_path, "1.zip", "a_job", "b_job"))
    services.governance.acquire(scope, ObjectKind.JOB, "b_job")

    whole = _package(tmp_path, "2.zip", "a_job", inventory=("job",))
    import_package(services, scope, whole, propagateDeletes=True)

    assert _locks(services, scope) == {}
    services.jobs.create(scope, make_job("b_job"))  # made again: nobody's
    assert _locks(services, scope) == {}


def test_an_import_renaming_a_job_carries_its_lock_to_the_new_name(
    services: Services, tmp_path: Path
) -> None:
    scope = workspace(services, "prod")
    import_package(services, scope, _package(tmp_path, "1.zip", "a_job"))
    services.governance.acquire(scope, ObjectKind.JOB, "a_job")
    holder = scope.actor.name

    renamed = _package(tmp_path, "2.zip", "z_job", uids={"z_job": uid_of("job", "a_job")})
    import_package(services, scope, renamed)

    assert [
        j.name
        for j in services.jobs.list_jobs(
            scope, job_type=None, job_name="_job", tags=None, limit=10, offset=0
        )[1]
    ] == ["z_job"]
    assert _locks(services, scope) == {("job", "z_job"): holder}


def test_a_rollback_deleting_what_an_import_made_takes_its_lock_with_it(
    services: Services, tmp_path: Path
) -> None:
    scope = workspace(services, "prod")
    task = import_package(services, scope, _package(tmp_path, "1.zip", "a_job"))
    services.governance.acquire(scope, ObjectKind.JOB, "a_job")

    services.rollback.rollback(scope, task.id)

    assert _locks(services, scope) == {}


def test_an_import_deleting_a_job_another_user_locked_under_the_hard_policy_is_refused(
    services: Services, tmp_path: Path
) -> None:
    scope = workspace(services, "prod")
    import_package(services, scope, _package(tmp_path, "1.zip", "a_job", "b_job"))
    change = WorkspaceSettings(lock_policy=LockPolicy.HARD)
    services.accounts.update_workspace(
        scope.actor, scope.actor.project_id, scope.workspace.id, change
    )
    scope = services.accounts.scope(scope.actor, scope.actor.project_id, scope.workspace.id)
    dev = _developer(services, scope, "dana")
    services.governance.acquire(dev, ObjectKind.JOB, "b_job")

    whole = _package(tmp_path, "2.zip", "a_job", inventory=("job",))
    task = run_import(services, scope, upload(services, scope, whole), propagateDeletes=True)

    assert task.status == "FAILED", task.message
    problems = task.result["problems"]
    locked = [p for p in problems if p["reason"] == ProblemReason.LOCKED]
    assert [(p["kind"], p["name"], p.get("action")) for p in locked] == [
        ("job", "b_job", PlanAction.DELETE)
    ]
    assert "dana" in locked[0]["detail"]
    assert services.jobs.show(scope, "b_job").name == "b_job"
    assert _locks(services, scope) == {("job", "b_job"): "dana"}


def test_jobs_renamed_in_bulk_carry_their_locks_and_scripts_deleted_in_bulk_take_theirs(
    services: Services,
) -> None:
    """The storage every rename and delete of an import, a rollback and a remote's refresh
    goes through: two jobs that end up with each other's names (through free ones) end up
    with each other's locks; scripts deleted in bulk take theirs."""
    scope = workspace(services, "prod")
    dev = _developer(services, scope, "dana")
    for name in ("a_job", "b_job"):
        services.jobs.create(scope, make_job(name))
    services.scripts.create(scope, make_script("a_sql"))
    services.governance.acquire(scope, ObjectKind.JOB, "a_job")
    services.governance.acquire(dev, ObjectKind.JOB, "b_job")
    services.governance.acquire(dev, ObjectKind.SCRIPT, "a_sql")
    with services.db.transaction() as tx:
        held = target_repo.target_jobs(tx, scope.workspace.id, ["a_job", "b_job"])
        script = target_repo.target_scripts(tx, scope.workspace.id, ["a_sql"])["a_sql"]
        swap = [(held["a_job"].id, "b_job"), (held["b_job"].id, "a_job")]
        snapshots.rename(tx, ObjectKind.JOB, [(i, f"{n}_") for i, n in swap])
        snapshots.rename(tx, ObjectKind.JOB, swap)
        rollbacks.delete_scripts(tx, [script.id])

    assert _locks(services, scope) == {("job", "a_job"): "dana", ("job", "b_job"): "admin"}


def _locked_lines(
    services: Services, scope: Scope, package: Path
) -> tuple[dict[str, tuple[str, str | None]], list[str]]:
    """name → (action, lockedBy) of the plan's job lines, and the reasons of its problems."""
    plan = plan_of(
        services,
        scope,
        package,
        same_name_policy=SameNamePolicy.OVERWRITE,
        propagate_deletes=True,
    )
    lines = {
        line["name"]: (line["action"], line.get("lockedBy"))
        for line in plan.lines
        if line["kind"] == "job"
    }
    return lines, [str(p.reason) for p in plan.problems]


def _dana_holds_two(services: Services, tmp_path: Path) -> tuple[Scope, Path]:
    """Workspace prod holding a_job, b_job and c_job, dana (a developer) locking the first two
    and the importer c_job; a package overwriting a_job and c_job, its inventory deleting
    b_job."""
    scope = workspace(services, "prod")
    import_package(services, scope, _package(tmp_path, "1.zip", "a_job", "b_job", "c_job"))
    dev = _developer(services, scope, "dana")
    for name in ("a_job", "b_job"):
        services.governance.acquire(dev, ObjectKind.JOB, name)
    services.governance.acquire(scope, ObjectKind.JOB, "c_job")  # the importer's own
    jobs = [make_job("a_job", description="changed"), make_job("c_job", description="changed")]
    package = write_objects(
        tmp_path / "2.zip",
        jobs_with_dependencies(*jobs),
        inventory=("job",),  # type: ignore[arg-type]
    )
    return scope, package


def test_a_plan_says_who_holds_a_lock_under_the_soft_policy_and_refuses_nothing(
    services: Services, tmp_path: Path
) -> None:
    scope, package = _dana_holds_two(services, tmp_path)

    soft, problems = _locked_lines(services, scope, package)
    assert soft == {
        "a_job": (PlanAction.OVERWRITE, "dana"),
        "b_job": (PlanAction.DELETE, "dana"),
        "c_job": (PlanAction.OVERWRITE, None),  # one's own lock says nothing
    }
    assert ProblemReason.LOCKED not in problems

    hard, problems = _locked_lines(
        services, _with_policy(services, scope, LockPolicy.HARD), package
    )
    assert hard == {
        "a_job": (PlanAction.OVERWRITE, None),
        "b_job": (PlanAction.DELETE, None),
        "c_job": (PlanAction.OVERWRITE, None),
    }
    assert problems.count(ProblemReason.LOCKED) == 2  # the hard policy refuses instead


def test_a_plan_made_by_a_lock_s_holder_is_not_applied_by_another_user(
    services: Services, tmp_path: Path
) -> None:
    # Dana's plan passes over her own lock; an admin importing with it would have written
    # over a job locked by another user under the hard policy, as no plan of theirs does.
    scope = workspace(services, "prod")
    import_package(services, scope, _package(tmp_path, "1.zip", "a_job"))
    scope = _with_policy(services, scope, LockPolicy.HARD)
    dev = _developer(services, scope, "dana")
    services.governance.acquire(dev, ObjectKind.JOB, "a_job")
    changed = jobs_with_dependencies(make_job("a_job", description="v2"))
    path = upload(services, dev, write_objects(tmp_path / "2.zip", changed))
    planned = services.imports.plan(
        dev, parse_import_request({"path": path, "sameNamePolicy": "OVERWRITE"})
    )
    assert isinstance(planned, Plan)
    assert planned.problems == ()

    task = run_import(services, scope, path, planId=planned.plan_id)

    assert task.status == "FAILED", task.message
    assert task.result["errorCode"] == "DLF.9015"
    assert f"plan {planned.plan_id} was made; nothing was imported." in task.message
    assert "It was planned by 'dana': a lock's holder and everyone else may change" in task.message
    assert services.jobs.show(scope, "a_job").document.get("description") != "v2"
    own = run_import(services, dev, path, planId=planned.plan_id)  # hers to apply
    assert own.status == "SUCCESSFUL", own.message


def _renaming_a_job_used_by(
    services: Services, tmp_path: Path, *users: str, carried: Sequence[dict[str, Any]] = ()
) -> tuple[Scope, Scope, str]:
    """A workspace holding a_job (imported) and jobs of its own depending on it (``users``);
    Dana, a developer there; the package renaming a_job to new_job (with the jobs
    ``carried``), uploaded."""
    scope = workspace(services, "prod")
    import_package(services, scope, _package(tmp_path, "1.zip", "a_job"))
    for name in users:
        own = make_job(name)
        own["nodes"] = own["nodes"][:1]
        own["nodes"][0]["properties"][0]["value"] = "a_job_sql"
        own["schedule"]["cron"]["dependJobs"] = {"jobs": ["a_job"], "dependPeriod": "SAME_PERIOD"}
        services.jobs.create(scope, own)
    objects = jobs_with_dependencies(make_job("a_job"), *carried)
    objects[0] = ("job", "new_job", {**make_job("a_job"), "name": "new_job"})
    renaming = write_objects(tmp_path / "2.zip", objects, uids={"new_job": uid_of("job", "a_job")})
    return scope, _developer(services, scope, "dana"), upload(services, scope, renaming)


def test_a_job_a_rename_rewrites_says_who_holds_its_lock_under_the_soft_policy(
    services: Services, tmp_path: Path
) -> None:
    # The rename rewrites own_job's dependency on a_job: a write over Dana's lock, which the
    # plan said nothing of (only a line of the package's own objects said a lock).
    scope, dana, path = _renaming_a_job_used_by(services, tmp_path, "another_job", "own_job")
    services.governance.acquire(dana, ObjectKind.JOB, "own_job")
    request = parse_import_request({"path": path, "sameNamePolicy": "OVERWRITE"})

    plan = services.imports.plan(scope, request)

    assert isinstance(plan, Plan)
    assert plan.rewrites_locked == (("own_job", "dana"),)
    assert plan.rewrites == ("own_job", "another_job")  # the locked first: never left unsaid
    assert plan.problems == ()
    hard = services.imports.plan(_with_policy(services, scope, LockPolicy.HARD), request)
    assert isinstance(hard, Plan)
    assert hard.rewrites_locked == ()  # the soft policy's warning only
    soft = _with_policy(services, scope, LockPolicy.SOFT)
    task = run_import(services, soft, path, sameNamePolicy="OVERWRITE")
    assert task.status == "SUCCESSFUL", task.message  # a warning: nothing refused
    depends = services.jobs.show(scope, "own_job").document["schedule"]["cron"]["dependJobs"]
    assert depends["jobs"] == ["new_job"]


def test_an_import_s_result_says_each_lock_it_passed_over_as_its_plan_did(
    services: Services, tmp_path: Path
) -> None:
    scope, package = _dana_holds_two(services, tmp_path)

    task = run_import(services, scope, upload(services, scope, package), propagateDeletes=True)

    assert task.status == "SUCCESSFUL", task.message
    lines = {line["id"]: (line["action"], line.get("lockedBy")) for line in task.subtasks}
    assert {k: v for k, v in lines.items() if k.startswith("job:")} == {
        "job:a_job": (PlanAction.OVERWRITE, "dana"),
        "job:b_job": (PlanAction.DELETE, "dana"),
        "job:c_job": (PlanAction.OVERWRITE, None),  # one's own lock says nothing
    }


def _depends_on(scope: Scope, services: Services, name: str) -> list[str]:
    return list(services.jobs.show(scope, name).document["schedule"]["cron"]["dependJobs"]["jobs"])


def test_an_import_renaming_a_job_whose_dependent_another_user_locked_is_refused_when_hard(
    services: Services, tmp_path: Path
) -> None:
    # The rename call refuses renaming a job whose dependent another user locked under the
    # hard policy (DLF.9012); the import rewrote that dependent over the lock.
    scope, dana, path = _renaming_a_job_used_by(services, tmp_path, "another_job", "own_job")
    services.governance.acquire(dana, ObjectKind.JOB, "own_job")
    hard = _with_policy(services, scope, LockPolicy.HARD)
    request = parse_import_request({"path": path, "sameNamePolicy": "OVERWRITE"})

    plan = services.imports.plan(hard, request)

    assert isinstance(plan, Plan)
    assert [(p.reason, p.kind, p.name, p.action) for p in plan.problems] == [
        (ProblemReason.LOCKED, "job", "new_job", None)  # the rename's: it writes over the lock
    ]
    assert plan.problems[0].detail == (
        "job 'own_job' is locked by 'dana' and workspace 'prod' uses the hard lock policy; "
        "renaming job 'a_job' to 'new_job' would rewrite its reference to the old name"
    )
    assert plan.problems[0].fix == (
        "ask 'dana' to release the lock (or an admin to release it for them), or leave the "
        "rename out: keep the name 'a_job' in the source, or import with sameNamePolicy SKIP"
    )
    task = run_import(services, hard, path)
    assert task.status == "FAILED", task.message
    assert [p["name"] for p in task.result["problems"]] == ["new_job"]
    assert _depends_on(scope, services, "own_job") == ["a_job"]  # neither rewritten
    assert _depends_on(scope, services, "another_job") == ["a_job"]  # nor anything else
    assert services.jobs.show(scope, "a_job").name == "a_job"
    dana_hard = services.accounts.scope(dana.actor, dana.actor.project_id, scope.workspace.id)
    own = services.imports.plan(dana_hard, request)  # her own lock refuses her nothing
    assert isinstance(own, Plan)
    assert own.problems == ()


def test_a_per_object_import_fails_the_rename_that_would_rewrite_a_job_another_user_locked(
    services: Services, tmp_path: Path
) -> None:
    # The rename fails (it is what writes over the lock), and what needs its new name with
    # it; the rest is imported, and no job is rewritten for the failed rename.
    down = make_job("down_job")
    down["schedule"]["cron"]["dependJobs"] = {"jobs": ["new_job"], "dependPeriod": "SAME_PERIOD"}
    carried = (down, make_job("b_job"))
    scope, dana, path = _renaming_a_job_used_by(
        services, tmp_path, "another_job", "own_job", carried=carried
    )
    services.governance.acquire(dana, ObjectKind.JOB, "own_job")
    hard = _with_policy(services, scope, LockPolicy.HARD)
    request = parse_import_request(
        {"path": path, "sameNamePolicy": "OVERWRITE", "mode": ImportMode.PER_OBJECT}
    )
    plan = services.imports.plan(hard, request)
    assert isinstance(plan, Plan)
    assert [(p.reason, p.name) for p in plan.problems] == [(ProblemReason.LOCKED, "new_job")]
    assert plan.rewrites_total == 0  # the failing rename rewrites nothing

    task = run_import(services, hard, path, mode=ImportMode.PER_OBJECT)

    assert task.status == "WARNING", task.message
    lines = {s["id"]: s for s in task.subtasks if s["id"].startswith("job:")}
    assert {k: v["status"] for k, v in lines.items()} == {
        "job:new_job": "FAILED",
        "job:down_job": "FAILED",
        "job:b_job": "SUCCESSFUL",
    }
    assert "job 'own_job' is locked by 'dana'" in lines["job:new_job"]["message"]
    assert "new_job" in lines["job:down_job"]["message"]
    assert "lockedBy" not in lines["job:new_job"]  # nothing was passed over
    assert services.jobs.show(scope, "a_job").name == "a_job"
    assert _depends_on(scope, services, "own_job") == ["a_job"]
    assert _depends_on(scope, services, "another_job") == ["a_job"]
    assert services.jobs.show(scope, "b_job").name == "b_job"


def test_a_rename_fails_for_a_locked_dependent_the_package_itself_would_overwrite(
    services: Services, tmp_path: Path
) -> None:
    # own_job, imported from the same source, depends on a_job; the package renames a_job
    # and would overwrite own_job, which Dana's lock refuses: own_job keeps the old name, so
    # the rename would rewrite it over her lock unless the rename fails too.
    scope = workspace(services, "prod")
    own = make_job("own_job")
    own["schedule"]["cron"]["dependJobs"] = {"jobs": ["a_job"], "dependPeriod": "SAME_PERIOD"}
    first = jobs_with_dependencies(make_job("a_job"), own)
    import_package(services, scope, write_objects(tmp_path / "1.zip", first))
    dana = _developer(services, scope, "dana")
    services.governance.acquire(dana, ObjectKind.JOB, "own_job")
    hard = _with_policy(services, scope, LockPolicy.HARD)
    moved = {**own, "description": "moved"}
    moved["schedule"] = {**own["schedule"], "cron": {**own["schedule"]["cron"]}}
    moved["schedule"]["cron"]["dependJobs"] = {"jobs": ["new_job"], "dependPeriod": "SAME_PERIOD"}
    second = jobs_with_dependencies(make_job("a_job"), moved)
    second[0] = ("job", "new_job", {**make_job("a_job"), "name": "new_job"})
    renaming = write_objects(tmp_path / "2.zip", second, uids={"new_job": uid_of("job", "a_job")})
    path = upload(services, scope, renaming)

    task = run_import(services, hard, path, mode=ImportMode.PER_OBJECT)

    lines = {s["id"]: s for s in task.subtasks if s["id"].startswith("job:")}
    assert lines["job:new_job"]["status"] == "FAILED", lines
    assert "job 'own_job' is locked by 'dana'" in lines["job:new_job"]["message"]
    assert lines["job:own_job"]["status"] == "FAILED"
    assert services.jobs.show(scope, "a_job").name == "a_job"
    assert _depends_on(scope, services, "own_job") == ["a_job"]  # not rewritten over the lock
