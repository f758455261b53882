"""A change to a workspace's settings (lock policy, approval switch, signed-package rule), as
the API and the console send it, checked."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jobferry.domain.enums import LockPolicy
from jobferry.domain.shapes import BodyShape, choice, flag
from jobferry.errors import InvalidRequestError
from jobferry.storage.records import WorkspaceRecord

SETTINGS = BodyShape(
    "workspace settings (absent or null: unchanged)",
    (
        choice(
            "lockPolicy", "a lock held by another user warns or refuses", LockPolicy, nullable=True
        ),
        flag("approvalEnabled", "submissions need an approver", nullable=True),
        flag("requireSigned", "imports accept only signed packages", nullable=True),
    ),
)
"""The body :func:`parse_workspace_settings` reads; other keys are refused."""
_SETTABLE = "lockPolicy (soft|hard), approvalEnabled (true|false) and requireSigned (true|false)"


@dataclass(frozen=True)
class WorkspaceSettings:
    """A change to a workspace's settings; ``None`` leaves a setting as it is."""

    lock_policy: LockPolicy | None = None
    approval_enabled: bool | None = None
    require_signed: bool | None = None

    def wire(self) -> dict[str, Any]:
        """The change as the API spells it (for the audit log)."""
        values = {
            "lockPolicy": self.lock_policy.value if self.lock_policy else None,
            "approvalEnabled": self.approval_enabled,
            "requireSigned": self.require_signed,
        }
        return {k: v for k, v in values.items() if v is not None}

    def changes(self, ws: WorkspaceRecord) -> bool:
        """Whether this change sets anything of ``ws`` otherwise than it is."""
        wanted = (
            (self.lock_policy.value if self.lock_policy else None, ws.lock_policy),
            (self.approval_enabled, ws.approval_enabled),
            (self.require_signed, ws.require_signed),
        )
        return any(new is not None and new != old for new, old in wanted)


def parse_workspace_settings(body: dict[str, Any]) -> WorkspaceSettings:
    """``{"lockPolicy", "approvalEnabled", "requireSigned"}`` checked into a change."""
    unknown = SETTINGS.unknown(body)
    if unknown:
        raise InvalidRequestError(
            f"Workspace settings do not include {', '.join(unknown)}; settable fields are "
            f"{_SETTABLE}."
        )
    lock_policy = body.get("lockPolicy")
    if lock_policy is not None and lock_policy not in [p.value for p in LockPolicy]:
        raise InvalidRequestError(f"lockPolicy '{lock_policy}' is not valid; use 'soft' or 'hard'.")
    for key in ("approvalEnabled", "requireSigned"):
        if body.get(key) is not None and not isinstance(body[key], bool):
            raise InvalidRequestError(f"{key} must be true or false.")
    return WorkspaceSettings(
        LockPolicy(lock_policy) if lock_policy is not None else None,
        body.get("approvalEnabled"),
        body.get("requireSigned"),
    )
