"""A large package is read and prepared (transforms, validation, references, the ledger's copy)
in a helper process while the planner works on the batch before (``services.importing.prepare``).
The plan must be the one the planner makes alone, record for record: same actions, problems,
diffs, fingerprint and order, whoever prepared which object; what the helper computes for the
ledger is what apply would have computed."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson
import pytest

from jobferry.domain.enums import PlanAction, SameNamePolicy
from jobferry.domain.profile import parse_time_zone_move
from jobferry.package import readahead
from jobferry.package.readahead import AHEAD
from jobferry.package.reader import PackageReader
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.importing import planner as planner_module
from jobferry.services.importing.local import LocalWorkspace
from jobferry.services.importing.model import PlanOutcome, Record
from jobferry.services.importing.planner import PlanContext, Planner
from jobferry.services.importing.request import ImportRequest, parse_import_request
from jobferry.storage.importing.ledger import unpack
from jobferry.storage.importing.workset import Workset
from support.builders import make_job, make_script
from support.console import add_connections, admin_scope
from support.packages import write_package
from support.readahead import helper_from, sent_to_helper, small_batches

PROFILE = {
    "renames": {"connection": {"ssh_conn": "ssh_prod"}},
    "params": {"bizdate": "${yyyyMMdd-1}"},
    "owner": "ops",
    "directory": {"from": "/sales", "to": "/prod/sales"},
    "targetOwned": ["schedule.cron.expression"],
}


@pytest.fixture
def scope(services: Services) -> Scope:
    return add_connections(services, admin_scope(services), "dws_conn", "ssh_prod")


def plan(
    services: Services, scope: Scope, package: Path, helper: bool, **options: Any
) -> tuple[PlanOutcome, list[tuple[Record, list[bytes]]]]:
    request = ImportRequest(path="upload://test", **options)
    outcome, stored = planned(services, scope, package, helper, request)
    return outcome, [(Record.unpacked(stored[s][0]), stored[s][1]) for s in outcome.order]


def planned(
    services: Services, scope: Scope, package: Path, helper: bool, request: ImportRequest
) -> tuple[PlanOutcome, dict[int, tuple[bytes, list[bytes]]]]:
    """The plan of ``package`` and its records as the workset stores them (packed)."""
    with (
        PackageReader(package) as reader,
        Workset(None) as workset,
        services.db.transaction(readonly=True) as tx,
    ):
        context = PlanContext(
            LocalWorkspace(tx, scope).reader(lock_rows=False),
            scope,
            request,
            max_nodes=200,
            helper=helper,
        )
        outcome = Planner(context, reader, workset).run()
        return outcome, workset.records(outcome.order)


def comparable(record: Record) -> Record:
    """A record without what only the helper adds, and without the next firings of a moved
    schedule (listed from the moment each plan was made)."""
    schedule = record.schedule
    if schedule is not None:
        shifts = orjson.loads(schedule)
        for shift in shifts:
            shift.pop("before", None), shift.pop("after", None)
        schedule = orjson.dumps(shifts)
    return record._replace(prepacked=None, schedule=schedule)


def assert_same_plans(services: Services, scope: Scope, package: Path, **options: Any) -> None:
    alone, alone_records = plan(services, scope, package, helper=False, **options)
    helped, helped_records = plan(services, scope, package, helper=True, **options)

    assert helped.counts == alone.counts
    assert [p.as_json() for p in helped.problems] == [p.as_json() for p in alone.problems]
    assert helped.problems_total == alone.problems_total
    assert helped.fingerprint == alone.fingerprint
    assert list(helped.order) == list(alone.order)
    assert helped.failing == alone.failing
    assert [(comparable(r), late) for r, late in helped_records] == [
        (comparable(r), late) for r, late in alone_records
    ]
    prepacked = [r for r, _ in helped_records if r.prepacked is not None]
    for record in prepacked:
        assert record.text is not None
        assert record.raw is not None
        sha, text, raw = record.prepacked  # type: ignore[misc]
        assert sha == hashlib.sha256(record.text.encode()).hexdigest()
        assert unpack(text) == record.text
        assert (unpack(raw) if raw else record.text) == record.raw
    if readahead.SHARE > 0:
        assert prepacked, "the helper prepared the ledger's copies"


@pytest.fixture(params=[(0, 1.0), (1, 0.5), (2, 0.0)], ids=["helper", "shared", "here"])
def helped(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of three; the helper reads from the given batch on and prepares the given part
    of each batch (the planner prepares the rest)."""
    hand_over, share = request.param
    small_batches(monkeypatch)
    helper_from(monkeypatch, hand_over, share)


