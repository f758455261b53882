"""The manifest's ``route`` block (``package.routeblock``): written by ``promote --out``,
covered by the signature like the rest of ``manifest.json``, ignored by what does not ask
for it, refused when malformed."""

from __future__ import annotations

import io
from typing import Any

import orjson
import pytest

from jobferry.errors import PackageError
from jobferry.package.layout import Layout, entry_path
from jobferry.package.manifest import Listing, ManifestHeader, render_manifest
from jobferry.package.reader import read_package
from jobferry.package.routeblock import RouteBlock, route_block
from jobferry.package.signature import check_signature, generate_key_pair, sign_manifest
from jobferry.package.writer import PackageWriter
from support.builders import make_job
from support.packages import objects_for

JOB = make_job("daily_sales")
BLOCK = RouteBlock("test-prod", "ws-1", "test", 1_764_003_600_000, 1_764_000_000_000)


def _header(route: RouteBlock | None) -> ManifestHeader:
    return ManifestHeader("0.1.0", "p", "ws-1", "test", 0, {}, route=route)


def test_the_block_is_written_in_the_manifest_and_read_back() -> None:
    rendered = orjson.loads(render_manifest(_header(BLOCK), Listing(0, 0, "0" * 64)))
    assert rendered["route"] == {
        "name": "test-prod",
        "sourceWorkspaceId": "ws-1",
        "sourceWorkspace": "test",
        "snapshotAt": 1_764_003_600_000,
        "since": 1_764_000_000_000,
    }
    assert route_block(rendered) == BLOCK
    full = RouteBlock("r", "w", "test", 5, None)
    assert route_block({"route": full.as_json()}) == full


def test_a_manifest_without_the_block_has_no_route() -> None:
    rendered = orjson.loads(render_manifest(_header(None), Listing(0, 0, "0" * 64)))
    assert "route" not in rendered
    assert route_block(rendered) is None
    assert route_block(None) is None


@pytest.mark.parametrize(
    "block",
    [
        "test-prod",
        {**BLOCK.as_json(), "name": ""},
        {**BLOCK.as_json(), "snapshotAt": "yesterday"},
        {**BLOCK.as_json(), "since": -1},
        {**BLOCK.as_json(), "sourceWorkspaceId": None},
    ],
)
def test_a_malformed_block_is_refused_naming_the_fix(block: Any) -> None:
    with pytest.raises(PackageError) as refused:
        route_block({"route": block})
    assert refused.value.context["rule"] == "manifest.invalid"
    assert "promote ROUTE --out FILE" in refused.value.message


def test_a_signed_package_with_the_block_reads_and_verifies_as_any_other() -> None:
    key = generate_key_pair()
    out = io.BytesIO()
    writer = PackageWriter(out, None, lambda data: sign_manifest(data, key.private_pem))
    objects = {entry_path(Layout.SINGLE, k, n): (k, n, d) for k, n, d in objects_for(JOB)}
    for path, (kind, name, document) in sorted(objects.items()):
        writer.add(path, kind, name, f"id-{name}", orjson.dumps(document))
    writer.close(_header(BLOCK))
    read = read_package(out.getvalue())
    assert route_block(read.manifest) == BLOCK
    check = check_signature(read.manifest_bytes, read.signature, [key.public_key])
    assert check.state == "valid"
    changed = read.manifest_bytes.replace(b'"test-prod"', b'"test-prod2"')
    assert check_signature(changed, read.signature, [key.public_key]).state == "invalid"


def test_the_block_names_the_package_it_continues_by_its_sha256() -> None:
    chained = RouteBlock("r", "w", "test", 5, 4, "cd" * 32)
    assert chained.as_json()["sinceSha256"] == "cd" * 32
    assert route_block({"route": chained.as_json()}) == chained
    assert "sinceSha256" not in BLOCK.as_json()  # older packages and full ones: absent
    with pytest.raises(PackageError):
        route_block({"route": {**chained.as_json(), "sinceSha256": "short"}})
