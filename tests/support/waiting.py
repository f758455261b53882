"""How the tests wait for something another thread or process is doing: looking again soon,
then less and less often."""

from __future__ import annotations

from collections.abc import Iterator


def pauses(first: float = 0.005, longest: float = 0.05) -> Iterator[float]:
    """Seconds to sleep between looks: ``first``, doubling up to ``longest``. Most tasks of a
    test end within a few hundredths of a second; a fixed pause of 50 ms made each wait for one
    last 25 ms longer than the task on average."""
    pause = first
    while True:
        yield pause
        pause = min(pause * 2, longest)
