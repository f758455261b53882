"""Saving a document kept as versions (an environment profile, a route, a policy) on a
condition: the version its writer read, so that two writers never save over each other
unseen, and a create never saves over a document that exists."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Expected:
    """The newest version a save expects stored: ``version`` (0: none at all, a create), or
    any one when ``version`` is None (a change of a document that must exist)."""

    version: int | None

    def met_by(self, newest: int) -> bool:
        """Whether a newest stored version ``newest`` (0: none) is what the save expects."""
        return newest > 0 if self.version is None else newest == self.version


CREATE = Expected(0)
"""A create: there must be no version yet."""

EXISTING = Expected(None)
"""A change of a document that must exist, whatever its newest version."""
