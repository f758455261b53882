"""Writing a package in a helper process: the bytes the writer writes in this process, signed
or not, however the batches fall around the helper's start; a caller's mistake is refused at
once; the helper's own error is the caller's; a helper that dies is an error that says so."""

from __future__ import annotations

import hashlib
import io
import time
import zipfile
from multiprocessing.process import BaseProcess
from pathlib import Path

import pytest

from jobferry.errors import HelperStoppedError
from jobferry.package import writebehind
from jobferry.package.writebehind import WriteBehind
from jobferry.package.writer import POOLED_BYTES, NewEntry, PackageWriter, WrittenPackage, packed
from support.packages import HEADER
from support.readahead import helper_process


def entries(count: int) -> list[NewEntry]:
    return [
        NewEntry(f"jobs/job_{i:04d}.job", "job", f"job_{i:04d}", f"id-{i}", b'{"n": %d}' % i)
        for i in range(count)
    ]


def sign(manifest: bytes) -> bytes:
    """A stand-in signer: it runs in the caller's process (the key never travels)."""
    return b"signed:" + hashlib.sha256(manifest).digest()


def batches(items: list[NewEntry], size: int) -> list[list[NewEntry]]:
    return [items[at : at + size] for at in range(0, len(items), size)]


def written_here(items: list[NewEntry], size: int, signed: bool) -> tuple[bytes, WrittenPackage]:
    out = io.BytesIO()
    writer = PackageWriter(out, None, sign if signed else None)
    for batch in batches(items, size):
        writer.add_many(batch)
    written = writer.close(HEADER)
    return out.getvalue(), written


@pytest.mark.parametrize("share", [0.0, 0.5, 1.0, None])
@pytest.mark.parametrize("signed", [False, True])
@pytest.mark.parametrize("count", [0, 7, 60])
def test_the_helper_writes_the_bytes_the_writer_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, signed: bool, count: int, share: float | None
) -> None:
    if share is not None:  # that part of each batch is deflated here, always
        monkeypatch.setattr(writebehind, "SHARE", share)
        monkeypatch.setattr(writebehind, "STEP", 0.0)
    items = entries(count)
    here, here_written = written_here(items, 5, signed)
    path = tmp_path / "p.zip"

    with WriteBehind(path, sign if signed else None) as behind:
        for batch in batches(items, 5):  # 60 entries: more batches than are held at the start
            behind.add_many(batch)
        written = behind.close(HEADER)

    assert path.read_bytes() == here
    assert written == here_written
    names = zipfile.ZipFile(path).namelist()
    assert ("manifest.sig" in names) is signed
    assert len(names) == count + 2 + signed


def test_the_helper_waited_for_writes_the_same_bytes(tmp_path: Path) -> None:
    items = entries(12)
    path = tmp_path / "p.zip"
    with WriteBehind(path) as behind:
        assert behind._done.poll(30)  # ready before the first batch: nothing is held
        for batch in batches(items, 4):
            behind.add_many(batch)
        behind.close()
    out = io.BytesIO()
    writer = PackageWriter(out, None)
    writer.add_many(items)
    writer.close()
    assert path.read_bytes() == out.getvalue()
    assert zipfile.ZipFile(path).namelist() == [e.path for e in items]


def test_entries_out_of_order_are_refused_at_once(tmp_path: Path) -> None:
    with WriteBehind(tmp_path / "p.zip") as behind:
        behind.add_many(entries(3)[1:])
        with pytest.raises(ValueError, match="ascending path order"):
            behind.add_many(entries(1))
        with pytest.raises(ValueError, match="written by the writer itself"):
            behind.add_many([NewEntry("manifest.json", "job", "x", "x", b"{}")])


def write(behind: WriteBehind, items: list[NewEntry]) -> None:
    for batch in batches(items, 100):
        behind.add_many(batch)
    behind.close(HEADER)


def test_what_fails_in_the_helper_is_raised_here(tmp_path: Path) -> None:
    with (
        WriteBehind(tmp_path / "no such folder" / "p.zip") as behind,
        pytest.raises(FileNotFoundError),
    ):
        write(behind, entries(2))


