"""What the console tells a person to do about a refusal in a remote's shadow, said with its
pages (*Admin → Remotes*, *Import*): ``fixes.REMEDIES`` holds these with every other."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jobferry.domain.remedies import Remedy


def _refresh_shadow(context: dict[str, Any]) -> str:
    """A change refused in a shadow: what an import into it pushes to the remote is changed by
    one; what it does not push (``pushed`` false: its environment variables, its locks) is
    changed in the remote workspace and refreshed."""
    if context.get("pushed", True):
        return (
            "Refresh it under Admin → Remotes (Refresh); to change the remote, import a package "
            "into the shadow (Import): the import is pushed to the remote."
        )
    return (
        "Make the change in the remote workspace, then refresh it under Admin → Remotes (Refresh)."
    )


REMOTE_REMEDIES: dict[str, Callable[[dict[str, Any]], str]] = {
    Remedy.REFRESH_SHADOW: _refresh_shadow,
}
"""The remedies of a remote's shadow, said with the console's pages."""
