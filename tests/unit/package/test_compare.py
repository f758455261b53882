"""Comparing two packages: objects matched by kind and name, changes down to the field."""

from __future__ import annotations

import io
from pathlib import Path

import orjson

from jobferry.package.compare import ObjectStatus, compare_packages
from jobferry.package.layout import Layout, entry_path
from jobferry.package.manifest import ManifestHeader
from jobferry.package.reader import ReadPackage, read_package
from jobferry.package.writer import PackageWriter
from support.builders import make_job, make_script

GOLDEN = Path(__file__).resolve().parents[2] / "data" / "packages" / "format-1"


def _package(*objects: tuple[str, dict[str, object]]) -> ReadPackage:
    buf = io.BytesIO()
    writer = PackageWriter(buf, None)
    entries = {
        entry_path(Layout.SINGLE, kind, str(doc["name"])): (kind, doc) for kind, doc in objects
    }
    for path in sorted(entries):
        kind, doc = entries[path]
        writer.add(path, kind, str(doc["name"]), "id", orjson.dumps(doc))
    writer.close()
    return read_package(buf.getvalue())


def test_objects_are_matched_by_kind_and_name_whatever_their_path() -> None:
    comparison = compare_packages(
        read_package(GOLDEN / "single.zip"), read_package(GOLDEN / "batch.zip")
    )
    assert not comparison.identical
    # The batch package has no CDM job: it is the one object that differs.
    assert [(o.kind, o.name, o.status) for o in comparison.objects if o.status != "same"] == [
        ("cdm_job", "copy_orders", ObjectStatus.REMOVED)
    ]
    assert comparison.summary() == {
        "added": 0,
        "removed": 1,
        "renamed": 0,
        "changed": 0,
        "same": 7,
    }


def test_added_removed_and_changed_objects_come_in_kind_order_with_field_diffs() -> None:
    before = _package(("job", make_job("daily")), ("script", make_script("old_sql")))
    after = _package(
        ("job", make_job("daily", description="now documented")),
        ("script", make_script("new_sql")),
    )
    comparison = compare_packages(before, after)
    assert [o.as_json() for o in comparison.objects] == [
        {"kind": "script", "name": "new_sql", "status": "added"},
        {"kind": "script", "name": "old_sql", "status": "removed"},
        {
            "kind": "job",
            "name": "daily",
            "status": "changed",
            "diff": [{"path": "description", "op": "added", "after": "now documented"}],
        },
    ]


def test_a_coordinate_written_as_number_or_text_is_the_same_position() -> None:
    before = make_job("daily_sales")  # location {"x": "10", "y": "20"}, as DataArts answers
    after = make_job("daily_sales")
    after["nodes"][0]["location"] = {"x": 10, "y": 20}  # as the Terraform provider sends
    moved = make_job("daily_sales")
    moved["nodes"][0]["location"] = {"x": 11, "y": 20}

    same = compare_packages(_package(("job", before)), _package(("job", after)))
    changed = compare_packages(_package(("job", before)), _package(("job", moved)))

    assert [o.status for o in same.objects] == [ObjectStatus.SAME]
    (job,) = changed.objects
    assert [c.path for c in job.changes] == ["nodes[load].location.x"]


def _with_uids(*objects: tuple[str, dict[str, object], str]) -> ReadPackage:
    """A format 2 package (with a manifest listing each object's stable identifier)."""
    buf = io.BytesIO()
    header = ManifestHeader("test", "project", "ws-id", "test", 0, {})
    writer = PackageWriter(buf, header)
    entries = {
        entry_path(Layout.SINGLE, kind, str(doc["name"])): (kind, doc, uid)
        for kind, doc, uid in objects
    }
    for path in sorted(entries):
        kind, doc, uid = entries[path]
        writer.add(path, kind, str(doc["name"]), uid, orjson.dumps(doc))
    writer.close()
    return read_package(buf.getvalue())


def test_an_object_found_by_its_identifier_under_another_name_was_renamed() -> None:
    before = _with_uids(
        ("job", make_job("a_job"), "u1"),
        ("job", make_job("b_job"), "u2"),
        ("job", make_job("c_job"), "u3"),
    )
    after = _with_uids(
        ("job", make_job("b_job", nodes=make_job("a_job")["nodes"]), "u1"),  # swapped names
        ("job", make_job("a_job", nodes=make_job("b_job")["nodes"]), "u2"),
        ("job", make_job("c_new", nodes=make_job("c_job")["nodes"], description="x"), "u3"),
    )
    comparison = compare_packages(before, after)
    assert [o.as_json() for o in comparison.objects] == [
        {"kind": "job", "name": "a_job", "status": "renamed", "previousName": "b_job"},
        {"kind": "job", "name": "b_job", "status": "renamed", "previousName": "a_job"},
        {
            "kind": "job",
            "name": "c_new",
            "status": "renamed",
            "previousName": "c_job",
            "diff": [{"path": "description", "op": "added", "after": "x"}],
        },
    ]
    assert comparison.summary()["renamed"] == 3


def test_an_older_object_whose_name_a_renamed_one_took_was_removed() -> None:
    """``b_job`` deleted, then ``a_job`` renamed to ``b_job``: the older ``b_job`` is removed
    (before, it was on no line at all, and the summary counted nothing removed)."""
    before = _with_uids(("job", make_job("a_job"), "u1"), ("job", make_job("b_job"), "u2"))
    after = _with_uids(("job", make_job("b_job", nodes=make_job("a_job")["nodes"]), "u1"))
    comparison = compare_packages(before, after)
    assert [o.as_json() for o in comparison.objects] == [
        {"kind": "job", "name": "b_job", "status": "removed"},
        {"kind": "job", "name": "b_job", "status": "renamed", "previousName": "a_job"},
    ]
    assert comparison.summary() == {"added": 0, "removed": 1, "renamed": 1, "changed": 0, "same": 0}
