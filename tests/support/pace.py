"""How much slower this machine runs than the one the suite's time limits were set on.

pytest-timeout's limits (``timeout`` in pyproject.toml, the ``timeout`` marks of the browser and
journey tests, the generated stories' limits from ``support/fuzzing.py``) guard against a test
that hangs. They were set on 2-core machines that ran the CPU loop below in 0.02 to 0.05 s, and
the suite passed within them up to about 0.05 s. The same machines ran it in 0.02 to 0.14 s from
one day to the next (a shared host), and on the slowest a test that takes a minute on a quick
one would outgrow its limit: a red run that names no fault. So each test process times the loop
once, and where it ran slower than the reference, every limit is lengthened in proportion (never
shortened, at most :data:`MOST` times): a test that hangs still fails, only later. Assertions on
time (a wait that must end within seconds) are not touched: they say what the code promises, not
how fast the machine is."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable

import pytest

REFERENCE_SECONDS = 0.05
"""What :func:`loop_seconds` took on the slowest machine the suite passed on within its limits
(CONTRIBUTING.md's loop, over a module's globals, took about 1.3 s there; this one, over
locals, is quicker)."""
MOST = 4.0
"""The most a limit is lengthened: a machine slower still is a machine to fix, not to wait on."""


def loop_seconds(clock: Callable[[], float] = time.perf_counter) -> float:
    """The time a fixed CPU loop takes here, in wall seconds: the limits are wall time, and a
    busy machine (three test processes on two cores) stretches a test's wall time as the loop's.
    The better of two, so that one interruption does not count."""
    best = float("inf")
    for _ in range(2):
        began = clock()
        total = 0
        for i in range(1_000_000):
            total += i
        best = min(best, clock() - began)
    return best


def factor(measured: float, reference: float = REFERENCE_SECONDS, most: float = MOST) -> float:
    """How many times longer each limit is given, for a loop that took ``measured`` seconds:
    1 on a machine as quick as the reference or quicker, ``most`` at the most."""
    if measured <= reference:
        return 1.0
    return min(most, measured / reference)


def lengthened(limit: float, times: float) -> float:
    """A limit of ``limit`` seconds, ``times`` as long; 0 (no limit) stays 0."""
    return limit * times if limit > 0 else limit


@functools.cache
def here() -> float:
    """:func:`factor` for this test process, timed once."""
    return factor(loop_seconds())


def limit_of(item: pytest.Item, default: float) -> float:
    """The time limit ``item`` runs under: its closest ``timeout`` mark's, else ``default``
    (the ``timeout`` setting)."""
    mark = item.get_closest_marker("timeout")
    if mark is None:
        return default
    value = mark.kwargs.get("timeout", mark.args[0] if mark.args else None)
    return default if value is None else float(value)


def lengthen_limits(items: list[pytest.Item], default: float, times: float) -> None:
    """Give each of ``items`` its limit ``times`` as long (nothing where ``times`` is 1)."""
    if times <= 1:
        return
    for item in items:
        item.add_marker(pytest.mark.timeout(lengthened(limit_of(item, default), times)), False)
