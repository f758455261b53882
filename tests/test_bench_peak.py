"""The bench's memory sampler (``bench/peak.py``): it sums a process and the processes it
started, from outside them, and reports the peak once its input closes."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

PEAK = Path(__file__).resolve().parents[1] / "bench" / "peak.py"
MIB = 1024 * 1024

# A process holding 120 MiB that starts a second holding 80 MiB; each says when it holds it,
# and both hold it until the first's input closes.
HOLDER = """
import subprocess, sys
held = b"x" * (120 * 1024 * 1024)
child = subprocess.Popen(
    [sys.executable, "-c", "import sys; held = b'y' * (80 * 1024 * 1024); print(1, flush=True); "
     "sys.stdin.read()"],
    stdin=subprocess.PIPE, stdout=subprocess.PIPE,
)
child.stdout.readline()
print(1, flush=True)
sys.stdin.read()
child.communicate()
"""


def test_the_peak_is_the_sum_of_a_process_and_the_processes_it_started() -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    sampler = subprocess.Popen(
        [sys.executable, str(PEAK), str(holder.pid)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == b"1"
        time.sleep(0.2)  # a few samples while both hold their memory
        out, _ = sampler.communicate("", timeout=30)
    finally:
        holder.communicate(b"", timeout=30)
    peak_mib = int(out) * 1024 / MIB
    assert 200 <= peak_mib < 320, peak_mib


def test_a_process_gone_counts_nothing_and_the_sampler_still_answers() -> None:
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    out = subprocess.run(
        [sys.executable, str(PEAK), gone.stdout.strip()],
        input="",
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout
    assert int(out) == 0
