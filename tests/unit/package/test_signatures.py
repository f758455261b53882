"""Signed packages: keys, signing, and every way a signed package can be altered, refused."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

import orjson
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from jobferry.errors import PackageError
from jobferry.package import signature
from jobferry.package.reader import read_package
from jobferry.package.signature import (
    PUBLIC_KEY_PREFIX,
    SIGNATURE_NAME,
    KeyPair,
    SignatureCheck,
    check_signature,
    generate_key_pair,
    key_id_of,
    normalize_public_key,
    parse_public_key,
    public_key_of,
    sign_manifest,
    sign_package,
    verify_package,
)
from jobferry.package.writer import PackageWriter
from support.builders import make_job, make_resource, make_script
from support.manifests import HEADER

KEY = generate_key_pair()
OTHER = generate_key_pair()
JOB = "jobs/daily_sales.job"


# --- helpers -----------------------------------------------------------------------------------


def build(with_manifest: bool = True) -> bytes:
    """A package by jobferry's own writer: a job, its two scripts and a resource."""
    documents = {
        JOB: ("job", "daily_sales", make_job("daily_sales")),
        "resources/udf_jar.resource": ("resource", "udf_jar", make_resource("udf_jar")),
        "scripts/daily_sales_sh.script": (
            "script",
            "daily_sales_sh",
            make_script("daily_sales_sh", type="Shell", content="echo hi"),
        ),
        "scripts/daily_sales_sql.script": (
            "script",
            "daily_sales_sql",
            make_script("daily_sales_sql"),
        ),
    }
    buf = io.BytesIO()
    writer = PackageWriter(buf, HEADER if with_manifest else None)
    for path in sorted(documents):
        kind, name, document = documents[path]
        writer.add(path, kind, name, f"id-{name}", orjson.dumps(document))
    writer.close()
    return buf.getvalue()


def zip_entries(data: bytes) -> list[tuple[str, bytes]]:
    """Every (name, bytes) of a zip, in archive order."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return [(info.filename, zf.read(info)) for info in zf.infolist()]


def content(data: bytes, name: str) -> bytes:
    return dict(zip_entries(data))[name]


def make_zip(entries: list[tuple[str, bytes]], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compression) as zf:
        for name, data in entries:
            zf.writestr(name, data)
    return buf.getvalue()


def rewrite(data: bytes, change: dict[str, bytes]) -> bytes:
    """The zip with some entries' contents replaced, everything else as it was."""
    return make_zip([(name, change.get(name, body)) for name, body in zip_entries(data)])


def stored(data: bytes) -> bytes:
    """The same entries, uncompressed, so a byte of content is a byte of the file."""
    return make_zip(zip_entries(data), zipfile.ZIP_STORED)


def flip_stored(
    data: bytes, name: str, index: int, mask: int = 0x01, fix_crc: bool = True
) -> bytes:
    """Flip bits of one content byte of a stored entry, in place; optionally fix its CRC-32
    (local header and central directory) so that only jobferry's own checks can notice."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        info = zf.getinfo(name)
        assert info.compress_type == zipfile.ZIP_STORED
        old = zf.read(info)
    out = bytearray(data)
    name_length, extra_length = struct.unpack_from("<HH", out, info.header_offset + 26)
    start = info.header_offset + 30 + name_length + extra_length
    assert bytes(out[start : start + len(old)]) == old
    out[start + index] ^= mask
    if fix_crc:
        crc = struct.pack("<I", zlib.crc32(bytes(out[start : start + len(old)])))
        out[info.header_offset + 14 : info.header_offset + 18] = crc
        end = bytes(out).rfind(b"PK\x05\x06")
        at = struct.unpack_from("<I", out, end + 16)[0]
        while out[at : at + 4] == b"PK\x01\x02":
            if struct.unpack_from("<I", out, at + 42)[0] == info.header_offset:
                out[at + 16 : at + 20] = crc
            lengths = struct.unpack_from("<HHH", out, at + 28)
            at += 46 + sum(lengths)
    return bytes(out)


def public_pem(pair: KeyPair) -> str:
    private = serialization.load_pem_private_key(pair.private_pem, password=None)
    return (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def signature_document(data: bytes) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(content(data, SIGNATURE_NAME))
    return value


def canonical(document: dict[str, Any]) -> bytes:
    return orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"


def altered_signature(sig: bytes, **changes: Any) -> bytes:
    """manifest.sig with some fields changed, still in canonical form."""
    return canonical({**json.loads(sig), **changes})


def signature_of(data: bytes, pair: KeyPair) -> str:
    """Base64 of ``pair``'s Ed25519 signature of ``data``."""
    private = serialization.load_pem_private_key(pair.private_pem, password=None)
    return base64.b64encode(private.sign(data)).decode()


