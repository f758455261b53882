"""Environment profiles of a workspace: save (a new version each time), read, list, remove.

A profile is stored as the document the user wrote (JSON, or YAML turned into the same
structure), checked with ``jobferry.domain.profile.parse_profile`` before it is kept. Imports
name a profile of the TARGET workspace (or pass one inline); ``resolve_profile`` is what they use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jobferry.domain.enums import Role
from jobferry.domain.names import check_object_name
from jobferry.domain.profile import (
    Profile,
    ProfileError,
    RenameClash,
    load_profile_text,
    merge_renames,
    parse_profile,
)
from jobferry.domain.remedies import Remedy
from jobferry.domain.saving import Expected
from jobferry.errors import InvalidRequestError, MappingConflictError, ProfileNotFoundError
from jobferry.services.audit import audit_in_scope
from jobferry.services.context import Scope, now_ms
from jobferry.services.definitions.documents import dump, load
from jobferry.services.support.versions import SavedVersion, next_version, removable
from jobferry.storage import Database, Tx
from jobferry.storage import profiles as repo
from jobferry.storage.profiles import ProfileRecord


@dataclass(frozen=True)
class ResolvedProfile:
    """A profile ready for an import, with where it came from."""

    profile: Profile
    name: str | None
    version: int | None

    def as_json(self) -> dict[str, Any]:
        """What the plan reports about the profile used."""
        return {"name": self.name or "(inline)", "version": self.version}


@dataclass(frozen=True)
class ProfileVersion(SavedVersion):
    """One version of an environment profile; ``document`` is None in lists of profiles."""

    name: str

    @classmethod
    def of(cls, item: ProfileRecord, *, with_document: bool) -> ProfileVersion:
        """The stored version, with its document or without."""
        return cls(**SavedVersion.told(item, with_document=with_document), name=item.name)


@dataclass(frozen=True)
class RenamesSaved:
    """What saving renames into a profile did: the version holding them, and how many of them
    were new (0: it held them all already, and no version was written)."""

    version: int
    added: int


def renames_clash(where: str, clashes: list[RenameClash]) -> MappingConflictError:
    """The refusal of renames that ``where`` (a profile, a route's profile) maps otherwise."""
    said = "; ".join(
        f"{c.kind.replace('_', ' ')} '{c.name}' to '{c.held}' (not '{c.asked}')" for c in clashes
    )
    return MappingConflictError(
        f"{where[0].upper()}{where[1:]} already maps {said}; nothing was saved. Map those "
        f"names as {where} does, or change it first.",
        conflicts=[
            {"kind": c.kind, "name": c.name, "held": c.held, "asked": c.asked} for c in clashes
        ],
    )


def _parsed(document: object, what: str, fix: str = "") -> Profile:
    try:
        return parse_profile(document)
    except ProfileError as exc:
        raise InvalidRequestError(
            f"{what} is invalid: {'; '.join(exc.problems)}.{fix}", problems=exc.problems
        ) from None


def resolve_profile(
    tx: Tx, scope: Scope, ref: str | dict[str, Any] | None
) -> ResolvedProfile | None:
    """The profile an import names (stored in the scope's workspace) or carries inline."""
    if ref is None:
        return None
    if isinstance(ref, dict):
        return ResolvedProfile(_parsed(ref, "The inline profile"), None, None)
    item = repo.PROFILES.get(tx, scope.workspace.id, ref)
    if item is None:
        raise ProfileNotFoundError(
            f"Environment profile '{ref}' does not exist in workspace '{scope.workspace.name}'.",
            fix=f"Create it (PUT /v1/{{project_id}}/profiles/{ref}) or pass the profile inline.",
            remedy=Remedy.CREATE_PROFILE,
            profile=ref,
        )
    # A version saved before a rule was added (a targetOwned path naming no field) is refused
    # here rather than applied as if it protected what it names.
    fix = f" Save a corrected version of profile '{ref}' in workspace '{scope.workspace.name}'."
    return ResolvedProfile(
        _parsed(load(item.document), f"Stored profile '{ref}'", fix), item.name, item.version
    )


@dataclass
class ProfileService:
    """Save, read, list and remove the environment profiles of a workspace."""

    db: Database

    def put(
        self,
        scope: Scope,
        name: str,
        body: bytes | dict[str, Any],
        expected: Expected | None = None,
    ) -> ProfileVersion:
        """Save a new version of profile ``name`` from a JSON/YAML document (admins only); with
        ``expected``, only when its newest version is the one expected."""
        scope.require((Role.ADMIN,), "change environment profiles")
        problem = check_object_name(name, "profile name")
        if problem:
            raise InvalidRequestError(f"The profile name is invalid: {problem}.", profile=name)
        if isinstance(body, bytes | str):
            try:
                document: object = load_profile_text(body)
            except ValueError as exc:
                raise InvalidRequestError(
                    f"Profile '{name}' is not valid JSON or YAML: {exc}", profile=name
                ) from None
        else:
            document = body
        profile = _parsed(document, f"Profile '{name}'")
        stored = dict(profile.document)
        stored.pop("name", None)
        with self.db.transaction() as tx:
            version = next_version(
                repo.PROFILES, tx, scope.workspace.id, name, expected, f"profile '{name}'"
            )
            item = ProfileRecord(
                scope.workspace.id, name, version, dump(stored), now_ms(), scope.actor.name
            )
            repo.PROFILES.insert_version(tx, item)
            audit_in_scope(tx, scope, "profile.put", "profile", name, {"version": version})
        return ProfileVersion.of(item, with_document=True)

    def add_renames(
        self, scope: Scope, name: str, renames: dict[str, dict[str, str]]
    ) -> RenamesSaved:
        """Save ``renames`` (per kind: name in the package → name here) into profile
        ``name`` as a new version (its first, when there is none), refused whole when the
        profile maps one of those names to another (admins only)."""
        scope.require((Role.ADMIN,), "change environment profiles")
        with self.db.transaction(readonly=True) as tx:
            item = repo.PROFILES.get(tx, scope.workspace.id, name)
        document = load(item.document) if item is not None else {}
        merged, clashes, added = merge_renames(document, renames)
        if clashes:
            raise renames_clash(f"profile '{name}'", clashes)
        if not added and item is not None:
            return RenamesSaved(item.version, 0)
        read = Expected(item.version if item is not None else 0)
        return RenamesSaved(self.put(scope, name, merged, read).version, added)

    def get(self, scope: Scope, name: str, version: int | None = None) -> ProfileVersion:
        """One version of a profile (the newest by default)."""
        with self.db.transaction(readonly=True) as tx:
            item = repo.PROFILES.get(tx, scope.workspace.id, name, version)
        if item is None:
            which = f"version {version} of " if version is not None else ""
            raise ProfileNotFoundError(
                f"There is no {which}environment profile '{name}' in workspace "
                f"'{scope.workspace.name}'.",
                fix="List them with GET /v1/{project_id}/profiles.",
                remedy=Remedy.LIST_PROFILES,
                profile=name,
            )
        return ProfileVersion.of(item, with_document=True)

    def list_all(self, scope: Scope) -> list[ProfileVersion]:
        """The newest version of every profile, by name."""
        with self.db.transaction(readonly=True) as tx:
            items = repo.PROFILES.latest_all(tx, scope.workspace.id)
        return [ProfileVersion.of(item, with_document=False) for item in items]

    def versions(self, scope: Scope, name: str) -> list[ProfileVersion]:
        """Every version of a profile, newest first."""
        with self.db.transaction(readonly=True) as tx:
            items = repo.PROFILES.versions(tx, scope.workspace.id, name)
        if not items:
            self.get(scope, name)  # raises the not-found error
        return [ProfileVersion.of(item, with_document=True) for item in items]

    def delete(self, scope: Scope, name: str, expected: Expected | None = None) -> None:
        """Remove a profile with all its versions (admins only); with ``expected``, only when
        its newest version is that one."""
        scope.require((Role.ADMIN,), "change environment profiles")
        with self.db.transaction() as tx:
            what = f"profile '{name}'"
            removable(repo.PROFILES, tx, scope.workspace.id, name, expected, what)
            if not repo.PROFILES.remove(tx, scope.workspace.id, name):
                raise ProfileNotFoundError(
                    f"Environment profile '{name}' does not exist in workspace "
                    f"'{scope.workspace.name}'; nothing was removed.",
                    fix="List them with GET /v1/{project_id}/profiles.",
                    remedy=Remedy.LIST_PROFILES,
                    profile=name,
                )
            audit_in_scope(tx, scope, "profile.delete", "profile", name, {})
