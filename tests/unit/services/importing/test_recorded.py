"""A plan's reads of its target, kept and made again (``services.importing.recorded``): every
read passes through unchanged and is kept in order; the reads made again on a target that
answers as it did give the same witness, and on one that changed another; a kept call that is
not a read of the target is refused, not made."""

from __future__ import annotations

import marshal

import pytest

from jobferry.services.importing.recorded import READS, Recorded, replay
from jobferry.storage.importing.ledger import LedgerDeletion, LedgerRow
from jobferry.storage.importing.workset import Workset
from support.builders import make_job
from support.memory import MemoryWorkspace

ROW = LedgerRow("src", "job", "u1", "t1", "a_job", "h", "{}", "{}", "task", 1, None, 5)
GONE = LedgerDeletion("src", "job", "u2", 9, "task2", 10)


def _workspace() -> MemoryWorkspace:
    target = MemoryWorkspace()
    target.hold("job", "a_job", make_job("a_job"))
    target.ledger[("src", "job", "u1")] = ROW
    target.deletions[("src", "job", "u2")] = GONE
    return target


def _plan_reads(reader: Recorded) -> None:
    """The reads a plan of one job would make, in its order."""
    reader.stored({"job": ["a_job", "b_job"]})
    reader.ledger_rows("src", "job", ["u1", "u2"])
    reader.ledger_deletions("src", "job", ["u2"])
    reader.existing({("connection", "ws"): {"dws_conn"}})


def test_every_read_passes_through_and_is_kept_in_order() -> None:
    target = _workspace()
    with Workset(None) as workset:
        reader = Recorded(target, workset)
        assert reader.ledger_rows("src", "job", ["u1", "u2"]) == {"u1": ROW}
        assert reader.ledger_deletions("src", "job", ["u2", "u3"]) == {"u2": GONE}
        assert set(reader.stored({"job": ["a_job"]})) == {("job", "a_job")}
        kept = [marshal.loads(call)[0] for call in workset.reads()]
    assert kept == ["ledger_rows", "ledger_deletions", "stored"]
    assert set(kept) <= READS


def test_the_reads_made_again_give_the_plan_s_witness_while_the_target_is_unchanged() -> None:
    with Workset(None) as workset:
        reader = Recorded(_workspace(), workset)
        _plan_reads(reader)
        assert replay(_workspace(), workset) == reader.witness()

        changed = _workspace()
        del changed.deletions[("src", "job", "u2")]  # the object was made again since
        assert replay(changed, workset) != reader.witness()


def test_a_kept_call_that_is_not_a_read_of_the_target_is_refused() -> None:
    with Workset(None) as workset:
        workset.add_read(marshal.dumps(("abort", ())))
        with pytest.raises(ValueError, match="not a read of the target: 'abort'"):
            replay(_workspace(), workset)
