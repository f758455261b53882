"""What a workspace's system tasks must say after each step of a generated story
(``tests/unit/services/test_generated_tasks.py``), written from docs/api.md ("system-tasks",
"subtasksDropped", "rollbackExpired", the rollback's rules) and docs/operations.md (what the
housekeeping sweep drops, and when):

- an import's task is SUCCESSFUL, WARNING (``PER_OBJECT``, some object failed, others
  written) or FAILED (``ATOMIC`` with a failing object: nothing imported, no line); an import
  that wrote something keeps one line per object of its package; a plan (``kind`` plan) and
  an export keep none;
- a rollback is refused, in this order, for a task of another workspace (DLF.0810), a task
  that is no import (``not_import``), an import not finished (``not_finished``), one rolled
  back already (``rolled_back``), one past ``JOBFERRY_ROLLBACK_DAYS`` (``expired``), a
  workspace whose import lock a rollback task holds (DLF.9014: first, for a rollback asked
  to run now, which takes the lock before it reads the task), and, read from the changes,
  an object written since (``changed``: a later import wrote it, or a job not the import's
  uses a script or resource it made) or nothing written (``nothing``);
- an export's package is in the workspace's download center, newest first, until
  ``JOBFERRY_DOWNLOAD_TTL_SECONDS`` after it was made (the sweep removes it then);
- the sweep drops the lines of the tasks that ended more than ``JOBFERRY_TASK_LINES_DAYS``
  ago (``subtasksDropped`` says so on those that had lines; a running task keeps them), and
  what the finished imports that ended more than ``JOBFERRY_ROLLBACK_DAYS`` ago replaced
  (``rollbackExpired``, once for each), but an import's whose rollback task is queued or
  running (accepted before its days ran out, it is kept until that task ends).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from jobferry.domain.enums import RollbackRule, TaskKind, TaskStatus
from jobferry.services.importing.expiry import DAY_MS

Obj = tuple[str, str]
"""(kind, name) of an object of a workspace."""
FINISHED = (TaskStatus.SUCCESSFUL, TaskStatus.WARNING)
BAD_JOB = "bad_job"
"""The job a refused or per-object import carries that no workspace takes."""


def package_objects(jobs: tuple[str, ...], bad: bool) -> list[Obj]:
    """The objects of a package of ``jobs`` (each with its two scripts, all with the one
    resource), and ``bad``'s job when it has one."""
    names = [*jobs, BAD_JOB] if bad else list(jobs)
    found: set[Obj] = {("resource", "udf_jar")}
    for name in names:
        found |= {("job", name), ("script", f"{name}_sql"), ("script", f"{name}_sh")}
    return sorted(found)


def uses(job: str) -> set[Obj]:
    """What a job of a story's packages uses: its two scripts (not the resource)."""
    return {("script", f"{job}_sql"), ("script", f"{job}_sh")}


@dataclass
class Held:
    """A task as the model knows it."""

    id: str
    workspace: int
    kind: TaskKind
    status: TaskStatus
    start: int
    end: int | None
    lines: list[str] = field(default_factory=list)
    """The ids of its subtasks (``kind:name``)."""
    written: list[Obj] = field(default_factory=list)
    """What an import wrote (created or overwrote)."""
    created: list[Obj] = field(default_factory=list)
    failed: int = 0
    rolled_back: tuple[int, str] | None = None
    expired: tuple[int, int, int] | None = None
    """(ended at, dropped at, kept days)."""
    dropped: tuple[int, int, int] | None = None
    """(dropped at, kept days, how many lines)."""
    passed: bool = False
    """The lines' sweep passed it (it had lines or not)."""
    undoes: str | None = None
    """A rollback task: the import it undoes."""
    claimed: int | None = None
    """When a server process claimed it (queued until then), one that then died."""


