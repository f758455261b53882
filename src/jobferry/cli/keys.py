"""``jobferry keys …``: the workspace's package signing key and the keys it trusts.

A workspace with a signing key signs the packages it exports (``manifest.sig``); a workspace
imports a signed package when it trusts the signer's public key (and, with ``requireSigned``,
only then). ``keys show`` prints the public half to hand to the next environment, where ``keys
trust`` adds it. The private half never leaves the server. ``keys distrust`` remembers the key
as distrusted: the packages it signs are refused from then on (``keys list --distrusted``
shows it, ``keys trust`` trusts it again).
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Annotated, Any

import typer

from jobferry.cli.client import ApiError, segment
from jobferry.cli.exits import CliUsageError
from jobferry.cli.files import file_text
from jobferry.cli.fix_terms import in_workspace
from jobferry.cli.output import epoch_ms, mapping
from jobferry.cli.session import (
    Column,
    JsonOption,
    Session,
    WorkspaceOption,
    list_answer,
    session,
)
from jobferry.errors import KeyNotFoundError

app = typer.Typer(
    help="The workspace's package signing key and the public keys it trusts.",
    no_args_is_help=True,
)


def _key_fields(answer: dict[str, Any]) -> list[tuple[str, Any]]:
    return [
        ("key id", answer.get("keyId")),
        ("public key", answer.get("publicKey")),
        ("created (UTC)", epoch_ms(answer.get("createTime"))),
        ("by", answer.get("createUser")),
    ]


@app.command("create")
def create_key(
    ctx: typer.Context,
    replace: Annotated[
        bool,
        typer.Option(
            "--replace", help="Replace the key the workspace has (targets must trust the new one)."
        ),
    ] = False,
    json_mode: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Create the workspace's signing key (--replace: a new one in place of the one it has);
    prints its public half."""
    s = session(ctx, json_mode, workspace)
    old = _current_key(s)
    if old is not None and not replace:
        label = s.workspace_label()
        raise CliUsageError(
            f"{label[:1].upper()}{label[1:]} has signing key {old.get('keyId')} (created "
            f"{epoch_ms(old.get('createTime'))} UTC by {old.get('createUser')}). A new key "
            "replaces it, and a target that trusts only that key refuses the packages signed "
            "from then on: replace it with jobferry keys create --replace, then trust the new "
            "key where its packages are imported."
        )
    answer = mapping(s.client().call("POST", "/signing-key"))
    out = s.output
    if out.json_mode:
        out.emit(answer)
        return
    out.fields(_key_fields(answer))
    if old is not None:
        out.note(
            f"It replaces key {old.get('keyId')}, which signs nothing from now on: where it was "
            "trusted, trust the new one instead, and if it leaked, distrust it there: jobferry "
            f"keys distrust {old.get('keyId')} -w TARGET."
        )
    out.note(
        f"Exports of {s.workspace_label()} are signed from now on; trust the public key where "
        f"they are imported: jobferry keys trust NAME '{answer.get('publicKey')}' -w TARGET."
    )


def _current_key(s: Session) -> dict[str, Any] | None:
    """The workspace's signing key as the server shows it (``None``: it has none)."""
    try:
        return mapping(s.client().get("/signing-key"))
    except ApiError as exc:
        if exc.code == KeyNotFoundError.code:
            return None
        raise


@app.command("show")
def show_key(
    ctx: typer.Context, json_mode: JsonOption = False, workspace: WorkspaceOption = None
) -> None:
    """Show the public half of the workspace's signing key."""
    s = session(ctx, json_mode, workspace)
    answer = mapping(s.client().get("/signing-key"))
    if s.output.json_mode:
        s.output.emit(answer)
        return
    s.output.fields(_key_fields(answer))


@app.command("delete")
def delete_key(
    ctx: typer.Context, json_mode: JsonOption = False, workspace: WorkspaceOption = None
) -> None:
    """Delete the signing key: the workspace's exports are no longer signed."""
    s = session(ctx, json_mode, workspace)
    s.client().call("DELETE", "/signing-key")
    s.output.result(
        {"deleted": "signing-key"},
        f"Deleted the signing key of {s.workspace_label()}; its exports are no longer signed.",
    )


