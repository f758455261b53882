"""Generated stories of the command line's ``env``, ``profiles``, ``policies`` and ``keys``
commands for ``tests/cli/test_generated_env_commands.py``: a new workspace, its admin and a
user of a lesser role (developer, operator or viewer), then a few commands as they type them,
on names that exist and that do not, with bad input among them (a kind that is none, a type
that is no name, a secret from a file that is not there or written on the command line, a
profile or a policy that is none, text that is no public key), each told for a person or with
``--json``.

The model of what the docs promise is ``support/cli_env_model.py``.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import strategies as st

LESSER = ("developer", "operator", "viewer")
KINDS = ("connection", "connection", "dli_queue", "agency", "bogus")
"""The kinds a step names (``bogus`` is none)."""
OBJECT_NAMES = ("src", "src", "dst", "销售", "bad name!")
TYPES = ("DWS", "DLI", "MRS Hive", "DWS…", None)
"""``DWS…`` is no name (a suggested ``--type …`` copied as printed); None: no ``--type``."""
SECRETS = ("none", "none", "file", "stdin", "env", "absent", "binary", "inline", "setting")
"""Where ``--secret password=`` takes the secret from (``binary``: a file that is not text)."""
FROM_FILES = (None, None, None, "doc", "bad", "absent")
"""``--from-file``: none, a document (of a connection with a secret-looking setting), one
holding ``secrets`` (refused), or a file that is not there."""
PROFILE_NAMES = ("prod", "prod", "staging", "nope", "bad name!")
PROFILES: dict[str, dict[str, Any] | None] = {
    "renames": {"description": "prod", "renames": {"connection": {"dws_conn": "src"}}},
    "absent": {"renames": {"connection": {"dws_conn": "not_registered"}}, "owner": "ops"},
    "params": {"params": {"region": "eu"}, "executeUser": "etl"},
    "typo": None,
    "missing": None,
}
"""The profile documents a ``put`` sends (``absent`` renames to a connection the workspace
lacks, which a profile may: ``profiles check`` says so); None: the file is not a profile
(``typo``: ``rename`` for ``renames``) or not there (``missing``)."""
TYPO_PROFILE = {"rename": {"connection": {"a": "b"}}}
POLICIES: dict[str, dict[str, Any] | None] = {
    "careful": {"description": "careful", "maxDeletions": 5},
    "owners": {"maxDeletions": 1, "owners": ["ops"]},
    "empty": {},
    "typo": None,
    "missing": None,
}
"""The policy documents a ``put`` sends (``empty``: an empty file, every rule lifted); None:
a rule that is no rule (``maxDeletion``) or a file that is not there."""
TYPO_POLICY = {"maxDeletion": 3}
ROUTES = (None, None, None, "route", "nowhere-route")
"""Whose policy: the workspace's, the story's route's, or a route that is none's."""


def _public(seed: int) -> str:
    raw = (
        Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32)
        .public_key()
        .public_bytes(Encoding.Raw, PublicFormat.Raw)
    )
    return "ed25519:" + base64.b64encode(raw).decode("ascii")


PUBLIC_KEYS = {"k1": _public(1), "k2": _public(2), "k3": _public(3)}
"""Public keys a story trusts and distrusts (``bad`` in a step is text that is none)."""


@dataclass(frozen=True)
class Step:
    """One command: what it does, its arguments, who runs it and whether ``--json``."""

    act: str
    args: tuple[Any, ...]
    json: bool
    admin: bool

    def __repr__(self) -> str:
        who = "" if self.admin else ", admin=False"
        return f"Step({self.act!r}, {self.args!r}, {self.json}{who})"


ACTS = (
    *("env-list", "env-show", "env-put", "env-put", "env-put", "env-delete"),
    *("profiles-list", "profiles-show", "profiles-put", "profiles-put", "profiles-delete"),
    *("policies-list", "policies-show", "policies-history", "policies-put", "policies-put"),
    *("keys-create", "keys-show", "keys-delete", "keys-list", "keys-trust", "keys-trust"),
    *("keys-distrust", "keys-distrust"),
    *("prod-list", "prod-show", "prod-put", "prod-delete"),
)
"""``prod-…``: the ``env`` command on the workspace's production side (``-w 'WS
(production)'``)."""


