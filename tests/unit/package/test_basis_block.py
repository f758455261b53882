"""The manifest's ``basis`` block (``package.basisblock``): written by ``promote --out`` on a
route into a remote's shadow, read back exactly, absent from other packages, refused when
malformed."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from jobferry.errors import PackageError
from jobferry.package.basisblock import BasisBlock, BasisObject, basis_block
from jobferry.package.manifest import Listing, ManifestHeader, render_manifest

BLOCK = BasisBlock(
    "prod",
    "prod.zip",
    "a" * 64,
    1_764_000_000_000,
    "jobferry",
    1_764_003_600_000,
    (BasisObject("job", "daily_sales", "b" * 64), BasisObject("job", "new_job", None)),
)


def _rendered(basis: BasisBlock | None) -> dict[str, Any]:
    header = ManifestHeader("0.1.0", "p", "ws-1", "test", 0, {}, basis=basis)
    value: dict[str, Any] = orjson.loads(render_manifest(header, Listing(0, 0, "0" * 64)))
    return value


def test_the_block_is_written_in_the_manifest_and_read_back() -> None:
    rendered = _rendered(BLOCK)
    assert rendered["basis"] == {
        "remote": "prod",
        "snapshot": {
            "fileName": "prod.zip",
            "sha256": "a" * 64,
            "madeAt": 1_764_000_000_000,
            "producer": "jobferry",
        },
        "refreshedAt": 1_764_003_600_000,
        "objects": [
            {"kind": "job", "name": "daily_sales", "sha256": "b" * 64},
            {"kind": "job", "name": "new_job", "sha256": None},
        ],
    }
    assert basis_block(rendered) == BLOCK


def test_a_manifest_without_the_block_has_no_basis() -> None:
    assert "basis" not in _rendered(None)
    assert basis_block(_rendered(None)) is None
    assert basis_block(None) is None


@pytest.mark.parametrize(
    "block",
    [
        "prod",
        {**BLOCK.as_json(), "remote": ""},
        {**BLOCK.as_json(), "refreshedAt": "yesterday"},
        {**BLOCK.as_json(), "snapshot": {"fileName": "prod.zip"}},
        {**BLOCK.as_json(), "objects": {"job": "daily_sales"}},
        {**BLOCK.as_json(), "objects": [{"kind": "cdm_job", "name": "x", "sha256": None}]},
        {**BLOCK.as_json(), "objects": [{"kind": "job", "name": "x", "sha256": 5}]},
    ],
)
def test_a_malformed_block_is_refused(block: object) -> None:
    with pytest.raises(PackageError) as refused:
        basis_block({"basis": block})
    assert refused.value.context["rule"] == "manifest.invalid"
    assert "promote ROUTE --out FILE" in refused.value.message
