"""Import, plan: which ``sameNamePolicy`` the plan applies, and why each SKIP is one.

DataArts' default (a body without ``sameNamePolicy``) is SKIP, and stays so for the clients
that rely on it. jobferry's own clients (the CLI without ``--policy``, the console wizard's
default choice, routes) ask for AUTO: OVERWRITE when the target's ledger holds objects it
received from the package's source (a repeated import: changed objects are overwritten, drift
is a problem under ``onDrift``), else SKIP (a first import leaves what the target already has).
The plan says what was asked, what was applied and why (:meth:`PolicyChoice.as_json`), and
every SKIP line says why it is one (:func:`.model.skip_reason`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jobferry.domain.enums import SameNamePolicy, SkipReason
from jobferry.services.importing.ports import TargetReader


@dataclass(frozen=True)
class PolicyChoice:
    """The ``sameNamePolicy`` a plan applies (SKIP or OVERWRITE) for the one asked."""

    asked: SameNamePolicy
    applied: SameNamePolicy
    why: str

    @property
    def skip(self) -> SkipReason:
        """Why the policy makes an object that differs a SKIP."""
        if self.asked == SameNamePolicy.AUTO:
            return SkipReason.FIRST_IMPORT
        return SkipReason.SAME_NAME_POLICY

    def as_json(self) -> dict[str, Any]:
        """The wire form (a plan's ``sameNamePolicy``)."""
        return {"asked": str(self.asked), "applied": str(self.applied), "reason": self.why}


def choose_policy(asked: SameNamePolicy, target: TargetReader, source: str | None) -> PolicyChoice:
    """The policy to apply: the one asked, or AUTO's choice by what the target's ledger holds
    from ``source`` (the package's source workspace id; ``None``: the package names none)."""
    if asked == SameNamePolicy.SKIP:
        return PolicyChoice(
            asked, SameNamePolicy.SKIP, "the same-name policy SKIP was asked (DataArts' default)"
        )
    if asked == SameNamePolicy.OVERWRITE:
        return PolicyChoice(
            asked, SameNamePolicy.OVERWRITE, "the same-name policy OVERWRITE was asked"
        )
    if source is None:
        return PolicyChoice(
            asked,
            SameNamePolicy.SKIP,
            "the package does not name its source workspace (a DataArts or format-1 "
            "package), so no ledger can tell a repeated import: AUTO keeps the target's objects",
        )
    if target.source_ledger(source, None, 1):
        return PolicyChoice(
            asked,
            SameNamePolicy.OVERWRITE,
            "the target already holds objects imported from the package's source workspace: "
            "AUTO overwrites the objects that changed",
        )
    return PolicyChoice(
        asked,
        SameNamePolicy.SKIP,
        "first import from the package's source workspace: AUTO keeps the target's objects "
        "of the same names",
    )
