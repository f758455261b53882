"""What the console's release pages promise (docs/console.md, *Releases*, *Release approvals*,
*Release ledger*; docs/api.md, *Releases (enterprise mode)*), for the generated stories of
``tests/console/test_generated_release_pages.py``: who may post each form, what a package's
state lets it do, how many signed approvals count, and what production holds after each
release, rollback and restore.

Production holds two jobs; a job's content is a tag (its description, ``v<tag>``), new at each
submit, so that a release, a rollback and a restore are each a map of tags, and a plan's basis
(what production held of each object the package writes when it was planned) is one too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from jobferry.domain.enums import Role

PEOPLE = {
    "admin": Role.ADMIN,
    "developer": Role.DEVELOPER,
    "deployer": Role.DEPLOYER,
    "second": Role.DEPLOYER,
    "operator": Role.OPERATOR,
    "viewer": Role.VIEWER,
}
"""Who signs in to the console (the workspace's admin, a developer, two deployers, an
operator, a viewer) and the role each holds in the enterprise workspace."""
SIGNERS = ("admin", "developer", "deployer", "second")
"""The people holding an approval key."""
PACKAGERS = (Role.ADMIN, Role.DEVELOPER)
"""Who packages pending items: admins and developers."""
APPROVER_ROLES = (Role.ADMIN, Role.DEPLOYER)
"""Who a package may name as approver: admins and deployers (never its applicant)."""
CANCELLERS = (Role.ADMIN, Role.DEVELOPER, Role.DEPLOYER, Role.OPERATOR)
"""Who revokes (cancels) a package."""
UNDOERS = (Role.ADMIN, Role.DEPLOYER, Role.OPERATOR)
"""Who rolls back a release and restores production to one: deployers, operators, admins."""
FORBIDDEN = 403
REFUSED = 400
"""A refusal the rules of releases make (DataArts answers each 400)."""

Tags = dict[str, int]
"""A job's name → the tag of its content."""


@dataclass
class Package:
    """A package made in the story: its id, applicant, approvers named, what it carries and
    the basis of its plan, who signed which basis, and its state in the page's words."""

    id: int
    applicant: str
    named: tuple[str, ...]
    carried: Tags
    basis: Tags
    signed: dict[str, Tags] = field(default_factory=dict)
    state: str = "waiting for approval"
    name: str = ""
    planned_running: frozenset[str] = frozenset()
    """The jobs it overwrites that production scheduled when it was planned."""
    rolled_back: bool = False
    restored: bool = False
    """Production restored to its release since it was rolled back."""

    @property
    def waiting(self) -> bool:
        """Whether it waits for its release (approved, deployed, revoked, planned again)."""
        return self.state == "waiting for approval"


@dataclass(frozen=True)
class Entry:
    """A ledger entry: what it was, its package (a release's, or the one a rollback or
    restore is of), and what production held of the jobs before and after it."""

    action: str
    package: int
    before: Tags
    after: Tags
    target: int | None = None
    """What a rollback undid or a restore brought back: that entry's index in the ledger."""
    running: tuple[frozenset[str], frozenset[str]] = (frozenset(), frozenset())
    """The jobs production scheduled before and after it."""
    started: frozenset[str] = frozenset()
    """The jobs a release added and started."""


