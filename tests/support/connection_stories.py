"""Generated stories of data connections and environment objects
(``tests/unit/services/test_generated_connections.py``): in two workspaces, connections
created, updated and deleted through the DataArts Factory calls, the DataArts Studio calls
(either side) and the environment-object extension, with and without secrets (sent, sent as
the mask, emptied, or named by a key only the stored connection holds as a secret), valid and
not (bad names, no type, a description too long, taken names, an unknown kind); jobs
referencing a connection by name; the connection bundle of one workspace imported into the
other; and the first workspace's jobs carried into the second, under a profile renaming a
connection.

Names come from small pools so that steps collide. :class:`~support.connection_model.Model`
says what each step is refused with and what every read must then show.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from jobferry.domain.connections import SECRET_MASK
from support.connection_model import KINDS, Write
from support.release_stories import Step

NAMES = ("ca", "cb", "cc")
BAD_NAMES = (" ca", "c/a")
TYPES = ("DWS", "DWS", "DWS", "HIVE", "")
SECRETS = ("none", "password", "mask", "empty", "sk", "apiKey")
"""What a write sends as a secret: nothing, a password, the mask, an empty password (which
removes it), a secret key, or ``apiKey``, a key that is a secret only when the connection
holds it as one (registered so through the environment objects' ``secrets``)."""
GIVEN = (None, None, "password", "apiKey", "clear")
"""The environment objects' explicit ``secrets``: left out (keeps them), one, or ``{}``."""
DESCRIPTIONS = (None, None, "", "daily loads", "x" * 256)

_WS = st.integers(0, 1)
_NAME = st.one_of(*[st.sampled_from(NAMES)] * 4, st.sampled_from(BAD_NAMES))
_GOOD = st.sampled_from(NAMES)
_TYPE = st.sampled_from(TYPES)
_SECRET = st.sampled_from(SECRETS)
_DESC = st.sampled_from(DESCRIPTIONS)
_N = st.integers(0, 3)


def secret_value(step: int, key: str) -> str:
    """The secret a step sends under ``key``: unique to the step, so a read showing it is
    caught."""
    return f"s3cret-{step}-{key}"


def config(look: int, secret: str, step: int) -> dict[str, Any]:
    """Settings of look ``look`` with the ``secret`` choice of step ``step``."""
    settings: dict[str, Any] = {"host": f"10.0.0.{look}"}
    if look % 2:
        settings["port"] = 8000 + look
    if secret in ("password", "sk", "apiKey"):
        settings[secret] = secret_value(step, secret)
    elif secret == "mask":
        settings["password"] = SECRET_MASK
    elif secret == "empty":
        settings["password"] = ""
    return settings


def write(type_: str, look: int, secret: str, description: str | None, step: int) -> Write:
    """A write as a call sends it."""
    return Write(type_, config(look, secret, step), description)


def secrets_given(choice: str | None, step: int) -> dict[str, str] | None:
    """The environment objects' ``secrets`` of choice ``choice``."""
    if choice is None:
        return None
    if choice == "clear":
        return {}
    return {choice: secret_value(step, f"{choice}-given")}


def _source() -> st.SearchStrategy[tuple[Any, ...]]:
    agent = st.sampled_from((None, "agent-1"))
    return st.tuples(_NAME, st.integers(0, 1), _TYPE, _N, _SECRET, _DESC, agent)


def _steps() -> st.SearchStrategy[Step]:
    op = st.sampled_from(("create", "create", "update", "update", "delete"))
    rename = st.one_of(st.none(), st.tuples(_GOOD, _GOOD))
    param = st.tuples(_GOOD, st.sampled_from((None, "same", "lower", "other")), st.booleans())
    writes = st.builds(lambda *a: Step("dlf", a), op, _WS, _NAME, _TYPE, _N, _SECRET, _DESC)
    made = st.builds(
        lambda *a: Step("studio_create", a),
        _WS,
        st.lists(_source(), min_size=1, max_size=2).map(tuple),
    )
    changed = st.builds(
        lambda *a: Step("studio_update", a),
        _WS,
        _GOOD,
        st.integers(0, 1),
        st.booleans(),
        _TYPE,
        _N,
        _SECRET,
        _DESC,
    )
    put = st.builds(
        lambda *a: Step("env_put", a),
        _WS,
        st.sampled_from((*KINDS, "connection", "connection", "widget")),
        _NAME,
        _TYPE,
        _N,
        _SECRET,
        st.sampled_from(GIVEN),
    )
    job = st.builds(lambda *a: Step("job", a), _WS, st.integers(0, 1), _GOOD)
    carry = st.builds(lambda *a: Step("carry", a), rename)
    # Writes, jobs and carries weigh more than removals, so that stories hold something.
    return st.one_of(
        writes,
        writes,
        writes,
        made,
        changed,
        put,
        put,
        st.builds(lambda *a: Step("studio_delete", a), _WS, _GOOD, st.integers(0, 1)),
        st.builds(
            lambda *a: Step("env_delete", a), _WS, st.sampled_from((*KINDS, "widget")), _GOOD
        ),
        job,
        job,
        st.builds(lambda *a: Step("unjob", a), _WS, st.integers(0, 1)),
        st.builds(
            lambda *a: Step("bundle", a),
            _WS,
            st.sampled_from(("SKIP", "OVERWRITE")),
            st.lists(param, max_size=2, unique_by=lambda p: p[0]).map(tuple),
        ),
        carry,
        carry,
    )


def _prelude() -> st.SearchStrategy[Step]:
    """A connection created through the Factory calls, valid, with or without a secret."""
    secret = st.sampled_from(("none", "password", "sk", "apiKey"))
    return st.builds(
        lambda *a: Step("dlf", ("create", *a)), _WS, _GOOD, st.just("DWS"), _N, secret, _DESC
    )


@st.composite
def connection_stories(draw: st.DrawFn) -> tuple[Step, ...]:
    """A story of a few connections made, then 6 to 16 steps of any kind."""
    made = draw(st.lists(_prelude(), min_size=1, max_size=4))
    return (*made, *draw(st.lists(_steps(), min_size=6, max_size=16)))


def secret_held_by_key_only() -> tuple[Step, ...]:
    """A secret registered under a key that does not look like one (``apiKey``), read through
    the Factory calls (masked), written back as read, then given a new value there: it stays
    a secret, never a plain setting another read shows."""
    return (
        Step("env_put", (0, "connection", "ca", "DWS", 0, "none", "apiKey")),
        Step("dlf", ("update", 0, "ca", "DWS", 0, "none", None)),
        Step("dlf", ("update", 0, "ca", "DWS", 1, "apiKey", None)),
        Step("bundle", (0, "OVERWRITE", ())),
    )


def carried_with_secrets() -> tuple[Step, ...]:
    """Jobs carried without the target's connection having the secret, then with it under a
    renamed connection; the connection in use in both workspaces."""
    return (
        Step("dlf", ("create", 0, "ca", "DWS", 0, "password", "daily loads")),
        Step("job", (0, 0, "ca")),
        Step("carry", (None,)),
        Step("dlf", ("create", 1, "cb", "DWS", 1, "none", None)),
        Step("carry", (("ca", "cb"),)),
        Step("dlf", ("update", 1, "cb", "DWS", 1, "password", None)),
        Step("carry", (("ca", "cb"),)),
        Step("dlf", ("delete", 1, "cb", "DWS", 0, "none", None)),
        Step("studio_delete", (0, "ca", 0)),
    )


def described_at_length() -> tuple[Step, ...]:
    """A description longer than a connection's may be, refused through every call that
    takes one (the Studio calls as the Factory calls), so that a connection saved through one
    API shape is always saved back through another."""
    long = DESCRIPTIONS[-1]
    return (
        Step("studio_create", (0, (("ca", 0, "DWS", 0, "password", long, None),))),
        Step("studio_create", (0, (("ca", 0, "DWS", 0, "password", "daily loads", None),))),
        Step("studio_update", (0, "ca", 0, True, "DWS", 1, "none", long)),
        Step("dlf", ("update", 0, "ca", "DWS", 1, "none", long)),
        Step("dlf", ("update", 0, "ca", "DWS", 1, "none", None)),
    )


def bundle_given_a_password() -> tuple[Step, ...]:
    """A connection bundle imported with a password in its ``params``: the password is kept
    sealed with the connection, and in no other row (the import's task keeps what it was
    asked, without it)."""
    return (
        Step("dlf", ("create", 0, "ca", "DWS", 0, "password", None)),
        Step("bundle", (0, "OVERWRITE", (("ca", "same", True),))),
        Step("bundle", (0, "SKIP", (("ca", None, True),))),
    )


def secret_named_twice() -> tuple[Step, ...]:
    """An environment object write naming ``apiKey`` among its ``secrets`` and in its settings
    too: the setting is that secret (the settings' value wins), never a plain setting."""
    return (
        Step("env_put", (0, "connection", "cb", "DWS", 3, "apiKey", "apiKey")),
        Step("env_put", (0, "connection", "cb", "DWS", 1, "none", None)),
        Step("bundle", (0, "SKIP", ())),
    )
