"""What the command line's route commands and ``jobferry promote`` promise, written from
docs/cli.md (the ``routes`` and ``promote`` rows, "Exit codes", "Standard output and standard
error") and docs/errors.md, not from the code; for ``tests/cli/test_generated_route_commands.py``.

The model holds what a story's two workspaces and its route hold: the tag of each job of dev
and of prod (a job's description, ``v{tag}``, bumped by each change made in dev), whether
prod holds dev's scripts, the route (its selection, settings and version) and its promotions.
A promotion carries every selected job the first time (with every script, for a route of
every job), afterwards what changed in dev since the last promotion imported and every
selected job an earlier one left behind (skipped): the jobs whose tag prod does not hold; the
deletions dev made since (or, the first time on a route of every job, every job prod holds
that dev lacks), for the jobs prod holds. Each step answers an ``Outcome``: the exit code, the
codes a refusal may carry and the words it must say (the object, the command that fixes it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

MISSING_ROUTE = "DLF.9040"
DENIED = "DLF.6888"
NO_WORKSPACE = "DLF.0819"
NOT_WAITING = "DLF.3051"
USAGE = "usage"
WRITES = ("CREATE", "OVERWRITE", "DELETE")
PlanLine = tuple[str, str, str]
"""(action, kind, name) of an object of a promotion's plan."""


@dataclass(frozen=True)
class Outcome:
    """How a step ends: its exit code, the codes a refusal may carry, what it says."""

    exit_code: int
    codes: frozenset[str] = frozenset()
    says: tuple[str, ...] = ()
    failed: bool = False
    """Its import was queued, and failed (the plan's target changed since it was made)."""


OK = Outcome(0)


def refused(code: str, *says: str, exit_code: int = 1) -> Outcome:
    return Outcome(exit_code, frozenset({code}), says)


@dataclass(frozen=True)
class Settings:
    """Import settings a route saves, or a run of ``promote`` overrides (``None``: not given):
    ``--policy``, ``--propagate-deletes``/``--keep-deletes``, ``--on-drift``."""

    policy: str | None = None
    propagate: bool | None = None
    on_drift: str | None = None

    def over(self, route: Settings) -> Settings:
        """These settings given on top of the route's."""
        return Settings(
            self.policy or route.policy,
            route.propagate if self.propagate is None else self.propagate,
            self.on_drift or route.on_drift,
        )

    def differs(self, route: Settings) -> bool:
        """Whether a run given these overrides the route's settings (its history says so)."""
        return self.over(route) != route


ROUTE_DEFAULTS = Settings("auto", False, "fail")


@dataclass
class Route:
    """The story's route from dev to prod, as the last version saved holds it."""

    jobs: tuple[str, ...]
    """The jobs it selects by name (empty: every job, ``--all``)."""
    settings: Settings = ROUTE_DEFAULTS
    version: int = 1
    promoted: bool = False
    """Whether a promotion along it was imported (the next carries what changed since)."""
    deleted: set[str] = field(default_factory=set)
    """Jobs deleted in dev since its last promotion imported."""
    history: list[Promotion] = field(default_factory=list)
    """Its promotions imported, oldest first."""

    def selects(self, job: str) -> bool:
        return not self.jobs or job in self.jobs


@dataclass(frozen=True)
class Promotion:
    """One promotion the route's history lists: the jobs it carried, whether it overrode."""

    jobs: int
    overrode: bool
    failed: bool = False


@dataclass(frozen=True)
class Planned:
    """What ``promote`` plans: every object's line, the deletions it leaves out; ``None``
    lines: nothing changed since the last promotion."""

    lines: tuple[PlanLine, ...] | None
    left_out: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()
    """The jobs whose line is a problem: changed in prod since a promotion wrote them."""

    @property
    def writes(self) -> bool:
        return any(action in WRITES for action, _, _ in self.lines or ())

    def imported(self, apply: bool) -> bool:
        """Whether ``promote --apply`` imports it: no problem, and something to write, or all
        unchanged (a baseline); a plan that only skips or leaves deletions out is not."""
        if not apply or self.lines is None or self.problems:
            return False
        return self.writes or not self.pending

    @property
    def pending(self) -> bool:
        """Anything the target does not hold as the package has it (docs/cli.md, exit 4)."""
        lines = self.lines or ()
        return bool(self.left_out) or any(action != "UNCHANGED" for action, _, _ in lines)


