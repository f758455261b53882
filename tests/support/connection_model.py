"""What the data connections and environment objects of two workspaces hold after each step of
a generated story (``support/connection_stories.py``), and what each step is refused with,
as docs/api.md ("Data connections", the ``/environment`` extension, "Required secrets")
says them: one store behind every API shape, secrets split off and kept across an update
that does not name them, a connection in use kept.

A connection is kept per side (``development`` and, from the DataArts Studio calls,
``production``): its type, its settings without secrets, its secrets and its description.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from jobferry.domain.connections import SECRET_MASK, is_secret_key, secret_role
from jobferry.domain.names import check_object_name

DEV, PROD = "development", "production"
KINDS = ("connection", "dli_queue")
"""The environment object kinds a story registers (and one it names that is none)."""
ATTRIBUTES = {"agent_id": "agentId", "dw_category": "dwCategory"}
"""The DataArts Studio attributes a story sends, and the settings that keep them."""
DESCRIPTION_MAX = 255
INVALID, EXISTS, NOT_FOUND, TYPE_CHANGE, IN_USE, OBJECT_NOT_FOUND, UNREADABLE = (
    "DLF.3051",
    "DLF.6309",
    "DLF.6322",
    "DLF.6323",
    "DLF.9013",
    "DLF.9004",
    "DLF.9020",
)


@dataclass(frozen=True)
class Side:
    """One side of a connection, or an environment object of another kind."""

    type: str
    public: dict[str, Any]
    secrets: dict[str, str]
    description: str = ""


@dataclass(frozen=True)
class Write:
    """A connection or object as a call sends it: its settings with any secrets inside, and
    its description (``None``: the call leaves it out)."""

    type: str
    config: dict[str, Any]
    description: str | None = None

    def too_long(self) -> bool:
        """Whether its description is longer than a connection's may be."""
        return len(self.description or "") > DESCRIPTION_MAX


@dataclass
class Space:
    """One workspace: connections by (name, side), other objects by (kind, name), and the
    connection each job references."""

    conns: dict[tuple[str, str], Side] = field(default_factory=dict)
    objects: dict[tuple[str, str], Side] = field(default_factory=dict)
    jobs: dict[str, str] = field(default_factory=dict)

    def dev(self) -> dict[str, Side]:
        """The development sides, by name (the ones jobs reference)."""
        return {name: side for (name, env), side in self.conns.items() if env == DEV}

    def in_use(self, name: str) -> bool:
        """Whether a job of the workspace references the connection ``name``."""
        return name in self.jobs.values()


def bad_name(name: str) -> bool:
    """Whether a connection or object name breaks the name rule."""
    return check_object_name(name, "connection name") is not None