def refused(call: Any, rule: str, entry: str | None) -> PackageError:
    with pytest.raises(PackageError) as caught:
        call()
    error = caught.value
    assert error.context["rule"] == rule, error.message
    assert error.context.get("entry") == entry, error.message
    if entry is not None:
        assert f"'{entry}'" in error.message
    assert error.code == "DLF.9020"
    return error


SIGNED = sign_package(build(), KEY.private_pem)
MANIFEST = content(SIGNED, "manifest.json")
SIG = content(SIGNED, SIGNATURE_NAME)


# --- keys --------------------------------------------------------------------------------------


def test_a_generated_key_pair_has_its_id_public_key_and_pkcs8_private_key() -> None:
    pair = generate_key_pair()

    assert pair.public_key.startswith(PUBLIC_KEY_PREFIX)
    raw = base64.b64decode(pair.public_key.removeprefix(PUBLIC_KEY_PREFIX), validate=True)
    assert len(raw) == 32
    assert pair.key_id == hashlib.sha256(raw).hexdigest()[:16]
    assert key_id_of(pair.public_key) == pair.key_id
    assert pair.private_pem.startswith(b"-----BEGIN PRIVATE KEY-----\n")
    assert public_key_of(pair.private_pem) == pair.public_key
    assert pair != generate_key_pair()


def test_a_pem_public_key_is_accepted_and_normalized() -> None:
    pem = public_pem(KEY)

    assert normalize_public_key(pem) == KEY.public_key
    assert normalize_public_key(f"  {KEY.public_key}\n") == KEY.public_key
    assert key_id_of(pem) == KEY.key_id
    assert isinstance(parse_public_key(pem), Ed25519PublicKey)


def _ec_private_pem() -> bytes:
    return ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _ec_public_pem() -> str:
    return (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "not a public key"),
        (
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9ok",
            "not a public key",
        ),
        ("ed25519:", "base64 of 32 bytes"),
        ("ed25519:AAAA", "base64 of 32 bytes"),
        (PUBLIC_KEY_PREFIX + base64.b64encode(bytes(31)).decode(), "base64 of 32 bytes"),
        ("ed25519:not base64 at all!!", "base64 of 32 bytes"),
        (KEY.public_key.rstrip("="), "base64 of 32 bytes"),
        ("-----BEGIN PUBLIC KEY-----\nZ2FyYmFnZQ==\n-----END PUBLIC KEY-----\n", "not a readable"),
        (KEY.private_pem.decode(), "this is a private key, not a public key"),
        (
            _ec_public_pem(),
            r"not an Ed25519 key \(it is EC secp256r1\); packages are signed with Ed25519 keys",
        ),
    ],
    ids=[
        "empty",
        "ssh-key",
        "prefix-only",
        "short-base64",
        "31-bytes",
        "not-base64",
        "unpadded",
        "garbage-pem",
        "private-key",
        "ec-key",
    ],
)
def test_a_bad_public_key_text_is_refused_saying_what_a_key_looks_like(
    text: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        parse_public_key(text)
    with pytest.raises(ValueError, match=message):
        normalize_public_key(text)
    with pytest.raises(ValueError, match=message):
        key_id_of(text)
    secret = KEY.private_pem.decode().splitlines()[1]
    assert secret not in str(caught.value)


@pytest.mark.parametrize(
    ("pem", "message"),
    [
        (b"junk", "not a readable PEM private key"),
        (b"", "not a readable PEM private key"),
        (public_pem(KEY).encode(), "this is a public key; signing needs the PEM private key"),
        (
            _ec_private_pem(),
            r"not an Ed25519 key \(it is EC secp256r1\); packages are signed with Ed25519 keys",
        ),
    ],
    ids=["junk", "empty", "public-key", "ec-key"],
)
def test_a_bad_private_key_is_refused_clearly(pem: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        public_key_of(pem)
    with pytest.raises(ValueError, match=message):
        sign_manifest(MANIFEST, pem)
    with pytest.raises(ValueError, match=message):
        sign_package(build(), pem)


def test_an_encrypted_private_key_is_refused_asking_for_the_unencrypted_one() -> None:
    private = serialization.load_pem_private_key(KEY.private_pem, password=None)
    encrypted = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"passphrase"),
    )

    with pytest.raises(ValueError, match="the private key is encrypted"):
        public_key_of(encrypted)


