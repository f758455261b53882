"""Waiting on a thread for a task's end (``TaskEnds.block``): a thread that follows another
task (a promotion following its planning task) wakes when an end is recorded, not a look
later, and does not wait at all for an end recorded since it last looked."""

from __future__ import annotations

import threading

from jobferry.services.taskends import TaskEnds


def test_a_blocked_follower_wakes_when_an_end_is_recorded() -> None:
    ends = TaskEnds()
    count = ends.count
    woke = threading.Event()

    def follow() -> None:
        ends.block(count, 60)  # would wait a minute without the end
        woke.set()

    follower = threading.Thread(target=follow)
    follower.start()
    while not ends._woken:  # the follower is waiting now
        woke.wait(0.001)
    ends.ended()
    assert woke.wait(30)
    follower.join(30)
    assert ends._woken == []


def test_an_end_recorded_since_the_last_look_does_not_wait() -> None:
    ends = TaskEnds()
    count = ends.count
    ends.ended()
    ends.block(count, 60)  # returns at once: the end came after the look
    assert ends._woken == []
