"""Promotion across an air gap: the checks a package carried along a route must pass.

On the route's source server, ``promote --out`` cuts what changed since the route's last
package *carried out* (the source cannot know what the target imported), with the deletions
since, and names the route in the manifest (:mod:`jobferry.package.routeblock`). On the target
server, ``promote --in`` takes the package in only when it was cut for this route (and for the
route's carried source, when the route names it), when its signature is acceptable, and when
it continues the chain: a package cut since a snapshot needs the package cut at that snapshot
imported here (successfully, not rolled back). The target's ledger then decides which of the
deletions apply, under the route's ``propagateDeletes``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from jobferry.domain.enums import ObjectKind
from jobferry.domain.remedies import Remedy
from jobferry.domain.routes import Carried, Route
from jobferry.errors import CarriedPackageError
from jobferry.package.manifest import deleted_objects, iso_ms
from jobferry.package.routeblock import RouteBlock, route_block
from jobferry.package.signature import SignatureCheck
from jobferry.services.context import Scope
from jobferry.services.importing.uploads import PackageSource
from jobferry.services.routes.cutting import CutSize
from jobferry.services.routes.records import Promotion
from jobferry.services.workspaces.keys import SigningTrust


def carried_since(history: Sequence[Promotion]) -> int | None:
    """The snapshot of the route's newest package carried out (``None``: the first run)."""
    previous = last_carried_out(history)
    return previous.snapshot_at if previous is not None else None


def last_carried_out(history: Sequence[Promotion]) -> Promotion | None:
    """The route's newest package carried out (``None``: the first run)."""
    for item in history:  # newest first
        if item.carried is Carried.OUT:
            return item
    return None


@dataclass(frozen=True)
class CarriedIn:
    """A package taken in along a route, checked."""

    block: RouteBlock
    sha256: str
    size: CutSize


def _refused(
    route: str, rule: str, problem: str, *, fix: str, remedy: Remedy | None, **context: Any
) -> CarriedPackageError:
    """``fix`` in the API's terms when a ``remedy`` is given (the CLI and console say theirs)."""
    return CarriedPackageError(
        f"Route '{route}' refuses the package: {problem} (rule {rule}).",
        fix=f"{fix[:1].upper()}{fix[1:]}.",
        remedy=remedy,
        route=route,
        rule=rule,
        **context,
    )


def _cut_out_fix(name: str) -> str:
    return f"cut it on the source server (POST /v1/{{project_id}}/routes/{name}/package)"


def read_carried(
    packages: PackageSource, target: Scope, path: str, trust: SigningTrust, route: Route
) -> CarriedIn:
    """Read the uploaded package whole (every entry against its manifest: a changed one is
    refused as ``plan`` refuses it) and check its signature and the route it names: a package
    changed since it was signed first, then whose package it is (a package of another route
    or source is refused as such, never with a fix to trust its signer), then its signer. A
    package a key the target distrusts signed is refused as soon as its signature verifies
    (``KeyDistrustedError``), as every import there refuses it."""
    kinds: Counter[str] = Counter()
    with packages.open(target, path) as reader:
        for item in reader.objects():
            kinds[item.kind] += 1
        manifest, sha256 = reader.manifest, reader.sha256
        signature = trust.check(reader.manifest_bytes, reader.signature, target.workspace.name)
    if signature.state == "invalid":
        check_signed(route, signature, target.workspace.name)
    block = route_block(manifest)
    if block is None:
        raise _refused(
            route.name,
            "route.missing",
            "its manifest names no route (it is not a package cut for a route)",
            fix=_cut_out_fix(route.name),
            remedy=Remedy.CUT_OUT,
        )
    check_identity(route, block, manifest)
    check_signed(route, signature, target.workspace.name)
    size = CutSize(
        kinds[ObjectKind.JOB],
        len(deleted_objects(manifest)),
        scripts=kinds[ObjectKind.SCRIPT],
        resources=kinds[ObjectKind.RESOURCE],
    )
    return CarriedIn(block, sha256, size)


