"""Rolling an import back, object by object: what changed since it ran, and the writes that
undo it (the service that drives them is :mod:`.rollback`).

The undo runs in two passes over the import's change records, inside one transaction:

1. Every change is checked. Objects the import created go (leaving a tombstone, as any
   deletion does), objects it overwrote or whose references it rewrote get their previous
   definitions and versions back, and objects it renamed step aside under a temporary name (so a
   swap ``a → b``, ``b → a`` comes back too). The ledger rows the import wrote are forgotten and
   the ones it replaced are put back, those of the objects it left as they were but linked
   anew (``LINK``) too: a row a later import rewrote since refuses the rollback (roll that one
   back first). What an import deleted of a source's objects is remembered again where the
   import made such an object again (an older package taken with onDrift TAKE_PACKAGE).
2. Renamed objects take their old names and definitions again, and deleted objects come back
   whole (row, versions, stable identifier, scheduling state) with their tombstones forgotten.
   Each old name must be free: something made under it since refuses the rollback.

Every object write goes through the change port (``changes.py``: remove, rename, put, trim
versions, put back), as an apply's do; the ledger rows and tombstones, the rollback's record,
are written beside it.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from jobferry.domain.enums import (
    ChangeAction,
    EnvironmentKind,
    JobStatus,
    ObjectKind,
    PlanAction,
    RefKind,
)
from jobferry.domain.references import distinct_references, job_references
from jobferry.services.context import Scope, now_ms
from jobferry.services.definitions.documents import load
from jobferry.services.importing.changes import (
    ChangePort,
    PutBack,
    PutJobDetails,
    PutJobs,
    PutResources,
    PutScripts,
    Remove,
    Rename,
    TrimVersions,
)
from jobferry.services.importing.promote import TEMPORARY
from jobferry.storage import Tx
from jobferry.storage import environment as env_repo
from jobferry.storage.importing import history
from jobferry.storage.importing import ledger as ledger_repo
from jobferry.storage.importing import rollbacks as repo
from jobferry.storage.importing import target as import_repo
from jobferry.storage.importing.ledger import LedgerDeletion, LedgerRow
from jobferry.storage.importing.target import TargetObject
from jobferry.storage.rows import ChangeRow, JobRow, RefRow, ResourceRow, ScriptRow, Stamp

STORED = (ObjectKind.JOB, ObjectKind.SCRIPT, ObjectKind.RESOURCE)
_VERSIONED = (ObjectKind.JOB, ObjectKind.SCRIPT)
SECOND_PASS = (str(PlanAction.RENAME), str(PlanAction.DELETE))
"""The changes whose undo needs a name that the first pass frees."""
SHOWN_OBJECTS = 1000
"""Objects a rollback's answer lists (``rolledBack`` and ``actions`` count them all)."""

Current = dict[tuple[str, str], TargetObject]
_NONE: frozenset[tuple[str, str]] = frozenset()
_NO_OBJECT = (str(PlanAction.DELETE), str(ChangeAction.LINK))
"""Changes that leave no object of the import's to check: it deleted it, or wrote only its
ledger row."""


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _undo_of(change: ChangeRow) -> dict[str, Any]:
    return load(change.undo) if change.undo else {}


@dataclass
class Undone:
    """What a rollback undid: how many objects, how many of each undo action (``DELETED``,
    ``RESTORED``, …; all of them), and the first of them (the answer's list)."""

    count: int = 0
    objects: list[dict[str, Any]] = field(default_factory=list)
    actions: Counter[str] = field(default_factory=Counter)

    def add(self, line: dict[str, Any]) -> None:
        self.count += 1
        self.actions[str(line["action"])] += 1
        if len(self.objects) < SHOWN_OBJECTS:
            self.objects.append(line)


# -- what changed since ---------------------------------------------------------------------------


def current_objects(
    tx: Tx, workspace_id: str, changes: list[ChangeRow], lock: bool = True
) -> Current:
    """The objects the changes left under their names, locked unless ``lock`` is false (a
    check that only reads); deleted ones have none."""
    names: dict[str, set[str]] = {kind: set() for kind in STORED}
    for change in changes:
        if change.kind in names and change.action not in _NO_OBJECT:
            names[change.kind].add(change.name)
    out: Current = {}
    readers = (
        (ObjectKind.JOB, import_repo.target_jobs),
        (ObjectKind.SCRIPT, import_repo.target_scripts),
        (ObjectKind.RESOURCE, import_repo.target_resources),
    )
    for kind, read in readers:
        for name, item in read(tx, workspace_id, names[kind], for_update=lock).items():
            out[(kind, name)] = item
    return out


