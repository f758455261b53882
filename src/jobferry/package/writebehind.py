"""Writing a package in a helper process, a batch behind the export that produces its entries.

An export does two kinds of work per entry: what needs the database (rows read, references
followed, definitions rendered), and what needs only the entry's bytes (deflate, sha256, the zip
records, the listing). Threads cannot share them: a thread that deflates one entry and wants
the GIL back behind the export's busy Python code waits a whole switch interval for it (5 ms
per entry), so the thread pool of :class:`~.writer.PackageWriter` is only of use while the
export waits for it. For a large export a helper process runs that whole writer instead, on
another core, while the export renders the next batch: the same bytes, in about the time of the
slower side rather than of both.

**Who deflates what.** Deflating is most of the helper's work, and it is the same wherever
it runs (:func:`~.writer.packed`): the export deflates the first part of each batch itself and
sends those entries packed, the helper the rest. That part follows whether sending a batch
waited for the helper: up a step when it did, down a step when it did not, so it settles where
neither side waits for the other (a 30,000-job export, interleaved: 4.6 → 3.8 s mean of four).

**How they talk.** Two pipes. Down: ``("add", entries)`` per batch, then ``("close", header)``
(and the signature when asked for it). Up: one word when the helper is ready, ``("sign",
manifest)`` when the package is signed (the key never leaves the export's process), then
``("done", written)`` or ``("error", exception)``. Sending a batch waits while the helper is
still on the one before: a batch or two in flight, whatever the package's size.

Order is checked here, before a batch is sent (a caller's mistake is its own error at once).
A helper that stops without an answer is :class:`~jobferry.errors.HelperStoppedError`.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from jobferry.errors import HelperStoppedError
from jobferry.package.helpers import gone, start, stop, widen
from jobferry.package.manifest import ManifestHeader
from jobferry.package.writer import (
    NewEntry,
    PackageWriter,
    PackedEntry,
    WrittenPackage,
    check_order,
    packed,
)

HELD = 8
"""Batches kept here while the helper starts (most of a second for a process's first helper,
which starts the forkserver): the export goes on meanwhile."""
PIPE_BYTES = 1024 * 1024
"""The pipe to the helper holds this much (the most an unprivileged process may ask for):
sending a batch waits mostly while the helper is still on the one before."""
SHARE = 0.25
"""The part of each batch deflated here rather than in the helper, to start with."""
STEP = 0.05
"""How far the share moves after each batch: up when sending it waited for the helper, down
when it did not."""
WAITED = 0.005
"""Seconds a send may take without counting as waiting for the helper."""


def _serve(path: str, signs: bool, work: Connection, done: Connection) -> None:
    """The helper: write every batch it is sent into ``path``, then the manifest."""

    def sign(manifest: bytes) -> bytes:
        done.send(("sign", manifest))
        answer = work.recv()
        if answer is None:  # signing failed there: the export is ending
            raise EOFError
        what, signature = answer
        assert what == "signature"
        return bytes(signature)

    try:
        with open(path, "wb") as out:
            writer = PackageWriter(out, None, sign if signs else None)
            done.send(("ready", None))
            while (item := work.recv()) is not None:
                what, payload = item
                if what == "add":
                    writer.add_many(payload)
                    continue
                written = writer.close(payload)
                out.flush()
                done.send(("done", written))
                return
    except EOFError:  # the export is gone
        return
    except Exception as exc:  # the export raises it, as the writer would have
        try:
            done.send(("error", exc))
        except Exception:  # an exception that cannot travel: its text does
            with contextlib.suppress(Exception):
                done.send(("error", RuntimeError(repr(exc))))


class WriteBehind:
    """A helper process writing one package file (a context manager), with the writer's
    ``add_many`` and ``close``."""

    def __init__(self, path: Path, signer: Callable[[bytes], bytes] | None = None) -> None:
        self._signer = signer
        self._last_path: str | None = None
        self._helper = start(_serve, (str(path), signer is not None), "jobferry-write-behind")
        self._work, self._done = self._helper.work, self._helper.done
        widen(self._work, PIPE_BYTES)
        self._ready = False
        self._held: list[list[NewEntry | PackedEntry]] = []
        self.share = SHARE

    def add_many(self, entries: Sequence[NewEntry]) -> None:
        """Hand over entries whose paths ascend (and follow every path handed over before)."""
        for entry in entries:
            self._last_path = check_order(self._last_path, entry.path)
        if self._ready and self._done.poll():  # the helper only speaks first when it failed
            self._expect("nothing")
        cut = round(len(entries) * self.share)
        self._held.append([packed(entry) for entry in entries[:cut]] + list(entries[cut:]))
        if self._ready or self._done.poll() or len(self._held) >= HELD:
            self._hand_over()

    def _hand_over(self) -> None:
        """Send the batches held (once the helper is ready: until then sending would wait),
        and move the share deflated here towards the point where neither side waits."""
        if not self._ready:
            self._expect("ready")
            self._ready = True
        for batch in self._held:
            started = time.perf_counter()
            self._send(("add", batch))
            waited = time.perf_counter() - started > WAITED
            self.share = min(1.0, max(0.0, self.share + (STEP if waited else -STEP)))
        self._held = []

    def close(self, header: ManifestHeader | None = None) -> WrittenPackage:
        """Write the manifest's files (if any) and finish the zip, as the writer does."""
        self._hand_over()
        self._send(("close", header))
        said = self._receive()
        if said[0] == "sign":
            assert self._signer is not None
            self._send(("signature", self._signer(said[1])))
            said = self._receive()
        written = self._answer(said, "done")
        assert isinstance(written, WrittenPackage)
        return written

    def _send(self, item: tuple[str, Any]) -> None:
        try:
            self._work.send(item)
        except OSError:  # the helper is gone: what it said, if it said anything
            self._answer(self._receive(), "nothing")
            raise

    def _expect(self, word: str) -> None:
        self._answer(self._receive(), word)

    def _receive(self) -> tuple[str, Any]:
        try:
            said: tuple[str, Any] = self._done.recv()
        except (EOFError, OSError):
            raise HelperStoppedError(gone(self._helper, "writing the package", "export")) from None
        return said

    @staticmethod
    def _answer(said: tuple[str, Any], expected: str) -> Any:
        what, payload = said
        if what == "error":
            raise payload
        if what != expected:
            raise HelperStoppedError(
                f"The helper process writing the package said '{what}' where '{expected}' was "
                "due; see the server log, and export again."
            )
        return payload

    def __enter__(self) -> WriteBehind:
        return self

    def __exit__(self, *_: object) -> None:
        stop(self._helper)
