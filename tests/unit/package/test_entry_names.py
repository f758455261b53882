"""Entry names a zip does not mark as UTF-8: a zip made on macOS (Finder's *Compress*, ``ditto``)
writes its names in UTF-8, decomposed (NFD, as the file system lists them), without the flag;
they are read as UTF-8 and composed (NFC), as a name typed on any other system is. A name that
is not UTF-8 is read in code page 437, as the zip format says."""

from __future__ import annotations

import io
import json
import unicodedata
import zipfile

from jobferry.package.reader import read_package
from support.builders import make_job, make_script


def unflagged(entries: list[tuple[bytes, bytes]]) -> bytes:
    """A zip of (raw name, data) whose names are not marked UTF-8, whatever their bytes."""
    buf = io.BytesIO()
    placeholders = []
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for n, (raw, data) in enumerate(entries):
            placeholder = f"{n:04d}".encode().ljust(len(raw), b"X")
            archive.writestr(placeholder.decode(), data)
            placeholders.append((placeholder, raw))
    made = buf.getvalue()
    for placeholder, raw in placeholders:
        assert made.count(placeholder) == 2  # the local header and the central directory
        made = made.replace(placeholder, raw)
    return made


def macos(name: str) -> bytes:
    return unicodedata.normalize("NFD", name).encode("utf-8")


def test_names_a_mac_wrote_without_the_utf8_flag_read_as_written() -> None:
    script = make_script("日次データ集計")
    del script["name"]  # named by its file, as a console export may leave it
    job = make_job("デイリー売上", nodes=[])
    data = unflagged(
        [
            (macos("jobs/デイリー売上.job"), json.dumps(job).encode()),
            (macos("scripts/日次データ集計.script"), json.dumps(script).encode()),
        ]
    )
    assert all(i.flag_bits & 0x800 == 0 for i in zipfile.ZipFile(io.BytesIO(data)).infolist())
    read = read_package(data)
    assert {(o.kind, o.name, o.path) for o in read.objects} == {
        ("job", "デイリー売上", "jobs/デイリー売上.job"),
        ("script", "日次データ集計", "scripts/日次データ集計.script"),
    }


def test_a_name_that_is_not_utf8_is_read_in_code_page_437() -> None:
    data = unflagged([(b"jobs/caf\x82.job", json.dumps(make_job("cafe", nodes=[])).encode())])
    (job,) = read_package(data).objects
    assert job.path == "jobs/café.job"


def test_names_a_chinese_windows_wrote_in_gbk_read_as_written() -> None:
    """Windows' own *Compressed (zipped) folder* on a Chinese-language Windows writes GBK,
    unmarked: a script named by its file took a garbled name."""
    script = make_script("每日销售汇总")
    del script["name"]  # named by its file
    job = make_job("销售日报", nodes=[])
    data = unflagged(
        [
            ("jobs/销售日报.job".encode("gbk"), json.dumps(job).encode()),
            ("scripts/每日销售汇总（新）.script".encode("gbk"), json.dumps(script).encode()),
        ]
    )
    read = read_package(data)
    assert {(o.kind, o.name, o.path) for o in read.objects} == {
        ("job", "销售日报", "jobs/销售日报.job"),
        ("script", "每日销售汇总（新）", "scripts/每日销售汇总（新）.script"),
    }


def test_a_code_page_437_name_that_pairs_into_gbk_stays_code_page_437() -> None:
    """``Résumé``'s 0x82 pairs with the next byte into a GBK character, but the name as a whole
    does not read as GBK; ``ªí`` reads as GBK (a Greek alpha), but not as wide characters."""
    data = unflagged([(b"jobs/R\x82sum\x82.job", json.dumps(make_job("r", nodes=[])).encode())])
    assert read_package(data).objects[0].path == "jobs/Résumé.job"
    data = unflagged([(b"jobs/\xa6\xa1.job", json.dumps(make_job("a", nodes=[])).encode())])
    assert read_package(data).objects[0].path == "jobs/ªí.job"
