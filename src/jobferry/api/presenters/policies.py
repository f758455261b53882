"""Policies (jobferry extension) in camelCase: a version of a workspace's or a route's policy."""

from __future__ import annotations

from typing import Any

from jobferry.api.presenters.workspaces import saved_version
from jobferry.services.policies.service import PolicyVersion


def policy(version: PolicyVersion) -> dict[str, Any]:
    """One version of a policy (its ``document`` when the record carries it)."""
    holder = {"kind": str(version.holder_kind), "name": version.holder}
    return {"holder": holder, **saved_version(version)}
