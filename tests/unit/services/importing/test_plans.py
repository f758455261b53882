"""Kept plans (``services.importing.plans``): a plan stored object by object, what matters
listed first, its view listing the first objects inline, and its objects read back a page at a
time, of one action or kind, or refused with what to do."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from jobferry.domain.enums import PlanAction, TaskStatus
from jobferry.errors import InvalidRequestError, PlanStaleError
from jobferry.package.reader import PackageReader
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.importing import plans
from jobferry.services.importing.local import LocalWorkspace
from jobferry.services.importing.plan import Plan, PlanLine
from jobferry.services.importing.planner import PlanContext, Planner
from jobferry.services.importing.request import ImportRequest, parse_import_request
from jobferry.storage.importing import plans as plan_repo
from jobferry.storage.importing.plans import PlanObjectRow
from jobferry.storage.importing.workset import Workset
from jobferry.storage.tx import Tx
from support.builders import make_job
from support.clock import held_clock
from support.packages import write_package
from support.planning import (
    import_package,
    jobs_with_dependencies,
    run_import,
    uid_of,
    upload,
    workspace,
    write_objects,
)
from unit.storage.test_page_hints import Resumes, until_resumed


@pytest.fixture
def scope(services: Services) -> Scope:
    return workspace(services, "prod")


def kept(services: Services, scope: Scope, package: Path) -> Plan:
    """Plan ``package`` and keep the plan."""
    request = ImportRequest(path="upload://p")
    with PackageReader(package) as reader, Workset(None) as workset:
        with services.db.transaction(readonly=True) as tx:
            target = LocalWorkspace(tx, scope).reader(lock_rows=False)
            outcome = Planner(PlanContext(target, scope, request, 200), reader, workset).run()
        return services.imports.plans.keep(scope, outcome, workset, request, reader.sha256)


def test_a_kept_plan_lists_its_first_objects_and_pages_the_rest_in_plan_order(
    services: Services, scope: Scope, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(plans, "INLINE_OBJECTS", 3)
    monkeypatch.setattr(plans, "BATCH", 2)  # stored over several transactions
    package = write_package(tmp_path / "p.zip", [make_job("a_job"), make_job("b_job")])

    plan = kept(services, scope, package)

    assert plan.lines_total == 7
    assert [line.name for line in plan.lines] == ["a_job_sh", "a_job_sql", "b_job_sh"]
    assert plan.summary.create == 7
    assert plan.summary.describe() == "7 to create, 0 to overwrite, 0 skipped, 0 unchanged"
    store = services.imports.plans
    page = store.objects(scope, plan.plan_id, offset=3, limit=3)
    assert page.total == 7
    assert [line.name for line in page.lines] == ["b_job_sql", "udf_jar", "a_job"]
    jobs = store.objects(scope, plan.plan_id, offset=0, limit=10, kind="job", action="CREATE")
    assert [line.name for line in jobs.lines] == ["a_job", "b_job"]
    assert jobs.total == 2
    assert store.plan(scope, plan.plan_id) == plan  # the head and first lines, read back
    whole = store.objects(scope, plan.plan_id, offset=0, limit=10)
    assert whole.lines[:3] == plan.lines


def test_pages_are_refused_for_unknown_filters_and_plans(
    services: Services, scope: Scope, tmp_path: Path
) -> None:
    plan_id = kept(services, scope, write_package(tmp_path / "p.zip")).plan_id
    store = services.imports.plans
    with pytest.raises(InvalidRequestError, match="not a plan action"):
        store.objects(scope, plan_id, offset=0, limit=10, action="MAYBE")
    with pytest.raises(InvalidRequestError, match="not an object kind"):
        store.objects(scope, plan_id, offset=0, limit=10, kind="folder")
    with pytest.raises(InvalidRequestError):
        store.objects(scope, plan_id, offset=0, limit=plans.MAX_PAGE + 1)
    with pytest.raises(PlanStaleError, match="Make a plan first"):
        store.objects(scope, "no-such-plan", offset=0, limit=10)
    other = workspace(services, "other")
    with pytest.raises(PlanStaleError):  # a plan belongs to its workspace
        store.objects(other, plan_id, offset=0, limit=10)


def test_a_plan_kept_by_an_earlier_version_is_refused_with_what_to_do(
    services: Services, scope: Scope, tmp_path: Path
) -> None:
    plan = kept(services, scope, write_package(tmp_path / "p.zip"))
    wire = '{"kind":"job","name":"old","action":"CREATE","path":"jobs/old.job"}'
    with services.db.transaction() as tx:
        plan_repo.insert_plan_objects(tx, plan.plan_id, [PlanObjectRow(99, "job", "CREATE", wire)])
    store = services.imports.plans
    with pytest.raises(PlanStaleError, match="earlier version of jobferry"):
        store.objects(scope, plan.plan_id, offset=0, limit=200)
    assert store.objects(scope, plan.plan_id, offset=0, limit=3).total == plan.lines_total + 1


def test_a_plan_larger_than_its_head_lists_its_changes_first_and_pages_every_line_once(
    services: Services, scope: Scope, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A promotion of many unchanged objects with a few changes at the end of the apply order
    (jobs are written last): the changes are the first lines the plan answers, and its pages
    list every line exactly once; an import naming the plan writes as planned."""
    monkeypatch.setattr(plans, "INLINE_OBJECTS", 3)
    monkeypatch.setattr(plans, "BATCH", 4)
    names = ["a_job", "b_job", "c_job", "d_job"]
    import_package(
        services, scope, write_package(tmp_path / "v1.zip", [make_job(n) for n in names])
    )
    changed = [
        make_job(n, **({"description": "v2"} if n in ("b_job", "d_job") else {})) for n in names
    ]
    path = upload(services, scope, write_package(tmp_path / "v2.zip", changed))
    request = parse_import_request({"path": path, "sameNamePolicy": "OVERWRITE"})

    plan = services.imports.plan(scope, request)

    assert isinstance(plan, Plan)
    assert (plan.summary.overwrite, plan.summary.unchanged, plan.lines_total) == (2, 11, 13)
    assert [(ln.name, ln.action) for ln in plan.lines] == [
        ("b_job", PlanAction.OVERWRITE),
        ("d_job", PlanAction.OVERWRITE),
        ("a_job_sh", PlanAction.UNCHANGED),  # then the unchanged ones, in plan order
    ]
    store = services.imports.plans
    assert store.plan(scope, plan.plan_id) == plan
    paged = [
        line.name
        for offset in range(0, 13, 2)
        for line in store.objects(scope, plan.plan_id, offset=offset, limit=2).lines
    ]
    assert paged[:3] == [ln.name for ln in plan.lines]
    assert sorted(paged) == sorted(set(paged))
    assert len(paged) == plan.lines_total
    jobs = store.objects(scope, plan.plan_id, offset=0, limit=10, kind="job")
    assert [ln.name for ln in jobs.lines] == ["b_job", "d_job", "a_job", "c_job"]

    task = run_import(services, scope, path, planId=plan.plan_id)  # the fingerprint holds

    assert task.status is TaskStatus.SUCCESSFUL, task.message
    written = [s["name"] for s in task.subtasks or ()]
    assert written[0] == "Import the a_job_sh script."  # in the apply order, not the listing's
    assert written[-2:] == ["Import the c_job job.", "Import the d_job job."]