def changed_since(tx: Tx, workspace_id: str, change: ChangeRow, current: Current) -> list[str]:
    """How the object an import wrote changed since (nothing: it can be rolled back)."""
    label = f"{change.kind} '{change.name}'"
    if change.action in _NO_OBJECT:
        return []
    if change.kind == ObjectKind.CDM_JOB:
        obj = env_repo.get_object(tx, workspace_id, EnvironmentKind.CDM_JOB.value, change.name)
        return [f"{label} was deleted"] if obj is None else []
    now = current.get((change.kind, change.name))
    if now is None or now.id != change.object_id:
        return [_since(tx, change, f"{label} was deleted, renamed or replaced")]
    found: list[str] = []
    if _sha(now.document) != change.after_sha256:
        found.append(_since(tx, change, f"{label} was edited"))
    elif change.kind in _VERSIONED and now.latest_version != change.after_version:
        newer = f"{label} has a newer version ({now.latest_version})"
        found.append(_since(tx, change, newer, "from"))
    if change.kind == ObjectKind.JOB and now.status != JobStatus.STOPPED.value:
        # The import wrote it while it ran (references) or paused it around the write and
        # started it again: the rollback writes it back the same way.
        kept = (
            change.action == ChangeAction.REFERENCES or _undo_of(change).get("paused") == now.status
        )
        if not kept:
            found.append(f"{label} is scheduled ({now.status}); stop it first")
    return found


def _since(tx: Tx, change: ChangeRow, said: str, by: str = "by") -> str:
    """``said`` of an object changed since the import, naming the later import that changed it
    when one did (roll that one back first: the rollbacks undo imports newest first)."""
    later = (
        None
        if change.object_id is None
        else history.later_import(tx, change.task_id, change.kind, change.object_id)
    )
    if later is None:
        return said
    return f"{said} {by} a later import, {later.task_id}: roll that one back first"


def conflicts_of(
    tx: Tx, scope: Scope, task_id: str, changes: list[ChangeRow], current: Current
) -> list[str]:
    """Every reason a batch of changes cannot be undone: objects changed since, ledger rows
    a later import wrote again (of the others), and jobs outside the import that now use a
    name only the import made (created or renamed to)."""
    ws = scope.workspace
    conflicts: list[str] = []
    unchanged: list[ChangeRow] = []  # their ledger rows are checked (once per object)
    for change in changes:
        found = changed_since(tx, ws.id, change, current)
        conflicts += found
        if not found:
            unchanged.append(change)
    conflicts += ledger_changed(tx, ws.id, task_id, unchanged)
    made: dict[str, list[str]] = {}
    for change in changes:
        if change.action in (PlanAction.CREATE, PlanAction.RENAME):
            made.setdefault(change.kind, []).append(change.name)
    # A job that named it before the import was queued has not changed since: the rollback
    # gives it back as it was, the name unresolved again.
    queued = repo.import_queued(tx, task_id) if made else None
    for kind, names in made.items():
        users = repo.jobs_using(tx, ws.id, kind, names, changed_from=queued)
        imported = repo.imported_jobs_among(tx, task_id, [str(u[0]) for u in users])
        for job_id, job, name in users:
            if str(job_id) not in imported:
                conflicts.append(
                    f"job '{job}' (not part of the import) now uses {kind} '{name}', a name "
                    "the import made"
                )
    for other_ws, job, name in repo.jobs_depending_from(
        tx, scope.actor.project_id, ws.name, made.get(ObjectKind.JOB, []), ws.id
    ):
        conflicts.append(
            f"job '{job}' of workspace '{other_ws}' now depends on job '{name}', a name the "
            "import made"
        )
    return conflicts


def ledger_changed(tx: Tx, workspace_id: str, task_id: str, changes: list[ChangeRow]) -> list[str]:
    """The ledger rows the changes wrote that another import, not rolled back and with
    something to roll back, wrote again since: putting back what they replaced would undo that
    import's record (one read per source and kind). A row gone since is not one: an import
    that deleted its object changed that object, and an import rolled back before its links
    were recorded left rows out."""
    learned: dict[tuple[str, str], dict[str, ChangeRow]] = {}
    for change in changes:
        key = _undo_of(change).get("learned") if change.action != PlanAction.DELETE else None
        if key:
            learned.setdefault((str(key[0]), str(key[1])), {})[str(key[2])] = change
    since: list[tuple[ChangeRow, str]] = []
    for (source, kind), wanted in sorted(learned.items()):
        tasks = ledger_repo.ledger_tasks(tx, workspace_id, source, kind, sorted(wanted))
        since += [(c, tasks[uid]) for uid, c in wanted.items() if uid in tasks]
    since = [(change, other) for change, other in since if other != task_id]
    others = sorted({other for _, other in since})
    # A later import rolled back gave its rows back; one that wrote no object (it only linked
    # rows again) has nothing to roll back first, and its links go with this rollback.
    first = repo.writing_among(tx, others) - repo.rolled_back_among(tx, others)
    return [
        f"the promotion ledger row of {change.kind} '{change.name}' was written again by "
        f"a later import, {other}: roll that one back first"
        for change, other in since
        if other in first
    ]


