"""CPU-seconds of a process and of the processes it started, read from ``/proc``.

On a machine other work shares, a step's wall time says how busy the machine was as much as
what the step cost; the CPU the step's processes spent is disturbed much less. Read before and
after a step, the difference is the step's CPU: the process's own user and system time, that of
the children it has waited for, and that of its live descendants (a forkserver's helpers)."""

from __future__ import annotations

import os
from pathlib import Path

from bench.peak import descendants

TICKS = os.sysconf("SC_CLK_TCK")


def _ticks(pid: str, *, waited: bool) -> int:
    """utime + stime (and, with ``waited``, cutime + cstime) of one process; 0 once gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0
    fields = stat.rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
    own = int(fields[11]) + int(fields[12])
    return own + (int(fields[13]) + int(fields[14]) if waited else 0)


def tree_cpu_seconds(pid: int) -> float:
    """CPU-seconds spent so far by process ``pid``, its waited-for children and its live
    descendants (those of them that ended unwaited-for since are not counted)."""
    me = str(os.getpid())
    total = _ticks(str(pid), waited=True)
    total += sum(_ticks(child, waited=False) for child in descendants(str(pid)) if child != me)
    return total / TICKS


def own_cpu_seconds() -> float:
    """CPU-seconds of this process so far (its threads included)."""
    times = os.times()
    return times.user + times.system
