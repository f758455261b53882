"""Import step 5 (check): every problem of every object, never the first only."""

from __future__ import annotations

from typing import Any

from jobferry.domain.connections import secret_role
from jobferry.domain.enums import (
    ENVIRONMENT_KINDS,
    JobStatus,
    LockPolicy,
    ObjectKind,
    PlanAction,
    ProblemReason,
    RefKind,
)
from jobferry.domain.graph import find_cycle
from jobferry.domain.references import JOB_RESOURCE_TYPE_KINDS, Reference
from jobferry.domain.validation import validate_job, validate_resource, validate_script
from jobferry.package.manifest import Requirement
from jobferry.package.reader import ReadPackage
from jobferry.package.signature import SignatureCheck, check_signature
from jobferry.services.context import Scope
from jobferry.services.importing.model import WRITES, PlannedObject, Problem
from jobferry.services.importing.snapshot import TargetSnapshot
from jobferry.services.importing.transform import Transform
from jobferry.services.keys import trusted_public_keys
from jobferry.storage import Tx
from jobferry.storage import environment as env_repo
from jobferry.storage import keys as key_repo

# Enum members looked up once: class attribute access on an enum costs in ~100,000-reference loops.
_TAG, _JOB, _CONNECTION, _CDM_JOB = RefKind.TAG, RefKind.JOB, RefKind.CONNECTION, RefKind.CDM_JOB
_TYPE_FOR_KIND: dict[RefKind, str] = {}
for _type, _kind in sorted(JOB_RESOURCE_TYPE_KINDS.items()):
    _TYPE_FOR_KIND.setdefault(_kind, _type)


def _mapping_fix(kind: RefKind, name: str, workspace: str) -> str:
    registry = f"register it in workspace '{workspace}' (PUT /environment/{kind.value}/{name})"
    type_name = _TYPE_FOR_KIND.get(kind)
    if type_name:
        return (
            f'map it with resources [{{"name": "{name}", "type": "{type_name}", '
            f'"replace": "<name in {workspace}>"}}] or {registry}'
        )
    return registry


def _where(ref: Reference) -> str:
    return f"node '{ref.node}' " if ref.node else f"field {ref.field} "


def _at(item: PlannedObject, ref: Reference) -> str:
    """Where a job uses a reference, as a problem's detail begins: "job 'a' node 'b' "."""
    return f"job '{item.name}' {_where(ref)}"


def signature_state(tx: Tx, scope: Scope, package: ReadPackage) -> SignatureCheck:
    """The package's signature checked against the keys the workspace trusts (its own too)."""
    trusted = trusted_public_keys(tx, scope.workspace.id)
    own = key_repo.get_signing_key(tx, scope.workspace.id)
    if own is not None:
        trusted.append(own.public_key)
    return check_signature(package.manifest_bytes, package.signature, trusted)


def check_package_signature(
    tx: Tx, scope: Scope, package: ReadPackage | None
) -> tuple[SignatureCheck | None, list[Problem]]:
    """The package's signature state, and the problem it is when it is not good enough."""
    if package is None:
        return None, []
    check = signature_state(tx, scope, package)
    ws = scope.workspace
    if check.state == "invalid":
        fix = "export the package again from the source and carry it unchanged"
    elif ws.require_signed and check.state != "valid":
        fix = (
            "import a package exported from a workspace with a signing key, or trust its key "
            f"(POST /trusted-keys) in workspace '{ws.name}'"
            if check.state == "untrusted"
            else "sign the package (jobferry package sign) or export it from a workspace that "
            "has a signing key"
        )
    else:
        return check, []
    rule = f"; workspace '{ws.name}' requires signed packages" if ws.require_signed else ""
    detail = f"package signature is {check.state}: {check.detail}{rule}"
    return check, [Problem(ProblemReason.SIGNATURE, "package", package.sha256[:12], detail, fix)]


def check_secrets(
    tx: Tx,
    scope: Scope,
    planned: list[PlannedObject],
    requirements: list[Requirement],
    transform: Transform,
) -> dict[str, str]:
    """Check the connections the manifest requires have their secrets set in the target.

    Answers connection name (in the target) → ``set`` | ``missing_secret`` | ``missing``, and
    adds a ``missing_secret`` problem to every object to be written that uses one lacking them.
    """
    needed = [r for r in requirements if r.kind == RefKind.CONNECTION.value]
    if not needed:
        return {}
    states, lacking = _connection_states(tx, scope, needed, transform)
    for item in planned:
        if item.action not in WRITES or item.kind not in (ObjectKind.JOB, ObjectKind.SCRIPT):
            continue
        if item.kind == ObjectKind.JOB:
            used = {r.name for r in item.refs if r.kind is _CONNECTION}
            # a missing connection is already reported as a missing reference of the job
            used = {n for n in used if states.get(n) != "missing"}
        else:
            used = {str(item.document.get("connectionName"))}
        for name in sorted(used & set(lacking)):
            item.problems.append(_secret_problem(item, name, lacking[name], states[name]))
    return states


