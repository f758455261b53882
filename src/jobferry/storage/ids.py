"""Identifiers of new rows: UUIDs whose leading bits are the moment they were made (version 7).

Random identifiers (version 4) sent each insert of an import to a random page of every index
keyed by them (``jobs.uid``, ``scripts.id``, ``script_versions``, the ledger's target side):
with indexes of tens of megabytes, most of those pages had to be read back first. Time-ordered
ones all land at the end of those indexes, on pages that are already in memory. They are still
UUIDs (version 7, RFC 9562), as unique as version 4 ones: 48 bits of milliseconds and 74 random
bits.

The random bits come from a generator seeded once per process from the operating system
(again in a forked child), not from ``os.urandom`` per identifier: a system call per object
cost a 100,000-job import 200,000 of them. Identifiers are names, never secrets.
"""

from __future__ import annotations

import os
import random
import time

_VERSION_7 = 0x7 << 76
_VARIANT = 0b10 << 62
_RAND_A = (1 << 12) - 1
_RAND_B = (1 << 62) - 1


_random = random.Random()  # seeded from the operating system
os.register_at_fork(after_in_child=_random.seed)  # a forked child seeds its own again


def _new_value() -> int:
    """A fresh version 7 UUID as its 128-bit integer: later ones sort after earlier ones (to
    the millisecond). The text forms below are formatted from it directly: going through a
    ``uuid.UUID`` (its checks, then ``str``) cost most of the time an import spent making
    identifiers."""
    ms = time.time_ns() // 1_000_000
    bits = _random.getrandbits(74)
    return (ms << 80) | _VERSION_7 | ((bits >> 62) & _RAND_A) << 64 | _VARIANT | (bits & _RAND_B)


def new_uid() -> str:
    """A fresh identifier as 32 hex digits (a job's ``uid``)."""
    return f"{_new_value():032x}"


def new_id() -> str:
    """A fresh identifier in the hyphenated UUID form (scripts' and resources' ids)."""
    digits = f"{_new_value():032x}"
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"