def split(config: dict[str, Any], held: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """(settings, secrets sent) of a write: a key that looks like a secret, or that the
    connection holds as one, is a secret; the mask and a null send none."""
    public: dict[str, Any] = {}
    sent: dict[str, str] = {}
    for key, value in config.items():
        if not (is_secret_key(key) or key in held):
            public[key] = value
        elif value is not None and value != SECRET_MASK:
            sent[key] = str(value)
    return public, sent


def merged(stored: dict[str, str], sent: dict[str, str]) -> dict[str, str]:
    """Secrets after an update: each sent one replaces its own, an empty one removes it."""
    return {k: v for k, v in {**stored, **sent}.items() if v != ""}


def shown(side: Side) -> dict[str, Any]:
    """A connection's settings as the connection calls answer them: every secret masked."""
    return {**side.public, **dict.fromkeys(side.secrets, SECRET_MASK)}


@dataclass
class Model:
    """Both workspaces, and every value ever sent as a secret (no read may show one)."""

    spaces: tuple[Space, Space] = (Space(), Space())
    secret_values: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.spaces = (Space(), Space())

    def save(self, space: Space, key: tuple[str, str], write: Write) -> None:
        """The one write path: settings replaced, secrets merged, description kept when the
        write leaves it out."""
        old = space.conns.get(key)
        stored = old.secrets if old else {}
        public, sent = split(write.config, stored)
        self.secret_values |= {v for v in sent.values() if v}
        description = write.description
        if description is None:
            description = old.description if old else ""
        space.conns[key] = Side(write.type, public, merged(stored, sent), description)

    # --- DataArts Factory ---------------------------------------------------------------
    def dlf(self, op: str, ws: int, name: str, write: Write | None) -> str | None:
        """A Factory call; the code it is refused with, or ``None`` (then applied)."""
        space = self.spaces[ws]
        if op == "delete":
            if space.in_use(name):
                return IN_USE
            if space.conns.pop((name, DEV), None) is None:
                return NOT_FOUND
            return None
        assert write is not None
        if bad_name(name) or not write.type.strip() or write.too_long():
            return INVALID
        old = space.conns.get((name, DEV))
        if op == "create" and old is not None:
            return EXISTS
        if op == "update" and old is None:
            return NOT_FOUND
        if old is not None and old.type != write.type:
            return TYPE_CHANGE
        self.save(space, (name, DEV), write)
        return None

    # --- DataArts Studio ----------------------------------------------------------------
    def studio_create(self, ws: int, sources: list[tuple[str, str, Write]]) -> str | None:
        """A Studio create of every source in one transaction."""
        space = self.spaces[ws]
        keys = [(name, env) for name, env, _ in sources]
        if len(set(keys)) != len(keys) or any(
            bad_name(name) or not w.type.strip() or w.too_long() for name, _, w in sources
        ):
            return INVALID
        if any(key in space.conns for key in keys):
            return EXISTS
        for name, env, write in sources:
            self.save(space, (name, env), write)
        return None

    def studio_update(
        self, ws: int, key: tuple[str, str], sent: tuple[str, str], write: Write
    ) -> str | None:
        """A Studio update of the side ``key`` with one source naming ``sent``."""
        space = self.spaces[ws]
        if bad_name(sent[0]) or not write.type.strip() or write.too_long():
            return INVALID
        old = space.conns.get(key)
        if old is None:
            return NOT_FOUND
        if sent != key:
            return INVALID
        if old.type != write.type:
            return TYPE_CHANGE
        self.save(space, key, write)
        return None

    def studio_delete(self, ws: int, key: tuple[str, str]) -> str | None:
        """A Studio delete of one side (the development side kept while in use)."""
        space = self.spaces[ws]
        if key not in space.conns:
            return NOT_FOUND
        if key[1] == DEV and space.in_use(key[0]):
            return IN_USE
        del space.conns[key]
        return None

    # --- environment objects ------------------------------------------------------------
    def env_put(
        self, ws: int, kind: str, name: str, write: Write, given: dict[str, str] | None
    ) -> str | None:
        """``PUT /environment/{kind}/{name}``: config replaced; ``given`` secrets replace the
        stored ones (``None`` keeps them); a connection's secret settings join them (one sent
        as the mask keeps what is stored under its key)."""
        space = self.spaces[ws]
        if kind not in KINDS or bad_name(name) or not write.type.strip():
            return INVALID
        if kind != "connection":
            old = space.objects.get((kind, name))
            secrets = old.secrets if old and given is None else dict(given or {})
            secrets = {k: v for k, v in secrets.items() if v != ""}
            self.secret_values |= set(secrets.values())
            space.objects[(kind, name)] = Side(write.type, dict(write.config), secrets)
            return None
        old = space.conns.get((name, DEV))
        stored = old.secrets if old else {}
        before = old.public if old else {}
        sent_config = {k: before.get(k) if v == SECRET_MASK else v for k, v in write.config.items()}
        public, moved = split(sent_config, {**stored, **(given or {})})
        base = stored if given is None else given
        secrets = merged(base, moved)
        self.secret_values |= set(secrets.values())
        description = old.description if old else ""
        space.conns[(name, DEV)] = Side(write.type, public, secrets, description)
        return None

    def env_delete(self, ws: int, kind: str, name: str) -> str | None:
        """``DELETE /environment/{kind}/{name}``."""
        space = self.spaces[ws]
        if kind not in KINDS:
            return INVALID
        if kind == "connection" and space.in_use(name):
            return IN_USE
        held = space.conns if kind == "connection" else space.objects
        key = (name, DEV) if kind == "connection" else (kind, name)
        if held.pop(key, None) is None:
            return OBJECT_NOT_FOUND
        return None

    # --- moving between workspaces ------------------------------------------------------
    def bundle(
        self, src: int, policy: str, params: list[tuple[str, str | None, dict[str, str]]]
    ) -> str | None:
        """The source's bundle imported into the other workspace with ``params``
        (name, type, settings)."""
        bundled = self.spaces[src].dev()
        if not bundled:  # the bundle of a workspace without connections holds none to import
            return UNREADABLE
        for name, type_, _ in params:
            if name not in bundled:
                return INVALID
            if type_ is not None and type_.lower() != bundled[name].type.lower():
                return INVALID
        target = self.spaces[1 - src]
        given = {name: settings for name, _, settings in params}
        for name, side in sorted(bundled.items()):
            if (name, DEV) in target.conns and policy == "SKIP":
                continue
            write = Write(side.type, {**side.public, **given.get(name, {})}, side.description)
            self.save(target, (name, DEV), write)
        return None

    def secret_states(self, src: int, renames: dict[str, str]) -> dict[str, str]:
        """What a check of the source's jobs against the other workspace says of each
        connection they use (its name there): ``missing``, ``missing_secret`` (a secret the
        source's has is not set there, by role; only a connection the source registers has
        any) or ``set``."""
        source, target = self.spaces[src], self.spaces[1 - src]
        states = {}
        for used in sorted(set(source.jobs.values())):
            registered = source.conns.get((used, DEV), Side("", {}, {}))
            there = renames.get(used, used)
            held = target.conns.get((there, DEV))
            roles = {secret_role(key) for key in held.secrets} if held else set()
            lacking = not {secret_role(key) for key in registered.secrets} <= roles
            states[there] = "missing" if held is None else "missing_secret" if lacking else "set"
        return states

    def carry(self, src: int, renames: dict[str, str]) -> list[tuple[str, str]]:
        """The source's jobs exported with their manifest and imported into the other
        workspace under a profile renaming connections: the problems, (reason, connection),
        that refuse it; none: the jobs are imported (connections are not)."""
        source, target = self.spaces[src], self.spaces[1 - src]
        problems = {
            ("missing_reference", renames.get(used, used))
            for used in source.jobs.values()
            if (renames.get(used, used), DEV) not in target.conns
        }
        states = self.secret_states(src, renames)
        problems |= {
            ("missing_secret", name) for name, s in states.items() if s == "missing_secret"
        }
        if not problems:
            for job, used in source.jobs.items():
                target.jobs[job] = renames.get(used, used)
        return sorted(problems)