def _connection_states(
    tx: Tx, scope: Scope, needed: list[Requirement], transform: Transform
) -> tuple[dict[str, str], dict[str, str]]:
    """Each required connection's state in the target, and what lacks for those not ``set``."""
    present = {
        o.name: {secret_role(key) for key in o.secret_keys}
        for o in env_repo.list_objects(tx, scope.workspace.id, RefKind.CONNECTION.value)
    }
    states: dict[str, str] = {}
    lacking: dict[str, str] = {}
    ws_name = scope.workspace.name
    for req in needed:
        name = transform.renames.get((RefKind.CONNECTION, req.name), req.name)
        what = f"connection '{name}'" + (f" ({req.type})" if req.type else "")
        if name not in present:
            states[name] = "missing"
            lacking[name] = f"{what} does not exist in workspace '{ws_name}'"
            continue
        gone = sorted(key for key in req.secrets if secret_role(key) not in present[name])
        states[name] = "missing_secret" if gone else "set"
        if gone:
            lacking[name] = (
                f"{what} in workspace '{ws_name}' has no secret {', '.join(gone)} set, which "
                "the package's source connection has"
            )
    return states, lacking


def _secret_problem(item: PlannedObject, name: str, lacking: str, state: str) -> Problem:
    absent = state == "missing"
    return Problem(
        ProblemReason.MISSING_REFERENCE if absent else ProblemReason.MISSING_SECRET,
        item.kind,
        item.name,
        f"{item.kind} '{item.name}' uses {lacking}",
        f"register it with its secrets (PUT /environment/connection/{name} with "
        '"secrets") or map it to another connection with the profile or resources',
        (RefKind.CONNECTION, name) if absent else None,
    )


def environment_completeness(
    planned: list[PlannedObject],
    snap: TargetSnapshot,
    in_package: dict[str, set[str]],
    ws_name: str,
    secrets: dict[str, str],
) -> dict[str, Any]:
    """Is the profile enough? Every environment reference, mapped or present, or missing."""
    missing: dict[tuple[str, str], list[str]] = {}
    for item in planned:
        if item.kind != ObjectKind.JOB:
            continue
        for ref in item.refs:
            kind = str(ref.kind)
            if kind not in ENVIRONMENT_KINDS or ref.workspace:
                continue
            if ref.name in in_package.get(kind, ()) or snap.exists(kind, ref.name):
                continue
            jobs = missing.setdefault((kind, ref.name), [])
            if item.name not in jobs:
                jobs.append(item.name)
    rows = [
        {
            "kind": kind,
            "name": name,
            "jobs": jobs,
            "fix": _mapping_fix(RefKind(kind), name, ws_name),
        }
        for (kind, name), jobs in sorted(missing.items())
    ]
    secret_rows = [{"name": n, "state": s} for n, s in sorted(secrets.items())]
    complete = not rows and all(s == "set" for s in secrets.values())
    return {"complete": complete, "missing": rows, "secrets": secret_rows}


