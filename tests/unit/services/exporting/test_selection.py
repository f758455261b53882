"""The export selection: jobs ordered as their entries go into the package, held as ids."""

from __future__ import annotations

from jobferry.package.layout import Layout
from jobferry.services.exporting.selection import BATCH, SAMPLE, ordered
from jobferry.storage.exports import JobHead


def heads(*names: str) -> list[JobHead]:
    return [JobHead(i + 1, name, None) for i, name in enumerate(names)]


def test_single_layout_orders_by_entry_path_not_by_name() -> None:
    # 'a-b.job' < 'a.job' ('-' sorts before '.'), though 'a' < 'a-b' by name.
    selection = ordered(heads("a", "a-b", "B"), Layout.SINGLE)
    assert list(selection.ids) == [3, 2, 1]
    assert selection.sample == ["B", "a-b", "a"]
    assert selection.layout is Layout.SINGLE


def test_batch_layout_orders_by_job_folder() -> None:
    # 'a/' > 'a-b/' as well, but 'a_b/' > 'a/' ('_' sorts after '/').
    selection = ordered(heads("a_b", "a", "a-b"), Layout.BATCH)
    assert list(selection.ids) == [3, 2, 1]


def test_batches_cover_the_selection_in_order_and_the_sample_is_bounded() -> None:
    count = 2 * BATCH + 7
    selection = ordered(heads(*(f"job_{i:05d}" for i in range(count))), Layout.SINGLE)
    batches = list(selection.batches())
    assert [len(b) for b in batches] == [BATCH, BATCH, 7]
    assert [i for b in batches for i in b] == list(range(1, count + 1))
    assert len(selection) == count
    assert len(selection.sample) == SAMPLE
