"""What a push must do (``services/remotes/program.py``): the names it reads before it writes
(old and new names of a rename, what it deletes or pauses) and whether it writes anything.
(The recording writer, which fills a program during the rehearsal, is exercised by every push
in ``test_push.py``.)"""

from __future__ import annotations

from jobferry.services.remotes.program import Program


def test_a_program_touches_what_it_writes_renames_deletes_and_pauses() -> None:
    program = Program()
    program.puts["job"] = {"daily": {"name": "daily"}}
    program.puts["script"] = {"daily_sql": {"name": "daily_sql"}}
    program.renames = [("job", "hourly", "hourly_totals")]
    program.deletes = [("resource", "old_jar")]
    program.paused = ["weekly"]
    assert program.touched() == {
        "job": {"daily", "hourly", "hourly_totals", "weekly"},
        "script": {"daily_sql"},
        "resource": {"old_jar"},
    }
    assert not program.empty()


def test_a_program_that_only_pauses_writes_nothing() -> None:
    program = Program()
    assert program.empty()
    program.paused = ["weekly"]
    assert program.empty()
    program.deletes = [("job", "weekly")]
    assert not program.empty()
