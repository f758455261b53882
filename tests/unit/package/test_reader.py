"""The safe package reader: every layout we must accept, every hostile zip refused by rule."""

from __future__ import annotations

import functools
import hashlib
import io
import json
import random
import stat
import struct
import tempfile
import threading
import warnings
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import orjson
import pytest

from jobferry.errors import PackageError
from jobferry.package import reader as reader_module
from jobferry.package.documents import parse_json
from jobferry.package.layout import Layout, entry_path
from jobferry.package.reader import PackageObject, ReadLimits, ReadPackage, read_package
from jobferry.package.writer import PackageWriter
from support.builders import fixture, make_job, make_resource, make_script
from support.manifests import HEADER

Entry = tuple[str | zipfile.ZipInfo, bytes]
RawEntry = tuple[int, int, int, bytes]
"""An entry as it lies in the zip: (method, CRC, size, compressed bytes)."""
DOS_DATE = (0 << 9) | (1 << 5) | 1
"""1980-01-01, the first day a zip can date an entry."""


# --- helpers -----------------------------------------------------------------------------------


def dumps(document: Any) -> bytes:
    """JSON as DataArts writes it (indented, non-ASCII kept)."""
    return json.dumps(document, indent=4, ensure_ascii=False).encode("utf-8")


def make_zip(entries: list[Entry], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A zip of the entries in order; duplicate names are allowed (and not warned about)."""
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Duplicate name", UserWarning)
        with zipfile.ZipFile(buf, "w", compression=compression) as zf:
            for name, data in entries:
                zf.writestr(name, data)
    return buf.getvalue()


def zip_entries(data: bytes) -> list[tuple[str, bytes]]:
    """Every (name, bytes) of a zip, in archive order."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return [(info.filename, zf.read(info)) for info in zf.infolist()]


def rewrite(data: bytes, change: dict[str, bytes | None], add: Sequence[Entry] = ()) -> bytes:
    """The zip with some entries replaced (bytes) or removed (None), and others appended."""
    kept: list[Entry] = []
    for name, content in zip_entries(data):
        if name in change:
            replacement = change[name]
            if replacement is not None:
                kept.append((name, replacement))
        else:
            kept.append((name, content))
    return make_zip(kept + list(add))


def _refusal(data: bytes | Path, limits: ReadLimits | None) -> PackageError:
    with pytest.raises(PackageError) as caught:
        read_package(data, limits or ReadLimits())
    return caught.value


def refused(
    data: bytes | Path, rule: str, entry: str | None, limits: ReadLimits | None = None
) -> PackageError:
    """Read the package expecting a refusal by ``rule`` naming ``entry``, from bytes and from a
    file: a file is memory-mapped, and the refusal must come out as it is, not as a failure to
    unmap the file that a slice of it in the refusal's traceback still pins."""
    error = _refusal(data, limits)
    if isinstance(data, bytes):
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "package.zip"
            path.write_bytes(data)
            from_file = _refusal(path, limits)
        assert (from_file.message, from_file.context) == (error.message, error.context)
    assert error.context["rule"] == rule, error.message
    assert f"(rule {rule})" in error.message
    assert error.context.get("entry") == entry, error.message
    if entry is not None:
        assert f"'{entry}'" in error.message
    assert error.code == "DLF.9020"
    assert error.status == 400
    return error


def job_entry(name: str = "daily_sales", path: str | None = None, **kw: Any) -> Entry:
    return (path or f"jobs/{name}.job", dumps(make_job(name, **kw)))


def write_with_jobferry(layout: Layout, with_manifest: bool = True) -> tuple[bytes, dict[str, Any]]:
    """A package by jobferry's own writer: two jobs sharing one script, and every kind."""
    docs: dict[tuple[str, str], dict[str, Any]] = {
        ("job", "daily_sales"): make_job("daily_sales"),
        ("job", "weekly_sales"): make_job("weekly_sales"),
        ("script", "shared_sql"): make_script("shared_sql", content="select 'ünïcode';"),
        ("script", "daily_sales_sh"): make_script("daily_sales_sh", type="Shell", content="ls"),
        ("resource", "udf_jar"): make_resource("udf_jar"),
        ("cdm_job", "copy_orders"): {"name": "copy_orders", "type": "CDM", "config": {"a": 1}},
    }
    uses = {"daily_sales": ["shared_sql", "daily_sales_sh", "udf_jar", "copy_orders"]}
    uses["weekly_sales"] = ["shared_sql"]
    kinds = {name: kind for kind, name in docs}
    entries: dict[str, tuple[str, str, bytes]] = {}
    for (kind, name), doc in docs.items():
        text = orjson.dumps(doc)
        if layout is Layout.SINGLE or kind == "job":
            entries[entry_path(layout, kind, name)] = (kind, name, text)
    if layout is Layout.BATCH:
        for job, names in uses.items():
            for name in names:
                kind = kinds[name]
                entries[entry_path(layout, kind, name, job)] = (
                    kind,
                    name,
                    orjson.dumps(docs[kind, name]),
                )
    buf = io.BytesIO()
    writer = PackageWriter(buf, HEADER if with_manifest else None)
    for path in sorted(entries):
        kind, name, text = entries[path]
        writer.add(path, kind, name, f"id-{name}", text)
    writer.close()
    return buf.getvalue(), {f"{k}:{n}": d for (k, n), d in docs.items()}


def by_key(pkg: ReadPackage) -> dict[str, PackageObject]:
    return {f"{o.kind}:{o.name}": o for o in pkg.objects}


@functools.cache
def zeros_deflated(megabytes: int) -> tuple[bytes, int]:
    """``megabytes`` MiB of zeros deflated as zipfile streams them (about 200 KB for 200), and
    their CRC: deflated once per process, whichever bomb is built of them."""
    deflate = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
    chunk, crc, parts = bytes(1024 * 1024), 0, []
    for _ in range(megabytes):
        parts.append(deflate.compress(chunk))
        crc = zlib.crc32(chunk, crc)
    parts.append(deflate.flush())
    return b"".join(parts), crc


def deflated(data: bytes) -> RawEntry:
    deflate = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
    packed = deflate.compress(data) + deflate.flush()
    return zipfile.ZIP_DEFLATED, zlib.crc32(data), len(data), packed


def raw_zip(entries: Iterable[tuple[str, RawEntry]]) -> bytes:
    """A zip of entries already compressed, laid out as zipfile lays out ``writestr``'s (local
    headers, the central directory, its Zip64 end record past 65,535 entries), without
    compressing or checking each entry again in Python."""
    local, central, offset, count = [], [], 0, 0
    for name, (method, crc, size, packed) in entries:
        encoded = name.encode("ascii")
        fields = (0, method, 0, DOS_DATE, crc, len(packed), size, len(encoded), 0)
        header = struct.pack("<4s2B4HL2L2H", b"PK\x03\x04", 20, 0, *fields)
        own = (0, 0, 0, 0o600 << 16, offset)  # comment, disk, attributes, where the entry is
        central.append(struct.pack("<4s4B4HL2L5H2L", b"PK\x01\x02", 20, 3, 20, 0, *fields, *own))
        central.append(encoded)
        local += [header, encoded, packed]
        offset += len(header) + len(encoded) + len(packed)
        count += 1
    directory = b"".join(central)
    end = b""
    if count >= 0xFFFF:
        end = struct.pack(
            "<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, count, count, len(directory), offset
        ) + struct.pack("<4sLQL", b"PK\x06\x07", 0, offset + len(directory), 1)
    shown = min(count, 0xFFFF)
    end += struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, shown, shown, len(directory), offset, 0)
    return b"".join(local) + directory + end