def test_a_plans_pages_continue_where_the_one_before_ended_with_the_plain_lines(
    services: Services, scope: Scope, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    jobs = [make_job(f"job_{i}") for i in range(4)]
    plan = kept(services, scope, write_package(tmp_path / "p.zip", jobs))
    store = services.imports.plans
    resumes = Resumes(services, monkeypatch)

    def walked() -> None:
        for kind in (None, "job"):
            for offset in range(0, plan.lines_total + 2, 3):
                page = store.objects(scope, plan.plan_id, offset=offset, limit=3, kind=kind)
                with services.db.transaction(readonly=True) as tx:
                    want = plan_repo.plan_objects(
                        Tx(tx.conn), plan.plan_id, offset=offset, limit=3, kind=kind
                    )
                lines = tuple(PlanLine.of_stored(orjson.loads(text)) for text in want[1])
                assert (page.total, page.lines) == (want[0], lines)

    until_resumed(resumes, walked)


def _depending(name: str, upstream: list[str]) -> dict[str, Any]:
    job = make_job(name)
    job["schedule"]["cron"]["dependJobs"] = {"jobs": upstream}
    return job


def test_a_skipped_object_the_target_holds_under_another_name_is_named_as_the_target_holds_it(
    services: Services, scope: Scope, tmp_path: Path
) -> None:
    # The target renames ja to jd (which rewrites jc's dependency: jc drifts); the source
    # renames jc to jd. The plan gives the target's jd back its name ja and keeps the target's
    # jc, which the package calls jd.
    first = jobs_with_dependencies(make_job("ja"), _depending("jc", ["ja"]))
    import_package(services, scope, write_objects(tmp_path / "first.zip", first))
    services.jobs.rename(scope, "ja", "jd")
    second = jobs_with_dependencies(make_job("ja"), _depending("jd", ["ja"]))
    package = write_objects(tmp_path / "second.zip", second, uids={"jd": uid_of("job", "jc")})
    path = upload(services, scope, package)
    options = {"path": path, "sameNamePolicy": "OVERWRITE", "onDrift": "KEEP_TARGET"}

    plan = services.imports.plan(scope, parse_import_request(options))

    assert isinstance(plan, Plan)
    jobs = {line.name: line for line in plan.lines if line.kind == "job"}
    assert (jobs["ja"].action, jobs["ja"].target_name) == (PlanAction.RENAME, "jd")
    skipped = jobs["jd"]
    assert skipped.action is PlanAction.SKIP
    assert (skipped.previous_name, skipped.target_name) == ("jc", "jc")
    assert skipped.skip is not None
    assert skipped.skip.detail.startswith(
        "job 'jc' (the package's 'jd') changed in the target since the last import"
    )
    page = services.imports.plans.objects(scope, plan.plan_id, offset=0, limit=10, action="SKIP")
    assert [line for line in page.lines if line.name == "jd"] == [skipped]


def test_an_import_naming_a_plan_that_is_not_kept_is_refused_saying_plans_expire(
    services: Services, scope: Scope, tmp_path: Path
) -> None:
    """The import's refusal of an unknown (or expired) plan says what the plan pages' does:
    plans go with their package's time to live, and the fix."""
    package = write_package(tmp_path / "p.zip", [make_job("daily_sales")])
    path = upload(services, scope, package)
    request = parse_import_request({"path": path, "planId": "no-such-plan"})

    with pytest.raises(PlanStaleError) as refused:
        services.imports.plans.stored_for(scope, request, "0" * 64)

    assert refused.value.problem == (
        f"Plan no-such-plan does not exist in workspace '{scope.workspace.name}' (plans expire "
        "with the package TTL)."
    )
    assert refused.value.message.endswith("Make a plan first (POST /jobs/import/plan).")


def test_an_import_naming_a_plan_past_its_keep_time_is_refused_before_its_upload(
    services: Services, scope: Scope, tmp_path: Path
) -> None:
    """Past its keptUntil (the package TTL after it was made), before the sweep forgets it, a
    plan is refused as expired, with the fix: not its upload (expired with it) as unreadable."""
    ttl_ms = services.settings.download_ttl_seconds * 1000
    package = write_package(tmp_path / "p.zip", [make_job("daily_sales")])
    with held_clock(1_767_225_600_000) as clock:
        path = upload(services, scope, package)
        plan = services.imports.plan(scope, parse_import_request({"path": path}))
        assert isinstance(plan, Plan)
        asked = parse_import_request({"path": path, "planId": plan.plan_id})
        clock.move(ttl_ms - 1)
        services.imports.plans.require_kept(scope, plan.plan_id, ttl_ms // 1000)  # kept still
        clock.move(1)
        tasks = services.tasks.list_tasks(scope, limit=100, offset=0).total

        with pytest.raises(PlanStaleError) as refused:
            services.imports.prepare(scope, asked, own=True)

    assert refused.value.problem == (
        f"Plan {plan.plan_id} expired: plans are kept for the package TTL "
        "(JOBFERRY_DOWNLOAD_TTL_SECONDS) after they are made, and this one until "
        "2026-01-04 00:00:00 UTC."
    )
    assert refused.value.context["kept_until"] == 1_767_225_600_000 + ttl_ms
    assert refused.value.message.endswith("Make a plan again (POST /jobs/import/plan).")
    assert services.tasks.list_tasks(scope, limit=100, offset=0).total == tasks
