"""The options ``jobferry plan`` and ``jobferry import`` share, and the import body they make."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

import typer

from jobferry.cli.choices import choice_type, from_kebab, kebab
from jobferry.cli.exits import CliUsageError
from jobferry.cli.optionsets import takes
from jobferry.cli.profile_options import (
    NO_ZONE_MOVE,
    ZoneMoveOptions,
    profile_reference,
    zone_move_options,
)
from jobferry.domain.enums import (
    DriftPolicy,
    ImportMode,
    SameNamePolicy,
    SchedulingPolicy,
    TargetStatus,
)
from jobferry.domain.importsettings import BY_WIRE, Setting

# The choices of ``--policy``, ``--status``, ``--mode``, ``--on-drift`` and ``--scheduling``:
# the domain's values in kebab case (``cli.choices``), read back with ``from_kebab``. The
# type checker sees plain strings.
if TYPE_CHECKING:
    PolicyName = str
    StatusName = str
    ModeName = str
    DriftName = str
    SchedulingName = str
else:
    PolicyName = choice_type(SameNamePolicy)
    StatusName = choice_type(TargetStatus)
    ModeName = choice_type(ImportMode)
    DriftName = choice_type(DriftPolicy)
    SchedulingName = choice_type(SchedulingPolicy)

DEFAULT_POLICY = kebab(SameNamePolicy.AUTO)
DEFAULT_MODE = kebab(ImportMode.ATOMIC)
DEFAULT_DRIFT = kebab(DriftPolicy.FAIL)
DEFAULT_SCHEDULING = kebab(SchedulingPolicy.REFUSE)

SourceArg = Annotated[
    str,
    typer.Argument(
        metavar="FILE|obs://…",
        help="A local package file, obs://bucket/key, a package of a download center "
        "(download://WORKSPACE_ID/ID, as downloads list names it) or an upload:// path.",
    ),
]
PolicyOption = Annotated[
    PolicyName,
    typer.Option(
        "--policy",
        help="Objects that exist already: skip or overwrite them; auto overwrites changed "
        "objects when the target already received objects from the package's source, else "
        "skips them (the plan says which and why).",
    ),
]
StatusOption = Annotated[
    StatusName | None,
    typer.Option("--status", help="Save only, or also submit a version (default: submitted)."),
]
TargetDirOption = Annotated[
    str | None,
    typer.Option("--target-dir", metavar="FOLDER", help="Folder for new jobs, e.g. /release/42."),
]
ParamOption = Annotated[
    list[str] | None,
    typer.Option(
        "--param",
        metavar="NAME=VALUE",
        help="NAME=VALUE: set a job parameter the jobs declare (repeat).",
    ),
]
ReplaceOption = Annotated[
    list[str] | None,
    typer.Option(
        "--replace",
        metavar="TYPE:NAME=NEW",
        help="Map an environment object to another, with TYPE as in DataArts 'resources' (e.g. "
        "DWS_CONNECTION); repeat.",
    ),
]
ExecuteUserOption = Annotated[
    str | None,
    typer.Option(
        "--execute-user", metavar="USER", help="Set basicConfig.executeUser of every job."
    ),
]
ModeOption = Annotated[
    ModeName, typer.Option("--mode", help="atomic: all or nothing; per-object: what passes.")
]
AllObjectsOption = Annotated[
    bool,
    typer.Option(
        "--all-objects",
        help="List every object of the plan (past a screenful it is summarised).",
    ),
]
PropagateOption = Annotated[
    bool,
    typer.Option(
        "--propagate-deletes",
        help="Delete what this workspace received from the package's source and the source "
        "no longer has (a whole-workspace export, or one carrying its deletions).",
    ),
]
DriftOption = Annotated[
    DriftName,
    typer.Option(
        "--on-drift",
        help="Objects changed here since the last import wrote them: fail (default), keep "
        "the change (keep-target), or overwrite it (take-package).",
    ),
]
SchedulingOption = Annotated[
    SchedulingName,
    typer.Option(
        "--scheduling",
        help="Scheduled jobs to overwrite: refuse (default), or stop them, write and start "
        "them again in the import (pause-and-restore).",
    ),
]
ProfileMapOption = Annotated[
    str | None,
    typer.Option(
        "--profile-map",
        metavar="NAME|FILE",
        help="Environment profile: the name of a profile stored in the target workspace, or a "
        "JSON/YAML file sent inline.",
    ),
]


def target_status(name: str | None) -> TargetStatus | None:
    """The ``targetStatus`` a ``--status`` choice names."""
    return None if name is None else from_kebab(TargetStatus, name)


def _pairs(values: list[str] | None, what: str, example: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for value in values or []:
        key, equals, item = value.partition("=")
        if not equals or not key.strip():
            raise CliUsageError(f"{what} {value!r} is not NAME=VALUE (e.g. {example}).")
        found[key.strip()] = item
    return found


@dataclass(frozen=True)
class ImportOptions:
    """The options ``plan`` and ``import`` share, in the domain's vocabulary."""

    policy: SameNamePolicy = SameNamePolicy.AUTO
    status: TargetStatus | None = None
    target_dir: str | None = None
    params: list[str] | None = None
    replaces: list[str] | None = None
    execute_user: str | None = None
    mode: ImportMode = ImportMode.ATOMIC
    profile_map: str | None = None
    zone_move: ZoneMoveOptions = NO_ZONE_MOVE
    propagate_deletes: bool = False
    on_drift: DriftPolicy = DriftPolicy.FAIL
    scheduling: SchedulingPolicy = SchedulingPolicy.REFUSE

    @classmethod
    def chosen(
        cls, policy: str, mode: str, on_drift: str, scheduling: str, **others: Any
    ) -> ImportOptions:
        """The options from the command line's kebab-case choices (and the other options)."""
        return cls(
            policy=from_kebab(SameNamePolicy, policy),
            mode=from_kebab(ImportMode, mode),
            on_drift=from_kebab(DriftPolicy, on_drift),
            scheduling=from_kebab(SchedulingPolicy, scheduling),
            **others,
        )

    def body(self) -> dict[str, Any]:
        """The ImportFileReq (without ``path``) the options describe."""
        body: dict[str, Any] = {"sameNamePolicy": str(self.policy)}
        if self.status is not None:
            body["targetStatus"] = self.status.value
        if self.target_dir:
            body["targetDirectory"] = self.target_dir
        if self.params:
            body["params"] = _pairs(self.params, "--param", "env=prod")
        if self.replaces:
            body["resources"] = _resources(self.replaces)
        if self.execute_user:
            body["executeUser"] = self.execute_user
        if self.mode is not ImportMode.ATOMIC:
            body["mode"] = str(self.mode)
        choice = profile_reference(self.profile_map)
        if choice is not None:
            body["profile"] = choice.reference
        block = self.zone_move.block()
        if block is not None:
            body["timeZone"] = block
        return body | self._promotion()

    def flags(self) -> list[str]:
        """The options as the command line gives them, those left at their defaults left out:
        what a message repeats in the command it names, so that it imports what was planned."""
        said = [] if self.policy is SameNamePolicy.AUTO else ["--policy", kebab(self.policy)]
        said += [] if self.status is None else ["--status", kebab(self.status)]
        for flag, values in (
            ("--target-dir", [self.target_dir]),
            ("--param", self.params),
            ("--replace", self.replaces),
            ("--execute-user", [self.execute_user]),
        ):
            said += [word for value in values or [] if value for word in (flag, value)]
        said += [] if self.mode is ImportMode.ATOMIC else ["--mode", kebab(self.mode)]
        said += ["--profile-map", self.profile_map] if self.profile_map else []
        return said + self.zone_move.flags() + self._promotion_flags()

    def _promotion_flags(self) -> list[str]:
        """The repeated-promotion options as the command line gives them."""
        said = ["--propagate-deletes"] if self.propagate_deletes else []
        said += [] if self.on_drift is DriftPolicy.FAIL else ["--on-drift", kebab(self.on_drift)]
        if self.scheduling is not SchedulingPolicy.REFUSE:
            said += ["--scheduling", kebab(self.scheduling)]
        return said

    def _promotion(self) -> dict[str, Any]:
        """The repeated-promotion options, when they differ from the defaults."""
        out: dict[str, Any] = {}
        if self.propagate_deletes:
            out["propagateDeletes"] = True
        if self.on_drift is not DriftPolicy.FAIL:
            out["onDrift"] = str(self.on_drift)
        if self.scheduling is not SchedulingPolicy.REFUSE:
            out["scheduling"] = str(self.scheduling)
        return out


