"""``jobferry package …``: offline package tools, no server needed.

They reuse the server's own code, so a package passes here exactly when it would pass there:
:func:`jobferry.package.reader.read_package` (every safety rule and the manifest hashes),
:mod:`jobferry.package.signature` (Ed25519 keys, ``manifest.sig``),
:mod:`jobferry.package.compare` (``package diff``, with the plan's field-level diff) and the
import's own transform step for ``package transform`` (:mod:`jobferry.cli.transform`).

``package verify`` exit codes: 0 when the hashes match and the signature is what was asked
for; 3 when an entry does not match the manifest, the signature is ``invalid``, or — when
trusted keys are given (``--key``) or a signature is required (``--require-signed``) — the
package is unsigned or signed by a key that is not among them.
"""

from __future__ import annotations

import os
import tempfile
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from jobferry.cli.changeview import change_line
from jobferry.cli.exits import CliUsageError, ExitCode
from jobferry.cli.output import Output
from jobferry.cli.packageview import show_package
from jobferry.cli.session import JsonOption, session
from jobferry.cli.verdict import listed_keys, verdict
from jobferry.package import signature
from jobferry.package.compare import ObjectStatus, PackageComparison, compare_packages
from jobferry.package.manifest import deleted_objects, entry_count
from jobferry.package.reader import (
    PackageObject,
    ReadLimits,
    ReadPackage,
    read_package,
)

app = typer.Typer(help="Offline package tools (no server needed).", no_args_is_help=True)

PackageArg = Annotated[
    Path,
    typer.Argument(help="A package (zip) file.", exists=True, dir_okay=False, readable=True),
]


def output_option(help: str) -> Any:
    """The ``--output``/``-o FILE`` option of a command that writes a package (``help``: where
    it goes by default)."""
    return typer.Option("--output", "-o", metavar="FILE", help=help)


class Limits(StrEnum):
    """Which read limits to check against."""

    JOBFERRY = "jobferry"
    DATAARTS = "dataarts"


LimitsOption = Annotated[
    Limits,
    typer.Option(
        "--limits",
        help="Read limits: jobferry's defaults, or DataArts' own (10 MB / 10 MB).",
    ),
]


def read(path: Path, limits: Limits = Limits.JOBFERRY) -> ReadPackage:
    """Read a package with every rule the server applies (PackageError when it breaks one)."""
    return read_package(path, ReadLimits.dataarts() if limits is Limits.DATAARTS else ReadLimits())


def object_view(obj: PackageObject) -> dict[str, Any]:
    """An object of a package, without its document."""
    return {"kind": obj.kind, "name": obj.name, "path": obj.path, "folder": obj.folder}


@app.command("inspect")
def inspect_package(
    ctx: typer.Context,
    file: PackageArg,
    limits: LimitsOption = Limits.JOBFERRY,
    json_mode: JsonOption = False,
) -> None:
    """What a package holds: layout, objects, manifest (reading verifies every hash)."""
    s = session(ctx, json_mode)
    pkg = read(file, limits)
    out = s.output
    manifest = pkg.manifest
    view = {
        "file": str(file),
        "size": pkg.size,
        "sha256": pkg.sha256,
        "layout": pkg.layout,
        "signed": pkg.signature is not None,
        "manifest": manifest,
        "objects": [object_view(o) for o in pkg.objects],
        "deletions": [
            {"kind": kind, "uid": uid, "name": name}
            for kind, uid, name in deleted_objects(manifest)
        ],
    }
    if out.json_mode:
        out.emit(view)
        return
    show_package(out, file, pkg)


@app.command("diff")
def diff_packages(
    ctx: typer.Context,
    before: Annotated[Path, typer.Argument(help="The older package.", exists=True, dir_okay=False)],
    after: Annotated[Path, typer.Argument(help="The newer package.", exists=True, dir_okay=False)],
    json_mode: JsonOption = False,
) -> None:
    """Compare two packages object by object, and field by field where both have an object."""
    s = session(ctx, json_mode)
    comparison = compare_packages(read(before), read(after))
    show_comparison(s.output, before, after, comparison)


def show_comparison(out: Output, before: Path, after: Path, comparison: PackageComparison) -> None:
    """The comparison: JSON as is; else the objects that differ, their field diffs, a summary."""
    lines = [o.as_json() for o in comparison.objects]
    summary = comparison.summary()
    if out.json_mode:
        out.emit(
            {
                "before": {"file": str(before), "sha256": comparison.before_sha256},
                "after": {"file": str(after), "sha256": comparison.after_sha256},
                "identical": comparison.identical,
                "summary": summary,
                "objects": lines,
            }
        )
        return
    out.table(
        ("status", "kind", "name"),
        [
            (
                o.status.value,
                o.kind,
                o.name if o.previous_name is None else f"{o.previous_name} → {o.name}",
            )
            for o in comparison.objects
            if o.status is not ObjectStatus.SAME
        ],
        empty="no object differs",
    )
    for line in lines:
        if line.get("diff"):
            out.line(f"{line['kind']} {line['name']}", style="bold")
            for change in line["diff"]:
                out.line(change_line(change))
    out.line(", ".join(f"{count} {status}" for status, count in summary.items()))


# -- keys and signatures ----------------------------------------------------------------


