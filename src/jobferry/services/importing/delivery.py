"""Where an import's changes go: the delivery port, chosen once per workspace.

The pipeline plans and applies into a workspace of this server (:mod:`.local`, through the
:class:`~.ports.ImportTarget` port). Whether that is the end of it depends on where the
workspace's truth lives, and that is decided in one place, :meth:`Deliveries.of`:

- a workspace of this server: the apply *is* the change (:class:`LocalDelivery`: the import or
  rollback runs once, in its transaction);
- a remote's shadow: the change must reach the remote DataArts workspace first, and the shadow
  takes it only with the remote (``services/remotes``: the import runs once into the shadow
  through the remote executor of the change port, which notes its lines and, at the commit,
  journals the push and leaves the task running; then the remote is written through its
  public API, and a failure undoes the remote and rolls the shadow's import back);
- an enterprise workspace: the local executor, whose commit adds the release's bookkeeping
  (``services/releases/delivery.py``).

The delivery chooses the change port's executor (:data:`~.changes.Executor`) once per import.

The import and rollback services ask their workspace's delivery and never test which kind it
is; a new kind of end is a new implementation registered in :class:`Deliveries`.
"""

from __future__ import annotations

import marshal
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from jobferry.domain.fieldpaths import FieldPath
from jobferry.services.context import WRITERS, Scope
from jobferry.services.importing.changes import Executor
from jobferry.services.importing.model import Problem, Record
from jobferry.services.importing.request import ImportRequest
from jobferry.storage import Tx
from jobferry.storage.importing.workset import Workset
from jobferry.storage.records import WorkspaceRecord

Told = Callable[[int, str, bool], None]
"""How bringing a workspace up to date says how far it got: progress (0–100), message, and
whether it is said often (a refresh's ``Said``)."""


@dataclass(frozen=True)
class Found:
    """Problems a delivery finds in a plan: of the whole package, and (seq, problem) of its
    objects."""

    package: list[Problem] = field(default_factory=list)
    objects: list[tuple[int, Problem]] = field(default_factory=list)

    def noted(self, workset: Workset, package: list[Problem]) -> list[tuple[int, Problem]]:
        """The objects' problems, kept with their records in ``workset`` (as a plan's late
        problems), the package's added to ``package``."""
        package += self.package
        workset.add_late((seq, marshal.dumps(p.packed())) for seq, p in self.objects)
        return self.objects


@dataclass(frozen=True)
class PreparedImport:
    """A validated import (or dry run) with its task, ready to run; ``package`` is what the
    audit log calls its package (an upload's file name, as a refused import's entry does)."""

    task_id: str
    scope: Scope
    request: ImportRequest
    locked: bool
    package: str


@dataclass(frozen=True)
class RolledBack:
    """An import rolled back: how many objects it undid, how many of each undo action
    (``DELETED``, ``RESTORED``, ``RENAMED``, ``RECREATED``: all of them), and the first of them
    (each as its change line: kind, name, what was undone)."""

    task_id: str
    count: int
    objects: tuple[dict[str, Any], ...]
    actions: dict[str, int] = field(default_factory=dict)

    def as_result(self) -> dict[str, Any]:
        """As the rollback call answers it, and a rollback task keeps it as its result."""
        answer: dict[str, Any] = {
            "taskId": self.task_id,
            "rolledBack": self.count,
            "actions": dict(sorted(self.actions.items())),
            "objects": list(self.objects),
        }
        if self.count > len(self.objects):
            answer["objectsShown"] = len(self.objects)
        return answer

    @classmethod
    def of_result(cls, result: dict[str, Any]) -> RolledBack | None:
        """The rollback a finished rollback task kept (:meth:`as_result`); ``None`` for any
        other result. A result kept before ``actions`` was has them counted from its objects
        when it lists them all."""
        if "rolledBack" not in result:
            return None
        objects = tuple(result.get("objects") or ())
        count = int(result["rolledBack"])
        kept = result.get("actions")
        if isinstance(kept, dict):
            actions = {str(action): int(n) for action, n in kept.items()}
        elif count == len(objects):
            actions = dict(Counter(str(o.get("action")) for o in objects))
        else:
            actions = {}
        return cls(str(result.get("taskId", "")), count, objects, actions)


