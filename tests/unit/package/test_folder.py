"""A folder of definitions: read with every problem named, packed into the same bytes every
time (a package the server's reader takes), and written back one file an object."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

from jobferry.domain.enums import ObjectKind
from jobferry.package.folder import FolderObject, pack, read_folder, write_folder
from jobferry.package.reader import read_package
from support.builders import make_job, make_resource, make_script


def write(path: Path, document: Any, indent: int | None = 2) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=indent, ensure_ascii=False), encoding="utf-8")
    return path


def folder(root: Path) -> Path:
    """Two jobs (one nested, one by extension), their scripts, a resource, a file to ignore."""
    write(root / "jobs" / "daily_sales.json", {**make_job("daily_sales"), "id": "7"})
    write(root / "jobs" / "extra" / "weekly_sales.job", make_job("weekly_sales"))
    write(root / "scripts" / "daily_sales_sql.json", make_script("daily_sales_sql"))
    write(root / "scripts" / "sh.script", make_script("daily_sales_sh", type="Shell"))
    write(root / "resources" / "udf_jar.json", make_resource("udf_jar", desc="UDFs ü"))
    write(root / ".hidden" / "jobs" / "x.json", {"broken": True})
    (root / "README.md").write_text("not a definition\n", encoding="utf-8")
    return root


def packed(objects: tuple[FolderObject, ...]) -> bytes:
    out = io.BytesIO()
    pack(objects, out)
    return out.getvalue()


def test_a_folder_is_read_in_the_order_an_import_writes_without_server_fields(
    tmp_path: Path,
) -> None:
    read = read_folder(folder(tmp_path / "defs"))
    assert read.problems == ()
    assert [(o.kind, o.name, o.file) for o in read.objects] == [
        ("script", "daily_sales_sh", "scripts/sh.script"),
        ("script", "daily_sales_sql", "scripts/daily_sales_sql.json"),
        ("resource", "udf_jar", "resources/udf_jar.json"),
        ("job", "daily_sales", "jobs/daily_sales.json"),
        ("job", "weekly_sales", "jobs/extra/weekly_sales.job"),
    ]
    assert "id" not in read.objects[3].document


def test_a_link_to_a_file_is_read_and_a_link_to_a_folder_is_not_followed(tmp_path: Path) -> None:
    """The folder is walked as ``Path.rglob`` walks it: a linked file counts where it is
    linked, a linked folder is not entered (a link back up would never end)."""
    elsewhere = write(tmp_path / "elsewhere" / "linked.job", make_job("linked"))
    root = tmp_path / "defs"
    write(root / "jobs" / "daily_sales.json", make_job("daily_sales"))
    (root / "jobs" / "linked.job").symlink_to(elsewhere)
    (root / "jobs" / "loop").symlink_to(root)
    (root / "jobs" / "gone.json").symlink_to(tmp_path / "nothing.json")
    read = read_folder(root)
    assert read.problems == ()
    assert [o.file for o in read.objects] == ["jobs/daily_sales.json", "jobs/linked.job"]


def test_every_problem_of_every_file_is_named_at_once(tmp_path: Path) -> None:
    root = folder(tmp_path / "defs")
    broken = make_job("broken_job")
    broken["nodes"][1]["preNodeName"] = ["nowhere"]
    write(root / "jobs" / "broken_job.job", broken)
    (root / "scripts" / "bad.json").write_text("{not json", encoding="utf-8")
    write(root / "misc" / "thing.json", make_job("thing"))
    write(root / "resources" / "list.json", [1, 2])
    write(root / "jobs" / "again.json", make_job("daily_sales"))
    problems = read_folder(root).problems
    assert len(problems) == 5, problems
    assert any(p.startswith("jobs/broken_job.job: job nodes[1].preNodeName") for p in problems)
    assert any(p.startswith("scripts/bad.json: not valid JSON") for p in problems)
    assert any(p.startswith("misc/thing.json: cannot tell a job from a script") for p in problems)
    assert "resources/list.json: holds list, not a resource definition object" in problems
    twin = "jobs/daily_sales.json: job 'daily_sales' is also defined in jobs/again.json; keep one"
    assert twin in problems


def test_the_same_folder_packs_into_the_same_bytes_whatever_its_file_times(
    tmp_path: Path,
) -> None:
    root = folder(tmp_path / "defs")
    first = packed(read_folder(root).objects)
    for path in root.rglob("*"):
        os.utime(path, (1_000_000_000, 1_000_000_000))
    assert packed(read_folder(root).objects) == first
    copy = folder(tmp_path / "elsewhere")
    assert packed(read_folder(copy).objects) == first


def test_the_package_is_an_export_package_without_a_source(tmp_path: Path) -> None:
    objects = read_folder(folder(tmp_path / "defs")).objects
    package = read_package(packed(objects))
    assert package.layout == "single"
    assert [(o.kind, o.name, o.path, o.uid) for o in package.objects] == [
        ("script", "daily_sales_sh", "scripts/daily_sales_sh.script", None),
        ("script", "daily_sales_sql", "scripts/daily_sales_sql.script", None),
        ("resource", "udf_jar", "resources/udf_jar.resource", None),
        ("job", "daily_sales", "jobs/daily_sales.job", None),
        ("job", "weekly_sales", "jobs/weekly_sales.job", None),
    ]
    assert package.objects[2].document["desc"] == "UDFs ü"
    assert "id" not in package.objects[3].document
    assert package.manifest is not None
    assert package.manifest["source"] == {"projectId": "", "workspace": "", "workspaceId": ""}
    assert package.manifest["createdAt"] == "1970-01-01T00:00:00.000Z"
    assert package.manifest["options"] == {"layout": "single", "origin": "folder"}


def test_a_changed_definition_changes_the_package(tmp_path: Path) -> None:
    root = folder(tmp_path / "defs")
    before = packed(read_folder(root).objects)
    write(root / "scripts" / "daily_sales_sql.json", make_script(content="select 2;"))
    assert packed(read_folder(root).objects) != before


def test_a_written_folder_reads_back_as_the_same_objects(tmp_path: Path) -> None:
    objects = read_folder(folder(tmp_path / "defs")).objects
    out = tmp_path / "out"
    done = write_folder(out, objects)
    assert done.written == [
        "jobs/daily_sales.json",
        "jobs/weekly_sales.json",
        "resources/udf_jar.json",
        "scripts/daily_sales_sh.json",
        "scripts/daily_sales_sql.json",
    ]
    again = read_folder(out)
    assert again.problems == ()
    assert [(o.kind, o.name, o.document) for o in again.objects] == [
        (o.kind, o.name, o.document) for o in objects
    ]
    text = (out / "resources" / "udf_jar.json").read_text(encoding="utf-8")
    shown = json.dumps(objects[2].document, indent=2, sort_keys=True, ensure_ascii=False)
    assert text == shown + "\n"


def test_writing_twice_gives_the_same_bytes_and_leaves_files_untouched(tmp_path: Path) -> None:
    objects = read_folder(folder(tmp_path / "defs")).objects
    out = tmp_path / "out"
    write_folder(out, objects)
    first = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    stamp = (out / "jobs" / "daily_sales.json").stat().st_mtime_ns
    os.utime(out / "jobs" / "daily_sales.json", ns=(stamp - 10**9, stamp - 10**9))
    done = write_folder(out, objects)
    assert done.written == []
    assert len(done.unchanged) == 5
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == first
    assert (out / "jobs" / "daily_sales.json").stat().st_mtime_ns == stamp - 10**9


def test_stale_definition_files_are_removed_and_other_files_kept(tmp_path: Path) -> None:
    objects = read_folder(folder(tmp_path / "defs")).objects
    out = tmp_path / "out"
    write(out / "jobs" / "gone.json", make_job("gone"))
    write(out / "scripts" / "deep" / "old.script", make_script("old"))
    write(out / "jobs" / ".draft.json", make_job("draft"))
    (out / "jobs" / "notes.txt").write_text("kept\n", encoding="utf-8")
    write(out / "loose.job", make_job("loose"))
    done = write_folder(out, objects)
    assert done.removed == ["jobs/gone.json", "scripts/deep/old.script"]
    assert (out / "jobs" / "notes.txt").exists()
    assert (out / "jobs" / ".draft.json").exists()
    assert (out / "loose.job").exists()


def test_server_fields_are_left_out_and_cdm_jobs_skipped(tmp_path: Path) -> None:
    class Shown:
        def __init__(self, kind: str, name: str, document: dict[str, Any]) -> None:
            self.kind, self.name, self.document = kind, name, document

    job = {**make_job("daily_sales"), "createTime": 1, "lastUpdateUser": "ann", "id": "9"}
    cdm = Shown("cdm_job", "copy_orders", {"name": "copy_orders", "type": "CDM"})
    done = write_folder(tmp_path / "out", [Shown("job", "daily_sales", job), cdm])
    assert done.skipped == ["cdm_job 'copy_orders'"]
    written = json.loads((tmp_path / "out" / "jobs" / "daily_sales.json").read_bytes())
    assert written == make_job("daily_sales")


def test_a_name_that_is_not_a_file_name_writes_nothing(tmp_path: Path) -> None:
    class Shown:
        def __init__(self, kind: str, name: str) -> None:
            self.kind, self.name, self.document = kind, name, {"name": name}

    out = tmp_path / "out"
    done = write_folder(out, [Shown("script", "fine"), Shown("script", "../escape")])
    assert len(done.problems) == 1
    assert done.problems[0].startswith("script '../escape':")
    assert not out.exists()


def test_a_name_starting_with_a_dot_is_written_as_a_file_a_read_finds(tmp_path: Path) -> None:
    """A file named with a dot first is hidden, which a read skips: written as such, the
    object would be lost to the next ``apply -f`` (and deleted by ``--prune``)."""
    write(tmp_path / "defs" / "jobs" / "dot.json", make_job(".daily"))
    write(tmp_path / "defs" / "scripts" / "dot.json", make_script(".daily_sql"))
    objects = read_folder(tmp_path / "defs").objects
    out = tmp_path / "out"
    done = write_folder(out, objects)
    assert done.written == ["jobs/%2Edaily.json", "scripts/%2Edaily_sql.json"]
    again = read_folder(out)
    assert again.problems == ()
    assert [(o.kind, o.name) for o in again.objects] == [(o.kind, o.name) for o in objects]
    assert write_folder(out, again.objects).unchanged == done.written


def test_a_name_too_long_for_a_file_name_is_written_cut_and_read_back(tmp_path: Path) -> None:
    """128 Chinese characters are a legal name of 384 bytes, longer than a file name may be:
    the write failed half done (``File name too long``), some files written."""
    names = ("数据" * 64, "数据" * 63 + "表", "a" * 128)
    objects = [FolderObject(ObjectKind.SCRIPT, n, "x", make_script(n)) for n in names]
    out = tmp_path / "out"
    done = write_folder(out, objects)
    assert done.problems == []
    assert len(set(done.written)) == 3
    assert all(len(Path(path).name.encode()) <= 250 for path in done.written)
    assert f"scripts/{'a' * 128}.json" in done.written
    again = read_folder(out)
    assert again.problems == ()
    assert sorted(o.name for o in again.objects) == sorted(names)
    assert write_folder(out, again.objects).unchanged == done.written


def test_a_file_of_an_object_written_elsewhere_is_said_moved_not_removed(tmp_path: Path) -> None:
    """``pull`` said ``removed  jobs/etl/daily_sales.json  (no longer in the workspace)`` of
    the file of a job the workspace has, written to ``jobs/daily_sales.json``."""
    objects = read_folder(folder(tmp_path / "defs")).objects
    out = tmp_path / "out"
    write(out / "jobs" / "etl" / "daily_sales.json", make_job("daily_sales"))
    write(out / "misc" / "x.script", make_script("udf_jar"))  # not a kind's folder: kept
    write(out / "jobs" / "udf_jar.json", make_resource("udf_jar"))  # a job of that name: gone
    done = write_folder(out, objects)
    assert done.moved == {"jobs/etl/daily_sales.json": "jobs/daily_sales.json"}
    assert done.removed == ["jobs/udf_jar.json"]
    assert (out / "misc" / "x.script").exists()


def test_a_file_saved_as_utf8_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    """An editor's "UTF-8 with BOM" (Windows Notepad's UTF-8 until 2019): the folder refused it
    as not valid JSON, though a package's entry with one is read (test_reader.py)."""
    root = tmp_path / "defs"
    (root / "jobs").mkdir(parents=True)
    text = json.dumps(make_job("bom_job"), indent=2, ensure_ascii=False).replace("\n", "\r\n")
    (root / "jobs" / "bom_job.json").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))

    read = read_folder(root)

    assert read.problems == ()
    assert [o.name for o in read.objects] == ["bom_job"]
    out = tmp_path / "out"
    done = write_folder(out, read.objects)
    assert done.removed == []
    assert not done.moved
    assert not (out / "jobs" / "bom_job.json").read_bytes().startswith(b"\xef\xbb\xbf")


