"""Signing keys: Ed25519 key pairs, public key text and key ids.

A public key travels as ``ed25519:`` followed by the standard base64 (with padding) of
its raw 32 bytes; a PEM ``PUBLIC KEY`` block is accepted wherever a public key is read. A key's
id is the first 16 hex characters of the sha256 of its raw bytes: short enough to read out, but
only a label: trust is always decided by comparing whole keys, because a 64-bit id can be
collided by anyone willing to generate a few billion keys. Private keys are unencrypted PKCS8
PEM (the caller stores them encrypted if it wants to).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

PUBLIC_KEY_PREFIX = "ed25519:"
KEY_ID_LENGTH = 16

_RAW_KEY_BYTES = 32


@dataclass(frozen=True)
class KeyPair:
    """A new signing key: its id, its public key text and its private key."""

    key_id: str
    """First 16 hex characters of the sha256 of the raw public key."""
    public_key: str
    """``ed25519:`` + base64 of the raw 32 bytes."""
    private_pem: bytes
    """PKCS8 PEM, unencrypted."""


def generate_key_pair() -> KeyPair:
    """A fresh Ed25519 key pair."""
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_key = key_text(private.public_key())
    return KeyPair(key_id=key_id_of(public_key), public_key=public_key, private_pem=pem)


def public_key_of(private_pem: bytes) -> str:
    """The ``ed25519:`` public key of a PEM private key; ValueError if it is not one."""
    return key_text(private_key(private_pem).public_key())


def key_id_of(public_key: str) -> str:
    """The id of a public key (any accepted form): 16 hex characters of its sha256."""
    raw = raw_bytes(parse_public_key(public_key))
    return hashlib.sha256(raw).hexdigest()[:KEY_ID_LENGTH]


def parse_public_key(text: str) -> Ed25519PublicKey:
    """An Ed25519 public key from ``ed25519:<base64>`` or a PEM block; ValueError otherwise."""
    stripped = text.strip()
    if stripped.startswith(PUBLIC_KEY_PREFIX):
        encoded = stripped[len(PUBLIC_KEY_PREFIX) :]
        raw = b64decode(encoded)
        if raw is None or len(raw) != _RAW_KEY_BYTES:
            raise ValueError(
                f"the public key is not '{PUBLIC_KEY_PREFIX}' followed by the base64 of "
                f"{_RAW_KEY_BYTES} bytes; copy the whole key as jobferry printed it"
            )
        return Ed25519PublicKey.from_public_bytes(raw)
    if stripped.startswith("-----BEGIN"):
        if "PRIVATE KEY-----" in stripped.split("\n", 1)[0]:
            raise ValueError(
                "this is a private key, not a public key; give the public key "
                f"('{PUBLIC_KEY_PREFIX}…') and keep the private key secret"
            )
        try:
            key = serialization.load_pem_public_key(stripped.encode("utf-8"))
        except (ValueError, UnsupportedAlgorithm) as exc:
            raise ValueError(
                "the PEM block is not a readable public key; give a 'BEGIN PUBLIC KEY' block "
                f"or the '{PUBLIC_KEY_PREFIX}…' form"
            ) from exc
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError(
                f"the PEM public key is not an Ed25519 key (it is {_algorithm_name(key)}); "
                "packages are signed with Ed25519 keys only"
            )
        return key
    raise ValueError(
        f"the text is not a public key; give '{PUBLIC_KEY_PREFIX}' followed by the base64 of "
        "the 32-byte key, or a PEM 'BEGIN PUBLIC KEY' block"
    )


def normalize_public_key(text: str) -> str:
    """Any accepted public key form as ``ed25519:<base64>``."""
    return key_text(parse_public_key(text))


def private_key(private_pem: bytes) -> Ed25519PrivateKey:
    """The Ed25519 key of an unencrypted PKCS8 PEM; ValueError saying what is wrong otherwise."""
    if b"PUBLIC KEY-----" in private_pem.lstrip().split(b"\n", 1)[0]:
        raise ValueError("this is a public key; signing needs the PEM private key")
    try:
        key = serialization.load_pem_private_key(private_pem, password=None)
    except TypeError as exc:  # cryptography's way of saying "this key needs a password"
        raise ValueError(
            "the private key is encrypted; give the unencrypted PKCS8 PEM private key"
        ) from exc
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise ValueError(
            "the signing key is not a readable PEM private key; give the unencrypted PKCS8 "
            "PEM ('BEGIN PRIVATE KEY') of an Ed25519 key"
        ) from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(
            f"the private key is not an Ed25519 key (it is {_algorithm_name(key)}); packages "
            "are signed with Ed25519 keys only"
        )
    return key


def _algorithm_name(key: object) -> str:
    """'RSA', 'EC secp256r1'…: what a key that is not Ed25519 is, for the message."""
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        return "RSA"
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        return f"EC {key.curve.name}"
    name = type(key).__name__.removeprefix("_")
    for suffix in ("PrivateKey", "PublicKey"):
        name = name.removesuffix(suffix)
    return name or "non-Ed25519"


def raw_bytes(key: Ed25519PublicKey) -> bytes:
    """The 32 raw bytes of a public key."""
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_text(key: Ed25519PublicKey) -> str:
    """A public key as ``ed25519:<base64>``."""
    return PUBLIC_KEY_PREFIX + b64encode(raw_bytes(key))


def b64encode(data: bytes) -> str:
    """Standard base64 with padding."""
    return base64.b64encode(data).decode("ascii")


def b64decode(text: str) -> bytes | None:
    """Standard base64 with padding, in canonical form only (None otherwise)."""
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    return data if b64encode(data) == text else None