Attempt = Callable[[Executor | None], int]
"""One run of an import (plan and apply in one transaction), its objects written through the
change port the executor makes (``None``: the workspace's local one); objects written
(``ImportService`` gives it)."""
TaskNote = Callable[[Tx, str], None]
"""What a caller writes of an import it queues (``ImportService.prepare``'s ``along``), in the
transaction that queues its task."""


class Along(Protocol):
    """What a caller writes in the transaction of an import's rollback, beside the undo (a
    release rollback: the jobs it started stopped, its ledger entry; a push's rollback: what
    the remote holds now, its journal's end). Raising refuses the rollback whole."""

    def before(self, tx: Tx) -> None:
        """Written before the undo is checked."""
        ...

    def after(self, tx: Tx) -> None:
        """Written once the undo is written."""
        ...


class Rollback(Protocol):
    """One import's rollback in this server's rows (``RollbackService`` makes it): its writes
    go through the local executor of the change port, in one transaction."""

    @property
    def task_id(self) -> str:
        """The import rolled back."""
        ...

    @property
    def task(self) -> str | None:
        """The rollback task running it (``None``: a rollback answered in its request)."""
        ...

    def check(self) -> RolledBack:
        """Refuse, naming the objects, every rollback :meth:`run` would refuse as things stand
        (without what an :class:`Along` writes), else say what it would undo; reads only."""
        ...

    def run(self, *along: Along) -> RolledBack:
        """The rollback, in one transaction with what each ``along`` writes (after the
        caller's own)."""
        ...

    def advance(self, progress: int, message: str) -> None:
        """Say how far the rollback got (a rollback task's progress, 0–100), never from inside
        its transaction; nothing for a rollback answered in its request."""
        ...


@dataclass(frozen=True)
class Pacing:
    """Where an import's writes and a rollback's undo in this server's rows sit in their
    task's progress, and what the writes are said to do: the whole work for a workspace of
    this server; into a remote's shadow the calls to the remote come around them."""

    writes: tuple[int, int]
    """The progress an import's apply moves through (from, to)."""
    verb: str
    """What the apply does to each object, as its task says it ("Wrote")."""
    undo: tuple[int, int]
    """The progress a rollback's undo moves through."""


