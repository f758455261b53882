"""A plan's problem: one reason an object cannot be imported, with how to fix it, as the plan
lists it, the wire says it and a record keeps it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from jobferry.domain.enums import ObjectKind, PlanAction, ProblemReason
from jobferry.package.manifest import Requirement

Needs = tuple[str | None, tuple[str, ...]]
"""What the package's manifest says an environment object it requires is: its type (``None``
when it does not say) and the names of its secrets (a connection's), so that a fix registers
one as the source has it."""


@dataclass(frozen=True)
class Problem:
    """One reason an object cannot be imported, with how to fix it."""

    reason: ProblemReason
    kind: str  # an ObjectKind, or "package" for a problem of the whole package
    name: str
    detail: str
    fix: str
    # (kind, name) of what a missing_reference problem could not find (or of the connection a
    # missing_secret problem names), so a client can offer a mapping for it, or say the fix in
    # its own terms, without parsing the detail text.
    reference: tuple[str, str] | None = None
    used_by: tuple[tuple[str, str], ...] = ()
    """(kind, name) of the objects using a missing environment object: a plan says each
    missing one once (:mod:`.findings`), listing its first users."""
    used_by_total: int = 0
    """How many objects use it, when ``used_by`` lists only the first of them."""
    action: PlanAction | None = None
    """The action a problem is of, when its fix depends on it (``action`` on the wire): a
    deletion's (``DELETE``) is fixed by keeping the object, not by skipping a write; an older
    package's making again an object a newer one's import deleted (``CREATE``) by leaving it
    deleted."""
    rule: str | None = None
    """The policy rule a ``policy`` problem says is broken (a ``PolicyRule`` value; ``rule`` on
    the wire), or which of a push's rules a ``remote`` problem of the package breaks
    (``remotes/pushable.py``), so a client says the fix of that rule in its own terms without
    parsing the detail text."""
    needs: Needs | None = None
    """What the package says the missing environment object of a ``missing_reference``
    problem is, or the connection of a ``missing_secret`` one (``needs`` on the wire:
    ``type``, ``secrets``), when its manifest says it."""

    def as_json(self) -> dict[str, Any]:
        """The wire form."""
        out: dict[str, Any] = {
            "reason": self.reason,
            "kind": self.kind,
            "name": self.name,
            "detail": self.detail,
            "fix": self.fix,
        }
        if self.reference is not None:
            out["reference"] = {"kind": self.reference[0], "name": self.reference[1]}
        if self.used_by:
            out["usedBy"] = [{"kind": kind, "name": name} for kind, name in self.used_by]
            if self.used_by_total > len(self.used_by):
                out["usedByTotal"] = self.used_by_total
        if self.action is not None:
            out["action"] = str(self.action)
        if self.rule is not None:
            out["rule"] = self.rule
        if self.needs is not None:
            out["needs"] = needs_json(self.needs)
        return out

    def packed(self) -> tuple[Any, ...]:
        """The problem as plain values, for a record: six, then the action it is of, the
        policy rule it breaks and what the package says a missing object is, each only when
        it or a value after it is set."""
        ref = None if self.reference is None else (str(self.reference[0]), str(self.reference[1]))
        values = (str(self.reason), str(self.kind), str(self.name), self.detail, self.fix, ref)
        more: tuple[Any, ...] = (
            None if self.action is None else str(self.action),
            self.rule,
            self.needs,
        )
        while more and more[-1] is None:
            more = more[:-1]
        return (*values, *more)

    @classmethod
    def unpacked(cls, values: tuple[Any, ...] | list[Any]) -> Problem:
        """The problem a record holds (one packed before actions or rules were marked too, or
        when a deletion's was marked ``True``)."""
        more = values[6:]
        return cls._of_values(
            values,
            action=_action_of(more[0]) if more else None,
            rule=str(more[1]) if len(more) > 1 and more[1] is not None else None,
            needs=_needs_of(more[2]) if len(more) > 2 else None,
        )

    def stored(self) -> list[Any]:
        """The problem as a kept plan stores it (plain values in field order; what the package
        says a missing object is last, only when it says)."""
        ref = self.reference
        return [
            str(self.reason),
            str(self.kind),
            self.name,
            self.detail,
            self.fix,
            None if ref is None else [str(ref[0]), str(ref[1])],
            [[str(kind), name] for kind, name in self.used_by],
            self.used_by_total,
            None if self.action is None else str(self.action),
            self.rule,
            *([] if self.needs is None else [[self.needs[0], list(self.needs[1])]]),
        ]

    @classmethod
    def of_stored(cls, values: list[Any]) -> Problem:
        """A problem as :meth:`stored` kept it (eight values: kept before its action and rule
        were, which a plan read back then lost; eleven: with what a missing object is)."""
        used_by, used_by_total, *more = values[6:]
        action, rule, *needs = more if more else (None, None)
        return cls._of_values(
            values,
            used_by=tuple((k, n) for k, n in used_by),
            used_by_total=used_by_total,
            action=None if action is None else PlanAction(action),
            rule=rule,
            needs=(needs[0][0], tuple(needs[0][1])) if needs else None,
        )

    @classmethod
    def _of_values(cls, values: Sequence[Any], **more: Any) -> Problem:
        """The problem whose first six plain values (reason, kind, name, detail, fix and the
        reference as a pair, or ``None``) both :meth:`packed` and :meth:`stored` begin with,
        and ``more`` of its fields by name."""
        reason, kind, name, detail, fix, ref = values[:6]
        reference = None if ref is None else (str(ref[0]), str(ref[1]))
        return cls(ProblemReason(reason), kind, name, detail, fix, reference, **more)


def needs_json(needs: Needs) -> dict[str, Any]:
    """The wire form of what a missing object is: ``{"type"?, "secrets"}``."""
    type_, secrets = needs
    return {**({"type": type_} if type_ else {}), "secrets": list(secrets)}


def _needs_of(packed: Any) -> Needs | None:
    if not packed:
        return None
    type_, secrets = packed
    return (None if type_ is None else str(type_), tuple(str(s) for s in secrets))


def _action_of(marked: Any) -> PlanAction | None:
    """The action a packed problem is of: a name, ``True`` (a deletion's, as marked before
    actions were), or nothing."""
    if marked is True:
        return PlanAction.DELETE
    return PlanAction(marked) if marked else None


def required_needs(
    requirements: Iterable[Requirement], renames: Mapping[Any, str]
) -> dict[tuple[str, str], Needs]:
    """(kind, name in the target, after the import's renames) → what the manifest says each
    object it requires is, for those it says a type or secrets of."""
    return {
        (req.kind, renames.get((req.kind, req.name), req.name)): (req.type, tuple(req.secrets))
        for req in requirements
        if req.type or req.secrets
    }


def creation_fix(kind: str, name: str, workspace: str, development: str | None) -> str:
    """How an object a package references and ``workspace`` lacks comes to be: with the
    package, or made where the workspace's objects come from (a production side's:
    ``development``, its development workspace, through a release)."""
    fix = f"add {kind} '{name}' to the package (export with exportDepend) or create it"
    if development in (None, workspace):
        return fix
    if kind not in (ObjectKind.JOB, ObjectKind.SCRIPT):
        return f"{fix} in '{development}'"
    return (
        f"add {kind} '{name}' to the package (a release: package its pending item too; an "
        f"export: with exportDepend), or create it in '{development}' and release it first; one "
        f"submitted in '{development}' before its switch to enterprise mode has no pending item: "
        f"import it into '{development}' as released (targetStatus PRODUCTION)"
    )