def write_atomically(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder (never half a
    file under the final name), with permissions ``mode``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(name, mode)
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def trusted_keys(values: list[str] | None) -> list[str]:
    """Public keys given as ``ed25519:…`` text, or as files holding that text or a PEM block."""
    keys: list[str] = []
    for value in values or []:
        text = value
        if not value.strip().startswith(signature.PUBLIC_KEY_PREFIX):
            path = Path(value).expanduser()
            if not path.is_file():
                raise CliUsageError(
                    f"--key {value!r} is neither an '{signature.PUBLIC_KEY_PREFIX}…' public key "
                    "nor a file holding one."
                )
            text = path.read_text(encoding="utf-8")
        try:
            keys.append(signature.normalize_public_key(text))
        except ValueError as exc:
            raise CliUsageError(f"--key {value}: {exc}.") from exc
    return keys


@app.command("keygen")
def keygen(
    ctx: typer.Context,
    name: Annotated[
        Path,
        typer.Argument(help="Key file stem: writes NAME.pem (private, 0600) and NAME.pub."),
    ],
    force: Annotated[bool, typer.Option("--force", help="Replace existing key files.")] = False,
    json_mode: JsonOption = False,
) -> None:
    """Generate an Ed25519 signing key pair for 'package sign'."""
    s = session(ctx, json_mode)
    private, public = name.with_name(name.name + ".pem"), name.with_name(name.name + ".pub")
    existing = [str(p) for p in (private, public) if p.exists()]
    if existing and not force:
        raise CliUsageError(f"{', '.join(existing)} exist already; pass --force to replace them.")
    pair = signature.generate_key_pair()
    write_atomically(private, pair.private_pem, 0o600)
    write_atomically(public, (pair.public_key + "\n").encode())
    view = {
        "keyId": pair.key_id,
        "publicKey": pair.public_key,
        "privateKeyFile": str(private),
        "publicKeyFile": str(public),
    }
    if s.output.json_mode:
        s.output.emit(view)
        return
    s.output.fields(
        [
            ("key id", pair.key_id),
            ("public key", pair.public_key),
            ("private key", f"{private} (keep it secret)"),
            ("public key file", public),
        ]
    )


@app.command("sign")
def sign(
    ctx: typer.Context,
    file: PackageArg,
    key: Annotated[
        Path,
        typer.Option(
            "--key",
            metavar="FILE",
            help="The PEM private key (from 'package keygen').",
            exists=True,
        ),
    ],
    output: Annotated[
        Path | None, output_option("Write the signed package here (default: in place).")
    ] = None,
    json_mode: JsonOption = False,
) -> None:
    """Sign a package: add manifest.sig (Ed25519 over manifest.json)."""
    s = session(ctx, json_mode)
    try:
        signed = signature.sign_package(file, key.read_bytes())
    except ValueError as exc:
        raise CliUsageError(f"--key {key}: {exc}.") from exc
    target = output or file
    write_atomically(target, signed)
    check = signature.verify_package(signed, [signature.public_key_of(key.read_bytes())])[1]
    view = {"file": str(target), "keyId": check.key_id, "state": check.state}
    s.output.result(view, f"Signed {target} with key {check.key_id}.")


@app.command("verify")
def verify(
    ctx: typer.Context,
    file: PackageArg,
    key: Annotated[
        list[str] | None,
        typer.Option(
            "--key",
            metavar="KEY|FILE",
            help="A trusted public key: 'ed25519:…' or a file holding it (repeat for several).",
        ),
    ] = None,
    trusted_file: Annotated[
        Path | None,
        typer.Option(
            "--trusted-keys",
            metavar="FILE",
            help="A file of trusted public keys (one 'ed25519:…' per line, or what "
            "'jobferry keys list --json' prints, with --distrusted: the keys it marks distrusted "
            "fail the check) for offline use.",
        ),
    ] = None,
    require_signed: Annotated[
        bool,
        typer.Option(
            "--require-signed", help="Unsigned packages and unknown signers fail (exit 3)."
        ),
    ] = False,
    limits: LimitsOption = Limits.JOBFERRY,
    json_mode: JsonOption = False,
) -> None:
    """Verify a package: its entries against manifest.json and its signature against trusted
    keys. Says what was and was not verified; exit 3 when verification fails or verified
    nothing (no manifest.json), or when --require-signed is not met."""
    s = session(ctx, json_mode)
    trusted, distrusted = trusted_keys(key), list[str]()
    if trusted_file is not None:
        listed, distrusted = listed_keys(trusted_file, "--trusted-keys")
        trusted += listed
    read_limits = ReadLimits.dataarts() if limits is Limits.DATAARTS else ReadLimits()
    pkg, check = signature.verify_package(file, trusted, read_limits, distrusted)
    entries = entry_count(pkg.manifest)
    judged = verdict(
        manifest=pkg.manifest is not None,
        entries=entries,
        check=check,
        keys_given=bool(trusted),
        require_signed=require_signed,
    )
    failed = not judged.ok
    view = {
        "file": str(file),
        "sha256": pkg.sha256,
        "manifest": pkg.manifest is not None,
        "entriesVerified": entries,
        "signature": check.as_json(),
        "ok": not failed,
        "verified": judged.verified,
        "notVerified": judged.not_verified,
        "summary": judged.summary,
    }
    out = s.output
    if not out.json_mode:
        out.fields(
            [
                ("file", file),
                ("sha256", pkg.sha256),
                (
                    "entries",
                    f"{entries} verified against manifest.json"
                    if pkg.manifest is not None
                    else "no manifest.json: nothing to verify hashes against",
                ),
                (
                    "signature",
                    f"{check.state}" + (f" (key {check.key_id})" if check.key_id else ""),
                ),
                ("detail", check.detail),
            ]
        )
    if failed:
        out.finish(
            view, ExitCode.PROBLEMS, f"{file} failed verification ({check.state}): {judged.summary}"
        )
    out.finish(view, ExitCode.OK, judged.summary)
