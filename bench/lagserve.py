"""``python -m bench.lagserve``: ``jobferry serve`` with an event-loop lag probe (``bench.busy
--lag``), configured by the environment as ``jobferry serve`` is.

A coroutine on the server's loop notes the time every 10 ms; a watchdog thread beside it looks
every 20 ms, and when the loop has not come back for ``JOBFERRY_BENCH_LAG_MS`` (default 100),
writes the loop thread's stack and the top of every other thread's to
``JOBFERRY_BENCH_LAG_FILE`` (once per stall): what the loop was doing instead of answering
requests, or, when it shows no Python of its own, which thread held the interpreter lock. Every
second it writes every lag the coroutine saw so far (ms, one per line) to that file's name
plus ``.lags``.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

import uvicorn

TICK = 0.01


class Watch:
    def __init__(self, out: Path, stall: float) -> None:
        self.out, self.stall = out, stall
        self.beat = time.monotonic()
        self.lags: list[float] = []
        self.loop_thread = threading.get_ident()

    async def ticking(self) -> None:
        self.loop_thread = threading.get_ident()
        while True:
            before = time.monotonic()
            await asyncio.sleep(TICK)
            now = time.monotonic()
            self.lags.append(now - before - TICK)
            self.beat = now

    def watching(self) -> None:
        reported, written = 0.0, time.monotonic()
        with self.out.open("a") as out:
            while True:
                time.sleep(0.02)
                if time.monotonic() - written > 1:
                    written = time.monotonic()
                    self.dump()
                beat = self.beat
                if time.monotonic() - beat < self.stall or beat == reported:
                    continue
                reported = beat
                frames = sys._current_frames()
                out.write(f"--- loop stalled {time.monotonic() - beat:.3f} s\n")
                for ident, frame in frames.items():  # the loop's first, then the others' tops
                    if ident == threading.get_ident():
                        continue
                    depth = None if ident == self.loop_thread else -6
                    stack = traceback.format_stack(frame)[depth or 0 :]
                    out.write(f"thread {ident}{' (loop)' if depth is None else ''}:\n")
                    out.write("".join(stack))
                out.flush()

    def dump(self) -> None:
        lags = list(self.lags)
        self.out.with_name(self.out.name + ".lags").write_text(
            "".join(f"{lag * 1000:.1f}\n" for lag in lags)
        )


def main() -> None:
    out = Path(os.environ.get("JOBFERRY_BENCH_LAG_FILE", "lag.txt"))
    watch = Watch(out, float(os.environ.get("JOBFERRY_BENCH_LAG_MS", "100")) / 1000)
    serve = uvicorn.Server.serve

    async def serving(self: uvicorn.Server, sockets: Any = None) -> None:
        asyncio.get_running_loop().create_task(watch.ticking())
        threading.Thread(target=watch.watching, daemon=True).start()
        await serve(self, sockets)

    uvicorn.Server.serve = serving  # type: ignore[method-assign]
    from jobferry.cli.app import main as cli

    sys.argv = ["jobferry", "serve"]
    cli()


if __name__ == "__main__":
    main()
