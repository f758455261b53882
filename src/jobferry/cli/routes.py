"""``jobferry routes list|show|versions|create|edit|delete``: the remembered paths of promotion.

A route names a source and a target workspace (either may be ``--from-carried`` /
``--to-carried``: on another server, reached by carried packages), which jobs travel and the
import's settings. ``create`` takes its settings from options (or a JSON/YAML document with
``-f``); ``edit`` changes only the settings named and saves the route as a new version. The
server checks the whole route and refuses it with every problem (``routes`` calls, docs/api.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from jobferry.cli.asking import own_command_line
from jobferry.cli.client import ApiError, segment
from jobferry.cli.exits import CliUsageError
from jobferry.cli.import_options import (
    FLAG_OF,
    DriftName,
    ModeName,
    PolicyName,
    SchedulingName,
    settings_given,
)
from jobferry.cli.optionsets import takes
from jobferry.cli.output import epoch_ms, mapping, moment
from jobferry.cli.session import SAVED, Column, JsonOption, VersionOption, list_answer, session
from jobferry.domain.profile import load_profile_text
from jobferry.errors import VersionMovedError

app = typer.Typer(help="Routes: remembered promotions between workspaces.", no_args_is_help=True)

RouteName = Annotated[str, typer.Argument(metavar="ROUTE", help="The route's name.")]
SERVER_FIELDS = ("version", "updateTime", "updateUser")


def _end(workspace: str | None, carried: bool, workspace_id: str | None, what: str) -> Any:
    if workspace is not None and carried:
        raise CliUsageError(f"Give --{what} WORKSPACE or --{what}-carried, not both.")
    if carried:
        return {"carried": True, **({"workspaceId": workspace_id} if workspace_id else {})}
    if workspace is not None:
        return {"workspace": workspace}
    return None


def _selection(
    every: bool, folders: list[str], tags: list[str], jobs: list[str], upstream: bool | None
) -> dict[str, Any] | None:
    """The selection the options name (``None``: none named), partial for ``edit``."""
    named = [("FOLDERS", folders), ("TAGS", tags), ("NAMES", jobs)]
    given = [(kind, values) for kind, values in named if values]
    if len(given) + int(every) > 1:
        raise CliUsageError("Select jobs one way: --all, --folder, --tag or --job (repeatable).")
    selection: dict[str, Any] = {}
    if every:
        selection = {"kind": "ALL", "values": []}
    elif given:
        selection = {"kind": given[0][0], "values": given[0][1]}
    if upstream is not None:
        selection["withUpstream"] = upstream
    return selection or None


def _settings(options: dict[str, Any]) -> dict[str, Any]:
    """The route document's settings the options name (``None``: not given)."""
    changes = settings_given(options)
    for key, option in (
        ("requireSignature", "require_signature"),
        ("description", "description"),
    ):
        if options[option] is not None:
            changes[key] = options[option]
    approvals: dict[str, Any] = {}
    if options["require_approvals"] is not None:
        approvals["required"] = options["require_approvals"]
    if options["approvers"] is not None:
        approvals["approvers"] = [a.strip() for a in options["approvers"].split(",") if a.strip()]
    if approvals:
        changes["approvals"] = approvals
    return changes


def _changes(options: dict[str, Any]) -> dict[str, Any]:
    """Everything the command line says about the route, as a partial route document."""
    changes = _settings(options)
    source = _end(options["source"], options["from_carried"], options["from_id"], "from")
    target = _end(options["target"], options["to_carried"], None, "to")
    if source is not None:
        changes["source"] = source
    if target is not None:
        changes["target"] = target
    selection = _selection(
        options["every"],
        options["folder"] or [],
        options["tag"] or [],
        options["job"] or [],
        options["upstream"],
    )
    if selection is not None:
        changes["selection"] = selection
    return changes


