"""Routes: the remembered path of a promotion between two workspaces, with everything it needs.

A route names a source end and a target end, which jobs travel (the selection), the
environment profile the target applies, and the import's settings (``sameNamePolicy``,
``propagateDeletes``, ``onDrift``, ``scheduling``, ``mode``, whether a signature is required).
Either end may be on another server, reached only by packages carried between them: such an
end is ``carried`` and names no workspace of this server (a carried source may name the
workspace id its packages come from, so that ``promote --in`` refuses packages of another
source). At least one end is a workspace of this server.

The document is DataArts-style camelCase JSON (a jobferry extension), checked here with every
problem at once; :func:`parse_route` gives the typed value and :meth:`Route.document` its
canonical form (defaults written out, keys in one order), which is what is stored and
compared. What lives where: a profile holds what changes in the objects (renames, parameters,
owner, target-owned fields, the time-zone move); a route holds what the promotion does
(which objects, which profile, and the import's policies).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeVar

from jobferry.domain.approvals import ApprovalRule, rule_problems
from jobferry.domain.enums import DriftPolicy, ImportMode, SameNamePolicy, SchedulingPolicy
from jobferry.domain.importsettings import ImportSettings
from jobferry.domain.names import check_object_name
from jobferry.domain.shapes import BodyShape, Field, JsonType, choice, flag, nested_map, text

E = TypeVar("E", bound=StrEnum)


class RouteError(ValueError):
    """A route document that cannot be used; ``problems`` lists every reason."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class SelectionKind(StrEnum):
    """Which jobs a route promotes (wire values of ``selection.kind``)."""

    ALL = "ALL"
    FOLDERS = "FOLDERS"
    TAGS = "TAGS"
    NAMES = "NAMES"


class Carried(StrEnum):
    """Which way a promotion along a route with an end on another server was carried."""

    OUT = "out"
    """Cut on this server (the route's source) for a target on another server."""
    IN = "in"
    """Taken in on this server (the route's target) from a package cut on another server."""


END = BodyShape(
    "a route's end: {workspace} or {carried: true, workspaceId}",
    (
        text("workspace", "a workspace of this server (name or id)", nullable=True),
        flag("carried", "the end is reached only by carried packages"),
        text(
            "workspaceId", "a carried source: the workspace its packages come from", nullable=True
        ),
    ),
)
SELECTION = BodyShape(
    "which jobs travel",
    (
        choice("kind", "ALL (default), FOLDERS, TAGS or NAMES", SelectionKind),
        Field("values", "the folders, tags or jobs", (JsonType.ARRAY,), items=JsonType.STRING),
        flag("withUpstream", "the jobs they depend on travel too (default true)"),
    ),
)
APPROVALS = BodyShape(
    "signed approvals a promotion's plan needs before its import",
    (
        Field("required", "how many (0: none)", (JsonType.INTEGER,), required=True),
        Field(
            "approvers",
            "who may approve (user names; at least as many as required)",
            (JsonType.ARRAY,),
            items=JsonType.STRING,
        ),
    ),
)
_OBJECT = (JsonType.OBJECT,)
ROUTE = BodyShape(
    "route document",
    (
        text("name", "the route's name, if given the same as the path's"),
        text("description", "what the route is for"),
        Field("source", "where jobs come from", _OBJECT, required=True, shape=END),
        Field("target", "where they go", _OBJECT, required=True, shape=END),
        Field(
            "selection", "which jobs travel (default all)", _OBJECT, shape=SELECTION, nullable=True
        ),
        Field(
            "profile",
            "a profile of the target workspace, by name or inline",
            (JsonType.STRING, JsonType.OBJECT),
            nullable=True,
        ),
        choice(
            "sameNamePolicy",
            "the import's policy (default AUTO: OVERWRITE once the target holds objects from "
            "the source, SKIP on a first import)",
            SameNamePolicy,
        ),
        flag("propagateDeletes", "deletes in the source are deleted in the target"),
        choice("onDrift", "an object changed in the target since (default FAIL)", DriftPolicy),
        choice("scheduling", "scheduled jobs to overwrite (default REFUSE)", SchedulingPolicy),
        choice("mode", "ATOMIC (default) or PER_OBJECT", ImportMode),
        flag("requireSignature", "the target imports only signed packages"),
        Field(
            "approvals",
            "signed approvals of the plan an apply needs (default none)",
            _OBJECT,
            shape=APPROVALS,
            nullable=True,
        ),
    ),
)
"""A route document as :func:`parse_route` reads it; other keys are refused."""


@dataclass(frozen=True)
class RouteEnd:
    """One end of a route: a workspace of this server, or one reached by carried packages."""

    workspace: str | None = None
    """The workspace's name (or id) on this server; ``None`` for a carried end."""
    carried: bool = False
    workspace_id: str | None = None
    """For a carried source: the id of the workspace its packages come from, when known."""

    def document(self) -> dict[str, Any]:
        """The end's canonical wire form."""
        if self.carried:
            out: dict[str, Any] = {"carried": True}
            if self.workspace_id:
                out["workspaceId"] = self.workspace_id
            return out
        return {"workspace": self.workspace}


