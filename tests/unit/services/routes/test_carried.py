"""The checks a package carried along a route passes on the target side
(``services.routes.carried``): cut for this route and its source, continuing the route's
chain of packages imported here, signed as the route asks; and where ``--out`` continues."""

from __future__ import annotations

from dataclasses import replace

import pytest

from jobferry.cli.remedies import refusal_text
from jobferry.domain.routes import Carried, Route, RouteEnd
from jobferry.errors import CarriedPackageError
from jobferry.package.routeblock import RouteBlock
from jobferry.package.signature import SignatureCheck
from jobferry.services.routes.carried import (
    carried_since,
    check_chain,
    check_identity,
    check_repeated,
    check_signed,
)
from jobferry.services.routes.records import Promotion

ROUTE = Route(
    "test-prod",
    RouteEnd(carried=True, workspace_id="ws-test"),
    RouteEnd(workspace="prod"),
)
BLOCK = RouteBlock("test-prod", "ws-test", "test", 300, 200)
MANIFEST = {"source": {"workspaceId": "ws-test"}}


def _promotion(snapshot: int, carried: Carried | None, status: str | None = None) -> Promotion:
    return Promotion(
        id=f"p{snapshot}",
        route="test-prod",
        route_version=1,
        snapshot_at=snapshot,
        since=None,
        package_path="upload://x",
        package_sha256="0" * 64,
        jobs=1,
        deletions=0,
        scripts=0,
        resources=0,
        plan_id=None,
        task_id="t" if status else None,
        task_status=status,
        rolled_back_at=None,
        rolled_back_by=None,
        created_at=snapshot,
        created_by="admin",
        carried=carried,
    )


def _rule(refused: pytest.ExceptionInfo[CarriedPackageError]) -> str:
    return str(refused.value.context["rule"])


def test_out_continues_from_the_newest_package_carried_out() -> None:
    assert carried_since([]) is None
    history = [_promotion(30, None), _promotion(20, Carried.OUT), _promotion(10, Carried.OUT)]
    assert carried_since(history) == 20


def test_a_package_continues_only_a_package_imported_here_and_not_rolled_back() -> None:
    check_chain(ROUTE, replace(BLOCK, since=None), [])  # a full package needs nothing
    imported = _promotion(200, Carried.IN, "SUCCESSFUL")
    check_chain(ROUTE, BLOCK, [imported])
    for history in (
        [],
        [_promotion(200, Carried.IN)],  # taken in, never imported
        [_promotion(200, Carried.IN, "FAILED")],
        [replace(imported, rolled_back_at=250, rolled_back_by="admin")],
        [_promotion(200, Carried.OUT, "SUCCESSFUL")],
    ):
        with pytest.raises(CarriedPackageError) as refused:
            check_chain(ROUTE, BLOCK, history)
        assert _rule(refused) == "route.chain"
        assert refused.value.context["missing_snapshot"] == 200
        assert refused.value.remedy == "cut_full_package"  # the CLI: --out FILE --full
        said = refusal_text(refused.value.message, refused.value.envelope())
        assert f"jobferry promote {ROUTE.name} --out FILE --full" in said


def test_a_chain_refusal_names_the_missing_package_by_its_sha256() -> None:
    sha = "ab" * 32
    with pytest.raises(CarriedPackageError) as refused:
        check_chain(ROUTE, replace(BLOCK, since_sha256=sha), [])
    assert f"it continues package sha256 {sha} (cut at " in refused.value.message
    assert refused.value.context["missing_sha256"] == sha
    said = refusal_text(refused.value.message, refused.value.envelope())
    assert f"Take in the package before it (sha256 {sha}) first" in said


def test_a_package_of_another_route_or_source_is_refused() -> None:
    check_identity(ROUTE, BLOCK, MANIFEST)
    with pytest.raises(CarriedPackageError) as refused:
        check_identity(ROUTE, replace(BLOCK, name="other"), MANIFEST)
    assert _rule(refused) == "route.name"
    elsewhere = replace(BLOCK, source_workspace_id="ws-other")
    with pytest.raises(CarriedPackageError) as refused:
        check_identity(ROUTE, elsewhere, {"source": {"workspaceId": "ws-other"}})
    assert _rule(refused) == "route.source"
    with pytest.raises(CarriedPackageError) as refused:  # the block and the manifest disagree
        check_identity(ROUTE, BLOCK, {"source": {"workspaceId": "ws-other"}})
    assert _rule(refused) == "route.source"
    anywhere = replace(ROUTE, source=RouteEnd(carried=True))
    check_identity(anywhere, elsewhere, {"source": {"workspaceId": "ws-other"}})


def test_an_invalid_signature_is_refused_and_an_unsigned_one_when_the_route_asks() -> None:
    unsigned = SignatureCheck("unsigned", None, "the package is not signed")
    check_signed(ROUTE, unsigned)
    strict = replace(ROUTE, require_signature=True)
    for check in (unsigned, SignatureCheck("untrusted", "k", "signed by key k")):
        with pytest.raises(CarriedPackageError) as refused:
            check_signed(strict, check)
        assert _rule(refused) == "signature"
    with pytest.raises(CarriedPackageError) as refused:
        check_signed(ROUTE, SignatureCheck("invalid", "k", "manifest.json was changed"))
    assert "Carry the package unchanged" in refused.value.message
    check_signed(strict, SignatureCheck("valid", "k", "signed by trusted key k"))


def test_an_untrusted_signature_is_trusted_in_the_routes_target_workspace() -> None:
    strict = replace(ROUTE, require_signature=True)
    with pytest.raises(CarriedPackageError) as refused:
        check_signed(strict, SignatureCheck("untrusted", "k", "signed by key k"), "prod")
    assert refused.value.context["target_workspace"] == "prod"
    said = refusal_text(refused.value.message, refused.value.envelope())
    # The command's workspace may be another (the context's): the fix names the route's target.
    assert "trust the key that signed it in the target workspace (jobferry keys trust " in said
    assert "NAME 'ed25519:…' -w prod); else" in said
    assert "jobferry keys create" not in said  # it is signed: a key is no fix
    with pytest.raises(CarriedPackageError) as refused:
        check_signed(strict, SignatureCheck("unsigned", None, "the package is not signed"), "prod")
    said = refusal_text(refused.value.message, refused.value.envelope())
    assert "Give the source workspace a signing key (jobferry keys create there)" in said
    assert "jobferry promote test-prod --out FILE" in said
    assert "(jobferry keys trust NAME 'ed25519:…' -w prod)." in said


def test_the_same_package_is_taken_in_again_only_when_its_import_did_not_apply() -> None:
    sha = "0" * 64
    imported = _promotion(200, Carried.IN, "SUCCESSFUL")
    with pytest.raises(CarriedPackageError) as refused:
        check_repeated(ROUTE, sha, [imported], "prod")
    assert _rule(refused) == "route.repeated"
    assert refused.value.context["task_id"] == "t"
    said = refusal_text(refused.value.message, refused.value.envelope())
    assert "jobferry rollback t -w prod." in said  # in the route's target workspace
    check_repeated(ROUTE, "1" * 64, [imported])  # another package
    check_repeated(ROUTE, sha, [_promotion(200, Carried.IN)])  # taken in, never imported
    check_repeated(ROUTE, sha, [_promotion(200, Carried.IN, "FAILED")])
    check_repeated(ROUTE, sha, [replace(imported, rolled_back_at=250, rolled_back_by="admin")])
    check_repeated(ROUTE, sha, [_promotion(200, Carried.OUT, "SUCCESSFUL")])
