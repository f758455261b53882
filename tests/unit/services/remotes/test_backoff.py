"""How a remote call is sent again (``services/remotes/backoff.py``): waits doubling to a
cap, a ``Retry-After`` waited as asked, jitter, and a throttled call waited out past the
attempts other failures get, until its budget is spent."""

from __future__ import annotations

from jobferry.services.remotes.backoff import Backoff


def test_waits_double_from_the_first_up_to_the_longest() -> None:
    backoff = Backoff(first=0.5, longest=3.0)
    assert [backoff.wait(n, None) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_a_retry_after_is_waited_as_asked_up_to_the_longest() -> None:
    backoff = Backoff(first=0.5, longest=3.0, jitter=True)
    assert backoff.wait(1, "2") == 2.0
    assert backoff.wait(1, " 9 ") == 3.0
    assert 0.25 <= backoff.wait(1, "soon") <= 0.5  # not seconds: the backoff's own


def test_a_throttled_calls_retry_after_is_waited_as_asked_up_to_its_budget() -> None:
    backoff = Backoff(longest=5.0, throttled=60.0)
    assert backoff.wait(1, "20", throttled=True) == 20.0
    assert backoff.wait(1, "90", throttled=True) == 60.0  # then past the budget: it fails
    assert backoff.wait(1, "20") == 5.0  # a 503's Retry-After: up to the longest


def test_waits_with_jitter_are_a_half_to_the_whole_of_the_backoff_and_differ() -> None:
    backoff = Backoff(first=1.0, jitter=True)
    waits = [backoff.wait(3, None) for _ in range(200)]
    assert all(2.0 <= wait <= 4.0 for wait in waits)
    assert len(set(waits)) > 100  # calls throttled together are not sent again together


def test_a_throttled_call_is_sent_again_past_its_attempts_while_its_budget_lasts() -> None:
    backoff = Backoff(attempts=4, throttled=10.0, most=6)
    assert backoff.again(3, 0.0, 1.0, throttled=False)  # within the attempts: any failure
    assert not backoff.again(4, 0.0, 1.0, throttled=False)
    assert backoff.again(4, 8.0, 2.0, throttled=True)  # 10 s: within the budget
    assert not backoff.again(4, 8.0, 2.5, throttled=True)  # past it
    assert not backoff.again(6, 0.0, 0.0, throttled=True)  # ``most`` attempts, however short
    assert not Backoff(attempts=2).again(2, 0.0, 0.0, throttled=True)  # no budget: a probe