@takes("zone_move", zone_move_options)
def import_settings(
    policy: PolicyOption = DEFAULT_POLICY,
    status: StatusOption = None,
    target_dir: TargetDirOption = None,
    param: ParamOption = None,
    replace: ReplaceOption = None,
    execute_user: ExecuteUserOption = None,
    mode: ModeOption = DEFAULT_MODE,
    profile_map: ProfileMapOption = None,
    zone_move: ZoneMoveOptions = NO_ZONE_MOVE,
    propagate_deletes: PropagateOption = False,
    on_drift: DriftOption = DEFAULT_DRIFT,
    scheduling: SchedulingOption = DEFAULT_SCHEDULING,
) -> ImportOptions:
    """The options ``plan`` and ``import`` share (cli.optionsets), as the import's settings."""
    return ImportOptions.chosen(
        policy,
        mode,
        on_drift,
        scheduling,
        status=target_status(status),
        target_dir=target_dir,
        params=param,
        replaces=replace,
        execute_user=execute_user,
        profile_map=profile_map,
        zone_move=zone_move,
        propagate_deletes=propagate_deletes,
    )


@dataclass(frozen=True)
class SettingFlag:
    """An import setting (``domain.importsettings``) as this command line spells it: its
    option (``--on-drift``), and each value in the kebab case of its enum."""

    setting: Setting
    option: str
    """The commands' parameter name (``on_drift``)."""

    @property
    def flag(self) -> str:
        """The option as typed: ``--on-drift``."""
        return "--" + self.option.replace("_", "-")

    def wire(self, given: Any) -> Any:
        """The wire value of a choice given on the command line."""
        vocabulary = self.setting.vocabulary
        return str(from_kebab(vocabulary, given)) if vocabulary is not None else given

    def said(self, wire: Any) -> str:
        """The option that asks for ``wire``: ``--on-drift take-package``, ``--keep-deletes``."""
        vocabulary = self.setting.vocabulary
        if vocabulary is not None:
            return f"{self.flag} {kebab(vocabulary(str(wire)))}"
        if self.setting.attribute == "propagate_deletes":
            return "--propagate-deletes" if wire else "--keep-deletes"
        return f"{self.flag} {wire if isinstance(wire, str) else 'inline'}"


