"""Import, transform, object by object: what each object of the package becomes before the
target is asked anything.

:func:`transformed` is the object as it will be imported: transforms applied, request-only
fields dropped, and (when the package has stable identifiers) the package's own text kept for
the ledger. Everything derived from that definition alone (its text, references, rule
violations, the ledger's compressed copy) depends on nothing else either, so for a large
package the reader's helper process computes it as it reads each object (:func:`prepare`, run
by :mod:`jobferry.package.readahead` on another core) while the planner matches and checks the
batch before against the target. A small package skips the helper: the planner derives the
same things itself, when it needs them (:class:`~.model.PlannedObject` computes each once).
For a large import the helper also derives what turns out unneeded (the checks of objects left
unchanged), on its own core; the import's own process does less either way. Not for long,
though: once a planned batch leaves most of its objects as the target holds them, the next are
read unprepared, in the import's own process (:class:`PreparedAhead`), until a batch writes
again. An unchanged folder applied again (5,000 jobs, 10,200 objects) was planned faster
without the helper than with it: the helper's preparing was all waste and took the core the
import's own reads ran on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from jobferry.domain.enums import ObjectKind
from jobferry.domain.references import ReferenceValues, references_of, values_of
from jobferry.domain.report import Violation
from jobferry.domain.timeshift import ScheduleShift
from jobferry.package import helpers
from jobferry.package.reader import PackageObject
from jobferry.services.definitions.documents import dump
from jobferry.services.importing.decide import IGNORED_IN_DIFF
from jobferry.services.importing.model import WRITES, PlannedObject, Problem
from jobferry.services.importing.transform import Transform, transform_object
from jobferry.storage.importing.ledger import pack_encoded, pack_source

if TYPE_CHECKING:  # the helper process imports this module, and needs none of the ports
    from jobferry.services.importing.ports import OpenedPackage

PREPARED_FROM = 0.25
"""The part of a planned batch that must be written (created, overwritten, renamed) for the next
batches to be prepared ahead (:class:`PreparedAhead`)."""

# A read-ahead helper unpickles :func:`prepare` and its :class:`Preparation` (with what they
# import): helpers start with this module imported rather than each importing it (~0.3 s).
helpers.preload(__name__)


@dataclass(frozen=True)
class Preparation:
    """What preparing an object needs (sent once to the helper process)."""

    transform: Transform
    identified: bool
    """Whether the package names its source workspace (its objects' identifiers count)."""
    max_nodes: int
    workspace: tuple[str, ...] = ()
    """The target workspace's name and id: a dependency naming it is one of its own."""


class Prepared(NamedTuple):
    """What an object's definition gives, derived in the helper process."""

    text: str
    raw: str | None
    problems: list[Problem]
    schedule: list[ScheduleShift]
    refs: list[ReferenceValues]
    """The job's or script's references as plain values (they travel between processes
    faster)."""
    violations: list[Violation]
    columns: tuple[str, ...]
    packed: tuple[str, bytes, bytes] | None


class PreparedAhead:
    """Whether the next batches of a large package are worth preparing ahead, in the helper
    process (the reader's ``wanted``).

    Only what the import writes uses what :func:`prepare` derives beyond the text (validation,
    references, the ledger's copy): an object left unchanged needs none of it. So preparing
    ahead goes on while the last batch planned wrote at least ``PREPARED_FROM`` of its objects
    (a first import: all of them) and stops while batches leave their objects as they are (a
    folder applied again as the workspace holds it), the planner then deriving the text of
    each itself, unprepared, from the entry the reader read. Before the first batch is planned,
    and for an environment report (which looks at every job's references), it is wanted."""

    def __init__(self, how: Callable[[PackageObject], Prepared], always: bool = False) -> None:
        self.how, self.always = how, always
        self.writes = True

    def objects(self, reader: OpenedPackage) -> Iterator[PackageObject]:
        """The package's objects read in its helper process, prepared (``how``: :func:`prepare`
        with the import's :class:`Preparation`) ahead while wanted."""
        return reader.objects(self.how, helper=True, wanted=self.wanted)

    def planned(self, items: Sequence[PlannedObject]) -> None:
        """Note a batch as planned (each item's action decided)."""
        written = sum(item.action in WRITES for item in items)
        self.writes = written >= PREPARED_FROM * len(items)

    def wanted(self) -> bool:
        """Whether to prepare the next batches ahead."""
        return self.always or self.writes


def transformed(transform: Transform, obj: PackageObject, identified: bool) -> PlannedObject:
    """The object as it will be imported (its action is still the planner's to decide)."""
    identified = identified and obj.uid is not None
    raw = dump(obj.document) if identified else None  # before transforms change it
    item = transform_object(transform, obj)
    item.uid, item.raw = (obj.uid, raw) if identified else (None, None)
    for key in IGNORED_IN_DIFF.intersection(item.document):  # request-only, server-kept
        del item.document[key]
    return item


def prepare(how: Preparation, obj: PackageObject) -> Prepared:
    """Everything the definition alone gives (run in the reader's helper process)."""
    item = transformed(how.transform, obj, how.identified)
    text = item.text
    if item.raw == text:
        item.raw = text  # the same object: it travels to the planner's process once
    # The entry (obj.stored) holds the written text, or the source a transform changed.
    packed = None if item.raw is None else ledger_pack(text, item.raw, obj.stored)
    violations = item.violations(how.max_nodes, how.workspace)
    refs = values_of(item.refs)
    return Prepared(
        text, item.raw, item.problems, item.schedule, refs, violations, item.columns, packed
    )


def ledger_pack(
    text: str, raw: str, stored: tuple[bytes, bytes] | None
) -> tuple[str, bytes, bytes]:
    """(sha256, compressed text, compressed raw or ``b""``) of a definition for the ledger
    (:attr:`~.model.PlannedObject.prepacked`), the package entry's own deflate stream used where
    it holds the very bytes (``stored``: the entry's bytes and that stream)."""
    encoded = text.encode()
    sha = hashlib.sha256(encoded).hexdigest()
    return sha, pack_encoded(encoded, stored), pack_source(raw, text, stored)


def planned(obj: PackageObject, prepared: Prepared) -> PlannedObject:
    """The planner's object for one prepared in the helper process (its definition as text,
    parsed only if something needs the document)."""
    return PlannedObject(
        ObjectKind(obj.kind),
        obj.name,
        obj.path,
        prepared.text,
        problems=list(prepared.problems),
        schedule=prepared.schedule,
        uid=obj.uid if prepared.raw is not None else None,
        raw=prepared.raw,
        prepacked=prepared.packed,
        _refs=references_of(prepared.refs),
        _violations=prepared.violations,
        _columns=prepared.columns,
    )
