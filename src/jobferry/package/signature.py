"""Signed packages: an Ed25519 signature over ``manifest.json``, checked offline.

``manifest.json`` lists every entry's sha256, and ``manifest.sig`` signs the exact manifest
bytes, so a package signed here cannot change by one byte without being refused:

* an entry's content → the reader's hash check refuses it, naming the entry;
* ``manifest.json`` → its sha256 no longer matches ``manifestSha256`` (or, if that was changed
  too, the signature no longer verifies): the check is ``invalid``;
* ``manifest.sig`` → it is not in canonical form, its fields do not fit together, or the
  signature does not verify: ``invalid``.

Keys (``ed25519:<base64>`` public keys, key ids, PEM private keys) are in
:mod:`jobferry.package.keys`.

``manifest.sig`` is canonical JSON (sorted keys, two-space indent, final newline, as the
manifest)::

    {
      "algorithm": "Ed25519",
      "keyId": "<16 hex>",
      "manifestSha256": "<64 hex>",
      "publicKey": "ed25519:<base64>",
      "signature": "<base64 of the 64-byte Ed25519 signature of the manifest bytes>"
    }

The signature is over the raw manifest bytes (no prefix), so any Ed25519 tool can check it.
A ``manifest.sig`` that is not byte for byte the canonical form of what it holds is refused,
as is base64 that is not canonical: an altered signature file is never accepted as if intact.

:func:`sign_package` first reads the package with the safe reader (a package that does not
match its own manifest is never signed), then copies every other entry with its content, name,
timestamp, permissions and compression method unchanged and appends ``manifest.sig`` last (fixed
timestamp, compressed as ``manifest.json`` is, so a stored package stays stored). Ed25519 is
deterministic, so the same package and key always give the same bytes, and signing a signed
package again gives exactly what signing the unsigned package would.
"""

from __future__ import annotations

import hashlib
import io
import struct
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature

from jobferry.errors import PackageError
from jobferry.package.keys import KEY_ID_LENGTH as KEY_ID_LENGTH
from jobferry.package.keys import PUBLIC_KEY_PREFIX as PUBLIC_KEY_PREFIX
from jobferry.package.keys import KeyPair as KeyPair
from jobferry.package.keys import (
    b64decode,
    b64encode,
    key_text,
    private_key,
)
from jobferry.package.keys import generate_key_pair as generate_key_pair
from jobferry.package.keys import key_id_of as key_id_of
from jobferry.package.keys import normalize_public_key as normalize_public_key
from jobferry.package.keys import parse_public_key as parse_public_key
from jobferry.package.keys import public_key_of as public_key_of
from jobferry.package.manifest import MANIFEST_NAME
from jobferry.package.manifest import SIGNATURE_NAME as SIGNATURE_NAME
from jobferry.package.reader import ReadLimits, ReadPackage, read_package
from jobferry.package.writer import COMPRESS_LEVEL, FIXED_DATE_TIME

ALGORITHM = "Ed25519"

UNSIGNED = "unsigned"
VALID = "valid"
UNTRUSTED = "untrusted"
INVALID = "invalid"
DISTRUSTED = "distrusted"

_SIGNATURE_BYTES = 64
_HEX = frozenset("0123456789abcdef")
_ZIP64_EXTRA = 0x0001
_EXTRA_HEADER = struct.Struct("<HH")
_FIELDS = ("algorithm", "keyId", "manifestSha256", "publicKey", "signature")
_RESIGN = "export and sign the package again from its source workspace"


@dataclass(frozen=True)
class SignatureCheck:
    """What the signature of a package says, in a word and in a sentence."""

    state: str
    """``unsigned``, ``valid`` (verifies and the key is trusted), ``untrusted`` (verifies, key
    not trusted), ``distrusted`` (verifies under a key the checker distrusts, whether or not it
    also counts among the trusted ones) or ``invalid`` (malformed, or the manifest or signature
    changed)."""
    key_id: str | None
    """The id of the signing key, when the signature names one that is well formed."""
    detail: str
    """Who signed, or exactly what is wrong and how to fix it."""

    def as_json(self) -> dict[str, Any]:
        """The wire form: ``{"state", "keyId", "detail"}``."""
        return {"state": self.state, "keyId": self.key_id, "detail": self.detail}


# --- signing -----------------------------------------------------------------------------------


def sign_manifest(manifest_bytes: bytes, private_pem: bytes) -> bytes:
    """The content of ``manifest.sig`` for these exact manifest bytes."""
    private = private_key(private_pem)
    public_key = key_text(private.public_key())
    document = {
        "algorithm": ALGORITHM,
        "keyId": key_id_of(public_key),
        "manifestSha256": hashlib.sha256(manifest_bytes).hexdigest(),
        "publicKey": public_key,
        "signature": b64encode(private.sign(manifest_bytes)),
    }
    return _canonical(document)