# --- signing -----------------------------------------------------------------------------------


def test_a_signed_package_verifies_as_valid_with_its_key_trusted() -> None:
    read, check = verify_package(SIGNED, [KEY.public_key])

    assert check == SignatureCheck("valid", KEY.key_id, f"signed by trusted key {KEY.key_id}")
    assert check.as_json() == {"state": "valid", "keyId": KEY.key_id, "detail": check.detail}
    assert read.signature == SIG
    assert read.manifest_bytes == MANIFEST


def test_the_trusted_key_may_be_given_as_pem() -> None:
    _, check = verify_package(SIGNED, [OTHER.public_key, public_pem(KEY)])

    assert check.state == "valid"
    assert check.key_id == KEY.key_id


def test_a_signature_under_a_distrusted_key_is_distrusted_even_when_the_key_is_trusted_too() -> (
    None
):
    trusted_too = check_signature(MANIFEST, SIG, [KEY.public_key], [public_pem(KEY)])
    other = check_signature(MANIFEST, SIG, [KEY.public_key], [OTHER.public_key])
    changed = check_signature(MANIFEST + b" ", SIG, [], [KEY.public_key])

    assert (trusted_too.state, trusted_too.key_id) == ("distrusted", KEY.key_id)
    assert other.state == "valid"
    assert changed.state == "invalid"  # it does not verify under the key: not its signature


def test_manifest_sig_holds_a_plain_ed25519_signature_of_the_manifest_bytes() -> None:
    document = signature_document(SIGNED)

    assert canonical(document) == SIG
    assert document == {
        "algorithm": "Ed25519",
        "keyId": KEY.key_id,
        "manifestSha256": hashlib.sha256(MANIFEST).hexdigest(),
        "publicKey": KEY.public_key,
        "signature": document["signature"],
    }
    raw = base64.b64decode(KEY.public_key.removeprefix(PUBLIC_KEY_PREFIX))
    # Any Ed25519 implementation checks it with the raw key over the raw manifest bytes.
    Ed25519PublicKey.from_public_bytes(raw).verify(
        base64.b64decode(document["signature"]), MANIFEST
    )
    assert sign_manifest(MANIFEST, KEY.private_pem) == SIG


def test_signing_is_deterministic_and_depends_on_the_key() -> None:
    data = build()

    assert sign_package(data, KEY.private_pem) == SIGNED
    assert sign_package(build(), KEY.private_pem) == SIGNED
    assert sign_package(data, OTHER.private_pem) != SIGNED


def test_signing_keeps_every_entry_and_its_bytes_in_the_file() -> None:
    data = build()

    assert zip_entries(SIGNED) == [*zip_entries(data), (SIGNATURE_NAME, SIG)]
    with zipfile.ZipFile(io.BytesIO(SIGNED)) as zf:
        appended_at = zf.getinfo(SIGNATURE_NAME).header_offset
    # The writer's local entries (headers and compressed data) are copied byte for byte.
    assert SIGNED[:appended_at] == data[:appended_at]


def test_signing_keeps_each_entry_compression_and_stores_the_signature_like_the_manifest() -> None:
    entries = zip_entries(build())
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for index, (name, body) in enumerate(entries):
            method = zipfile.ZIP_STORED if index % 2 else zipfile.ZIP_DEFLATED
            zf.writestr(name, body, compress_type=method)
    mixed = buf.getvalue()

    signed = sign_package(mixed, KEY.private_pem)

    def methods(data: bytes) -> dict[str, int]:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return {i.filename: i.compress_type for i in zf.infolist()}

    before = methods(mixed)
    assert methods(signed) == {**before, SIGNATURE_NAME: before["manifest.json"]}
    assert zip_entries(signed)[:-1] == entries
    assert verify_package(signed, [KEY.public_key])[1].state == "valid"


def test_signing_again_replaces_the_signature() -> None:
    resigned = sign_package(SIGNED, OTHER.private_pem)

    names = [name for name, _ in zip_entries(resigned)]
    assert names.count(SIGNATURE_NAME) == 1
    assert resigned == sign_package(build(), OTHER.private_pem)
    assert verify_package(resigned, [OTHER.public_key])[1].state == "valid"
    assert verify_package(resigned, [KEY.public_key])[1].state == "untrusted"
    assert sign_package(SIGNED, KEY.private_pem) == SIGNED


