"""What the console's route pages promise (docs/console.md *Routes*, docs/api.md *Routes*), for
``tests/console/test_generated_routes.py``.

A route form saved by a project admin does what ``PUT …/routes/{name}`` does with the same
settings (the story makes that twin through the services and compares the saved routes), and two
refusals are the form's own, before the service is asked: a new route of a name another admin
took meanwhile, and approvers who are no members of the target workspace (where the plans are
approved). A refused post stores nothing. Only project admins change routes; *Promote now* is
for admins and developers of both workspaces, offered only to them; everyone in the workspace
reads the route's page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from support.console_route_stories import Draft

FORBIDDEN = 403
NOT_FOUND = 404
WRITERS_OF = {"dev": ("prod",), "dsrc": (), "viewer": ()}
"""The targets each user of another role writes in besides the source (a developer there)."""
MEMBERS = {"prod": {"dev", "viewer"}, "other": set(), "self": {"dev", "viewer", "dsrc"}}
"""Who of the story's users has a role in each target (besides the project admins)."""


def document(draft: Draft, ends: dict[str, str], users: dict[str, str]) -> dict[str, Any]:
    """The route document the form's draft stands for, as docs/api.md spells it (``ends``:
    ``source`` and each target by the story's word → workspace name; ``users``: role → name)."""
    kind, typed = draft.selection
    out: dict[str, Any] = {
        "description": "nightly to production",
        "source": {"workspace": ends["source"]},
        "target": {"workspace": ends[draft.target]},
        "selection": {
            "kind": kind,
            "values": [] if kind == "ALL" else [v for v in typed.splitlines() if v],
            "withUpstream": draft.upstream,
        },
        "sameNamePolicy": draft.same_name,
        "propagateDeletes": draft.propagate,
        "onDrift": draft.on_drift,
        "scheduling": draft.scheduling,
        "mode": draft.mode,
        "requireSignature": draft.signed,
    }
    if draft.profile:
        out["profile"] = draft.profile
    count: int | str = int(draft.required) if draft.required.isdigit() else draft.required
    if count != 0 or draft.approvers:
        out["approvals"] = {"required": count, "approvers": [users[a] for a in draft.approvers]}
    return out


def forms_own_refusal(draft: Draft, exists: bool) -> bool:
    """Whether the form refuses the draft itself: a new route over one of its name, or approvers
    with no role in the target."""
    if draft.read == "new" and exists and draft.name:
        return True
    return any(a not in MEMBERS[draft.target] for a in draft.approvers)


def may_promote(who: str, target: str) -> bool:
    """Whether ``who`` writes in both ends of a route into ``target``."""
    return who == "admin" or target in WRITERS_OF[who]


def settings(saved: dict[str, Any]) -> dict[str, Any]:
    """A saved route's settings: its canonical document without what names the save."""
    return {k: v for k, v in saved.items() if k not in {"name", "updateTime", "updateUser"}}


@dataclass
class Routes:
    """The story's routes as the model holds them: by the story's name, the target's word,
    whether it requires approvals, and whether it selects a job; and those whose newest
    promotion was imported."""

    target: dict[str, str] = field(default_factory=dict)
    approvals: dict[str, bool] = field(default_factory=dict)
    selects: dict[str, bool] = field(default_factory=dict)
    imported: dict[str, int] = field(default_factory=dict)
    """How many promotions of the route were imported (its history's length)."""

    def saved(self, draft: Draft) -> None:
        self.target[draft.name] = draft.target
        self.approvals[draft.name] = draft.required not in ("0", "")
        self.selects[draft.name] = draft.selection[0] == "ALL" or draft.selection[1] != "/reports"

    def removed(self, name: str) -> None:
        for table in (self.target, self.approvals, self.selects, self.imported):
            table.pop(name, None)
