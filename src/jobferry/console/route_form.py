"""The Routes page's form: a route's settings as typed in the console (``RouteDraft``), the route
document it stands for, and the server's refusals said with the form's own labels.

The form's field names are the console's, not the route document's keys, and the service's
problems name the document's keys ("selection.kind FOLDERS needs at least one name in
values"): ``said_problem`` says them again with the labels the form shows.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import FormData

from jobferry.console.web import text, texts, when
from jobferry.console.wizard import wizard_state
from jobferry.domain.enums import DriftPolicy, ImportMode, SameNamePolicy, SchedulingPolicy
from jobferry.domain.routes import Route, RouteEnd, SelectionKind
from jobferry.domain.saving import Expected
from jobferry.services.definitions.documents import dump
from jobferry.services.routes.overrides import Overrides
from jobferry.services.routes.records import Promotion
from jobferry.services.routes.service import RouteVersion

CARRIED = ":carried"
"""The end pickers' value for an end on another server (no workspace name starts with ':')."""
INLINE = ":inline"
"""The profile picker's value keeping a profile the route writes inline (made through the API
or the CLI's ``-f``): the console shows it, and saving keeps it as it is."""

SELECTION_WORDS = {
    SelectionKind.ALL: "Every job",
    SelectionKind.FOLDERS: "Folders",
    SelectionKind.TAGS: "Tags",
    SelectionKind.NAMES: "Jobs",
}
_ONE = {SelectionKind.FOLDERS: "folder", SelectionKind.TAGS: "tag", SelectionKind.NAMES: "job"}


@dataclass(frozen=True)
class RouteDraft:
    """A route's settings as the form holds them (strings and switches, kept as typed when
    the server refuses them)."""

    name: str = ""
    description: str = ""
    source: str = ""
    """A workspace's name, or ``CARRIED``."""
    source_id: str = ""
    """For a carried source: the id of the workspace its packages come from (optional)."""
    target: str = ""
    selection: str = SelectionKind.ALL.value
    values: str = ""
    """The folders, tags or jobs, one a line."""
    upstream: bool = True
    profile: str = ""
    """A profile of the target workspace by name, ``INLINE``, or '' for none."""
    same_name_policy: str = SameNamePolicy.AUTO.value
    """The import settings as typed (``domain.importsettings``), posted under their wire
    names, as the import wizard posts them."""
    propagate_deletes: bool = False
    on_drift: str = DriftPolicy.FAIL.value
    scheduling: str = SchedulingPolicy.REFUSE.value
    mode: str = ImportMode.ATOMIC.value
    signed: bool = False
    required: str = "0"
    """How many signed approvals of a promotion's plan its import needs, as typed."""
    approvers: tuple[str, ...] = ()
    """Who may approve (user names, members of the target workspace)."""
    based_on: str = "0"
    """The version the form was read at ("0": a new route; "": a form rendered before saves
    were conditional, saved on no condition)."""

    def expected(self) -> Expected | None:
        """The condition the draft is saved on: over the version it was read at."""
        return Expected(int(self.based_on)) if self.based_on.isdigit() else None

    @classmethod
    def of_form(cls, form: FormData) -> RouteDraft:
        """The draft a posted form holds."""
        return cls(
            name=text(form, "name"),
            description=text(form, "description"),
            source=text(form, "source"),
            source_id=text(form, "source_id"),
            target=text(form, "target"),
            selection=text(form, "selection") or SelectionKind.ALL.value,
            values=text(form, "values"),
            upstream=text(form, "upstream") == "on",
            profile=text(form, "profile"),
            same_name_policy=text(form, "sameNamePolicy"),
            propagate_deletes=text(form, "propagateDeletes") == "on",
            on_drift=text(form, "onDrift"),
            scheduling=text(form, "scheduling"),
            mode=text(form, "mode"),
            signed=text(form, "signed") == "on",
            required=text(form, "approvals_required") or "0",
            approvers=tuple(dict.fromkeys(texts(form, "approver"))),
            based_on=text(form, "based_on"),
        )

    @classmethod
    def of_route(cls, saved: RouteVersion, names: dict[str, str]) -> RouteDraft:
        """The draft showing a saved route's version (``names``: workspace id → name, so an
        end saved by id shows in the picker by name)."""
        route = saved.route
        profile = route.profile
        return cls(
            name=route.name,
            description=route.description,
            source=_picked(route.source, names),
            source_id=route.source.workspace_id or "",
            target=_picked(route.target, names),
            selection=route.selection.kind.value,
            values="\n".join(route.selection.values),
            upstream=route.selection.with_upstream,
            profile=INLINE if isinstance(profile, dict) else profile or "",
            same_name_policy=route.same_name_policy.value,
            propagate_deletes=route.propagate_deletes,
            on_drift=route.on_drift.value,
            scheduling=route.scheduling.value,
            mode=route.mode.value,
            signed=route.require_signature,
            required=str(route.approvals.required),
            approvers=route.approvals.approvers,
            based_on=str(saved.version),
        )

    def document(self, inline: dict[str, Any] | None) -> dict[str, Any]:
        """The route document the draft stands for (``inline``: the saved route's inline
        profile, kept when the picker says ``INLINE``). Every value goes to the service as
        typed: its rules are the only ones."""
        kind = self.selection
        values = [v.strip() for v in self.values.splitlines() if v.strip()]
        profile: str | dict[str, Any] | None = self.profile or None
        if self.profile == INLINE:
            profile = inline
        return {
            "name": self.name,
            "description": self.description,
            "source": _end(self.source, self.source_id),
            "target": _end(self.target, ""),
            "selection": {
                "kind": kind,
                "values": [] if kind == SelectionKind.ALL else values,
                "withUpstream": self.upstream,
            },
            "profile": profile,
            "sameNamePolicy": self.same_name_policy,
            "propagateDeletes": self.propagate_deletes,
            "onDrift": self.on_drift,
            "scheduling": self.scheduling,
            "mode": self.mode,
            "requireSignature": self.signed,
            "approvals": _approvals(self.required, self.approvers),
        }


