"""The options ``jobferry plan`` and ``jobferry import`` share, and the import body they make."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

from jobferry.cli.exits import CliUsageError
from jobferry.cli.profile_options import profile_reference, time_zone_block
from jobferry.domain.enums import TargetStatus


class Policy(StrEnum):
    """``sameNamePolicy``."""

    SKIP = "skip"
    OVERWRITE = "overwrite"


# ``--status``: the domain's ``targetStatus`` values in lower case. The choices are built from
# the enum at run time; the type checker sees a plain string.
if TYPE_CHECKING:
    StatusName = str
else:
    StatusName = Literal[tuple(status.lower() for status in TargetStatus)]


class Mode(StrEnum):
    """Import mode: all or nothing, or whatever passes the check."""

    ATOMIC = "atomic"
    PER_OBJECT = "per-object"


class Drift(StrEnum):
    """What to do with objects changed in the target since the last import wrote them."""

    FAIL = "fail"
    KEEP_TARGET = "keep-target"
    TAKE_PACKAGE = "take-package"


class Scheduling(StrEnum):
    """What to do with scheduled jobs the import writes."""

    REFUSE = "refuse"
    PAUSE_AND_RESTORE = "pause-and-restore"


SourceArg = Annotated[
    str,
    typer.Argument(
        metavar="FILE|obs://…",
        help="A local package file, or obs://bucket/key (or an upload:// path).",
    ),
]
PolicyOption = Annotated[
    Policy, typer.Option("--policy", help="Objects that exist already: skip or overwrite them.")
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
        help="TYPE:NAME=NEW: map an environment object, e.g. DWS_CONNECTION:dws_test=dws_prod "
        "(DataArts 'resources'; repeat).",
    ),
]
ExecuteUserOption = Annotated[
    str | None,
    typer.Option(
        "--execute-user", metavar="USER", help="Set basicConfig.executeUser of every job."
    ),
]
ModeOption = Annotated[
    Mode, typer.Option("--mode", help="atomic: all or nothing; per-object: what passes.")
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
    Drift,
    typer.Option(
        "--on-drift",
        help="Objects changed here since the last import wrote them: fail (default), keep "
        "the change (keep-target), or overwrite it (take-package).",
    ),
]
SchedulingOption = Annotated[
    Scheduling,
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
    return None if name is None else TargetStatus(name.upper())


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
    """The options ``plan`` and ``import`` share, as given on the command line."""

    policy: Policy = Policy.SKIP
    status: TargetStatus | None = None
    target_dir: str | None = None
    params: list[str] | None = None
    replaces: list[str] | None = None
    execute_user: str | None = None
    mode: Mode = Mode.ATOMIC
    profile_map: str | None = None
    timezone: str | None = None
    keep_instant: bool = False
    keep_wall_clock: bool = False
    source_zone: str | None = None
    propagate_deletes: bool = False
    on_drift: Drift = Drift.FAIL
    scheduling: Scheduling = Scheduling.REFUSE

    def body(self) -> dict[str, Any]:
        """The ImportFileReq (without ``path``) the options describe."""
        body: dict[str, Any] = {"sameNamePolicy": self.policy.value.upper()}
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
        if self.mode is Mode.PER_OBJECT:
            body["mode"] = "PER_OBJECT"
        choice = profile_reference(self.profile_map)
        if choice is not None:
            body["profile"] = choice.reference
        block = time_zone_block(
            self.timezone, self.keep_instant, self.keep_wall_clock, self.source_zone
        )
        if block is not None:
            body["timeZone"] = block
        return body | self._promotion()

    def _promotion(self) -> dict[str, Any]:
        """The repeated-promotion options, when they differ from the defaults."""
        out: dict[str, Any] = {}
        if self.propagate_deletes:
            out["propagateDeletes"] = True
        if self.on_drift is not Drift.FAIL:
            out["onDrift"] = self.on_drift.value.upper().replace("-", "_")
        if self.scheduling is not Scheduling.REFUSE:
            out["scheduling"] = self.scheduling.value.upper().replace("-", "_")
        return out


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