def names_taken(
    tx: Tx, workspace_id: str, changes: list[ChangeRow], freed: frozenset[tuple[str, str]] = _NONE
) -> list[str]:
    """The second pass's conflicts: old names of renamed objects and names of deleted ones
    that something else holds now (after the first pass freed what the import made; a check
    made before it, :func:`freed_by_first`, says which names ``freed`` will be)."""
    wanted: dict[str, set[str]] = {}
    for change in changes:
        wanted.setdefault(change.kind, set()).add(_old_name(change))
    conflicts = []
    for kind, names in sorted(wanted.items()):
        held = import_repo.names_in(tx, workspace_id, kind, names)
        for name in sorted(name for name in held if (kind, name) not in freed):
            conflicts.append(
                f"{kind} '{name}' was made after the import, which renamed or deleted the "
                f"{kind} of that name; rename or delete it first"
            )
    return conflicts


def freed_by_first(changes: list[ChangeRow]) -> set[tuple[str, str]]:
    """The names (kind, name) the first pass frees: what the import created goes, what it
    renamed steps aside under a temporary name."""
    return {
        (change.kind, change.name)
        for change in changes
        if change.action in (PlanAction.CREATE, PlanAction.RENAME)
    }


def _old_name(change: ChangeRow) -> str:
    if change.action == PlanAction.RENAME:
        return str(_undo_of(change).get("name") or change.name)
    return change.name


def undo_line(change: ChangeRow) -> dict[str, Any] | None:
    """The line a rollback's answer gives the undo of ``change`` (kind, name, ``DELETED``,
    ``RESTORED``, ``RENAMED`` back from a name or ``RECREATED``, the version it comes back
    at), written or only foreseen (``rollback.check_import``); ``None`` for a ``LINK``, which
    undoes no object."""
    if change.action == ChangeAction.LINK:
        return None
    if change.action == PlanAction.CREATE:
        return {"kind": change.kind, "name": change.name, "action": "DELETED"}
    line: dict[str, Any] = {"kind": change.kind, "name": change.name}
    if change.action == PlanAction.RENAME:
        line.update({"name": _old_name(change), "action": "RENAMED", "from": change.name})
    else:
        line["action"] = "RECREATED" if change.action == PlanAction.DELETE else "RESTORED"
    if change.kind in _VERSIONED:
        line["version"] = change.before_version
    return line


# -- the writes -----------------------------------------------------------------------------------


