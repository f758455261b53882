"""What the documents promise of routes as objects and of the approvals of a route's plan
(docs/api.md: "Routes", "Saved on a condition", "Approvals signed into the plan"; docs/cli.md:
``routes create`` … ``routes approve``), as a model the generated stories of
``tests/unit/services/routes/test_generated_routes.py`` are checked against.

A project holds routes by name, each a list of the versions saved (numbered from 1, every one
kept; a removal takes them all). Every member reads them; only a project admin writes them. A
route document is refused with every problem at once (``DLF.3051``) when it has an unknown
key, a bad value, a source equal to its target (however the workspace is spelled: by name or
by id), an approval rule asking more approvals than it names people or naming people with no
role in its target; an end naming no workspace of the project is ``DLF.0819``, a stored profile
its target does not hold ``DLF.9006``. A route is answered in its canonical form (defaults
written out, ``approvals`` only when some are required). Each change writes one audit entry in
the workspace it was made from and one in each end's.

A route's plan needs ``required`` signed approvals of its named approvers before ``apply``: its
maker never approves it, an approval of an earlier plan (the target moved since) or by a signer
with no role in the target now does not count.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

ADMIN, DEVELOPER, OPERATOR, VIEWER = "admin", "developer", "operator", "viewer"
ROLES = (ADMIN, DEVELOPER, OPERATOR, VIEWER)
BOSS, PADMIN, FAR = "boss", "padmin", "far"
"""The bootstrap project admin, a second project admin, and a developer of the third
workspace alone."""
GHOST = "ghost"
"""A user name the project does not have."""
DENIED = "DLF.6888"
INVALID = "DLF.3051"
NO_WORKSPACE = "DLF.0819"
NO_PROFILE = "DLF.9006"
NOT_FOUND = "DLF.9040"
MOVED = "DLF.9018"
REFUSED = "DLF.9043"
MISSING = "DLF.9044"
STALE = "DLF.9015"
CLASH = "DLF.9017"
ROUTE_KEYS = frozenset(
    {
        "name",
        "description",
        "source",
        "target",
        "selection",
        "profile",
        "sameNamePolicy",
        "propagateDeletes",
        "onDrift",
        "scheduling",
        "mode",
        "requireSignature",
        "approvals",
    }
)
CHOICES = {
    "sameNamePolicy": ("AUTO", ("AUTO", "SKIP", "OVERWRITE")),
    "onDrift": ("FAIL", ("FAIL", "KEEP_TARGET", "TAKE_PACKAGE")),
    "scheduling": ("REFUSE", ("REFUSE", "PAUSE_AND_RESTORE")),
    "mode": ("ATOMIC", ("ATOMIC", "PER_OBJECT")),
}
"""Each choice of a route: its default and its values."""
FLAGS = ("propagateDeletes", "requireSignature")
PROFILE_KEYS = frozenset({"description", "renames", "params", "jobParams", "executeUser"})
"""The inline profile keys the stories send (others they send are unknown)."""
Line = tuple[str, str, str | None, str | None]
"""An audit entry: (actor, action, object kind, object name)."""


@dataclass(frozen=True)
class Places:
    """The story's workspaces: each one's name and id, and who holds a role in each."""

    names: dict[str, str]
    """place → workspace name."""
    ids: dict[str, str]
    """place → workspace id."""
    members: dict[str, frozenset[str]]
    """place → the user names holding a role there (project admins: every workspace's)."""
    profiles: dict[str, frozenset[str]]
    """place → the profiles it holds."""

    def place_of(self, spelled: object) -> str | None:
        """The place a workspace name or id names (None: none of the project's)."""
        for place in self.names:
            if spelled in (self.names[place], self.ids[place]):
                return place
        return None


def _end_faults(end: object, what: str) -> list[str]:
    if not isinstance(end, Mapping):
        return [f"{what} not a map"]
    if set(end) - {"workspace", "carried", "workspaceId"}:
        return [f"{what} unknown key"]
    if end.get("carried"):
        return [f"{what} carried with a workspace"] if end.get("workspace") is not None else []
    faults = [] if isinstance(end.get("workspace"), str) and end["workspace"] else [f"{what}"]
    if end.get("workspaceId") is not None:
        faults.append(f"{what}.workspaceId not carried")
    return faults


def _selection_faults(selection: object) -> list[str]:
    if selection is None:
        return []
    if not isinstance(selection, Mapping) or set(selection) - {"kind", "values", "withUpstream"}:
        return ["selection"]
    kind, values = selection.get("kind", "ALL"), selection.get("values", [])
    if kind not in ("ALL", "FOLDERS", "TAGS", "NAMES"):
        return ["selection.kind"]
    if (kind == "ALL") == bool(values):
        return ["selection.values"]
    return []


def _approval_faults(rule: object) -> list[str]:
    if rule is None:
        return []
    if not isinstance(rule, Mapping) or set(rule) - {"required", "approvers"}:
        return ["approvals"]
    required, approvers = rule.get("required"), rule.get("approvers", [])
    if not isinstance(required, int) or isinstance(required, bool) or not 0 <= required <= 20:
        return ["approvals.required"]
    if not isinstance(approvers, list) or not all(isinstance(a, str) and a for a in approvers):
        return ["approvals.approvers"]
    if required and len(set(approvers)) < required:
        return ["approvals: too few approvers"]
    return []


def document_faults(name: str, document: Mapping[str, Any], places: Places) -> list[str]:
    """Why a route document is refused as invalid (empty: it is not), as far as the stories
    draw faults."""
    faults = [f"unknown key {key}" for key in document if key not in ROUTE_KEYS]
    if document.get("name", name) != name:
        faults.append("name")
    if not isinstance(document.get("description", ""), str):
        faults.append("description")
    source, target = document.get("source"), document.get("target")
    faults += _end_faults(source, "source") + _end_faults(target, "target")
    faults += _ends_faults(source, target, places)
    faults += _selection_faults(document.get("selection"))
    profile = document.get("profile")
    if profile == "" or (isinstance(profile, Mapping) and set(profile) - PROFILE_KEYS):
        faults.append("profile")
    for key, (_, values) in CHOICES.items():
        if key in document and document[key] not in values:
            faults.append(key)
    faults += [key for key in FLAGS if not isinstance(document.get(key, False), bool)]
    return faults + _approval_faults(document.get("approvals"))


def _ends_faults(source: object, target: object, places: Places) -> list[str]:
    if not isinstance(source, Mapping) or not isinstance(target, Mapping):
        return []
    if source.get("carried") and target.get("carried"):
        return ["both ends carried"]
    if target.get("carried") and source.get("workspaceId"):
        return ["source.workspaceId with a carried target"]
    here = source.get("workspace"), target.get("workspace")
    if source.get("carried") or target.get("carried") or not all(here):
        return []
    same = here[0] == here[1] or (
        places.place_of(here[0]) is not None
        and places.place_of(here[0]) == places.place_of(here[1])
    )
    return ["source is target"] if same else []


def canonical(name: str, document: Mapping[str, Any]) -> dict[str, Any]:
    """The canonical form a valid document is kept and answered in."""
    selection = document.get("selection") or {}
    out: dict[str, Any] = {
        "name": name,
        "description": document.get("description", ""),
        "source": _end(document["source"]),
        "target": _end(document["target"]),
        "selection": {
            "kind": selection.get("kind", "ALL"),
            "values": list(dict.fromkeys(selection.get("values", []))),
            "withUpstream": selection.get("withUpstream", True),
        },
        "profile": document.get("profile"),
    }
    for key, (default, _) in CHOICES.items():
        out[key] = document.get(key, default)
        if key == "sameNamePolicy":
            out["propagateDeletes"] = document.get("propagateDeletes", False)
    out["requireSignature"] = document.get("requireSignature", False)
    rule = document.get("approvals") or {}
    if rule.get("required"):
        approvers = list(dict.fromkeys(rule["approvers"]))
        out["approvals"] = {"required": rule["required"], "approvers": approvers}
    return out


def _end(end: Mapping[str, Any]) -> dict[str, Any]:
    if end.get("carried"):
        return {
            "carried": True,
            **({"workspaceId": end["workspaceId"]} if end.get("workspaceId") else {}),
        }
    return {"workspace": end["workspace"]}


def local_ends(document: Mapping[str, Any], places: Places) -> tuple[str | None, str | None]:
    """The places of a route's source and target on this server (None: carried, or none)."""
    return (
        places.place_of(document["source"].get("workspace")),
        places.place_of(document["target"].get("workspace")),
    )


@dataclass
class Plan:
    """A plan of the approvals route: its id, its maker and the target's state it read."""

    plan_id: str
    maker: str
    basis: tuple[Any, ...]
    """The target's state it read and the settings it was made with: what its hash binds."""


@dataclass
class Model:
    """The routes of the project, who holds a role where, and what the approvals route's
    plans hold."""

    places: Places
    routes: dict[str, list[tuple[dict[str, Any], str]]] = field(default_factory=dict)
    """Each route's versions as kept (canonical), with who saved each."""
    audit: list[Line] | None = None
    """The entries the last step wrote, in any order (None: not told here)."""
    members: dict[str, set[str]] = field(default_factory=dict)
    """Who holds a role in each place now (project admins aside)."""
    moved: int = 0
    """How many times the approvals route's target moved (a plan reads its state)."""
    plans: list[Plan] = field(default_factory=list)
    approvals: set[tuple[str, tuple[Any, ...]]] = field(default_factory=set)
    """The approvals kept: each signer and the target's state (``basis``) of a plan they
    signed. A signer's new approval replaces only theirs of the same plan hash (docs/api.md,
    "Approvals signed into the plan": "a new one of the same plan replaces theirs"): one of
    another plan stays, and counts again for a plan made later with that hash."""
    applied: bool = False
    audit_at: set[str] = field(default_factory=set)
    """The places whose logs the last step's entries went into, one each."""

    def __post_init__(self) -> None:
        self.members = {place: set(held) for place, held in self.places.members.items()}

    def newest(self, name: str) -> int:
        """The newest version of a route (0: none)."""
        return len(self.routes.get(name, ()))

    def may_read(self, actor: str, where: str) -> bool:
        """Whether ``actor`` may act in place ``where`` at all (a project admin anywhere)."""
        return actor in self.members[where]

    def put(
        self, caller: str, actor: str, where: str, name: str, document: object, expects: int | None
    ) -> str | int:
        """Save a version (``expects``: the condition's version, -1 for ``If-Match: *``);
        the refusal's code, or the version saved."""
        if caller not in (BOSS, PADMIN):
            return DENIED
        if not isinstance(document, Mapping) or document_faults(name, document, self.places):
            return INVALID
        refused = self._refused_in_place(document)
        if refused:
            return refused
        newest = self.newest(name)
        if expects is not None and not (newest > 0 if expects < 0 else newest == expects):
            return MOVED
        self.routes.setdefault(name, []).append((canonical(name, document), actor))
        self.audit = self._entries(actor, where, "route.put", name, document)
        return newest + 1

    def _refused_in_place(self, document: Mapping[str, Any]) -> str | None:
        """What the project refuses of a valid document: an end naming no workspace, approvers
        with no role in the target, a profile the target does not hold."""
        source, target = local_ends(document, self.places)
        if target is None and not document["target"].get("carried"):
            return NO_WORKSPACE
        if source is None and not document["source"].get("carried"):
            return NO_WORKSPACE
        rule = document.get("approvals") or {}
        named = rule.get("approvers", []) if target is not None and rule.get("required") else []
        if any(a not in self.members[str(target)] for a in named):
            return INVALID
        profile = document.get("profile")
        if target and isinstance(profile, str) and profile not in self.places.profiles[target]:
            return NO_PROFILE
        return None

    def _entries(
        self, actor: str, where: str, action: str, name: str, document: Mapping[str, Any]
    ) -> list[Line]:
        self.audit_at = {where, *(p for p in local_ends(document, self.places) if p)}
        return [(actor, action, "route", name)] * len(self.audit_at)

    def remove(
        self, caller: str, actor: str, where: str, name: str, expects: int | None
    ) -> str | None:
        """Remove a route, every version; the refusal's code, or None."""
        if caller not in (BOSS, PADMIN):
            return DENIED
        newest = self.newest(name)
        if expects is not None and newest and newest != expects:
            return MOVED
        if not newest:
            return NOT_FOUND
        document = self.routes.pop(name)[-1][0]
        self.audit = self._entries(actor, where, "route.delete", name, document)
        return None

    def add_renames(
        self, caller: str, actor: str, where: str, name: str, renames: dict[str, dict[str, str]]
    ) -> str | int | None:
        """Add ``renames`` to the profile a route carries inline (one it begins, when it has
        none) as a new version; the refusal's code, the version saved, or None: it held them
        all, nothing saved."""
        if caller not in (BOSS, PADMIN):
            return DENIED
        if not self.newest(name):
            return NOT_FOUND
        document = self.routes[name][-1][0]
        profile = document["profile"]
        if isinstance(profile, str):
            return INVALID
        held = {k: dict(v) for k, v in ((profile or {}).get("renames") or {}).items()}
        added = 0
        for kind, names in renames.items():
            for old, new in names.items():
                if held.get(kind, {}).get(old, new) != new:
                    return CLASH
                added += old not in held.get(kind, {})
                held.setdefault(kind, {})[old] = new
        if not added:
            return None
        changed = {**document, "profile": {**(profile or {}), "renames": held}}
        return self.put(caller, actor, where, name, changed, self.newest(name))

    def shown(self, name: str, version: int | None) -> tuple[dict[str, Any], str] | None:
        """The document a read of ``name`` answers and who saved it (None: DLF.9040)."""
        versions = self.routes.get(name, [])
        number = len(versions) if version is None else version
        return versions[number - 1] if 1 <= number <= len(versions) else None

    # -- the approvals route ---------------------------------------------------------------

    def rule(self, name: str) -> tuple[int, tuple[str, ...]]:
        """The newest approval rule of route ``name``: how many, and whose."""
        rule = self.routes[name][-1][0].get("approvals") or {}
        return rule.get("required", 0), tuple(rule.get("approvers", ()))

    def basis(self, overrides: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """What a plan with ``overrides`` binds (None: they are refused, DLF.3051): the
        target's state and the settings the run takes, so an override saying what the route
        holds makes the same plan as none."""
        known = {"onDrift": CHOICES["onDrift"][1], "mode": CHOICES["mode"][1]}
        if any(key not in known or value not in known[key] for key, value in overrides.items()):
            return None
        settings = {"onDrift": "FAIL", "mode": "ATOMIC", **overrides}
        return (self.moved, *sorted(settings.items()))

    def approve(self, signer: str, plan: Plan, name: str) -> str | None:
        """Keep ``signer``'s approval of ``plan``; the refusal's code, or None."""
        if signer not in self.members[TARGET]:
            return DENIED
        _, approvers = self.rule(name)
        if signer == plan.maker or (approvers and signer not in approvers):
            return REFUSED
        self.approvals.add((signer, plan.basis))
        self.audit, self.audit_at = [(signer, "route.approve", "route", name)], {TARGET}
        return None

    def counted(self, plan: Plan, name: str) -> list[str]:
        """Who approves ``plan`` now, as its route's newest rule says."""
        _, approvers = self.rule(name)
        return sorted(
            signer
            for signer, basis in self.approvals
            if basis == plan.basis
            and signer != plan.maker
            and (not approvers or signer in approvers)
            and signer in self.members[TARGET]
        )

    def apply(self, plan: Plan, name: str) -> str | None:
        """Import ``plan``; the refusal's code, or None."""
        required, _ = self.rule(name)
        if len(self.counted(plan, name)) < required:
            return MISSING
        self.applied = True
        return None


TARGET = "w1"
"""The place the approvals route's plans go into."""