def test_names_differing_only_in_case_get_files_no_case_blind_file_system_merges(
    tmp_path: Path,
) -> None:
    """On macOS or Windows ``jobs/Daily.json`` and ``jobs/daily.json`` are one file: pulled,
    the second object was written over the first, and ``apply -f --prune`` of the folder
    deleted it from the workspace."""
    objects = [
        FolderObject(ObjectKind.JOB, name, f"jobs/{name}.json", make_job(name))
        for name in ("daily", "Daily", "DAILY", "weekly")
    ]
    out = tmp_path / "out"

    done = write_folder(out, objects)

    assert done.problems == []
    paths = sorted(done.written)
    assert paths[0] == "jobs/DAILY.json"  # the first in code point order keeps its name
    assert len({p.casefold() for p in paths}) == 4
    assert sorted(o.name for o in read_folder(out).objects) == ["DAILY", "Daily", "daily", "weekly"]
    assert write_folder(out, objects).unchanged == paths  # the same files again


def test_a_file_renamed_in_case_only_is_kept_where_file_names_ignore_case(
    tmp_path: Path, monkeypatch: Any
) -> None:
    """Where file names ignore case, writing ``jobs/daily.json`` writes the file listed as
    ``jobs/Daily.json``: it is that file, not a stale one to remove."""
    out = tmp_path / "out"
    write_folder(out, [FolderObject(ObjectKind.JOB, "Daily", "", make_job("Daily"))])
    monkeypatch.setattr(os.path, "samefile", lambda a, b: str(a).casefold() == str(b).casefold())

    done = write_folder(out, [FolderObject(ObjectKind.JOB, "daily", "", make_job("daily"))])

    assert done.written == ["jobs/daily.json"]
    assert done.removed == []
    assert not done.moved


def test_one_json_file_nested_under_a_folder_of_objects_is_read_as_that_kind(
    tmp_path: Path,
) -> None:
    """``apply -f jobs/etl/weekly_sales.json``: a ``*.json`` under a ``jobs/`` folder is a job,
    however deep, given alone as within its folder (docs/cli.md)."""
    root = folder(tmp_path / "defs")
    nested = root / "jobs" / "extra" / "nested.json"
    write(nested, make_job("nested"))
    alone = read_folder(nested)
    assert alone.problems == ()
    assert [(o.kind, o.name, o.file) for o in alone.objects] == [
        (ObjectKind.JOB, "nested", "nested.json")
    ]
    assert ("job", "nested") in {(o.kind, o.name) for o in read_folder(root).objects}
