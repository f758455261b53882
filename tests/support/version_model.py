"""What the documents promise of the submitted versions of jobs and scripts and of the target
status of a save or an import (docs/api.md, "DataArts v1 calls served": ``show_job``'s
``version`` and ``getJobSubmitVersion``, the comparison of versions, *Target status*,
``start_job``; "Import": *Apply*), as a model the generated stories of
``tests/unit/services/test_generated_versions.py`` are checked against.

A workspace holds jobs and scripts by name, each its development state and its submitted
versions (numbered from 1, each kept as submitted with its status and who submitted it), and a
job its scheduling status. A save (create or update) stores the development state; with
``targetStatus`` SUBMITTED or PRODUCTION (or none, without the approval switch) also a new
version of it. An import writes each object of its package as a save does, except one whose
development state is the package's already: that one is UNCHANGED and gets no version only
when it needs none (the import saves only, or its newest version is that text); its version
is due otherwise, written under ``sameNamePolicy`` OVERWRITE and left (SKIP) under SKIP.
A comparison of two states of an object (its development state or a version, with a
version) names the fields that differ; one of a version it does not have, or of nothing
before the first, is refused (DLF.0100). A rollback of an import (its newest that wrote
objects) puts back what it changed, unless any of them changed since (DLF.9016). Who may:
admins and developers save, import and roll back, PRODUCTION is the admins'; admins,
developers and operators start and stop. With the approval switch on, a save or an import
without ``targetStatus`` is refused, as is SUBMITTED without approvers (DLF.0802). A refused
step changes nothing and carries the code the documents name for its reason.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

ADMIN, DEVELOPER, OPERATOR, VIEWER = "admin", "developer", "operator", "viewer"
ROLES = (ADMIN, DEVELOPER, OPERATOR, VIEWER)
WRITERS = (ADMIN, DEVELOPER)
STARTERS = (ADMIN, DEVELOPER, OPERATOR)
DENIED = "DLF.6888"
INVALID = "DLF.3051"
REQUIRED = "DLF.0802"
NO_JOB = "DLF.0100"
"""A job, or a version of a job or script, that does not exist."""
NO_SCRIPT = "DLF.6201"
CONFLICT = "DLF.9016"
"""A rollback of an import whose objects changed since."""
FAILED = "FAILED"
"""An import whose task fails (a problem found: nothing is imported)."""
STOPPED, SCHEDULING = "STOPPED", "SCHEDULING"
Line = tuple[str, str, str | None, str | None]
"""An audit entry: (actor, action, object kind, object name)."""


@dataclass
class Held:
    """One job or script: its development state and submitted versions (version ``i + 1`` at
    ``i``: (status, document, who submitted it)), and a job's scheduling status."""

    document: dict[str, Any]
    versions: list[tuple[str, dict[str, Any], str]] = field(default_factory=list)
    status: str = STOPPED

    def submitted_as_it_stands(self) -> bool:
        """Whether its newest version holds its development state."""
        return bool(self.versions) and self.versions[-1][1] == self.document


@dataclass
class Place:
    """What one workspace holds, and whether its approval switch is on."""

    approval: bool
    objects: dict[tuple[str, str], Held] = field(default_factory=dict)
    """(kind, name) → what is held."""
    written: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    """(kind, name) → the definition the last import wrote (or found as it held it)."""
    imports: list[Imported] = field(default_factory=list)
    """The imports that wrote objects, not rolled back, oldest first."""


@dataclass
class Imported:
    """An import that wrote objects: its task, and what the place held of them before and
    right after it."""

    task_id: str
    before: dict[tuple[str, str], Held | None]
    after: dict[tuple[str, str], Held]
    written: dict[tuple[str, str], dict[str, Any]]
    """The place's ``written`` before it."""
    saved_since: set[tuple[str, str]] = field(default_factory=set)
    """The objects saved since it ran (a job outside it that now uses a name it made holds
    its rollback back: docs/api.md)."""


