"""Reading a package in a helper process: the same objects, preparations and refusals, in the
same order, as the reader finds itself, wherever the hand-over happens and whoever prepares
what; a helper that dies is an error that says so; nothing is left in the scratch folder."""

from __future__ import annotations

import io
import zipfile
import zlib
from collections import deque
from pathlib import Path
from typing import Any

import orjson
import pytest

from jobferry.errors import HelperStoppedError, PackageError
from jobferry.package.model import PackageObject
from jobferry.package.readahead import AHEAD, SLOTS, ReadAhead
from jobferry.package.reader import PackageReader, ReadLimits
from support.builders import make_job, make_script
from support.packages import tamper, write_package
from support.readahead import (
    describe,
    exit_in_helper,
    helper_from,
    helper_process,
    prepared_here,
    read_all,
    same_reads,
    sent_to_helper,
    small_batches,
    wanted_at,
)


def zip_of(entries: dict[str, bytes], path: Path) -> Path:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    path.write_bytes(buffer.getvalue())
    return path


@pytest.fixture
def package(tmp_path: Path) -> Path:
    """Five jobs with their scripts and resource, a manifest with identifiers: 16 objects."""
    return write_package(tmp_path / "p.zip", [make_job(f"job_{i:04d}") for i in range(5)])


@pytest.fixture
def batch_layout(tmp_path: Path) -> Path:
    """A folder per job, each repeating the script the jobs share (kept once), no manifest."""
    shared = orjson.dumps(make_script("shared_sql"))
    entries: dict[str, bytes] = {}
    for i in range(4):
        name = f"job_{i:04d}"
        entries[f"jobs/{name}/{name}.job"] = orjson.dumps(make_job(name))
        entries[f"jobs/{name}/shared_sql.script"] = shared
    return zip_of(entries, tmp_path / "batch.zip")


@pytest.mark.parametrize("hand_over", [0, 2])
@pytest.mark.parametrize("share", [1.0, 0.5, 0.0])
def test_the_helper_hands_out_what_the_reader_reads(
    monkeypatch: pytest.MonkeyPatch, package: Path, hand_over: int, share: float
) -> None:
    small_batches(monkeypatch)
    read_here = read_all(package, helper=False, prepare=describe)
    helper_from(monkeypatch, hand_over, share)

    read_ahead = read_all(package, helper=True, prepare=describe)

    assert same_reads(read_ahead, read_here)
    assert len(read_here) == 16
    # A preparation changes the document it is given, never the one handed out.
    documents = [document for *_, document, _ in read_here + read_ahead if document is not None]
    assert len(documents) >= len(read_here)
    assert not any("changed by preparing" in document for document in documents)
    assert read_here[0][6] == (read_here[0][1], sorted(read_here[0][5]), read_here[0][4])
    # What the helper prepared comes without its bytes (only what was prepared is used);
    # what it left to prepare here comes with them.
    helper_prepared = sum(document is None for *_, document, _ in read_ahead)
    if hand_over == 0 and share == 1.0:
        assert helper_prepared == len(read_ahead)
    if share == 0.0:
        assert helper_prepared == 0


def test_repeated_entries_are_kept_once_through_the_helper(
    monkeypatch: pytest.MonkeyPatch, batch_layout: Path
) -> None:
    small_batches(monkeypatch)
    read_here = read_all(batch_layout, helper=False, prepare=describe)
    helper_from(monkeypatch, 1, 0.5)

    assert same_reads(read_all(batch_layout, helper=True, prepare=describe), read_here)
    assert [name for _, name, *_ in read_here].count("shared_sql") == 1


@pytest.mark.parametrize("hand_over", [0, 1])
def test_a_different_repeat_is_refused_through_the_helper(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, hand_over: int
) -> None:
    """The helper keeps only what it prepared from an object, so a repeat is compared with
    the entry read again: the same refusal as the reader's own."""
    small_batches(monkeypatch)
    entries: dict[str, bytes] = {}
    for i in range(4):
        script = make_script("shared_sql")
        if i == 3:
            script["content"] = "select 'not the same';"
        entries[f"jobs/job_{i:04d}/shared_sql.script"] = orjson.dumps(script)
    package = zip_of(entries, tmp_path / "repeats.zip")
    here = refused(package, helper=False)
    assert here[1]["rule"] == "object.duplicate"
    assert here[1]["entries"] == [
        "jobs/job_0000/shared_sql.script",
        "jobs/job_0003/shared_sql.script",
    ]
    helper_from(monkeypatch, hand_over, share=1.0)

    assert refused(package, helper=True) == here