def check_signed(route: Route, check: SignatureCheck, workspace: str | None = None) -> None:
    """An invalid signature is always refused; with ``requireSignature`` only a valid one (by
    a key the target workspace trusts, ``workspace``: where a fix trusts the key) passes."""
    if check.state == "invalid":
        fix, remedy = "carry the package unchanged from the source server, or cut it again", None
    elif route.require_signature and check.state != "valid":
        fix = (
            "give the source workspace a signing key, cut the package again and trust that key"
            if check.state == "unsigned"
            else "if you trust its holder, trust the key that signed it"
        ) + " in the target workspace (POST /v1/{project_id}/trusted-keys)"
        remedy = Remedy.TRUST_SOURCE_KEY
    else:
        return
    why = " (the route requires a signature)" if route.require_signature else ""
    raise _refused(
        route.name,
        "signature",
        f"its signature is {check.state}{why}: {check.detail}",
        fix=fix,
        remedy=remedy,
        target_workspace=workspace,
        signature_state=check.state,
    )


def check_identity(route: Route, block: RouteBlock, manifest: dict[str, Any] | None) -> None:
    """The package was cut for this route, from the route's carried source when it names one."""
    if block.name != route.name:
        raise _refused(
            route.name,
            "route.name",
            f"it was cut for route '{block.name}'",
            fix=f"take it in with that route, or {_cut_out_fix(route.name)}",
            remedy=Remedy.CUT_OUT,
            package_route=block.name,
        )
    source = manifest.get("source") if isinstance(manifest, dict) else None
    listed = source.get("workspaceId") if isinstance(source, dict) else None
    expected = route.source.workspace_id
    if listed != block.source_workspace_id or (expected and expected != listed):
        raise _refused(
            route.name,
            "route.source",
            f"it was cut from workspace '{block.source_workspace}' ({listed}), and the route's "
            f"source is workspace {expected or block.source_workspace_id}",
            fix="take in packages of the route's source only, or edit the route's source "
            f"(PUT /v1/{{project_id}}/routes/{route.name})",
            remedy=Remedy.EDIT_ROUTE_SOURCE,
            package_source=listed,
        )


def check_repeated(
    route: Route, sha256: str, history: Sequence[Promotion], workspace: str | None = None
) -> None:
    """The same package is taken in once: again after its import applied (and was not rolled
    back), it would be imported and listed twice (``workspace``: the target, where the fix
    rolls that import back)."""
    done = next(
        (
            p
            for p in history
            if p.carried is Carried.IN and p.applied and p.package_sha256 == sha256
        ),
        None,
    )
    if done is None:
        return
    raise _refused(
        route.name,
        "route.repeated",
        f"it was taken in on {iso_ms(done.created_at)} and imported (task {done.task_id}): "
        f"the target has package sha256 {sha256} already",
        fix="nothing needs doing; to import it again, roll that import back first "
        f"(POST /v1/{{project_id}}/system-tasks/{done.task_id}/rollback)",
        remedy=Remedy.ROLL_BACK_FIRST,
        task_id=done.task_id,
        package_sha256=sha256,
        target_workspace=workspace,
    )


def check_chain(route: Route, block: RouteBlock, history: Sequence[Promotion]) -> None:
    """A package cut since a snapshot needs the package cut at that snapshot imported here."""
    if block.since is None:
        return
    if any(p.carried is Carried.IN and p.applied and p.snapshot_at == block.since for p in history):
        return
    at = iso_ms(block.since)
    missing = (
        f"package sha256 {block.since_sha256} (cut at {at})"
        if block.since_sha256
        else f"the package cut at {at}"
    )
    raise _refused(
        route.name,
        "route.chain",
        f"it continues {missing}, which was not imported here (or was rolled back)",
        fix=f"import {missing} first, or cut a full one on the source side "
        f'(POST /v1/{{project_id}}/routes/{route.name}/package {{"full": true}})',
        remedy=Remedy.CUT_FULL_PACKAGE,
        missing_snapshot=block.since,
        missing_sha256=block.since_sha256,
    )
