"""What the command line's ``env``, ``profiles``, ``policies`` and ``keys`` commands promise,
written from docs/cli.md (their rows, "Standard output and standard error", "Exit codes"),
docs/api.md (``/environment``, ``/profiles``, ``/policies``, ``/signing-key``,
``/trusted-keys``: who may write, what is kept) and docs/errors.md, not from the code; for
``tests/cli/test_generated_env_commands.py``.

The model holds what a story's workspace holds: its environment objects (type, settings, the
names of the secrets set), its profiles (each a list of saved documents, version ``i + 1`` at
``i``), its policy's versions, whether it has a signing key, and the public keys it knows
(trusted or distrusted, with their names). Each step is run by the workspace's admin or by a
user of a lesser role (developer, operator or viewer), who reads all of it but the signing key
and writes none of it (``DLF.6888``). Checks the command line makes itself (a kind that is
none, no type, a secret it cannot read or that is written on the command line, a document
that is not a profile or a policy) refuse with exit 2 before anything is sent, whoever runs it.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from typing import Any

from support.cli_command_model import OK, USAGE, Outcome, refused

DENIED = "DLF.6888"
INVALID = "DLF.3051"
NO_OBJECT = "DLF.9004"
NO_PROFILE = "DLF.9006"
NO_KEY = "DLF.9007"
KEY_TAKEN = "DLF.9010"
NO_ROUTE = "DLF.9040"
NO_POLICY = "DLF.9086"
DISTRUSTED_ALREADY = "DLF.9066"
ROUTE = "route"
"""The story's route (from its workspace to another), as the steps name it."""
IN_USE = "DLF.9013"
PRODUCTION = "DLF.9070"
NAME_RULE = re.compile(r"[\w.-]{1,128}")
"""docs/api.md "Names": letters, digits, ``_``, ``-`` and ``.``."""
USER = "j_dst"
USED = frozenset({("connection", "dst"), ("agency", "dst")})
"""The story's one job, and the objects it names (registered or not)."""
KINDS = ("connection", "dli_queue", "agency")
TYPE_RULE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\- ]*")
"""docs/api.md: an object's type is a name (letters, digits, ``_``, ``-``, ``.``, spaces)."""
UNNAMED = "unnamed"
"""The label of a key distrusted by its public key without ``--name`` that the workspace did
not know (docs/cli.md)."""


@dataclass
class Obj:
    """An environment object as the workspace holds it."""

    type: str
    config: dict[str, str]
    secrets: frozenset[str]


@dataclass
class Key:
    """A public key the workspace knows."""

    name: str
    distrusted: bool = False


def denied(admin: bool) -> Outcome | None:
    """A write by a user of a lesser role (docs/api.md: admin writes, any role reads)."""
    return None if admin else refused({DENIED})


def missing(kind: str, name: str) -> Outcome:
    """An object the workspace does not hold: the fix registers it (docs/cli.md), unless its
    name breaks the name rule, which none can have: then the fix lists the kind's objects
    (docs/errors.md, DLF.9004)."""
    if NAME_RULE.fullmatch(name) is None:
        return refused({NO_OBJECT}, name, f"jobferry env list {kind}")
    return refused({NO_OBJECT}, name, f"jobferry env put {kind} {shlex.quote(name)} --type")


def put_usage(args: tuple[str, str, str | None, str | None, str, str | None]) -> Outcome | None:
    """What ``env put`` refuses itself, before anything is sent (exit 2), or None."""
    kind, _, type_, _, secret, from_file = args
    if kind not in KINDS:
        return refused({USAGE}, exit_code=2)
    if from_file == "absent":
        return refused({USAGE}, "--from-file", "no_such.json", exit_code=2)
    if from_file == "bad":
        return refused({USAGE}, "--secret", exit_code=2)
    if secret == "setting" and kind == "connection":
        return refused({USAGE}, "--secret password=@FILE", exit_code=2)
    if (type_ or from_file) is None:
        return refused({USAGE}, "--type", exit_code=2)
    if secret in ("absent", "binary"):
        return refused({USAGE}, "--secret password", "pw", exit_code=2)
    if secret == "inline":
        return refused({USAGE}, "password=@FILE", exit_code=2)
    return None


def in_production(admin: bool, act: str, args: tuple[Any, ...]) -> Outcome:
    """An ``env`` command on the production side (``-w 'WS (production)'``), which holds no
    object (nothing is released in the stories) and takes them only by a release: a put or a
    delete there is refused (``DLF.9070``; a user of a lesser role may be refused for their
    role first, the docs ordering neither), what it lacks is released to it."""
    if args and args[0] is not None and args[0] not in KINDS:
        return refused({USAGE}, exit_code=2)
    if act == "prod-list":
        return OK
    if act == "prod-show":
        return refused({NO_OBJECT}, args[1], "jobferry releases create")
    if act == "prod-put" and (no := put_usage(args)) is not None:
        return no
    if admin:
        return refused({PRODUCTION}, "jobferry releases create")
    return refused({PRODUCTION, DENIED})


