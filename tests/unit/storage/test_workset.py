"""The working set keeps records in a flat file beside its database: what goes in comes out,
whenever it is read, and the file is gone with the working set."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from jobferry.storage.importing.workset import Workset


def _rows(first: int, count: int) -> list[tuple[object, ...]]:
    return [
        (
            seq,
            4,
            "job",
            f"j{seq}",
            f"jobs/j{seq}.job",
            "CREATE",
            f"record {seq} ".encode() * seq,
            None,
            None,
        )
        for seq in range(first, first + count)
    ]


@pytest.mark.parametrize("on_disk", [True, False], ids=["file", "memory"])
def test_records_read_back_as_added_between_and_after_reads(tmp_path: Path, on_disk: bool) -> None:
    with Workset(tmp_path if on_disk else None) as workset:
        workset.add(_rows(1, 30))
        assert workset.records([3, 1])[1][0] == b"record 1 "
        # More records after a read (deletes are planned after the package's objects are read).
        workset.add(_rows(31, 5))
        workset.add_late([(2, b"late")])
        got = workset.records(list(range(35, 0, -1)))
        assert sorted(got) == list(range(1, 36))
        for seq, (data, late) in got.items():
            assert data == f"record {seq} ".encode() * seq
            assert late == ([b"late"] if seq == 2 else [])
        assert workset.records([99]) == {}


def test_the_records_file_is_unnamed_and_closed_with_the_working_set(tmp_path: Path) -> None:
    workset = Workset(tmp_path)
    workset.add(_rows(1, 3))
    assert workset.records([3])[3][0] == b"record 3 " * 3
    assert os.fstat(workset._data.fileno()).st_size == sum(
        len(f"record {n} ") * n for n in (1, 2, 3)
    )
    assert [p.suffix for p in tmp_path.iterdir()] == [".workset"]  # only the database has a name
    workset.close()
    assert workset._data.closed
    assert list(tmp_path.iterdir()) == []


def test_names_are_read_without_the_records(tmp_path: Path) -> None:
    # apply's subtasks of the objects written ahead need only these
    with Workset(tmp_path) as workset:
        workset.add(_rows(1, 1200))
        names = workset.names([1200, 7, 3, 999])
        assert names == {
            1200: ("job", "j1200"),
            7: ("job", "j7"),
            3: ("job", "j3"),
            999: ("job", "j999"),
        }
        assert workset.names([]) == {}


def test_jobs_to_rewrite_are_kept_once_and_read_by_name_a_batch_at_a_time() -> None:
    with Workset(None) as workset:
        workset.add_rewrites([(3, "c_job"), (1, "b_job")])
        workset.add_rewrites([(3, "c_job"), (2, "a_job")])  # a job using two renamed objects
        assert workset.rewrites_count() == 3
        assert list(workset.rewrites(2)) == [[(2, "a_job"), (1, "b_job")], [(3, "c_job")]]


def test_the_targets_an_import_writes_or_deletes_are_told_from_those_it_leaves() -> None:
    rows = [
        (1, 4, "job", "a", "jobs/a.job", "OVERWRITE", b"r", "uid-a", None),
        (2, 4, "job", "b", "jobs/b.job", "UNCHANGED", b"r", "uid-b", None),
        (3, 4, "job", "c", "", "DELETE", b"r", "uid-c", None),
        (4, 4, "job", "d", "jobs/d.job", "SKIP", b"r", "uid-d", None),
    ]
    with Workset(None) as workset:
        workset.add(rows)
        found = workset.written_targets(["uid-a", "uid-b", "uid-c", "uid-d", "uid-x"])
        assert sorted(found) == [("uid-a", 1), ("uid-c", 3)]
