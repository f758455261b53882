"""The model of a workspace's drift (``tests/unit/services/test_generated_drift.py``): what a
target workspace holds, what the newest import from the source wrote of each object (the
promotion ledger), who changed each object last and when, and so what ``GET …/drift`` must
answer and what a promotion's plan must decide under each ``onDrift`` (docs/api.md, "What
changed in a workspace since it was promoted into" and "Repeated promotion").

Each object has one field a story changes: a job's ``description``, a script's ``content``, a
resource's ``desc``. Target objects are told apart by an identity of the model's own
(``ident``): a job deleted and made again by hand is another object, though of the same name.
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass, field

FIELD = {"job": "description", "script": "content", "resource": "desc"}
"""The field a story changes, by kind."""
OBJECTS = (
    ("job", "ja"),
    ("job", "jb"),
    ("script", "ja_sql"),
    ("script", "ja_sh"),
    ("script", "jb_sql"),
    ("script", "jb_sh"),
    ("resource", "udf_jar"),
)
"""What the source holds (the two jobs and what they use), in the source's names."""
EDITABLE = (("job", "ja"), ("job", "jb"), ("script", "ja_sql"), ("script", "jb_sql"))
EDITABLE += (("resource", "udf_jar"),)
KINDS = ("job", "script", "resource")

Key = tuple[str, str]
"""(kind, name in the source) of one object."""


@dataclass
class Held:
    """One object the target holds: its identity, name, changed field, last change."""

    ident: int
    kind: str
    name: str
    value: str
    at: int
    by: str
    scheduled: bool = False
    submitted: bool = False
    """A version submitted by hand since an import last wrote it."""


@dataclass(frozen=True)
class Written:
    """A ledger row: what the newest import that wrote the object wrote, to which object."""

    ident: int
    name: str
    value: str
    task_id: str
    at: int


@dataclass(frozen=True)
class Expected:
    """One object of a drift report as the model expects it."""

    kind: str
    name: str
    deleted: bool
    changes: frozenset[tuple[str, object, object]]
    at: int
    by: str
    task_id: str
    imported_at: int


@dataclass(frozen=True)
class Decision:
    """What a plan decides for one object of the package: its action, the fields it reports
    as drifted (empty: none), and the target object it writes (``None``: a new one)."""

    action: str
    drift: frozenset[str]
    ident: int | None


@dataclass
class Model:
    """The source's values, the target's objects, the ledger, the deletions made by hand."""

    source: dict[Key, str] = field(default_factory=dict)
    held: dict[int, Held] = field(default_factory=dict)
    ledger: dict[Key, Written] = field(default_factory=dict)
    deleted: dict[int, tuple[int, str]] = field(default_factory=dict)
    """When and by whom each object deleted by hand was (its identity)."""
    idents: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        for kind, name in OBJECTS:
            self.source.setdefault((kind, name), f"{name} v0")

    def snapshot(self) -> Model:
        """A copy to put back what a rollback undoes from (identities keep counting)."""
        kept = copy.deepcopy(self)
        kept.idents = self.idents
        return kept

    def find(self, kind: str, name: str) -> Held | None:
        """The target's object of ``kind`` named ``name`` now."""
        return next((h for h in self.held.values() if (h.kind, h.name) == (kind, name)), None)

    def new(self, kind: str, name: str, value: str, at: int, by: str) -> Held:
        made = Held(next(self.idents), kind, name, value, at, by)
        self.held[made.ident] = made
        return made

    # -- the drift report ------------------------------------------------------------------

    def report(self) -> tuple[int, list[Expected]]:
        """(compared, drifted objects by kind then name)."""
        found = []
        for (kind, _), row in self.ledger.items():
            held = self.held.get(row.ident)
            if held is None:
                at, by = self.deleted.get(row.ident, (0, ""))
                found.append(
                    Expected(kind, row.name, True, frozenset(), at, by, row.task_id, row.at)
                )
                continue
            changes = set()
            if held.value != row.value:
                changes.add((FIELD[kind], row.value, held.value))
            if held.name != row.name:
                changes.add(("name", row.name, held.name))
            if changes:
                found.append(
                    Expected(
                        kind,
                        held.name,
                        False,
                        frozenset(changes),
                        held.at,
                        held.by,
                        row.task_id,
                        row.at,
                    )
                )
        found.sort(key=lambda e: (KINDS.index(e.kind), e.name))
        return len(self.ledger), found

    # -- a promotion -----------------------------------------------------------------------

    def decide(self, key: Key, on_drift: str) -> Decision:
        """What a plan of the source's package (sameNamePolicy AUTO, a repeated import:
        OVERWRITE) decides for ``key``: matched by the ledger, else by name."""
        kind, name = key
        row, value = self.ledger.get(key), self.source[key]
        target = self.held.get(row.ident) if row is not None else None
        target = target or self.find(kind, name)
        if target is None:
            return Decision("CREATE", frozenset(), None)
        renamed = target.name != name
        if target.value == value and not renamed:
            return Decision("UNCHANGED", frozenset(), target.ident)
        drift: frozenset[str] = frozenset()
        if row is not None and row.ident == target.ident and target.value != row.value:
            # drifted in a field the overwrite changes (a rename back is not drift)
            drift = frozenset({FIELD[kind]}) if target.value != value else frozenset()
        action = "RENAME" if renamed else "OVERWRITE"
        if drift and on_drift == "KEEP_TARGET":
            action = "SKIP"
        return Decision(action, drift, target.ident)

    def imported(self, decisions: dict[Key, Decision], task_id: str, at: int, by: str) -> None:
        """The import of the source's package applied as ``decisions`` said."""
        for key, decision in decisions.items():
            kind, name = key
            value, row = self.source[key], self.ledger.get(key)
            if decision.action == "SKIP":
                continue
            if decision.ident is None:
                made = self.new(kind, name, value, at, by)
                self.ledger[key] = Written(made.ident, name, value, task_id, at)
                continue
            held = self.held[decision.ident]
            if decision.action != "UNCHANGED":
                held.name, held.value, held.at, held.by = name, value, at, by
                held.submitted = False
            linked = row is not None and (row.ident, row.name, row.value) == (
                held.ident,
                name,
                value,
            )
            if decision.action != "UNCHANGED" or not linked:  # written, or linked anew
                self.ledger[key] = Written(held.ident, name, value, task_id, at)
