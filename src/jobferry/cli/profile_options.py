"""Options shared by ``import``/``plan`` and ``package transform``: profile and time-zone move.

An environment profile is named either by a file (JSON or YAML, checked here with the server's
own parser before anything is sent) or by the name of a profile stored in a workspace. A
time-zone move is ``--timezone ZONE`` with exactly one of ``--keep-instant`` (same absolute
instants, the expression is rewritten) or ``--keep-wall-clock`` (same local times, only the
zone changes); ``--source-zone`` is the zone of jobs whose schedule names none.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from jobferry.cli.client import segment
from jobferry.cli.documents import read_document
from jobferry.cli.exits import CliUsageError
from jobferry.cli.session import Session
from jobferry.domain.profile import (
    Profile,
    ProfileError,
    TimeZoneMove,
    parse_profile,
    parse_time_zone_move,
)
from jobferry.domain.schedule import parse_time_zone
from jobferry.domain.timeshift import ShiftMode

TimezoneOption = Annotated[
    str | None,
    typer.Option(
        "--timezone",
        metavar="ZONE",
        help="Move cron schedules to this zone (Europe/Berlin, GMT+08:00); needs "
        "--keep-instant or --keep-wall-clock.",
    ),
]
KeepInstantOption = Annotated[
    bool,
    typer.Option("--keep-instant", help="Fire at the same instants (rewrites the expression)."),
]
KeepWallClockOption = Annotated[
    bool,
    typer.Option("--keep-wall-clock", help="Fire at the same local times (only the zone changes)."),
]
SourceZoneOption = Annotated[
    str | None,
    typer.Option(
        "--source-zone",
        metavar="ZONE",
        help="Zone of schedules that name none (expressionTimeZone).",
    ),
]


def time_zone_block(
    zone: str | None, keep_instant: bool, keep_wall_clock: bool, source_zone: str | None
) -> dict[str, Any] | None:
    """The ``timeZone`` request block the options describe (``None`` without ``--timezone``)."""
    if zone is None:
        if keep_instant or keep_wall_clock or source_zone:
            raise CliUsageError(
                "--keep-instant, --keep-wall-clock and --source-zone go with --timezone ZONE."
            )
        return None
    if keep_instant == keep_wall_clock:
        raise CliUsageError(
            "--timezone needs exactly one of --keep-instant (same instants) or --keep-wall-clock "
            "(same local times)."
        )
    mode = ShiftMode.KEEP_INSTANT if keep_instant else ShiftMode.KEEP_WALL_CLOCK
    block: dict[str, Any] = {"zone": zone, "mode": mode.value}
    if source_zone:
        block["sourceZone"] = source_zone
    return block


@dataclass(frozen=True)
class ZoneMoveOptions:
    """The time-zone move the command line asks for, as given (checked by :meth:`block`)."""

    zone: str | None = None
    keep_instant: bool = False
    keep_wall_clock: bool = False
    source_zone: str | None = None

    def block(self) -> dict[str, Any] | None:
        """The ``timeZone`` request block (``None`` without ``--timezone``)."""
        return time_zone_block(self.zone, self.keep_instant, self.keep_wall_clock, self.source_zone)

    def flags(self) -> list[str]:
        """The move as the command line gave it (``[]`` without one)."""
        if self.zone is None:
            return []
        said = ["--timezone", self.zone]
        said += ["--keep-instant"] if self.keep_instant else []
        said += ["--keep-wall-clock"] if self.keep_wall_clock else []
        return said + (["--source-zone", self.source_zone] if self.source_zone else [])


NO_ZONE_MOVE = ZoneMoveOptions()


def zone_move_options(
    timezone: TimezoneOption = None,
    keep_instant: KeepInstantOption = False,
    keep_wall_clock: KeepWallClockOption = False,
    source_zone: SourceZoneOption = None,
) -> ZoneMoveOptions:
    """The options of a time-zone move (cli.optionsets): import, plan and package transform."""
    return ZoneMoveOptions(timezone, keep_instant, keep_wall_clock, source_zone)


def time_zone_move(block: dict[str, Any] | None) -> TimeZoneMove | None:
    """The parsed move of a ``timeZone`` block (for offline use)."""
    for key, option in (("zone", "--timezone"), ("sourceZone", "--source-zone")):
        zone = (block or {}).get(key)
        try:
            if zone is not None:
                parse_time_zone(zone)
        except ValueError as exc:
            raise CliUsageError(f"{option} {zone}: {exc}.") from exc
    problems: list[str] = []
    move = parse_time_zone_move(block, "--timezone", problems)
    if problems:
        raise CliUsageError("; ".join(problems) + ".")
    return move


@dataclass(frozen=True)
class ProfileChoice:
    """A profile named on the command line: the parsed profile and what to call it."""

    reference: str | dict[str, Any]
    """What an import request carries: the stored profile's name, or the document inline."""
    profile: Profile | None
    """The parsed profile, when it was read from a file or fetched."""
    label: dict[str, Any]
    """``{"profile": name, "version": n}`` for reports and manifests."""


def read_profile_file(path: Path) -> ProfileChoice:
    """A profile document from a JSON/YAML file, checked with the server's own parser."""
    profile = read_document(path, "profile", parse_profile)
    return ProfileChoice(profile.document, profile, {"profile": path.name, "version": None})


def profile_reference(value: str | None) -> ProfileChoice | None:
    """For import/plan: a file's document inline, else the name of a stored profile."""
    if value is None:
        return None
    path = Path(value).expanduser()
    if path.is_file():
        return read_profile_file(path)
    return ProfileChoice(value, None, {"profile": value, "version": None})


def fetch_profile(s: Session, value: str) -> ProfileChoice:
    """For offline transforms: a file, or a stored profile fetched from the endpoint."""
    path = Path(value).expanduser()
    if path.is_file():
        return read_profile_file(path)
    stored = s.client().get(f"/profiles/{segment(value)}")
    try:
        profile = parse_profile(stored.get("document"))
    except ProfileError as exc:
        raise CliUsageError(f"Stored profile '{value}' cannot be used: {exc}.") from exc
    return ProfileChoice(value, profile, {"profile": value, "version": stored.get("version")})
