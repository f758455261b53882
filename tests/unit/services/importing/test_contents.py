"""What a package holds (``services.importing.contents``), told from one read of a real package
file written by jobferry's writer: jobs with their folders and parameter values, scripts with
their folders, the other objects by name, and what the file and its signature are."""

from __future__ import annotations

import hashlib
from pathlib import Path

from jobferry.domain.enums import ObjectKind
from jobferry.package.reader import PackageReader
from jobferry.package.signature import check_signature
from jobferry.services.importing.contents import (
    ListedJob,
    ListedObject,
    PackageContents,
    contents_of,
)
from support.builders import make_job
from support.packages import write_package


def read(path: Path) -> PackageContents:
    with PackageReader(path) as reader:
        signature = check_signature(reader.manifest_bytes, reader.signature, [])
        return contents_of(reader, signature)


def test_jobs_scripts_and_the_rest_are_listed_with_folders_params_and_the_file(
    tmp_path: Path,
) -> None:
    weekly = make_job("weekly_sales", directory="/sales/weekly")
    weekly["params"] = [
        {"name": "bizdate", "value": "${yyyyMMdd}"},
        {"name": "region", "value": "eu"},
        "not a parameter",
    ]
    path = write_package(tmp_path / "p.zip", [make_job("daily_sales"), weekly])
    contents = read(path)

    assert contents.jobs == (
        ListedJob("daily_sales", "/sales", {"bizdate": "${yyyyMMdd}"}),
        ListedJob("weekly_sales", "/sales/weekly", {"bizdate": "${yyyyMMdd}", "region": "eu"}),
    )
    assert {s.name for s in contents.scripts} == {
        "daily_sales_sql",
        "daily_sales_sh",
        "weekly_sales_sql",
        "weekly_sales_sh",
    }
    assert {s.kind for s in contents.scripts} == {ObjectKind.SCRIPT}
    assert {s.path for s in contents.scripts} == {"/sales"}
    assert contents.others == (ListedObject(ObjectKind.RESOURCE, "udf_jar"),)
    assert contents.layout == "single"
    data = path.read_bytes()
    assert (contents.sha256, contents.size) == (hashlib.sha256(data).hexdigest(), len(data))
    assert (contents.manifest, contents.signed) == (True, False)
    assert contents.signature.state == "unsigned"


def test_a_job_without_folder_or_params_is_at_the_root_with_none(tmp_path: Path) -> None:
    bare = make_job("bare")
    del bare["directory"], bare["params"]
    contents = read(write_package(tmp_path / "p.zip", [bare], with_manifest=False))
    assert contents.jobs == (ListedJob("bare", "/", {}),)
    assert (contents.manifest, contents.signed) == (False, False)
    assert "no manifest.json" in contents.signature.detail
