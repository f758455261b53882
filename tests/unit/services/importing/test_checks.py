"""Every problem of one object (``services.importing.checks``), asked of a real target
(SQLite and PostgreSQL) through its reader: invalid definitions, locks under the hard policy,
scheduled jobs, references missing from the target and the package read so far (environment
objects get a mapping fix, package kinds wait; a script's connection read from the script),
locked tags, other workspaces, connections without their secrets, signatures checked against
the keys the target trusts (unsigned packages refused where signatures are required), and
renames of jobs other workspaces use."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from jobferry.domain.enums import (
    LockPolicy,
    ObjectKind,
    PlanAction,
    ProblemReason,
    SameNamePolicy,
    SchedulingPolicy,
)
from jobferry.package.manifest import Requirement
from jobferry.package.signature import generate_key_pair, sign_manifest
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.importing.checks import (
    Pending,
    References,
    SecretCheck,
    check_object,
    check_package_signature,
    renamed_in_use,
    signature_state,
)
from jobferry.services.importing.findings import environment_report
from jobferry.services.importing.local import LocalWorkspace
from jobferry.services.importing.model import PlannedObject
from jobferry.services.importing.request import ImportRequest
from jobferry.services.importing.transform import Transform
from jobferry.storage.importing.target import TargetObject
from support.builders import make_job, make_script
from support.console import add_connections, admin_scope
from support.planning import jobs_with_dependencies, plan_of, workspace, write_objects

REQUEST = ImportRequest(path="upload://p", same_name_policy=SameNamePolicy.OVERWRITE)


@pytest.fixture
def scope(services: Services) -> Scope:
    return add_connections(services, admin_scope(services), "dws_conn")


def overwrite(document: dict[str, Any], status: str = "STOPPED") -> PlannedObject:
    target = TargetObject("1", document["name"], "{}", status, 1, 0, "uid-1")
    return PlannedObject(ObjectKind.JOB, document["name"], "jobs/x.job", document,
                         action=PlanAction.OVERWRITE, target=target)  # fmt: skip


def problems_of(services: Services, scope: Scope, item: PlannedObject, **asked: Any) -> list[Any]:
    request = replace(REQUEST, **asked)
    with services.db.transaction(readonly=True) as tx:
        target = LocalWorkspace(tx, scope).reader(lock_rows=False)
        return check_object(item, scope, target, request, max_nodes=200)


def test_an_invalid_definition_is_a_problem_saying_where(services: Services, scope: Scope) -> None:
    item = PlannedObject(ObjectKind.JOB, "bad", "jobs/bad.job", make_job("bad", processType="X"))
    [problem] = problems_of(services, scope, item)
    assert problem.reason is ProblemReason.INVALID_DEFINITION
    assert problem.detail.startswith("processType")


def test_a_lock_held_by_someone_else_blocks_an_overwrite_under_the_hard_policy_only(
    services: Services, scope: Scope
) -> None:
    services.scripts.create(scope, make_script())
    services.jobs.create(scope, make_job())
    services.governance.acquire(scope, "job", "daily_sales")  # held by the admin
    other = replace(scope, actor=replace(scope.actor, user_id=scope.actor.user_id + 1000))
    hard = replace(other, workspace=replace(scope.workspace, lock_policy=LockPolicy.HARD.value))

    [problem] = problems_of(services, hard, overwrite(make_job()))
    assert problem.reason is ProblemReason.LOCKED
    assert "admin" in problem.detail
    assert "sameNamePolicy SKIP" in problem.fix
    soft = overwrite(make_job())
    assert problems_of(services, other, soft) == []  # the soft policy: a warning
    assert soft.locked_by == "admin"
    own = replace(scope, workspace=hard.workspace)
    assert problems_of(services, own, overwrite(make_job())) == []  # one's own lock


def test_a_scheduled_job_is_refused_unless_the_import_pauses_it(
    services: Services, scope: Scope
) -> None:
    [problem] = problems_of(services, scope, overwrite(make_job(), "SCHEDULING"))
    assert problem.reason is ProblemReason.SCHEDULED
    assert "PAUSE_AND_RESTORE" in problem.fix

    paused = overwrite(make_job(), "SCHEDULING")
    assert problems_of(services, scope, paused, scheduling=SchedulingPolicy.PAUSE_AND_RESTORE) == []
    assert paused.pause is True


def references(
    services: Services,
    scope: Scope,
    present: set[tuple[str, str]] | None = None,
    connections: tuple[str, ...] = ("dws_conn", "ssh_conn"),
) -> References:
    with services.db.transaction(readonly=True) as tx:
        target = LocalWorkspace(tx, scope).reader(lock_rows=False)
        ws = scope.workspace.id
        existing = target.existing({("connection", ws): set(connections)})
    return References(target, ws, scope.workspace.name, existing, present or set())


def test_a_missing_environment_object_is_a_problem_a_missing_script_waits_for_the_package(
    services: Services, scope: Scope
) -> None:
    item = PlannedObject(ObjectKind.JOB, "daily_sales", "jobs/x.job", make_job())
    present = {("script", "daily_sales_sql")}  # read already; daily_sales_sh is not

    checked = references(services, scope, present).check(item, report_only=False)

    [problem] = checked.problems
    assert problem.reason is ProblemReason.MISSING_REFERENCE
    assert problem.reference == ("connection", "ssh_conn")
    assert "PUT /environment/connection/ssh_conn" in problem.fix
    assert [(p.kind, p.name) for p in checked.pending] == [("script", "daily_sales_sh")]
    assert checked.pending[0].problem is not None
    assert checked.absent == [("connection", "ssh_conn")]

    report = references(services, scope, present).check(item, report_only=True)
    assert report.problems == []
    assert report.pending == [Pending("script", "daily_sales_sh", None)]
    assert report.absent == [("connection", "ssh_conn")]


def test_a_scripts_missing_connection_is_its_missing_reference_read_from_the_script(
    services: Services, scope: Scope
) -> None:
    """No manifest needed (a folder's package requires nothing): the script names it."""
    checked = references(services, scope, connections=("dws_conn", "gone_conn"))
    gone = PlannedObject(ObjectKind.SCRIPT, "g", "scripts/g.script",
                         make_script("g", connectionName="gone_conn"))  # fmt: skip

    [problem] = checked.check_script(gone)

    assert problem.reason is ProblemReason.MISSING_REFERENCE
    assert (problem.kind, problem.name) == (ObjectKind.SCRIPT, "g")
    assert problem.reference == ("connection", "gone_conn")
    assert problem.detail.startswith(
        "script 'g' field connectionName references connection 'gone_conn', which does not exist"
    )
    assert "PUT /environment/connection/gone_conn" in problem.fix
    held = PlannedObject(ObjectKind.SCRIPT, "s", "scripts/s.script", make_script("s"))
    assert checked.check_script(held) == []
    unnamed = make_script("e", connectionName="${conn}")  # an expression names no connection
    assert checked.check_script(PlannedObject(ObjectKind.SCRIPT, "e", "s/e", unnamed)) == []


def test_a_locked_tag_and_a_dependency_on_a_missing_workspace_are_problems(
    services: Services, scope: Scope
) -> None:
    services.governance.put_tag(scope, "daily", True)
    job = make_job()
    job["schedule"]["cron"]["dependJobs"] = {
        "otherWorkSpaceJobs": [{"jobName": "upstream", "workSpace": "nowhere"}]
    }
    item = PlannedObject(ObjectKind.JOB, "daily_sales", "jobs/x.job", job)
    present = {("script", "daily_sales_sql"), ("script", "daily_sales_sh")}

    checked = references(services, scope, present).check(item, report_only=False)

    reasons = {p.reason for p in checked.problems}
    assert {ProblemReason.LOCKED_TAG, ProblemReason.MISSING_WORKSPACE} <= reasons


def test_connections_the_manifest_requires_with_secrets_are_checked(
    services: Services, scope: Scope
) -> None:
    services.environment.put(scope, "connection", "bare_conn", {"type": "DWS", "config": {}})
    requirements = [
        Requirement("connection", "dws_conn", "DWS", ("password",)),
        Requirement("connection", "bare_conn", "DWS", ("password",)),
        Requirement("connection", "gone_conn", "DWS", ("password",)),
    ]
    with services.db.transaction(readonly=True) as tx:
        target = LocalWorkspace(tx, scope).reader(lock_rows=False)
        check = SecretCheck(target, scope, requirements, Transform(REQUEST, None))
    assert check.states == {
        "dws_conn": "set",
        "bare_conn": "missing_secret",
        "gone_conn": "missing",
    }

    script = PlannedObject(ObjectKind.SCRIPT, "s", "scripts/s.script",
                           make_script("s", connectionName="bare_conn"))  # fmt: skip
    [problem] = check.problems(script)
    assert problem.reason is ProblemReason.MISSING_SECRET
    assert "no secret password" in problem.detail
    assert problem.needs == ("DWS", ("password",))  # so a fix names its type
    gone = PlannedObject(ObjectKind.SCRIPT, "g", "scripts/g.script",
                         make_script("g", connectionName="gone_conn"))  # fmt: skip
    job = make_job()
    job["nodes"][0]["properties"][1]["value"] = "gone_conn"
    # a missing connection is the job's or script's missing reference (References), read
    # from the object itself whatever the manifest says: not reported twice
    assert check.problems(gone) == []
    assert check.problems(PlannedObject(ObjectKind.JOB, "j", "jobs/j.job", job)) == []

    report = environment_report({}, "default", check.states)
    assert report.complete is False
    assert report.secrets == tuple(sorted(check.states.items()))
    assert environment_report({}, "default", {"dws_conn": "set"}).complete is True
    gone = environment_report({("connection", "gone_conn"): ["j"]}, "default", {})
    assert gone.complete is False
    assert [(m.kind, m.name, m.jobs) for m in gone.missing] == [("connection", "gone_conn", ("j",))]


class Unsigned:
    manifest_bytes = b"{}"
    signature = None
    sha256 = "ab" * 32


def test_an_unsigned_package_is_a_problem_only_where_signatures_are_required(
    services: Services, scope: Scope
) -> None:
    with services.db.transaction(readonly=True) as tx:
        target = LocalWorkspace(tx, scope).reader(lock_rows=False)
        assert check_package_signature(target, scope, None) == (None, [])
        check, problems = check_package_signature(target, scope, Unsigned())
        assert check is not None
        assert check.state == "unsigned"
        assert problems == []
        strict = replace(scope, workspace=replace(scope.workspace, require_signed=True))
        _, [problem] = check_package_signature(target, strict, Unsigned())
    assert problem.reason is ProblemReason.SIGNATURE
    assert (problem.kind, problem.name) == ("package", "abababababab")
    assert "requires signed packages" in problem.detail


class Signed:
    manifest_bytes = b"{}"
    sha256 = "cd" * 32

    def __init__(self, signature: bytes) -> None:
        self.signature = signature


def test_a_signature_is_checked_against_the_keys_the_target_trusts_its_own_included(
    services: Services, scope: Scope
) -> None:
    by_stranger = Signed(sign_manifest(b"{}", generate_key_pair().private_pem))
    services.keys.create_signing_key(scope)
    strict = replace(scope, workspace=replace(scope.workspace, require_signed=True))
    with services.db.transaction(readonly=True) as tx:
        own = services.keys.signer_in(tx, scope.workspace.id)
        assert own is not None
        target = LocalWorkspace(tx, scope).reader(lock_rows=False)
        assert signature_state(target, Signed(own(b"{}")), scope).state == "valid"
        assert signature_state(target, by_stranger, scope).state == "untrusted"
        assert check_package_signature(target, strict, Signed(own(b"{}")))[1] == []
        _, [problem] = check_package_signature(target, strict, by_stranger)
    assert problem.reason is ProblemReason.SIGNATURE
    assert "trust its key" in problem.fix


def test_renaming_a_job_that_other_workspaces_depend_on_is_a_problem_naming_them(
    services: Services, scope: Scope
) -> None:
    services.scripts.create(scope, make_script())
    services.jobs.create(scope, make_job())
    admin = admin_scope(services)
    other_id = services.accounts.create_workspace(admin.actor, admin.actor.project_id, "other")
    other = add_connections(services, admin_scope(services, other_id), "dws_conn")
    far = make_job("far_job")
    far["schedule"]["cron"]["dependJobs"] = {
        "otherWorkSpaceJobs": [{"jobName": "daily_sales", "workSpace": scope.workspace.name}]
    }
    services.scripts.create(other, make_script("far_job_sql"))
    services.jobs.create(other, far)
    renamed = PlannedObject(ObjectKind.JOB, "new_sales", "jobs/new_sales.job",
                            make_job("new_sales"), action=PlanAction.RENAME,
                            previous_name="daily_sales")  # fmt: skip
    created = PlannedObject(ObjectKind.JOB, "new_sales", "jobs/new_sales.job",
                            make_job("new_sales"))  # fmt: skip

    with services.db.transaction(readonly=True) as tx:
        target = LocalWorkspace(tx, scope).reader(lock_rows=False)
        [problem] = renamed_in_use(target, scope, renamed)
        assert renamed_in_use(target, scope, created) == []  # not a rename
    assert problem.reason is ProblemReason.IN_USE
    assert "job(s) other/far_job of other workspaces" in problem.detail
    assert "'daily_sales' would be renamed to 'new_sales'" in problem.detail


def test_a_job_depending_on_itself_through_the_target_workspace_is_an_invalid_definition(
    services: Services, scope: Scope, tmp_path: Path
) -> None:
    """As a save refuses it: a dependency naming the target workspace, by name or by id
    alone, is one of the job's own workspace, and no job depends on itself."""
    named = []
    for name, where in (("by_name", {"workSpace": scope.workspace.name}),
                        ("by_id", {"workSpaceId": scope.workspace.id})):  # fmt: skip
        job = make_job(name)
        job["schedule"]["cron"]["dependJobs"] = {
            "jobs": [],
            "otherWorkSpaceJobs": [{"jobName": name, **where}],
        }
        named.append(job)
    package = write_objects(tmp_path / "p.zip", jobs_with_dependencies(*named))

    plan = plan_of(services, scope, package, same_name_policy=SameNamePolicy.OVERWRITE)

    invalid = [p for p in plan.problems if p.reason is ProblemReason.INVALID_DEFINITION]
    assert {p.name for p in invalid} == {"by_name", "by_id"}
    assert all("depends on itself" in p.detail for p in invalid)
    elsewhere = workspace(services, "elsewhere")  # into another workspace: another's job
    other = plan_of(services, elsewhere, package, same_name_policy=SameNamePolicy.OVERWRITE)
    assert not [p for p in other.problems if p.reason is ProblemReason.INVALID_DEFINITION]
