"""What the command line's ``jobs`` and ``scripts`` commands promise to a person of a
workspace role, written from docs/cli.md (their rows, "Standard output and standard error",
"Exit codes", "A fix names the workspace it is for", "Contexts") and docs/api.md ("Roles",
the job calls), not from the code; for ``tests/cli/test_generated_job_commands.py``.

A story has two workspaces: the context's own (``home``) and another (``away``) that a step
names with ``-w``, by its name or by its id. The person holds a role in ``home`` and one, or
none, in ``away``. What each workspace holds is ``support/cli_command_model.py``'s ``Model``
(its jobs, their scheduling and dependencies, its scripts), with each job's tags beside it.

- Every role reads (``jobs list``, ``jobs show``); ``admin``, ``developer`` and ``operator``
  start and stop jobs; ``admin`` and ``developer`` rename and delete them and delete scripts
  (docs/api.md "Roles"); any other write is refused, ``DLF.6888``, changing nothing.
- A workspace named by a name that is none of the person's is refused before any call, exit 2
  (``error.code`` ``workspace``), naming ``jobferry workspaces list``; named by its id, the
  server refuses every call of a person without a role there (``DLF.6888``).
- ``jobs delete`` and ``scripts delete`` ask first: without ``--yes`` and no terminal they
  refuse at once, exit 2, naming ``--yes``; a question declined deletes nothing (exit 1,
  ``Cancelled; nothing was deleted.`` on standard output).
- A job locked by another user in a workspace of the hard lock policy, and a job carrying a
  locked tag, are neither renamed nor deleted, whoever asks (``DLF.9012``, ``DLF.9091``, naming
  the job); both are started and stopped, and given their own name (a rename that changes
  nothing, docs/api.md). A lock goes with its job's rename.
- A job saved but never submitted has no version to show (``DLF.0100``, naming ``jobferry jobs
  show NAME``, which shows its development state) nor to schedule (``DLF.3051``, naming
  ``--status submitted``).
- A fix printed for a refusal in ``away`` carries ``-w`` with the workspace as the step named
  it (its name, or its id); in ``home`` it carries none.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from support.cli_command_model import (
    MISSING_JOB,
    OK,
    USAGE,
    WORKSPACE,
    Model,
    Outcome,
    refused,
)

DENIED = "DLF.6888"
NOT_SUBMITTED = "DLF.3051"
LOCKED = "DLF.9012"
LOCKED_TAG = "DLF.9091"
MAY: dict[str, frozenset[str]] = {
    "list": frozenset({"admin", "developer", "operator", "viewer"}),
    "show": frozenset({"admin", "developer", "operator", "viewer"}),
    "start": frozenset({"admin", "developer", "operator"}),
    "stop": frozenset({"admin", "developer", "operator"}),
    "rename": frozenset({"admin", "developer"}),
    "delete": frozenset({"admin", "developer"}),
    "delete-script": frozenset({"admin", "developer"}),
}
"""Which roles may run each command (docs/api.md "Roles")."""
ASKING = ("delete", "delete-script")


@dataclass
class Place:
    """One workspace of the story: what it holds, and the person's role there."""

    model: Model
    role: str | None
    tags: dict[str, frozenset[str]] = field(default_factory=dict)
    locked: set[str] = field(default_factory=set)
    """Jobs another user holds the lock of (the workspace's lock policy then hard)."""
    frozen: frozenset[str] = frozenset()
    """The workspace's locked tags."""
    drafts: set[str] = field(default_factory=set)
    """Its jobs never submitted."""

    def copy(self) -> Place:
        """A copy to try a step on."""
        return Place(
            copy.deepcopy(self.model),
            self.role,
            dict(self.tags),
            set(self.locked),
            self.frozen,
            set(self.drafts),
        )

    def guards(self, name: str) -> Outcome | None:
        """A lock or a locked tag keeping job ``name`` as it is, or None."""
        if name not in self.model.jobs:
            return None
        rules = []
        if name in self.locked:
            rules.append(refused({LOCKED}, name, "hard"))
        tags = sorted(self.tags.get(name, frozenset()) & self.frozen)
        if tags:
            rules.append(refused({LOCKED_TAG}, name, *tags))
        if not rules:
            return None
        return rules[0] if len(rules) == 1 else Outcome(1, rules[0].codes | rules[1].codes)

    def listed(self, text: str | None, tags: tuple[str, ...], realtime: bool) -> list[str]:
        """``jobs list``'s names: ``--name`` a part of the name, ``--tags`` any of them."""
        names = [name for name, _ in self.model.listed(text, realtime)]
        return [n for n in names if not tags or self.tags.get(n, frozenset()) & set(tags)]


