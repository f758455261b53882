"""Pausing Python's cyclic garbage collector around bulk work (imports, exports, plans).

An import holds tens of thousands of parsed documents (millions of dicts and lists) at once.
Every object allocated while they are alive makes the collector's generation counters move, and
each full collection walks all of them: measured on the 10,000-job benchmark, a third of the
import's time went to collections that found nothing, because documents hold no reference
cycles and reference counting frees them. So bulk work runs with the collector paused and
turns it back on when done. Reference counting still frees everything as usual; only cyclic
garbage made meanwhile waits for the next collection.

The pause is process-wide (that is how ``gc`` works), so it is counted: with two imports on two
threads the collector comes back when the last one ends, and never if it was off before.
"""

from __future__ import annotations

import gc
import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class _Pause:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.depth = 0
        self.was_enabled = False


_PAUSE = _Pause()


@contextmanager
def collector_paused() -> Iterator[None]:
    """Run the block with the cyclic collector off; restore it when the last pause ends."""
    with _PAUSE.lock:
        if _PAUSE.depth == 0:
            _PAUSE.was_enabled = gc.isenabled()
            gc.disable()
        _PAUSE.depth += 1
    try:
        yield
    finally:
        with _PAUSE.lock:
            _PAUSE.depth -= 1
            if _PAUSE.depth == 0 and _PAUSE.was_enabled:
                gc.enable()


COLLECT_EVERY = 8
"""Batches of bulk work between two collections of their garbage (see
:func:`collect_batch_garbage`)."""
_BATCHES = itertools.count(1)


def collect_batch_garbage() -> None:
    """Free the reference cycles the last batches of bulk work left, while the collector is
    paused: called once a batch, it collects every :data:`COLLECT_EVERY` th call.

    SQLAlchemy's bound parameters refer to themselves (a clause's set of clones holds the
    clause), so every ``IN (…)`` statement a batch builds is a cycle holding that batch's list
    of names or identifiers, which reference counting never frees. With the collector paused
    they all stayed: a 100,000-job plan ended 50 MB larger (peak 192 MB, 142 MB collecting
    them). Only the two youngest generations are walked: what was made since the previous
    collection and is still alive (the batches in hand), plus those cycles; survivors move to
    the oldest generation and are not walked again.

    A collection costs about as much whether it follows one batch or eight (3 to 8 ms: it walks
    the objects alive at that moment, and those of earlier batches are gone by then), while the
    garbage of a batch is a few statements holding their lists of names (tens of kilobytes):
    collecting every batch cost a 30,000-job plan about 1 s of its 20; every eighth holds well
    under a megabyte of garbage at any time."""
    if next(_BATCHES) % COLLECT_EVERY == 0:
        gc.collect(1)