@app.command("list")
def list_trusted(
    ctx: typer.Context,
    distrusted: Annotated[
        bool,
        typer.Option(
            "--distrusted",
            help="Also list the keys the workspace distrusts (marked; packages they sign are "
            "refused).",
        ),
    ] = False,
    json_mode: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """List the public keys whose signatures the workspace accepts (--distrusted: and those it
    distrusts)."""
    columns: list[Column] = [
        ("key id", "keyId", None),
        ("name", "name", None),
        ("public key", "publicKey", None),
        ("added (UTC)", "addTime", epoch_ms),
        ("by", "addUser", None),
    ]
    if distrusted:
        columns += [
            ("state", "distrusted", lambda v: "distrusted" if v else "trusted"),
            ("distrusted (UTC)", "distrustTime", epoch_ms),
            ("distrusted by", "distrustUser", lambda v: v or ""),
        ]
    empty = "No trusted or distrusted keys." if distrusted else "No trusted keys."
    query = {"distrusted": "true"} if distrusted else {}
    list_answer(
        session(ctx, json_mode, workspace), "/trusted-keys", "keys", columns, empty, **query
    )


@app.command("trust")
def trust_key(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="A label, e.g. the environment that signs.")],
    public_key: Annotated[
        str | None,
        typer.Argument(
            metavar="KEY",
            help="'ed25519:…' as 'keys show' prints it (or give --file).",
            show_default=False,
        ),
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option("--file", "-f", help="A NAME.pub or PEM public key file.", metavar="FILE"),
    ] = None,
    json_mode: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Trust a public key: packages it signed are accepted by imports here."""
    s = session(ctx, json_mode, workspace)
    if (public_key is None) == (file is None):
        raise CliUsageError(
            "keys trust needs the public key once: as an argument ('ed25519:…') or with --file."
        )
    text = public_key if public_key is not None else _read_key(file)
    answer = mapping(s.client().call("POST", "/trusted-keys", {"name": name, "publicKey": text}))
    s.output.result(
        answer,
        f"Trusted key {answer.get('keyId')} ('{name}') in {s.workspace_label()}.",
    )


def _read_key(file: Path | None) -> str:
    assert file is not None
    return file_text(file).strip()


@app.command("distrust")
def distrust_key(
    ctx: typer.Context,
    key_id: Annotated[
        str | None,
        typer.Argument(help="The key id ('keys list'); or give --public-key or --file."),
    ] = None,
    public_key: Annotated[
        str | None,
        typer.Option(
            "--public-key",
            help="The public key ('ed25519:…'), trusted here or not: e.g. another workspace's "
            "signing key that leaked.",
            metavar="KEY",
        ),
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option("--file", "-f", help="A NAME.pub or PEM public key file.", metavar="FILE"),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option(
            "--name",
            help="A label for a key not listed here (a listed key keeps its name).",
            metavar="LABEL",
        ),
    ] = None,
    json_mode: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Distrust a key: it is remembered, and packages it signs are refused from now on, whether
    or not the workspace requires signed packages ('keys trust' trusts it again). Give its id,
    or its public key (--public-key, --file) to distrust a key the workspace never trusted."""
    s = session(ctx, json_mode, workspace)
    if sum(given is not None for given in (key_id, public_key, file)) != 1:
        raise CliUsageError(
            "keys distrust needs the key once: its id (keys list), or its public key with "
            "--public-key 'ed25519:…' or --file."
        )
    w = in_workspace(s.fix_workspace())  # the way back trusts it in this same workspace
    if key_id is not None:
        if name is not None:
            raise CliUsageError("--name labels a key given by --public-key or --file only.")
        s.client().call("DELETE", f"/trusted-keys/{segment(key_id)}")
        answer: dict[str, Any] = {"distrusted": key_id}
        again = (
            f"jobferry keys trust NAME KEY{w} (jobferry keys list --distrusted{w} shows its KEY)"
        )
    else:
        text = public_key if public_key is not None else _read_key(file)
        body = {"publicKey": text} | ({"name": name} if name is not None else {})
        marked = mapping(s.client().call("POST", "/trusted-keys/distrust", body))
        key_id = str(marked.get("keyId"))
        answer = {"distrusted": key_id, "key": marked}
        label = shlex.quote(str(marked.get("name") or name or "NAME"))
        again = f"jobferry keys trust {label} {shlex.quote(text.strip())}{w}"
    s.output.result(
        answer,
        f"Key {key_id} is distrusted in {s.workspace_label()}: packages it signs are refused "
        "there from now on, whether or not signed packages are required. If that was a "
        f"mistake, trust it again with {again}.",
    )