def test_a_helper_that_dies_is_an_error_that_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(writebehind, "HELD", 1)
    with WriteBehind(tmp_path / "p.zip") as behind:
        behind.add_many(entries(2))
        process = helper_process(behind)
        process.kill()
        process.join()
        with pytest.raises(HelperStoppedError, match="writing the package stopped"):
            write(behind, entries(402)[2:])


def test_a_helper_that_cannot_be_started_is_an_error_that_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(process: BaseProcess) -> None:
        raise OSError("Resource temporarily unavailable")

    monkeypatch.setattr(writebehind, "HELD", 1)
    monkeypatch.setattr(BaseProcess, "start", refused)
    with (
        WriteBehind(tmp_path / "p.zip") as behind,
        pytest.raises(HelperStoppedError, match=r"could not be started.*temporarily"),
    ):
        write(behind, entries(402))


def test_a_signer_that_fails_is_the_callers_error_and_the_helper_ends(tmp_path: Path) -> None:
    def broken(manifest: bytes) -> bytes:
        raise RuntimeError("the key is locked")

    with WriteBehind(tmp_path / "p.zip", broken) as behind:
        behind.add_many(entries(3))
        with pytest.raises(RuntimeError, match="the key is locked"):
            behind.close(HEADER)
    assert helper_process(behind).exitcode == 0


def test_entries_deflated_beforehand_are_written_as_the_writer_deflates_them() -> None:
    items = entries(9)
    mixed = [packed(entry) if i % 2 else entry for i, entry in enumerate(items)]
    outputs = []
    for given in (items, mixed):
        out = io.BytesIO()
        writer = PackageWriter(out, None, threads=2)
        writer.add_many(given)
        writer.close(HEADER)
        outputs.append(out.getvalue())
    assert outputs[0] == outputs[1]


def test_small_entries_deflated_here_and_large_ones_on_the_pool_make_the_same_bytes() -> None:
    sizes = [10, POOLED_BYTES - 1, POOLED_BYTES, 3 * POOLED_BYTES, 200, 5 * POOLED_BYTES, 7]
    items = [
        NewEntry(f"scripts/s_{i}.script", "script", f"s_{i}", f"id-{i}", b"select %d;" % i * n)
        for i, n in enumerate(sizes)
    ]
    mixed = [packed(entry) if i % 3 == 1 else entry for i, entry in enumerate(items)]
    outputs = set()
    for threads, given in ((0, items), (2, items), (2, mixed)):
        out = io.BytesIO()
        writer = PackageWriter(out, None, threads=threads)
        writer.add_many(given[:4])
        writer.add_many(given[4:])
        writer.close(HEADER)
        outputs.add(out.getvalue())
    assert len(outputs) == 1
    with zipfile.ZipFile(io.BytesIO(outputs.pop())) as archive:
        assert [archive.read(f"scripts/s_{i}.script") for i in range(len(sizes))] == [
            item.data for item in items
        ]


@pytest.mark.parametrize("busy", [True, False])
def test_the_share_deflated_here_follows_whether_sending_waited(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, busy: bool
) -> None:
    send = WriteBehind._send

    def helper_busy(self: WriteBehind, item: tuple[str, object]) -> None:
        time.sleep(writebehind.WAITED * 3)  # as if the helper were still on the last batch
        send(self, item)

    if busy:
        monkeypatch.setattr(WriteBehind, "_send", helper_busy)
    monkeypatch.setattr(writebehind, "HELD", 1)
    with WriteBehind(tmp_path / "p.zip") as behind:
        shares = []
        for batch in batches(entries(20), 1):
            behind.add_many(batch)
            shares.append(behind.share)
        behind.close(HEADER)
    if busy:  # more and more is deflated here, up to all of it
        assert shares == sorted(shares)
        assert shares[-1] == 1.0
    else:  # a helper that keeps up deflates it all (a send a loaded machine delays aside)
        assert shares[-1] <= writebehind.STEP
