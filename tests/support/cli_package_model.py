"""What the command line's package round trip promises, written from docs/cli.md (``export``,
``plan``, ``import``, ``rollback``, ``tasks``, "Exit codes") and docs/api.md ("Repeated
promotion": identity, the ledger, drift, honest defaults), not from the code; for
``tests/cli/test_generated_package_commands.py``.

Two workspaces on one server: ``src`` holds the jobs a story exports (each definition told
apart by its description, which edits change), ``dst`` takes the packages. The model holds
what ``dst`` holds (each object's description and whether it is scheduled), its ledger (per
object, the definition an import from ``src`` wrote or linked, and the time of that package's
newest change) and each import the story ran, with what it found and left, so that a rollback
can be judged: refused when an object it wrote changed since, or a ledger row it wrote was
written again by a later import; else everything goes back as it was.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from support.cli_command_model import OK, USAGE, Outcome, refused

MISSING_JOB = "DLF.0100"
UNMATCHED = "DLF.3051"
CANNOT_ROLL_BACK = "DLF.9016"
UNKNOWN_TASK = "DLF.0810"
PROBLEMS = "problems"
SCRIPT = "s_load"
UPSTREAM = {"b_after": "a_load"}
"""The job each job depends on (``dependJobs``)."""
USES = {"a_load": SCRIPT}
"""The script a job runs (carried along by an export: ``exportDepend``)."""
UNREACHABLE = frozenset({"d_ssh"})
"""Jobs using a connection ``dst`` does not have (a ``missing_reference`` problem, unless a
profile maps it: ``--profile-map``)."""
FAR_CONNECTION, MAPPED_CONNECTION = "|ssh_conn", "|dws_conn"
"""How a definition says the connection of an ``UNREACHABLE`` job (after its description)."""
_rows = itertools.count(1)


@dataclass
class Held:
    """An object of ``dst``: its definition (by description) and scheduling."""

    desc: str
    scheduled: bool = False
    changed: int = 0
    """The step that last wrote its definition (an edit or an import)."""


@dataclass(frozen=True)
class Row:
    """A ledger row: the source definition an import wrote (or linked), the package's newest
    change, and the row's own identity (a later import writing the row again is a new one)."""

    desc: str
    """What it wrote (after the profile's renames)."""
    source: str
    """The package's own definition of it."""
    clock: int
    ident: int = field(default_factory=lambda: next(_rows))


@dataclass(frozen=True)
class Package:
    """An exported package: its objects' descriptions and the clock of its newest change."""

    objects: dict[str, str]
    clock: int


@dataclass
class Planned:
    """A plan: each object's action, the objects with problems, the policy applied."""

    actions: dict[str, str]
    problems: dict[str, set[str]]
    relink: set[str]
    written: dict[str, str] = field(default_factory=dict)
    """Each object's definition once transformed (the profile's connection renamed)."""

    def count(self, action: str) -> int:
        return sum(1 for a in self.actions.values() if a == action)

    @property
    def writes(self) -> bool:
        return any(a in ("CREATE", "OVERWRITE") for a in self.actions.values())

    @property
    def exit_code(self) -> int:
        """docs/cli.md "Exit codes": 3 problems, 4 anything pending (a SKIP too), else 0."""
        if self.problems:
            return 3
        return 4 if self.writes or self.count("SKIP") else 0


@dataclass
class Imported:
    """An import the story ran, as it found ``dst`` and left it."""

    before: dict[str, Held | None]
    """What each object it wrote was before (``None``: it created it)."""
    after: dict[str, tuple[str, bool]]
    rows_before: dict[str, Row | None]
    rows: dict[str, Row]
    """The rows it wrote or linked."""
    step: int
    rolled_back: bool = False

    @property
    def wrote(self) -> bool:
        return bool(self.before)


