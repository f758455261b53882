"""Reading packages through the helper process (``jobferry.package.readahead``) in tests.

A test package is a few batches at most, read before a helper process has even started: left
alone, the reader would read it all itself. :func:`helper_from` makes the consumer read the
first batches itself and then wait for the helper, which reads the rest, so every test decides
where the hand-over happens. Preparations sent to the helper must be importable there: they
live here.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import count
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

import pytest

from jobferry.package import readahead
from jobferry.package import reader as reader_module
from jobferry.package.model import PackageObject
from jobferry.package.readahead import ReadAhead
from jobferry.package.reader import PackageReader, ReadLimits
from jobferry.package.writebehind import WriteBehind


def helper_from(monkeypatch: pytest.MonkeyPatch, batch: int, share: float | None = None) -> None:
    """The consumer reads the first ``batch`` batches itself, the helper every one after (it
    is waited for); with ``share``, the helper prepares that part of each batch, always."""
    started = ReadAhead._started
    asked: dict[int, int] = {}

    def patched(self: ReadAhead) -> bool:
        asked[id(self)] = asked.get(id(self), 0) + 1
        if asked[id(self)] <= batch:
            return False
        self._done.poll(30)
        return started(self)

    monkeypatch.setattr(ReadAhead, "_started", patched)
    if share is not None:
        monkeypatch.setattr(readahead, "SHARE", share)
        monkeypatch.setattr(readahead, "GAIN", 0.0)


def small_batches(monkeypatch: pytest.MonkeyPatch, size: int = 3) -> None:
    """Batches of ``size`` entries, so a small package spans several."""
    monkeypatch.setattr(reader_module, "BATCH", size)


def describe(obj: PackageObject) -> tuple[str, list[str], str | None]:
    """A preparation: the object's name, its document's keys, its uid. It changes the document
    it is given, as the import's own preparation (transforms) does."""
    keys = sorted(obj.document)
    obj.document["changed by preparing"] = True
    return obj.name, keys, obj.uid


def read_all(
    package: Path,
    *,
    helper: bool,
    prepare: Any = None,
    limits: ReadLimits = ReadLimits(),
    workdir: Path | None = None,
    wanted: Callable[[], bool] | None = None,
) -> list[tuple[Any, ...]]:
    """Every object of the package: kind, name, path, folder, uid, document, prepared. The
    document is ``None`` for an object the helper prepared: it keeps only what was prepared.
    One the helper left to its reader's caller is prepared here, as that caller would.
    ``wanted``: the reader's, whether the next batches are worth preparing ahead."""
    with PackageReader(package, limits, workdir=workdir) as reader:
        return [
            (o.kind, o.name, o.path, o.folder, o.uid, _document(o), prepared_here(o, prepare))
            for o in reader.objects(prepare, helper=helper, wanted=wanted)
        ]


def wanted_at(batches: set[int]) -> Callable[[], bool]:
    """A reader's ``wanted`` saying yes before the batches numbered in ``batches`` (from 0)
    only, as an import whose batches before those wrote most of their objects."""
    asked = count()
    return lambda: next(asked) in batches


def sent_to_helper(monkeypatch: pytest.MonkeyPatch) -> list[list[int]]:
    """The entries (their sequence numbers) of each batch sent to a read-ahead helper, as
    they are sent."""
    sent: list[list[int]] = []
    send = ReadAhead._send

    def recorded(self: ReadAhead, work: Any) -> bool:
        if work is not None:
            sent.append([wanted[0] for wanted in work[0]])
        return send(self, work)

    monkeypatch.setattr(ReadAhead, "_send", recorded)
    return sent


def prepared_here(obj: PackageObject, prepare: Any) -> Any:
    """What ``prepare`` gives for the object: the helper's answer, or for one the helper left
    unprepared (its share of a batch follows the measured work of both sides), prepared here
    as the reader's caller would."""
    if obj.prepared is not None or prepare is None:
        return obj.prepared
    return prepare(PackageObject(obj.kind, obj.name, obj.path, obj.source, obj.folder, obj.uid))


def _document(obj: PackageObject) -> dict[str, Any] | None:
    return None if obj.source is None else obj.document


def same_reads(ahead: list[tuple[Any, ...]], here: list[tuple[Any, ...]]) -> bool:
    """Whether a read through the helper handed out what the reader read itself: the same
    objects, prepared the same, with the same documents where the helper's read kept one."""
    if len(ahead) != len(here):
        return False
    for got, want in zip(ahead, here, strict=True):
        if got[:5] != want[:5] or got[6] != want[6]:
            return False
        if got[5] is not None and got[5] != want[5]:
            return False
    return True


def exit_in_helper(obj: PackageObject) -> None:
    """A preparation that stops the helper process dead (at its second job)."""
    import multiprocessing
    import os

    if multiprocessing.parent_process() is not None and obj.name == "job_0001":
        os._exit(3)


def prepare_then_die(how: Any, obj: PackageObject) -> Any:
    """The import's own preparation, except that it stops the helper process dead at the job
    ``job_04`` (in the import's second batch of three)."""
    import multiprocessing
    import os

    from jobferry.services.importing.prepare import prepare

    if multiprocessing.parent_process() is not None and obj.name == "job_04":
        os._exit(3)
    return prepare(how, obj)


def helper_process(owner: ReadAhead | WriteBehind) -> BaseProcess:
    """The process of a read-ahead's or write-behind's helper, once it has started."""
    process = owner._helper.process
    assert process is not None, f"the helper could not be started: {owner._helper.failure!r}"
    return process
