"""Policies of a workspace and of the project's routes: save (a new version each time), read,
list, history.

A policy is stored as the document its admin wrote (JSON, or YAML turned into the same
structure), checked with ``jobferry.domain.policies.parse_policy`` before it is kept. A
workspace's policy is kept under the development workspace (a production side's requests read
and write its workspace's); a route's under the route's name. Saving an empty document lifts
every rule; its earlier versions stay readable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jobferry.domain.enums import Role
from jobferry.domain.policies import HolderKind, PolicyError, parse_policy
from jobferry.domain.profile import load_profile_text
from jobferry.domain.remedies import Remedy
from jobferry.domain.saving import Expected
from jobferry.errors import InvalidRequestError, PolicyNotFoundError, RouteNotFoundError
from jobferry.services.audit import audit_in_scope
from jobferry.services.context import Scope, now_ms, require_project_admin
from jobferry.services.definitions.documents import dump
from jobferry.services.support.versions import SavedVersion, next_version
from jobferry.storage import Database, Tx
from jobferry.storage import policies as repo
from jobferry.storage import routes as route_repo
from jobferry.storage.accounts import get_workspace
from jobferry.storage.versioned import DocumentVersion


@dataclass(frozen=True)
class Holder:
    """Whose policy: a workspace (by its name, kept by its id) or a route (by its name)."""

    kind: HolderKind
    name: str
    key: str
    """The name the policy is stored under: ``workspace/<id>`` or ``route/<name>``."""

    @classmethod
    def workspace(cls, workspace_id: str, name: str) -> Holder:
        """The holder of a workspace's policy."""
        return cls(HolderKind.WORKSPACE, name, f"{HolderKind.WORKSPACE}/{workspace_id}")

    @classmethod
    def route(cls, name: str) -> Holder:
        """The holder of a route's policy."""
        return cls(HolderKind.ROUTE, name, f"{HolderKind.ROUTE}/{name}")

    def said(self) -> str:
        """The holder in words: "workspace 'prod'", "route 'nightly'"."""
        return f"{self.kind} '{self.name}'"

    def path(self) -> str:
        """The policy's API path below the project."""
        if self.kind is HolderKind.WORKSPACE:
            return "/policies/workspace"
        return f"/policies/routes/{self.name}"

    def context(self) -> dict[str, str]:
        """The fields an error names the holder with."""
        return {"holder_kind": str(self.kind), "holder": self.name}


@dataclass(frozen=True)
class PolicyVersion(SavedVersion):
    """One version of a policy; ``document`` is None in lists of policies."""

    holder_kind: HolderKind
    holder: str

    @classmethod
    def of(cls, holder: Holder, item: DocumentVersion, *, with_document: bool) -> PolicyVersion:
        """The stored version, with its document or without."""
        told = SavedVersion.told(item, with_document=with_document)
        return cls(**told, holder_kind=holder.kind, holder=holder.name)


def workspace_holder(tx: Tx, scope: Scope) -> Holder:
    """The holder of the scope's workspace's policy (a production side's: its workspace's)."""
    ws = scope.workspace
    if ws.production_of is None:
        return Holder.workspace(ws.id, ws.name)
    development = get_workspace(tx, ws.project_id, ws.production_of)
    return Holder.workspace(ws.production_of, development.name if development else ws.name)


def forget_route_policy(tx: Tx, project_id: str, route: str) -> None:
    """Remove every version of a route's policy, in the transaction that removes the route (a
    route made again under its name starts without one)."""
    repo.POLICIES.remove(tx, project_id, Holder.route(route).key)


