"""Golden packages: what jobferry once wrote, and what DataArts writes, still reads and imports.

``tests/data/packages/format-<N>/`` holds packages written by the writer of package format N
(committed as bytes, never regenerated); ``dataarts/`` holds packages shaped like real DataArts
exports (no manifest), built from the public examples in ``tests/data/dataarts-examples/``.
``<layout>-signed.zip`` is ``<layout>.zip`` signed with the test-only key ``golden-key.pem``.
"""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from jobferry.package import signature
from jobferry.package.manifest import FORMAT_VERSION, ManifestHeader, parse_requirements
from jobferry.package.reader import ReadPackage, read_package
from jobferry.package.writer import PackageWriter
from support.builders import make_script
from support.clients import SignedClient
from support.importing import run_import, upload

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "packages"
FORMATS = sorted(GOLDEN.glob("format-*/*.zip"))
DATAARTS = sorted((GOLDEN / "dataarts").glob("*.zip"))
CURRENT = sorted((GOLDEN / f"format-{FORMAT_VERSION}").glob("*.zip"))
SIGNED = [path for path in FORMATS if path.stem.endswith("-signed")]
KEY_PEM = (GOLDEN / "golden-key.pem").read_bytes()
KEY_PUB = (GOLDEN / "golden-key.pub").read_text().strip()


def _id(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def test_every_package_format_version_has_a_golden_package() -> None:
    for version in range(1, FORMAT_VERSION + 1):
        assert list((GOLDEN / f"format-{version}").glob("*.zip")), f"no golden for {version}"
    assert DATAARTS


@pytest.mark.parametrize("path", FORMATS, ids=_id)
def test_a_golden_package_of_every_format_still_reads_and_verifies(path: Path) -> None:
    package = read_package(path)
    assert package.manifest is not None
    assert package.manifest["formatVersion"] == int(path.parent.name.removeprefix("format-"))
    assert package.layout == path.stem.removesuffix("-signed")
    assert {o.kind for o in package.objects} >= {"job", "script", "resource"}


@pytest.mark.parametrize("path", DATAARTS, ids=_id)
def test_a_dataarts_package_without_manifest_still_reads(path: Path) -> None:
    package = read_package(path)
    assert package.manifest is None
    assert package.layout == "single"
    assert [(o.kind, o.name) for o in package.objects] == [
        ("script", "echoTimeShell"),
        ("resource", "test"),
        ("job", "myJob"),
    ]


def _rewritten(package: ReadPackage, data: bytes) -> bytes:
    """The package written again from its own entries and listing, by today's writer."""
    manifest: dict[str, Any] = package.manifest or {}
    created = datetime.fromisoformat(manifest["createdAt"])
    header = ManifestHeader(
        producer_version=manifest["producer"]["version"],
        project_id=manifest["source"]["projectId"],
        workspace_id=manifest["source"]["workspaceId"],
        workspace_name=manifest["source"]["workspace"],
        created_at_ms=int(created.timestamp()) * 1000 + created.microsecond // 1000,
        options=manifest["options"],
        requires=parse_requirements(manifest),
        unresolved=manifest["unresolved"],
    )
    out = io.BytesIO()
    writer = PackageWriter(out, header)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for line in zf.read("manifest.entries").splitlines():
            entry = orjson.loads(line)
            body = zf.read(entry["path"])
            writer.add(entry["path"], entry["kind"], entry["name"], entry["objectId"], body)
    writer.close()
    return out.getvalue()


@pytest.mark.parametrize("path", [p for p in CURRENT if p not in SIGNED], ids=_id)
def test_the_writer_still_writes_the_current_format_byte_for_byte(path: Path) -> None:
    data = path.read_bytes()
    assert _rewritten(read_package(data), data) == data


def test_every_format_has_a_signed_golden_package() -> None:
    versions = {path.parent.name for path in SIGNED}
    assert versions == {f"format-{v}" for v in range(1, FORMAT_VERSION + 1)}


@pytest.mark.parametrize("path", SIGNED, ids=_id)
def test_a_signed_golden_package_still_verifies_and_signs_to_the_same_bytes(path: Path) -> None:
    package, check = signature.verify_package(path, [KEY_PUB])
    assert check.state == signature.VALID
    assert package.signature is not None
    unsigned = path.with_name(path.name.replace("-signed", ""))
    assert signature.sign_package(unsigned, KEY_PEM) == path.read_bytes()


def _connection(api: SignedClient, name: str, secrets: dict[str, str] | None = None) -> None:
    body = {"type": "DWS", "config": {"host": "10.0.0.1"}, "secrets": secrets or {}}
    assert api.call("PUT", f"/environment/connection/{name}", body).status_code == 200


@pytest.mark.parametrize("path", FORMATS, ids=_id)
def test_a_golden_package_of_every_format_still_imports(api: SignedClient, path: Path) -> None:
    _connection(api, "dws_conn", {"password": "s3cr3t-pw"})
    _connection(api, "ssh_conn")
    task = run_import(api, {"path": upload(api, path.read_bytes())})
    assert task["status"] == "SUCCESSFUL", orjson.dumps(task).decode()
    listed = api.call("GET", "/jobs").json()
    assert {j["name"] for j in listed["jobs"]} == {"daily_sales", "weekly_sales"}


@pytest.mark.parametrize("path", DATAARTS, ids=_id)
def test_a_dataarts_package_without_manifest_still_imports(api: SignedClient, path: Path) -> None:
    for name in ("dws_conn", "mrs_hive_test", "con"):
        _connection(api, name)
    # myJob runs test_hive_sql, which the example export leaves in the target workspace.
    assert api.call("POST", "/scripts", make_script("test_hive_sql")).status_code == 204
    task = run_import(api, {"path": upload(api, path.read_bytes())})
    assert task["status"] == "SUCCESSFUL", orjson.dumps(task).decode()
    job = api.call("GET", "/jobs/myJob").json()
    assert job["nodes"][0]["properties"][0] == {"name": "scriptName", "value": "test_hive_sql"}
    assert api.call("GET", "/scripts/echoTimeShell").status_code == 200
