"""How a refresh says how far it got (a refresh's own task, a plan's refresh of a stale
shadow): progress, message, and whether it is said often."""

from __future__ import annotations

from collections.abc import Callable

from jobferry.services.remotes.client import DataArtsClient

Said = Callable[[int, str, bool], None]
"""How a refresh says how far it got: progress (0–100), message, and whether it is said often
(after each batch: the task may write it at most every half second)."""


def reading_progress(
    said: Said, remote: str, client: DataArtsClient, last: int
) -> Callable[[int], None]:
    """How many jobs a refresh read, said towards what the remote's lists say (a first refresh
    has no other count; else as many as the ``last`` refresh listed), up to 80 %."""

    def reading(read: int) -> None:
        whole = client.listed_total("list_jobs") or last
        of = f" of {whole:,}" if whole >= read else ""
        message = f"Read {read:,}{of} job(s) of remote '{remote}' ({client.calls:,} calls)."
        said(min(80, 80 * read // whole) if whole else 0, message, True)

    return reading