def test_the_reader_accepts_a_signed_package_and_returns_its_signature() -> None:
    read = read_package(SIGNED)
    unsigned = read_package(build())

    assert read.signature == SIG
    assert read.objects == unsigned.objects
    assert read.manifest == unsigned.manifest


def test_a_package_is_signed_and_verified_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "DLF_daily_sales.zip"
    path.write_bytes(build())

    signed = sign_package(path, KEY.private_pem)
    path.write_bytes(signed)

    assert signed == SIGNED
    assert verify_package(path, [KEY.public_key])[1].state == "valid"


def test_a_package_without_manifest_is_not_signed() -> None:
    error = refused(
        lambda: sign_package(build(with_manifest=False), KEY.private_pem),
        "signature.no_manifest",
        "manifest.json",
    )

    assert "export it with a manifest (every jobferry export has one" in error.message
    assert "(rule signature.no_manifest)" in error.message


def test_a_package_that_does_not_match_its_manifest_is_not_signed() -> None:
    tampered = rewrite(build(), {JOB: orjson.dumps(make_job("daily_sales", description="x"))})

    refused(lambda: sign_package(tampered, KEY.private_pem), "manifest.size", JOB)


def test_a_missing_file_is_refused_when_signing(tmp_path: Path) -> None:
    refused(lambda: sign_package(tmp_path / "gone.zip", KEY.private_pem), "zip.invalid", None)


# --- checking ----------------------------------------------------------------------------------


def test_a_key_that_is_not_trusted_is_named_with_how_to_trust_it() -> None:
    for trusted in ([], [OTHER.public_key]):
        _, check = verify_package(SIGNED, trusted)

        assert check.state == "untrusted"
        assert check.key_id == KEY.key_id
        assert f"signed by key {KEY.key_id}, which is not trusted here" in check.detail
        assert f"add the public key {KEY.public_key} to the trusted keys" in check.detail


def test_an_unsigned_package_is_unsigned() -> None:
    _, check = verify_package(build(), [KEY.public_key])

    assert check.state == "unsigned"
    assert check.key_id is None
    assert check.detail.startswith("the package is not signed")


def test_a_package_without_manifest_is_unsigned() -> None:
    _, check = verify_package(build(with_manifest=False), [KEY.public_key])

    assert check.state == "unsigned"
    assert "has no manifest.json" in check.detail
    assert check_signature(None, None, []).state == "unsigned"


def test_a_signature_without_manifest_is_invalid() -> None:
    check = check_signature(None, SIG, [KEY.public_key])

    assert check.state == "invalid"
    assert "manifest.sig but no manifest.json" in check.detail


def test_a_trusted_key_that_is_not_a_key_is_an_error_naming_it() -> None:
    with pytest.raises(ValueError, match="trusted key 2 cannot be used: the text is not a public"):
        check_signature(MANIFEST, SIG, [KEY.public_key, "my key"])


# --- tampering: entries ------------------------------------------------------------------------


SIGNED_STORED = sign_package(stored(build()), KEY.private_pem)


def test_a_stored_signed_package_verifies() -> None:
    with zipfile.ZipFile(io.BytesIO(SIGNED_STORED)) as zf:
        assert {i.compress_type for i in zf.infolist()} == {zipfile.ZIP_STORED}

    assert verify_package(SIGNED_STORED, [KEY.public_key])[1].state == "valid"


