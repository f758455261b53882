"""A plan's field change as the CLI prints it: where it comes from and whether it is cosmetic,
said in words."""

from __future__ import annotations

import pytest

from jobferry.cli.changeview import change_line
from jobferry.cli.output import Output
from jobferry.cli.planview import SCREENFUL, show_plan


def test_a_change_says_where_it_comes_from_in_words() -> None:
    from_source = {"op": "changed", "path": "description", "before": "a", "after": "b"}
    assert change_line({**from_source, "origin": "source"}).plain == (
        "    ~ description: 'a' → 'b'  (changed in the source)"
    )
    drift = {**from_source, "origin": "target"}
    assert change_line(drift).plain.endswith("(undoes a change made here)")
    moved = {"op": "changed", "path": "nodes[a].location", "before": 1, "after": 2}
    layout = change_line({**moved, "origin": "transform", "cosmetic": True}).plain
    assert layout.endswith("(the profile or the import's settings, cosmetic: the drawing only)")
    assert change_line(from_source).plain == "    ~ description: 'a' → 'b'"


def test_what_a_plan_leaves_pending_says_deletions_apart_from_writes() -> None:
    """A plan of deletions only is not "objects to write"."""
    from jobferry.cli.planwork import pending

    assert pending({"summary": {"DELETE": 2}}) == "2 to delete"
    assert pending({"summary": {"CREATE": 1, "OVERWRITE": 2, "DELETE": 1}}) == (
        "3 object(s) to write, 1 to delete"
    )
    assert pending({"summary": {"UNCHANGED": 4}}) is None


def test_a_summarised_plan_counts_the_schedule_notes_it_does_not_show(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A move of many jobs into a zone with daylight saving showed the notes of the first 40
    and said nothing of the rest."""
    note = {"field": "cron", "mode": "keepWallClock", "note": "02:30 is skipped on 2027-03-28"}
    objects = [
        {"action": "OVERWRITE", "kind": "job", "name": f"job_{i:03}", "schedule": [note]}
        for i in range(SCREENFUL + 7)
    ] + [{"action": "UNCHANGED", "kind": "job", "name": "still"}]
    plan = {"planId": "p1", "objects": objects, "summary": {"OVERWRITE": SCREENFUL + 7}}
    show_plan(Output(False), plan, command="import")
    out = capsys.readouterr().out
    assert out.count("note: 02:30 is skipped") == SCREENFUL
    assert "7 more object(s) not shown have a schedule note; jobferry import … --all-objects" in out
    show_plan(Output(False), {**plan, "objectsTotal": 5000}, route="nightly")
    out = capsys.readouterr().out
    assert "At least 7 more object(s) not shown have a schedule note." in out
    show_plan(Output(False), plan, every=True)
    assert "not shown" not in capsys.readouterr().out


def test_a_long_chinese_value_is_cut_to_the_columns_not_the_characters() -> None:
    """A Chinese character takes two columns: a diff of 70 of them took 140 and wrapped."""
    from jobferry.cli.changeview import VALUE_WIDTH, changed_texts, value_text
    from jobferry.cli.grid import width_of

    long = "数据开发作业" * 20
    assert width_of(value_text(long)) <= VALUE_WIDTH
    assert value_text(long).endswith("…")
    old, new = changed_texts(long, long[:100] + "改" + long[101:])
    assert width_of(old) <= VALUE_WIDTH
    assert width_of(new) <= VALUE_WIDTH
    assert "改" in new
    assert old.startswith("…")
    assert new.endswith("…")
    ascii_old, ascii_new = changed_texts("a" * 200, "a" * 150 + "b" + "a" * 49)
    assert len(ascii_old) <= VALUE_WIDTH
    assert len(ascii_new) <= VALUE_WIDTH
    assert "b" in ascii_new


def test_a_skipped_object_the_package_renamed_is_named_as_this_workspace_holds_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The package calls the job 'jd' (its source renamed it); this workspace holds it as 'jc',
    and its own 'jd' is another job."""
    reason = {"code": "KEPT_DRIFT", "detail": "API words", "fix": "onDrift TAKE_PACKAGE"}
    skipped = {"action": "SKIP", "kind": "job", "name": "jd", "previousName": "jc"}
    plan = {"planId": "p1", "objects": [{**skipped, "reason": reason}], "summary": {"SKIP": 1}}
    show_plan(Output(False), plan, command="import")
    out = capsys.readouterr().out
    assert "jc (the package's jd)" in out
    assert "→" not in out
    assert (
        "skipped job 'jc' (the package's 'jd') changed in the target since the last import, "
        "and --on-drift is keep-target"
    ) in " ".join(out.split())


def test_an_overwrite_of_no_field_says_it_is_written_to_be_submitted(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """An import that submits what the target only saved writes it again with no field
    changed: the plan says why, where it would otherwise show nothing under the overwrite."""
    due = {"action": "OVERWRITE", "kind": "job", "name": "ja", "diff": []}
    changed = {
        **due,
        "name": "jb",
        "diff": [{"op": "changed", "path": "x", "before": 1, "after": 2}],
    }
    plan = {"planId": "p1", "objects": [due, changed], "summary": {"OVERWRITE": 2}}
    show_plan(Output(False), plan, command="import")
    out = capsys.readouterr().out
    assert out.count("no field changes: written again as a new submitted version") == 1
