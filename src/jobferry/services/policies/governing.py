"""Which policies a plan into a workspace keeps: the workspace's, and the route's when the
package is a route's promotion.

A workspace's policy governs every plan into it (an import, a route's promotion, an apply of
files); in enterprise mode, every plan into its production side (a release package, an import
as released), and not the development side, where people work and submit freely. The route is
found by the package: a package a route's promotion made or took in is that route's, whoever
plans it (the route's own plan call, or a plain import naming the same package).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from jobferry.domain.policies import Policy, parse_policy
from jobferry.services.context import Scope
from jobferry.services.definitions.documents import load
from jobferry.services.policies.service import Holder, workspace_holder
from jobferry.storage import Tx
from jobferry.storage import policies as repo


@dataclass(frozen=True)
class HeldPolicy:
    """A policy as one holder keeps it: whose, which version, its rules."""

    holder: Holder
    version: int
    policy: Policy
    freezing: tuple[str, ...] = ()
    """The freeze windows holding when it was read (in words): an answer of the read, so a
    kept plan's apply, which compares what its reads answer, plans again when a window began
    or ended since the plan (the clock is no input of the plan's fingerprint)."""

    def said(self) -> str:
        """Whose policy and which version, in words."""
        return f"the policy of {self.holder.said()} (version {self.version})"


def governing(tx: Tx, scope: Scope, package_path: str) -> list[HeldPolicy]:
    """The policies a plan of the package at ``package_path`` into the scope's workspace
    keeps (the workspace's first, then the route's)."""
    found: list[HeldPolicy] = []
    if not scope.workspace.enterprise:
        _add(tx, scope, workspace_holder(tx, scope), found)
    route = repo.route_of_package(tx, scope.actor.project_id, package_path)
    if route is not None:
        _add(tx, scope, Holder.route(route), found)
    return found


def _add(tx: Tx, scope: Scope, holder: Holder, found: list[HeldPolicy]) -> None:
    item = repo.POLICIES.get(tx, scope.actor.project_id, holder.key)
    if item is not None:
        policy = parse_policy(load(item.document))
        now = datetime.now(UTC)
        freezing = tuple(w.describe() for w in policy.freeze if w.covers(now))
        found.append(HeldPolicy(holder, item.version, policy, freezing))
