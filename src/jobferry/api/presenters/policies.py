"""Policies (jobferry extension) in camelCase: a version of a workspace's or a route's policy."""

from __future__ import annotations

from typing import Any

from jobferry.services.policies.service import PolicyVersion


def policy(version: PolicyVersion) -> dict[str, Any]:
    """One version of a policy (its ``document`` when the record carries it)."""
    view: dict[str, Any] = {
        "holder": {"kind": str(version.holder_kind), "name": version.holder},
        "version": version.version,
        "description": version.description,
        "updateTime": version.updated_at,
        "updateUser": version.updated_by,
    }
    if version.document is not None:
        view["document"] = version.document
    return view
