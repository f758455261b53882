"""What a plan into a remote's shadow stood on, said to people: a plan made against a carried
snapshot (not the remote itself) names the snapshot, when it was made and how old it was.

A plan's ``remoteState`` (``services/remotes/delivery.py``) says where the shadow's last refresh
came from; the CLI's plan view and the console's plan page both say it in these words, each
adding its own way to read the remote again.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

_UNITS = (("day", 86_400_000), ("hour", 3_600_000), ("minute", 60_000))


def age(ms: int) -> str:
    """A duration in milliseconds in words, to its two largest units: ``3 days 4 hours``,
    ``12 minutes``, ``under a minute``."""
    parts: list[str] = []
    left = max(ms, 0)
    for unit, size in _UNITS:
        count, left = divmod(left, size)
        if count or parts:
            parts.append(f"{count} {unit}{'s' if count != 1 else ''}")
        if len(parts) == 2:
            break
    shown = [p for p in parts if not p.startswith("0 ")]
    return " ".join(shown) if shown else "under a minute"


def snapshot_basis(remote_state: Mapping[str, Any] | None, now_ms: int) -> str | None:
    """The sentence saying which carried snapshot a plan stood on (``None``: the plan read the
    remote itself, or is not a shadow's)."""
    if not remote_state or remote_state.get("from") != "snapshot":
        return None
    snapshot = remote_state.get("snapshot")
    snapshot = snapshot if isinstance(snapshot, Mapping) else {}
    name = str(snapshot.get("fileName") or "a snapshot")
    sha = str(snapshot.get("sha256") or "")
    made = snapshot.get("madeAt")
    if isinstance(made, int) and not isinstance(made, bool):
        stamp = datetime.fromtimestamp(made / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        when = f"made {stamp}, {age(now_ms - made)} old"
    else:
        when = "made at a time it does not say"
    return (
        f"Planned against a carried snapshot of remote '{remote_state.get('remote')}', not the "
        f"remote itself: {name}" + (f" (SHA-256 {sha[:12]}…)" if sha else "") + f", {when}."
    )
