"""What ``jobferry audit``, ``jobferry drift`` and ``jobferry users keys …`` promise, written
from docs/cli.md (the commands' rows, "Exit codes") and docs/api.md (the audit log's search, a
workspace's drift, approval keys), not from the code; for
``tests/cli/test_generated_audit_commands.py``.

The model holds a story's workspace's audit log (the lines written before the story, read
once, then each one a step writes, newest first), the drift of the objects the story's import
wrote, the approval keys of its two people and the project's audit lines of what they did
with them. Each step answers an ``Outcome`` (``support/cli_command_model.py``); a search
answers the entries it finds too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from support.cli_command_model import OK, USAGE, Outcome, refused

DENIED = "DLF.6888"
INVALID = "DLF.3051"
NO_KEY = "DLF.9007"
TAKEN = "DLF.9010"
ACTION = re.compile(r"[a-z][a-z_]*(\.[a-z][a-z_]*)?")
"""docs/cli.md: an action is lower-case words with one dot at most."""
SPAN = "1h"
"""The span back from now a search may give: older than every line of a story."""
IMPORTED = (("job", "daily_sales"), ("script", "daily_sales_sh"), ("script", "daily_sales_sql"))
IMPORTED += (("resource", "udf_jar"),)
"""What the story's import wrote (the ``package`` fixture's objects), as drift lists them."""
KIND_ORDER = ("job", "script", "resource")
LABEL_LENGTH = 128
"""docs/api.md: an approval key's ``name`` (``--name``) is at most 128 characters."""


@dataclass
class Entry:
    """One line of the workspace's (or the project's) audit log."""

    action: str
    kind: str | None
    name: str | None
    actor: str
    at: int | None = None
    """When the server wrote it (read back once the step that wrote it ended)."""

    def seen(self) -> tuple[str, str | None, str | None, str]:
        return (self.action, self.kind, self.name, self.actor)


@dataclass(frozen=True)
class Search:
    """``jobferry audit``'s options as a step gives them; a time is ``("mark", i)`` (the
    moment before the story's i-th step), ``("span", SPAN)``, or ``("text", TEXT)`` given as
    it is (a time that is none, one before 1970)."""

    object_name: str | None = None
    kind: str | None = None
    user: str | None = None
    action: str | None = None
    since: tuple[str, Any] | None = None
    until: tuple[str, Any] | None = None
    limit: int | None = None
    project: bool = False


@dataclass(frozen=True)
class Found:
    """What a search answers: its outcome, the entries shown (newest first), how many match,
    and the imports listed of its object (``None``: no object asked for)."""

    outcome: Outcome
    entries: tuple[Entry, ...] = ()
    total: int = 0
    imports: tuple[tuple[str, str], ...] | None = None


@dataclass
class Key:
    """A key pair the story made on this machine, and whose approval key it is."""

    key_id: str
    owner: str | None = None
    revoked: bool = False