def _picked(end: RouteEnd, names: dict[str, str]) -> str:
    if end.carried or end.workspace is None:
        return CARRIED
    return names.get(end.workspace, end.workspace)


def _end(picked: str, workspace_id: str) -> dict[str, Any]:
    if picked == CARRIED:
        return {"carried": True, **({"workspaceId": workspace_id} if workspace_id else {})}
    return {"workspace": picked, **({"workspaceId": workspace_id} if workspace_id else {})}


def _approvals(required: str, approvers: tuple[str, ...]) -> dict[str, Any] | None:
    """The approvals a route requires as the form holds them (``None``: none): the count as
    typed when it is no whole number, for the service to refuse."""
    count: int | str = int(required) if required.isdigit() else required
    if count == 0 and not approvers:
        return None
    return {"required": count, "approvers": list(approvers)}


def _which(found: re.Match[str]) -> str:
    return f"Which jobs travel: name at least one {_ONE[SelectionKind(found[1])]} (one a line)"


def _end_missing(found: re.Match[str]) -> str:
    return f"{found[1].capitalize()}: choose a workspace of this server, or “On another server”"


def _approvals_said(found: re.Match[str]) -> str:
    return f"Approvals required: at most {found[1]}"


_CHOICE_LABELS = {
    "selection.kind": "Which jobs travel",
    "sameNamePolicy": "When a job, script or resource of that name exists",
    "onDrift": "When an object was changed in the target since the last promotion wrote it",
    "scheduling": "When a job to overwrite or delete is scheduled",
    "mode": "When some objects have problems",
}
"""The form's choices (its selects) by the route document's key, as their labels say them."""


def _no_choice(found: re.Match[str]) -> str:
    sent = f"“{found[2]}”, which it does not offer" if found[2] else "no choice"
    return (
        f"{_CHOICE_LABELS[found[1]]}: choose one of its options (the form sent {sent}; reload "
        "the page if it looks out of date)"
    )


def _as_sentence(found: re.Match[str]) -> str:
    return found[0][:1].upper() + found[0][1:]