SETTING_FLAGS = tuple(
    SettingFlag(BY_WIRE[wire], option)
    for wire, option in (
        ("sameNamePolicy", "policy"),
        ("propagateDeletes", "propagate_deletes"),
        ("onDrift", "on_drift"),
        ("scheduling", "scheduling"),
        ("mode", "mode"),
        ("profile", "profile"),
    )
)
"""The one table of the import settings' options, shared by ``promote`` and ``routes``."""
FLAG_OF = {flag.setting.wire: flag for flag in SETTING_FLAGS}


def settings_given(options: dict[str, Any]) -> dict[str, Any]:
    """The import settings a command's ``options`` name (wire keys and values; an option not
    given, ``None``, or one the command does not have, is left out)."""
    return {
        flag.setting.wire: flag.wire(options[flag.option])
        for flag in SETTING_FLAGS
        if options.get(flag.option) is not None
    }


def said_setting(wire: str, value: Any) -> str:
    """The option asking for setting ``wire``'s ``value`` (a key no option has: as it is)."""
    flag = FLAG_OF.get(wire)
    if flag is None:
        return f"{wire} {value}"
    return flag.said(value)


def _resources(replaces: list[str]) -> list[dict[str, str]]:
    resources = []
    for source, new in _pairs(replaces, "--replace", "DWS_CONNECTION:dws_test=dws_prod").items():
        kind, colon, name = source.partition(":")
        if not colon or not kind or not name:
            raise CliUsageError(
                f"--replace {source}={new} needs TYPE:NAME=NEW, e.g. "
                "DWS_CONNECTION:dws_test=dws_prod."
            )
        resources.append({"name": name, "type": kind, "replace": new})
    return resources