def status_refusal(approval: bool, role: str, status: str | None, approvers: bool) -> str | None:
    """The code a save or an import by a writer is refused with for its target status."""
    if approval and status is None:
        return REQUIRED
    if status == "PRODUCTION" and role != ADMIN:
        return DENIED
    if approval and status == "SUBMITTED" and not approvers:
        return REQUIRED
    return None


class Model:
    """The workspaces of a story, what they hold, and the audit entries each change writes."""

    def __init__(self, places: dict[str, bool]) -> None:
        self.places = {name: Place(approval) for name, approval in places.items()}
        self.audit: list[Line] | None = []
        """The entries the last step wrote (None: not told here)."""

    def held(self, place: str, kind: str, name: str) -> Held | None:
        return self.places[place].objects.get((kind, name))

    def save(
        self,
        place: str,
        role: str,
        actor: str,
        kind: str,
        document: dict[str, Any],
        status: str | None,
        approvers: bool,
    ) -> str | int | None:
        """Create or update ``document`` (a create when the place holds no object of its name);
        the refusal's code, or the version submitted (None: saved only)."""
        if role not in WRITERS:
            return DENIED
        here = self.places[place]
        refused = status_refusal(here.approval, role, status, approvers)
        if refused:
            return refused
        name = document["name"]
        held = here.objects.get((kind, name))
        action = f"{kind}.update" if held else f"{kind}.create"
        if held is None:
            held = here.objects[(kind, name)] = Held(document)
        held.document = document
        for imported in here.imports:
            imported.saved_since.add((kind, name))
        self.audit = [(actor, action, kind, name)]
        if status == "SAVED":
            return None
        held.versions.append((status or "SUBMITTED", document, actor))
        return len(held.versions)

    def shown(
        self, place: str, name: str, version: int | None, latest: bool
    ) -> tuple[dict[str, Any], int | None] | str:
        """What ``show_job`` answers (the document and the version it says) for ``version``
        (None: not given) and ``getJobSubmitVersion`` (``latest``); or the refusal's code."""
        held = self.held(place, "job", name)
        if held is None:
            return NO_JOB
        newest = len(held.versions) or None
        if version is not None and version != -1:
            if not 1 <= version <= len(held.versions):
                return NO_JOB
            return held.versions[version - 1][1], version
        if latest:
            return (held.versions[-1][1], newest) if held.versions else NO_JOB
        return held.document, newest

    def compared(
        self, place: str, kind: str, name: str, ends: tuple[int | None, int | None]
    ) -> tuple[int, set[str]] | str:
        """What comparing ``ends`` (older, newer: a version, or None: the development state
        as ``newer``, the version before ``newer`` as ``older``) of an object answers: the
        version compared from and the top-level fields that differ; or the refusal's code (a
        version it does not have, or nothing before ``newer``: DLF.0100)."""
        held = self.held(place, kind, name)
        if held is None:
            return NO_JOB if kind == "job" else NO_SCRIPT
        older, newer = ends
        if older is None:
            older = len(held.versions) if newer is None else newer - 1
        count = len(held.versions)
        if not 1 <= older <= count or (newer is not None and not 1 <= newer <= count):
            return NO_JOB
        before = held.versions[older - 1][1]
        after = held.document if newer is None else held.versions[newer - 1][1]
        return older, {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}

    def start(self, place: str, role: str, actor: str, name: str, on: bool) -> str | None:
        """Start (``on``) or stop a job; the refusal's code, or None."""
        if role not in STARTERS:
            return DENIED
        held = self.held(place, "job", name)
        if held is None:
            return NO_JOB
        if on and not held.versions:
            return INVALID
        held.status = SCHEDULING if on else STOPPED
        self.audit = [(actor, "job.start" if on else "job.stop", "job", name)]
        return None

    def import_refusal(self, place: str, role: str, body: dict[str, Any]) -> str | None:
        """The code an import of ``body`` by ``role`` is refused with (None: it runs)."""
        if role not in WRITERS:
            return DENIED
        here = self.places[place]
        status = body.get("targetStatus")
        return status_refusal(here.approval, role, status, bool(body.get("approvers")))

    def actions(
        self, place: str, body: dict[str, Any], package: dict[tuple[str, str], dict[str, Any]]
    ) -> dict[tuple[str, str], str]:
        """What an import of ``package`` with ``body`` does with each object."""
        submits = body.get("targetStatus") != "SAVED"
        skip = body.get("sameNamePolicy", "SKIP") == "SKIP"
        found = {}
        for key, document in package.items():
            held = self.places[place].objects.get(key)
            if held is None:
                found[key] = "CREATE"
            elif held.document == document:
                due = submits and not held.submitted_as_it_stands()
                found[key] = ("SKIP" if skip else "OVERWRITE") if due else "UNCHANGED"
            else:
                found[key] = "SKIP" if skip else "OVERWRITE"
        return found

    def fails(
        self,
        place: str,
        actions: dict[tuple[str, str], str],
        package: dict[tuple[str, str], dict[str, Any]],
    ) -> bool:
        """Whether the import fails: it would overwrite a scheduled job (``scheduled``), or an
        object changed in the target since the last import wrote it (``drift``, under the
        default ``onDrift`` FAIL; an object the package holds as the target does is none)."""
        here = self.places[place]
        for key, action in actions.items():
            if action != "OVERWRITE":
                continue
            held, written = here.objects[key], here.written.get(key)
            if held.status != STOPPED:
                return True
            if held.document != package[key] and written not in (None, held.document):
                return True
        return False

    def imported(
        self,
        place: str,
        actor: str,
        body: dict[str, Any],
        package: dict[tuple[str, str], dict[str, Any]],
        actions: dict[tuple[str, str], str],
        task_id: str,
    ) -> None:
        """An import done: each object it writes holds the package's definition, and a new
        version of it unless the import only saves."""
        status = body.get("targetStatus") or "SUBMITTED"
        here = self.places[place].objects
        changed = [k for k, a in actions.items() if a in ("CREATE", "OVERWRITE")]
        before = {key: copy.deepcopy(here.get(key)) for key in changed}
        written = dict(self.places[place].written)
        for key, action in actions.items():
            if action == "UNCHANGED":
                self.places[place].written[key] = package[key]
            if action not in ("CREATE", "OVERWRITE"):
                continue
            self.places[place].written[key] = package[key]
            held = here.setdefault(key, Held(package[key]))
            held.document = package[key]
            if status != "SAVED":
                held.versions.append((status, package[key], actor))
        self.audit = None  # the import's own entry, checked apart
        if changed:
            after = {key: copy.deepcopy(here[key]) for key in changed}
            self.places[place].imports.append(Imported(task_id, before, after, written))

    def rollback(self, place: str, role: str) -> str | None:
        """Roll back the place's newest import that wrote objects: each object it created
        gone, each it overwrote as before with the versions it submitted deleted; the
        refusal's code (refused when any of them changed since), or None."""
        if role not in WRITERS:
            return DENIED
        here = self.places[place]
        last = here.imports[-1]
        if any(here.objects.get(key) != held for key, held in last.after.items()):
            return CONFLICT
        made = {key for key, held in last.before.items() if held is None}
        for key in last.saved_since - set(last.after):
            held = here.objects.get(key)
            if held is not None and made & {("script", s) for s in _scripts(held.document)}:
                return CONFLICT  # a job outside the import now uses a name it made
        here.imports.pop()
        for key, held in last.before.items():
            if held is None:
                del here.objects[key]
            else:
                here.objects[key] = held
        here.written = last.written
        self.audit = None  # the rollback's own entry
        return None


def _scripts(document: dict[str, Any]) -> set[str]:
    """The scripts a job's nodes run."""
    return {
        str(item.get("value"))
        for node in document.get("nodes") or []
        for item in node.get("properties") or []
        if item.get("name") == "scriptName"
    }
