"""A push's calls in dependency order (``services/remotes/steps.py``): scheduled jobs stopped first
and started last, scripts and resources before jobs, renames before the jobs they name, jobs
after the upstreams the push creates, deletions downstream-first, and no call for what the
remote already holds."""

from __future__ import annotations

from typing import Any

from jobferry.domain.enums import JobStatus
from jobferry.services.remotes.program import Program
from jobferry.services.remotes.reading import RemoteState
from jobferry.services.remotes.steps import build, levels
from jobferry.services.remotes.writes import Undo, UndoOp


def _doc(name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, **extra}


def _calls(plan: list[list[Any]]) -> list[list[str]]:
    return [[f"{step.call} {step.name}" for step in level] for level in plan]


def test_names_come_in_levels_each_after_its_upstreams() -> None:
    edges = [("b", "a"), ("c", "b"), ("d", "a"), ("a", "x")]  # x is not among the names
    assert levels(["d", "c", "b", "a"], edges) == [["a"], ["b", "d"], ["c"]]


def test_a_cycle_shares_the_last_level() -> None:
    assert levels(["a", "b", "c"], [("a", "b"), ("b", "a")]) == [["c"], ["a", "b"]]


def test_what_the_remote_holds_costs_no_call_and_what_differs_is_updated() -> None:
    program = Program()
    program.puts["script"] = {"same_sql": _doc("same_sql", content="1"), "new_sql": _doc("new_sql")}
    program.puts["job"] = {"edited": _doc("edited", logPath="b")}
    state = RemoteState()
    state.add("script", "same_sql", _doc("same_sql", content="1"), None)
    state.add("job", "edited", _doc("edited", logPath="a"), None)
    plan = build(program, state)
    assert _calls(plan) == [["create_script new_sql"], ["update_job edited"]]
    assert plan[1][0].undo == Undo(UndoOp.UPDATE, before=_doc("edited", logPath="a"))


def test_scheduled_jobs_are_stopped_first_and_started_last() -> None:
    program = Program()
    program.puts["job"] = {"daily": _doc("daily", logPath="new"), "child": _doc("child")}
    program.edges = [("child", "daily")]
    program.paused = ["daily"]
    program.status = {"daily": JobStatus.SCHEDULING.value, "child": JobStatus.STOPPED.value}
    program.deletes = [("job", "old_child"), ("job", "old"), ("script", "old_sql")]
    # the apply deleted old_child (downstream) first: the program keeps that order as an edge
    program.deleted_edges = [("old", "old_child")]
    state = RemoteState()
    state.add("job", "daily", _doc("daily"), None)
    state.status["daily"] = JobStatus.SCHEDULING
    for name in ("old", "old_child"):
        state.add("job", name, _doc(name), None)
    state.add("script", "old_sql", _doc("old_sql"), None)
    assert _calls(build(program, state)) == [
        ["stop_job daily"],
        ["create_job child", "update_job daily"],  # daily exists: child need not wait
        ["delete_job old_child"],
        ["delete_job old"],
        ["delete_script old_sql"],
        ["start_job daily"],
    ]


def test_a_rename_comes_before_the_job_it_names_which_is_then_updated() -> None:
    program = Program()
    program.renames = [("job", "hourly", "hourly_totals")]
    program.puts["job"] = {"hourly_totals": _doc("hourly_totals", logPath="b")}
    state = RemoteState()
    state.add("job", "hourly", _doc("hourly", logPath="a"), None)
    plan = build(program, state)
    assert _calls(plan) == [
        ["update_factory_job_name hourly"],
        ["update_job hourly_totals"],
    ]
    assert plan[0][0].body == {"name": "hourly_totals"}


def test_jobs_wait_only_for_the_upstreams_the_push_creates() -> None:
    program = Program()
    names = ("top", "mid", "low", "fresh", "on_fresh", "renamed_up", "on_renamed")
    program.puts["job"] = {name: _doc(name, logPath="new") for name in names}
    program.renames = [("job", "old_up", "renamed_up")]
    program.edges = [
        ("mid", "top"),
        ("low", "mid"),
        ("on_fresh", "fresh"),
        ("on_renamed", "renamed_up"),
    ]
    state = RemoteState()
    for name in ("top", "mid", "low", "on_fresh", "old_up", "on_renamed"):
        state.add("job", name, _doc(name), None)
    assert _calls(build(program, state)) == [
        ["update_factory_job_name old_up"],
        [
            "create_job fresh",
            "update_job low",
            "update_job mid",
            "update_job on_renamed",
            "update_job renamed_up",
            "update_job top",
        ],
        ["update_job on_fresh"],
    ]
