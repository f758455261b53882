"""A job or a script given back the definition of one of its submitted versions, as DataArts'
console restores ("rolls back to") a version: the development state becomes that version's
definition, saved and not submitted (submit it to make it the latest version again), under
the object's present name (a version taken before a rename names the old one).

The restore is a save: the same roles, checks, locks and tags as an update, and its audit
entry says which version it gave back (``restoredFrom``). It is made from the development
state it read, so a save made meanwhile refuses it rather than being undone unseen. A
development state that already is the version's definition is left as it is (nothing saved,
no changes said), unless the save would have been refused (another user's hard lock, a locked
tag: :func:`refuse_as_saved`). Refused: a version the object does not have, or no longer
keeps.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jobferry.domain.definitions import canonical
from jobferry.domain.diff import Change, diff
from jobferry.domain.enums import ObjectKind, TargetStatus
from jobferry.services.context import WRITERS, Scope
from jobferry.services.definitions.compare import held_states, version_document
from jobferry.services.definitions.documents import load
from jobferry.services.definitions.jobs import JobService
from jobferry.services.definitions.lookup import get_job_or_raise
from jobferry.services.definitions.publishing import check_lock, check_tags
from jobferry.services.definitions.scripts import ScriptService
from jobferry.storage import Database, Tx


@dataclass(frozen=True)
class Restored:
    """A restore of job or script ``name`` to submitted version ``version``: the changes it
    made to the development state (none: it held that definition already, and nothing was
    saved), and the user whose lock it passed over (the soft lock policy), if one."""

    kind: ObjectKind
    name: str
    version: int
    changes: tuple[Change, ...]
    locked_by: str | None = None


def refuse_as_saved(
    tx: Tx, scope: Scope, kind: ObjectKind, name: str, saved: Mapping[str, Any]
) -> None:
    """Refuse a save of job or script ``name`` that is left unmade, its development state
    being ``saved`` already (a restore or a submit that changes nothing), as the update would
    have refused it: another user's lock under the hard policy, a tag locked in the workspace
    that the job carries. The caller asked for the roles already (``require_change``, as the
    update does); nothing is written, and a soft lock, which nothing passed over, is not said."""
    check_lock(tx, scope, kind, name)
    if kind == ObjectKind.JOB:
        check_tags(tx, scope, name, get_job_or_raise(tx, scope, name).id, saved)


@dataclass
class VersionRestores:
    """VersionRestores of jobs and scripts to their submitted versions (developers and admins)."""

    db: Database
    jobs: JobService
    scripts: ScriptService

    def restore(self, scope: Scope, kind: ObjectKind, name: str, version: int) -> Restored:
        """Give job or script ``name`` the definition of its submitted version ``version``
        as its development state: see the module."""
        scope.require_change(WRITERS, f"restore {kind}s to their versions")
        with self.db.transaction(readonly=True) as tx:
            held = held_states(tx, scope, kind, name)
            fix = "List its versions and restore one it has."
            text = version_document(held, version, fix)
            draft = load(held.draft)
            restoring = {**load(text), "name": name}
            changes = tuple(diff(canonical(kind, draft), canonical(kind, restoring)))
            if not changes:
                refuse_as_saved(tx, scope, kind, name, draft)
                return Restored(kind, name, version, ())
        body = {**restoring, "targetStatus": TargetStatus.SAVED.value}
        locked_by = self.save(scope, kind, name, (body, draft), version)
        return Restored(kind, name, version, changes, locked_by)

    def save(
        self,
        scope: Scope,
        kind: ObjectKind,
        name: str,
        saving: tuple[dict[str, Any], dict[str, Any]],
        restored: int | None = None,
    ) -> str | None:
        """Update job or script ``name`` with ``saving`` (the body, and the development state
        it was made from); the user whose lock it passed over, if one."""
        body, base = saving
        if kind == ObjectKind.JOB:
            return self.jobs.update(scope, name, body, base, restored=restored)
        return self.scripts.update(scope, name, body, base, restored=restored)