@dataclass
class Model:
    """Every task of a story's two workspaces, what each workspace holds, and which import
    wrote each object last (a stack: a rollback gives an object back to the one before)."""

    lines_days: int
    rollback_days: int
    ttl_ms: int
    """How long the download center keeps a package."""
    tasks: dict[str, Held] = field(default_factory=dict)
    held: list[set[Obj]] = field(default_factory=lambda: [set(), set()])
    writers: list[dict[Obj, list[str]]] = field(default_factory=lambda: [{}, {}])
    packages: list[list[tuple[int, str]]] = field(default_factory=lambda: [[], []])
    """Each workspace's exports' packages: (made at, download id)."""
    queued: list[str | None] = field(default_factory=lambda: [None, None])
    """The rollback task holding each workspace's import lock, queued (or claimed by a
    process that died)."""

    def of(self, workspace: int) -> list[Held]:
        """The workspace's tasks, newest first (started at once: the greater id first)."""
        mine = [t for t in self.tasks.values() if t.workspace == workspace]
        return sorted(mine, key=lambda t: (t.start, t.id), reverse=True)

    # -- imports, plans, exports ---------------------------------------------------------------

    def import_refusal(self, workspace: int) -> str | None:
        """Why an import is refused before any task is made: a rollback task holds the lock."""
        return "DLF.9014" if self.queued[workspace] else None

    def imported(
        self, task_id: str, workspace: int, now: int, jobs: tuple[str, ...], bad: bool, each: bool
    ) -> Held:
        """An import of ``jobs`` (and a failing job when ``bad``), ``PER_OBJECT`` when
        ``each``, ran at ``now``: every job is written (each package brings a new look of
        them), scripts and the resource only when the workspace lacks them."""
        task = Held(task_id, workspace, TaskKind.IMPORT, TaskStatus.SUCCESSFUL, now, now)
        objects = package_objects(jobs, bad)
        if bad and not each:
            task.status = TaskStatus.FAILED
            return self._add(task)
        held = self.held[workspace]
        task.created = [o for o in objects if o not in held and o != ("job", BAD_JOB)]
        task.written = task.created + [("job", j) for j in jobs if ("job", j) in held]
        task.status = TaskStatus.WARNING if bad else TaskStatus.SUCCESSFUL
        task.failed = int(bad)
        task.lines = [f"{kind}:{name}" for kind, name in objects]
        for obj in task.written:
            held.add(obj)
            self.writers[workspace].setdefault(obj, []).append(task_id)
        return self._add(task)

    def planned(self, task_id: str, workspace: int, now: int, bad: bool) -> Held:
        """A plan (an import's dry run): WARNING when it found a problem; no line."""
        status = TaskStatus.WARNING if bad else TaskStatus.SUCCESSFUL
        return self._add(Held(task_id, workspace, TaskKind.PLAN, status, now, now))

    def exported(self, task_id: str, workspace: int, now: int, download: str) -> Held:
        """A whole workspace's export: SUCCESSFUL, no line; its package ``download`` kept."""
        task = Held(task_id, workspace, TaskKind.EXPORT, TaskStatus.SUCCESSFUL, now, now)
        self.packages[workspace].append((now, download))
        return self._add(task)

    def downloads(self, workspace: int, now: int) -> list[str]:
        """The workspace's packages not expired at ``now``, newest first (made at once: by
        id)."""
        kept = [p for p in self.packages[workspace] if p[0] + self.ttl_ms > now]
        return [download for _, download in sorted(kept, key=lambda p: (-p[0], p[1]))]

    def _add(self, task: Held) -> Held:
        self.tasks[task.id] = task
        return task

    # -- rollbacks -----------------------------------------------------------------------------

    def at_once(self, workspace: int, task_id: str, *, lock_first: bool) -> str | None:
        """What a rollback (asked now, or queued) is refused with before reading a change: an
        error code, or a rule of DLF.9016; ``None``: not so. ``lock_first``: one asked now
        takes the workspace's import lock before it reads the task."""
        if lock_first and self.queued[workspace]:
            return "DLF.9014"
        task = self.tasks.get(task_id)
        if task is None or task.workspace != workspace:
            return "DLF.0810"
        if task.kind is not TaskKind.IMPORT:
            return RollbackRule.NOT_IMPORT
        if task.status not in FINISHED:
            return RollbackRule.NOT_FINISHED
        if task.rolled_back is not None:
            return RollbackRule.ROLLED_BACK
        if task.expired is not None:
            return RollbackRule.EXPIRED
        if self.queued[workspace]:
            return "DLF.9014"
        return None

    def on_reading(self, task: Held) -> str | None:
        """What a rollback that passed :meth:`at_once` is refused with once it reads the
        import's changes."""
        writers = self.writers[task.workspace]
        if any(writers[obj][-1] != task.id for obj in task.written):
            return RollbackRule.CHANGED
        made = set(task.created)
        others = {
            name
            for kind, name in self.held[task.workspace]
            if kind == "job" and ("job", name) not in made
        }
        if any(uses(job) & made for job in others):
            return RollbackRule.CHANGED
        if not task.written:
            return RollbackRule.NOTHING
        return None

    def refusal(self, workspace: int, task_id: str) -> str | None:
        """What a rollback asked now is refused with (``None``: it is taken)."""
        found = self.at_once(workspace, task_id, lock_first=True)
        return found if found is not None else self.on_reading(self.tasks[task_id])

    def undone(self, task_id: str) -> dict[str, object]:
        """What the rollback of import ``task_id`` answers, when taken: how many objects it
        undid, and how, by action."""
        task = self.tasks[task_id]
        actions = {"DELETED": len(task.created), "RESTORED": len(task.written) - len(task.created)}
        return {
            "taskId": task_id,
            "rolledBack": len(task.written),
            "actions": {action: n for action, n in sorted(actions.items()) if n},
        }

    def rolled_back(self, task_id: str, now: int, by: str) -> None:
        """Import ``task_id`` was rolled back at ``now``: what it created is gone, what it
        overwrote is as the import before it left it."""
        task = self.tasks[task_id]
        task.rolled_back = (now, by)
        writers = self.writers[task.workspace]
        for obj in task.written:
            writers[obj].pop()
        for obj in task.created:
            self.held[task.workspace].discard(obj)

    def queue(self, task_id: str, workspace: int, now: int, of: str) -> Held:
        """A rollback task queued at ``now``, holding the workspace's import lock."""
        self.queued[workspace] = task_id
        task = Held(task_id, workspace, TaskKind.ROLLBACK, TaskStatus.RUNNING, now, None)
        task.undoes = of
        return self._add(task)

    def rolling_back(self, task: Held) -> str | None:
        """The rollback task undoing import ``task`` now, queued."""
        queued = self.queued[task.workspace]
        return queued if queued is not None and self.tasks[queued].undoes == task.id else None

    def waiting(self) -> list[Held]:
        """The rollback tasks queued and not claimed, the oldest first (as claimed)."""
        held = [self.tasks[t] for t in self.queued if t is not None]
        return sorted((t for t in held if t.claimed is None), key=lambda t: (t.start, t.id))

    def crashed(self, now: int) -> Held | None:
        """The oldest waiting rollback task was claimed at ``now`` by a process that died."""
        waiting = self.waiting()
        if waiting:
            waiting[0].claimed = now
        return waiting[0] if waiting else None

    def beat(self, now: int, gone_since: int) -> list[Held]:
        """A heartbeat at ``now`` failed the tasks claimed by processes gone (not beating)
        since before ``gone_since``, releasing their import locks; those tasks."""
        failed = [
            t for t in self.tasks.values() if t.claimed is not None and t.claimed < gone_since
        ]
        for task in failed:
            if task.end is None:
                task.end, task.status = now, TaskStatus.FAILED
                self.queued[task.workspace] = None
        return [t for t in failed if t.end == now]

    def ran(self, workspace: int, now: int, by: str) -> str | None:
        """The workspace's queued rollback ran at ``now``: ended, refused or not; the rule
        that refused it (``None``: taken)."""
        task = self.tasks[self.queued[workspace] or ""]
        self.queued[workspace] = None
        assert task.undoes is not None
        undone = self.tasks[task.undoes]
        rule = RollbackRule.EXPIRED if undone.expired is not None else self.on_reading(undone)
        task.end = now
        task.status = TaskStatus.FAILED if rule else TaskStatus.SUCCESSFUL
        if rule is None:
            self.rolled_back(undone.id, now, by)
        return rule

    # -- the housekeeping sweep ----------------------------------------------------------------

    def swept(self, now: int) -> None:
        """The sweep at ``now``: lines of tasks ended more than the lines' days ago, and what
        finished imports ended more than the rollbacks' days ago replaced."""
        for task in self.tasks.values():
            if task.end is None:
                continue
            if self.lines_days and not task.passed and task.end < now - self.lines_days * DAY_MS:
                task.passed = True
                if task.lines:
                    task.dropped = (now, self.lines_days, len(task.lines))
                    task.lines = []
            expires = task.kind is TaskKind.IMPORT and task.status in FINISHED
            expires = expires and self.rolling_back(task) is None  # kept for its rollback task
            old = task.end < now - self.rollback_days * DAY_MS
            if self.rollback_days and expires and task.expired is None and old:
                task.expired = (task.end, now, self.rollback_days)