@functools.cache
def bomb(name: str = "jobs/bomb.job", megabytes: int = 200) -> bytes:
    """A job, then one entry of ``megabytes`` MiB of zeros, deflated (about 200 KB)."""
    packed, crc = zeros_deflated(megabytes)
    job_name, job = job_entry("real_job")
    assert isinstance(job_name, str)
    zeros = (zipfile.ZIP_DEFLATED, crc, megabytes * 1024 * 1024, packed)
    return raw_zip([(job_name, deflated(job)), (name, zeros)])


def incompressible(size: int, seed: int = 7) -> bytes:
    return random.Random(seed).randbytes(size)


def hex_text(size: int, seed: int = 7) -> str:
    """Text that deflates only about two to one."""
    return incompressible(size // 2, seed).hex()


# --- accepted layouts --------------------------------------------------------------------------


def test_a_package_written_by_jobferry_reads_back_with_every_object_and_document() -> None:
    data, docs = write_with_jobferry(Layout.SINGLE)

    pkg = read_package(data)

    assert pkg.layout == "single"
    assert {k: o.document for k, o in by_key(pkg).items()} == docs
    assert [(o.kind, o.name) for o in pkg.objects] == [
        ("script", "daily_sales_sh"),
        ("script", "shared_sql"),
        ("resource", "udf_jar"),
        ("cdm_job", "copy_orders"),
        ("job", "daily_sales"),
        ("job", "weekly_sales"),
    ]
    assert by_key(pkg)["cdm_job:copy_orders"].path == "cdm_jobs/copy_orders.cdmjob"
    assert all(o.folder is None for o in pkg.objects)
    assert pkg.manifest is not None
    assert pkg.manifest["formatVersion"] == 2
    assert pkg.manifest_bytes == dict(zip_entries(data))["manifest.json"]
    assert pkg.signature is None
    assert pkg.sha256 == hashlib.sha256(data).hexdigest()
    assert pkg.size == len(data)
    assert [o.name for o in pkg.of_kind("job")] == ["daily_sales", "weekly_sales"]


def test_document_key_order_is_preserved() -> None:
    document = {"zeta": 1, "name": "ordered_sql", "alpha": 2, "type": "DWSSQL"}
    pkg = read_package(make_zip([job_entry(), ("scripts/ordered_sql.script", dumps(document))]))

    assert list(by_key(pkg)["script:ordered_sql"].document) == ["zeta", "name", "alpha", "type"]


def test_a_batch_package_written_by_jobferry_reads_back_with_the_shared_script_once() -> None:
    data, docs = write_with_jobferry(Layout.BATCH)
    lines = dict(zip_entries(data))["manifest.entries"].splitlines()
    listed = [json.loads(line)["path"] for line in lines]
    assert "jobs/daily_sales/shared_sql.script" in listed
    assert "jobs/weekly_sales/shared_sql.script" in listed

    pkg = read_package(data)

    assert pkg.layout == "batch"
    assert {k: o.document for k, o in by_key(pkg).items()} == docs
    assert by_key(pkg)["script:shared_sql"].path == "jobs/daily_sales/shared_sql.script"
    assert by_key(pkg)["job:weekly_sales"].folder == "weekly_sales"


def test_a_signature_beside_the_manifest_is_returned_unverified() -> None:
    data, _ = write_with_jobferry(Layout.SINGLE)
    signed = make_zip([*zip_entries(data), ("manifest.sig", b"\x01signature-bytes")])

    assert read_package(signed).signature == b"\x01signature-bytes"


def test_a_dataarts_single_export_without_manifest_reads() -> None:
    job = fixture("otc_doc_job_myJob_hivesql.job")
    script = fixture("otc_doc_script_echoTimeShell.script")
    resource = fixture("otc_doc_resource_test_jar.resource")
    data = make_zip(
        [
            ("jobs/", b""),
            ("jobs/myJob.job", dumps(job)),
            (f"scripts/{script['name']}.script", dumps(script)),
            (f"resources/{resource['name']}.resource", dumps(resource)),
            ("README.txt", b"ignored: not an object and there is no manifest"),
        ]
    )

    pkg = read_package(data)

    assert pkg.layout == "single"
    assert pkg.manifest is None
    assert pkg.manifest_bytes is None
    assert [(o.kind, o.name) for o in pkg.objects] == [
        ("script", script["name"]),
        ("resource", resource["name"]),
        ("job", "myJob"),
    ]
    assert by_key(pkg)["job:myJob"].document == job


def test_a_third_party_export_with_nested_kind_folders_reads_as_single() -> None:
    data = make_zip(
        [job_entry(path="jobs/jobs/daily_sales.job"), ("jobs/scripts/a.script", b'{"name":"a"}')]
    )

    pkg = read_package(data)

    assert pkg.layout == "single"
    assert all(o.folder is None for o in pkg.objects)


@pytest.mark.parametrize("prefix", ["", "jobs/"])
def test_a_dataarts_batch_export_reads_with_or_without_a_leading_jobs_folder(prefix: str) -> None:
    shared = dumps(make_script("shared_sql"))
    data = make_zip(
        [
            job_entry("job_batch", path=f"{prefix}job_batch/job_batch.job"),
            (f"{prefix}job_batch/shared_sql.script", shared),
            job_entry("job_stream", path=f"{prefix}job_stream/job_stream.job"),
            (f"{prefix}job_stream/shared_sql.script", shared),
        ]
    )

    pkg = read_package(data)

    assert pkg.layout == "batch"
    assert [(o.kind, o.name, o.folder) for o in pkg.objects] == [
        ("script", "shared_sql", "job_batch"),
        ("job", "job_batch", "job_batch"),
        ("job", "job_stream", "job_stream"),
    ]


def test_a_shared_script_defined_differently_in_two_job_folders_is_refused() -> None:
    data = make_zip(
        [
            job_entry("job_a", path="job_a/job_a.job"),
            ("job_a/shared_sql.script", dumps(make_script("shared_sql", content="select 1;"))),
            job_entry("job_b", path="job_b/job_b.job"),
            ("job_b/shared_sql.script", dumps(make_script("shared_sql", content="select 2;"))),
        ]
    )

    error = refused(data, "object.duplicate", "job_b/shared_sql.script")

    assert "'job_a/shared_sql.script'" in error.message
    assert error.context["entries"] == ["job_a/shared_sql.script", "job_b/shared_sql.script"]


def test_a_folder_per_task_package_gives_each_job_its_folder_as_matching_identifier() -> None:
    data = make_zip([job_entry("daily_sales", path="task_0001/daily_sales.job")])

    (job,) = read_package(data).objects

    assert (job.name, job.folder) == ("daily_sales", "task_0001")


def test_objects_in_kind_folders_and_job_folders_together_are_a_mixed_layout() -> None:
    data = make_zip(
        [
            job_entry("a"),
            job_entry("b", path="b/b.job"),
            ("loose.script", dumps(make_script("loose"))),
        ]
    )

    pkg = read_package(data)

    assert pkg.layout == "mixed"
    assert [o.folder for o in pkg.of_kind("job")] == [None, "b"]


def test_a_console_script_current_database_is_copied_to_database() -> None:
    console = fixture("dwtoolkit_query1.script") | {"currentDatabase": "sales_db"}
    both = make_script("both", currentDatabase="other")
    data = make_zip(
        [job_entry(), ("scripts/query1.script", dumps(console)), ("scripts/b.script", dumps(both))]
    )

    objects = by_key(read_package(data))

    assert objects["script:query1"].document["database"] == "sales_db"
    assert objects["script:query1"].document["currentDatabase"] == "sales_db"
    assert objects["script:both"].document["database"] == "postgres"


def test_scripts_resources_and_cdm_jobs_without_a_name_are_named_by_their_file() -> None:
    data = make_zip(
        [
            job_entry(),
            ("scripts/from_file.script", b'{"type": "DWSSQL"}'),
            ("resources/res_file.resource", b'{"name": "", "type": "jar"}'),
            ("cdm_jobs/copy.cdmjob", b'{"name": 3}'),
        ]
    )

    names = {(o.kind, o.name) for o in read_package(data).objects}

    assert {("script", "from_file"), ("resource", "res_file"), ("cdm_job", "copy")} <= names


def test_a_job_without_a_string_name_is_refused() -> None:
    job = make_job("x")
    del job["name"]

    refused(make_zip([("jobs/x.job", dumps(job))]), "object.name", "jobs/x.job")


def test_a_utf8_byte_order_mark_is_accepted() -> None:
    data = make_zip([("jobs/bom.job", b"\xef\xbb\xbf" + dumps(make_job("bom")))])

    assert read_package(data).objects[0].name == "bom"


def test_small_entries_are_exempt_from_the_ratio_rule() -> None:
    script = make_script("padded", content=" " * 60_000)
    data = make_zip([job_entry(), ("scripts/padded.script", dumps(script))])

    assert read_package(data).of_kind("script")[0].document["content"] == " " * 60_000


def test_a_package_is_read_from_a_file(tmp_path: Path) -> None:
    data, docs = write_with_jobferry(Layout.SINGLE)
    path = tmp_path / "DLF_daily_sales.zip"
    path.write_bytes(data)

    pkg = read_package(path)

    assert {k: o.document for k, o in by_key(pkg).items()} == docs
    assert (pkg.size, pkg.sha256) == (len(data), hashlib.sha256(data).hexdigest())


def hashing_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "package-hash" and t.is_alive()]


