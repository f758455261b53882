"""Import step 6 (plan): transform, resolve and check every object, then order the writes.

Everything here works on one snapshot of the target read inside the caller's transaction, so
the plan, its fingerprint and the apply that follows all see the same state.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson

from jobferry.domain.diff import Change, diff, same
from jobferry.domain.enums import KIND_ORDER, ObjectKind, PlanAction, RefKind
from jobferry.domain.graph import topological_order
from jobferry.package.manifest import parse_requirements
from jobferry.package.reader import PackageObject, ReadPackage
from jobferry.services.context import Scope
from jobferry.services.documents import CONTROL_FIELDS, SERVER_FIELDS, dump, load
from jobferry.services.importing.checks import (
    check_cycles,
    check_object,
    check_package_signature,
    check_secrets,
    environment_completeness,
)
from jobferry.services.importing.model import WRITES, Plan, PlannedObject
from jobferry.services.importing.request import ImportRequest
from jobferry.services.importing.snapshot import TargetSnapshot
from jobferry.services.importing.transform import Transform, transform_object
from jobferry.services.profiles import ResolvedProfile, resolve_profile
from jobferry.storage import Tx
from jobferry.storage.imports import TargetObject

IGNORED_IN_DIFF = frozenset(CONTROL_FIELDS + SERVER_FIELDS)
_TAG, _JOB = RefKind.TAG, RefKind.JOB
InPackage = dict[str, set[str]]


def _canonical(doc: dict[str, Any]) -> bytes:
    return orjson.dumps(
        {k: v for k, v in doc.items() if k not in IGNORED_IN_DIFF}, option=orjson.OPT_SORT_KEYS
    )


def _action(
    existing: TargetObject | None, document: dict[str, Any], policy: str
) -> tuple[PlanAction, list[Change]]:
    if existing is None:
        return PlanAction.CREATE, []
    # Cheap exact checks first (a package exported by jobferry holds the stored text itself);
    # the structural comparison only runs when the bytes differ.
    if existing.document == dump(document):
        return PlanAction.UNCHANGED, []
    before = load(existing.document)
    if _canonical(before) == _canonical(document) or same(before, document, ignore=IGNORED_IN_DIFF):
        return PlanAction.UNCHANGED, []
    if policy == "SKIP":
        return PlanAction.SKIP, []
    return PlanAction.OVERWRITE, diff(before, document, ignore=IGNORED_IN_DIFF)


def build_plan(
    tx: Tx,
    scope: Scope,
    objects: list[PackageObject],
    request: ImportRequest,
    *,
    max_nodes: int,
    lock_rows: bool = False,
    package: ReadPackage | None = None,
    environment_report: bool = False,
) -> Plan:
    """Plan an import of ``objects`` into the scope's workspace (no writes).

    ``package`` (when given) supplies the manifest's requirements and the signature to check;
    ``environment_report`` adds the completeness report of every environment reference.
    """
    resolved = resolve_profile(tx, scope, request.profile)
    transform = _transform(request, resolved)
    snap = TargetSnapshot(tx, scope, objects, lock_rows)
    in_package: InPackage = {k: set() for k in KIND_ORDER}
    for obj in objects:
        in_package[obj.kind].add(obj.name)
    planned = [_plan_object(obj, transform, snap, request) for obj in objects]
    writes = [p for p in planned if p.action in WRITES]
    snap.prefetch(_referenced(planned if environment_report else writes, scope, snap, in_package))
    for item in writes:
        item.problems += check_object(
            item, scope, snap, in_package, scope.workspace.name, max_nodes
        )
    edges = _package_edges(planned)
    check_cycles(planned, edges, snap)
    requirements = parse_requirements(package.manifest) if package else []
    secrets = check_secrets(tx, scope, planned, requirements, transform)
    signature, package_problems = check_package_signature(tx, scope, package)
    order = _apply_order(planned, edges)
    problems = package_problems + [p for item in order for p in item.problems]
    ws = scope.workspace
    extra = [
        f"policy|{ws.lock_policy}|{ws.approval_enabled}",
        f"signed|{ws.require_signed}|{signature.state if signature else ''}",
        f"profile|{resolved.name if resolved else ''}|{resolved.version if resolved else ''}",
        f"secrets|{sorted(secrets.items())}",
    ]
    plan = Plan(order, problems, snap.fingerprint(extra), package_problems, signature, resolved)
    if environment_report:
        plan.environment = environment_completeness(
            planned, snap, in_package, scope.workspace.name, secrets
        )
    return plan


def _transform(request: ImportRequest, resolved: ResolvedProfile | None) -> Transform:
    """The transform of this import: the workspace profile it names, then its own options."""
    transform = Transform(request, resolved.profile if resolved else None, datetime.now(UTC))
    transform.check_zone("timeZone.zone")
    return transform


def _plan_object(
    obj: PackageObject, transform: Transform, snap: TargetSnapshot, request: ImportRequest
) -> PlannedObject:
    """One object transformed, compared with the target, given its action."""
    item = transform_object(transform, obj)
    document = item.document
    for key in IGNORED_IN_DIFF.intersection(document):  # request-only, server-kept
        del document[key]
    existing = snap.stored(item.kind, item.name)
    item.action, item.changes = _action(existing, document, request.same_name_policy)
    item.target = existing
    if item.kind is ObjectKind.CDM_JOB:
        item.action = PlanAction.UNCHANGED if item.name in snap.cdm_jobs else PlanAction.CREATE
    if (
        item.kind is ObjectKind.JOB
        and item.action is PlanAction.CREATE
        and request.target_directory
    ):
        document["directory"] = request.target_directory
    if item.action not in WRITES:
        item.problems.clear()
    return item


def _referenced(
    items: list[PlannedObject], scope: Scope, snap: TargetSnapshot, in_package: InPackage
) -> dict[tuple[str, str], set[str]]:
    """The names each (kind, workspace) must be asked about: references outside the package."""
    wanted: dict[tuple[str, str], set[str]] = {}
    for item in items:
        for ref in item.refs:
            if ref.kind is _TAG:
                continue
            ws_id = snap.workspace_id(ref.workspace) if ref.workspace else scope.workspace.id
            if ws_id and not (not ref.workspace and ref.name in in_package.get(str(ref.kind), ())):
                wanted.setdefault((str(ref.kind), ws_id), set()).add(ref.name)
    return wanted


def _package_edges(planned: list[PlannedObject]) -> dict[str, list[str]]:
    """Dependency edges the import would write (jobs it creates or overwrites)."""
    edges: dict[str, list[str]] = {}
    for item in planned:
        if item.kind is ObjectKind.JOB and item.action in WRITES:
            edges[item.name] = sorted(
                {r.name for r in item.refs if r.kind is _JOB and not r.workspace}
            )
    return edges


def _apply_order(
    planned: list[PlannedObject], package: dict[str, list[str]]
) -> list[PlannedObject]:
    """Scripts, resources and CDM jobs first, then jobs upstream-first."""
    others = sorted(
        (p for p in planned if p.kind is not ObjectKind.JOB),
        key=lambda p: (KIND_ORDER[p.kind], p.name),
    )
    jobs = {p.name: p for p in planned if p.kind is ObjectKind.JOB}
    edges = {name: [u for u in package.get(name, []) if u in jobs] for name in jobs}
    try:
        ordered = topological_order(edges)
    except ValueError:
        ordered = sorted(jobs)
    return others + [jobs[name] for name in ordered if name in jobs]
