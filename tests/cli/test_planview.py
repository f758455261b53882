"""A plan or an import's result past a screenful is summarised: the first objects, how many
more and how to list them all (a plan of 2,000 jobs printed each object twice, 4,022 lines)."""

from __future__ import annotations

from typing import Any

import pytest

from jobferry.cli.output import Output
from jobferry.cli.planview import SCREENFUL, show_plan
from jobferry.cli.taskview import show_task


def _plan(count: int, total: int | None = None) -> dict[str, Any]:
    objects = [{"action": "CREATE", "kind": "job", "name": f"job_{i:04}"} for i in range(count)]
    summary = {"CREATE": total or count, "OVERWRITE": 0, "SKIP": 0, "UNCHANGED": 0}
    plan: dict[str, Any] = {"planId": "p1", "objects": objects, "summary": summary}
    if total is not None:
        plan["objectsTotal"] = total
    return plan


def _lines(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return capsys.readouterr().out.splitlines()


def test_a_large_plan_lists_a_screenful_and_says_how_many_more(
    capsys: pytest.CaptureFixture[str],
) -> None:
    show_plan(Output(False), _plan(1000, total=2000), command="import")
    lines = _lines(capsys)
    listed = [line for line in lines if "job_" in line]
    assert len(listed) == SCREENFUL
    assert len(lines) < SCREENFUL + 15
    note = next(line for line in lines if "Showing" in line)
    assert f"Showing {SCREENFUL} of 2000 objects" in note
    assert "jobferry import … --all-objects lists every one" in note
    assert "GET" not in "\n".join(lines)


def test_every_object_is_listed_when_asked_and_a_small_plan_whole(
    capsys: pytest.CaptureFixture[str],
) -> None:
    show_plan(Output(False), _plan(120), every=True)
    assert len([line for line in _lines(capsys) if "job_" in line]) == 120
    show_plan(Output(False), _plan(SCREENFUL))
    lines = _lines(capsys)
    assert len([line for line in lines if "job_" in line]) == SCREENFUL
    assert not any("Showing" in line for line in lines)


def test_each_command_names_its_own_all_objects(capsys: pytest.CaptureFixture[str]) -> None:
    show_plan(Output(False), _plan(100), command="apply")
    note = next(line for line in _lines(capsys) if "Showing" in line)
    assert "jobferry apply … --all-objects lists every one" in note
    show_plan(Output(False), _plan(100), route="nightly", command="plan")
    note = next(line for line in _lines(capsys) if "Showing" in line)
    assert "--all-objects" not in note  # promote has no such option


def test_an_import_just_planned_lists_only_what_did_not_succeed_past_a_screenful(
    capsys: pytest.CaptureFixture[str],
) -> None:
    subtasks = [
        {"id": f"job:job_{i:04}", "status": "SUCCESSFUL", "action": "CREATE", "message": "ok"}
        for i in range(2000)
    ]
    subtasks[7] = {**subtasks[7], "status": "FAILED", "message": "broken — fix: API words"}
    task = {"id": "t1", "kind": "import", "status": "WARNING", "subtasks": subtasks}
    show_task(Output(False), task, summarise=True)
    lines = _lines(capsys)
    assert len(lines) < 30
    assert "2000 object(s): 1 failed, 1999 successful; jobferry tasks show t1 lists each one." in (
        " ".join(" ".join(lines).split())
    )
    failed = [line for line in lines if "job_0007" in line]
    assert failed
    assert "API words" not in "\n".join(lines)
    show_task(Output(False), task)  # tasks show: every one
    assert len([line for line in _lines(capsys) if "job:job_" in line]) == 2000


def test_the_signature_and_the_profile_are_said_in_words(
    capsys: pytest.CaptureFixture[str],
) -> None:
    plan = _plan(1)
    plan["signature"] = {"state": "untrusted", "keyId": "k1", "detail": "signed by k1; trust it."}
    plan["profile"] = {"name": "prod", "version": 3}
    show_plan(Output(False), plan, command="import")
    lines = _lines(capsys)
    assert "signature: untrusted (key k1): signed by k1; trust it." in lines
    assert "profile: prod, version 3" in lines
    plan["signature"] = {"state": "unsigned", "keyId": None, "detail": "not signed."}
    show_plan(Output(False), plan, command="import")
    assert "signature: unsigned: not signed." in _lines(capsys)


def test_a_summarised_plan_lists_what_it_changes_before_what_it_leaves_unchanged(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # A promotion or an apply -f of a whole folder: 2 changes among 600 objects, the first
    # one far down the plan; the screenful used to be 40 unchanged objects.
    objects: list[dict[str, Any]] = [
        {"action": "UNCHANGED", "kind": "job", "name": f"job_{i:04}"} for i in range(600)
    ]
    diff = [{"op": "changed", "path": "description", "before": "a", "after": "b"}]
    objects[450] = {"action": "OVERWRITE", "kind": "job", "name": "job_0450", "diff": diff}
    objects[599] = {"action": "CREATE", "kind": "script", "name": "new_sql"}
    summary = {"CREATE": 1, "OVERWRITE": 1, "SKIP": 0, "UNCHANGED": 598}
    show_plan(Output(False), {"planId": "p1", "objects": objects, "summary": summary})
    lines = _lines(capsys)
    listed = [line for line in lines if "job_" in line or "new_sql" in line]
    assert listed[0].split()[:5:2] == ["OVERWRITE", "job", "job_0450"]
    assert listed[1].split()[:5:2] == ["CREATE", "script", "new_sql"]
    assert len([line for line in listed if "UNCHANGED" in line]) == SCREENFUL - 2
    assert any("~ description: 'a' → 'b'" in line for line in lines)
    note = next(line for line in lines if "Showing" in line)
    assert f"Showing {SCREENFUL} of 600 objects, those to change first" in note


def test_objects_another_user_locked_are_said_changed_anyway_in_plain_words(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The soft lock policy only warns: the plan line names the holder (lockedBy), no problem.
    objects: list[dict[str, Any]] = [
        {"action": "OVERWRITE", "kind": "job", "name": "a_job", "lockedBy": "dana"},
        {"action": "DELETE", "kind": "script", "name": "b_sql", "lockedBy": "dana"},
        {"action": "CREATE", "kind": "job", "name": "c_job"},
    ]
    summary = {"CREATE": 1, "OVERWRITE": 1, "DELETE": 1, "SKIP": 0, "UNCHANGED": 0}
    show_plan(Output(False), {"planId": "p1", "objects": objects, "summary": summary})
    text = capsys.readouterr().out
    assert (
        "Locked by another user, changed anyway (this workspace's locks only warn): job 'a_job' "
        "(locked by dana), script 'b_sql' (locked by dana, deleted)."
    ) in " ".join(text.split())
    assert "locked by dana" in next(line for line in text.splitlines() if "a_job" in line)
    assert "lockedBy" not in text
    show_plan(Output(False), _plan(3))
    assert "Locked" not in capsys.readouterr().out


def test_a_job_rewritten_for_a_rename_over_another_user_s_lock_is_said_changed_anyway(
    capsys: pytest.CaptureFixture[str],
) -> None:
    plan = _plan(1)
    plan["referencesRewritten"] = [
        {"kind": "job", "name": "own_job", "lockedBy": "dana"},
        {"kind": "job", "name": "another_job"},
    ]
    show_plan(Output(False), plan)
    text = " ".join(capsys.readouterr().out.split())
    assert (
        "Locked by another user, changed anyway (this workspace's locks only warn): job "
        "'own_job' (locked by dana, references rewritten)."
    ) in text
    assert "renames: own_job (locked by dana), another_job." in text


def test_an_import_s_result_says_each_lock_it_passed_over_past_a_screenful_too(
    capsys: pytest.CaptureFixture[str],
) -> None:
    subtasks: list[dict[str, Any]] = [
        {"id": f"job:job_{i:04}", "status": "SUCCESSFUL", "action": "OVERWRITE", "kind": "job"}
        for i in range(100)
    ]
    subtasks[50] = {**subtasks[50], "lockedBy": "dana"}
    subtasks[60] = {**subtasks[60], "action": "DELETE", "lockedBy": "dana"}
    task = {"id": "t1", "kind": "import", "status": "SUCCESSFUL", "subtasks": subtasks}
    said = (
        "Locked by another user, changed anyway (this workspace's locks only warn): job "
        "'job_0050' (locked by dana), job 'job_0060' (locked by dana, deleted)."
    )
    show_task(Output(False), task, summarise=True)  # the successful ones are not listed
    assert said in " ".join(capsys.readouterr().out.split())
    show_task(Output(False), task)
    lines = _lines(capsys)
    assert said in " ".join(" ".join(lines).split())
    assert "job:job_0050 (locked by dana)" in next(ln for ln in lines if "job_0050" in ln)
    assert "lockedBy" not in "\n".join(lines)