def sign_package(
    package: bytes | Path, private_pem: bytes, limits: ReadLimits | None = None
) -> bytes:
    """The package's zip bytes with ``manifest.sig`` added, or replaced if already signed.

    The package is read (and so verified against its manifest) first; every refusal is a
    :class:`PackageError`. A package without ``manifest.json`` cannot be signed.
    """
    read = read_package(package, limits or ReadLimits())
    data = package if isinstance(package, bytes) else _file_bytes(package, read)
    if read.manifest_bytes is None:
        raise no_manifest_to_sign()
    signature = sign_manifest(read.manifest_bytes, private_pem)
    return _with_signature(data, signature)


def _file_bytes(path: Path, read: ReadPackage) -> bytes:
    """The file that was just read, refusing it if it changed in between."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _refuse(
            "zip.invalid",
            f"the file '{path.name}' cannot be read ({exc.strerror or exc})",
            "check the path of the package",
        ) from exc
    if hashlib.sha256(data).hexdigest() != read.sha256:
        raise _refuse(
            "signature.changed",
            f"the file '{path.name}' changed while it was being signed",
            "sign it again once nothing else writes to it",
        )
    return data


def _with_signature(data: bytes, signature: bytes) -> bytes:
    """Every entry but ``manifest.sig`` copied unchanged, then the new ``manifest.sig``."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w") as target,
    ):
        for info in source.infolist():
            if info.filename == SIGNATURE_NAME:
                continue
            copy = zipfile.ZipInfo(info.filename, date_time=info.date_time)
            copy.compress_type = info.compress_type
            copy.create_system = info.create_system
            copy.external_attr = info.external_attr
            copy.comment = info.comment
            copy.extra = _without_zip64(info.extra)
            target.writestr(copy, source.read(info), compresslevel=_level(info.compress_type))
        entry = zipfile.ZipInfo(SIGNATURE_NAME, date_time=FIXED_DATE_TIME)
        entry.compress_type = source.getinfo(MANIFEST_NAME).compress_type
        entry.create_system = 3
        entry.external_attr = 0o100644 << 16
        target.writestr(entry, signature, compresslevel=_level(entry.compress_type))
        target.comment = source.comment
    return out.getvalue()


def _level(compress_type: int) -> int | None:
    return COMPRESS_LEVEL if compress_type == zipfile.ZIP_DEFLATED else None


def _without_zip64(extra: bytes) -> bytes:
    """The extra field minus zip64 records, which the writer adds itself when needed."""
    kept = bytearray()
    at = 0
    while at + _EXTRA_HEADER.size <= len(extra):
        kind, size = _EXTRA_HEADER.unpack_from(extra, at)
        end = at + _EXTRA_HEADER.size + size
        if kind != _ZIP64_EXTRA:
            kept += extra[at:end]
        at = end
    return bytes(kept)


# --- checking ----------------------------------------------------------------------------------


def check_signature(
    manifest_bytes: bytes | None,
    signature: bytes | None,
    trusted: Iterable[str],
    distrusted: Iterable[str] = (),
) -> SignatureCheck:
    """What ``manifest.sig`` says about these manifest bytes, given the trusted public keys
    and the ``distrusted`` ones (a signature that verifies under one of those is
    ``distrusted``, even when the key is among the ``trusted`` too).

    Never raises for a bad signature (that is ``invalid``); raises ValueError when one of the
    ``trusted`` texts is not a public key, naming which.
    """
    trusted_keys = _trusted(trusted)
    if signature is None:
        if manifest_bytes is None:
            return SignatureCheck(
                UNSIGNED,
                None,
                "the package is not signed and has no manifest.json; export it with a manifest "
                "(every jobferry export has one unless asked not to) and sign it to make it "
                "verifiable",
            )
        return SignatureCheck(
            UNSIGNED,
            None,
            "the package is not signed; sign it with the source workspace's key to let the "
            "target check who made it",
        )
    if manifest_bytes is None:
        return SignatureCheck(
            INVALID,
            None,
            f"the package carries manifest.sig but no manifest.json, so a signed package was "
            f"altered; {_RESIGN}",
        )
    fields = _fields(signature)
    if isinstance(fields, str):
        return SignatureCheck(INVALID, None, f"manifest.sig is malformed ({fields}); {_RESIGN}")
    key_id, public_key, expected_sha, signed = fields
    actual_sha = hashlib.sha256(manifest_bytes).hexdigest()
    if actual_sha != expected_sha:
        return SignatureCheck(
            INVALID,
            key_id,
            f"manifest.json was changed after signing: its sha256 is {actual_sha[:12]}…, "
            f"manifest.sig was made for {expected_sha[:12]}…; {_RESIGN}",
        )
    try:
        parse_public_key(public_key).verify(signed, manifest_bytes)
    except InvalidSignature:
        return SignatureCheck(
            INVALID,
            key_id,
            f"manifest.json or manifest.sig was changed after signing: the Ed25519 signature "
            f"of key {key_id} does not match the manifest; {_RESIGN}",
        )
    if public_key in _trusted(distrusted):
        return SignatureCheck(DISTRUSTED, key_id, f"signed by key {key_id}, which is distrusted")
    if public_key in trusted_keys:
        return SignatureCheck(VALID, key_id, f"signed by trusted key {key_id}")
    how = (
        f"if you trust its holder, add the public key {public_key} to the trusted keys and "
        "check again"
    )
    if any(key_id_of(k) == key_id for k in trusted_keys):
        return SignatureCheck(
            UNTRUSTED,
            key_id,
            f"signed by key {key_id}, which is not trusted here: a trusted key has the same id "
            f"but is a different key, so the signer only borrows its id; {how}",
        )
    return SignatureCheck(
        UNTRUSTED, key_id, f"signed by key {key_id}, which is not trusted here; {how}"
    )