@dataclass
class Kept:
    """The newest plan ``promote`` showed, as the server keeps it for ``--plan PLAN_ID``."""

    planned: Planned
    snapshot: dict[str, int]
    """The tag of each job it carries, as dev held it when it was planned."""
    deleted: frozenset[str]
    """The deletions it carries (made in dev since the route's last promotion)."""
    prod: tuple[dict[str, int], bool]
    """Prod's jobs and whether it held the scripts, as it was planned against."""
    overrode: bool
    plan_id: str = ""
    imported: bool = False
    failed: bool = False
    """Its import failed: no promotion waits for one any more (``DLF.3051``)."""


@dataclass
class Model:
    """The story's workspaces and route as the docs say the commands leave them."""

    dev: dict[str, int]
    scripts: tuple[str, ...]
    prod: dict[str, int] = field(default_factory=dict)
    ledger: dict[str, int] = field(default_factory=dict)
    """The tag of each job as a promotion last wrote it into prod (a job changed in prod
    since holds another: it drifted)."""
    prod_scripts: bool = False
    route_name: str = ""
    route: Route | None = None
    kept: Kept | None = None
    tags: int = 0

    # -- dev, changed through signed calls ------------------------------------------------------

    def bump(self) -> int:
        self.tags += 1
        return self.tags

    def deleted(self, job: str) -> None:
        del self.dev[job]
        if self.route is not None:
            self.route.deleted.add(job)

    # -- the route commands -------------------------------------------------------------------

    def create(self, name: str, admin: bool, jobs: tuple[str, ...], known: bool) -> Outcome:
        """``routes create``: project admins; refused when it exists (exit 2, naming the
        commands that change or remove it) or names a workspace the project lacks."""
        if not admin:
            return refused(DENIED, "project admin")
        if not known:  # the document is checked before it is saved, or saved over nothing
            fix = "edit" if self.route is not None else "create"
            return refused(NO_WORKSPACE, "nope_ws", f"jobferry routes {fix} {name}")
        if self.route is not None:
            return refused(
                USAGE, name, f"jobferry routes edit {name}", f"routes delete {name}", exit_code=2
            )
        self.route = Route(jobs)
        return OK

    def edit(self, name: str, admin: bool, changes: Settings) -> Outcome:
        """``routes edit``: the settings named change, the route saves a new version (it reads
        the route first, so a route that does not exist is said so to anyone)."""
        if self.route is None:
            return self.missing(name)
        if not admin:
            return refused(DENIED, "project admin")
        self.route.settings = changes.over(self.route.settings)
        self.route.version += 1
        return OK

    def delete(self, name: str, admin: bool, ours: bool = True) -> Outcome:
        """``routes delete``: the route, its versions and its history go (``ours``: the
        story's route, else one that does not exist)."""
        if not admin:
            return refused(DENIED, "project admin")
        if self.route is None or not ours:
            return self.missing(name)
        self.route = self.kept = None
        return OK

    def read(self, name: str, version: int | None = None) -> Outcome:
        """``routes show|versions|history`` of a route that exists (and has that version)."""
        if self.route is None or (version is not None and version > self.route.version):
            return self.missing(name)
        return OK

    @staticmethod
    def missing(name: str) -> Outcome:
        return refused(MISSING_ROUTE, name, "jobferry routes list")

    # -- promote ------------------------------------------------------------------------------

    def plan(self, overrides: Settings) -> Planned:
        """What a promotion along the route would plan, this run's overrides on top."""
        route = self.route
        assert route is not None
        run = overrides.over(route.settings)
        selected = sorted(j for j in self.dev if route.selects(j))
        if route.promoted:
            carried = [j for j in selected if self.ledger.get(j) != self.dev[j]]
            deletions = sorted(j for j in route.deleted if route.selects(j) and j in self.prod)
        else:
            carried = selected
            whole = not route.jobs
            deletions = sorted(j for j in self.prod if j not in self.dev) if whole else []
        scripts = not route.promoted and not route.jobs
        if not carried and not deletions and not scripts:
            return Planned(None)
        lines = [("CREATE", "job", j) for j in carried if j not in self.prod]
        problems = []
        for job in (j for j in carried if j in self.prod):
            action = self._action(job, run)
            if action == "PROBLEM":
                problems.append(job)
                action = "OVERWRITE"
            lines.append((action, "job", job))
        if scripts:
            action = "UNCHANGED" if self.prod_scripts else "CREATE"
            lines += [(action, "script", s) for s in self.scripts]
        applied = deletions if run.propagate else []
        lines += [("DELETE", "job", j) for j in applied]
        left = () if run.propagate else tuple(deletions)
        return Planned(tuple(sorted(lines)), left, tuple(problems))

    def _action(self, job: str, run: Settings) -> str:
        """A carried job prod holds: unchanged, skipped (``--policy skip``; changed in prod
        since a promotion wrote it, ``--on-drift keep-target``), overwritten, or a problem
        (changed in prod, ``--on-drift fail``)."""
        if self.prod[job] == self.dev[job]:
            return "UNCHANGED"
        if run.policy == "skip":
            return "SKIP"
        if self.prod[job] == self.ledger.get(job) or run.on_drift == "take-package":
            return "OVERWRITE"
        return "SKIP" if run.on_drift == "keep-target" else "PROBLEM"

    def promote(
        self, name: str, admin: bool, apply: bool, yes: bool, overrides: Settings
    ) -> tuple[Outcome, Planned | None]:
        """``promote ROUTE [--apply [--yes]] [overrides]``: exit 0 nothing would change (or
        imported), 4 changes pending, 3 problems (nothing imported), 2 ``--apply``
        unconfirmed with no terminal to ask on."""
        if apply and not yes:
            return refused(USAGE, "--yes", exit_code=2), None
        if self.route is None:
            return self.missing(name), None
        if not admin:
            return refused(DENIED, "prod"), None
        planned = self.plan(overrides)
        if planned.lines is None:
            return OK, planned
        route = self.route
        snapshot = {name: self.dev[name] for _, _, name in planned.lines if name in self.dev}
        self.kept = Kept(
            planned,
            snapshot,
            frozenset(route.deleted),
            (dict(self.prod), self.prod_scripts),
            overrides.differs(route.settings),
        )
        return self.promote_kept(apply, yes)

    def promote_kept(self, apply: bool, yes: bool) -> tuple[Outcome, Planned | None]:
        """``promote ROUTE --plan PLAN_ID [--apply [--yes]]`` of the newest plan shown (and
        the end of ``promote``, which makes it): shown as it was made, exiting as it did, and
        imported as it was made, its changes as dev held them then; once imported, said so
        (exit 0). Its import fails (exit 1, recorded failed) when a job it carries changed in
        prod since it was planned; then no promotion waits (``DLF.3051``)."""
        if apply and not yes:
            return refused(USAGE, "--yes", exit_code=2), None
        kept = self.kept
        assert kept is not None
        planned = kept.planned
        if kept.imported:
            return OK, None
        if kept.failed:
            return refused(NOT_WAITING, f"jobferry promote {self.route_name}"), None
        if planned.problems:
            return Outcome(3), planned
        if not apply:
            return Outcome(4 if planned.pending else 0), planned
        was = kept.prod[0]
        if any(self.prod.get(job) != was.get(job) for _, _, job in planned.lines or ()):
            kept.failed = True  # its import is queued, and refuses the plan: prod moved
            route = self.route
            assert route is not None
            jobs = sum(1 for action, kind, _ in planned.lines or () if kind == "job")
            route.history.append(Promotion(jobs, kept.overrode, failed=True))
            return Outcome(1, failed=True), planned
        if planned.imported(apply):
            self._imported(kept)
        return OK, planned

    def _imported(self, kept: Kept) -> None:
        route = self.route
        assert route is not None
        lines = kept.planned.lines or ()
        for action, kind, name in lines:
            if kind == "script":
                self.prod_scripts = True
            elif action in ("CREATE", "OVERWRITE"):
                self.prod[name] = self.ledger[name] = kept.snapshot[name]
            elif action == "DELETE":
                del self.prod[name]
                self.ledger.pop(name, None)
        jobs = sum(1 for action, kind, _ in lines if kind == "job" and action != "DELETE")
        route.history.append(Promotion(jobs, kept.overrode))
        route.promoted = True
        route.deleted -= kept.deleted
        kept.imported = True

    def hot_fix(self, job: str) -> None:
        """A job of prod changed there through a signed call (not by a promotion)."""
        self.prod[job] = self.bump()