def test_a_repeated_object_is_read_again_once_per_repeat(
    monkeypatch: pytest.MonkeyPatch, batch_layout: Path
) -> None:
    """Through the helper a prepared object comes without its bytes, so comparing a repeat
    reads entries again: the first occurrence once a batch, and each repeat once."""
    small_batches(monkeypatch, size=20)  # one batch: 4 jobs, the shared script 4 times
    helper_from(monkeypatch, 0, share=1.0)
    reads: list[int] = []
    again = PackageReader._object_at

    def counted(self: PackageReader, seq: int) -> PackageObject:
        reads.append(seq)
        return again(self, seq)

    monkeypatch.setattr(PackageReader, "_object_at", counted)
    read_all(batch_layout, helper=True, prepare=describe)

    assert len(reads) == 4  # the first occurrence, then each of the three repeats
    assert len(set(reads)) == 4


def test_the_helper_reads_without_preparing(monkeypatch: pytest.MonkeyPatch, package: Path) -> None:
    small_batches(monkeypatch)
    helper_from(monkeypatch, 1)

    assert read_all(package, helper=True) == read_all(package, helper=False)


def test_batches_not_worth_preparing_are_read_here_unprepared(
    monkeypatch: pytest.MonkeyPatch, package: Path
) -> None:
    small_batches(monkeypatch)
    read_here = read_all(package, helper=False, prepare=describe)
    helper_from(monkeypatch, 0, 1.0)
    sent = sent_to_helper(monkeypatch)

    with PackageReader(package) as reader:
        objects = list(reader.objects(describe, helper=True, wanted=wanted_at({0, 3, 4})))

    # 16 objects, in six batches of three at most. The helper reads the first, the second and
    # third are read here, the helper takes the reading back for two batches, and the last is
    # read here again.
    assert [len(batch) for batch in sent] == [3, 3, 3]
    unprepared = [o for o in objects if o.prepared is None]
    assert [o.name for o in unprepared] == [o[1] for o in read_here[3:9] + read_here[15:]]
    assert all(o.source is not None for o in unprepared)
    prepared = [o for o in objects if o.prepared is not None]
    assert all(o.source is None for o in prepared), "what the helper prepared, and nothing more"
    read_ahead = [
        (o.kind, o.name, o.path, o.folder, o.uid, None, prepared_here(o, describe)) for o in objects
    ]
    assert same_reads(read_ahead, read_here)