def verify_package(
    package: bytes | Path,
    trusted: Iterable[str],
    limits: ReadLimits | None = None,
    distrusted: Iterable[str] = (),
) -> tuple[ReadPackage, SignatureCheck]:
    """Read the package (every entry checked against the manifest), then check its signature
    against the ``trusted`` keys and the ``distrusted`` ones.

    A changed entry raises :class:`PackageError` naming it; a changed manifest or signature
    gives an ``invalid`` check.
    """
    read = read_package(package, limits or ReadLimits())
    return read, check_signature(read.manifest_bytes, read.signature, trusted, distrusted)


def _trusted(trusted: Iterable[str]) -> frozenset[str]:
    keys: set[str] = set()
    for number, text in enumerate(trusted, start=1):
        try:
            keys.add(normalize_public_key(text))
        except ValueError as exc:
            raise ValueError(f"trusted key {number} cannot be used: {exc}") from exc
    return frozenset(keys)


def _fields(signature: bytes) -> tuple[str, str, str, bytes] | str:
    """(keyId, publicKey normalized, manifestSha256, signature bytes), or what is wrong."""
    try:
        document = orjson.loads(signature)
    except orjson.JSONDecodeError as exc:
        return f"not UTF-8 JSON: {exc.msg}"
    if not isinstance(document, dict):
        return "not a JSON object"
    if _canonical(document) != signature:
        return "not in the canonical form jobferry writes, so it was edited"
    missing = [f for f in _FIELDS if not isinstance(document.get(f), str)]
    if missing:
        return f"{', '.join(missing)} missing or not a string"
    problem = _format_problem(document)
    if problem:
        return problem
    signed = b64decode(document["signature"])
    if signed is None or len(signed) != _SIGNATURE_BYTES:
        return f"signature is not the canonical base64 of {_SIGNATURE_BYTES} bytes"
    key_id, public_key = document["keyId"], document["publicKey"]
    problem = _key_problem(key_id, public_key)
    if problem:
        return problem
    return key_id, public_key, document["manifestSha256"], signed


def _format_problem(document: dict[str, str]) -> str | None:
    """What is wrong with the algorithm, keyId or manifestSha256 text (None: nothing)."""
    if document["algorithm"] != ALGORITHM:
        return f"algorithm is not {ALGORITHM}"
    key_id = document["keyId"]
    if len(key_id) != KEY_ID_LENGTH or not set(key_id) <= _HEX:
        return f"keyId is not {KEY_ID_LENGTH} lower-case hex characters"
    expected_sha = document["manifestSha256"]
    if len(expected_sha) != 64 or not set(expected_sha) <= _HEX:
        return "manifestSha256 is not 64 lower-case hex characters"
    return None


def _key_problem(key_id: str, public_key: str) -> str | None:
    """What is wrong with the public key, or with the key id that should be its id."""
    if not public_key.startswith(PUBLIC_KEY_PREFIX):
        return f"publicKey is not in the '{PUBLIC_KEY_PREFIX}…' form"
    try:
        normal = normalize_public_key(public_key)
    except ValueError as exc:
        return f"publicKey: {exc}"
    if normal != public_key:
        return "publicKey is not in canonical form"
    actual_id = key_id_of(public_key)
    if actual_id != key_id:
        return f"keyId {key_id} is not the id of its publicKey, {actual_id}"
    return None


# --- small helpers -----------------------------------------------------------------------------


def _canonical(document: dict[str, Any]) -> bytes:
    """Canonical JSON, as the manifest: sorted keys, two-space indent, final newline."""
    return orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"


def no_manifest_to_sign() -> PackageError:
    """The refusal to sign a package (or what a transform writes of it) without a manifest."""
    return _refuse(
        "signature.no_manifest",
        "it has no manifest.json, and the signature covers the manifest",
        "export it with a manifest (every jobferry export has one unless asked not to) to sign it",
        entry=MANIFEST_NAME,
    )


def _refuse(rule: str, problem: str, fix: str, entry: str | None = None) -> PackageError:
    where = "the package" if entry is None else f"package entry '{entry}'"
    return PackageError(
        f"Cannot sign {where}: {problem}; {fix} (rule {rule}).", entry=entry, rule=rule
    )
