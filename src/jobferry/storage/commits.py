"""Write transactions committed within one scope (an API request), counted.

A request refused busy (``DLF.9504``) had its refused transaction rolled back, but it may have
committed others before it; the scope's count tells them apart, so that its replay record is
forgotten only when nothing of the request was written (``services/accounts/replays.py``).
``Database.transaction`` counts each write it commits; the API opens a scope for each request.
A context variable carries it, so the thread-pool calls of the request (which run in a copy of
its context) count into the same scope."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass
class Commits:
    """How many write transactions committed in the scope so far."""

    count: int = 0


_SCOPE: ContextVar[Commits | None] = ContextVar("jobferry_commits", default=None)


@contextmanager
def counting() -> Iterator[Commits]:
    """A scope of its own for the block: the writes committed in it, counted."""
    commits = Commits()
    token = _SCOPE.set(commits)
    try:
        yield commits
    finally:
        _SCOPE.reset(token)


def committed() -> None:
    """One more write transaction committed (``Database.transaction``), in the scope if any."""
    commits = _SCOPE.get()
    if commits is not None:
        commits.count += 1


def current() -> Commits | None:
    """The scope of this context (``None``: outside any, as a task thread is)."""
    return _SCOPE.get()