@pytest.mark.usefixtures("helped")
def test_a_first_import_plans_the_same_with_the_helper(
    services: Services, scope: Scope, tmp_path: Path
) -> None:
    upstream, downstream = make_job("load_orders"), make_job("daily_sales")
    downstream["schedule"]["cron"]["dependJobs"] = {
        "jobs": ["load_orders"],
        "dependPeriod": "SAME_PERIOD",
    }
    broken = make_job("broken", processType="SOMETIMES")
    orphan = make_job("orphan")
    orphan["nodes"][0]["properties"][0]["value"] = "no_such_sql"
    package = write_package(tmp_path / "p.zip", [downstream, upstream, broken, orphan])

    assert_same_plans(services, scope, package, profile=PROFILE)


@pytest.mark.usefixtures("helped")
def test_a_repeated_import_plans_the_same_with_the_helper(
    services: Services, scope: Scope, tmp_path: Path
) -> None:
    jobs = [make_job(f"job_{i}") for i in range(4)]
    services.scripts.create(scope, make_script("job_0_sql"))
    # job_3 is new, job_1 was changed in the target, the others are as the package has them.
    services.jobs.create(scope, {**jobs[0], "directory": "/prod/sales"})
    services.jobs.create(scope, {**jobs[1], "directory": "/prod/sales", "description": "edited"})
    kept = {**jobs[2]["schedule"]["cron"], "expression": "0 0 5 * * ?"}  # target-owned
    services.jobs.create(
        scope, {**jobs[2], "directory": "/prod/sales", "schedule": {"type": "CRON", "cron": kept}}
    )
    zone = parse_time_zone_move({"zone": "Asia/Tokyo", "mode": "keepWallClock"}, "tz", [])
    package = write_package(tmp_path / "p.zip", jobs)

    assert_same_plans(
        services,
        scope,
        package,
        same_name_policy=SameNamePolicy.OVERWRITE,
        profile=PROFILE,
        time_zone=zone,
        target_directory="/landing",
        params={"bizdate": "${yyyyMMdd-2}"},
    )


@pytest.mark.usefixtures("helped")
def test_an_unchanged_package_plans_the_same_with_the_helper(
    services: Services, scope: Scope, tmp_path: Path
) -> None:
    jobs = [make_job(f"job_{i}", basicConfig={"owner": "ops"}) for i in range(3)]
    for job in jobs:
        services.jobs.create(scope, job)
        for script in (make_script(f"{job['name']}_sql"),):
            services.scripts.create(scope, script)
    services.jobs.update(scope, "job_1", make_job("job_1", description="edited in the target"))
    package = write_package(tmp_path / "p.zip", jobs)

    assert_same_plans(services, scope, package, same_name_policy=SameNamePolicy.OVERWRITE)


def test_an_object_left_as_it_is_keeps_no_definitions_in_the_working_set(
    services: Services, scope: Scope, tmp_path: Path
) -> None:
    # Only what apply writes needs the package's text and the old ledger row (ledger, undo).
    add_connections(services, scope, "ssh_conn")
    jobs = [make_job(f"job_{i}") for i in range(3)]
    package = write_package(tmp_path / "p.zip", jobs)
    with package.open("rb") as handle:
        path = services.imports.upload(scope, handle, "p.zip").path
    request = parse_import_request({"path": path, "sameNamePolicy": "OVERWRITE"})
    prepared = services.imports.prepare(scope, request)
    services.imports.run(prepared)
    assert services.tasks.show(scope, prepared.task_id).status == "SUCCESSFUL"
    jobs[1] = make_job("job_1", description="changed in the source")
    changed = write_package(tmp_path / "changed.zip", jobs)

    _, records = plan(
        services, scope, changed, helper=False, same_name_policy=SameNamePolicy.OVERWRITE
    )

    actions = {(r.kind, r.name): r.action for r, _ in records}
    assert actions.pop(("job", "job_1")) == "OVERWRITE"
    assert set(actions.values()) == {"UNCHANGED"}
    for record, _ in records:
        assert record.uid is not None
        if record.action == "OVERWRITE":
            assert record.raw is not None
            assert record.ledger is not None
        else:
            assert (record.raw, record.ledger, record.text) == (None, None, None)