def test_a_package_file_that_grows_while_it_is_read_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, _ = write_with_jobferry(Layout.SINGLE)
    path = tmp_path / "package.zip"
    path.write_bytes(data)
    hashing = reader_module.PackageHash

    def grown_first(fd: int, limits: ReadLimits) -> Any:
        with path.open("ab") as more:  # after the reader took its size, before it hashed
            more.write(b"x" * 100)
        return hashing(fd, limits)

    monkeypatch.setattr(reader_module, "PackageHash", grown_first)

    error = refused(path, "zip.invalid", None)

    assert "changed while it was read" in error.message
    assert not hashing_threads()


def test_a_package_file_that_grows_past_the_cap_while_it_is_hashed_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, _ = write_with_jobferry(Layout.SINGLE)
    path = tmp_path / "package.zip"
    path.write_bytes(data)
    limits = ReadLimits(max_package_bytes=len(data) + 50)
    hashing = reader_module.PackageHash

    def grown_first(fd: int, limits: ReadLimits) -> Any:
        with path.open("ab") as more:
            more.write(b"x" * 100)
        return hashing(fd, limits)

    monkeypatch.setattr(reader_module, "PackageHash", grown_first)

    refused(path, "size.package", None, limits)


def test_a_refused_read_stops_hashing_before_the_file_closes(tmp_path: Path) -> None:
    path = tmp_path / "package.zip"
    path.write_bytes(b"PK not a zip at all" * 1000)

    refused(path, "zip.invalid", None)

    assert not hashing_threads()


