"""Reading a package in a helper process, a few batches ahead of its consumer.

An import does two kinds of work per object: what needs only the object (inflate, check
against the manifest, parse, and what the import prepares from it: transforms, validation,
references) and what needs the target database (matching, checks, the working set, the writes,
all in one transaction). The first kind is pure and can run anywhere, so for a large package a
helper process reads the next batches while the import works on the batch in hand: two cores
instead of one.

**Who does what.** The helper reads every entry, in order, with the reading state the reader
hands it (:class:`~.reading.EntryReading`: the caps, the running total, the switch to
verify-only after a mismatch), so it finds what the reader would have found and refuses where
the reader would have refused; a refusal comes back as the same exception. Preparing is pure and
per object, so it is shared: the helper prepares the first part of each batch and hands the
rest out as read (their entry's bytes, nothing prepared), and the consumer's caller derives
from those what it needs itself, when it needs it (an import never validates nor indexes the
references of an object it leaves unchanged: preparing it eagerly made a re-import slower
with its helper than without). The share follows the two sides' measured work per batch: the
side that took longer hands part of it to the other.
While the helper starts (a fork of the forkserver, or, for a process's first helper, the
forkserver's new interpreter as well: most of a second) the consumer reads the first batches
itself and hands the reading state over with the first batch it sends.
Unchanged objects need none of what preparing gives: while the consumer's last batch needed
little of it (an import that leaves most of a batch as it is), the consumer reads the batches
itself, unprepared, and hands the reading state back to the helper when a batch needs it again.

**How they talk.** Nothing here runs on a thread. Threads cannot share this work, in this
process or as a process pool's helpers: whatever they do needs the GIL between system calls and
C calls that release it, and a thread waiting to take it back behind busy Python code waits a
whole switch interval (5 ms) each time (an ``executemany`` of 100,000 rows took 0.2 s alone and
260 s beside a busy thread; a pool's own threads left its worker idle a third of the time). The
consumer sends each batch's entries down a pipe widened to hold several batches, so sending
never waits; the helper writes each batch's outcome to a file in the read's scratch folder and
announces it (and its length) in a few bytes, so it never waits for the consumer either. Only
``AHEAD + 1`` batches are ever sent and not yet handed out, so that many files take turns,
each written over from its start: a file per batch, removed once read, cost the consumer a
removal each (400 of them, 0.6 s of a 100,000-job import) and the helper a new file's blocks
to allocate and clear.

The helper is started per read and ends with it (:mod:`.helpers`). It is forked from the
process's forkserver, never from the process itself: a server process runs threads, which a
fork would copy in the middle of whatever they were doing.
"""

from __future__ import annotations

import mmap
import os
import pickle
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from multiprocessing.connection import Connection
from pathlib import Path

from jobferry.errors import HelperStoppedError
from jobferry.package.entries import drop_pages
from jobferry.package.helpers import gone, start, stop, widen
from jobferry.package.index import Wanted
from jobferry.package.reading import BatchRead, EntryReading, Prepare, Wants

AHEAD = 2
"""Batches sent to the helper beyond the one being handed out."""
PIPE_BYTES = 1024 * 1024
"""The pipe to the helper holds this much (a batch of entries is 50 to 100 KB): sending never
waits for the helper. Linux's default 64 KiB held less than one batch."""
SHARE = 0.8
"""The part of a batch's objects the helper prepares, to start with."""
GAIN = 0.5
"""How far a batch's share is corrected towards balance by what the batch cost each side."""
SMOOTHING = 0.5
"""The weight of the latest correction in the share (the rest: the share as it was)."""
_READY = 0
SLOTS = AHEAD + 1
"""Files the helper's outcomes take turns in: batch ``n`` goes to file ``n % SLOTS``, which the
consumer read (batch ``n - SLOTS``) before it sent batch ``n``."""


Work = tuple[list[Wanted], float, tuple[EntryReading, Prepare | None] | None]
"""A batch to read, the part of its objects to prepare, and (with the first batch the helper
reads after the consumer read some itself) the reading state to start from and the
preparation; ``None``: the read is over."""


