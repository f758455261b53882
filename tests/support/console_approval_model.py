"""What a route plan's Approvals page promises (docs/console.md, *Routes*, *Approvals*; docs/api.md,
*Approvals signed into the plan*: a route's approvals), for the generated stories of
``tests/console/test_generated_approval_pages.py``: who may approve the plan (one of the route's
approvers, never whoever planned it, with a key not revoked, over the plan as it is now), which
approvals count (over the plan as it is now, by an approver the route names now who still holds
a role in its target, with a key not revoked), and that its *Import* happens exactly when enough
count, pressed by an admin or a developer of the target.

A plan's meaning is a number (``generation``): it moves when the target changes and the plan
is made again; a plan made again on a target that did not move keeps it (and its approvals).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from jobferry.domain.enums import Role

APPROVERS = ("ada", "bo", "cy", "dev")
"""The target's members a route may name as its approvers (and who sign)."""
PEOPLE = ("admin", *APPROVERS)
"""Who signs in: the project admin and the target's members."""
FIRST_ROLES = {
    "ada": Role.DEVELOPER,
    "bo": Role.DEVELOPER,
    "cy": Role.VIEWER,
    "dev": Role.DEVELOPER,
}
"""Each member's role in the target when the story starts (``dev`` is a developer of the
source too, so may promote the route)."""
WRITERS = (Role.ADMIN, Role.DEVELOPER)
"""Who imports a plan and plans it again: admins and developers of the target."""
FORBIDDEN = 403
REFUSED = 400


@dataclass
class Approval:
    """An approval kept: the plan it signed and the key (the signer's n-th) it signed with."""

    generation: int
    key: int


@dataclass
class RouteApprovalModel:
    """The route's rule, who planned its waiting plan and what that plan is, each person's
    role in the target and keys, the approvals kept, and whether the plan was imported."""

    required: int
    approvers: tuple[str, ...]
    maker: str
    roles: dict[str, Role | None] = field(default_factory=lambda: dict(FIRST_ROLES))
    keys: dict[str, list[bool]] = field(default_factory=lambda: {p: [False] for p in PEOPLE})
    """Each person's keys, oldest first: revoked or not."""
    generation: int = 0
    kept: dict[tuple[str, int], Approval] = field(default_factory=dict)
    """(signer, plan generation) → their approval of it (a new one of the same plan replaces
    theirs)."""
    imported: bool = False

    # -- who holds what -----------------------------------------------------------------------

    def role(self, who: str) -> Role | None:
        """``who``'s role in the target (the project admin holds admin in each workspace)."""
        return Role.ADMIN if who == "admin" else self.roles[who]

    def active_key(self, who: str) -> int | None:
        """``who``'s newest key not revoked (``None``: none)."""
        live = [n for n, revoked in enumerate(self.keys[who]) if not revoked]
        return live[-1] if live else None

    def why_not(self, who: str, approval: Approval) -> str:
        """Why an approval counts no more ('' when it counts), as the page says it."""
        if approval.generation != self.generation:
            return "signed an earlier plan"
        if who == self.maker or not self.named(who):
            return "not one of its approvers"
        if self.role(who) is None:
            return "its signer holds no role in its workspace now"
        if self.keys[who][approval.key]:
            return "its key is revoked"
        return ""

    @property
    def counted(self) -> int:
        """How many distinct approvers' approvals count."""
        return len({who for (who, _), a in self.kept.items() if not self.why_not(who, a)})

    @property
    def missing(self) -> int:
        """How many more must count before its import."""
        return max(self.required - self.counted, 0)

    # -- what the page offers -----------------------------------------------------------------

    def named(self, who: str) -> bool:
        """``who`` is one of the route's approvers (anyone is, once its rule names nobody)."""
        return who in self.approvers or not self.approvers

    def sees(self, who: str) -> bool:
        """The page is ``who``'s to read: they hold a role in the target."""
        return self.role(who) is not None

    def offered(self, who: str) -> bool:
        """The page offers *Approve with my key*: a plan waiting, one of its approvers, not
        who planned it, holding a key not revoked."""
        return (
            not self.imported
            and who != self.maker
            and self.named(who)
            and self.active_key(who) is not None
        )

    def imports_here(self, who: str) -> bool:
        """An admin or developer of the target (who imports, and plans it again)."""
        return self.role(who) in WRITERS

    # -- what each post does ------------------------------------------------------------------

    def approve_refusal(self, who: str, key: int, generation: int) -> tuple[int, str] | None:
        """The refusal of ``who``'s approval signed with their ``key`` (-1: another person's)
        over the plan of ``generation`` (its status and what the page says), ``None`` when it
        is kept."""
        if not self.sees(who):
            return FORBIDDEN, ""
        if self.imported:
            return REFUSED, "was imported"
        if who == self.maker:
            return REFUSED, "nobody approves their own plan"
        if not self.named(who):
            return REFUSED, f"is not one of its approvers ({', '.join(self.approvers)})"
        if key < 0:
            return REFUSED, "is not one of your registered keys"
        if self.keys[who][key]:
            return REFUSED, "is revoked"
        if generation != self.generation:
            return REFUSED, "it was planned again"
        return None

    def approve(self, who: str, key: int, generation: int) -> tuple[int, str] | None:
        """``who`` posts the approval: its refusal, or ``None`` once kept."""
        refusal = self.approve_refusal(who, key, generation)
        if refusal is None:
            self.kept[(who, generation)] = Approval(generation, key)
        return refusal

    def import_refusal(self, who: str) -> tuple[int, str] | None:
        """The refusal of *Import* pressed by ``who`` (``None``: the plan is imported)."""
        if not self.imports_here(who):
            return FORBIDDEN, ""
        if self.imported:
            return REFUSED, "nothing was imported"
        if self.missing:
            return REFUSED, self.shortfall()
        return None

    def shortfall(self) -> str:
        """How the refused import says what is missing (its first words)."""
        needed = f"{self.required} approval{'s' if self.required != 1 else ''} of its plan"
        verb = "is" if self.required == 1 else "are"
        return f"{needed} {verb} required, {self.counted} count"

    def rule_refused(self, approvers: tuple[str, ...]) -> bool:
        """A route saved naming an approver with no role in its target is refused."""
        return any(self.role(a) is None for a in approvers)
