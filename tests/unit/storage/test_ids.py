"""New rows' identifiers are time-ordered UUIDs (version 7): an import's inserts land at the end
of the indexes keyed by them instead of on random pages of those indexes."""

from __future__ import annotations

import os
import time
import uuid

from jobferry.storage.ids import new_id, new_uid


def test_identifiers_are_version_7_uuids() -> None:
    made = uuid.UUID(new_id())
    assert made.version == 7
    assert made.variant == uuid.RFC_4122
    text = new_id()
    assert uuid.UUID(text).version == 7
    assert str(uuid.UUID(text)) == text  # the canonical hyphenated form
    uid = new_uid()
    assert len(uid) == 32
    assert uuid.UUID(hex=uid).version == 7
    assert uuid.UUID(hex=uid).hex == uid


def test_identifiers_start_with_the_moment_they_were_made() -> None:
    before = time.time_ns() // 1_000_000
    made = uuid.UUID(hex=new_uid())
    after = time.time_ns() // 1_000_000
    assert before <= made.int >> 80 <= after


def test_later_identifiers_sort_after_earlier_ones() -> None:
    earlier = [new_id() for _ in range(100)]
    time.sleep(0.002)
    later = new_id()
    assert all(e < later for e in earlier)
    assert len({new_uid() for _ in range(3000)}) == 3000


def test_a_forked_child_draws_other_random_bits() -> None:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its identifier, made in the same millisecond as the parent's
        os.close(read)
        os.write(write, uuid.UUID(new_id()).bytes)
        os._exit(0)
    os.close(write)
    mine = uuid.UUID(new_id())
    theirs = uuid.UUID(bytes=os.read(read, 16))
    os.close(read)
    os.waitpid(pid, 0)
    # Same generator state after the fork would give the same random bits.
    assert mine.int & ((1 << 74) - 1) != theirs.int & ((1 << 74) - 1)