def _serve(path: str, folder: str, work: Connection, done: Connection) -> None:
    """The helper: read each batch it is sent, write what it found to a file, say so."""
    with open(path, "rb") as handle:
        mapping = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    buffer = memoryview(mapping)
    done.send((_READY, 0.0, 0.0, 0))
    slots = _Slots(Path(folder), os.O_RDWR | os.O_CREAT)
    reading: EntryReading | None = None
    prepare: Prepare | None = None
    number = 0
    while True:
        try:
            item: Work | None = work.recv()
        except EOFError:  # the reader is gone
            return
        if item is None:
            slots.close()
            return
        batch, share, handed = item
        if handed is not None:
            reading, prepare = handed
        assert reading is not None
        number += 1
        failed = False
        started = time.perf_counter()
        try:
            outcome: BatchRead | BaseException = reading.batch(
                buffer, batch, prepare, keep_bytes=True, share=share
            )
            drop_pages(buffer)
        except Exception as exc:  # the reader raises it, as it would have
            outcome, failed = exc, True
        size = slots.write(number, _pickled(outcome))
        done.send((number, time.perf_counter() - started, share, size))
        if failed:
            slots.close()
            return


def _pickled(outcome: BatchRead | BaseException) -> bytes:
    try:
        return pickle.dumps(outcome, pickle.HIGHEST_PROTOCOL)
    except Exception:  # an exception that cannot travel: its text does
        return pickle.dumps(RuntimeError(repr(outcome)), pickle.HIGHEST_PROTOCOL)


class _Slots:
    """The files batch outcomes take turns in (``SLOTS`` of them), each opened once.

    An outcome is written from the start of its file, never truncated: the file keeps the
    blocks it has, and the length read back is the one announced with the batch."""

    def __init__(self, folder: Path, flags: int) -> None:
        self._folder, self._flags = folder, flags
        self._fds: dict[int, int] = {}

    def _fd(self, number: int) -> int:
        slot = number % SLOTS
        if slot not in self._fds:
            self._fds[slot] = os.open(self._folder / f"slot-{slot}", self._flags, 0o600)
        return self._fds[slot]

    def write(self, number: int, data: bytes) -> int:
        """Write batch ``number``'s outcome; its length."""
        fd, view, done = self._fd(number), memoryview(data), 0
        while done < len(view):
            done += os.pwrite(fd, view[done:], done)
        return len(view)

    def read(self, number: int, size: int) -> bytes:
        """Batch ``number``'s outcome, ``size`` bytes long (shorter only if the file was cut
        short, by someone else)."""
        fd = self._fd(number)
        data = os.pread(fd, size, 0)
        while 0 < len(data) < size:  # a regular file reads short only at its end
            more = os.pread(fd, size - len(data), len(data))
            if not more:
                break
            data += more
        return data

    def close(self) -> None:
        for fd in self._fds.values():
            os.close(fd)
        self._fds.clear()