# --- size, count and bombs ---------------------------------------------------------------------


def test_a_zip_bomb_is_refused_by_the_ratio_rule() -> None:
    data = bomb()
    assert len(data) < 1024 * 1024

    error = refused(data, "ratio", "jobs/bomb.job")

    assert "zip bomb" in error.message


def test_files_of_other_types_are_not_inflated_without_a_manifest() -> None:
    data = bomb("attachments/zeros.bin")

    assert [o.name for o in read_package(data).objects] == ["real_job"]


def test_a_bomb_whose_header_understates_its_size_is_refused_without_inflating_it() -> None:
    data = bytearray(bomb("jobs/liar.job"))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
        header_offset = zf.getinfo("jobs/liar.job").header_offset
    central = data.rindex(b"PK\x01\x02")  # the liar is the last entry
    assert data[central + 46 : central + 59] == b"jobs/liar.job"
    struct.pack_into("<L", data, central + 24, 1000)  # central directory: uncompressed size
    struct.pack_into("<L", data, header_offset + 22, 1000)  # local header: uncompressed size

    # zipfile stops at the declared size, so the CRC of the 200 MiB cannot match.
    error = refused(bytes(data), "zip.invalid", "jobs/liar.job")

    assert "CRC" in error.message


def test_the_running_total_is_capped_across_many_mid_size_entries() -> None:
    entries = [job_entry()] + [
        (f"scripts/s{i:02}.script", dumps(make_script(f"s{i:02}", content=hex_text(100_000, i))))
        for i in range(30)
    ]
    limits = ReadLimits(max_total_bytes=1024 * 1024)

    error = refused(make_zip(entries), "size.total", "scripts/s10.script", limits)

    assert error.context["limit"] == 1024 * 1024


