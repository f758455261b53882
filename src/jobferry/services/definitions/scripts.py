"""Scripts: create, update, show, list, delete, with submitted versions."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from jobferry.domain.enums import ObjectKind, RefKind, TargetStatus
from jobferry.domain.validation import validate_script
from jobferry.errors import InUseError, InvalidRequestError, ScriptExistsError
from jobferry.services.audit import audit_in_scope
from jobferry.services.context import WRITERS, Scope, now_ms
from jobferry.services.definitions.cautions import Cautions, require_cautioned
from jobferry.services.definitions.compare import held_states, version_document
from jobferry.services.definitions.documents import dump, load, raise_violations, split_body
from jobferry.services.definitions.lookup import get_script_or_raise
from jobferry.services.definitions.publishing import (
    check_lock,
    resolve_target_status,
    saved_detail,
    submitted_version,
)
from jobferry.services.definitions.records import (
    Lock,
    ScriptDetail,
    ShownScript,
    SubmittedVersion,
)
from jobferry.services.definitions.since import require_unchanged
from jobferry.services.definitions.tombstones import after_deleting
from jobferry.services.definitions.usage import users_of
from jobferry.services.releases.pending import note_submit
from jobferry.services.support.paging import Given, name_filter, page, read_page
from jobferry.settings import OffsetMode
from jobferry.storage import Database, Tx
from jobferry.storage import jobs as job_repo
from jobferry.storage import scripts as repo
from jobferry.storage import tags as tag_repo
from jobferry.storage.ids import new_id
from jobferry.storage.records import RowLock, ScriptRecord, VersionRecord
from jobferry.storage.rows import ScriptRow, Stamp


def require_free_script_name(tx: Tx, scope: Scope, name: str, fix: str) -> None:
    """Refuse (DLF.0202) a script name the scope's workspace already has; ``fix`` says what
    to do instead."""
    if repo.get_script(tx, scope.workspace.id, name):
        raise ScriptExistsError(
            f"The script name already exists: script '{name}' is in workspace "
            f"'{scope.workspace.name}'; {fix}.",
            script_name=name,
        )


def save_script(
    tx: Tx,
    scope: Scope,
    doc: dict[str, Any],
    target: TargetStatus,
    existing: ScriptRecord | None,
    *,
    restored: int | None = None,
) -> str:
    """Write a validated script definition (and a version if asked; ``restored``: the
    submitted version the definition is, when a restore gives it back); returns the script
    id."""
    stamp = Stamp(now_ms(), scope.actor.name)
    text = dump(doc)
    name = str(doc["name"])
    latest = existing.latest_version if existing else None
    version = submitted_version(target, latest)
    row = ScriptRow.of(doc, text, version or latest)
    if existing is None:
        script_id = new_id()
        repo.insert_script(tx, script_id, scope.workspace.id, row, stamp)
    else:
        script_id = existing.id
        repo.update_script(tx, script_id, row, stamp)
    detail = saved_detail(target, restored)
    if version is not None:
        repo.insert_version(
            tx, script_id, VersionRecord(version, target.value, text, stamp.at, stamp.by)
        )
        detail["version"] = version
        note_submit(tx, scope, ObjectKind.SCRIPT, script_id, script_id, name, version)
    action = "script.create" if existing is None else "script.update"
    audit_in_scope(tx, scope, action, ObjectKind.SCRIPT, name, detail)
    return script_id


@dataclass
class ScriptService:
    """The DataArts script calls."""

    db: Database
    offset_mode: OffsetMode = field(kw_only=True)

    def create(
        self, scope: Scope, body: dict[str, Any], *, cautions: Cautions | None = None
    ) -> None:
        """Create a script (DLF.0202 when the name is taken; with ``cautions``, those its
        review showed, refused when the workspace now gives others: ``cautions.py``)."""
        scope.require_change(WRITERS, "create scripts")
        doc, requested, approvers = split_body(ObjectKind.SCRIPT, body)
        raise_violations(ObjectKind.SCRIPT, doc.get("name"), validate_script(doc))
        target = resolve_target_status(scope, requested, approvers, "a script")
        name = str(doc["name"])
        with self.db.transaction() as tx:
            require_free_script_name(tx, scope, name, "update it with PUT, or choose another name")
            require_cautioned(tx, scope, ObjectKind.SCRIPT, doc, cautions)
            save_script(tx, scope, doc, target, None)

    def update(
        self,
        scope: Scope,
        name: str,
        body: dict[str, Any],
        base: dict[str, Any] | None = None,
        *,
        restored: int | None = None,
        cautions: Cautions | None = None,
    ) -> str | None:
        """Replace a script's definition; with ``base``, the definition the save was made
        from, refused when the script changed since, as with ``cautions`` as create is
        (``restored``: the version a restore gives back, for the audit). The user whose lock
        the save passed over (the soft lock policy), if one."""
        scope.require_change(WRITERS, "change scripts")
        body = dict(body)
        if body.setdefault("name", name) != name:
            raise InvalidRequestError(
                f"The body names script '{body['name']}' but the path names '{name}'; scripts "
                "cannot be renamed by update.",
                fix=f"Send the body with the name '{name}'; to rename the script, create it "
                "under the new name, point the jobs that use it there, and delete the old one.",
                script_name=name,
            )
        doc, requested, approvers = split_body(ObjectKind.SCRIPT, body)
        raise_violations(ObjectKind.SCRIPT, name, validate_script(doc))
        target = resolve_target_status(scope, requested, approvers, "a script")
        with self.db.transaction() as tx:
            script = get_script_or_raise(tx, scope, name, locked=RowLock.KEY_KEPT)
            locked_by = check_lock(tx, scope, ObjectKind.SCRIPT, name)
            require_unchanged(ObjectKind.SCRIPT, script, base, doc)
            require_cautioned(tx, scope, ObjectKind.SCRIPT, doc, cautions)
            save_script(tx, scope, doc, target, script, restored=restored)
        return locked_by

    def show(self, scope: Scope, name: str, version: int | None = None) -> ShownScript:
        """A script's development state with its id and latest submitted version; with
        ``version``, that submitted version under the script's present name (refused when the
        script does not have it)."""
        with self.db.transaction(readonly=True) as tx:
            script = get_script_or_raise(tx, scope, name)
            if version is None:
                return ShownScript.of(script)
            held = held_states(tx, scope, ObjectKind.SCRIPT, name)
            text = version_document(held, version, "List its versions and show one it has.")
        shown = {**load(text), "name": script.name}  # a version taken before a rename
        return replace(ShownScript.of(script), document=shown, version=version)

    def detail(self, scope: Scope, name: str) -> ScriptDetail:
        """Everything a script's page shows, read in one transaction: its development state,
        submitted versions, the jobs that run it and its lock."""
        with self.db.transaction(readonly=True) as tx:
            script = get_script_or_raise(tx, scope, name)
            versions = repo.list_versions(tx, script.id)
            users = job_repo.jobs_referencing(
                tx, scope.workspace.id, RefKind.SCRIPT.value, name, limit=USERS_SHOWN
            )
            lock = tag_repo.get_lock(tx, scope.workspace.id, ObjectKind.SCRIPT.value, script.name)
        return ScriptDetail(
            script=ShownScript.of(script),
            versions=[SubmittedVersion.of(v) for v in versions],
            jobs=users,
            lock=Lock.of(lock) if lock is not None else None,
        )

    def list_scripts(
        self, scope: Scope, *, script_name: str | None, limit: Given, offset: Given
    ) -> tuple[int, list[ShownScript]]:
        """One page of scripts (full definitions, as DataArts returns them), and how many
        match."""
        p = page(limit, offset, self.offset_mode)
        names = name_filter(script_name, "scriptName")
        total, rows = read_page(self.db, repo.list_scripts, scope.workspace.id, names, p)
        return total, [ShownScript.of(s) for s in rows]

    def delete(self, scope: Scope, name: str) -> str | None:
        """Delete a script no job uses, by its development state or its latest submitted
        version; the user whose lock the delete passed over (the soft lock policy), if one.
        The script's row is locked before the jobs using it are counted, so that an import
        that found it there is counted among them (or, waiting, finds it gone), never a job
        imported naming a script deleted beside it."""
        scope.require_change(WRITERS, "delete scripts")
        with self.db.transaction() as tx:
            script = get_script_or_raise(tx, scope, name, locked=RowLock.WHOLE)
            locked_by = check_lock(tx, scope, ObjectKind.SCRIPT, name)
            users = users_of(tx, scope.workspace.id, RefKind.SCRIPT.value, name)
            if users:
                raise InUseError(
                    f"Script '{name}' is used by {users.said()}; nothing was deleted.",
                    fix=f"{users.fix('Change or delete those jobs')}, then delete the script.",
                    script_name=name,
                    **users.context(),
                )
            repo.delete_script(tx, script.id)
            after_deleting(tx, scope, ObjectKind.SCRIPT, script.id, name)
        return locked_by


USERS_SHOWN = 50
"""Jobs a script's or resource's page lists as its users (the first by name)."""