def _args(draw: st.DrawFn, act: str) -> tuple[Any, ...]:
    """The arguments of a step doing ``act``."""
    kind, name = st.sampled_from(KINDS), st.sampled_from(OBJECT_NAMES)
    act = act.replace("prod-", "env-")
    profile, version = st.sampled_from(PROFILE_NAMES), st.sampled_from((None, None, 1, 2, 3, 0))
    key = st.sampled_from(("k1", "k1", "k2", "k3", "bad"))
    if act == "env-list":
        return (draw(st.sampled_from((None, *KINDS))),)
    if act in ("env-show", "env-delete"):
        return draw(kind), draw(name)
    if act == "env-put":
        host = draw(st.sampled_from((None, "10.0.0.2", "10.0.0.9")))
        secret, file = draw(st.sampled_from(SECRETS)), draw(st.sampled_from(FROM_FILES))
        return draw(kind), draw(name), draw(st.sampled_from(TYPES)), host, secret, file
    if act == "profiles-show":
        return draw(profile), draw(version)
    if act == "profiles-put":
        return draw(profile), draw(st.sampled_from(sorted(PROFILES)))
    if act == "profiles-delete":
        return (draw(profile),)
    if act == "policies-show":
        return draw(st.sampled_from(ROUTES)), draw(version)
    if act == "policies-history":
        return (draw(st.sampled_from(ROUTES)),)
    if act == "policies-put":
        return draw(st.sampled_from(ROUTES)), draw(st.sampled_from(sorted(POLICIES)))
    if act == "keys-create":
        return (draw(st.booleans()),)
    if act == "keys-list":
        return (draw(st.booleans()),)
    if act == "keys-trust":
        via = draw(st.sampled_from(("arg", "arg", "file", "both", "no-file")))
        return draw(st.sampled_from(("test-env", "dev", "other"))), draw(key), via
    if act == "keys-distrust":
        how = draw(st.sampled_from(("id", "id", "public", "file", "no-file")))
        label = draw(st.sampled_from((None, None, "leaked")))
        return draw(key.filter(lambda k: k != "bad")), how, label
    return ()


@st.composite
def steps(draw: st.DrawFn) -> Step:
    """One command of the story, by the admin (mostly) or the user of a lesser role."""
    act = draw(st.sampled_from(ACTS))
    admin = draw(st.sampled_from((True, True, True, False)))
    return Step(act, _args(draw, act), draw(st.booleans()), admin)


@st.composite
def env_stories(draw: st.DrawFn) -> tuple[str, tuple[Step, ...]]:
    """The lesser user's role and 3 to 8 commands."""
    role = draw(st.sampled_from(LESSER))
    return role, tuple(draw(st.lists(steps(), min_size=3, max_size=8)))


SECRET_KEPT = (
    "viewer",
    (
        Step("env-put", ("connection", "src", "DWS", "10.0.0.2", "file", None), False, True),
        Step("env-put", ("connection", "src", "DWS", None, "none", None), True, True),
        Step("env-put", ("connection", "src", "DWS", None, "absent", None), False, True),
        Step("env-show", ("connection", "src"), False, False),
        Step("env-delete", ("connection", "src"), False, False),
        Step("env-put", ("dli_queue", "src", "DWS…", None, "stdin", None), False, True),
    ),
)
"""A connection saved with a secret, saved again keeping it, a secret file that is not there
refused, a viewer reading it and refused its removal, a type that is no name refused."""
KEYS_AROUND = (
    "developer",
    (
        Step("keys-trust", ("test-env", "k1", "arg"), True, True),
        Step("keys-trust", ("dev", "k1", "file"), False, True),
        Step("keys-distrust", ("k1", "id", "leaked"), False, True),
        Step("keys-distrust", ("k1", "id", None), False, True),
        Step("keys-distrust", ("k1", "public", "leaked"), True, True),
        Step("keys-distrust", ("k2", "id", None), False, True),
        Step("keys-distrust", ("k3", "file", None), False, True),
        Step("keys-trust", ("again", "k1", "arg"), False, True),
        Step("keys-trust", ("twice", "k2", "both"), True, True),
        Step("keys-create", (False,), False, True),
        Step("keys-create", (False,), False, True),
        Step("keys-show", (), False, False),
        Step("keys-list", (True,), False, False),
    ),
)
"""Keys trusted, trusted again, distrusted by id and by public key, known and not, trusted
again; a signing key created twice without ``--replace``; a developer's look at both."""
RULES_AND_PROFILES = (
    "operator",
    (
        Step("policies-put", (None, "typo"), False, True),
        Step("policies-put", (None, "careful"), False, True),
        Step("policies-put", (None, "owners"), True, False),
        Step("policies-put", (None, "empty"), False, True),
        Step("policies-show", (None, 1), False, False),
        Step("policies-show", (None, 0), True, False),
        Step("policies-history", ("nowhere-route",), False, True),
        Step("profiles-put", ("prod", "absent"), False, True),
        Step("profiles-put", ("prod", "renames"), True, True),
        Step("profiles-show", ("prod", 3), False, False),
        Step("profiles-show", ("prod", 0), False, True),
        Step("policies-put", ("route", "careful"), False, True),
        Step("policies-put", ("route", "owners"), True, False),
        Step("policies-list", (), False, False),
        Step("profiles-delete", ("prod",), False, False),
    ),
)
"""Policies and profiles saved as versions, read by an operator who may not write them."""