@dataclass
class Jobs:
    """The story's two workspaces as the docs say the commands leave them."""

    places: dict[str, Place]

    def predict(self, act: str, where: str, args: tuple[object, ...], mode: str) -> Outcome:
        """What ``act`` run on ``where`` (``home``; ``name``, ``id`` or ``root``: by name
        before the command) does; ``mode`` how a
        deletion is confirmed (``yes``, ``unasked``, ``asked-yes``, ``asked-no``)."""
        place = self.places["home" if where == "home" else "away"]
        bad_version = isinstance(args[-1], int) and args[-1] < 1  # versions count from 1
        shown = act == "show" and (args[1] == "both" or bad_version)
        usage = shown or (act in ASKING and mode == "unasked")
        unknown = place.role is None and where in ("name", "root")
        if usage and unknown:  # both refused before any call, the docs ordering neither
            return Outcome(2, frozenset({USAGE, WORKSPACE}))
        if shown:
            return refused({USAGE}, "--version", exit_code=2)
        if usage:
            return refused({USAGE}, "--yes", exit_code=2)
        if unknown:
            return refused({WORKSPACE}, "jobferry workspaces list", exit_code=2)
        if act in ASKING and mode == "asked-no":
            return Outcome(1)
        if place.role not in MAY[act]:
            return _denied(place, act, args)
        return _allowed(place, act, args)


def _denied(place: Place, act: str, args: tuple[object, ...]) -> Outcome:
    """A role that may not: refused for it (a step another rule refuses too may be refused
    for either, the docs ordering none)."""
    if act in ("list", "show") and place.role is not None:
        return OK
    other = _allowed(place.copy(), act, args)
    if other.codes and other.exit_code == 1:
        return Outcome(1, frozenset({DENIED, *other.codes}))
    return refused({DENIED})


def _allowed(place: Place, act: str, args: tuple[object, ...]) -> Outcome:
    """A step of a role that may, on ``place``'s model (which it changes when it works)."""
    model = place.model
    name = str(args[0])
    if act == "list":
        return OK
    if act == "show":
        version = args[1]
        if name in place.drafts and version is not None:
            return refused({MISSING_JOB}, name, f"jobferry jobs show {name}")
        number = version if isinstance(version, int) else None
        return model.show(name, number, version == "submitted")
    if act == "start" and name in place.drafts:
        return refused({NOT_SUBMITTED}, name, "--status submitted")
    if act in ("start", "stop"):
        return model.schedule(name, act == "start")
    if act == "rename" and args[1] == name:  # changes nothing, so nothing keeps it from it
        return _changed(place, act, args)
    if act in ("rename", "delete") and (kept := place.guards(name)) is not None:
        other = _changed(place.copy(), act, args)
        return Outcome(1, kept.codes | other.codes) if other.codes else kept
    return _changed(place, act, args)


def _changed(place: Place, act: str, args: tuple[object, ...]) -> Outcome:
    """A rename or a deletion no lock keeps from its job."""
    model, name = place.model, str(args[0])
    if act == "rename":
        new = str(args[1])
        outcome = model.rename(name, new)
        if outcome == OK and new != name:
            place.tags[new] = place.tags.pop(name, frozenset())
            for held in (place.locked, place.drafts):
                if name in held:
                    held.discard(name)
                    held.add(new)
        return outcome
    if act == "delete":
        outcome = model.delete_job(name)
        if outcome == OK:
            place.tags.pop(name, None)
            place.locked.discard(name)
            place.drafts.discard(name)
        return outcome
    return model.delete_script(name)
