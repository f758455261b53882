"""What the console tells a person to do about a job's versions, scheduling and locks, said
with the job's pages (its editor, *Stop scheduling*, *Unlock*): ``fixes.REMEDIES`` holds these
with every other."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jobferry.domain.remedies import Remedy

JOB_REMEDIES: dict[str, Callable[[dict[str, Any]], str]] = {
    Remedy.SUBMIT_JOB: lambda c: (
        "Submit a version first: open it, choose Edit and save it with “Save and submit a "
        "new version”."
    ),
    Remedy.EXPORT_DEVELOPMENT: lambda c: (
        "Export their development states (Job status: Development state), or submit a version "
        "of each first: open it, choose Edit and save it with “Save and submit a new version”."
    ),
    Remedy.SHOW_DEVELOPMENT_STATE: lambda c: (
        "Its page shows its development state; to give it a version, open it, choose Edit and "
        "save it with “Save and submit a new version”."
    ),
    Remedy.SCHEDULABLE_VERSION: lambda c: (
        "Give its schedule a cron expression (e.g. '0 30 2 * * ?'), save the development "
        "state only, or stop scheduling the job first (Stop scheduling on its page)."
    ),
    Remedy.RELEASE_LOCK: lambda c: (
        f"Ask {c.get('holder') or 'its holder'} to choose Unlock on its page, or a workspace "
        "admin to unlock it for them."
    ),
    Remedy.STOP_JOB: lambda c: (
        "Stop scheduling the job first (Stop scheduling on its page), then try again."
    ),
}
"""The remedies of a job's versions and scheduling, said with its pages."""
