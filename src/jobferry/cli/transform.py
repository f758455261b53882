"""``jobferry package transform``: an environment profile and/or a time-zone move applied to a
package offline, with the import's own transform step
(:mod:`jobferry.services.importing.offline`), written as a new package."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from jobferry.cli.changeview import change_line
from jobferry.cli.exits import CliUsageError, ExitCode
from jobferry.cli.optionsets import takes
from jobferry.cli.output import Output
from jobferry.cli.package import PackageArg, output_option, read, write_atomically
from jobferry.cli.planview import problem_lines
from jobferry.cli.profile_options import (
    NO_ZONE_MOVE,
    ZoneMoveOptions,
    fetch_profile,
    time_zone_move,
    zone_move_options,
)
from jobferry.cli.session import JsonOption, session
from jobferry.package import signature

if TYPE_CHECKING:
    from jobferry.services.importing.offline import TransformedPackage


@takes("zone_move", zone_move_options)
def transform_command(
    ctx: typer.Context,
    file: PackageArg,
    profile: Annotated[
        str | None,
        typer.Option(
            "--profile",
            metavar="NAME|FILE",
            help="Environment profile: a JSON/YAML file, or the name of a profile stored in "
            "the context's workspace (fetched once).",
        ),
    ] = None,
    zone_move: ZoneMoveOptions = NO_ZONE_MOVE,
    sign_key: Annotated[
        Path | None,
        typer.Option(
            "--sign-key",
            metavar="FILE",
            help="Sign the new package with this PEM private key.",
            exists=True,
        ),
    ] = None,
    output: Annotated[
        Path | None, output_option("The new package (default: <name>-<profile>.zip).")
    ] = None,
    json_mode: JsonOption = False,
) -> None:
    """Apply an environment profile / time-zone move and write a new package."""
    s = session(ctx, json_mode)
    block = zone_move.block()
    if profile is None and block is None:
        raise CliUsageError("Say what to apply: --profile NAME|FILE and/or --timezone ZONE.")
    if output is not None and output.resolve() == file.resolve():
        raise CliUsageError(
            f"-o {output} is the package being transformed; write the new package to another "
            "file (without -o: beside it, named for the profile or zone): the package it came "
            "from is what package diff and a later audit compare it with."
        )
    pem = _signing_key(sign_key)
    choice = fetch_profile(s, profile) if profile is not None else None
    label: dict[str, Any] = dict(choice.label) if choice is not None else {}
    if block is not None:
        label["timeZone"] = block
    # Imported here: the import's model reaches the storage layer (SQLAlchemy, ~0.2 s), which
    # no other command of a CLI process that only talks HTTP needs.
    from jobferry.services.importing.offline import transform_package

    result = transform_package(
        read(file),
        choice.profile if choice is not None else None,
        time_zone_move(block),
        label=label,
        private_pem=pem,
    )
    stem = choice.label["profile"] if choice is not None else str(zone_move.zone)
    target = output or file.with_name(f"{file.stem}-{Path(stem.replace('/', '_')).stem}.zip")
    show_transform(s.output, file, label, result, target)


def _signing_key(sign_key: Path | None) -> bytes | None:
    """The PEM private key to sign the new package with, checked before any work is done."""
    if sign_key is None:
        return None
    pem = sign_key.read_bytes()
    try:
        signature.public_key_of(pem)
    except ValueError as exc:
        raise CliUsageError(f"--sign-key {sign_key}: {exc}.") from exc
    return pem


def show_transform(
    out: Output, file: Path, label: dict[str, Any], result: TransformedPackage, target: Path
) -> None:
    """The objects that changed; then the new package written to ``target``, or the problems
    that kept it from being written (exit 3)."""
    view: dict[str, Any] = {
        "source": str(file),
        "transform": label,
        "objects": [o.as_json() for o in result.objects],
        "problems": [p.as_json() for p in result.problems],
    }
    if not out.json_mode:
        for obj in result.objects:
            if obj.changes or obj.schedule:
                out.line(f"{obj.kind} {obj.name}", style="bold")
                for change in obj.changes:
                    out.line(change_line(change.as_json()))
                for note in obj.notes:  # a keepInstant move that holds only until a date
                    out.line(f"  note: {note['field']} {note['note']}.", style="yellow")
        changed = sum(1 for o in result.objects if o.changes)
        out.line(f"{changed} of {len(result.objects)} object(s) changed.")
    if result.data is None:
        if not out.json_mode:
            problem_lines(out, view["problems"])
        out.finish(view, ExitCode.PROBLEMS, "Nothing was written: the transform has problems.")
        return
    write_atomically(target, result.data)
    view.update(file=str(target), signed=result.signed)
    signed = " (signed)" if result.signed else ""
    out.finish(view, ExitCode.OK, f"Wrote {target}{signed}.")