_PROBLEMS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (
        re.compile(r"^selection\.kind (FOLDERS|TAGS|NAMES) needs at least one name in values$"),
        _which,
    ),
    (
        re.compile(r"^(source|target)\.workspace must name a workspace of this server$"),
        _end_missing,
    ),
    (
        re.compile(r"^source\.workspaceId is only for a carried (end|source)$"),
        lambda _: "“Its workspace id there” is only for a source on another server: leave it empty",
    ),
    (re.compile(r"^source and target must be different workspaces$"), _as_sentence),
    (re.compile(r"^at least one end must be a workspace of this server$"), _as_sentence),
    (
        re.compile(r"^approvals: (\d+) approvals are required but only (\d+) approvers are named$"),
        lambda found: (
            f"Approvals: {found[1]} are required but only {found[2]} approver(s) are "
            "chosen; choose more approvers, or require fewer approvals"
        ),
    ),
    (
        re.compile(r"^approvals: name the approvers \(user names\) when approvals are required$"),
        lambda _: (
            "Approvals: choose who may approve (members of the target workspace), or require none"
        ),
    ),
    (
        re.compile(
            r"^approvals: the approvals required must be a whole number, 0 \(none\) or more$"
        ),
        lambda _: "Approvals required: a whole number, 0 (none) or more",
    ),
    (re.compile(r"^approvals: at most (\d+) approvals may be required$"), _approvals_said),
    (
        re.compile(
            rf"^({'|'.join(re.escape(k) for k in _CHOICE_LABELS)}) must be one of [A-Z_, ]+, "
            r"not '(.*)'$"
        ),
        _no_choice,
    ),
)
"""The problems of a route document the form can cause, and how the form says each."""


def said_problem(problem: str) -> str:
    """One problem of a refused route, said with the form's labels instead of the document's
    keys (a problem the form cannot cause is said as the service says it)."""
    for pattern, say in _PROBLEMS:
        found = pattern.match(problem)
        if found is not None:
            return say(found)
    return problem


_FIELDS = {
    "name": ("name",),
    "description": ("description",),
    "source": ("source",),
    "source.workspaceId": ("source_id",),
    "target": ("target",),
    "source and target": ("source", "target"),
    "selection": ("values",),
    "profile": ("profile",),
    "approvals": ("approvals_required",),
}
"""The form's fields a problem of a route document is about, by the key it starts with."""


def problem_fields(problems: list[str]) -> frozenset[str]:
    """The form's fields the problems of a refused route are about (marked invalid, each
    described by the problems the form lists)."""
    fields: set[str] = set()
    for problem in problems:
        keys = [k for k in _FIELDS if re.match(rf"{re.escape(k)}\b", problem)]
        if keys:
            fields.update(_FIELDS[max(keys, key=len)])
    return frozenset(fields)


def selection_words(route: Route) -> str:
    """Which jobs a route promotes, in words: "Every job", "Folders: /sales, /reports and
    their upstream jobs"."""
    selection = route.selection
    if selection.kind is SelectionKind.ALL:
        return SELECTION_WORDS[SelectionKind.ALL]
    upstream = " and their upstream jobs" if selection.with_upstream else ""
    return f"{SELECTION_WORDS[selection.kind]}: {', '.join(selection.values)}{upstream}"


def nothing_changed(source: str, since: int | None) -> str:
    """What *Promote now* says when it found nothing to promote (``since``: the last applied
    promotion's moment, ``None`` on a first one)."""
    if since is None:
        return f"Nothing to promote: workspace '{source}' has none of the jobs the route selects."
    moment = when(since).replace("T", " ").replace("Z", " UTC")
    return f"Nothing changed in workspace '{source}' since the last promotion ({moment})."


def end_words(end: RouteEnd) -> str:
    """A route's end in words: its workspace, or that it is on another server."""
    if end.carried or end.workspace is None:
        return "on another server (carried packages)"
    return end.workspace


def promotion_state(route: Route, promotion: Promotion) -> dict[str, Any]:
    """The import wizard's state for a promotion's package: the route's settings (of the
    version the package was made with), its profile, and what records the import on it."""
    profile = route.profile
    settings = route.settings.wire()
    settings["propagateDeletes"] = "on" if route.propagate_deletes else ""
    settings["profile"] = profile if isinstance(profile, str) else ""
    form = FormData(
        [
            ("path", promotion.package_path),
            *settings.items(),
            ("profileInline", dump(profile) if isinstance(profile, dict) else ""),
            ("route", route.name),
            ("promotion", promotion.id),
        ]
    )
    return wizard_state(form)


