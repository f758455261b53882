"""Two calls interleaved at one point, over a real database: the first held once one of its
steps has run (its transaction open), the second started then, and whether the second waited
for the first (a row lock) or answered beside it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

import pytest

WAITS = 0.3
"""How long the second call is given to answer: it answers in milliseconds when it does not
wait for the first."""


@dataclass
class Hold:
    """The first call of a step held once it has run, until ``go``."""

    reached: threading.Event = field(default_factory=threading.Event)
    go: threading.Event = field(default_factory=threading.Event)


def held_at(
    monkeypatch: pytest.MonkeyPatch,
    owner: object,
    attr: str,
    when: Callable[..., bool] = lambda *args, **kwargs: True,
) -> Hold:
    """Hold the first call of ``owner.attr`` that ``when`` accepts (given the call's
    arguments) once it has run."""
    hold = Hold()
    original: Callable[..., Any] = getattr(owner, attr)

    def held(*args: Any, **kwargs: Any) -> Any:
        answer = original(*args, **kwargs)
        if not hold.reached.is_set() and when(*args, **kwargs):
            hold.reached.set()
            hold.go.wait(10)
        return answer

    monkeypatch.setattr(owner, attr, held)
    return hold


def second_waits(
    first: Future[Any], hold: Hold, second: Callable[[], Any], waits: float = WAITS
) -> bool:
    """Start ``second`` while ``first`` is held, let ``first`` go, let both end (raising what
    either raised), and say whether ``second`` waited for ``first`` (did not end within
    ``waits`` seconds: longer when the test needs ``second`` to end first, on a busy machine
    too)."""
    assert hold.reached.wait(30)
    with ThreadPoolExecutor(1) as pool:
        later = pool.submit(second)
        wait([later], timeout=waits)
        waited = not later.done()
        hold.go.set()
        first.result(30)
        later.result(30)
    return waited
