"""What a user's removal leaves short of approvers: the routes whose approval rule names them,
and the release packages waiting with them among their named approvers, where once they are
gone fewer approvers are left than the rule requires. An import along such a route, or a
deploy of such a package, is refused then (``DLF.9044``, ``approval.approvers_gone``: the
same count, ``approving.gone_short``), so the removal says them before it is made (its
question) and as it is made (its answer and audit entry), each with its fix: name other
approvers on the route; cancel the package and package its items again (a package's
approvers are fixed when it is made).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from jobferry.domain.routes import Route, RouteError, parse_route
from jobferry.services import approving
from jobferry.services.definitions.documents import load
from jobferry.storage import Tx
from jobferry.storage import accounts as repo
from jobferry.storage import approvals as approval_repo
from jobferry.storage import routes as route_repo
from jobferry.storage.pending import waiting_packages


@dataclass(frozen=True, kw_only=True)
class Shortfall:
    """Who of the approvers a rule names are gone, how many it names and how many it
    requires."""

    gone: tuple[str, ...]
    approvers: int
    """How many approvers it names."""
    required: int

    @property
    def left(self) -> int:
        """How many of its approvers can still approve."""
        return self.approvers - len(self.gone)

    def counts(self) -> dict[str, Any]:
        """As the answers say the shortfall."""
        return {"gone": list(self.gone), "approvers": self.approvers, "required": self.required}


@dataclass(frozen=True, kw_only=True)
class ShortRoute(Shortfall):
    """A route left with too few approvers."""

    route: str

    def wire(self) -> dict[str, Any]:
        """As the answers say it."""
        return {"route": self.route, **self.counts()}


@dataclass(frozen=True, kw_only=True)
class ShortPackage(Shortfall):
    """A release package waiting with too few approvers (its workspace's rule requires
    ``required``): its id, name and workspace."""

    package_id: int
    name: str
    workspace: str
    """The workspace's name."""

    def wire(self) -> dict[str, Any]:
        """As the answers say it."""
        return {
            "id": str(self.package_id),
            "name": self.name,
            "workspace": self.workspace,
            **self.counts(),
        }


@dataclass(frozen=True)
class LeftShort:
    """What a user's removal leaves short of approvers (empty: nothing)."""

    routes: tuple[ShortRoute, ...] = ()
    packages: tuple[ShortPackage, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.routes or self.packages)

    def wire(self) -> dict[str, Any]:
        """As the removal's answer and audit entry say it."""
        return {
            "routesLeftShort": [r.wire() for r in self.routes],
            "packagesLeftShort": [p.wire() for p in self.packages],
        }


def _routes(tx: Tx, project_id: str) -> list[Route]:
    """The project's routes as their newest versions read (one no longer read by today's
    rules requires no approvals here: its own refusal says what is wrong with it)."""
    found = []
    for item in route_repo.ROUTES.latest_all(tx, project_id):
        try:
            found.append(parse_route(item.name, load(item.document)))
        except RouteError:
            continue
    return found


def _short_routes(tx: Tx, project_id: str, names: Sequence[str]) -> dict[str, list[ShortRoute]]:
    found: dict[str, list[ShortRoute]] = {}
    for route in _routes(tx, project_id):
        rule = route.approvals
        for name in set(names).intersection(rule.approvers):
            gone = approving.gone_short(tx, project_id, rule.approvers, rule.required, leaving=name)
            if gone:
                short = ShortRoute(
                    route=route.name,
                    gone=tuple(gone),
                    approvers=len(rule.approvers),
                    required=rule.required,
                )
                found.setdefault(name, []).append(short)
    return found


def _short_packages(tx: Tx, project_id: str, names: Sequence[str]) -> dict[str, list[ShortPackage]]:
    """Only the packages of workspaces requiring approvals: elsewhere nothing waits on them."""
    found: dict[str, list[ShortPackage]] = {}
    spaces = {w.id: w.name for w in repo.list_workspaces(tx, project_id)}
    required = {w: approval_repo.required(tx, w) for w in spaces}
    for package in waiting_packages(tx, sorted(w for w, n in required.items() if n)):
        named = [a["user_name"] for a in package.approver_list()]
        need = required[package.workspace_id]
        for name in set(names).intersection(named):
            gone = approving.gone_short(tx, project_id, named, need, leaving=name)
            if gone:
                where = spaces[package.workspace_id]
                short = ShortPackage(
                    package_id=package.id,
                    name=package.name,
                    workspace=where,
                    gone=tuple(gone),
                    approvers=len(named),
                    required=need,
                )
                found.setdefault(name, []).append(short)
    return found


def left_short(tx: Tx, project_id: str, names: Sequence[str]) -> dict[str, LeftShort]:
    """For each of the project's users ``names``, what their removal would leave short of
    approvers (only those it leaves something short are keys)."""
    routes = _short_routes(tx, project_id, names)
    packages = _short_packages(tx, project_id, names)
    return {
        name: LeftShort(tuple(routes.get(name, ())), tuple(packages.get(name, ())))
        for name in names
        if name in routes or name in packages
    }