@dataclass
class Model:
    """The story's workspace as the docs say the commands leave it."""

    objects: dict[tuple[str, str], Obj] = field(default_factory=dict)
    profiles: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    policies: dict[str | None, list[dict[str, Any]]] = field(
        default_factory=lambda: {None: [], ROUTE: []}
    )
    """The versions of the workspace's policy (None) and of the story's route's."""
    signing_key: bool = False
    keys: dict[str, Key] = field(default_factory=dict)
    """The public keys the workspace knows, by public key."""

    # -- env ------------------------------------------------------------------------------

    def env_list(self, kind: str | None) -> Outcome:
        """``env list [KIND]``: any role."""
        return refused({USAGE}, exit_code=2) if kind is not None and kind not in KINDS else OK

    def env_show(self, kind: str, name: str) -> Outcome:
        """``env show KIND NAME``: any role."""
        if kind not in KINDS:
            return refused({USAGE}, exit_code=2)
        if (kind, name) not in self.objects:
            return missing(kind, name)
        return OK

    def env_put(
        self, admin: bool, args: tuple[str, str, str | None, str | None, str, str | None]
    ) -> Outcome:
        """``env put KIND NAME [--type T] [--config host=H] [--secret password=SOURCE]
        [--from-file F]``: ``secret`` is ``none``, a source the command reads (``file``,
        ``stdin``, ``env``), or one it refuses (``absent``: a file that is not there;
        ``inline``: on the command line; ``setting``: as ``--config password=…``). ``F`` is
        ``doc`` (type DWS, host 10.0.0.1 and, of a connection, a ``password`` setting, which
        is kept as a secret) or ``bad`` (it holds ``secrets``: refused). The object is
        replaced: its settings are those given (``--config`` over the file's); its secrets are
        kept without ``--secret``, else those given, and the file's with them."""
        kind, name, type_, host, secret, from_file = args
        if (no := put_usage(args)) is not None:
            return no
        type_ = type_ or "DWS"  # the file's, when --type is not given
        if (no := denied(admin)) is not None:
            return no
        if TYPE_RULE.fullmatch(type_) is None or NAME_RULE.fullmatch(name) is None:
            return refused({INVALID})
        before = self.objects.get((kind, name))
        kept = before.secrets if before is not None else frozenset()
        given = secret in ("file", "stdin", "env")
        moved = from_file == "doc" and kind == "connection"
        secrets = (frozenset({"password"}) if given else kept) | ({"password"} if moved else set())
        config = {"host": "10.0.0.1"} if from_file else {}
        config |= {} if host is None else {"host": host}
        config |= {"password": "plain"} if secret == "setting" else {}
        self.objects[(kind, name)] = Obj(type_, config, secrets)
        return OK

    def env_delete(self, admin: bool, kind: str, name: str) -> Outcome:
        """``env delete KIND NAME``: an object no job references (the story's jobs use
        none)."""
        if kind not in KINDS:
            return refused({USAGE}, exit_code=2)
        if (no := denied(admin)) is not None:
            return no
        if NAME_RULE.fullmatch(name) is None:
            return missing(kind, name)
        if (kind, name) in USED:
            return refused({IN_USE}, name, USER)
        if self.objects.pop((kind, name), None) is None:
            return missing(kind, name)
        return OK

    # -- profiles ---------------------------------------------------------------------------

    def profile_show(self, name: str, version: int | None) -> Outcome:
        """``profiles show NAME [--version N]``: any role; a version is 1 or more."""
        if version is not None and version < 1:
            return refused({USAGE}, "--version", exit_code=2)
        saved = self.profiles.get(name, [])
        if not saved or (version is not None and not 1 <= version <= len(saved)):
            return refused({NO_PROFILE} if NAME_RULE.fullmatch(name) else {NO_PROFILE, INVALID})
        return OK

    def profile_put(self, admin: bool, name: str, document: dict[str, Any] | None) -> Outcome:
        """``profiles put NAME -f FILE``: ``document`` None is a file that is not there or
        holds no profile (refused before anything is sent); each save a new version."""
        if document is None:
            return refused({USAGE}, exit_code=2)
        if (no := denied(admin)) is not None:
            return no
        if NAME_RULE.fullmatch(name) is None:
            return refused({INVALID})
        self.profiles.setdefault(name, []).append(document)
        return OK

    def profile_delete(self, admin: bool, name: str) -> Outcome:
        """``profiles delete NAME``: the profile and all its versions."""
        if (no := denied(admin)) is not None:
            return no
        if self.profiles.pop(name, None) is None:
            return refused({NO_PROFILE} if NAME_RULE.fullmatch(name) else {NO_PROFILE, INVALID})
        return OK

    # -- policies ---------------------------------------------------------------------------

    def policy_show(self, route: str | None, version: int | None) -> Outcome:
        """``policies show [--route R] [--version N]``: any role reads; a version is 1 or
        more."""
        if version is not None and version < 1:
            return refused({USAGE}, "--version", exit_code=2)
        if route is not None and route not in self.policies:
            return refused({NO_ROUTE}, route, "jobferry routes list")
        saved = self.policies[route]
        if not saved or (version is not None and not 1 <= version <= len(saved)):
            return refused({NO_POLICY}, "jobferry policies put", *(("--route",) if route else ()))
        return OK

    def policy_history(self, route: str | None) -> Outcome:
        """``policies history [--route R]``."""
        return self.policy_show(route, None)

    def policy_put(
        self, admin: bool, route: str | None, document: dict[str, Any] | None
    ) -> Outcome:
        """``policies put -f FILE [--route R]``: ``document`` None is no policy (refused before
        anything is sent); an empty file lifts every rule (``{}``). The workspace's policy is
        its admins' to write, a route's the project admins' (the story's lesser user is
        neither)."""
        if document is None:
            return refused({USAGE}, exit_code=2)
        if route is not None and route not in self.policies:
            # no route: which the server says first, the docs do not order
            codes = {NO_ROUTE} if admin else {NO_ROUTE, DENIED}
            return refused(codes, *((route, "jobferry routes list") if admin else ()))
        if (no := denied(admin)) is not None:
            return no
        self.policies[route].append(document)
        return OK

    # -- keys -------------------------------------------------------------------------------

    def key_create(self, admin: bool, replace: bool) -> Outcome:
        """``keys create [--replace]``: a workspace that has a key keeps it unless
        ``--replace`` (exit 2, naming the fix)."""
        if (no := denied(admin)) is not None:
            return no
        if self.signing_key and not replace:
            return refused({USAGE}, "jobferry keys create --replace", exit_code=2)
        self.signing_key = True
        return OK

    def key_show(self, admin: bool) -> Outcome:
        """``keys show``: the signing key is the admins' (docs/api.md)."""
        if (no := denied(admin)) is not None:
            return no
        return OK if self.signing_key else refused({NO_KEY}, "jobferry keys create")

    def key_delete(self, admin: bool) -> Outcome:
        """``keys delete``: stop signing."""
        if (no := denied(admin)) is not None:
            return no
        if not self.signing_key:
            return refused({NO_KEY})
        self.signing_key = False
        return OK

    def key_trust(self, admin: bool, name: str, public: str | None, via: str) -> Outcome:
        """``keys trust NAME KEY`` (``via`` ``arg``), ``keys trust NAME --file FILE``
        (``file``; ``no-file``: a file that is not there), or both at once (``both``: exit 2);
        ``public`` None is text that is no public key; a key trusted already is refused
        (nothing changes), a distrusted one is trusted again under the new name."""
        if via == "both":
            return refused({USAGE}, "keys trust needs the public key once", exit_code=2)
        if via == "no-file":
            return refused({USAGE}, "no_such.pub", exit_code=2)
        if public is None:
            return refused({INVALID} if admin else {INVALID, DENIED})
        if (no := denied(admin)) is not None:
            return no
        known = self.keys.get(public)
        if known is not None and not known.distrusted:
            return refused({KEY_TAKEN}, known.name)
        self.keys[public] = Key(name)
        return OK

    def key_distrust(self, admin: bool, public: str, how: str, label: str | None) -> Outcome:
        """``keys distrust KEY_ID`` (``how`` ``id``; with ``--name``: exit 2) or ``keys
        distrust --public-key KEY`` (``public``) or ``--file FILE`` (``file``; ``no-file``: a
        file that is not there), ``[--name LABEL]``: a key the workspace never knew is refused
        by id, remembered as distrusted by its public key; one distrusted already is refused
        either way."""
        by_id = how == "id"
        if by_id and label is not None:
            return refused({USAGE}, "--name", exit_code=2)
        if how == "no-file":
            return refused({USAGE}, "no_such.pub", exit_code=2)
        if (no := denied(admin)) is not None:
            return no
        known = self.keys.get(public)
        if known is None:
            if by_id:
                return refused({NO_KEY}, "jobferry keys list")
            self.keys[public] = Key(label or UNNAMED, distrusted=True)
            return OK
        if known.distrusted:
            return refused({DISTRUSTED_ALREADY}, "Nothing changed")
        known.distrusted = True
        return OK

    def listed_keys(self, distrusted: bool) -> list[tuple[str, str, bool]]:
        """``keys list [--distrusted]``: (public key, name, distrusted), by public key."""
        return sorted(
            (public, key.name, key.distrusted)
            for public, key in self.keys.items()
            if distrusted or not key.distrusted
        )
