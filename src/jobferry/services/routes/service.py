"""Routes of a project: save (a new version each time), read, list, remove, and their history.

A route spans workspaces, so it belongs to the project: any member may read it, and only a
project admin may change it (it decides what reaches the target). Its local ends must be
workspaces of the project when it is saved; a carried end names none.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from jobferry.domain.profile import ProfileError, merge_renames, parse_profile
from jobferry.domain.remedies import Remedy
from jobferry.domain.routes import Route, RouteEnd, RouteError, parse_route
from jobferry.domain.saving import Expected
from jobferry.errors import (
    InvalidRequestError,
    ProfileNotFoundError,
    RouteNotFoundError,
    WorkspaceNotFoundError,
)
from jobferry.services.audit import audit_in_scope, record_audit
from jobferry.services.context import Scope, now_ms, require_project_admin
from jobferry.services.definitions.documents import dump, load
from jobferry.services.policies.service import forget_route_policy
from jobferry.services.support.versions import next_version, removable
from jobferry.services.workspaces.profiles import RenamesSaved, renames_clash
from jobferry.storage import Database, Tx
from jobferry.storage import accounts as account_repo
from jobferry.storage import profiles as profile_repo
from jobferry.storage import routes as repo
from jobferry.storage.versioned import DocumentVersion


@dataclass(frozen=True)
class RouteVersion:
    """One saved version of a route, typed."""

    route: Route
    version: int
    updated_at: int
    updated_by: str


@dataclass(frozen=True)
class VersionPage:
    """A page of a route's versions, newest first, how many it has in all, and the version
    just before the page's oldest (``None``: the page ends with the first), to say what that
    one changed."""

    versions: list[RouteVersion]
    total: int
    before: RouteVersion | None


def _typed(item: DocumentVersion) -> RouteVersion:
    return RouteVersion(
        parse_route(item.name, load(item.document)),
        item.version,
        item.created_at,
        item.created_by,
    )


def _parsed(name: str, document: object) -> Route:
    """The route, and the profile it carries inline checked as a saved profile is (its
    ``targetOwned`` paths against the definitions' fields): every problem at once."""
    problems: list[str] = []
    route = None
    try:
        route = parse_route(name, document)
    except RouteError as exc:
        problems += exc.problems
    inline = document.get("profile") if isinstance(document, Mapping) else None
    if isinstance(inline, Mapping):
        try:
            parse_profile(inline)
        except ProfileError as exc:
            problems += [f"profile: {problem}" for problem in exc.problems]
    if route is None or problems:
        raise InvalidRequestError(
            f"Route '{name}' is invalid: {'; '.join(problems)}.",
            route=name,
            problems=problems,
        )
    return route


def _check_end(tx: Tx, scope: Scope, end: RouteEnd, what: str, name: str) -> str | None:
    """The id of the route's end on this server (``None``: on another), refused when it
    names a workspace this project does not have."""
    if end.carried or end.workspace is None:
        return None
    project = scope.actor.project_id
    found = account_repo.find_workspace_by_name(tx, project, end.workspace)
    if found is None:
        found = account_repo.get_workspace(tx, project, end.workspace)
    if found is None:
        # Whether the route is saved already: its fix edits it, or creates it (a create of a
        # route that does not exist cannot be followed by an edit).
        exists = repo.ROUTES.get(tx, project, name, None) is not None
        raise WorkspaceNotFoundError(
            f"Route '{name}': its {what} workspace '{end.workspace}' does not exist in this "
            "project.",
            fix=f'Create it first, or make that end carried ({{"{what}": {{"carried": true}}}}) '
            "when it is on another server.",
            remedy=Remedy.CARRIED_END,
            workspace=end.workspace,
            route=name,
            end=what,
            exists=exists,
        )
    return found.id


def _check_distinct(route: Route, source: str | None, target: str | None) -> None:
    """Refuse a route whose source is its target, one end named by the workspace's name and
    the other by its id (the document alone cannot tell)."""
    if source is None or source != target:
        return
    problem = (
        f"source and target must be different workspaces: '{route.source.workspace}' and "
        f"'{route.target.workspace}' are the same workspace"
    )
    raise InvalidRequestError(
        f"Route '{route.name}' is invalid: {problem}.",
        fix="Name another workspace as the route's target or its source.",
        route=route.name,
        problems=[problem],
    )


def _check_approvers(tx: Tx, scope: Scope, route: Route, target: str | None) -> None:
    """Refuse approvers with no role in the route's target workspace on this server (``target``:
    its id), where its plans are approved: none of them could ever sign."""
    if target is None or not route.approvals.approvers:
        return
    members = {
        user.name for user, _ in account_repo.workspace_members(tx, scope.actor.project_id, target)
    }
    strangers = [name for name in route.approvals.approvers if name not in members]
    if strangers:
        have = "has" if len(strangers) == 1 else "have"
        raise InvalidRequestError(
            f"Route '{route.name}': approvers {', '.join(strangers)} {have} no role in "
            f"workspace '{route.target.workspace}', where the route's plans are approved, so "
            "they could never sign one.",
            fix="Name members of that workspace, or give them a role there first.",
            route=route.name,
            approvers=strangers,
        )


def _check_profile(tx: Tx, route: Route, target: str | None) -> None:
    """Refuse a route naming a stored profile its target workspace on this server (``target``:
    its id) does not hold: every plan of the route would be refused for it. A target on
    another server is not checked here: its plans name the profile missing there."""
    if target is None or not isinstance(route.profile, str):
        return
    if profile_repo.PROFILES.get(tx, target, route.profile) is not None:
        return
    where = route.target.workspace
    raise ProfileNotFoundError(
        f"Route '{route.name}' names environment profile '{route.profile}', which workspace "
        f"'{where}' (its target) does not hold; nothing was saved.",
        fix=f"Save the profile there first (PUT /v1/{{project_id}}/profiles/{route.profile} "
        f"with the workspace header '{where}'), or give the route its profile inline.",
        remedy=Remedy.ROUTE_PROFILE,
        route=route.name,
        profile=route.profile,
        workspace=where,
    )


def _end_here(tx: Tx, scope: Scope, end: RouteEnd, name: str) -> str | None:
    """The id of the route's end on this server, if it is still there."""
    try:
        return _check_end(tx, scope, end, "end", name)
    except WorkspaceNotFoundError:
        return None


def _audit_at_ends(
    tx: Tx, scope: Scope, action: str, name: str, ends: set[str | None], detail: dict[str, Any]
) -> None:
    """The route's line in the audit log of the workspace it was changed from and of each
    end on this server: a target's admins see who changed the routes into it."""
    audit_in_scope(tx, scope, action, "route", name, detail)
    actor = scope.actor
    for ws in sorted(w for w in ends if w and w != scope.workspace.id):
        record_audit(tx, actor.project_id, ws, actor.name, action, "route", name, detail)


def _nearest(tx: Tx, scope: Scope, name: str) -> str | None:
    """The project's route whose name is closest to ``name`` (a typo), if one is close."""
    names = [item.name for item in repo.ROUTES.latest_all(tx, scope.actor.project_id)]
    found = difflib.get_close_matches(name, names, n=1, cutoff=0.75)
    return found[0] if found else None


@dataclass
class RouteService:
    """Save, read, list and remove the routes of a project."""

    db: Database

    def put(
        self, scope: Scope, name: str, document: object, expected: Expected | None = None
    ) -> RouteVersion:
        """Save a new version of route ``name`` (project admins only); with ``expected``, only
        when its newest version is the one expected (``VersionMovedError`` otherwise)."""
        require_project_admin(scope.actor, "change routes")
        route = _parsed(name, document)
        with self.db.transaction() as tx:
            target = _check_end(tx, scope, route.target, "target", name)
            source = _check_end(tx, scope, route.source, "source", name)
            _check_distinct(route, source, target)
            _check_approvers(tx, scope, route, target)
            _check_profile(tx, route, target)
            ends = {source, target}
            version = next_version(
                repo.ROUTES, tx, scope.actor.project_id, name, expected, f"route '{name}'"
            )
            item = DocumentVersion(
                scope.actor.project_id,
                name,
                version,
                dump(route.document()),
                now_ms(),
                scope.actor.name,
            )
            repo.ROUTES.insert_version(tx, item)
            _audit_at_ends(tx, scope, "route.put", name, ends, {"version": version})
        return RouteVersion(route, version, item.created_at, item.created_by)

    def get(self, scope: Scope, name: str, version: int | None = None) -> RouteVersion:
        """One version of a route (the newest by default)."""
        with self.db.transaction(readonly=True) as tx:
            item = repo.ROUTES.get(tx, scope.actor.project_id, name, version)
            if item is None:
                raise self._missing(name, version, _nearest(tx, scope, name))
        return _typed(item)

    def version_in(self, tx: Tx, scope: Scope, name: str, version: int) -> Route:
        """One version of a route, read in the caller's transaction."""
        item = repo.ROUTES.get(tx, scope.actor.project_id, name, version)
        if item is None:
            raise self._missing(name, version)
        return _typed(item).route

    def list_all(self, scope: Scope) -> list[RouteVersion]:
        """The newest version of every route, by name."""
        with self.db.transaction(readonly=True) as tx:
            items = repo.ROUTES.latest_all(tx, scope.actor.project_id)
        return [_typed(item) for item in items]

    def into(self, scope: Scope) -> list[RouteVersion]:
        """The newest version of every route whose target is the scope's workspace, by name."""
        here = (scope.workspace.name, scope.workspace.id)
        return [
            r
            for r in self.list_all(scope)
            if not r.route.target.carried and r.route.target.workspace in here
        ]

    def add_renames(
        self, scope: Scope, name: str, renames: dict[str, dict[str, str]]
    ) -> RenamesSaved:
        """Save ``renames`` into the profile route ``name`` carries inline (one it begins,
        when it has none) as a new version of the route, refused whole when that profile maps
        one of those names to another (project admins only). A route naming a stored profile
        is refused: the renames go into that profile."""
        require_project_admin(scope.actor, "change routes")
        current = self.get(scope, name)
        profile = current.route.profile
        if isinstance(profile, str):
            raise InvalidRequestError(
                f"Route '{name}' uses the environment profile '{profile}' of its target "
                "workspace; save the mappings into that profile.",
                route=name,
                profile=profile,
            )
        merged, clashes, added = merge_renames(profile or {}, renames)
        if clashes:
            raise renames_clash(f"the profile of route '{name}'", clashes)
        if not added:
            return RenamesSaved(current.version, 0)
        route = replace(current.route, profile=merged)
        saved = self.put(scope, name, route.document(), Expected(current.version))
        return RenamesSaved(saved.version, added)

    def versions(self, scope: Scope, name: str) -> list[RouteVersion]:
        """Every version of a route, newest first."""
        with self.db.transaction(readonly=True) as tx:
            items = repo.ROUTES.versions(tx, scope.actor.project_id, name)
            if not items:
                raise self._missing(name, None, _nearest(tx, scope, name))
        return [_typed(item) for item in items]

    def version_page(self, scope: Scope, name: str, limit: int, offset: int) -> VersionPage:
        """A page of a route's versions, newest first (``offset`` of them skipped)."""
        owner = scope.actor.project_id
        with self.db.transaction(readonly=True) as tx:
            total = repo.ROUTES.count(tx, owner, name)
            if not total:
                raise self._missing(name, None, _nearest(tx, scope, name))
            items = repo.ROUTES.versions_page(tx, owner, name, limit + 1, offset)
        typed = [_typed(item) for item in items]
        return VersionPage(typed[:limit], total, typed[limit] if len(typed) > limit else None)

    def delete(self, scope: Scope, name: str, expected: Expected | None = None) -> None:
        """Remove a route with all its versions and its history (project admins only); with
        ``expected``, only when its newest version is that one."""
        require_project_admin(scope.actor, "change routes")
        with self.db.transaction() as tx:
            removable(repo.ROUTES, tx, scope.actor.project_id, name, expected, f"route '{name}'")
            newest = repo.ROUTES.get(tx, scope.actor.project_id, name, None)
            if newest is None or not repo.delete_route(tx, scope.actor.project_id, name):
                raise self._missing(name, None)
            forget_route_policy(tx, scope.actor.project_id, name)
            route = _typed(newest).route
            ends = {_end_here(tx, scope, end, name) for end in (route.source, route.target)}
            _audit_at_ends(tx, scope, "route.delete", name, ends, {})

    @staticmethod
    def _missing(name: str, version: int | None, nearest: str | None = None) -> RouteNotFoundError:
        which = f"version {version} of " if version is not None else ""
        meant = f" Did you mean '{nearest}'?" if nearest and version is None else ""
        return RouteNotFoundError(
            f"There is no {which}route '{name}' in this project.{meant}",
            fix="List them with GET /v1/{project_id}/routes.",
            remedy=Remedy.LIST_ROUTES,
            route=name,
        )