def test_an_entry_larger_than_the_entry_cap_is_refused() -> None:
    script = make_script("big", content=hex_text(300_000))
    data = make_zip([job_entry(), ("scripts/big.script", dumps(script))])

    refused(data, "size.entry", "scripts/big.script", ReadLimits(max_entry_bytes=200_000))


def test_a_package_file_larger_than_the_cap_is_refused_before_opening(tmp_path: Path) -> None:
    path = tmp_path / "big.zip"
    path.write_bytes(b"not even a zip" * 1000)

    error = refused(path, "size.package", None, ReadLimits(max_package_bytes=10_000))

    assert "13.7 KiB" in error.message


def test_more_entries_than_allowed_are_refused_from_the_central_directory() -> None:
    empty: RawEntry = (zipfile.ZIP_STORED, 0, 0, b"")
    data = raw_zip((f"t/{i}.txt", empty) for i in range(100_000))

    error = refused(data, "entries.count", None, ReadLimits(max_entries=50_000))

    assert "100000 entries" in error.message


def test_the_declared_entry_count_is_refused_before_the_central_directory_is_parsed() -> None:
    data = bytearray(make_zip([job_entry(str(i)) for i in range(5)]))
    end = data.rindex(b"PK\x05\x06")
    struct.pack_into("<HH", data, end + 8, 60_000, 60_000)  # the directory itself holds 5

    error = refused(bytes(data), "entries.count", None, ReadLimits(max_entries=50_000))

    assert "60000 entries" in error.message


