"""``jobferry serve`` processes forked from one that has already imported jobferry.

A server spends about 2 s of CPU importing jobferry, FastAPI, SQLAlchemy and uvicorn before it
answers anything, and the suite starts about thirty. So each test process starts one
multiprocessing forkserver that imports them once, and every server a test starts is forked
from it: a process of its own, with its own environment, port, log and pid, which then runs
exactly what ``python -m jobferry serve`` runs (the command line's ``main``, settings built
from its environment). Signals, ``kill -9`` and restarts act on it as on any process. This is
how a preloading server (gunicorn's ``--preload``) starts its workers.

The forkserver only imports: it builds no settings, opens no database and starts no thread, so
a forked server starts from the state a fresh interpreter would reach by importing the same
modules. A first start (``start_server(..., first_start=True)``, the README's journey) still
runs the real command line in a new interpreter.

This module is imported by the forkserver and by every forked server: it imports nothing of
the tests.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import signal
import subprocess
import sys

from jobferry.package import helpers

PRELOAD = (
    "support.forkedserve",
    "jobferry.cli.app",
    "jobferry.api.app",
    "jobferry.server",
    "uvloop",
    "uvicorn.protocols.http.httptools_impl",
)
"""What the forkserver imports for the servers. It is also the forkserver jobferry's package
helpers are forked from in this process (:mod:`jobferry.package.helpers`): both lists are
registered there, so whichever starts it first starts it with both."""
_context = multiprocessing.get_context("forkserver")
_live: list[ForkedServer] = []
"""Every server this process forked (the first fork also sets the forkserver up)."""


def _serve(env: dict[str, str], log: str, cwd: str) -> None:
    """In the forked process: the starting test's working folder, the log as stdout and
    stderr, the server's environment, then ``jobferry serve``."""
    os.chdir(cwd)
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    # multiprocessing gave the child a stdin on a new descriptor; a command's is descriptor 0
    # (uvicorn's worker processes inherit it by number)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115 (the process's own)
    os.environ.clear()
    os.environ.update(env)
    sys.argv = ["jobferry", "serve"]
    from jobferry.cli import main

    main()


class ForkedServer:
    """A forked ``jobferry serve``, answering the part of ``subprocess.Popen`` the tests use."""

    args = ("jobferry", "serve")

    def __init__(self, env: dict[str, str], log: str) -> None:
        self._process = _context.Process(
            target=_serve, args=(env, log, os.getcwd()), name="jobferry serve"
        )
        self._process.start()

    @property
    def pid(self) -> int:
        pid = self._process.pid
        assert pid is not None
        return pid

    def poll(self) -> int | None:
        """The exit status, or None while it runs; minus the signal's number when a signal
        ended it, as Popen's."""
        return self._process.exitcode

    def wait(self, timeout: float | None = None) -> int:
        self._process.join(timeout)
        code = self._process.exitcode
        if code is None:
            raise subprocess.TimeoutExpired(list(self.args), timeout or 0)
        return code

    def send_signal(self, sig: int) -> None:
        if self._process.exitcode is None:
            os.kill(self.pid, sig)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def fork_server(env: dict[str, str], log: str) -> ForkedServer:
    """Start ``jobferry serve`` with ``env`` (the whole environment), writing to ``log``."""
    if not _live:
        helpers.preload(*PRELOAD)
        helpers.helper_context()  # the forkserver's preload: the servers' and the helpers'
        atexit.register(_kill_leftovers)  # before multiprocessing's own, which would join them
    server = ForkedServer(env, log)
    _live.append(server)
    return server


def _kill_leftovers() -> None:
    """A server a failed test left running must not keep its test process from ending."""
    for server in _live:
        if server.poll() is None:
            server.kill()
            server.wait()