@dataclass(frozen=True)
class Selection:
    """The jobs a promotion carries (their scripts and resources come along)."""

    kind: SelectionKind = SelectionKind.ALL
    values: tuple[str, ...] = ()
    with_upstream: bool = True
    """Jobs the selected ones depend on travel too."""

    def document(self) -> dict[str, Any]:
        """The selection's canonical wire form."""
        return {
            "kind": self.kind.value,
            "values": list(self.values),
            "withUpstream": self.with_upstream,
        }


@dataclass(frozen=True)
class Route:
    """A route, typed; see the module docstring."""

    name: str
    source: RouteEnd
    target: RouteEnd
    description: str = ""
    selection: Selection = field(default_factory=Selection)
    profile: str | dict[str, Any] | None = None
    same_name_policy: SameNamePolicy = SameNamePolicy.AUTO
    propagate_deletes: bool = False
    on_drift: DriftPolicy = DriftPolicy.FAIL
    scheduling: SchedulingPolicy = SchedulingPolicy.REFUSE
    mode: ImportMode = ImportMode.ATOMIC
    require_signature: bool = False
    approvals: ApprovalRule = field(default_factory=ApprovalRule)

    def document(self) -> dict[str, Any]:
        """The canonical document: every setting written out, keys in one order (``approvals``
        only when the route requires some, so routes saved before it read the same)."""
        out = {
            "name": self.name,
            "description": self.description,
            "source": self.source.document(),
            "target": self.target.document(),
            "selection": self.selection.document(),
            "profile": self.profile,
            "sameNamePolicy": self.same_name_policy.value,
            "propagateDeletes": self.propagate_deletes,
            "onDrift": self.on_drift.value,
            "scheduling": self.scheduling.value,
            "mode": self.mode.value,
            "requireSignature": self.require_signature,
        }
        if self.approvals.on:
            out["approvals"] = {
                "required": self.approvals.required,
                "approvers": list(self.approvals.approvers),
            }
        return out

    @property
    def settings(self) -> ImportSettings:
        """The import settings this route gives its promotions."""
        return ImportSettings.of(self)

    def import_options(self) -> dict[str, Any]:
        """The import body's options this route sets (DataArts ImportFileReq plus jobferry's
        extensions), for the target's plan and import (``profile`` only when it has one)."""
        options = self.settings.wire()
        if self.profile is None:
            del options["profile"]
        return options


def _end(item: object, what: str, problems: list[str]) -> RouteEnd:
    value = nested_map(item, END, what, '{"workspace": NAME} or {"carried": true}', problems)
    if value is None:
        return RouteEnd(carried=True)
    carried = value.get("carried", False)
    workspace, workspace_id = value.get("workspace"), value.get("workspaceId")
    if not isinstance(carried, bool):
        problems.append(f"{what}.carried must be true or false")
        carried = False
    if carried:
        if workspace is not None:
            problems.append(f"{what} is carried: it names no workspace of this server")
        if workspace_id is not None and not isinstance(workspace_id, str):
            problems.append(f"{what}.workspaceId must be text")
            workspace_id = None
        return RouteEnd(carried=True, workspace_id=workspace_id or None)
    if not isinstance(workspace, str) or not workspace:
        problems.append(f"{what}.workspace must name a workspace of this server")
        return RouteEnd(carried=True)
    if workspace_id is not None:
        problems.append(f"{what}.workspaceId is only for a carried end")
    return RouteEnd(workspace=workspace)


SECTION_SHAPES = {
    "selection": (SELECTION, '{"kind": ALL|FOLDERS|TAGS|NAMES, "values": [...]}'),
    "approvals": (APPROVALS, '{"required": N, "approvers": [names]}'),
}
"""The optional maps of a route document: the shape of each, and how it is spelled."""


def _section(
    document: Mapping[str, Any], key: str, problems: list[str]
) -> Mapping[str, Any] | None:
    """The map under ``key`` (``None``: absent, or no map), its unknown keys said."""
    value = document.get(key)
    if value is None:
        return None
    shape, spelled = SECTION_SHAPES[key]
    return nested_map(value, shape, key, spelled, problems)


def _selection(value: Mapping[str, Any] | None, problems: list[str]) -> Selection:
    if value is None:
        return Selection()
    kind_value = value.get("kind", SelectionKind.ALL.value)
    if kind_value not in tuple(SelectionKind):
        known = ", ".join(SelectionKind)
        problems.append(f"selection.kind must be one of {known}, not {kind_value!r}")
        return Selection()
    kind = SelectionKind(kind_value)
    values = _names(kind, value.get("values", []), problems)
    upstream = value.get("withUpstream", True)
    if not isinstance(upstream, bool):
        problems.append("selection.withUpstream must be true or false")
        upstream = True
    return Selection(kind, values, upstream)


def _names(kind: SelectionKind, values: object, problems: list[str]) -> tuple[str, ...]:
    """``selection.values``: names (folders, tags or jobs), none for ALL."""
    if not isinstance(values, list) or not all(isinstance(v, str) and v for v in values):
        problems.append("selection.values must be a list of names")
        return ()
    if kind is SelectionKind.ALL and values:
        problems.append("selection.values must be empty when selection.kind is ALL")
    if kind is not SelectionKind.ALL and not values:
        problems.append(f"selection.kind {kind.value} needs at least one name in values")
    return tuple(dict.fromkeys(values))