@dataclass
class Model:
    """The story's workspace, people and keys as the docs say the commands leave them."""

    people: dict[str, str]
    """``admin`` and ``dev`` (a workspace admin, a developer): their user names; ``root`` the
    project admin who set the story up."""
    log: list[Entry]
    """The workspace's audit log, newest first."""
    imported_at: int
    jobs: set[str] = field(default_factory=lambda: {"daily_sales"})
    """The names of the workspace's jobs."""
    imported_job: str | None = "daily_sales"
    """The name the job the import wrote has now (``None``: deleted)."""
    drift: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    """Imported objects changed since, by what the import wrote (kind, name): ``changed`` or
    ``deleted``, and who changed it last."""
    edited: set[tuple[str, str]] = field(default_factory=set)
    """Imported objects whose definition was saved since (each save writes another one)."""
    marks: list[int] = field(default_factory=list)
    keys: dict[int, Key] = field(default_factory=dict)
    project_log: dict[str, list[Entry]] = field(default_factory=dict)
    """Each person's lines of the project's log, newest first."""

    def wrote(
        self, who: str, action: str, kind: str, name: str, imported: tuple[str, str] | None
    ) -> None:
        """A signed call of ``who`` (admin, dev) wrote an object (``imported``: the one the
        import wrote, by the kind and name it wrote; drift follows that object, not its name:
        one made again under its name is another object, which no import wrote): one line of
        the log, and the drift of what the import wrote; a job renamed back to the name the
        import wrote, its definition never saved since, is as the import wrote it."""
        by = self.people[who]
        self.log.insert(0, Entry(action, kind, name, by))
        if imported is None:
            return
        if action.endswith(".delete"):
            self.drift[imported] = ("deleted", by)
            return
        if action.endswith(".update"):
            self.edited.add(imported)
        renamed = self.current(*imported) != imported[1]
        if imported in self.edited or renamed:
            self.drift[imported] = ("changed", by)
        else:
            self.drift.pop(imported, None)

    def current(self, kind: str, name: str) -> str | None:
        """The name the object the import wrote as ``name`` has now (``None``: deleted)."""
        if self.drift.get((kind, name), ("",))[0] == "deleted":
            return None
        return self.imported_job if (kind, name) == ("job", "daily_sales") else name

    # ``jobferry audit``

    def search(self, who: str, search: Search) -> Found:
        """``jobferry audit`` of ``who`` with ``search``: usage errors first (the command's
        own checks), then the server's (the role, then the action)."""
        usage = self._usage(search)
        if usage is not None:
            return Found(usage)
        if search.project and who != "root":
            return Found(refused({DENIED}, self.people[who]))
        if who == "dev" and not search.project:
            return Found(refused({DENIED}, self.people[who]))
        action = (search.action or "").strip()
        if action and not ACTION.fullmatch(action):
            return Found(refused({INVALID}, f"action '{action}'"))
        since, until = self._moment(search.since), self._moment(search.until)
        log = self._project(search) if search.project else self.log
        found = [e for e in log if _matches(e, search, since, until)]
        shown = tuple(found[: search.limit or 20])
        imports = None
        if (search.object_name or "").strip() and not search.project:  # blank is none
            imports = self._imports(search, since, until)
        return Found(OK, shown, len(found), imports)

    def _usage(self, search: Search) -> Outcome | None:
        if search.limit is not None and not 1 <= search.limit <= 100:
            return refused({USAGE}, "--limit", exit_code=2)
        for option, bound in (("--since", search.since), ("--until", search.until)):
            if bound is not None and bound[0] == "text":
                return refused({USAGE}, option, exit_code=2)
        since, until = self._moment(search.since), self._moment(search.until)
        if since is not None and until is not None and since >= until:
            return refused({USAGE}, "--since", "--until", exit_code=2)
        return None

    def _moment(self, bound: tuple[str, Any] | None) -> int | None:
        """The epoch milliseconds a time names (a span: an hour before the first mark)."""
        if bound is None:
            return None
        if bound[0] == "mark":
            return self.marks[bound[1]]
        return self.marks[0] - 3_600_000

    def _project(self, search: Search) -> list[Entry]:
        user = (search.user or "").strip()
        people = [p for p in self.people.values() if p == user] if user else []
        return [e for p in people for e in self.project_log.get(p, [])]

    def _imports(
        self, search: Search, since: int | None, until: int | None
    ) -> tuple[tuple[str, str], ...]:
        """The imports an object's history lists: the story's one import, of an object held
        now, within the window (whatever the other filters)."""
        name, kind = (search.object_name or "").strip(), (search.kind or "").strip()
        held = [(k, n) for k, n in IMPORTED if self.current(k, n) == name and kind in ("", k)]
        at = self.imported_at
        inside = (since is None or at >= since) and (until is None or at < until)
        return tuple(held) if inside else ()

    # ``jobferry drift``

    def drifted(self) -> Outcome:
        """Exit 4 when anything drifted, 0 when nothing did (docs/cli.md)."""
        return Outcome(4) if self.drift else OK

    def drift_listed(self) -> list[tuple[str, str, bool, str]]:
        """(kind, name, deleted, by whom) of each drifted object, as the answer lists them."""
        listed = [
            (kind, self.current(kind, name) or name, state == "deleted", by)
            for (kind, name), (state, by) in self.drift.items()
        ]  # a deleted one under the name the import wrote
        return sorted(listed, key=lambda item: (KIND_ORDER.index(item[0]), item[1]))

    # ``jobferry users keys …``

    def new(self, index: int, key_id: str | None) -> Outcome:
        """``users keys new FILE``: refused when FILE is there (nothing is overwritten)."""
        if index in self.keys:
            return refused({USAGE}, "exists", exit_code=2)
        assert key_id is not None
        self.keys[index] = Key(key_id)
        return OK

    def add(self, who: str, index: int, label: str) -> Outcome:
        """``users keys add FILE.pub --name LABEL``: a label past 128 characters or a file
        that is none is refused before anything is sent; a key registered already (revoked
        or not, by anyone) is refused."""
        key = self.keys.get(index)
        if len(label) > LABEL_LENGTH:
            return refused({USAGE}, "--name", str(LABEL_LENGTH), exit_code=2)
        if key is None:  # its file was never made
            return refused({USAGE}, "There is no file", ".pub", exit_code=2)
        if key.owner is not None:
            return refused({TAKEN}, key.key_id, "jobferry users keys new")
        key.owner = self.people[who]
        self._project_line(who, "approval_key.register")
        return OK

    def revoke(self, who: str, index: int | None, key_id: str) -> Outcome:
        """``users keys revoke KEY_ID``: one of the caller's keys (again: nothing changes)."""
        key = self.keys.get(index) if index is not None else None
        if key is None or key.owner != self.people[who]:
            return refused({NO_KEY}, key_id, "jobferry users keys list lists your approval keys")
        if not key.revoked:
            key.revoked = True
            self._project_line(who, "approval_key.revoke")
        return OK

    def members(self, who: str) -> Outcome:
        """``users keys members``: the workspace's admins only."""
        return OK if who in ("admin", "root") else refused({DENIED}, self.people[who])

    def keys_of(self, *people: str) -> list[tuple[str, str, bool]]:
        """(key id, user, revoked) of the keys of ``people`` (user names), by key id."""
        return sorted(
            (k.key_id, k.owner, k.revoked)
            for k in self.keys.values()
            if k.owner is not None and k.owner in people
        )

    def _project_line(self, who: str, action: str) -> None:
        user = self.people[who]
        self.project_log.setdefault(user, []).insert(0, Entry(action, "user", user, user))


def _matches(entry: Entry, search: Search, since: int | None, until: int | None) -> bool:
    """docs/cli.md: each filter given narrows (blank is none); ``--action job`` is ``job``
    and every ``job.…``; ``--since`` includes its moment, ``--until`` does not."""
    for wanted, held in (
        (search.object_name, entry.name),
        (search.kind, entry.kind),
        (search.user, entry.actor),
    ):
        text = (wanted or "").strip()
        if text and text != held:
            return False
    action = (search.action or "").strip()
    if action and "." not in action:
        if entry.action != action and not entry.action.startswith(action + "."):
            return False
    elif action and entry.action != action:
        return False
    at = entry.at
    assert at is not None
    return (since is None or at >= since) and (until is None or at < until)