class Undo:
    """The bulk writes that take a workspace back to before an import: one batch of changes
    (:meth:`first` or :meth:`second`), then :meth:`write`."""

    def __init__(self, tx: Tx, scope: Scope, current: Current, undone: Undone, changes: ChangePort):
        self.tx, self.scope, self.current, self.undone = tx, scope, current, undone
        self.changes = changes
        self.ws = scope.workspace.id
        self.stamp = Stamp(now_ms(), scope.actor.name)
        self.delete: dict[str, list[str]] = {k: [] for k in STORED}
        self.tombstones: list[tuple[str, str, str]] = []
        self.jobs: list[tuple[int, JobRow]] = []
        self.scripts: list[tuple[str, ScriptRow]] = []
        self.resources: list[tuple[str, ResourceRow]] = []
        self.job_trim: list[tuple[int, int]] = []
        self.script_trim: list[tuple[str, int]] = []
        self.refs: list[RefRow] = []
        self.renames: dict[str, list[tuple[str, str]]] = {}
        self.forget: list[tuple[str, str, str]] = []
        self.returned: list[tuple[str, str]] = []  # (kind, uid) of deleted objects put back
        self.ledger: list[LedgerRow] = []
        self.deletions: list[LedgerDeletion] = []  # what imports deleted, put back

    # -- pass 1 ---------------------------------------------------------------------------------

    def first(self, changes: list[ChangeRow]) -> None:
        """Remove what the import created, restore what it overwrote or rewrote, move what it
        renamed out of the way; ledger rows back as they were."""
        for change in changes:
            self._ledger(change)
            if change.action == ChangeAction.LINK:
                continue  # its ledger rows only: the object is as the import found it
            if change.action == PlanAction.CREATE:
                self._remove(change)
            elif change.action == PlanAction.RENAME:
                now = self.current[(change.kind, change.name)]
                self.renames.setdefault(change.kind, []).append((now.id, TEMPORARY + now.uid))
            elif change.action != PlanAction.DELETE:
                self._restore(change, change.object_id or "")
                self._said(change)

    def _ledger(self, change: ChangeRow) -> None:
        undo = _undo_of(change)
        learned = undo.get("learned")
        if learned:
            self.forget.append((str(learned[0]), str(learned[1]), str(learned[2])))
        for key in ("ledger", "adopted"):
            if undo.get(key):
                self.ledger.append(LedgerRow(**undo[key]))
        if undo.get("deletion"):
            self.deletions.append(LedgerDeletion(*undo["deletion"]))

    def _remove(self, change: ChangeRow) -> None:
        """An object the import created goes."""
        if change.kind == ObjectKind.CDM_JOB:
            self.changes.write(Remove(ObjectKind.CDM_JOB, [change.name]))
        else:
            now = self.current[(change.kind, change.name)]
            self.delete[change.kind].append(now.id)
            self.tombstones.append((change.kind, now.uid, change.name))
        self._said(change)

    def _restore(self, change: ChangeRow, object_id: str) -> None:
        """An object the import wrote gets its definition and versions back."""
        before = change.before_document or "{}"
        doc = load(before)
        version = change.before_version
        if change.kind == ObjectKind.JOB:
            job_id = int(object_id)
            self.jobs.append((job_id, JobRow.of(doc, before, version)))
            self.job_trim.append((job_id, version or 0))
            for kind, name, other in distinct_references(job_references(doc)):
                self.refs.append(RefRow(job_id, kind.value, name, other or ""))
        elif change.kind == ObjectKind.SCRIPT:
            self.scripts.append((object_id, ScriptRow.of(doc, before, version)))
            self.script_trim.append((object_id, version or 0))
        else:
            self.resources.append((object_id, ResourceRow.of(doc, before)))

    def _said(self, change: ChangeRow) -> None:
        line = undo_line(change)
        if line is not None:
            self.undone.add(line)

    # -- pass 2 ---------------------------------------------------------------------------------

    def second(self, changes: list[ChangeRow]) -> None:
        """Renamed objects take their old names and definitions back; deleted ones come back
        whole."""
        for change in changes:
            if change.action == PlanAction.RENAME:
                old = _old_name(change)
                self.renames.setdefault(change.kind, []).append((change.object_id or "", old))
                self._restore(change, change.object_id or "")
                self._said(change)
            else:
                self._recreate(change)

    def _recreate(self, change: ChangeRow) -> None:
        """Put a deleted object back as it was, scheduling state included."""
        undo = _undo_of(change)
        state: dict[str, Any] = undo["deleted"]
        row = state["row"]
        if change.kind == ObjectKind.JOB:
            row["status"] = undo.get("status") or row["status"]
        object_id = self.changes.write(PutBack(change.kind, state)).restored
        if change.kind == ObjectKind.JOB:
            job_id = int(object_id)
            refs = distinct_references(job_references(load(row["document"])))
            rows = [(job_id, k.value, n, w or "") for k, n, w in refs]
            tags = [n for k, n, _ in refs if k == RefKind.TAG]  # made again if gone since
            self.changes.write(PutJobDetails([], rows, [job_id], tags, self.stamp.at))
        self.returned.append((change.kind, str(row.get("uid") or row["id"])))
        self._said(change)

    # -- both -----------------------------------------------------------------------------------

    def write(self) -> None:
        """Every delete, rename, restore, version trim and index row through the change port,
        a line a kind; the ledger rows and tombstones (the record) beside them, in bulk."""
        tx, stamp, changes = self.tx, self.stamp, self.changes
        for stored in STORED:
            if self.delete[stored]:
                changes.write(Remove(stored, self.delete[stored]))
        ledger_repo.record_deletions(tx, self.ws, self.tombstones, *stamp)
        ledger_repo.forget_deletions(tx, self.ws, self.returned)
        for kind, names in sorted(self.renames.items()):
            changes.write(Rename(kind, names))
        changes.write(PutJobs([], self.jobs, stamp))
        changes.write(PutScripts([], self.scripts, [], stamp))
        changes.write(PutResources([], self.resources, stamp))
        job_trim = [(str(job_id), version) for job_id, version in self.job_trim]
        changes.write(TrimVersions(ObjectKind.JOB, job_trim))
        changes.write(TrimVersions(ObjectKind.SCRIPT, self.script_trim))
        overwritten = [job_id for job_id, _ in self.job_trim]
        tags = [ref.name for ref in self.refs if ref.kind == RefKind.TAG]  # made again if gone
        changes.write(PutJobDetails([], self.refs, overwritten, tags, stamp.at))
        ledger_repo.delete_ledger(tx, self.ws, self.forget)
        ledger_repo.put_ledger(tx, self.ws, self.ledger)
        ledger_repo.put_ledger_deletions(tx, self.ws, self.deletions)
