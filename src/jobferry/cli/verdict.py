"""What ``package verify`` proved and what it did not, in one sentence, and whether that is
enough: the exit code follows the user's requirements, never a bare "OK"."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from jobferry.cli.exits import CliUsageError
from jobferry.cli.files import file_text
from jobferry.package import signature
from jobferry.package.signature import SignatureCheck


@dataclass(frozen=True)
class Verdict:
    """The outcome of a verification: passed or not, and the sentence saying why."""

    ok: bool
    summary: str
    verified: list[str]
    not_verified: list[str]


def verdict(
    *, manifest: bool, entries: int, check: SignatureCheck, keys_given: bool, require_signed: bool
) -> Verdict:
    """Judge a package: entries against its manifest, and its signature against the keys."""
    verified: list[str] = []
    not_verified: list[str] = []
    failures: list[str] = []
    if manifest:
        verified.append(f"{entries} entries match manifest.json")
    else:
        not_verified.append("the entries (no manifest.json: DataArts exports have none)")
        failures.append("nothing could be checked")
    _judge_signer(check, keys_given, require_signed, (verified, not_verified, failures))
    checked = "; ".join(verified) or "nothing"
    unchecked = "; ".join(not_verified)
    if failures:
        summary = f"FAILED: {'; '.join(failures)}. Checked: {checked}."
    else:
        summary = f"OK: {checked}."
    if unchecked:
        summary += f" Not verified: {unchecked}."
    return Verdict(not failures, summary, verified, not_verified)


def _judge_signer(
    check: SignatureCheck,
    keys_given: bool,
    require_signed: bool,
    said: tuple[list[str], list[str], list[str]],
) -> None:
    """Add what the signature proved to ``said`` (verified, not verified, failures)."""
    verified, not_verified, failures = said
    state, key = check.state, check.key_id
    if state == signature.INVALID:
        failures.append(f"the signature is invalid ({check.detail})")
    elif state == signature.VALID:
        verified.append(f"signed by trusted key {key}")
    elif state == signature.DISTRUSTED:
        failures.append(f"key {key} is distrusted (the key listing marks it so)")
    elif state == signature.UNTRUSTED:
        not_verified.append(
            f"the signer: key {key} is not among the trusted keys"
            if keys_given
            else f"the signer: signed by key {key}, but no trusted key was given "
            "(--key or --trusted-keys)"
        )
        if keys_given or require_signed:
            failures.append(f"key {key} is not trusted")
    else:
        not_verified.append("the signer: the package is not signed")
        if require_signed:
            failures.append("the package is not signed (--require-signed)")
        elif keys_given:  # docs/cli.md: keys given and none signed it
            failures.append("the package is not signed, and trusted keys were given")


def keys_from_file(path: Path, option: str) -> list[str]:
    """Trusted public keys for offline use, from the file given with ``option``: one
    ``ed25519:…`` key per line (``#`` comments), or the JSON a server answers for ``GET
    /trusted-keys`` (``{"keys": [{"publicKey"}]}``), less the keys it marks distrusted (``keys
    list --distrusted --json``). Refused (usage) naming the option and the file when it cannot
    be read or holds anything else."""
    return listed_keys(path, option)[0]


def listed_keys(path: Path, option: str) -> tuple[list[str], list[str]]:
    """The trusted and the distrusted public keys of a file as :func:`keys_from_file` reads it
    (a key a line is trusted; a saved key listing marks the distrusted ones)."""
    text = file_text(path, f"the {option} file")
    try:
        if text.lstrip().startswith("{"):
            return _split_listing(orjson.loads(text).get("keys") or [])
        lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
        return [signature.normalize_public_key(line) for line in lines if line], []
    except ValueError as exc:
        raise CliUsageError(f"{option} {path}: {exc}.") from exc
    except (KeyError, TypeError, AttributeError) as exc:
        raise CliUsageError(
            f"{option} {path} is not a list of public keys: give one 'ed25519:…' key a line, or "
            "what 'jobferry keys list --json' prints."
        ) from exc


def _split_listing(listed: list[Any]) -> tuple[list[str], list[str]]:
    """A saved key listing's keys: those it trusts, and those it marks distrusted."""
    trusted: list[str] = []
    distrusted: list[str] = []
    for item in listed:
        key = signature.normalize_public_key(str(item["publicKey"]))
        (distrusted if item.get("distrusted") is True else trusted).append(key)
    return trusted, distrusted