@dataclass
class ReleaseModel:
    """The workspace's rule of approvals, production's jobs, the pending items, the packages
    and the ledger."""

    required: int
    prod: Tags
    pending: Tags
    """The jobs whose pending item no package holds, and the tag it waits with."""
    packages: list[Package] = field(default_factory=list)
    ledger: list[Entry] = field(default_factory=list)
    running: set[str] = field(default_factory=set)
    """The jobs production schedules (started by a release, or by hand)."""

    # -- who may -----------------------------------------------------------------------------

    def may_deploy(self, who: str, package: Package) -> bool:
        """A workspace admin, or an approver named on the package holding deployer, operator
        or admin; never its applicant (deploy and Plan again)."""
        role = PEOPLE[who]
        if who == package.applicant:
            return False
        return role is Role.ADMIN or (who in package.named and role in UNDOERS)

    def may_sign(self, who: str, package: Package) -> bool:
        """Whether the Approvals page offers *Approve with my key* to ``who``."""
        return (
            package.waiting and who in SIGNERS and who != package.applicant and who in package.named
        )

    def counted(self, package: Package) -> int:
        """Approvals that count: by a distinct approver named on it, not its applicant, over
        the plan as it is now (a basis that moved moves the plan hash)."""
        return sum(
            1
            for who, basis in package.signed.items()
            if who in package.named and who != package.applicant and basis == package.basis
        )

    def drifted(self, package: Package) -> list[str]:
        """The jobs it writes that production changed since its plan, or started or stopped
        by hand (one it overwrites)."""
        return sorted(
            n
            for n in package.carried
            if self.prod.get(n, -1) != package.basis.get(n)
            or (n in self.prod and (n in self.running) != (n in package.planned_running))
        )

    def planned(self, package: Package) -> None:
        """Its plan made (or made again) against production as it is now."""
        package.basis = {n: self.prod.get(n, -1) for n in package.carried}
        package.planned_running = frozenset(n for n in package.carried if n in self.running)

    def hand_scheduled(self) -> list[str]:
        """The jobs that refuse the rollback of the newest release (at once, and again as its
        task runs): one it overwrote that runs otherwise than it left it, or one it added
        that runs though it did not start it (one it started, stopped since, goes all the
        same)."""
        last = self.ledger[-1]
        left = last.running[1]
        return sorted(
            n
            for n in last.after
            if (
                (n in self.running) != (n in left)
                if n in last.before
                else n in self.running and n not in last.started
            )
        )

    def toggled(self, name: str) -> None:
        """A production job started or stopped by hand."""
        self.running ^= {name}

    def newest_release(self, package: Package) -> bool:
        """Whether its release is the ledger's newest entry (*Roll back this release*)."""
        return bool(self.ledger) and self.ledger[-1] == self.release_of(package)

    def release_of(self, package: Package) -> Entry | None:
        """Its release's ledger entry."""
        return next(
            (e for e in self.ledger if e.action == "deploy" and e.package == package.id), None
        )

    # -- what a post does ----------------------------------------------------------------------

    def deploy_refusal(self, who: str, package: Package) -> int | None:
        """The status a deploy is refused with (``None``: it is taken)."""
        if not self.may_deploy(who, package):
            return FORBIDDEN
        if not package.waiting or self.counted(package) < self.required:
            return REFUSED
        return REFUSED if self.drifted(package) else None

    def released(self, package: Package, start: bool) -> None:
        before, running = dict(self.prod), frozenset(self.running)
        self.prod.update(package.carried)
        package.state = "released"
        started = frozenset(n for n in package.carried if n not in before) if start else None
        self.running |= started or set()
        moved = (running, frozenset(self.running))
        after = dict(self.prod)
        entry = Entry("deploy", package.id, before, after, None, moved, started or frozenset())
        self.ledger.append(entry)

    def revoked(self, package: Package) -> None:
        """Its items pending again, unless the job has a newer pending item or production
        holds the item's version or a newer one (tags grow as versions do)."""
        package.state = "cancelled"
        for name, tag in package.carried.items():
            if name not in self.pending and self.prod.get(name, -1) < tag:
                self.pending[name] = tag

    def rollback_refusal(self, who: str, package: Package) -> int | None:
        if PEOPLE[who] not in UNDOERS:
            return FORBIDDEN
        if not self.newest_release(package) or self.hand_scheduled():
            return REFUSED
        return None

    def rolled_back(self, package: Package) -> None:
        last = self.ledger[-1]
        self.prod = dict(last.before)
        package.rolled_back = True
        undone = len(self.ledger) - 1
        self.running = {n for n in last.running[0] if n in self.prod}
        self.ledger.append(Entry("rollback", package.id, last.after, dict(self.prod), undone))

    def restore_refusal(self, who: str, package: Package) -> int | None:
        if PEOPLE[who] not in UNDOERS:
            return FORBIDDEN
        return None if self.release_of(package) is not None else REFUSED

    def restored(self, package: Package) -> None:
        entry = self.release_of(package)
        assert entry is not None
        before, self.prod = self.prod, dict(entry.after)
        self.running = {n for n in self.running if n in self.prod}  # brought back: stopped
        package.restored = package.rolled_back
        back = self.ledger.index(entry)
        self.ledger.append(Entry("restore", package.id, before, dict(self.prod), back))

    def closing_refusal(self, who: str, package: Package, act: str) -> int | None:
        """A revoke's (``act`` "revoke") or a Plan again's refusal."""
        allowed = PEOPLE[who] in CANCELLERS if act == "revoke" else self.may_deploy(who, package)
        if not allowed:
            return FORBIDDEN
        return None if package.waiting else REFUSED

    def approve_refusal(self, who: str, package: Package) -> int | None:
        """An approval's refusal: a package closed, its applicant, someone it does not name."""
        return None if self.may_sign(who, package) else REFUSED

    def package_refusal(self, who: str, approvers: tuple[str, ...], items: int) -> int | None:
        """Packaging the pending items: admins and developers, at least one item, approvers
        holding admin or deployer (never oneself), as many as the rule requires."""
        if PEOPLE[who] not in PACKAGERS:
            return FORBIDDEN
        wrong = [a for a in approvers if a == who or PEOPLE[a] not in APPROVER_ROLES]
        if not items or not approvers or wrong or len(approvers) < self.required:
            return REFUSED
        return None

    # -- what the pages offer ------------------------------------------------------------------

    def offered(self, who: str, package: Package) -> dict[str, bool]:
        """The actions the package's page offers ``who`` (docs/console.md, *Packages*)."""
        role = PEOPLE[who]
        undo = package.state == "released" and role in UNDOERS
        rollback = undo and self.newest_release(package)
        return {
            "deploy": package.waiting and self.may_deploy(who, package),
            "replan": package.waiting and self.may_deploy(who, package),
            "revoke": package.waiting and role in CANCELLERS,
            "rollback": rollback,
            "restore": undo and not rollback,
        }
