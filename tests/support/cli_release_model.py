"""What the command line's ``jobferry releases …`` commands promise (docs/cli.md, the
``releases`` rows and "Exit codes"; docs/api.md, *Releases (enterprise mode)*), for the
generated stories of ``tests/cli/test_generated_release_commands.py``: each command's exit
code and the DataArts codes a refusal may carry.

Who may do what, what a package's state lets it do, which approvals count and what production
holds after each release and rollback are the rules of releases themselves, the same for the
console and the command line: ``support/console_release_model.py`` says them, and this model
translates its answers into the command line's (a refusal of the server exits 1, except a
deploy refused because production changed since the plan: exit 3; a change of production not
confirmed with ``--yes`` and no terminal to ask on: exit 2).
"""

from __future__ import annotations

from dataclasses import dataclass

from jobferry.domain.enums import Role
from support.console_release_model import FORBIDDEN, PEOPLE, UNDOERS, Package, ReleaseModel

OK, FAILED, USAGE, PLAN_PROBLEMS = 0, 1, 2, 3
"""docs/cli.md, "Exit codes"."""
DENIED = "DLF.6888"
"""A role that may not (docs/api.md: 403)."""
CLOSED = "DLF.20990"
"""A package released, releasing or cancelled."""
MOVED = "DLF.9042"
"""Production changed since the package was planned."""
UNSIGNED = "DLF.9043"
"""An approval refused: the applicant, someone not named, a plan moved."""
TOO_FEW = "DLF.9044"
"""Fewer signed approvals count than the workspace's rule requires."""
UNKNOWN = "DLF.0810"
"""A release package that does not exist."""
PROBLEMS = "DLF.3051"
"""A request with problems, each listed (a package's items or approvers)."""
ASKED = "usage"
"""Refused before any call: no terminal to ask on, or a usage error (exit 2)."""
ANY = "any"
"""A refusal whose DataArts code the docs leave open."""


@dataclass(frozen=True)
class Outcome:
    """What a command should end with: its exit code and, for a refusal, the codes it may
    name (empty: it worked; a refusal whose code the docs leave open names any of them)."""

    exit_code: int
    codes: frozenset[str] = frozenset()

    @property
    def refused(self) -> bool:
        return bool(self.codes)


DONE = Outcome(OK)
NOTHING_TO_DO = Outcome(OK)


def refused(*codes: str, exit_code: int = FAILED) -> Outcome:
    return Outcome(exit_code, frozenset(codes or (ANY,)))


@dataclass
class CliReleaseModel:
    """The rules of releases (``ReleaseModel``) as the command line answers them."""

    rules: ReleaseModel
    first: Package
    """The jobs' release made before the story (no step names it but ``--last``)."""

    def create(self, who: str, approvers: tuple[str, ...]) -> Outcome:
        """``releases create NAME --all --approver …``: nothing pending is nothing to do (exit
        0) for whoever may package; no approver named is a usage error."""
        if not approvers:
            return refused(ASKED, exit_code=USAGE)
        if not self.rules.pending:
            return NOTHING_TO_DO
        status = self.rules.package_refusal(who, approvers, len(self.rules.pending))
        if status == FORBIDDEN:
            return refused(DENIED)
        return DONE if status is None else refused(PROBLEMS)

    def deploy(self, who: str, package: Package, yes: bool) -> Outcome:
        """``releases deploy ID [--yes]``: asked first (no terminal: exit 2); a package
        released that production still holds has nothing left to do (exit 0, told to whoever
        may deploy it); moved production exits 3, before approvals are counted (they count over
        the plan as it is now: docs/api.md, a moved one is planned again first)."""
        if not yes:
            return refused(ASKED, exit_code=USAGE)
        status = self.rules.deploy_refusal(who, package)
        if status == FORBIDDEN:
            return refused(DENIED)
        if package.state == "cancelled":
            return refused(CLOSED)
        if package.state == "released":
            holds = not package.rolled_back or package.restored
            return NOTHING_TO_DO if holds else refused(CLOSED)
        if self.rules.drifted(package):  # approvals count over the plan as it is now
            return refused(MOVED, exit_code=PLAN_PROBLEMS)
        if self.rules.counted(package) < self.rules.required:
            return refused(TOO_FEW)
        assert status is None, status
        return DONE

    def cancel(self, who: str, package: Package) -> Outcome:
        """``releases cancel ID``: a package not released; admins, developers, deployers,
        operators."""
        status = self.rules.closing_refusal(who, package, "revoke")
        if status == FORBIDDEN:
            return refused(DENIED)
        return DONE if status is None else refused(CLOSED)

    def plan(self, who: str, package: Package) -> Outcome:
        """``releases plan ID``: a package waiting, planned again by who may deploy it."""
        status = self.rules.closing_refusal(who, package, "replan")
        if status == FORBIDDEN:
            return refused(DENIED)
        return DONE if status is None else refused(CLOSED)

    def approve(self, who: str, package: Package) -> Outcome:
        """``releases approve ID --key FILE``: an approver it names, not its applicant, while
        it waits (a package closed is refused as any other call on it is)."""
        if not package.waiting:
            return refused(CLOSED)
        return DONE if self.rules.approve_refusal(who, package) is None else refused(UNSIGNED)

    def rollback(self, who: str, package: Package | None) -> Outcome:
        """``releases rollback (ID | --last) --yes``: the newest release of production, by a
        deployer, an operator or an admin; ``--last`` (``package`` None) is the package
        released last, refused when the ledger's newest entry is no release."""
        if package is None:
            last = self.rules.ledger[-1]
            if PEOPLE[who] not in UNDOERS:
                return refused(DENIED)
            if last.action != "deploy":
                return refused()
            package = self.by_id(last.package)
        status = self.rules.rollback_refusal(who, package)
        if status == FORBIDDEN:
            return refused(DENIED)
        return DONE if status is None else refused()

    def rule(self, who: str) -> Outcome:
        """``releases rule --require-approvals N``: the workspace's admins."""
        return DONE if PEOPLE[who] is Role.ADMIN else refused(DENIED)

    def by_id(self, package_id: int) -> Package:
        return next(p for p in (self.first, *self.rules.packages) if p.id == package_id)

    def unknown(self) -> Outcome:
        """A release package id no package has: refused pointing at ``releases list``."""
        return refused(UNKNOWN)