def test_one_flipped_byte_of_an_entry_is_refused_naming_the_entry() -> None:
    size = len(content(SIGNED_STORED, JOB))
    for index in (0, size // 2, size - 1):
        tampered = flip_stored(SIGNED_STORED, JOB, index)

        error = refused(
            lambda t=tampered: verify_package(t, [KEY.public_key]), "manifest.hash", JOB
        )

        assert "export it again from its source workspace and carry the new file" in error.message
        assert error.message.count("changed") <= 1  # the fix says what to do, not the problem


def test_one_flipped_byte_of_an_entry_with_its_crc_left_alone_is_refused_naming_the_entry() -> None:
    tampered = flip_stored(SIGNED_STORED, JOB, 10, fix_crc=False)

    refused(lambda: verify_package(tampered, [KEY.public_key]), "zip.invalid", JOB)


# --- tampering: the manifest -------------------------------------------------------------------


def test_a_flipped_byte_in_the_manifest_makes_the_signature_invalid() -> None:
    index = MANIFEST.index(b'"workspace": "default"') + len(b'"workspace": "defaul')
    tampered = flip_stored(SIGNED_STORED, "manifest.json", index)
    assert b'"workspace": "defaulu"' in content(tampered, "manifest.json")

    read, check = verify_package(tampered, [KEY.public_key])

    assert read.manifest is not None
    assert read.manifest["source"]["workspace"] == "defaulu"
    assert check.state == "invalid"
    assert check.key_id == KEY.key_id
    assert check.detail.startswith("manifest.json was changed after signing")


def test_a_manifest_rewritten_with_the_same_content_is_invalid() -> None:
    compact = json.dumps(json.loads(MANIFEST)).encode()

    _, check = verify_package(rewrite(SIGNED, {"manifest.json": compact}), [KEY.public_key])

    assert check.state == "invalid"


def test_a_manifest_changed_together_with_the_hash_in_the_signature_is_invalid() -> None:
    changed = MANIFEST.replace(b'"default"', b'"prod"')
    sig = altered_signature(SIG, manifestSha256=hashlib.sha256(changed).hexdigest())

    _, check = verify_package(
        rewrite(SIGNED, {"manifest.json": changed, SIGNATURE_NAME: sig}), [KEY.public_key]
    )

    assert check.state == "invalid"
    assert "manifest.json or manifest.sig was changed after signing" in check.detail


def test_a_changed_size_in_the_listing_is_refused_naming_the_entry() -> None:
    lines = [json.loads(line) for line in content(SIGNED, "manifest.entries").splitlines()]
    next(e for e in lines if e["path"] == JOB)["size"] += 1
    listing = b"".join(
        json.dumps(e, sort_keys=True, separators=(",", ":")).encode() + b"\n" for e in lines
    )
    manifest = json.loads(MANIFEST)
    manifest["entries"].update(size=len(listing), sha256=hashlib.sha256(listing).hexdigest())
    changed = {"manifest.json": canonical(manifest), "manifest.entries": listing}

    refused(
        lambda: verify_package(rewrite(SIGNED, changed), [KEY.public_key]), "manifest.size", JOB
    )


def test_a_changed_listing_is_refused_as_not_the_one_the_manifest_pins() -> None:
    listing = content(SIGNED, "manifest.entries").replace(b'"size":', b'"size": ')

    refused(
        lambda: verify_package(rewrite(SIGNED, {"manifest.entries": listing}), [KEY.public_key]),
        "manifest.size",
        "manifest.entries",
    )


def test_every_single_flipped_byte_of_the_manifest_is_refused_or_invalid() -> None:
    outcomes: set[str] = set()
    for index in range(len(MANIFEST)):
        tampered = flip_stored(SIGNED_STORED, "manifest.json", index)
        try:
            _, check = verify_package(tampered, [KEY.public_key])
        except PackageError as error:
            outcomes.add(error.context["rule"])
        else:
            assert check.state == "invalid", index
            outcomes.add(check.state)
    assert {"invalid", "json.invalid"} <= outcomes


# --- tampering: the signature ------------------------------------------------------------------


def test_a_re_signed_package_is_named_as_the_other_key_and_untrusted() -> None:
    changed = MANIFEST.replace(b'"default"', b'"prod"')
    forged = rewrite(
        SIGNED,
        {"manifest.json": changed, SIGNATURE_NAME: sign_manifest(changed, OTHER.private_pem)},
    )

    _, check = verify_package(forged, [KEY.public_key])

    assert check.state == "untrusted"
    assert check.key_id == OTHER.key_id


def test_signature_bytes_of_other_data_are_invalid() -> None:
    sig = altered_signature(SIG, signature=signature_of(b"something else", KEY))

    check = check_signature(MANIFEST, sig, [KEY.public_key])

    assert check.state == "invalid"
    assert check.detail.startswith("manifest.json or manifest.sig was changed after signing")


def test_another_keys_signature_under_a_trusted_key_is_invalid() -> None:
    """Swapping in a trusted key (and its id) does not make an attacker's signature pass."""
    forged = sign_manifest(MANIFEST, OTHER.private_pem)
    sig = altered_signature(forged, publicKey=KEY.public_key, keyId=KEY.key_id)

    check = check_signature(MANIFEST, sig, [KEY.public_key])

    assert check.state == "invalid"
    assert "manifest.json or manifest.sig was changed after signing" in check.detail


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"keyId": OTHER.key_id}, f"keyId {OTHER.key_id} is not the id of its publicKey"),
        ({"publicKey": OTHER.public_key}, f"is not the id of its publicKey, {OTHER.key_id}"),
        ({"algorithm": "RSA"}, "algorithm is not Ed25519"),
        ({"keyId": KEY.key_id.upper()}, "keyId is not 16 lower-case hex characters"),
        ({"manifestSha256": "0" * 63}, "manifestSha256 is not 64 lower-case hex characters"),
        ({"signature": "c2lnbmF0dXJl"}, "signature is not the canonical base64 of 64 bytes"),
        ({"publicKey": "ed25519:AAAA"}, "publicKey: the public key is not 'ed25519:'"),
        ({"publicKey": public_pem(KEY)}, "publicKey is not in the 'ed25519:…' form"),
        ({"keyId": None}, "keyId missing or not a string"),
    ],
    # Fixed ids: the keys are generated per process, and parallel workers must collect alike.
    ids=[
        "other-key-id",
        "other-public-key",
        "algorithm",
        "upper-case-key-id",
        "short-manifest-sha",
        "short-signature",
        "bad-public-key",
        "pem-public-key",
        "no-key-id",
    ],
)
def test_a_signature_whose_fields_do_not_fit_together_is_invalid(
    changes: dict[str, Any], reason: str
) -> None:
    sig = altered_signature(SIG, **changes)

    check = check_signature(MANIFEST, sig, [KEY.public_key, OTHER.public_key])

    assert check.state == "invalid"
    assert check.detail.startswith("manifest.sig is malformed (")
    assert reason in check.detail
    assert "export and sign the package again" in check.detail


