"""Packages for the offline CLI tests, written by jobferry's own writer."""

from __future__ import annotations

import io
import zipfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson

from jobferry.package.layout import Layout, entry_path
from jobferry.package.manifest import ManifestHeader, Requirement
from jobferry.package.writer import PackageWriter
from support import manifests
from support.builders import make_job, make_resource, make_script

HEADER = replace(
    manifests.HEADER,
    workspace_id="ws-test",
    workspace_name="test",
    requires=[
        Requirement("connection", "dws_conn", "DWS", ("password",)),
        Requirement("connection", "ssh_conn"),
    ],
)


def objects_for(job: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """A job with the two scripts and the resource make_job's nodes name."""
    name = job["name"]
    return [
        ("job", name, job),
        ("script", f"{name}_sql", make_script(f"{name}_sql")),
        ("script", f"{name}_sh", make_script(f"{name}_sh", type="Shell", content="echo hi")),
        ("resource", "udf_jar", make_resource("udf_jar")),
    ]


def write_package(
    path: Path,
    jobs: list[dict[str, Any]] | None = None,
    *,
    with_manifest: bool = True,
    header: ManifestHeader = HEADER,
    replaced: dict[tuple[str, str], dict[str, Any]] | None = None,
) -> Path:
    """A single-layout package of ``jobs`` (default: one daily_sales job) and what they use
    (``replaced``: (kind, name) → the document the package holds of it instead)."""
    entries: dict[str, tuple[str, str, bytes]] = {}
    for job in jobs or [make_job("daily_sales")]:
        for kind, name, document in objects_for(job):
            held = (replaced or {}).get((kind, name), document)
            entries[entry_path(Layout.SINGLE, kind, name)] = (kind, name, orjson.dumps(held))
    buf = io.BytesIO()
    writer = PackageWriter(buf, header if with_manifest else None)
    for entry in sorted(entries):
        kind, name, data = entries[entry]
        writer.add(entry, kind, name, f"id-{kind}-{name}", data)
    writer.close()
    path.write_bytes(buf.getvalue())
    return path


def tamper(path: Path, entry: str, data: bytes) -> Path:
    """Replace one entry's bytes, keeping every other entry (the manifest no longer fits)."""
    with zipfile.ZipFile(path) as zf:
        items = [(info.filename, zf.read(info)) for info in zf.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, body in items:
            zf.writestr(name, data if name == entry else body)
    return path


def bulk_package(jobs: int) -> bytes:
    """A package of ``jobs`` jobs (``bulk_00000``…) whose nodes all use the connection
    ``dws_conn``, without scripts or manifest: big enough to import for a while."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for i in range(jobs):
            job = make_job(f"bulk_{i:05d}")
            for node in job["nodes"]:
                node["properties"] = [{"name": "connectionName", "value": "dws_conn"}]
            zf.writestr(f"jobs/bulk_{i:05d}.job", orjson.dumps(job))
    return buffer.getvalue()
