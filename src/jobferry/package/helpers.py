"""A helper process beside a package's reader or writer: how it starts and how it ends.

A helper is forked from the process's multiprocessing **forkserver**, never from the process
itself: a server process runs threads, which a fork would copy in the middle of whatever they
were doing, and the forkserver is a process of its own that runs none. The forkserver is
started once per process, by the first helper, as a new interpreter that imports what helpers
need (:func:`preload`) and nothing else; every helper after that starts as a fork of it, in a
few milliseconds with its modules imported, where a new interpreter took ~0.4 s of CPU to
import them again. It ends when the process that started it ends.

A helper has two one-way pipes: ``work`` down to it, ``done`` back up. It is started per read
or write and ended with it: told to stop (``None`` down the work pipe), given
:data:`STOP_SECONDS`, then killed. Like a spawned process, it starts in its starter's working
folder with its ``sys.path``, and imports the program's main file again if it has one
(``bin/jobferry`` imports the command line, which the command line preloads for it).
"""

from __future__ import annotations

import contextlib
import fcntl
import multiprocessing
import multiprocessing.context
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

STOP_SECONDS = 10.0

_PRELOAD = {"jobferry.package.readahead", "jobferry.package.writebehind"}
"""What the forkserver imports: the helpers' own modules, and those :func:`preload` adds."""


class Helper:
    """A helper process and its two pipes. The process is started in the background: a
    process's first helper waits while the forkserver starts and imports what it preloads (most
    of a second), and whoever started it goes on meanwhile (reading or writing the first
    batches itself)."""

    def __init__(
        self,
        process: BaseProcess,
        work: Connection,
        done: Connection,
        ends: tuple[Connection, Connection],
    ) -> None:
        """Start ``process`` (in the background), which takes the pipes' other ``ends``."""
        self.work = work
        """Down to the helper."""
        self.done = done
        """Up from the helper."""
        self._process = process
        self._failure: BaseException | None = None
        self._ends = ends
        self._starting = threading.Thread(
            target=self._start, name=f"{process.name}-start", daemon=True
        )
        self._starting.start()

    def _start(self) -> None:
        try:
            self._process.start()
        except BaseException as exc:  # said by gone(): its pipes' ends close unused
            self._failure = exc
        finally:
            for end in self._ends:  # the helper has its own copies now
                end.close()

    @property
    def process(self) -> BaseProcess | None:
        """The helper's process, once started (``None``: it could not be started)."""
        self._starting.join()
        return None if self._failure is not None else self._process

    @property
    def failure(self) -> BaseException | None:
        """Why the helper could not be started (``None``: it was)."""
        self._starting.join()
        return self._failure


def preload(*modules: str) -> None:
    """Have helpers start with ``modules`` imported: the modules a helper's work is unpickled
    from (an import's preparation, say), which it would otherwise import in every helper.
    Only what is added before the process's first helper starts is preloaded; a module added
    later is imported by each helper that needs it."""
    _PRELOAD.update(modules)


def helper_context() -> multiprocessing.context.ForkServerContext:
    """The multiprocessing context helpers start in: forks of this process's forkserver, which
    imports what :func:`preload` named before it started."""
    forking = multiprocessing.get_context("forkserver")
    forking.set_forkserver_preload(sorted(_PRELOAD))
    return forking


def start(target: Callable[..., None], args: tuple[Any, ...], name: str) -> Helper:
    """Start ``target(*args, work, done)`` in a helper process (its ends of the pipes), in the
    background."""
    forking = helper_context()
    work_end, work = forking.Pipe(duplex=False)
    done, done_end = forking.Pipe(duplex=False)
    process = forking.Process(
        target=target, args=(*args, work_end, done_end), name=name, daemon=True
    )
    return Helper(process, work, done, (work_end, done_end))


def widen(connection: Connection, size: int) -> None:
    """Let the pipe hold ``size`` bytes, so that sending waits less often for the helper."""
    # A system that caps pipes lower keeps its size: sending may then wait for the helper.
    with contextlib.suppress(OSError):
        fcntl.fcntl(connection.fileno(), fcntl.F_SETPIPE_SZ, size)


def stop(helper: Helper) -> None:
    """End the helper: asked first, killed if it does not end in time."""
    with contextlib.suppress(OSError):  # it stopped already
        helper.work.send(None)
    process = helper.process
    if process is not None:
        process.join(STOP_SECONDS)
        if process.is_alive():
            process.kill()
            process.join()
    helper.work.close()
    helper.done.close()


def gone(helper: Helper, doing: str, then: str) -> str:
    """What to say of a helper that stopped without an answer (after waiting for its end)."""
    process = helper.process
    if process is None:
        return (
            f"The helper process {doing} could not be started ({helper.failure!r}); see the "
            f"server log, and {then} again."
        )
    process.join(STOP_SECONDS)
    return (
        f"The helper process {doing} stopped (exit code {process.exitcode}); see the "
        f"server log, and {then} again."
    )
