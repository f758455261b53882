"""Policies when a plan is made (``services.policies.planning``), through the planner against
the in-memory target port: each object's breaches fail that object (PER_OBJECT imports the
rest), only the objects the plan writes are read, and a freeze refuses the whole package."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from jobferry.domain.enums import ImportMode, PlanAction, ProblemReason
from jobferry.domain.policies import PolicyRule, parse_policy
from jobferry.package.reader import PackageReader, read_package
from jobferry.services.policies.governing import HeldPolicy
from jobferry.services.policies.service import Holder
from jobferry.storage.importing.workset import Workset
from support.builders import make_job
from support.memory import MemoryWorkspace
from support.packages import write_package
from support.planning import plan_into, planned_actions


@pytest.fixture
def package(tmp_path: Path) -> Path:
    return write_package(tmp_path / "p.zip", [make_job("daily_sales"), make_job("weekly_sales")])


def _target(*documents: dict[str, object]) -> MemoryWorkspace:
    target = MemoryWorkspace({("connection", "dws_conn"), ("connection", "ssh_conn")})
    target.held_policies = [
        HeldPolicy(Holder.workspace("ws-prod", "prod"), n, parse_policy(d))
        for n, d in enumerate(documents, start=1)
    ]
    return target


def test_an_object_breaking_a_rule_fails_alone_in_a_per_object_import(package: Path) -> None:
    target = _target({"naming": {"jobs": "daily_.*"}})
    with PackageReader(package) as reader, Workset(None) as workset:
        plan = plan_into(target, reader, workset, mode=ImportMode.PER_OBJECT)
        names = workset.names(list(plan.failing))
    assert [(p.reason, p.kind, p.name) for p in plan.problems] == [
        (ProblemReason.POLICY, "job", "weekly_sales")
    ]
    assert sorted(name for _, name in names.values()) == ["weekly_sales"]
    assert plan.package_problems == []
    assert "naming rule of the policy of workspace 'prod' (version 1)" in plan.problems[0].detail
    assert "have an admin of workspace 'prod' change its policy" in plan.problems[0].fix
    assert plan.problems[0].rule == PolicyRule.NAMING  # kept through the plan's records
    assert plan.problems[0].as_json()["rule"] == "naming"  # clients read it, not the detail


def test_only_the_objects_a_plan_writes_are_held_to_the_rules(package: Path) -> None:
    target = _target({"owners": ["ops"]})
    documents = {(o.kind, o.name): o.document for o in read_package(package).objects}
    target.hold("job", "daily_sales", documents[("job", "daily_sales")])  # unchanged: kept
    with PackageReader(package) as reader, Workset(None) as workset:
        plan = plan_into(target, reader, workset)
        actions = planned_actions(plan, workset)
    assert actions[("job", "daily_sales")] == PlanAction.UNCHANGED
    assert [(p.name, p.reason) for p in plan.problems] == [("weekly_sales", ProblemReason.POLICY)]
    assert "owner 'alice'" in plan.problems[0].detail


def test_every_policy_the_plan_keeps_is_checked(package: Path) -> None:
    target = _target({"naming": {"scripts": "nothing"}}, {"owners": ["*"]})
    target.held_policies.append(
        HeldPolicy(Holder.route("nightly"), 4, parse_policy({"naming": {"jobs": "x"}}))
    )
    with PackageReader(package) as reader, Workset(None) as workset:
        plan = plan_into(target, reader, workset)
    said = {(p.name, p.detail.split(": ")[0].split(" of ", 1)[1]) for p in plan.problems}
    assert ("daily_sales", "the policy of route 'nightly' (version 4)") in said
    assert ("daily_sales_sql", "the policy of workspace 'prod' (version 1)") in said
    assert not any("version 2" in detail for _, detail in said)  # any owner: alice is one


def test_a_freeze_refuses_the_whole_package_whatever_it_holds(package: Path) -> None:
    now = datetime.now(UTC)
    window = {
        "from": (now - timedelta(minutes=5)).isoformat(),
        "to": (now + timedelta(hours=1)).isoformat(),
    }
    target = _target({"freeze": [window]})
    with PackageReader(package) as reader, Workset(None) as workset:
        plan = plan_into(target, reader, workset, mode=ImportMode.PER_OBJECT)
    [problem] = plan.package_problems
    assert (problem.reason, problem.kind) == (ProblemReason.POLICY, "package")
    assert problem.name == reader.sha256[:12]
    assert "the plan breaks the freeze window" in problem.detail
    assert "apply it after the freeze window" in problem.fix
    assert problem.rule == PolicyRule.FREEZE
