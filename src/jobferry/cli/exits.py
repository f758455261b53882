"""Exit codes of the ``jobferry`` command, and the failures that choose them.

======  =====================================================================================
code    meaning
======  =====================================================================================
0       it worked (for ``plan``/``import --dry-run`` and ``promote`` without ``--apply``:
        nothing would change)
1       failed: the endpoint refused the call or could not be reached, a task ended FAILED,
        a file could not be read or written, the user declined the confirmation
2       usage: unknown command or option, bad option value, unusable configuration
3       check problems found: the plan or the import check listed problems (nothing was
        imported), the package itself was refused (by ``package verify``, or by the server
        for ``plan``/``import``: corrupt zip, hash mismatch, reader rule, oversize, signature)
4       ``plan``/``import --dry-run``/``apply --dry-run``, ``promote`` without ``--apply``:
        changes are pending (Terraform's ``-detailed-exitcode``): objects to write, and
        differences the plan skips or deletions it leaves out, which are pending work too
124     the wait ran out: a task the command followed (an import, an export, a plan…) was
        still running after ``--wait-timeout``/``JOBFERRY_WAIT_TIMEOUT`` seconds; it goes on
        in the server, and the message says how to follow it
130     interrupted (Ctrl-C); while following a task the server had accepted (an import, an
        export, a plan…), the task goes on there and the message says how to follow it (and
        to roll an import back); at a question, nothing was changed
======  =====================================================================================

CI pipelines can gate on them: ``jobferry plan pkg.zip`` exits 3 when the import would be
refused, ``jobferry package verify`` exits 3 when the package was tampered with. Exit 1 is
kept for failing to reach or to be served (a refusal that is not about the package).
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any

PACKAGE_REFUSALS = frozenset({"DLF.9020", "DLF.9041", "DLF.9042", "DLF.9413"})
"""Error codes of the server's refusals of a package itself (it cannot be read safely, it
breaks a reader rule or its manifest's hashes, it is over the size limit, a carried package does
not continue its route, objects it was planned against changed since its snapshot): exit 3, as
``package verify`` exits for the same package (docs/errors.md)."""


class ExitCode(IntEnum):
    """The documented exit codes."""

    OK = 0
    FAILED = 1
    USAGE = 2
    PROBLEMS = 3
    PENDING = 4
    TIMED_OUT = 124
    INTERRUPTED = 130


class CommandError(Exception):
    """A command cannot do what it was asked; the message says why and what to do. ``code``
    is a server's error code or one of the command's own (said before the message too);
    ``--json`` says the class's ``kind`` when there is none (``{"error": {"code": "usage"}}``),
    so that a script can tell failures apart."""

    exit_code: ExitCode = ExitCode.FAILED
    kind = "failed"

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.details = details


class CheckProblemsError(CommandError):
    """A check found problems (plan, import check, package verification): exit 3."""

    exit_code = ExitCode.PROBLEMS
    kind = "problems"


class CliUsageError(CommandError):
    """Options that do not fit together, or a configuration that cannot be used: exit 2."""

    exit_code = ExitCode.USAGE
    kind = "usage"


class CommandInterruptedError(CommandError):
    """Ctrl-C where the command knows what it leaves (at a question, nothing was changed): exit
    130, as an interrupted command exits."""

    exit_code = ExitCode.INTERRUPTED
    kind = "interrupted"


class WaitTimedOutError(CommandError):
    """A task followed for the wait's limit is still running in the server: exit 124 (as
    ``timeout`` exits), with the task and how to follow it; nothing of it was stopped."""

    exit_code = ExitCode.TIMED_OUT
    kind = "timeout"


class TaskWaitTimeoutError(Exception):
    """A task was followed for the context's ``wait_timeout`` and is still running: it goes
    on in the server (``task``: the last look at it)."""

    def __init__(self, task_id: str, seconds: float, task: dict[str, Any]) -> None:
        super().__init__(f"Task {task_id} is still running after {seconds:g} s.")
        self.task_id = task_id
        self.seconds = seconds
        self.task = task


class FollowingInterruptedError(CommandInterruptedError):
    """Ctrl-C while following a task the server goes on with: exit 130, with how to follow the
    task and what to do once it ends."""