@dataclass
class Model:
    """``src`` and ``dst`` as the docs say the commands leave them."""

    src: dict[str, str]
    dst: dict[str, Held]
    clocks: dict[str, int] = field(default_factory=dict)
    clock: int = 0
    rows: dict[str, Row] = field(default_factory=dict)
    packages: list[Package] = field(default_factory=list)
    imports: list[Imported] = field(default_factory=list)
    rollbacks: int = 0
    downloads: int = 0
    step: int = 0

    def export(self, names: tuple[str, ...], background: bool) -> Outcome:
        """``export JOB…`` (or ``--names-file``, a background export whose refusal lists every
        name that matches no job: docs/api.md ``POST /exports``, DLF.3051): refused when a job
        named is missing; the package holds the jobs and the scripts they run."""
        missing = [n for n in names if n not in self.src]
        if missing:
            return refused({UNMATCHED if background else MISSING_JOB}, *missing)
        objects = {n: self.src[n] + (FAR_CONNECTION if n in UNREACHABLE else "") for n in names}
        objects.update({USES[n]: "v0" for n in names if n in USES})
        self.packages.append(Package(objects, max(self.clocks.get(n, 0) for n in names)))
        self.downloads += background
        return OK

    def edit_source(self, name: str, desc: str) -> None:
        self.clock += 1
        self.src[name] = desc
        self.clocks[name] = self.clock

    def plan(
        self, package: Package, policy: str | None, drift: str | None, pause: bool, mapped: bool
    ) -> Planned:
        """The plan of ``package`` into ``dst`` (docs/api.md "Repeated promotion"), ``mapped``
        through the profile renaming ``ssh_conn`` to ``dws_conn``."""
        applied = policy or ("overwrite" if self.rows else "skip")
        planned = Planned({}, {}, set())
        for name, raw in package.objects.items():
            desc = raw.replace(FAR_CONNECTION, MAPPED_CONNECTION) if mapped else raw
            planned.written[name] = desc
            held, row = self.dst.get(name), self.rows.get(name)
            problems: set[str] = set()
            if held is None:
                action = "CREATE"
            elif held.desc == desc:
                action = "UNCHANGED"
                if row is None or row.source != raw or row.desc != held.desc:
                    planned.relink.add(name)
            elif applied == "skip":
                action = "SKIP"
            else:
                action = "OVERWRITE"
                if row is not None and row.desc != held.desc:
                    action = _on_drift(drift, problems, action, "drift")
                newer = row is not None and row.clock > package.clock and row.source != raw
                if action == "OVERWRITE" and newer:
                    action = _on_drift(drift, problems, action, "older_package")
                if action == "OVERWRITE" and held.scheduled and not pause:
                    problems.add("scheduled")
            if name in UNREACHABLE and not mapped:
                problems.add("missing_reference")
            upstream = UPSTREAM.get(name)
            if upstream and upstream not in package.objects and upstream not in self.dst:
                problems.add("missing_reference")
            planned.actions[name] = action
            if problems:
                planned.problems[name] = problems
        return planned

    def import_(self, package: Package, planned: Planned) -> Imported | None:
        """An import of a plan without problems: what it writes and links, recorded for its
        rollback (``None``: it would write nothing, so it stops at "Nothing to import." and no
        import task runs, linking nothing either)."""
        if not planned.writes:
            return None
        self.step += 1
        done = Imported({}, {}, {}, {}, self.step)
        for name, action in planned.actions.items():
            desc = planned.written[name]
            if action in ("CREATE", "OVERWRITE"):
                held = self.dst.get(name)
                done.before[name] = None if held is None else Held(**vars(held))
                if held is None:
                    held = self.dst[name] = Held(desc)
                held.desc, held.changed = desc, self.step
                done.after[name] = (held.desc, held.scheduled)
            if action in ("CREATE", "OVERWRITE") or name in planned.relink:
                done.rows_before[name] = self.rows.get(name)
                self.rows[name] = done.rows[name] = Row(desc, package.objects[name], package.clock)
        if not done.rows:
            return None
        self.imports.append(done)
        return done

    def rollback(self, done: Imported, yes: bool) -> Outcome:
        """``rollback TASK [--yes]``: without ``--yes`` and no terminal, exit 2 before any call
        (tests/cli/test_help.py); else exit 0 when rolled back already; refused (``DLF.9016``)
        naming what changed since, or when it wrote nothing; else ``dst`` as before it."""
        if not yes:
            return NO_TERMINAL
        if done.rolled_back:
            return OK
        conflicts = sorted(self._conflicts(done))
        if conflicts:
            return refused(
                {CANNOT_ROLL_BACK}, *conflicts, "jobferry drift", "shows how each changed"
            )
        if not done.wrote:
            return refused({CANNOT_ROLL_BACK}, "nothing to roll back")
        self.step += 1
        for name, before in done.before.items():
            if before is None:
                del self.dst[name]
            else:
                self.dst[name] = Held(before.desc, self.dst[name].scheduled, self.step)
        for name, row in done.rows_before.items():
            if row is None:
                self.rows.pop(name, None)
            else:
                self.rows[name] = row
        done.rolled_back = True
        self.rollbacks += 1
        return OK

    def _conflicts(self, done: Imported) -> set[str]:
        """The objects a rollback of ``done`` finds changed since (docs/errors.md DLF.9016)."""
        found = set()
        for name, after in done.after.items():
            held = self.dst.get(name)
            if held is None or (held.desc, held.scheduled) != after:
                found.add(name)
        for name, row in done.rows.items():
            if self.rows.get(name) != row:
                found.add(name)
        for job, upstream in UPSTREAM.items():
            held = self.dst.get(job)
            made = done.before.get(upstream, False) is None
            if made and held is not None and job not in done.before and held.changed > done.step:
                found.add(job)
        return found

    def edit(self, name: str, desc: str) -> None:
        self.step += 1
        held = self.dst[name]
        held.desc, held.changed = desc, self.step

    def schedule(self, name: str, start: bool) -> None:
        self.dst[name].scheduled = start


def _on_drift(drift: str | None, problems: set[str], action: str, reason: str) -> str:
    """``--on-drift``: ``fail`` (the default) a problem, ``keep-target`` a SKIP,
    ``take-package`` the overwrite."""
    if drift == "keep-target":
        return "SKIP"
    if drift is None:
        problems.add(reason)
    return action


NO_TERMINAL = refused({USAGE}, "--yes", exit_code=2)
"""``import``/``rollback`` without ``--yes`` and no terminal to ask (docs/cli.md "In a
pipeline")."""


def plan_outcome(planned: Planned) -> Outcome:
    """How ``plan`` ends: 0, 4 or 3 (its problems are an answer, not a refusal)."""
    if planned.problems:
        return Outcome(3, frozenset({PROBLEMS}))
    return Outcome(planned.exit_code)
