"""What ``jobferry apply -f DIR`` and ``jobferry pull DIR`` promise, written from docs/cli.md
(the commands table, "Exit codes", "Standard output and standard error") and docs/api.md (the
roles; "Definitions are stored exactly as sent: unknown keys … are kept"), not from the code;
for ``tests/cli/test_generated_folder_commands.py``.

The model holds the story's workspace (its jobs and scripts, each a definition) and its folder
(each file: a definition, or a bad file of some kind). Each command answers an ``Outcome``:
the exit code, the codes a refusal may carry, what a refusal told to a person says, and for an
``apply`` the plan's action of every object, for a ``pull`` the files it writes, leaves,
removes and moves.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from jobferry.domain.enums import ObjectKind
from jobferry.package.folder import file_paths
from support.cli_command_model import USAGE

DENIED = "DLF.6888"
"""A role that may not do this (docs/errors.md): a viewer's ``apply`` and ``pull``."""
FOLDER_REFUSED = "problems"
"""``error.code`` of a folder with a bad file (docs/cli.md: nothing is sent, exit 3; a
failure that is not the server's says its kind, ``problems`` for exit 3)."""
LOCAL_EDITS = "local_edits"
"""``error.code`` of a pull that would lose files edited since the last pull (docs/cli.md)."""
WRITERS = ("admin", "developer")
"""The roles that write jobs and scripts (docs/api.md "Roles"), and export them."""
OWNED = ("jobs/", "scripts/", "resources/")
DEFINITION_SUFFIXES = (".json", ".job", ".script", ".resource")

Key = tuple[str, str]
"""(kind, name) of a definition."""


@dataclass(frozen=True)
class File:
    """A file of the folder: a definition (``key`` and ``document``) or a bad one (``bad``:
    ``json`` not JSON, ``outside`` a ``*.json`` under no folder of objects, ``invalid`` a
    definition the validation refuses)."""

    key: Key | None
    document: dict[str, Any] | None = None
    bad: str | None = None


@dataclass(frozen=True)
class Outcome:
    """How a command ends (see the module docstring)."""

    exit_code: int
    codes: frozenset[str] = frozenset()
    says: tuple[str, ...] = ()
    actions: dict[Key, str] = field(default_factory=dict)
    """``apply``: the plan's action of each object."""
    problems: bool = False
    """``apply``: the plan lists problems (nothing imported; the answer on standard output)."""
    pulled: dict[str, Any] = field(default_factory=dict)
    """``pull``: ``written``, ``unchanged``, ``removed``, ``moved`` as predicted."""


def refused(codes: set[str], *says: str, exit_code: int = 1) -> Outcome:
    return Outcome(exit_code, frozenset(codes), says)