class ReadAhead:
    """A helper process reading one package (a context manager). It starts at once; what it
    reads and how it prepares it come with :meth:`reads`, so it may be started before the
    read is ready to begin (while the package is still being opened)."""

    def __init__(self, path: Path, scratch: Path | None) -> None:
        self._folder = Path(tempfile.mkdtemp(prefix="read-ahead-", dir=scratch))
        try:
            self._helper = start(_serve, (str(path), str(self._folder)), "jobferry-read-ahead")
        except BaseException:
            shutil.rmtree(self._folder, ignore_errors=True)
            raise
        self._work, self._done = self._helper.work, self._helper.done
        widen(self._work, PIPE_BYTES)
        self._slots = _Slots(self._folder, os.O_RDONLY)
        self._ready = False
        self.share = SHARE
        self._handed_out = 0.0  # when the consumer last got a batch (its work since is its own)

    def reads(
        self,
        batches: Iterable[list[Wanted]],
        reading: EntryReading,
        here: Callable[[list[Wanted], Prepare | None], BatchRead],
        prepare: Prepare | None,
        wanted: Wants = None,
    ) -> Iterator[BatchRead]:
        """What reading each batch found, in order: the helper's share of each batch's objects
        prepared with ``prepare``, the rest as read. Until the helper is ready the batches are
        read ``here`` (with ``reading``, the reader's state, which then goes to the helper with
        ``prepare``); from then on the helper reads them, ``AHEAD`` batches ahead. One read per
        helper.

        ``wanted``, asked before each batch, says whether the batches are worth preparing ahead
        (the consumer's last batch needed what preparing gives): while it says no, the batches
        are read ``here`` and not prepared, once what the helper was sent has come out (the
        reading state is then the helper's last); when it says yes again, the helper takes the
        reading state back with the next batch."""
        sent = 0
        helper_reads = stopped = False
        for batch in batches:
            if not self._ready:
                self._ready = self._started()
            want = wanted is None or wanted()
            if not (self._ready and want):
                yield from self._drained(sent)
                sent, helper_reads = 0, False
                yield here(batch, prepare if want else None)
                continue
            handed = None if helper_reads else (reading, prepare)
            stopped = not self._send((batch, self.share, handed))
            if stopped:
                break
            helper_reads = True
            sent += 1
            if sent > AHEAD:
                sent -= 1
                yield self._next()
        # What the helper read before it stopped still comes out in order, a refusal it
        # found included (that is why it stopped); a helper gone with nothing to say is an error.
        yield from self._drained(sent)
        if stopped:
            raise HelperStoppedError(gone(self._helper, "reading the package", "import"))
        # The read is over: the helper ends now, while the import goes on, rather than when the
        # reader is closed (an interpreter's exit took 0.2 s, then waited for by the import).
        self._send(None)

    def _drained(self, sent: int) -> Iterator[BatchRead]:
        """The ``sent`` batches the helper was sent and has not handed out yet, in order (the
        consumer's own work since is not the helper's to balance)."""
        for _ in range(sent):
            yield self._next()
        self._handed_out = 0.0

    def _send(self, work: Work | None) -> bool:
        """Send a batch (or ``None``: the end) to the helper; ``False`` when it is gone (it
        stopped at a refusal, or died)."""
        try:
            self._work.send(work)
        except OSError:
            return False
        return True

    def _started(self) -> bool:
        """Whether the helper has started (it says so once, first thing)."""
        return self._done.poll() and self._receive()[0] == _READY

    def _receive(self) -> tuple[int, float, float, int]:
        """The number of the next batch read, how long the helper worked on it, the share
        of it the helper prepared, and the length of what it found."""
        try:
            said: tuple[int, float, float, int] = self._done.recv()
        except (EOFError, OSError):
            raise HelperStoppedError(gone(self._helper, "reading the package", "import")) from None
        return said

    def _next(self) -> BatchRead:
        entered = time.perf_counter()
        number, helper_took, used, size = self._receive()
        waited = time.perf_counter() - entered
        data = self._slots.read(number, size)
        if len(data) != size:
            raise HelperStoppedError(gone(self._helper, "reading the package", "import"))
        outcome: BatchRead | BaseException = pickle.loads(data)
        if isinstance(outcome, BaseException):
            raise outcome
        handed_out = time.perf_counter()
        if self._handed_out:
            self._balance(handed_out - self._handed_out - waited, helper_took, used)
        self._handed_out = handed_out
        return outcome

    def _balance(self, mine: float, helpers: float, used: float) -> None:
        """Move the helper's share towards the point where a batch costs both sides the same
        (``mine``: the consumer's own work since the last batch, ``helpers``: the helper's, on
        a batch read with the share ``used``).

        The correction is of the share that batch was read with, not of the share now: a
        batch's cost is known ``AHEAD`` batches after its share was chosen, and adding each
        measurement's correction to the current share counted one imbalance several times over
        (the share swung between a third and nine tenths every eight batches, one side idle at
        each end of the swing)."""
        if mine + helpers > 0:
            balanced = used + GAIN * (mine - helpers) / (mine + helpers)
            blended = (1 - SMOOTHING) * self.share + SMOOTHING * balanced
            self.share = min(1.0, max(0.0, blended))

    def __enter__(self) -> ReadAhead:
        return self

    def __exit__(self, *_: object) -> None:
        stop(self._helper)
        self._slots.close()
        shutil.rmtree(self._folder, ignore_errors=True)