def test_a_central_directory_that_understates_its_entry_count_is_still_capped() -> None:
    data = bytearray(make_zip([job_entry(str(i)) for i in range(5)]))
    end = data.rindex(b"PK\x05\x06")
    struct.pack_into("<HH", data, end + 8, 1, 1)

    refused(bytes(data), "entries.count", None, ReadLimits(max_entries=3))


# --- names and paths ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("../evil.job", "path.traversal"),
        ("jobs/../../x.job", "path.traversal"),
        ("..\\x.job", "path.traversal"),
        ("jobs\\..\\..\\x.job", "path.traversal"),
        ("/etc/x.job", "path.absolute"),
        ("\\x.job", "path.absolute"),
        ("C:/x.job", "path.absolute"),
        ("c:x.job", "path.absolute"),
    ],
)
def test_paths_that_escape_the_package_are_refused(name: str, rule: str) -> None:
    refused(make_zip([job_entry(), (name, dumps(make_job("x")))]), rule, name)


def test_a_traversal_is_refused_even_in_a_file_that_would_be_ignored() -> None:
    refused(make_zip([job_entry(), ("../notes.txt", b"x")]), "path.traversal", "../notes.txt")


def test_a_symlink_entry_is_refused() -> None:
    link = zipfile.ZipInfo("jobs/link.job")
    link.create_system = 3
    link.external_attr = (stat.S_IFLNK | 0o777) << 16

    refused(make_zip([job_entry(), (link, b"/etc/passwd")]), "path.link", "jobs/link.job")


@pytest.mark.parametrize("second", ["jobs/daily_sales.job", "jobs\\daily_sales.job"])
def test_the_same_path_twice_is_refused(second: str) -> None:
    data = make_zip([job_entry(), (second, dumps(make_job("other")))])

    error = refused(data, "path.duplicate", second)

    assert "'jobs/daily_sales.job'" in error.message


def test_an_entry_name_with_control_characters_is_refused() -> None:
    refused(make_zip([job_entry(), ("jobs/a\x01b.job", b"{}")]), "name.invalid", "jobs/a\\x01b.job")


def test_an_entry_name_with_a_nul_byte_is_refused() -> None:
    data = make_zip([job_entry(), ("jobs/aXb.job", dumps(make_job("aXb")))])
    patched = data.replace(b"jobs/aXb.job", b"jobs/a\x00b.job")

    refused(patched, "name.invalid", "jobs/a\\x00b.job")


