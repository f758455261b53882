"""What the command line's ``remotes`` commands promise, written from docs/cli.md (the
``remotes add|edit|list|show|test|refresh|remove`` rows, "Exit codes", "Standard output and
standard error"), docs/remotes.md and docs/errors.md, not from the code; for
``tests/cli/test_generated_remote_commands.py``.

The model holds what a story's project holds of its remotes: each remote's endpoint, Studio
endpoint, workspace (the story's DataArts workspace, or one the remote does not have) and key
pair (a remote user's, the remote's admin's, or the remote user's access key with a wrong
secret key); each shadow workspace's jobs (a removed remote's shadow stays, an ordinary
workspace); the jobs the DataArts workspace holds now (name and version), and the failed
signatures in a row of the remote user's access key (the remote locks it at five).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

BAD_INPUT = "DLF.3051"
"""An invalid remote or change (its name, an endpoint that is no http(s) URL) and a remote
reaching the DataArts workspace another remote reaches (docs/errors.md)."""
NAME_TAKEN = "DLF.9010"
DENIED = "DLF.6888"
NO_REMOTE = "DLF.9064"
REMOTE_FAILED = "DLF.9060"
REMOTE_AUTH = "DLF.9061"
USAGE = "usage"
NAME_RULE = re.compile(r"[\w.-]{1,128}")
"""docs/api.md "Names": letters, digits, ``_``, ``-`` and ``.``."""
LOCK_AFTER = 5
"""Failed signatures in a row that lock an access key (docs/settings.md, the gateway's rule)."""
REACHABLE, AUTH_REFUSED, NOT_FOUND = "reachable", "auth_refused", "not_found"


@dataclass(frozen=True)
class Outcome:
    """How a step ends: its exit code, the codes a refusal may carry, what a refusal told to
    a person says, and for ``remotes test`` its verdict."""

    exit_code: int
    codes: frozenset[str] = frozenset()
    says: tuple[str, ...] = ()
    reach: str | None = None


OK = Outcome(0)


def refused(codes: set[str], *says: str, exit_code: int = 1) -> Outcome:
    return Outcome(exit_code, frozenset(codes), says)


def usage(*says: str) -> Outcome:
    return refused({USAGE}, *says, exit_code=2)


@dataclass
class Held:
    """One remote as the project holds it."""

    endpoint: str
    """``gate`` (the contract filter), ``direct`` (the second server itself)."""
    studio: str | None
    """Where the Studio calls go (``None``: the endpoint)."""
    workspace: str
    """``good`` (the story's DataArts workspace) or ``missing``."""
    keys: str
    """``user``, ``admin`` or ``wrong`` (the user's access key, a wrong secret key)."""


def _problems(name: str | None, endpoint: str | None, studio: str | None) -> list[str]:
    """What ``add``/``edit`` is refused for before anything is looked up, each said by (a
    URL named by the option that gave it)."""
    said = []
    if name is not None and NAME_RULE.fullmatch(name) is None:
        said.append(name)
    if endpoint == "bad":
        said.append("--endpoint 'ftp://")
    if studio == "bad":
        said.append("--studio-endpoint 'nope'")
    return said


@dataclass
class Model:
    """The story's remotes, their shadows and the DataArts workspace they reach."""

    remote_jobs: dict[str, int]
    remotes: dict[str, Held] = field(default_factory=dict)
    shadows: dict[str, dict[str, int]] = field(default_factory=dict)
    """Each shadow's jobs and their versions (refreshed from the remote)."""
    refreshed: set[str] = field(default_factory=set)
    """Shadows a refresh has filled (the first one creates the connection too)."""
    failures: int = 0
    """The remote user's failed signatures in a row."""

    def add(
        self, name: str, admin: bool, endpoint: str, studio: str | None, workspace: str, keys: str
    ) -> Outcome:
        """``remotes add``: the body's rules, then project admins only, then the name (a
        remote's, or a workspace's: the shadow takes it), then one remote per DataArts
        workspace and endpoint."""
        problems = _problems(name, endpoint, studio)
        if problems:
            return refused({BAD_INPUT}, *problems) if len(problems) == 1 else refused({BAD_INPUT})
        if not admin:
            return refused({DENIED}, "project admin")
        if name in self.remotes or name in self.shadows:
            return refused({NAME_TAKEN}, name)
        other = self._reaching(name, endpoint, workspace)
        if other is not None:
            return refused({BAD_INPUT}, other)
        self.remotes[name] = Held(endpoint, studio, workspace, keys)
        self.shadows[name] = {}
        return OK

    def _reaching(self, name: str, endpoint: str, workspace: str) -> str | None:
        """Another remote reaching the same DataArts workspace at the same endpoint."""
        for other, held in sorted(self.remotes.items()):
            if other != name and (held.endpoint, held.workspace) == (endpoint, workspace):
                return other
        return None

    def edit(
        self,
        name: str,
        admin: bool,
        endpoint: str | None,
        studio: str | None,
        keys: str | None,
    ) -> Outcome:
        """``remotes edit``: nothing given is a usage error; then the change's rules, project
        admins only, the remote, one remote per DataArts workspace and endpoint. ``keys``
        ``secret`` rotates the secret key alone (the right one for the access key held)."""
        if endpoint is None and studio is None and keys is None:
            return usage("Nothing to change")
        problems = _problems(None, endpoint, studio)
        if problems:
            return refused({BAD_INPUT}, *problems) if len(problems) == 1 else refused({BAD_INPUT})
        if not admin:
            return refused({DENIED}, "project admin")
        held = self.remotes.get(name)
        if held is None:
            return refused({NO_REMOTE}, name, "jobferry remotes list")
        moved = endpoint or held.endpoint
        other = self._reaching(name, moved, held.workspace)
        if other is not None:
            return refused({BAD_INPUT}, other)
        held.endpoint = moved
        if studio is not None:
            held.studio = None if studio == "default" else studio
        if keys == "secret":
            held.keys = "admin" if held.keys == "admin" else "user"
        elif keys is not None:
            held.keys = keys
        return OK

    def show(self, name: str) -> Outcome:
        """``remotes show``: any member of the project."""
        if name not in self.remotes:
            return refused({NO_REMOTE}, name, "jobferry remotes list")
        return OK

    def _signed(self, held: Held) -> bool:
        """One signed call to the remote: whether its signature is accepted (the user's
        access key counts its failures in a row, and refuses all once locked)."""
        if held.keys == "admin":
            return True
        if self.failures >= LOCK_AFTER:
            return False
        if held.keys == "wrong":
            self.failures += 1
            return False
        self.failures = 0
        return True

    def _may_refresh(self, name: str, admin: bool) -> Outcome | None:
        """A remote unknown, or a caller without a writer's role in its shadow."""
        if name not in self.remotes:
            return refused({NO_REMOTE}, name, "jobferry remotes list")
        if not admin:
            return refused({DENIED}, name)
        return None

    def test(self, name: str, admin: bool) -> Outcome:
        """``remotes test``: the verdict on standard output, exit 1 unless reachable."""
        denied = self._may_refresh(name, admin)
        if denied is not None:
            return denied
        held = self.remotes[name]
        if not self._signed(held):
            return Outcome(1, reach=AUTH_REFUSED)
        if held.workspace != "good":
            return Outcome(1, reach=NOT_FOUND)
        return Outcome(0, reach=REACHABLE)

    def refresh(self, name: str, admin: bool) -> tuple[Outcome, dict[str, int]]:
        """``remotes refresh``: the shadow then holds what the remote holds; the jobs'
        counts (created, updated, deleted, unchanged) and ``first``: 1 when it is the shadow's
        first (which creates the workspace's one connection too)."""
        denied = self._may_refresh(name, admin)
        if denied is not None:
            return denied, {}
        held = self.remotes[name]
        if not self._signed(held):
            return refused({REMOTE_AUTH}, name), {}
        if held.workspace != "good":  # the fix: its settings, and what cannot change
            fixes = (f"jobferry remotes show {name}", "jobferry remotes add NEW_NAME")
            return refused({REMOTE_FAILED}, name, *fixes), {}
        before, now = self.shadows[name], dict(self.remote_jobs)
        counts = {
            "created": len(now.keys() - before.keys()),
            "updated": sum(1 for n in now if n in before and before[n] != now[n]),
            "deleted": len(before.keys() - now.keys()),
            "unchanged": sum(1 for n in now if before.get(n) == now[n]),
        }
        counts["first"] = int(name not in self.refreshed)
        self.refreshed.add(name)
        self.shadows[name] = now
        return OK, counts

    def remove(self, name: str, admin: bool, mode: str) -> Outcome:
        """``remotes remove``: ``yes``, ``asked-yes``, ``asked-no`` (declined: exit 1,
        nothing removed) or ``unasked`` (no terminal to ask on: exit 2)."""
        if mode == "unasked":
            return usage("--yes")
        if mode == "asked-no":
            return Outcome(1)
        if not admin:
            return refused({DENIED}, "project admin")
        if name not in self.remotes:
            return refused({NO_REMOTE}, name, "jobferry remotes list")
        del self.remotes[name]
        return OK