def _padding_bits_changed(text: str) -> str:
    """The same bytes in non-canonical base64: the unused low bits of the last character set."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    body = text.rstrip("=")
    last = alphabet[alphabet.index(body[-1]) | 1]
    changed = body[:-1] + last + text[len(body) :]
    assert base64.b64decode(changed) == base64.b64decode(text)
    return changed


@pytest.mark.parametrize(
    ("sig", "reason"),
    [
        (b"", "not UTF-8 JSON"),
        (b"\xff\xfe", "not UTF-8 JSON"),
        (b"[]\n", "not a JSON object"),
        (json.dumps(json.loads(SIG)).encode(), "not in the canonical form"),
        (SIG.rstrip(b"\n"), "not in the canonical form"),
        (
            altered_signature(SIG, signature=_padding_bits_changed(json.loads(SIG)["signature"])),
            "signature is not the canonical base64",
        ),
        (
            altered_signature(
                SIG,
                publicKey=PUBLIC_KEY_PREFIX
                + _padding_bits_changed(KEY.public_key.removeprefix(PUBLIC_KEY_PREFIX)),
            ),
            "base64 of 32 bytes",
        ),
    ],
)
def test_a_malformed_signature_file_is_invalid(sig: bytes, reason: str) -> None:
    check = check_signature(MANIFEST, sig, [KEY.public_key])

    assert check.state == "invalid"
    assert reason in check.detail


def test_every_single_flipped_byte_of_the_signature_is_invalid() -> None:
    for index in range(len(SIG)):
        for mask in (0x01, 0x02, 0x20):
            tampered = bytearray(SIG)
            tampered[index] ^= mask

            check = check_signature(MANIFEST, bytes(tampered), [KEY.public_key])

            assert check.state == "invalid", (index, mask, check)


def test_a_flipped_byte_of_the_signature_in_the_zip_is_invalid() -> None:
    at = SIG.index(b'"signature": "') + 20

    _, check = verify_package(flip_stored(SIGNED_STORED, SIGNATURE_NAME, at), [KEY.public_key])

    assert check.state == "invalid"


def test_a_key_that_only_shares_the_id_of_a_trusted_key_is_not_trusted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Key ids are 64 bits, so they can be collided: trust compares the whole key."""
    monkeypatch.setattr(signature, "key_id_of", lambda public_key: "0123456789abcdef")
    sig = sign_manifest(MANIFEST, OTHER.private_pem)
    assert json.loads(sig)["keyId"] == "0123456789abcdef"

    check = check_signature(MANIFEST, sig, [KEY.public_key])

    assert check.state == "untrusted"
    assert "a trusted key has the same id but is a different key" in check.detail
    assert check_signature(MANIFEST, sig, [OTHER.public_key]).state == "valid"
