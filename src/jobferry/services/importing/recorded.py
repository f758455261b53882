"""Import, keep: a plan's reads of its target, kept and made again.

:class:`Recorded` passes a planner's every read of its target on, keeps which read it was (and
its arguments) in the working set, and hashes every answer: the *witness*. :func:`replay`
makes the kept reads again on a locking reader at apply time, and gives the witness of its
answers: the same witness, the target answered as it did (:mod:`.kept` says what then).
"""

from __future__ import annotations

import dataclasses
import hashlib
import marshal
from collections.abc import Iterable, Sequence
from typing import Any, cast

from jobferry.services.importing.ports import TargetReader
from jobferry.services.policies.governing import HeldPolicy
from jobferry.services.workspaces.profiles import ResolvedProfile
from jobferry.storage.importing.ledger import LedgerDeletion, LedgerRow
from jobferry.storage.importing.target import TargetObject
from jobferry.storage.importing.workset import Workset
from jobferry.storage.keys import TrustedKeyRecord
from jobferry.storage.records import field_names

READS = frozenset(
    {
        "stored",
        "stored_by_uid",
        "existing",
        "workspace_id",
        "ledger_rows",
        "ledger_by_target",
        "ledger_deletions",
        "source_ledger",
        "objects_after",
        "jobs_using",
        "dependents_elsewhere",
        "upstream_edges",
        "version_users",
        "connection_secrets",
        "trusted_keys",
        "distrusted_keys",
        "profile",
        "policies",
    }
)
"""The reads of :class:`~.ports.TargetReader` a plan makes (``fingerprint`` hashes them)."""


# -- the reads ------------------------------------------------------------------------------------


_PLAIN = frozenset({str, int, float, bool, type(None)})
"""Types :func:`_leaf` answers as they are: looked at first, by the type alone."""
_FIELDS: dict[type, tuple[str, ...] | None] = {}
"""A type's dataclass field names (``None``: not a dataclass), found once per type."""