@pytest.mark.parametrize("helper", [False, True], ids=["here", "helper"])
def test_a_package_text_that_is_the_text_written_is_kept_once(
    services: Services, scope: Scope, tmp_path: Path, helper: bool
) -> None:
    # A transform that changes nothing leaves the package's text as the text written: the
    # record holds it once (it was stored twice for a third of a 100,000-job import's objects).
    # A job the request's target directory changes keeps both.
    add_connections(services, scope, "ssh_conn")
    package = write_package(tmp_path / "p.zip", [make_job(f"job_{i}") for i in range(3)])
    request = parse_import_request({"path": "upload://test", "targetDirectory": "/moved"})
    _, stored = planned(services, scope, package, helper, request)
    kept = 0
    for data, _ in stored.values():
        record = Record.unpacked(data)
        assert record.action == "CREATE"
        assert record.raw is not None
        assert record.text is not None
        if record.kind != "job":
            assert record.raw == record.text
            assert data.count(record.text.encode()) == 1
            kept += 1
        else:  # the target directory changes every job
            assert record.raw != record.text
            assert data.count(record.raw.encode()) == 1
            assert data.count(record.text.encode()) == 1
    assert kept


def test_batches_left_unchanged_stop_being_prepared_ahead(
    services: Services, scope: Scope, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Only what the import writes uses what the helper prepares: once a planned batch leaves
    # its objects as the target holds them, the next are read unprepared, here.
    add_connections(services, scope, "ssh_conn")
    package = write_package(tmp_path / "p.zip", [make_job(f"job_{i}") for i in range(6)])
    small_batches(monkeypatch)
    monkeypatch.setattr(planner_module, "BATCH", 3)
    helper_from(monkeypatch, 0, 1.0)
    sent = sent_to_helper(monkeypatch)
    request = ImportRequest(path="upload://test", same_name_policy=SameNamePolicy.OVERWRITE)
    first, _ = planned(services, scope, package, True, request)
    assert first.counts[PlanAction.CREATE] == 19  # six jobs, two scripts each, a resource
    assert len(sent) == 7, "a first import: every batch of three prepared in the helper"
    with package.open("rb") as handle:
        path = services.imports.upload(scope, handle, "p.zip").path
    prepared = services.imports.prepare(scope, replace(request, path=path))
    services.imports.run(prepared)
    assert services.tasks.show(scope, prepared.task_id).status == "SUCCESSFUL"
    sent.clear()

    again, records = planned(services, scope, package, True, request)

    # The helper was sent the batches read before the first was planned (two ahead of it);
    # the rest were read here.
    assert len(sent) == AHEAD + 1
    assert again.counts[PlanAction.UNCHANGED] == 19
    alone, alone_records = planned(services, scope, package, False, request)
    assert again.fingerprint == alone.fingerprint
    assert records == alone_records


def test_a_change_read_unprepared_after_unchanged_batches_is_checked_as_a_prepared_one(
    services: Services, scope: Scope, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Once batches leave their objects as they are, the next are read unprepared; an object
    # such a batch changes (the package's last entry, a script naming a connection the
    # workspace lacks) is still checked, and the plan is the one made without the helper.
    add_connections(services, scope, "ssh_conn")
    jobs = [make_job(f"job_{i}") for i in range(6)]
    small_batches(monkeypatch)
    monkeypatch.setattr(planner_module, "BATCH", 3)
    helper_from(monkeypatch, 0, 1.0)
    request = ImportRequest(path="upload://test", same_name_policy=SameNamePolicy.OVERWRITE)
    first = write_package(tmp_path / "first.zip", jobs)
    with first.open("rb") as handle:
        path = services.imports.upload(scope, handle, "first.zip").path
    prepared = services.imports.prepare(scope, replace(request, path=path))
    services.imports.run(prepared)
    assert services.tasks.show(scope, prepared.task_id).status == "SUCCESSFUL"
    changed = make_script("job_5_sql", content="select 2;", connectionName="no_such_conn")
    package = write_package(
        tmp_path / "changed.zip", jobs, replaced={("script", "job_5_sql"): changed}
    )
    sent = sent_to_helper(monkeypatch)

    again, records = planned(services, scope, package, True, request)

    last = len(again.order)  # job_5_sql, the last entry, was read here, unprepared
    assert sent
    assert all(last not in batch for batch in sent), sent
    assert again.counts[PlanAction.OVERWRITE] == 1
    assert [(p.name, p.used_by) for p in again.problems] == [
        ("no_such_conn", (("script", "job_5_sql"),))
    ]
    alone, alone_records = planned(services, scope, package, False, request)
    assert again.fingerprint == alone.fingerprint
    assert again.problems == alone.problems
    assert records == alone_records
