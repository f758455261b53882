"""Two states of a job or a script compared field by field, as DataArts' console compares
versions: two submitted versions, or a submitted version and the development state (what
was saved since it was submitted).

Which two: ``newer`` names a submitted version, or ``None`` for the development state;
``older`` names a submitted version, or ``None`` for the one before ``newer`` (the latest
submitted version when ``newer`` is the development state, version N−1 when it is N). Either
may be the older in time: the changes read from ``older`` to ``newer``. The fields compared
are the definition's own (``domain/definitions.canonical``: not the keys a server owns), with
the import plan's field diff (``domain/diff.py``).

Refused: a job or script that does not exist (its nearest name said), a version it does not
have (or no longer: an object keeps its newest ``VERSIONS_KEPT``), and a comparison with
nothing before it: an object never submitted, or its first version kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from jobferry.domain.definitions import VERSIONS_KEPT, canonical
from jobferry.domain.diff import Change, diff
from jobferry.domain.enums import ObjectKind
from jobferry.errors import VersionNotFoundError
from jobferry.services.context import Scope
from jobferry.services.definitions.documents import load
from jobferry.services.definitions.lookup import get_job_or_raise, get_script_or_raise
from jobferry.services.definitions.records import SubmittedVersion
from jobferry.storage import Database, Tx
from jobferry.storage import jobs as job_repo
from jobferry.storage import scripts as script_repo
from jobferry.storage.records import JobRecord, ScriptRecord, VersionRecord

_VERSIONS = range(1, 2**31)
"""The version numbers a job or script may have (a 32-bit count from 1)."""


@dataclass(frozen=True)
class Comparison:
    """What changed from one state of a job or script to another: from submitted version
    ``older`` to submitted version ``newer`` (``None``: the development state)."""

    kind: ObjectKind
    name: str
    older: int
    newer: int | None
    changes: tuple[Change, ...]


@dataclass(frozen=True)
class HeldStates:
    """One object's states: its development state and latest submitted version (``now``),
    and readers of one version and of them all."""

    kind: ObjectKind
    name: str
    now: tuple[str, int | None]
    version: Callable[[int], VersionRecord | None]
    listed: Callable[[], list[VersionRecord]]

    @property
    def draft(self) -> str:
        return self.now[0]

    @property
    def latest(self) -> int | None:
        return self.now[1]


@dataclass
class Comparisons:
    """A job's or a script's submitted versions, and comparisons of its states (any role
    that reads the workspace)."""

    db: Database

    def versions(self, scope: Scope, kind: ObjectKind, name: str) -> list[SubmittedVersion]:
        """Every submitted version of job or script ``name``, newest first."""
        with self.db.transaction(readonly=True) as tx:
            found = held_states(tx, scope, kind, name)
            return [SubmittedVersion.of(v) for v in found.listed()]

    def compare(
        self,
        scope: Scope,
        kind: ObjectKind,
        name: str,
        ends: tuple[int | None, int | None] = (None, None),
    ) -> Comparison:
        """What changed in job or script ``name`` from ``ends`` (older, newer): see the
        module."""
        with self.db.transaction(readonly=True) as tx:
            return _compare(held_states(tx, scope, kind, name), *ends)


class _Stored(Protocol):
    """Where a kind's versions are stored (``storage.jobs``, ``storage.scripts``)."""

    def get_version(self, tx: Tx, object_id: Any, version: int, /) -> VersionRecord | None: ...

    def list_versions(self, tx: Tx, object_id: Any, /) -> list[VersionRecord]: ...


_READS: dict[ObjectKind, tuple[Callable[[Tx, Scope, str], JobRecord | ScriptRecord], _Stored]] = {
    ObjectKind.JOB: (get_job_or_raise, job_repo),
    ObjectKind.SCRIPT: (get_script_or_raise, script_repo),
}
"""How each kind that has versions is found (its nearest name said when it is not) and where
its versions are."""


def held_states(tx: Tx, scope: Scope, kind: ObjectKind, name: str) -> HeldStates:
    """Job or script ``name``'s states, read in ``tx`` (refused when it does not exist)."""
    find, stored = _READS[kind]
    found = find(tx, scope, name)
    return HeldStates(
        kind,
        name,
        (found.document, found.latest_version),
        lambda n: stored.get_version(tx, found.id, n),
        lambda: stored.list_versions(tx, found.id),
    )


def _compare(held: HeldStates, older: int | None, newer: int | None) -> Comparison:
    after = held.draft if newer is None else version_document(held, newer)
    if older is None:
        older = _before(held, newer)
    before = version_document(held, older)
    kind = held.kind
    changes = diff(canonical(kind, load(before)), canonical(kind, load(after)))
    return Comparison(kind, held.name, older, newer, tuple(changes))


def _before(held: HeldStates, newer: int | None) -> int:
    """The version before ``newer``: the latest when ``newer`` is the development state."""
    what = f"{_said(held.kind)} '{held.name}'"
    if newer is None:
        if held.latest is None:
            raise _refused(
                held,
                f"The {what} has never been submitted: it has no version to compare its "
                "development state with.",
                "Submit it first, or show its development state as it is.",
            )
        return held.latest
    if newer - 1 not in _VERSIONS or held.version(newer - 1) is None:
        raise _refused(
            held,
            f"Version {newer} is the first version the {what} keeps: there is no earlier "
            "one to compare it with.",
            "Show that version as it is, or compare it with a later version or the "
            "development state.",
        )
    return newer - 1


def version_document(
    held: HeldStates, version: int, fix: str = "List its versions and compare two it has."
) -> str:
    """The definition of submitted version ``version``, or its refusal (with ``fix``)."""
    found = held.version(version) if version in _VERSIONS else None
    if found is not None:
        return found.document
    latest = held.latest
    said = f"The {_said(held.kind)} '{held.name}' has no submitted version {version}; "
    said += f"its latest version is {latest or 'none (never submitted)'}"
    if latest is not None and 0 < version <= latest - VERSIONS_KEPT:
        said += f" and it keeps its newest {VERSIONS_KEPT} (as DataArts does)"
    raise _refused(held, said + ".", fix)


def _refused(held: HeldStates, message: str, fix: str) -> VersionNotFoundError:
    key = "job_name" if held.kind == ObjectKind.JOB else "script_name"
    return VersionNotFoundError(message, fix=fix, **{key: held.name})


def _said(kind: ObjectKind) -> str:
    return "job" if kind == ObjectKind.JOB else "script"