_OVERRIDE_WORDS: dict[str, tuple[str, dict[Any, str]]] = {
    "sameNamePolicy": (
        "objects of the same name",
        {"AUTO": "overwritten once the target took packages from the source, else skipped",
         "SKIP": "skipped", "OVERWRITE": "overwritten"},
    ),
    "propagateDeletes": (
        "what the source deleted", {True: "deleted here", False: "kept here"}
    ),
    "onDrift": (
        "changes made in the target since the last promotion",
        {"FAIL": "stop the import", "KEEP_TARGET": "kept (object skipped)",
         "TAKE_PACKAGE": "overwritten with the package's"},
    ),
    "scheduling": (
        "scheduled jobs",
        {"REFUSE": "refused", "PAUSE_AND_RESTORE": "paused during the import"},
    ),
    "mode": (
        "objects with problems",
        {"ATOMIC": "nothing imported", "PER_OBJECT": "the others imported"},
    ),
}  # fmt: skip
"""How the route's settings read in the form's words (its labels), for what a promotion
overrode."""


def override_words(overrides: Overrides) -> str:
    """What a promotion's import changed of its route's settings, in the form's words, who ran
    it, and the objects it wrote over changes made in the target."""
    said = []
    for change in (c.wire() for c in overrides.settings):
        key, asked, ran = change["setting"], change["route"], change["run"]
        if key in _OVERRIDE_WORDS:
            what, values = _OVERRIDE_WORDS[key]
            run, route = values.get(ran, "?"), values.get(asked, "?")
        else:
            what, run, route = "environment profile", _profile(ran), _profile(asked)
        said.append(f"{what}: {run} (the route: {route})")
    text = f"{overrides.by} overrode the route: {'; '.join(said)}"
    if overrides.drift_overwritten:
        names = ", ".join(f"{kind} {name}" for kind, name in overrides.drift_overwritten[:10])
        more = overrides.drift_overwritten_total - min(10, len(overrides.drift_overwritten))
        text += f". It overwrote changes made in the target to {names}"
        text += f" and {more} more" if more > 0 else ""
    return text + "."


def _profile(value: object) -> str:
    if value is None:
        return "none"
    return f"'{value}'" if isinstance(value, str) else "one written inline"


def versions_changed(versions: list[RouteVersion]) -> dict[int, str]:
    """What each version of a route (newest first) changed of the one before it; the first
    made it."""
    said: dict[int, str] = {}
    for newer, older in zip(versions, [*versions[1:], None][: len(versions)], strict=True):
        if older is None:
            said[newer.version] = "created"
        else:
            changes = version_changes(older.route, newer.route)
            said[newer.version] = changes or "the same settings, saved again"
    return said


def version_changes(older: Route, newer: Route) -> str:
    """What a version of a route changed of the one before it, in the form's words
    (``""``: nothing, a save of the same settings)."""
    before, after = _settings_words(older), _settings_words(newer)
    said = [f"{what}: {before[what]} → {now}" for what, now in after.items() if before[what] != now]
    inline = isinstance(older.profile, dict) and isinstance(newer.profile, dict)
    if inline and older.profile != newer.profile:
        said.append("environment profile: the one written inline changed")
    return "; ".join(said)


def _settings_words(route: Route) -> dict[str, str]:
    """Every setting of a route, by the form's label, in the form's words."""
    doc = route.document()
    said = {
        "from": end_words(route.source),
        "to": end_words(route.target),
        "what it is for": f"'{route.description}'" if route.description else "nothing said",
        "which jobs": selection_words(route),
        "environment profile": _profile(route.profile),
    }
    for key, (what, values) in _OVERRIDE_WORDS.items():
        said[what] = values.get(doc.get(key), str(doc.get(key)))
    said["signed packages only"] = "yes" if route.require_signature else "no"
    rule = route.approvals
    said["approvals before an import"] = (
        f"{rule.required} of {', '.join(rule.approvers)}" if rule.required else "none"
    )
    return said