@dataclass
class PolicyService:
    """Save, read and list the policies of a workspace and of the project's routes."""

    db: Database

    def put(
        self,
        scope: Scope,
        route: str | None,
        body: bytes | dict[str, Any],
        expected: Expected | None = None,
    ) -> PolicyVersion:
        """Save a new version of the workspace's policy (its admins) or of ``route``'s (project
        admins) from a JSON/YAML document; with ``expected``, only when its newest version is
        the one expected."""
        if route is None:
            scope.require((Role.ADMIN,), "change the workspace's policy")
        else:
            require_project_admin(scope.actor, "change route policies")
        if isinstance(body, bytes | str):
            try:
                # An empty YAML document (only comments) is a policy without rules.
                document: object = load_profile_text(body)
                document = {} if document is None else document
            except ValueError as exc:
                raise InvalidRequestError(f"The policy is not valid JSON or YAML: {exc}") from None
        else:
            document = body
        try:
            policy = parse_policy(document)
        except PolicyError as exc:
            raise InvalidRequestError(
                f"The policy is invalid: {'; '.join(exc.problems)}.", problems=exc.problems
            ) from None
        with self.db.transaction() as tx:
            holder = self._holder(tx, scope, route)
            version = next_version(
                repo.POLICIES,
                tx,
                scope.actor.project_id,
                holder.key,
                expected,
                f"the policy of {holder.said()}",
            )
            item = DocumentVersion(
                scope.actor.project_id,
                holder.key,
                version,
                dump(dict(policy.document)),
                now_ms(),
                scope.actor.name,
            )
            repo.POLICIES.insert_version(tx, item)
            audit_in_scope(tx, scope, "policy.put", "policy", holder.key, {"version": version})
        return PolicyVersion.of(holder, item, with_document=True)

    def get(self, scope: Scope, route: str | None, version: int | None = None) -> PolicyVersion:
        """One version of the workspace's or ``route``'s policy (the newest by default)."""
        with self.db.transaction(readonly=True) as tx:
            holder = self._holder(tx, scope, route)
            item = repo.POLICIES.get(tx, scope.actor.project_id, holder.key, version)
        if item is None:
            raise _missing(holder, version)
        return PolicyVersion.of(holder, item, with_document=True)

    def versions(self, scope: Scope, route: str | None) -> list[PolicyVersion]:
        """Every version of the workspace's or ``route``'s policy, newest first."""
        with self.db.transaction(readonly=True) as tx:
            holder = self._holder(tx, scope, route)
            items = repo.POLICIES.versions(tx, scope.actor.project_id, holder.key)
        if not items:
            raise _missing(holder, None)
        return [PolicyVersion.of(holder, item, with_document=True) for item in items]

    def list_all(self, scope: Scope) -> list[PolicyVersion]:
        """The newest version of the workspace's policy and of every route's, the workspace's
        first, then the routes' by name."""
        with self.db.transaction(readonly=True) as tx:
            mine = workspace_holder(tx, scope)
            items = repo.POLICIES.latest_all(tx, scope.actor.project_id)
        found = [
            PolicyVersion.of(mine, i, with_document=False) for i in items if i.name == mine.key
        ]
        route_prefix = f"{HolderKind.ROUTE}/"
        for item in items:
            if item.name.startswith(route_prefix):
                holder = Holder.route(item.name.removeprefix(route_prefix))
                found.append(PolicyVersion.of(holder, item, with_document=False))
        return found

    @staticmethod
    def _holder(tx: Tx, scope: Scope, route: str | None) -> Holder:
        if route is None:
            return workspace_holder(tx, scope)
        if route_repo.ROUTES.latest_version(tx, scope.actor.project_id, route) == 0:
            raise RouteNotFoundError(
                f"There is no route '{route}' in this project; a route's policy belongs to a "
                "route that exists.",
                fix="List them with GET /v1/{project_id}/routes.",
                remedy=Remedy.LIST_ROUTES,
                route=route,
            )
        return Holder.route(route)


def _missing(holder: Holder, version: int | None) -> PolicyNotFoundError:
    which = f"version {version} of the policy" if version is not None else "policy"
    return PolicyNotFoundError(
        f"There is no {which} of {holder.said()}.",
        fix=f"Save one with PUT /v1/{{project_id}}{holder.path()}, or read the versions it has "
        f"(GET /v1/{{project_id}}{holder.path()}/versions).",
        remedy=Remedy.SAVE_POLICY,
        **holder.context(),
    )