def check_object(
    item: PlannedObject,
    scope: Scope,
    snap: TargetSnapshot,
    in_package: dict[str, set[str]],
    ws_name: str,
    max_nodes: int,
) -> list[Problem]:
    problems: list[Problem] = []
    validator = {
        ObjectKind.JOB: lambda d: validate_job(d, max_nodes=max_nodes),
        ObjectKind.SCRIPT: validate_script,
        ObjectKind.RESOURCE: validate_resource,
    }.get(item.kind)
    if validator is not None:
        for v in validator(item.document):
            problems.append(
                Problem(
                    ProblemReason.INVALID_DEFINITION,
                    item.kind,
                    item.name,
                    f"{v.field}: {v.message}",
                    "correct the definition in the source workspace and export it again",
                )
            )
    if item.action == PlanAction.OVERWRITE and item.kind in (ObjectKind.JOB, ObjectKind.SCRIPT):
        holder = snap.locks.get((item.kind, item.name))
        hard = scope.workspace.lock_policy == LockPolicy.HARD.value
        if holder and holder[0] != scope.actor.user_id and hard:
            problems.append(
                Problem(
                    ProblemReason.LOCKED,
                    item.kind,
                    item.name,
                    f"{item.kind} '{item.name}' is locked by '{holder[1]}' and workspace "
                    f"'{ws_name}' uses the hard lock policy",
                    f"ask '{holder[1]}' to release the lock, or import with sameNamePolicy SKIP",
                )
            )
    if item.kind == ObjectKind.JOB:
        if (
            item.action == PlanAction.OVERWRITE
            and item.target
            and item.target.status != JobStatus.STOPPED
        ):
            problems.append(
                Problem(
                    ProblemReason.SCHEDULED,
                    ObjectKind.JOB,
                    item.name,
                    f"job '{item.name}' is scheduled ({item.target.status}) in workspace "
                    f"'{ws_name}' and must be stopped before it is overwritten",
                    f"stop it (POST .../jobs/{item.name}/stop), or import with sameNamePolicy SKIP",
                )
            )
        problems += _check_references(item, snap, in_package, ws_name)
    return problems


def _check_references(
    item: PlannedObject,
    snap: TargetSnapshot,
    in_package: dict[str, set[str]],
    ws_name: str,
) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[tuple[RefKind, str, str | None]] = set()
    for ref in item.refs:
        key = (ref.kind, ref.name, ref.workspace)
        if key in seen:
            continue
        seen.add(key)
        if ref.kind is _TAG:
            if ref.name in snap.locked_tags:
                problems.append(
                    Problem(
                        ProblemReason.LOCKED_TAG,
                        ObjectKind.JOB,
                        item.name,
                        f"{_at(item, ref)}carries tag '{ref.name}', locked in workspace "
                        f"'{ws_name}'",
                        "remove the tag from the job, or ask an admin to unlock the tag",
                    )
                )
            continue
        if ref.kind is _JOB and ref.workspace:
            ws_id = snap.workspace_id(ref.workspace)
            if ws_id is None:
                problems.append(
                    Problem(
                        ProblemReason.MISSING_WORKSPACE,
                        ObjectKind.JOB,
                        item.name,
                        f"{_at(item, ref)}depends on job '{ref.name}' in workspace "
                        f"'{ref.workspace}', which does not exist in this project",
                        "create that workspace (names must match across projects) or remove the "
                        "dependency",
                    )
                )
            elif not snap.exists(ObjectKind.JOB, ref.name, ws_id):
                problems.append(
                    Problem(
                        ProblemReason.MISSING_REFERENCE,
                        ObjectKind.JOB,
                        item.name,
                        f"{_at(item, ref)}depends on job '{ref.name}' in workspace "
                        f"'{ref.workspace}', which does not exist there",
                        f"import job '{ref.name}' into workspace '{ref.workspace}' first",
                    )
                )
            continue
        kind = str(ref.kind)
        if kind in in_package and ref.name in in_package[kind]:
            continue
        if snap.exists(kind, ref.name):
            continue
        if kind in ENVIRONMENT_KINDS and kind != _CDM_JOB:
            fix = _mapping_fix(ref.kind, ref.name, ws_name)
        else:
            fix = f"add {kind} '{ref.name}' to the package (export with exportDepend) or create it"
        problems.append(
            Problem(
                ProblemReason.MISSING_REFERENCE,
                ObjectKind.JOB,
                item.name,
                f"{_at(item, ref)}references {kind} '{ref.name}', which does not exist in the "
                f"package or in workspace '{ws_name}'",
                fix,
                (kind, ref.name),
            )
        )
    return problems


def check_cycles(
    planned: list[PlannedObject], package: dict[str, list[str]], snap: TargetSnapshot
) -> None:
    edges = {**snap.edges, **package}
    cycle = find_cycle(edges)
    if not cycle:
        return
    members = [n for n in cycle if n in package]
    if not members:
        return
    by_name = {p.name: p for p in planned if p.kind is ObjectKind.JOB}
    target = by_name[members[0]]
    target.problems.append(
        Problem(
            ProblemReason.DEPENDENCY_CYCLE,
            ObjectKind.JOB,
            target.name,
            f"importing would make the jobs depend on each other in a cycle: {' → '.join(cycle)}",
            "remove one of these dependJobs in the source and export again",
        )
    )