@dataclass
class Model:
    """The story's workspace and folder as the docs say the commands leave them."""

    role: str
    held: dict[Key, dict[str, Any]] = field(default_factory=dict)
    files: dict[str, File] = field(default_factory=dict)
    scheduled: set[str] = field(default_factory=set)
    """The jobs started (``jobs start``, the console) and not stopped since."""
    saved: set[Key] = field(default_factory=set)
    """Jobs and scripts saved and not submitted since (``--status saved``, the console)."""
    unversioned: set[str] = field(default_factory=set)
    """Jobs with no submitted version (made by an apply with ``--status saved``): none starts."""
    pristine: dict[str, tuple[Key, dict[str, Any]]] = field(default_factory=dict)
    """Files as the last pull wrote them, untouched since: the object and its definition."""
    recorded: set[str] | None = None
    """The files the last pull left (its record); ``None`` before the first pull."""

    # -- the folder -----------------------------------------------------------------------

    def write(self, path: str, file: File) -> None:
        self.files[path] = file
        self.pristine.pop(path, None)

    def remove(self, path: str) -> None:
        self.files.pop(path, None)
        self.pristine.pop(path, None)

    def where(self, key: Key) -> str | None:
        """The file defining ``key``, if one does."""
        return next((p for p, f in sorted(self.files.items()) if f.key == key and not f.bad), None)

    def changed_on_server(
        self, key: Key, document: dict[str, Any] | None, saved: bool = False, made: bool = False
    ) -> None:
        """An object made, changed (``saved``: not submitted; ``made`` so: no version) or
        deleted in the workspace."""
        job = key[1] if key[0] == "job" else ""
        if document is None:
            self.held.pop(key, None)
            self.scheduled.discard(job)
            self.saved.discard(key)
            self.unversioned.discard(job)
            return
        self.held[key] = copy.deepcopy(document)
        if saved:
            self.saved.add(key)
            if made:
                self.unversioned.add(job)
        else:
            self.saved.discard(key)
            self.unversioned.discard(job)

    def folder_problems(self) -> list[str]:
        """The files ``apply`` refuses, each named (docs/cli.md: one problem anywhere sends
        nothing): not JSON, under no folder of objects, refused by the validation, or a
        second file of an object."""
        named: list[str] = []
        seen: set[Key] = set()
        for path, file in sorted(self.files.items()):
            if file.bad is not None or (file.key is not None and file.key in seen):
                named.append(path)
            elif file.key is not None:
                seen.add(file.key)
        return named

    def definitions(self) -> dict[Key, dict[str, Any]]:
        return {f.key: f.document for f in self.files.values() if f.key and f.document}

    # -- apply ----------------------------------------------------------------------------

    def apply(
        self, admin: bool, prune: bool, dry_run: bool, pause: bool, saved: bool = False
    ) -> Outcome:
        """``apply -f DIR [--prune] [--dry-run|--yes] [--scheduling pause-and-restore]
        [--status saved]``: a scheduled job overwritten or deleted is a problem unless the
        import stops it first (and starts again the one it overwrites); an object saved and
        not submitted since is written again (submitted) unless ``--status saved``."""
        problems = self.folder_problems()
        if problems:
            return refused({FOLDER_REFUSED}, "nothing was applied", *problems, exit_code=3)
        folder = self.definitions()
        if not folder:
            return refused({USAGE}, "holds no definition", exit_code=2)
        if not admin and self.role not in WRITERS:
            return refused({DENIED}, self.role, "admin")
        after = dict(self.held) if not prune else {}
        after.update(folder)
        actions: dict[Key, str] = {}
        for key, document in folder.items():
            held = self.held.get(key)
            if held is None:
                actions[key] = "CREATE"
            else:
                same = held == document and (saved or key not in self.saved)
                actions[key] = "UNCHANGED" if same else "OVERWRITE"
        for key in self.held:
            if key not in after:
                actions[key] = "DELETE"
        scripts = {name for kind, name in after if kind == "script"}
        missing = any(
            (used := script_of(document)) is not None and used not in scripts
            for (kind, _), document in after.items()
            if kind == "job"
        )
        stopped = [
            name
            for (kind, name), action in actions.items()
            if kind == "job" and name in self.scheduled and action in ("OVERWRITE", "DELETE")
        ]
        if missing or (stopped and not pause):
            return Outcome(3, actions=actions, problems=True)
        pending = any(action != "UNCHANGED" for action in actions.values())
        if dry_run:
            return Outcome(4 if pending else 0, actions=actions)
        if pending:
            for key, action in actions.items():
                if action != "UNCHANGED":
                    self.changed_on_server(key, after.get(key), saved, action == "CREATE")
        return Outcome(0, actions=actions)

    # -- pull -----------------------------------------------------------------------------

    def pull(self, admin: bool) -> Outcome:
        """``pull DIR``: every object written at its own file, stale definition files under
        the three folders of objects removed (moved when they define an object written)."""
        if not admin and self.role not in WRITERS:
            return refused({DENIED}, self.role, "admin")
        paths = _paths(self.held)
        by_path = {path: key for key, path in paths.items()}
        lost = self.lost_edits(by_path)
        if lost:  # nothing written: the person applies them first, or pulls with --force
            return refused({LOCAL_EDITS}, *lost)
        same = {p for p, k in by_path.items() if self.pristine.get(p) == (k, self.held[k])}
        written = sorted(set(by_path) - same)
        unchanged = sorted(same)
        removed: list[str] = []
        moved: dict[str, str] = {}
        for path, file in sorted(self.files.items()):
            if path in by_path or not path.startswith(OWNED):
                continue
            if not path.endswith(DEFINITION_SUFFIXES):
                continue
            if file.key in paths and file.bad in (None, "invalid"):
                moved[path] = paths[file.key]
            else:
                removed.append(path)
            del self.files[path]
        for key, path in paths.items():
            self.files[path] = File(key, copy.deepcopy(self.held[key]))
        self.pristine = {p: (k, copy.deepcopy(self.held[k])) for p, k in by_path.items()}
        self.recorded = set(by_path)
        pulled = {"written": written, "unchanged": unchanged, "removed": removed, "moved": moved}
        return Outcome(0, pulled=pulled)

    def lost_edits(self, by_path: dict[str, Key]) -> list[str]:
        """The definition files edited since the last pull that a pull would lose (docs/cli.md):
        added or changed, unless the pull writes what they hold (applied since), and removed
        ones it would write again; none before a first pull."""
        if self.recorded is None:
            return []
        lost: list[str] = []
        for path, file in sorted(self.files.items()):
            if not path.startswith(OWNED) or not path.endswith(DEFINITION_SUFFIXES):
                continue
            key = by_path.get(path)
            held = self.held.get(key) if key is not None else None
            applied = file.bad is None and file.key == key and file.document == held
            if path not in self.pristine and not applied:
                lost.append(path)
        return lost + sorted(p for p in self.recorded - set(self.files) if p in by_path)


def _paths(held: dict[Key, Any]) -> dict[Key, str]:
    """Where ``pull`` writes each object (docs/cli.md: ``jobs/<name>.json``, a dot first as
    ``%2E``, names differing only in case marked)."""
    found = file_paths((ObjectKind(kind), name) for kind, name in held)
    return {(str(kind), name): path for (kind, name), path in found.items()}


def script_of(job: dict[str, Any]) -> str | None:
    """The script a job's node runs, if one does."""
    for node in job.get("nodes") or []:
        for item in node.get("properties") or []:
            if item.get("name") == "scriptName":
                return str(item.get("value"))
    return None