def test_an_entry_name_longer_than_the_limit_is_refused() -> None:
    name = "jobs/" + "n" * 600 + ".job"

    with pytest.raises(PackageError) as caught:
        read_package(make_zip([job_entry(), (name, b"{}")]))

    error = caught.value
    assert error.context["rule"] == "name.length"
    shown = error.context["entry"]  # shortened: envelopes do not carry kilobyte-long names
    assert shown.startswith("jobs/nnn")
    assert shown.endswith("nnn.job")
    assert "…" in shown
    assert len(shown) < 200
    assert f"'{shown}'" in error.message
    assert "609 characters long, more than the 512 allowed" in error.message


# --- content -----------------------------------------------------------------------------------


def test_a_file_that_is_not_utf8_is_refused() -> None:
    data = make_zip([("jobs/latin.job", '{"name": "caf\u00e9"}'.encode("latin-1"))])

    error = refused(data, "json.utf8", "jobs/latin.job")

    assert "byte 13 is not valid UTF-8" in error.message


def test_invalid_json_is_refused_with_line_and_column() -> None:
    data = make_zip([("jobs/broken.job", b'{\n  "name": "broken"\n  "type": "Shell"\n}')])

    error = refused(data, "json.invalid", "jobs/broken.job")

    assert "line 3 column 3" in error.message
    assert (error.context["line"], error.context["column"]) == (3, 3)


def test_a_json_array_is_refused() -> None:
    error = refused(make_zip([("jobs/list.job", b"[1, 2]")]), "json.object", "jobs/list.job")

    assert "JSON array" in error.message


def test_a_package_without_any_object_is_refused() -> None:
    refused(make_zip([("docs/", b""), ("docs/readme.md", b"# hi")]), "package.empty", None)


@pytest.mark.parametrize("data", [b"", b"PK\x03\x04 definitely not a zip", b"plain text"])
def test_a_file_that_is_not_a_zip_is_refused(data: bytes) -> None:
    refused(data, "zip.invalid", None)