def _choice(document: Mapping[str, Any], key: str, default: E, problems: list[str]) -> E:
    """``key``'s value as a member of ``default``'s vocabulary (``default`` when absent)."""
    vocabulary = type(default)
    value = document.get(key, default)
    if value not in tuple(vocabulary):
        problems.append(f"{key} must be one of {', '.join(vocabulary)}, not {value!r}")
        return default
    return vocabulary(value)


def _flag(document: Mapping[str, Any], key: str, problems: list[str]) -> bool:
    value = document.get(key, False)
    if not isinstance(value, bool):
        problems.append(f"{key} must be true or false")
        return False
    return value


def _profile(value: object, problems: list[str]) -> str | dict[str, Any] | None:
    if value is None or (isinstance(value, str) and value):
        return value
    if isinstance(value, Mapping):
        return dict(value)
    problems.append("profile must name a profile of the target workspace, or be one inline")
    return None


def _approvals(value: Mapping[str, Any] | None, problems: list[str]) -> ApprovalRule:
    if value is None:
        return ApprovalRule()
    required, approvers = value.get("required", 0), value.get("approvers", [])
    found = [f"approvals: {p}" for p in rule_problems(required, approvers)]
    if not found and required and not approvers:
        found.append("approvals: name the approvers (user names) when approvals are required")
    problems.extend(found)
    if found or not required:  # 0 required: no rule, and nobody named by one
        return ApprovalRule()
    return ApprovalRule(required, tuple(dict.fromkeys(approvers)))


def _ends(document: Mapping[str, Any], problems: list[str]) -> tuple[RouteEnd, RouteEnd]:
    source = _end(document.get("source"), "source", problems)
    target = _end(document.get("target"), "target", problems)
    if source.carried and target.carried:
        problems.append("at least one end must be a workspace of this server")
    if not source.carried and source.workspace == target.workspace:
        problems.append("source and target must be different workspaces")
    if target.carried and source.workspace_id:
        problems.append("source.workspaceId is only for a carried source")
    return source, target


def parse_route(name: str, document: object) -> Route:
    """Check a route document (every problem at once; raises :class:`RouteError`)."""
    if not isinstance(document, Mapping):
        raise RouteError(["a route must be a JSON object"])
    problems: list[str] = []
    bad_name = check_object_name(name, "route name")
    if bad_name:
        problems.append(bad_name)
    if document.get("name", name) != name:
        problems.append(f"the document's name {document.get('name')!r} is not {name!r}")
    unknown = ROUTE.unknown(document)
    if unknown:
        problems.append(
            f"unknown keys: {', '.join(unknown)} (known: {', '.join(sorted(ROUTE.names))})"
        )
    description = document.get("description", "")
    if not isinstance(description, str):
        problems.append("description must be text")
        description = ""
    source, target = _ends(document, problems)
    policy = _choice(document, "sameNamePolicy", SameNamePolicy.AUTO, problems)
    drift = _choice(document, "onDrift", DriftPolicy.FAIL, problems)
    scheduling = _choice(document, "scheduling", SchedulingPolicy.REFUSE, problems)
    mode = _choice(document, "mode", ImportMode.ATOMIC, problems)
    route = Route(
        name=name,
        source=source,
        target=target,
        description=description,
        selection=_selection(_section(document, "selection", problems), problems),
        profile=_profile(document.get("profile"), problems),
        same_name_policy=policy,
        propagate_deletes=_flag(document, "propagateDeletes", problems),
        on_drift=drift,
        scheduling=scheduling,
        mode=mode,
        require_signature=_flag(document, "requireSignature", problems),
        approvals=_approvals(_section(document, "approvals", problems), problems),
    )
    if problems:
        raise RouteError(problems)
    return route


def carried_words(
    jobs: int, deletions: int, scripts: int | None = None, resources: int | None = None
) -> str:
    """What a promotion's package carried, in words: its jobs, scripts and resources (those
    it holds; jobs alone when it holds none, or when the others were not counted: ``None``)
    and its deletions."""
    counted = [(jobs, "job"), (scripts or 0, "script"), (resources or 0, "resource")]
    said = [f"{n:,} {what}(s)" for n, what in counted if n] or [f"{jobs:,} job(s)"]
    return ", ".join([*said, f"{deletions:,} deletion(s)"])


def package_file_name(prefix: str, at_ms: int) -> str:
    """The file name of a package made at ``at_ms``: what it is of (a route's name; a
    workspace's name and how its export chose) and when, in UTC to the millisecond
    (``daily_20261130T052900.123Z.zip``), as the audit log, the download center and the upload
    list show it (two made in the same second are two names)."""
    at = datetime.fromtimestamp(at_ms // 1000, UTC)
    return f"{prefix}_{at:%Y%m%dT%H%M%S}.{at_ms % 1000:03d}Z.zip"
