"""What a call cut by its server's stop is answered (``api/stopping.cut_by_stop``): 503
``DLF.9071`` naming the shutdown time; a read says it changed nothing, a write that it may
have been done."""

from __future__ import annotations

from jobferry.api.stopping import cut_by_stop


def test_a_cut_read_says_nothing_was_changed() -> None:
    cut = cut_by_stop("GET", 20)
    assert (cut.status, cut.code) == (503, "DLF.9071")
    assert "JOBFERRY_SHUTDOWN_SECONDS (20 s)" in cut.message
    assert "Nothing was changed." in cut.message
    assert cut.envelope()["seconds"] == 20


def test_a_cut_write_says_it_may_have_been_done_and_to_look_before_sending_it_again() -> None:
    cut = cut_by_stop("POST", 5)
    assert "may have been done" in cut.message
    assert "Nothing was changed" not in cut.message
    assert cut.message.endswith("answers.")
    assert "Read what it changes before sending it again" in cut.message