def _canon(value: Any) -> Any:
    """``value`` as plain values whose ``repr`` is the same in every process (sets and dicts
    sorted, records by their fields). A plan's reads answer thousands of records of plain
    fields: their type alone decides most values, before any ``isinstance``."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    if isinstance(value, str | int | float):
        return _leaf(value)
    if isinstance(value, dict):
        items = [(repr(_canon(k)), _canon(v)) for k, v in value.items()]
        return sorted(items, key=lambda item: item[0])
    if isinstance(value, set | frozenset):
        return sorted(repr(_canon(v)) for v in value)
    if isinstance(value, list | tuple):
        return [_canon(v) for v in value]
    names = _fields(kind)
    if names is not None:
        return [kind.__name__, [_canon(getattr(value, name)) for name in names]]
    return _leaf(value)


def _fields(kind: type) -> tuple[str, ...] | None:
    if kind not in _FIELDS:
        is_record = dataclasses.is_dataclass(kind)
        _FIELDS[kind] = field_names(kind) if is_record else None
    return _FIELDS[kind]


def _leaf(value: Any) -> Any:
    """A value that holds no others: an enum as its plain value, what is not a plain value
    as its ``repr``."""
    if value is None or isinstance(value, bool | float):
        return value
    if isinstance(value, str):
        return str(value)
    return int(value) if isinstance(value, int) else repr(value)


def _plain(value: Any) -> Any:
    """``value`` as the built-in types ``marshal`` keeps (an enum as its plain value)."""
    if isinstance(value, dict):
        return {_plain(k): _plain(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return {_plain(v) for v in value}
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return _leaf(value)


def _witness(digest: Any, method: str, args: tuple[Any, ...], answer: Any) -> None:
    digest.update(repr((method, _canon(args), _canon(answer))).encode())
    digest.update(b"\n")


class Recorded:
    """A :class:`~.ports.TargetReader` that keeps every read it passes on in the working set
    (which read, its arguments) and hashes every answer (:meth:`witness`)."""

    def __init__(self, inner: TargetReader, workset: Workset) -> None:
        self.inner, self.workset = inner, workset
        self.locked_tags = inner.locked_tags
        self.locks = inner.locks
        self._witness = hashlib.sha256()

    def witness(self) -> str:
        """The hash of every read and its answer, in order."""
        return self._witness.hexdigest()

    def _read(self, method: str, *args: Any) -> Any:
        self.workset.add_read(marshal.dumps((method, _plain(args))))  # before a caller changes them
        answer = getattr(self.inner, method)(*args)
        _witness(self._witness, method, args, answer)
        return answer

    def stored(self, wanted: dict[str, list[str]]) -> dict[tuple[str, str], TargetObject]:
        """As the inner reader answers, kept."""
        found: dict[tuple[str, str], TargetObject] = self._read("stored", wanted)
        return found

    def stored_by_uid(self, wanted: dict[str, list[str]]) -> dict[tuple[str, str], TargetObject]:
        """As the inner reader answers, kept."""
        found: dict[tuple[str, str], TargetObject] = self._read("stored_by_uid", wanted)
        return found

    def existing(self, wanted: dict[tuple[str, str], set[str]]) -> set[tuple[str, str, str]]:
        """As the inner reader answers, kept."""
        found: set[tuple[str, str, str]] = self._read("existing", wanted)
        return found

    def workspace_id(self, name_or_id: str) -> str | None:
        """As the inner reader answers, kept."""
        found: str | None = self._read("workspace_id", name_or_id)
        return found

    def fingerprint(self, extra: Iterable[str]) -> str:
        """The inner reader's."""
        return self.inner.fingerprint(extra)

    def ledger_rows(self, source: str, kind: str, uids: Sequence[str]) -> dict[str, LedgerRow]:
        """As the inner reader answers, kept."""
        found: dict[str, LedgerRow] = self._read("ledger_rows", source, kind, uids)
        return found

    def ledger_by_target(self, kind: str, uids: Sequence[str]) -> dict[str, LedgerRow]:
        """As the inner reader answers, kept."""
        found: dict[str, LedgerRow] = self._read("ledger_by_target", kind, uids)
        return found

    def ledger_deletions(
        self, source: str, kind: str, uids: Sequence[str]
    ) -> dict[str, LedgerDeletion]:
        """As the inner reader answers, kept."""
        found: dict[str, LedgerDeletion] = self._read("ledger_deletions", source, kind, uids)
        return found

    def source_ledger(
        self, source: str, after: tuple[str, str] | None, limit: int
    ) -> list[LedgerRow]:
        """As the inner reader answers, kept."""
        found: list[LedgerRow] = self._read("source_ledger", source, after, limit)
        return found

    def objects_after(self, kind: str, after: str, limit: int) -> list[TargetObject]:
        """As the inner reader answers, kept."""
        found: list[TargetObject] = self._read("objects_after", kind, after, limit)
        return found

    def jobs_using(self, kind: str, names: Sequence[str]) -> list[tuple[int, str, str]]:
        """As the inner reader answers, kept."""
        found: list[tuple[int, str, str]] = self._read("jobs_using", kind, names)
        return found

    def dependents_elsewhere(self, job_name: str) -> list[tuple[str, int, str]]:
        """As the inner reader answers, kept."""
        found: list[tuple[str, int, str]] = self._read("dependents_elsewhere", job_name)
        return found

    def version_users(self, freed: Sequence[tuple[str, str]]) -> list[tuple[str, str, str, str]]:
        """As the inner reader answers, kept."""
        found: list[tuple[str, str, str, str]] = self._read("version_users", freed)
        return found

    def upstream_edges(self, names: Sequence[str]) -> list[tuple[str, str]]:
        """As the inner reader answers, kept."""
        found: list[tuple[str, str]] = self._read("upstream_edges", names)
        return found

    def connection_secrets(self) -> dict[str, set[str]]:
        """As the inner reader answers, kept."""
        found: dict[str, set[str]] = self._read("connection_secrets")
        return found

    def trusted_keys(self) -> list[str]:
        """As the inner reader answers, kept."""
        found: list[str] = self._read("trusted_keys")
        return found

    def distrusted_keys(self) -> list[TrustedKeyRecord]:
        """As the inner reader answers, kept."""
        return cast(list[TrustedKeyRecord], self._read("distrusted_keys"))

    def profile(self, ref: str | dict[str, Any] | None) -> ResolvedProfile | None:
        """As the inner reader answers, kept."""
        found: ResolvedProfile | None = self._read("profile", ref)
        return found

    def policies(self, package_path: str) -> list[HeldPolicy]:
        """As the inner reader answers, kept."""
        found: list[HeldPolicy] = self._read("policies", package_path)
        return found


def replay(target: TargetReader, workset: Workset) -> str:
    """Make the reads kept in ``workset`` again, in order, on ``target`` (which hashes what it
    reads into its fingerprint as the plan's reader did); the witness of the answers."""
    digest = hashlib.sha256()
    for call in workset.reads():
        method, args = marshal.loads(call)
        if method not in READS:
            raise ValueError(f"not a read of the target: {method!r}")
        _witness(digest, method, args, getattr(target, method)(*args))
    return digest.hexdigest()