@pytest.mark.parametrize("wanted", [{0, 3, 4, 5}, {0, 2, 4, 5}, {1, 3, 5}])
def test_the_running_total_goes_back_to_the_helper_with_the_reading(
    monkeypatch: pytest.MonkeyPatch, package: Path, wanted: set[int]
) -> None:
    small_batches(monkeypatch)
    sizes = sum(len(orjson.dumps(document)) for *_, document, _ in read_all(package, helper=False))
    limits = ReadLimits(max_total_bytes=sizes * 5 // 6)
    here = refused(package, helper=False, limits=limits)
    assert here[1]["rule"] == "size.total"
    helper_from(monkeypatch, 0)

    assert refused(package, helper=True, limits=limits, wanted=wanted_at(wanted)) == here


def refused(package: Path, **options: object) -> tuple[str, dict[str, object]]:
    with pytest.raises(PackageError) as caught:
        read_all(package, prepare=describe, **options)  # type: ignore[arg-type]
    return caught.value.message, caught.value.context


@pytest.mark.parametrize("hand_over", [0, 1, 3])
def test_a_refusal_is_the_readers_own(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, hand_over: int
) -> None:
    small_batches(monkeypatch)
    jobs = [make_job(f"job_{i:04d}") for i in range(5)]
    broken = {
        "json": tamper(write_package(tmp_path / "a.zip", jobs), "jobs/job_0003.job", b"{nope"),
        "name": zip_of({f"jobs/j{i}.job": b'{"nodes": []}' for i in range(12)}, tmp_path / "b.zip"),
        "listing": tamper(
            write_package(tmp_path / "c.zip", jobs), "scripts/job_0002_sql.script", b"{}"
        ),
    }
    for package in broken.values():
        here = refused(package, helper=False)
        helper_from(monkeypatch, hand_over)
        assert refused(package, helper=True) == here


def test_the_running_total_goes_to_the_helper_with_the_reading(
    monkeypatch: pytest.MonkeyPatch, package: Path
) -> None:
    small_batches(monkeypatch)
    sizes = sum(len(orjson.dumps(document)) for *_, document, _ in read_all(package, helper=False))
    limits = ReadLimits(max_total_bytes=sizes * 2 // 3)
    here = refused(package, helper=False, limits=limits)
    assert here[1]["rule"] == "size.total"
    helper_from(monkeypatch, 2)  # past two batches read here: the total so far must go along

    assert refused(package, helper=True, limits=limits) == here


def test_a_helper_that_dies_is_an_error_saying_so(
    monkeypatch: pytest.MonkeyPatch, package: Path, tmp_path: Path
) -> None:
    small_batches(monkeypatch)
    helper_from(monkeypatch, 0, 1.0)
    work = tmp_path / "work"

    with pytest.raises(HelperStoppedError, match="stopped \\(exit code 3\\)"):
        read_all(package, helper=True, prepare=exit_in_helper, workdir=work)

    assert not list(work.iterdir())


class _LateSends:
    """The consumer's end of the work pipe, sending from the second batch on only once the
    helper process has ended (killed first with ``kill``): the send then finds the pipe
    closed, as it does when the helper stops while the consumer is still sending."""

    def __init__(self, ahead: ReadAhead, kill: bool) -> None:
        self.ahead, self.kill, self.pipe, self.sends = ahead, kill, ahead._work, 0

    def send(self, item: Any) -> None:
        self.sends += 1
        if self.sends > 1 and item is not None:
            process = helper_process(self.ahead)
            if self.kill:
                process.kill()
            process.join(30)
        self.pipe.send(item)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.pipe, name)


def _send_once_the_helper_is_gone(monkeypatch: pytest.MonkeyPatch, kill: bool) -> None:
    started = ReadAhead.__init__

    def init(self: ReadAhead, *args: Any) -> None:
        started(self, *args)
        self._work = _LateSends(self, kill)  # type: ignore[assignment]

    monkeypatch.setattr(ReadAhead, "__init__", init)


def test_a_refusal_the_helper_stopped_at_comes_out_though_sending_failed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    small_batches(monkeypatch)
    entries = {f"jobs/job_{i:04d}.job": orjson.dumps(make_job(f"job_{i:04d}")) for i in range(9)}
    entries["scripts/broken.script"] = b"{x"  # read first: scripts come before jobs
    broken = zip_of(entries, tmp_path / "broken.zip")
    here = refused(broken, helper=False)
    assert here[1]["rule"] == "json.invalid"
    helper_from(monkeypatch, 0, 1.0)
    _send_once_the_helper_is_gone(monkeypatch, kill=False)

    assert refused(broken, helper=True) == here


def test_a_helper_killed_while_batches_are_sent_is_an_error_saying_so(
    monkeypatch: pytest.MonkeyPatch, package: Path, tmp_path: Path
) -> None:
    small_batches(monkeypatch)
    helper_from(monkeypatch, 0, 1.0)
    _send_once_the_helper_is_gone(monkeypatch, kill=True)
    work = tmp_path / "work"

    with pytest.raises(HelperStoppedError, match="reading the package"):
        read_all(package, helper=True, prepare=describe, workdir=work)
    assert not list(work.iterdir())


def test_nothing_is_left_in_the_scratch_folder(
    monkeypatch: pytest.MonkeyPatch, package: Path, tmp_path: Path
) -> None:
    small_batches(monkeypatch)
    helper_from(monkeypatch, 1)
    work = tmp_path / "work"

    read_all(package, helper=True, prepare=describe, workdir=work)
    assert not list(work.iterdir())
    tamper(package, "jobs/job_0004.job", b"[]")
    with pytest.raises(PackageError):
        read_all(package, helper=True, prepare=describe, workdir=work)
    assert not list(work.iterdir())


def test_the_helpers_outcomes_take_turns_in_a_few_files(
    monkeypatch: pytest.MonkeyPatch, package: Path, tmp_path: Path
) -> None:
    """Each batch's outcome is written over an earlier one's (``SLOTS`` files in all), never
    to a file of its own that is then removed."""
    small_batches(monkeypatch)
    helper_from(monkeypatch, 0, 1.0)
    seen: set[str] = set()
    handed: list[int] = []
    original = ReadAhead._next

    def watched(self: ReadAhead) -> Any:
        outcome = original(self)
        handed.append(1)
        seen.update(path.name for path in self._folder.iterdir())
        return outcome

    monkeypatch.setattr(ReadAhead, "_next", watched)
    read_here = read_all(package, helper=False, prepare=describe)

    assert same_reads(read_all(package, helper=True, prepare=describe, workdir=tmp_path), read_here)
    assert len(handed) > SLOTS
    assert seen == {f"slot-{n}" for n in range(SLOTS)}


def test_a_large_package_starts_its_helper_while_it_is_opened(
    monkeypatch: pytest.MonkeyPatch, package: Path, tmp_path: Path
) -> None:
    small_batches(monkeypatch)
    read_here = read_all(package, helper=False, prepare=describe)
    with PackageReader(package, workdir=tmp_path / "work", helper_from=10) as reader:
        early = reader._ahead
        assert early is not None, "17 entries: the helper starts as the package opens"
        process = helper_process(early)
        assert process.is_alive()
        assert early._done.poll(30), "it starts up while nothing asks for objects yet"
        objects = list(reader.objects(describe, helper=True))
        assert any(o.source is None for o in objects), "the helper prepared objects"
        assert reader._ahead is None, "the early helper is the one that read"
        # The read is over: the helper ends on its own while the reader is still open.
        process.join(30)
        assert process.exitcode == 0
        # the helper's share of a batch follows the measured work (a loaded machine leaves
        # more to this side): what it left unprepared is prepared here, as an import does
        read_early = [
            (o.kind, o.name, o.path, o.folder, o.uid, None, prepared_here(o, describe))
            for o in objects
        ]
    assert same_reads(read_early, read_here)


def test_an_early_helper_left_unused_stops_with_the_read(package: Path, tmp_path: Path) -> None:
    with PackageReader(package, workdir=tmp_path / "work", helper_from=10) as reader:
        assert reader._ahead is not None
        process = helper_process(reader._ahead)
        assert len(list(reader.objects())) == 16  # read here, without a helper
    assert not process.is_alive()
    with PackageReader(package, workdir=tmp_path / "work", helper_from=1000) as reader:
        assert reader._ahead is None  # a small package waits for its objects to be asked for
    assert not list((tmp_path / "work").iterdir())


def test_the_share_moves_towards_the_slower_side(package: Path, tmp_path: Path) -> None:
    with ReadAhead(package, tmp_path) as ahead:
        start = ahead.share
        ahead._balance(mine=3.0, helpers=1.0, used=start)  # the consumer is behind
        assert ahead.share > start
        ahead._balance(mine=1.0, helpers=9.0, used=start)
        ahead._balance(mine=1.0, helpers=9.0, used=start)
        assert ahead.share < start
        for _ in range(20):
            ahead._balance(mine=0.0, helpers=1.0, used=ahead.share)
        assert ahead.share == pytest.approx(0.0, abs=1e-3)


def test_the_share_settles_where_both_sides_take_as_long(package: Path, tmp_path: Path) -> None:
    """Simulated costs: the helper reads every entry (0.05 s a batch) and prepares its share
    (0.10 s for a whole batch); the consumer plans (0.04 s) and prepares the rest. Both take
    as long at a share of 0.45. A batch's cost is known ``AHEAD`` batches after its share was
    chosen, as in a read: correcting the share now by each late measurement swung it ±0.08
    around the balance (one side idle at each end of the swing)."""
    with ReadAhead(package, tmp_path) as ahead:
        in_flight = deque([ahead.share] * (AHEAD + 1))
        seen = []
        for _ in range(40):
            used = in_flight.popleft()
            ahead._balance(mine=0.04 + (1 - used) * 0.10, helpers=0.05 + used * 0.10, used=used)
            in_flight.append(ahead.share)
            seen.append(ahead.share)
        assert seen[-20:] == pytest.approx([0.45] * 20, abs=0.01)


def test_identified_objects_sent_unprepared_keep_their_entrys_deflate_stream(
    monkeypatch: pytest.MonkeyPatch, package: Path
) -> None:
    small_batches(monkeypatch)
    helper_from(monkeypatch, 0, 0.0)
    with PackageReader(package) as reader:
        objects = list(reader.objects(describe, helper=True))
    assert len(objects) == 16
    for obj in objects:  # what the import's ledger stores of them, as the zip holds it
        assert obj.prepared is None
        assert obj.uid is not None
        assert obj.stored is not None
        data, stream = obj.stored
        assert data == obj.source
        assert zlib.decompress(stream, -zlib.MAX_WBITS) == data