def test_a_truncated_zip_is_refused() -> None:
    data, _ = write_with_jobferry(Layout.SINGLE)

    refused(data[: len(data) // 2], "zip.invalid", None)


def test_a_damaged_entry_is_refused_naming_it() -> None:
    script = make_script("noisy", content=hex_text(50_000))
    data = bytearray(make_zip([job_entry(), ("scripts/noisy.script", dumps(script))]))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
        info = zf.getinfo("scripts/noisy.script")
    middle = info.header_offset + 30 + len(info.filename) + info.compress_size // 2
    data[middle] ^= 0xFF

    refused(bytes(data), "zip.invalid", "scripts/noisy.script")


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    refused(tmp_path / "nowhere.zip", "zip.invalid", None)


# --- manifest ----------------------------------------------------------------------------------


def test_a_changed_entry_is_refused_naming_it_and_both_hashes() -> None:
    data, _ = write_with_jobferry(Layout.SINGLE)
    original = dict(zip_entries(data))["scripts/shared_sql.script"]
    flipped = original.replace(b"select", b"SELECT")
    tampered = rewrite(data, {"scripts/shared_sql.script": flipped})

    error = refused(tampered, "manifest.hash", "scripts/shared_sql.script")

    assert hashlib.sha256(original).hexdigest()[:12] in error.message
    assert hashlib.sha256(flipped).hexdigest()[:12] in error.message


def test_an_entry_of_another_size_than_listed_is_refused() -> None:
    data, _ = write_with_jobferry(Layout.SINGLE)
    tampered = rewrite(data, {"jobs/weekly_sales.job": dumps(make_job("weekly_sales"))})

    refused(tampered, "manifest.size", "jobs/weekly_sales.job")


@pytest.mark.parametrize("extra", ["notes.txt", "jobs/injected.job"])
def test_a_file_the_manifest_does_not_list_is_refused(extra: str) -> None:
    data, _ = write_with_jobferry(Layout.SINGLE)

    refused(rewrite(data, {}, [(extra, dumps(make_job("injected")))]), "manifest.unlisted", extra)


def test_a_listed_file_missing_from_the_zip_is_refused() -> None:
    data, _ = write_with_jobferry(Layout.SINGLE)

    refused(
        rewrite(data, {"resources/udf_jar.resource": None}),
        "manifest.missing",
        "resources/udf_jar.resource",
    )


def test_every_manifest_mismatch_is_reported_together() -> None:
    data, _ = write_with_jobferry(Layout.SINGLE)
    tampered = rewrite(
        data,
        {"jobs/daily_sales.job": b"{}", "resources/udf_jar.resource": None},
        [("extra.txt", b"x")],
    )

    error = refused(tampered, "manifest.mismatch", "extra.txt")

    assert [(p["entry"], p["rule"]) for p in error.context["problems"]] == [
        ("extra.txt", "manifest.unlisted"),
        ("jobs/daily_sales.job", "manifest.size"),
        ("resources/udf_jar.resource", "manifest.missing"),
    ]
    assert "3 problems" in error.message


def test_more_than_ten_manifest_problems_are_summarised() -> None:
    data, _ = write_with_jobferry(Layout.SINGLE)
    extras: list[Entry] = [(f"extra/{i:02}.txt", b"x") for i in range(12)]

    error = refused(rewrite(data, {}, extras), "manifest.unlisted", "extra/00.txt")

    assert len(error.context["problems"]) == 12
    assert "and 2 more" in error.message
    assert "extra/11.txt" not in error.message


def _with_manifest(data: bytes, **changes: Any) -> bytes:
    manifest = json.loads(dict(zip_entries(data))["manifest.json"])
    manifest.update(changes)
    return rewrite(data, {"manifest.json": json.dumps(manifest).encode()})


def test_a_newer_package_format_is_refused_naming_both_versions() -> None:
    data, _ = write_with_jobferry(Layout.SINGLE)

    error = refused(_with_manifest(data, formatVersion=3), "manifest.version", "manifest.json")

    assert "package format 3 is newer than this jobferry reads (2); upgrade jobferry" in (
        error.message
    )


@pytest.mark.parametrize("version", ["1", 1.0, True, 0, None])
def test_a_format_version_that_is_not_a_positive_integer_is_refused(version: Any) -> None:
    data, _ = write_with_jobferry(Layout.SINGLE)

    refused(_with_manifest(data, formatVersion=version), "manifest.version", "manifest.json")


def test_malformed_manifest_entries_are_refused() -> None:
    data, _ = write_with_jobferry(Layout.SINGLE)

    refused(_with_manifest(data, entries=[{"path": "x"}]), "manifest.invalid", "manifest.json")


def test_a_signature_without_its_manifest_is_refused() -> None:
    data, _ = write_with_jobferry(Layout.SINGLE)
    stripped = rewrite(data, {"manifest.json": None}, [("manifest.sig", b"sig")])

    refused(stripped, "manifest.missing", "manifest.json")


# --- DataArts limits ---------------------------------------------------------------------------


def test_dataarts_limits_refuse_an_11_mb_package() -> None:
    data = make_zip([job_entry(), ("media/blob.bin", incompressible(11 * 1024 * 1024))])

    refused(data, "size.package", None, ReadLimits.dataarts())


def test_dataarts_limits_accept_a_9_mb_package() -> None:
    data = make_zip([job_entry(), ("media/blob.bin", incompressible(9 * 1024 * 1024))])
    assert len(data) > 9 * 1024 * 1024

    assert [o.name for o in read_package(data, ReadLimits.dataarts()).objects] == ["daily_sales"]


def test_dataarts_limits_refuse_a_small_package_that_unpacks_past_10_mb() -> None:
    entries = [job_entry()] + [
        (
            f"scripts/half{i}.script",
            dumps(make_script(f"half{i}", content=hex_text(6 * 1024 * 1024, i))),
        )
        for i in range(2)
    ]
    data = make_zip(entries)
    assert len(data) < 10 * 1024 * 1024

    refused(data, "size.total", "scripts/half1.script", ReadLimits.dataarts())


def test_an_entry_holding_a_whole_number_past_64_bits_is_refused_naming_it() -> None:
    """orjson reads it as a float, so the definition imported would not be the one exported."""
    with pytest.raises(PackageError) as refused:
        parse_json(b'{"name": "j", "params": [{"value": 123456789012345678901234567890}]}', "j.job")
    assert refused.value.context["rule"] == "json.integer"
    assert refused.value.context["at"] == "params[0].value"
