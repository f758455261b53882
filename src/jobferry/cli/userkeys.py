"""``jobferry users keys new|add|list|revoke|members``: the keys a user approves plans with.

*Decision:* under ``users``, not ``keys``: ``jobferry keys`` holds the workspace's package
signing key and the keys it trusts (``keys list`` lists those), while these keys are a
person's, the same in every workspace. ``new`` makes an Ed25519 key pair on this machine (the
private key never goes to the server) and ``add`` registers its public half.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer

from jobferry.cli.client import segment
from jobferry.cli.exits import CliUsageError
from jobferry.cli.files import file_text
from jobferry.cli.output import epoch_ms, mapping, moment
from jobferry.cli.session import Column, JsonOption, WorkspaceOption, list_answer, session
from jobferry.domain.approvals import KEY_LABEL_LENGTH
from jobferry.package.keys import generate_key_pair, normalize_public_key

users_app = typer.Typer(help="Users: your own approval keys.", no_args_is_help=True)
app = typer.Typer(
    help="Your approval keys: the Ed25519 keys you sign release and route plans with.",
    no_args_is_help=True,
)
users_app.add_typer(app, name="keys")

COLUMNS: list[Column] = [
    ("key id", "keyId", None),
    ("user", "user", None),
    ("name", "name", None),
    ("registered (UTC)", "registerTime", epoch_ms),
    ("revoked (UTC)", "revokeTime", epoch_ms),
]


@app.command("new")
def new_key(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(help="Where to write the private key; FILE.pub gets the public key.")
    ],
    json_mode: JsonOption = False,
) -> None:
    """Make an Ed25519 key pair here: FILE (private) and FILE.pub; nothing is sent."""
    public = file.with_name(file.name + ".pub")
    for path in (file, public):
        if path.exists():
            raise CliUsageError(f"{path} exists; name a new file (keys are never overwritten).")
    pair = generate_key_pair()
    made: list[Path] = []
    try:
        for path, data, mode in (
            (file, pair.private_pem, 0o600),
            (public, f"{pair.public_key}\n".encode(), 0o644),
        ):
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
            made.append(path)
            with os.fdopen(descriptor, "wb") as stream:
                stream.write(data)
    except OSError as exc:  # half a pair is no key: nothing made is left behind
        for path in made:
            path.unlink(missing_ok=True)
        failed = exc.filename or (made[-1] if made else file)
        raise CliUsageError(
            f"Cannot write {failed}: {exc.strerror or exc}; no key was written."
        ) from exc
    session(ctx, json_mode, None).output.result(
        {"keyId": pair.key_id, "publicKey": pair.public_key, "file": str(file)},
        f"Wrote key {pair.key_id}: private key {file} (keep it to yourself), public key "
        f"{public}. Register it: jobferry users keys add {public}.",
    )


def _public_key(value: str) -> str:
    """The key ``value`` names: a file's (FILE.pub) or itself; a file that is not there is
    said to be missing, not read as a key that is none."""
    path = Path(value).expanduser()
    text = value
    if not value.startswith("ed25519:") and path.is_file():
        text = file_text(path)
    elif not value.startswith("ed25519:") and "BEGIN" not in value and not path.exists():
        raise CliUsageError(
            f"There is no file {value}: give the FILE.pub jobferry users keys new wrote, or the "
            "key itself ('ed25519:…')."
        )
    try:
        return normalize_public_key(text)
    except ValueError as exc:
        raise CliUsageError(f"{value} is not a public key: {exc}.") from exc


@app.command("add")
def add_key(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="A FILE.pub, or the key as 'ed25519:…'.")],
    name: Annotated[
        str,
        typer.Option("--name", help="A label, e.g. the machine the key lives on.", metavar="LABEL"),
    ] = "",
    json_mode: JsonOption = False,
) -> None:
    """Register one of your public keys for approvals."""
    if len(name) > KEY_LABEL_LENGTH:
        raise CliUsageError(
            f"--name is {len(name)} characters long; give a label of at most {KEY_LABEL_LENGTH}."
        )
    s = session(ctx, json_mode, None)
    body = {"publicKey": _public_key(key), "name": name}
    answer = mapping(s.client().call("POST", "/users/me/approval-keys", body))
    s.output.result(answer, f"Registered approval key {answer.get('keyId')}.")


@app.command("list")
def list_keys(ctx: typer.Context, json_mode: JsonOption = False) -> None:
    """Your approval keys, revoked ones too."""
    list_answer(
        session(ctx, json_mode, None), "/users/me/approval-keys", "keys", COLUMNS, "No keys."
    )


@app.command("members")
def member_keys(
    ctx: typer.Context, json_mode: JsonOption = False, workspace: WorkspaceOption = None
) -> None:
    """The approval keys of the workspace's members (its admins)."""
    list_answer(session(ctx, json_mode, workspace), "/approval-keys", "keys", COLUMNS, "No keys.")


@app.command("revoke")
def revoke_key(
    ctx: typer.Context,
    key_id: Annotated[str, typer.Argument(help="The key id ('users keys list').")],
    json_mode: JsonOption = False,
) -> None:
    """Revoke one of your keys: it signs nothing more, and its approvals count no more."""
    s = session(ctx, json_mode, None)
    answer: Any = s.client().call("DELETE", f"/users/me/approval-keys/{segment(key_id)}")
    # Revoking a revoked key again changes nothing: the time said is when it was revoked.
    since = moment(mapping(answer).get("revokeTime"))
    s.output.result(
        answer, f"Approval key {key_id} is revoked since {since}; its approvals count no more."
    )