class Delivery(Protocol):
    """How the changes of an import or a rollback reach the truth of a workspace."""

    @property
    def pacing(self) -> Pacing:
        """Where the work in this server's rows sits in an import's or a rollback's task."""
        ...

    def allow(self, scope: Scope, action: str) -> None:
        """Refuse, saying why, unless the scope's actor may ``action`` (import packages, roll
        back imports) into the workspace by this delivery."""
        ...

    def stale(self, scope: Scope) -> bool:
        """Whether the workspace must be brought up to date (:meth:`catch_up`) before a plan
        against it is made: then the plan runs as a task, not within the request."""
        ...

    def catch_up(self, scope: Scope, said: Told | None = None) -> None:
        """Bring the workspace up to date with its truth (a remote's shadow: refreshed from
        the remote); called, when it is :meth:`stale`, before an import or dry run plans
        (``said``: told how far it got, for the task that waits on it)."""
        ...

    def run_import(self, job: PreparedImport, attempt: Attempt) -> int:
        """Carry out the import ``job`` (not a dry run); objects written."""
        ...

    def run_rollback(self, scope: Scope, rollback: Rollback) -> RolledBack:
        """Carry out ``rollback`` (of an import into the scope's workspace)."""
        ...

    def preview_rollback(self, scope: Scope, rollback: Rollback) -> RolledBack:
        """What :meth:`run_rollback` would undo as things stand, or the refusal it would make
        (in its order), writing nothing and calling nothing outside this server."""
        ...

    def plan_problems(
        self, scope: Scope, request: ImportRequest, workset: Workset, package: str
    ) -> Found:
        """What the workspace's truth cannot be given of the plan in ``workset``, as its
        problems (a remote: what its push would refuse), so the plan says so before any apply;
        ``package`` names the package in a problem of its own."""
        ...

    def kept_job_fields(self, scope: Scope) -> tuple[FieldPath, ...]:
        """The fields of a job the workspace's truth keeps whatever a package holds (a remote
        read over its API: its description, which no call carries): planned as target-owned
        fields are."""
        ...

    def unsent(self, records: Sequence[Record]) -> list[str]:
        """The jobs among the planned ``records`` whose description the workspace's truth will
        not get (a remote: DataArts' job API has no field for one); the plan warns of them."""
        ...

    def basis(self, scope: Scope) -> dict[str, Any] | None:
        """What a plan against the workspace was made on, beyond this server's own rows (a
        remote: which refresh, of the remote or of a carried snapshot); ``None``: nothing."""
        ...

    def read_of(
        self, scope: Scope, objects: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], str]:
        """Per object (kind, name) the plan was made on, what was read of it from the
        workspace's truth (a remote: the hash of the definition its last refresh read); an
        object not read there (absent) is left out. Empty when :meth:`basis` is ``None``."""
        ...


class LocalDelivery:
    """A workspace of this server: the apply is the change."""

    pacing = Pacing((40, 95), "Wrote", (10, 95))

    def kept_job_fields(self, scope: Scope) -> tuple[FieldPath, ...]:
        """None: the workspace holds every field the import writes."""
        return ()

    def allow(self, scope: Scope, action: str) -> None:
        """Writers may, where the workspace may be changed here (not a remote's shadow)."""
        scope.require_change(WRITERS, action)

    def stale(self, scope: Scope) -> bool:
        """Never: the workspace is its own truth."""
        return False

    def catch_up(self, scope: Scope, said: Told | None = None) -> None:
        """Nothing to do."""

    def plan_problems(
        self, scope: Scope, request: ImportRequest, workset: Workset, package: str
    ) -> Found:
        """None: the apply is the change."""
        return Found()

    def unsent(self, records: Sequence[Record]) -> list[str]:
        """None: the workspace holds what the import writes."""
        return []

    def run_import(self, job: PreparedImport, attempt: Attempt) -> int:
        """The import, once."""
        return attempt(None)

    def run_rollback(self, scope: Scope, rollback: Rollback) -> RolledBack:
        """The rollback, once."""
        return rollback.run()

    def preview_rollback(self, scope: Scope, rollback: Rollback) -> RolledBack:
        """The rollback's own checks (:meth:`Rollback.check`)."""
        return rollback.check()

    def basis(self, scope: Scope) -> dict[str, Any] | None:
        """A plan here is made on this server's rows only."""
        return None

    def read_of(
        self, scope: Scope, objects: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], str]:
        """Nothing read elsewhere."""
        return {}


LOCAL = LocalDelivery()


@dataclass
class Deliveries:
    """Each workspace's delivery. A remote's shadow is delivered by :attr:`remote` (registered
    by the services container); without it a shadow is delivered locally, which refuses every
    change (:meth:`Scope.require_change`: a shadow changes only with its remote)."""

    remote: Delivery | None = None
    release: Delivery | None = None
    """An enterprise workspace's two sides (``services/releases/delivery.py``)."""

    def of(self, workspace: WorkspaceRecord) -> Delivery:
        """The delivery of ``workspace``."""
        if workspace.shadow_of is not None and self.remote is not None:
            return self.remote
        enterprise = workspace.production_id is not None or workspace.production_of is not None
        if enterprise and self.release is not None:
            return self.release
        return LOCAL
