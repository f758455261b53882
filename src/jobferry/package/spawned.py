"""A helper process beside a package's reader or writer: how it starts and how it ends.

A helper is spawned, never forked (a server process runs threads, which a fork would copy in
the middle of whatever they were doing), with two one-way pipes: ``work`` down to it, ``done``
back up. It is started per read or write and ended with it: told to stop (``None`` down the
work pipe), given :data:`STOP_SECONDS`, then killed.
"""

from __future__ import annotations

import contextlib
import fcntl
import multiprocessing
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, NamedTuple

STOP_SECONDS = 10.0


class Helper(NamedTuple):
    """A running helper process and its two pipes."""

    process: BaseProcess
    work: Connection
    """Down to the helper."""
    done: Connection
    """Up from the helper."""


def spawn(target: Callable[..., None], args: tuple[Any, ...], name: str) -> Helper:
    """Start ``target(*args, work, done)`` in a new interpreter (its ends of the pipes)."""
    context = multiprocessing.get_context("spawn")
    work_end, work = context.Pipe(duplex=False)
    done, done_end = context.Pipe(duplex=False)
    process = context.Process(
        target=target, args=(*args, work_end, done_end), name=name, daemon=True
    )
    try:
        process.start()
    except BaseException:
        work.close()
        done.close()
        raise
    finally:
        work_end.close()
        done_end.close()
    return Helper(process, work, done)


def widen(connection: Connection, size: int) -> None:
    """Let the pipe hold ``size`` bytes, so that sending waits less often for the helper."""
    # A system that caps pipes lower keeps its size: sending may then wait for the helper.
    with contextlib.suppress(OSError):
        fcntl.fcntl(connection.fileno(), fcntl.F_SETPIPE_SZ, size)


def stop(helper: Helper) -> None:
    """End the helper: asked first, killed if it does not end in time."""
    with contextlib.suppress(OSError):  # it stopped already
        helper.work.send(None)
    helper.process.join(STOP_SECONDS)
    if helper.process.is_alive():
        helper.process.kill()
        helper.process.join()
    helper.work.close()
    helper.done.close()


def gone(helper: Helper, doing: str, then: str) -> str:
    """What to say of a helper that stopped without an answer (after waiting for its end)."""
    helper.process.join(STOP_SECONDS)
    return (
        f"The helper process {doing} stopped (exit code {helper.process.exitcode}); see the "
        f"server log, and {then} again."
    )
