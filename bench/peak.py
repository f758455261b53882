"""``python bench/peak.py PID``: the peak resident memory of process PID and of the processes
it starts (and theirs, this one aside), summed, sampled every 20 ms until this script's input
closes; prints it in KiB.

It samples from a process of its own. A sampling thread inside the measured process took that
process's interpreter lock fifty times a second to read and parse ``/proc`` (1.2 s of its own
during a 100,000-job import, time the import's thread waited for the lock): the instrument
slowed what it measured. From outside it costs the measured process nothing; reading one short
``statm`` line per process keeps its own cost small.
"""

from __future__ import annotations

import os
import select
import sys
from pathlib import Path

PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024
INTERVAL = 0.02


def resident_kib(pid: str) -> int:
    """The resident memory of one process (0 once it is gone)."""
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_KIB
    except (OSError, IndexError, ValueError):
        return 0


def descendants(pid: str) -> list[str]:
    """The processes ``pid`` started (and theirs), from /proc's children lists."""
    found: list[str] = []
    for tasks in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found += tasks.read_text().split()
        except OSError:
            continue
    return found + [d for child in found for d in descendants(child)]


def main() -> None:
    pid, me = sys.argv[1], str(os.getpid())
    peak = 0
    while True:
        ended = bool(select.select([sys.stdin], [], [], INTERVAL)[0])
        others = [child for child in descendants(pid) if child != me]
        total = resident_kib(pid) + sum(resident_kib(child) for child in others)
        peak = max(peak, total)
        if ended:
            break
    print(peak, flush=True)


if __name__ == "__main__":
    main()
