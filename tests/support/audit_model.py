"""What the audit log and an object's import history must answer after each step of a
generated audit story (``support/audit_stories.py``), as docs/api.md (``GET …/audit``),
docs/cli.md (``jobferry audit``) and docs/operations.md (*The audit log*) promise it.

The model holds every entry a step writes (the workspace's, or the project's own), in the
order they were written, and every import with what it did to each object, by the object's
identity: a job renamed is the same object under a new name; a deleted one is gone, until the
rollback of its deletion restores it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace

from jobferry.domain.audit import AuditQuery
from jobferry.services.importing.expiry import DAY_MS
from jobferry.storage.audit import DroppedAudit

PROJECT = -1
"""The scope of the project's own entries (those of no workspace)."""
IMPORTED = ("ja", "jb", "jc", "jd")
"""The jobs imports write (each with the two scripts and the resource its nodes use)."""
HAND = ("ha", "hb")
"""The jobs changed by hand."""


@dataclass(frozen=True)
class Entry:
    """One audit entry: where (a workspace's index, or ``PROJECT``), when, who, what."""

    scope: int
    at: int
    seq: int
    actor: str
    action: str
    kind: str | None
    name: str | None

    @property
    def shown(self) -> tuple[int, str, str, str | None, str | None]:
        """What a page says of it, as the model compares it."""
        return (self.at, self.actor, self.action, self.kind, self.name)


@dataclass(frozen=True)
class Obj:
    """An object an import wrote: its kind, name now, identity (the id the server keeps)."""

    kind: str
    name: str
    identity: int


@dataclass
class Imported:
    """An import: its task, workspace, start, and what it did to each object (kind,
    identity, action, the name it wrote)."""

    task_id: str
    ws: int
    at: int
    changes: list[tuple[str, int, str, str]]
    before: dict[str, Obj]
    """The workspace's imported objects before it (what its rollback puts back)."""
    rolled_back: bool = False
    retouched: bool = False
    """An object it wrote was renamed or deleted by hand since: its rollback is refused."""


@dataclass
class Model:
    """The entries, the dropped mark, the imported objects (by uid) of each workspace, the
    imports, the roles of the user the story grants them to, the hand-made jobs."""

    mark: DroppedAudit | None
    entries: list[Entry] = field(default_factory=list)
    objects: list[dict[str, Obj]] = field(default_factory=lambda: [{}, {}])
    imports: list[Imported] = field(default_factory=list)
    roles: list[str | None] = field(default_factory=lambda: [None, None])
    hand: list[set[str]] = field(default_factory=lambda: [set(), set()])
    _seq: itertools.count[int] = field(default_factory=itertools.count)
    _identity: itertools.count[int] = field(default_factory=itertools.count)

    # -- the log ---------------------------------------------------------------------------

    def wrote(
        self, scope: int, at: int, actor: str, action: str, kind: str | None, name: str | None
    ) -> None:
        """A step wrote one entry."""
        self.entries.append(Entry(scope, at, next(self._seq), actor, action, kind, name))

    def of(self, scope: int) -> list[Entry]:
        """The scope's entries, newest first (by time, then as written)."""
        mine = [e for e in self.entries if e.scope == scope]
        return sorted(mine, key=lambda e: (e.at, e.seq), reverse=True)

    def matching(self, scope: int, query: AuditQuery) -> list[Entry]:
        """The scope's entries ``query`` asks for, newest first."""
        return [e for e in self.of(scope) if _matches(e, query)]

    def dropped(self, query: AuditQuery) -> DroppedAudit | None:
        """What a page of ``query`` says was dropped: the mark, when its window reaches
        before it."""
        if self.mark is None:
            return None
        return self.mark if query.since is None or query.since < self.mark.before else None

    def swept(self, now: int, days: int) -> None:
        """The sweep under ``JOBFERRY_AUDIT_DAYS=days`` at ``now``: entries before the cut
        are gone; the mark moves on when it dropped any (never back)."""
        cut = now - days * DAY_MS
        kept = [e for e in self.entries if e.at >= cut]
        if len(kept) < len(self.entries) and (self.mark is None or self.mark.before <= cut):
            self.mark = DroppedAudit(cut, now, days)
        self.entries = kept

    # -- imports ---------------------------------------------------------------------------

    def job_uids(self, ws: int) -> dict[str, str]:
        """The workspace's imported jobs: name → uid."""
        return {o.name: uid for uid, o in self.objects[ws].items() if o.kind == "job"}

    def imported(
        self,
        task_id: str,
        ws: int,
        at: int,
        package: list[tuple[str, str, str]],
        deleted: list[str],
    ) -> None:
        """An import of ``package`` ((kind, uid, name) each; every job in a new look) that
        deleted the jobs of uids ``deleted``."""
        held = self.objects[ws]
        before = dict(held)
        changes: list[tuple[str, int, str, str]] = []
        for kind, uid, name in package:
            obj = held.get(uid)
            if obj is None:
                obj = Obj(kind, name, next(self._identity))
                changes.append((kind, obj.identity, "CREATE", name))
            elif obj.name != name:
                changes.append((kind, obj.identity, "RENAME", name))
            elif kind == "job":
                changes.append((kind, obj.identity, "OVERWRITE", name))
            held[uid] = replace(obj, name=name)
        for uid in deleted:
            gone = held.pop(uid)
            changes.append((gone.kind, gone.identity, "DELETE", gone.name))
        self.imports.append(Imported(task_id, ws, at, changes, before))

    def newest_import(self, ws: int) -> Imported | None:
        """The workspace's newest import, when it can be rolled back (not already)."""
        mine = [i for i in self.imports if i.ws == ws]
        return mine[-1] if mine and not mine[-1].rolled_back else None

    def rolled_back(self, done: Imported) -> None:
        """``done`` was rolled back: its workspace's objects are as before it."""
        done.rolled_back = True
        self.objects[done.ws] = dict(done.before)

    def imports_of(
        self, ws: int, kind: str | None, name: str, window: tuple[int | None, int | None]
    ) -> list[tuple[int, str, str, str, bool, str]]:
        """(start, task, action, name written, rolled back, kind) of each import that changed the
        object of ``kind`` (any) named ``name`` now, started within ``window``, newest first."""
        now = {(o.kind, o.identity) for o in self.objects[ws].values() if o.name == name}
        found = [
            (i.at, i.task_id, action, written, i.rolled_back, k)
            for i in self.imports
            if i.ws == ws and _within(i.at, window)
            for k, identity, action, written in i.changes
            if (k, identity) in now and (kind is None or k == kind)
        ]
        return sorted(found, key=lambda f: f[0], reverse=True)[:50]


def _within(at: int, window: tuple[int | None, int | None]) -> bool:
    since, until = window
    return (since is None or at >= since) and (until is None or at < until)


def _matches(entry: Entry, query: AuditQuery) -> bool:
    """Whether ``entry`` is one ``query`` asks for (blank texts: no filter)."""
    for value, wanted in (
        (entry.name, query.object_name),
        (entry.kind, query.object_kind),
        (entry.actor, query.actor),
    ):
        given = (wanted or "").strip()
        if given and value != given:
            return False
    action = (query.action or "").strip()
    family = action and "." not in action  # ``job``: every ``job.…`` (and ``job`` itself)
    if action and not (
        entry.action == action or (family and entry.action.startswith(f"{action}."))
    ):
        return False
    return _within(entry.at, (query.since, query.until))
