"""What a plan leaves to do, in words: whether it writes anything, whether the target already
holds the package, and the work it leaves pending (writes, and the differences it skips or
leaves out), for the commands that plan and import (``plan``, ``import``, ``apply``,
``promote``)."""

from __future__ import annotations

from typing import Any

from jobferry.domain.enums import PlanAction


def has_changes(plan: dict[str, Any]) -> bool:
    """Whether applying the plan would write (or delete) anything."""
    summary = plan.get("summary") or {}
    writes = (PlanAction.CREATE, PlanAction.OVERWRITE, PlanAction.RENAME, PlanAction.DELETE)
    return any(summary.get(action, 0) for action in writes)


def already_held(plan: dict[str, Any]) -> bool:
    """Whether the target already holds everything the plan carries, as the package has it:
    objects, all ``UNCHANGED`` (nothing written, nothing skipped, no deletion left out)."""
    summary = plan.get("summary") or {}
    held = int(summary.get(PlanAction.UNCHANGED) or 0)
    others = sum(int(summary.get(a) or 0) for a in PlanAction if a is not PlanAction.UNCHANGED)
    left_out = plan.get("deletionsNotAppliedTotal") or plan.get("deletionsNotApplied")
    return held > 0 and not others and not left_out


def left_out(plan: dict[str, Any]) -> tuple[int, int]:
    """What the plan leaves undone although it differs: (objects skipped, deletions not
    applied)."""
    skipped = int((plan.get("summary") or {}).get(PlanAction.SKIP) or 0)
    gone = int(plan.get("deletionsNotAppliedTotal") or len(plan.get("deletionsNotApplied") or []))
    return skipped, gone


def pending(plan: dict[str, Any]) -> str | None:
    """The work a plan leaves pending, in words (``None``: the target already matches the
    package): what it writes, and the differences it skips or leaves out, which are pending
    too (a CI gate must not read "in sync" while the objects differ)."""
    summary = plan.get("summary") or {}
    writes = (PlanAction.CREATE, PlanAction.OVERWRITE, PlanAction.RENAME)
    written = sum(int(summary.get(action) or 0) for action in writes)
    deleted = int(summary.get(PlanAction.DELETE) or 0)
    skipped, gone = left_out(plan)
    said = [
        text
        for n, text in (
            (written, f"{written} object(s) to write"),
            (deleted, f"{deleted} to delete"),
            (skipped, f"{skipped} differing object(s) skipped"),
            (gone, f"{gone} deletion(s) not applied"),
        )
        if n
    ]
    return ", ".join(said) if said else None


def nothing_done(plan: dict[str, Any]) -> str:
    """What an import whose plan writes nothing says: not a bare "nothing to import" when it
    skips changed objects or leaves deletions out."""
    skipped, gone = left_out(plan)
    if not skipped and not gone:
        return "Nothing to import."
    pending = [
        text
        for n, text in (
            (skipped, f"{skipped} changed object(s) skipped"),
            (gone, f"{gone} deletion(s) not applied"),
        )
        if n
    ]
    return f"Nothing imported: {' and '.join(pending)} (see above for why and the options)."