def _merged(current: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    document = {k: v for k, v in current.items() if k not in SERVER_FIELDS}
    selection = changes.pop("selection", None)
    approvals = changes.pop("approvals", None)
    document.update(changes)
    if approvals is not None:
        merged = {"required": 0, "approvers": [], **mapping(document.get("approvals")), **approvals}
        if approvals.get("approvers") and not merged["required"]:
            raise CliUsageError(
                "--approvers names who may approve, but the route requires no approvals, so "
                "they would not be kept: add --require-approvals N (how many must sign)."
            )
        document["approvals"] = merged if merged["required"] else None
    if selection is not None:
        document["selection"] = {**mapping(document.get("selection")), **selection}
    return document


def _show(s: Any, answer: dict[str, Any], human: str | None) -> None:
    out = s.output
    if out.json_mode:
        out.emit(answer)
        return
    if human:
        out.line(human)
    out.fields(_lines(answer))


def _lines(route: dict[str, Any]) -> list[tuple[str, Any]]:
    def end(value: Any) -> str:
        value = mapping(value)
        if value.get("carried"):
            return "carried (another server)" + (
                f", packages from {value['workspaceId']}" if value.get("workspaceId") else ""
            )
        return str(value.get("workspace"))

    selection = mapping(route.get("selection"))
    chosen = ", ".join(selection.get("values") or []) or "every job"
    upstream = " and their upstream jobs" if selection.get("withUpstream") else ""
    chosen_by = [FLAG_OF[key] for key in ("sameNamePolicy", "onDrift", "scheduling", "mode")]
    return [
        ("route", f"{route.get('name')} (version {route.get('version')})"),
        ("from", end(route.get("source"))),
        ("to", end(route.get("target"))),
        ("jobs", f"{str(selection.get('kind', 'ALL')).lower()}: {chosen}{upstream}"),
        ("profile", route.get("profile") if route.get("profile") is not None else "none"),
        *[
            (flag.flag.removeprefix("--"), flag.said(route.get(flag.setting.wire)).split()[-1])
            for flag in chosen_by
        ],
        ("propagate deletes", "yes" if route.get("propagateDeletes") else "no"),
        ("require signature", "yes" if route.get("requireSignature") else "no"),
        ("approvals", _approvals(route.get("approvals"))),
        ("description", route.get("description") or ""),
        ("saved", f"{moment(route.get('updateTime'))} by {route.get('updateUser')}"),
    ]


def _approvals(value: Any) -> str:
    rule = mapping(value)
    if not rule.get("required"):
        return "none required"
    return f"{rule['required']} signed, of {', '.join(rule.get('approvers') or [])}"


# -- the options create and edit share -------------------------------------------------------

FromOption = Annotated[
    str | None, typer.Option("--from", metavar="WORKSPACE", help="Source workspace (this server).")
]
FromCarriedOption = Annotated[
    bool, typer.Option("--from-carried", help="The source is on another server (packages in).")
]
FromIdOption = Annotated[
    str | None,
    typer.Option("--from-id", metavar="ID", help="With --from-carried: the source workspace id."),
]
ToOption = Annotated[
    str | None, typer.Option("--to", metavar="WORKSPACE", help="Target workspace (this server).")
]
ToCarriedOption = Annotated[
    bool, typer.Option("--to-carried", help="The target is on another server (packages out).")
]
AllOption = Annotated[bool, typer.Option("--all", help="Every job of the source.")]
FolderOption = Annotated[
    list[str] | None, typer.Option("--folder", metavar="FOLDER", help="Jobs in FOLDER (repeat).")
]
TagOption = Annotated[
    list[str] | None, typer.Option("--tag", metavar="TAG", help="Jobs tagged TAG (repeat).")
]
JobOption = Annotated[
    list[str] | None, typer.Option("--job", metavar="NAME", help="The job NAME (repeat).")
]
UpstreamOption = Annotated[
    bool | None,
    typer.Option("--upstream/--no-upstream", help="Jobs the selected ones depend on travel too."),
]
ProfileOption = Annotated[
    str | None,
    typer.Option("--profile", metavar="NAME", help="Environment profile of the target workspace."),
]
PolicyOption = Annotated[
    PolicyName | None,
    typer.Option(
        "--policy",
        help="Objects the target has already: skip or overwrite them; auto overwrites what "
        "changed when the target received them from the source, else skips them.",
    ),
]
PropagateOption = Annotated[
    bool | None,
    typer.Option(
        "--propagate-deletes/--keep-deletes",
        help="Delete in the target what the source deleted, or keep it.",
    ),
]
DriftOption = Annotated[
    DriftName | None,
    typer.Option(
        "--on-drift",
        help="Objects changed in the target since a promotion wrote them: fail, keep the "
        "change (keep-target), or overwrite it (take-package).",
    ),
]
SchedulingOption = Annotated[
    SchedulingName | None,
    typer.Option(
        "--scheduling",
        help="Scheduled jobs to overwrite: refuse, or stop them, write and start them again in "
        "the import (pause-and-restore).",
    ),
]
ModeOption = Annotated[
    ModeName | None,
    typer.Option("--mode", help="atomic: all or nothing; per-object: what passes."),
]
SignatureOption = Annotated[
    bool | None,
    typer.Option("--require-signature/--no-require-signature", help="Refuse unsigned packages."),
]
RequireApprovalsOption = Annotated[
    int | None,
    typer.Option(
        "--require-approvals",
        min=0,
        metavar="N",
        help="Signed approvals of the plan promote --apply needs (0: none).",
    ),
]
ApproversOption = Annotated[
    str | None,
    typer.Option("--approvers", metavar="A,B,C", help="Who may approve (user names)."),
]
DescriptionOption = Annotated[
    str | None, typer.Option("--description", metavar="TEXT", help="What the route is for.")
]


EDIT_ATTEMPTS = 5
"""How many times ``edit`` reads, changes and saves a route that others keep saving meanwhile."""


def _save(
    ctx: typer.Context, name: str, document: dict[str, Any], json_mode: bool, condition: str
) -> None:
    """Save ``document`` as route ``name``'s next version on ``condition``: ``*`` (a create:
    only when there is none) or the version it was read at (only over that one)."""
    s = session(ctx, json_mode)
    headers = {"If-None-Match": "*"} if condition == "*" else {"If-Match": f'"{condition}"'}
    answer = mapping(s.client().call("PUT", f"/routes/{segment(name)}", document, headers=headers))
    _show(s, answer, f"Saved route '{name}' version {answer.get('version')}.")
    if condition == "*" and not s.output.json_mode:
        s.output.line(f"Promote along it: {_promotion(s, name, answer)}")


def _promotion(s: Any, name: str, route: dict[str, Any]) -> str:
    """The command that promotes along a route just made, as its ends ask for it."""
    if mapping(route.get("target")).get("carried"):
        return (
            own_command_line(s, "promote", name, "--out", "FILE", scoped=False)
            + " (the package to carry)"
        )
    if mapping(route.get("source")).get("carried"):
        said = own_command_line(s, "promote", name, "--in", "FILE", scoped=False)
        return said + " (a package the source server cut)"
    return (
        own_command_line(s, "promote", name, scoped=False) + " (shows the plan; --apply imports it)"
    )


def route_changes(
    source: FromOption = None,
    from_carried: FromCarriedOption = False,
    from_id: FromIdOption = None,
    target: ToOption = None,
    to_carried: ToCarriedOption = False,
    every: AllOption = False,
    folder: FolderOption = None,
    tag: TagOption = None,
    job: JobOption = None,
    upstream: UpstreamOption = None,
    profile: ProfileOption = None,
    policy: PolicyOption = None,
    propagate_deletes: PropagateOption = None,
    on_drift: DriftOption = None,
    scheduling: SchedulingOption = None,
    mode: ModeOption = None,
    require_signature: SignatureOption = None,
    require_approvals: RequireApprovalsOption = None,
    approvers: ApproversOption = None,
    description: DescriptionOption = None,
) -> dict[str, Any]:
    """The options create and edit share (cli.optionsets): what they say about the route."""
    return _changes(locals())


@app.command("create")
@takes("changes", route_changes)
def create_route(
    ctx: typer.Context,
    name: RouteName,
    changes: dict[str, Any],
    file: Annotated[
        Path | None,
        typer.Option("--file", "-f", metavar="FILE", help="The route document (JSON or YAML)."),
    ] = None,
    json_mode: JsonOption = False,
) -> None:
    """Create a route (project admins): --from and --to (or their -carried forms), the jobs
    (--all, --folder, --tag or --job; default every job), the profile and the import's
    settings; options given beside -f override the file's. Refused when the route exists."""
    base: dict[str, Any] = {}
    if file is not None:
        loaded = load_profile_text(file.expanduser().read_bytes())
        if not isinstance(loaded, dict):
            raise CliUsageError(f"{file} must hold one route document (a JSON object).")
        base = loaded
    try:
        _save(ctx, name, _merged(base, changes), json_mode, "*")
    except ApiError as exc:
        if exc.code != VersionMovedError.code:
            raise
        # Saved over, a route that exists would take every setting left out at its default.
        raise CliUsageError(
            f"Route '{name}' exists (version {exc.body.get('version')}): create would reset "
            f"every setting it does not name. Change the settings you name with jobferry "
            f"routes edit {name} …, or remove it first with jobferry routes delete {name}."
        ) from None


@app.command("edit")
@takes("changes", route_changes)
def edit_route(
    ctx: typer.Context, name: RouteName, changes: dict[str, Any], json_mode: JsonOption = False
) -> None:
    """Change the settings named (the others stay) and save the route as a new version."""
    if not changes:
        raise CliUsageError(f"Name what to change in route '{name}' (see --help).")
    s = session(ctx, json_mode)
    for attempt in range(1, EDIT_ATTEMPTS + 1):
        current = mapping(s.client().get(f"/routes/{segment(name)}"))
        try:
            _save(ctx, name, _merged(current, changes), json_mode, str(current.get("version")))
            return
        except ApiError as exc:
            # Saved by another since it was read: the change goes onto the newer version, so
            # what the other saved stays.
            if exc.code != VersionMovedError.code or attempt == EDIT_ATTEMPTS:
                raise


@app.command("show")
def show_route(
    ctx: typer.Context,
    name: RouteName,
    version: VersionOption = None,
    json_mode: JsonOption = False,
) -> None:
    """Show a route's settings (the newest version unless --version)."""
    s = session(ctx, json_mode)
    answer = mapping(s.client().get(f"/routes/{segment(name)}", version=version))
    _show(s, answer, None)  # its first line names it, with its version


@app.command("list")
def list_routes(ctx: typer.Context, json_mode: JsonOption = False) -> None:
    """List the project's routes (newest version of each)."""
    columns: list[Column] = [
        ("route", "name", None),
        ("version", "version", None),
        ("from", "source", lambda end: mapping(end).get("workspace") or "carried"),
        ("to", "target", lambda end: mapping(end).get("workspace") or "carried"),
        *SAVED,
    ]
    list_answer(session(ctx, json_mode), "/routes", "routes", columns, "No routes.")


@app.command("versions")
def route_versions(ctx: typer.Context, name: RouteName, json_mode: JsonOption = False) -> None:
    """Every saved version of a route, newest first, with what it changed of the one before
    (``changed`` in --json)."""
    s = session(ctx, json_mode)
    answer = mapping(s.client().get(f"/routes/{segment(name)}/versions"))
    listed = [mapping(v) for v in answer.get("versions") or []]
    befores: list[dict[str, Any] | None] = [*listed[1:], None]
    said = [{**v, "changed": changed(v, b)} for v, b in zip(listed, befores, strict=True)]
    items = s.output.items({**answer, "versions": said}, "versions")
    if items is None:
        return
    s.output.table(
        ("version", "saved (UTC)", "by", "what changed"),
        [
            (v.get("version"), epoch_ms(v.get("updateTime")), v.get("updateUser"), v["changed"])
            for v in items
        ],
        empty="No versions.",
    )


def changed(newer: dict[str, Any], older: dict[str, Any] | None) -> str:
    """What a version of a route changed of the one before it, as ``show`` words its settings
    (``created``: the first)."""
    if older is None:
        return "created"
    before = dict(_lines(older))
    said = [
        f"{what}: {before.get(what) or '-'} → {now or '-'}"
        for what, now in _lines(newer)
        if what not in ("route", "saved") and before.get(what) != now
    ]
    return "; ".join(said) or "the same settings, saved again"


@app.command("delete")
def delete_route(ctx: typer.Context, name: RouteName, json_mode: JsonOption = False) -> None:
    """Remove a route and all its versions (project admins)."""
    s = session(ctx, json_mode)
    s.client().call("DELETE", f"/routes/{segment(name)}")
    s.output.result({"deleted": name}, f"Deleted route '{name}'.")
