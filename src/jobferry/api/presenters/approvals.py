"""Approval keys and the approval rule as the approvals extension answers them."""

from __future__ import annotations

from typing import Any

from jobferry.storage.approvals import ApprovalKeyRecord


def approval_key(item: ApprovalKeyRecord) -> dict[str, Any]:
    """A user's approval key."""
    return {
        "keyId": item.key_id,
        "user": item.user_name,
        "name": item.label,
        "publicKey": item.public_key,
        "registerTime": item.registered_at,
        "revokeTime": item.revoked_at,
    }


def approval_keys(found: list[ApprovalKeyRecord]) -> dict[str, Any]:
    """A list of approval keys."""
    return {"keys": [approval_key(k) for k in found], "total": len(found)}
