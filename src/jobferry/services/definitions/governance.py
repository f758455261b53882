"""Tags (which may be locked) and locks on jobs and scripts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jobferry.domain.enums import ObjectKind, Role
from jobferry.domain.shapes import BodyShape, Extra, flag
from jobferry.errors import (
    InUseError,
    InvalidRequestError,
    LockedTagError,
    NotFoundError,
)
from jobferry.services.audit import audit_in_scope
from jobferry.services.context import Scope, now_ms, writing_roles
from jobferry.services.definitions.lookup import get_job_or_raise, get_script_or_raise
from jobferry.services.definitions.publishing import locked_by_another
from jobferry.services.definitions.records import Lock
from jobferry.services.definitions.usage import SHOWN
from jobferry.services.support.requests import valid_name
from jobferry.storage import Database, Tx
from jobferry.storage import tags as repo

LOCKABLE = (ObjectKind.JOB.value, ObjectKind.SCRIPT.value)


@dataclass(frozen=True)
class Tag:
    """A tag of a workspace, and whether it is locked."""

    name: str
    locked: bool
    created_at: int | None = None
    """When it was made (``None`` in what ``put_tag`` answers: what it set, not read back)."""
    jobs: int | None = None
    """How many jobs of the workspace carry it (``None``: not counted)."""


TAG = BodyShape(
    "a tag", (flag("locked", "objects with the tag cannot change (default false)"),), Extra.IGNORED
)
"""The body :func:`parse_tag_lock` reads; other keys are accepted and ignored."""


def parse_tag_lock(body: dict[str, Any]) -> bool:
    """``{"locked": bool}`` (absent: false) checked."""
    locked = body.get("locked", False)
    if not isinstance(locked, bool):
        raise InvalidRequestError("locked must be true or false.")
    return locked


def _require_lockable(scope: Scope, action: str, *, taking: bool) -> None:
    """Refuse ``action`` to a role that may not lock here, and a lock ``taking`` in a remote's
    shadow: nobody edits there, and a lock is the workspace's own, never pushed to the remote.
    Releasing one there is not refused: a lock taken before the workspace became a shadow
    would otherwise hold off the imports pushed through it (under the hard policy) for good.
    A production side is not refused: its admins lock there (its developers only read it), as
    docs/api.md says; a lock is not an edit of its definitions, which a release makes."""
    scope.require(writing_roles(scope.workspace), action)
    if taking:
        scope.require_not_shadow(action, pushed=False)


@dataclass
class GovernanceService:
    """Tags and locks."""

    db: Database

    def list_tags(self, scope: Scope, *, counted: bool = False) -> list[Tag]:
        """The workspace's tags (``counted``: with how many jobs carry each)."""
        with self.db.transaction(readonly=True) as tx:
            rows = repo.list_tags(tx, scope.workspace.id)
            carried = repo.jobs_per_tag(tx, scope.workspace.id) if counted else None
        if carried is None:
            return [Tag(t.name, t.locked, t.created_at) for t in rows]
        return [Tag(t.name, t.locked, t.created_at, carried.get(t.name, 0)) for t in rows]

    def put_tag(self, scope: Scope, name: str, locked: bool) -> Tag:
        """Create a tag or change its locked flag (admins)."""
        scope.require((Role.ADMIN,), "manage tags")
        valid_name(name, "tag name")
        with self.db.transaction() as tx:
            repo.set_tag_locked(tx, scope.workspace.id, name, locked, now_ms())
            audit_in_scope(tx, scope, "tag.put", "tag", name, {"locked": locked})
        return Tag(name, locked)

    def delete_tag(self, scope: Scope, name: str) -> None:
        """Remove a tag no job carries and nobody locked (admins): a tag is the jobs' own
        label, so it goes once they no longer carry it, and a locked one stays until it is
        unlocked, as its jobs do."""
        scope.require((Role.ADMIN,), "manage tags")
        ws = scope.workspace
        with self.db.transaction() as tx:
            # locked: a save giving a job the tag meanwhile is counted among its carriers, or
            # waits and makes the tag again (storage.tags.ensure_tags)
            tag = repo.get_tag(tx, ws.id, name, locked=True)
            if tag is None:
                raise NotFoundError(
                    f"Tag '{name}' does not exist in workspace '{ws.name}'; nothing was deleted.",
                    fix="Check the name against the workspace's tags.",
                    tag=name,
                )
            if tag.locked:
                raise LockedTagError(
                    f"Tag '{name}' is locked in workspace '{ws.name}', and a locked tag is not "
                    "deleted; nothing was deleted.",
                    fix="Unlock it first (a workspace admin may), then delete it.",
                    tag=name,
                    tags=[name],
                )
            shown, total = repo.jobs_carrying(tx, ws.id, name, SHOWN)
            if total:
                more = f" and {total - len(shown)} more" if total > len(shown) else ""
                raise InUseError(
                    f"Tag '{name}' is carried by {total} job(s) of workspace '{ws.name}': "
                    f"{', '.join(shown)}{more}; a tag jobs carry is not deleted, so nothing "
                    "was deleted.",
                    fix="Take it out of those jobs' tags first, then delete it.",
                    tag=name,
                    jobs=shown,
                    jobs_total=total,
                )
            repo.delete_tag(tx, ws.id, name)
            audit_in_scope(tx, scope, "tag.delete", "tag", name)

    def list_locks(self, scope: Scope) -> list[Lock]:
        """Every lock in the workspace."""
        with self.db.transaction(readonly=True) as tx:
            return [Lock.of(lk) for lk in repo.list_locks(tx, scope.workspace.id)]

    def held_by_another(self, scope: Scope, kind: str, name: str) -> Lock | None:
        """Another user's lock on the job or script ``name`` (``None``: nobody's, or the
        caller's own): what an editor of it warns of, whichever the lock policy."""
        with self.db.transaction(readonly=True) as tx:
            lock = repo.get_lock(tx, scope.workspace.id, kind, name)
        held = lock is not None and lock.holder_user_id != scope.actor.user_id
        return Lock.of(lock) if held and lock is not None else None

    def acquire(self, scope: Scope, kind: str, name: str) -> Lock:
        """Lock a job or script for the caller (idempotent for the holder); never in a
        remote's shadow, where nobody edits (:func:`_require_lockable`)."""
        _require_lockable(scope, "lock objects", taking=True)
        self._check_kind(kind)
        with self.db.transaction() as tx:
            self._exists(tx, scope, kind, name)
            lock = repo.get_lock(tx, scope.workspace.id, kind, name)
            if lock is not None and lock.holder_user_id != scope.actor.user_id:
                raise locked_by_another(
                    kind,
                    name,
                    lock.holder_name,
                    f"The {kind} '{name}' is already locked by '{lock.holder_name}'.",
                )
            if lock is None:
                repo.insert_lock(tx, scope.workspace.id, kind, name, scope.actor.user_id, now_ms())
                audit_in_scope(tx, scope, "lock.acquire", kind, name)
            lock = repo.get_lock(tx, scope.workspace.id, kind, name)
        assert lock is not None
        return Lock.of(lock)

    def release(self, scope: Scope, kind: str, name: str) -> None:
        """Release a lock: its holder while they may lock, or a workspace admin for anyone (a
        holder whose role no longer writes leaves it to an admin); in a remote's shadow too,
        where none is taken any more (:func:`_require_lockable`)."""
        _require_lockable(scope, "release locks", taking=False)
        self._check_kind(kind)
        with self.db.transaction() as tx:
            lock = repo.get_lock(tx, scope.workspace.id, kind, name)
            if lock is None:
                raise NotFoundError(f"The {kind} '{name}' is not locked.")
            if lock.holder_user_id != scope.actor.user_id:
                scope.require((Role.ADMIN,), f"release a lock held by '{lock.holder_name}'")
            repo.delete_lock(tx, scope.workspace.id, kind, name)
            audit_in_scope(tx, scope, "lock.release", kind, name, {"holder": lock.holder_name})

    @staticmethod
    def _check_kind(kind: str) -> None:
        if kind not in LOCKABLE:
            raise InvalidRequestError(f"Only jobs and scripts can be locked, not '{kind}'.")

    @staticmethod
    def _exists(tx: Tx, scope: Scope, kind: str, name: str) -> None:
        if kind == ObjectKind.JOB.value:
            get_job_or_raise(tx, scope, name)
        else:
            get_script_or_raise(tx, scope, name)
