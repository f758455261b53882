"""Import steps 3–6: transform, resolve, check (every problem, never the first only), plan.

Everything here works on one snapshot of the target read inside the caller's transaction, so
the plan, its fingerprint and the apply that follows all see the same state.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from jobferry.domain.diff import Change, diff, same
from jobferry.domain.enums import EnvironmentKind, JobStatus, LockPolicy, RefKind
from jobferry.domain.graph import find_cycle, topological_order
from jobferry.domain.profile import Profile, TimeZoneMove
from jobferry.domain.references import (
    JOB_RESOURCE_TYPE_KINDS,
    Reference,
    job_references,
    rename_references,
    rename_workspaces,
)
from jobferry.domain.schedule import parse_time_zone
from jobferry.domain.timeshift import CronSchedule, ScheduleShift, ShiftError, shift_job
from jobferry.domain.validation import validate_job, validate_resource, validate_script
from jobferry.errors import InvalidRequestError
from jobferry.package.manifest import Requirement, parse_requirements
from jobferry.package.reader import PackageObject, ReadPackage
from jobferry.package.signature import SignatureCheck, check_signature
from jobferry.services.context import Scope
from jobferry.services.documents import CONTROL_FIELDS, SERVER_FIELDS, dump, load
from jobferry.services.import_request import ImportRequest
from jobferry.services.keys import trusted_public_keys
from jobferry.services.profiles import ResolvedProfile, resolve_profile
from jobferry.storage import Tx
from jobferry.storage import environment as env_repo
from jobferry.storage import exports as export_repo
from jobferry.storage import imports as repo
from jobferry.storage import keys as key_repo
from jobferry.storage.imports import TargetObject

CREATE, OVERWRITE, SKIP, UNCHANGED = "CREATE", "OVERWRITE", "SKIP", "UNCHANGED"
KIND_ORDER = {"script": 0, "resource": 1, "cdm_job": 2, "job": 3}
ENVIRONMENT_KINDS = {k.value for k in EnvironmentKind}
IGNORED_IN_DIFF = frozenset(CONTROL_FIELDS + SERVER_FIELDS)
# Enum members looked up once: class attribute access on an enum costs in ~100,000-reference loops.
_TAG, _JOB, _CONNECTION, _CDM_JOB = RefKind.TAG, RefKind.JOB, RefKind.CONNECTION, RefKind.CDM_JOB
_TYPE_FOR_KIND: dict[RefKind, str] = {}
for _type, _kind in sorted(JOB_RESOURCE_TYPE_KINDS.items()):
    _TYPE_FOR_KIND.setdefault(_kind, _type)


@dataclass(frozen=True)
class Problem:
    """One reason an object cannot be imported, with how to fix it."""

    reason: str
    kind: str
    name: str
    detail: str
    fix: str
    # (kind, name) of what a missing_reference problem could not find, so a client can offer
    # a mapping for it without parsing the detail text.
    reference: tuple[str, str] | None = None

    def as_json(self) -> dict[str, Any]:
        """The wire form."""
        out: dict[str, Any] = {
            "reason": self.reason,
            "kind": self.kind,
            "name": self.name,
            "detail": self.detail,
            "fix": self.fix,
        }
        if self.reference is not None:
            out["reference"] = {"kind": self.reference[0], "name": self.reference[1]}
        return out


@dataclass
class PlannedObject:
    """What import will do with one object of the package."""

    kind: str
    name: str
    path: str
    document: dict[str, Any]
    action: str
    target: TargetObject | None = None
    changes: list[Change] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    schedule: list[ScheduleShift] = field(default_factory=list)
    _refs: list[Reference] | None = None

    @property
    def refs(self) -> list[Reference]:
        """The job's references after transforms (computed once; jobs only)."""
        if self._refs is None:
            self._refs = job_references(self.document) if self.kind == "job" else []
        return self._refs

    def as_json(self, with_diff: bool = True) -> dict[str, Any]:
        """The wire form of a plan line."""
        line: dict[str, Any] = {
            "kind": self.kind,
            "name": self.name,
            "action": self.action,
            "path": self.path,
        }
        if self.action == OVERWRITE and with_diff:
            line["diff"] = [c.as_json() for c in self.changes]
        if self.schedule and self.action in (CREATE, OVERWRITE):
            line["schedule"] = [shift_json(s) for s in self.schedule]
        if self.problems:
            line["problems"] = [p.as_json() for p in self.problems]
        return line


def shift_json(shift: ScheduleShift) -> dict[str, Any]:
    """A schedule move with the next firings from now (none when they cannot be listed)."""
    try:
        return shift.as_json(after=datetime.now(UTC))
    except ShiftError:
        return {
            "field": shift.field,
            "mode": shift.mode.value,
            "before": _cron_json(shift.before),
            "after": _cron_json(shift.after),
        }


def _cron_json(cron: CronSchedule) -> dict[str, Any]:
    return {
        "expression": cron.expression,
        "timeZone": cron.time_zone,
        "startTime": cron.start_time,
        "endTime": cron.end_time,
        "nextFirings": [],
    }


@dataclass
class Plan:
    """The whole plan: objects in apply order, every problem, and the target fingerprint.

    ``package_problems`` concern the package as a whole (its signature): they refuse the import
    in every mode, where object problems only fail their objects in PER_OBJECT mode.
    """

    objects: list[PlannedObject]
    problems: list[Problem]
    fingerprint: str
    package_problems: list[Problem] = field(default_factory=list)
    signature: SignatureCheck | None = None
    profile: ResolvedProfile | None = None
    environment: dict[str, Any] | None = None

    def counts(self) -> dict[str, int]:
        """How many objects get each action."""
        out = {CREATE: 0, OVERWRITE: 0, SKIP: 0, UNCHANGED: 0}
        for obj in self.objects:
            out[obj.action] += 1
        return out

    def describe(self) -> str:
        """The counts in words, e.g. '3 to create, 1 to overwrite, 0 skipped, 2 unchanged'."""
        c = self.counts()
        return (
            f"{c[CREATE]} to create, {c[OVERWRITE]} to overwrite, {c[SKIP]} skipped, "
            f"{c[UNCHANGED]} unchanged"
        )

    def as_json(self, with_diff: bool = True) -> dict[str, Any]:
        """The wire form of the plan."""
        out: dict[str, Any] = {
            "fingerprint": self.fingerprint,
            "summary": self.counts() | {"problems": len(self.problems)},
            "objects": [o.as_json(with_diff) for o in self.objects],
            "problems": [p.as_json() for p in self.problems],
        }
        if self.signature is not None:
            out["signature"] = self.signature.as_json()
        if self.profile is not None:
            out["profile"] = self.profile.as_json()
        if self.environment is not None:
            out["environment"] = self.environment
        return out


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


class _Snapshot:
    """What the target holds, read once for the whole plan."""

    def __init__(self, tx: Tx, scope: Scope, objects: list[PackageObject], lock_rows: bool):
        ws = scope.workspace.id
        names: dict[str, set[str]] = {k: set() for k in KIND_ORDER}
        for obj in objects:
            names[obj.kind].add(obj.name)
        self.jobs = repo.target_jobs(tx, ws, names["job"], for_update=lock_rows)
        self.scripts = repo.target_scripts(tx, ws, names["script"], for_update=lock_rows)
        self.resources = repo.target_resources(tx, ws, names["resource"], for_update=lock_rows)
        self.cdm_jobs = repo.names_in(tx, ws, RefKind.CDM_JOB.value, names["cdm_job"])
        self.locked_tags = repo.locked_tags(tx, ws)
        self.locks = repo.lock_holders(tx, ws)
        self.workspaces = repo.workspace_names(tx, scope.actor.project_id)
        self.edges = export_repo.dependency_edges(tx, ws)
        self._tx, self._ws = tx, ws
        self._known: dict[tuple[str, str], dict[str, bool]] = {}

    def workspace_id(self, name_or_id: str) -> str | None:
        """The id of a workspace of the project named (or identified) by ``name_or_id``."""
        if name_or_id in self.workspaces:
            return self.workspaces[name_or_id]
        return name_or_id if name_or_id in self.workspaces.values() else None

    def prefetch(self, wanted: dict[tuple[str, str], set[str]]) -> None:
        """Look up, in one query per (kind, workspace), which referenced names exist."""
        for (kind, ws), names in wanted.items():
            memo = self._known.setdefault((kind, ws), {})
            todo = names - set(memo)
            if todo:
                found = repo.names_in(self._tx, ws, kind, todo)
                memo.update({n: n in found for n in todo})

    def exists(self, kind: str, name: str, workspace_id: str | None = None) -> bool:
        """Whether the target holds ``name`` as ``kind`` (prefetched, else looked up)."""
        ws = workspace_id or self._ws
        memo = self._known.setdefault((kind, ws), {})
        if name not in memo:
            memo[name] = bool(repo.names_in(self._tx, ws, kind, [name]))
        return memo[name]

    def fingerprint(self, extra: Iterable[str]) -> str:
        """A hash of every piece of target state the plan depends on."""
        digest = hashlib.sha256()
        for kind, table in (
            ("job", self.jobs),
            ("script", self.scripts),
            ("resource", self.resources),
        ):
            for name in sorted(table):
                t = table[name]
                doc = hashlib.sha256(t.document.encode()).hexdigest()
                digest.update(
                    f"{kind}|{name}|{t.id}|{doc}|{t.status}|{t.latest_version}\n".encode()
                )
        for key in sorted(self._known):
            digest.update(f"{key}|{sorted(self._known[key].items())}\n".encode())
        digest.update(f"tags|{sorted(self.locked_tags)}\n".encode())
        digest.update(f"locks|{sorted(self.locks.items())}\n".encode())
        for item in sorted(extra):
            digest.update(item.encode() + b"\n")
        return digest.hexdigest()


class Transform:
    """Import step 3: the profile, then the request's own options (which win), per object.

    Also what ``jobferry package transform`` applies offline (services.package_transform).
    """

    def __init__(self, request: ImportRequest, profile: Profile | None) -> None:
        base = profile.reference_renames() if profile else {}
        self.renames = {**base, **request.renames}
        self.workspaces = profile.workspace_renames if profile else {}
        self.params = {**(profile.params if profile else {}), **request.params}
        base_jobs = profile.job_params if profile else {}
        self.jobs_param = {
            job: {**base_jobs.get(job, {}), **request.jobs_param.get(job, {})}
            for job in set(base_jobs) | set(request.jobs_param)
        }
        self.execute_user = request.execute_user or (profile.execute_user if profile else None)
        self.owner = profile.owner if profile else None
        self.profile = profile
        self.time_zone: TimeZoneMove | None = request.time_zone or (
            profile.time_zone if profile else None
        )

    def _directory(self, doc: dict[str, Any]) -> None:
        if self.profile is not None and self.profile.directory is not None and "directory" in doc:
            doc["directory"] = self.profile.rewrite_directory(doc["directory"])

    def job(self, doc: dict[str, Any]) -> dict[str, Any]:
        """The job as it will be imported (package documents are this import's own)."""
        job = rename_references(doc, self.renames) if self.renames else doc
        if self.workspaces:
            rename_workspaces(job, self.workspaces)
        name = str(job.get("name"))
        overrides = self.params
        per_job = self.jobs_param.get(name, {})
        params = job.get("params")
        if (overrides or per_job) and isinstance(params, list):
            for param in params:
                if isinstance(param, dict) and param.get("name") in overrides:
                    param["value"] = overrides[param["name"]]
        if per_job:
            if not isinstance(params, list):
                params = job["params"] = []
            present = {p.get("name"): p for p in params if isinstance(p, dict)}
            for key, value in per_job.items():
                if key in present:
                    present[key]["value"] = value
                else:
                    params.append({"name": key, "value": value, "type": "variable"})
        settings: tuple[tuple[str, str | None], ...] = (
            ("executeUser", self.execute_user),
            ("owner", self.owner),
        )
        for setting, chosen in settings:
            if chosen is not None:
                basic = job.get("basicConfig")
                if not isinstance(basic, dict):
                    basic = job["basicConfig"] = {}
                basic[setting] = chosen
        self._directory(job)
        return job

    def script(self, doc: dict[str, Any]) -> dict[str, Any]:
        """The script as it will be imported."""
        for key, kind in (("connectionName", RefKind.CONNECTION), ("queueName", RefKind.DLI_QUEUE)):
            value = doc.get(key)
            if isinstance(value, str) and (kind, value) in self.renames:
                doc[key] = self.renames[(kind, value)]
        self._directory(doc)
        return doc

    def resource(self, doc: dict[str, Any]) -> dict[str, Any]:
        """The resource as it will be imported."""
        self._directory(doc)
        return doc

    def schedule(self, item: PlannedObject) -> None:
        """Move the job's cron schedules to the requested zone (problems when it cannot)."""
        move = self.time_zone
        if move is None or item.kind != "job":
            return
        shifted = shift_job(item.document, move.zone, move.mode, source_zone=move.source_zone)
        item.schedule = shifted.shifts
        for where, reason in shifted.problems:
            item.problems.append(
                Problem(
                    "time_zone",
                    "job",
                    item.name,
                    f"job '{item.name}' {where} cannot be moved to {move.zone} with "
                    f"{move.mode.value}: {reason}",
                    "use keepWallClock, or change the schedule in the source so the shift can be "
                    "expressed, and export again",
                )
            )


def _canonical(doc: dict[str, Any]) -> bytes:
    return orjson.dumps(
        {k: v for k, v in doc.items() if k not in IGNORED_IN_DIFF}, option=orjson.OPT_SORT_KEYS
    )


def _action(
    existing: TargetObject | None, document: dict[str, Any], policy: str
) -> tuple[str, list[Change]]:
    if existing is None:
        return CREATE, []
    # Cheap exact checks first (a package exported by jobferry holds the stored text itself);
    # the structural comparison only runs when the bytes differ.
    if existing.document == dump(document):
        return UNCHANGED, []
    before = load(existing.document)
    if _canonical(before) == _canonical(document) or same(before, document, ignore=IGNORED_IN_DIFF):
        return UNCHANGED, []
    if policy == "SKIP":
        return SKIP, []
    return OVERWRITE, diff(before, document, ignore=IGNORED_IN_DIFF)


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
    transform = Transform(request, resolved.profile if resolved else None)
    if transform.time_zone is not None:
        try:
            parse_time_zone(transform.time_zone.zone)
        except ValueError as exc:
            raise InvalidRequestError(f"timeZone.zone is invalid: {exc}.") from None
    snap = _Snapshot(tx, scope, objects, lock_rows)
    ws_name = scope.workspace.name
    in_package: dict[str, set[str]] = {k: set() for k in KIND_ORDER}
    for obj in objects:
        in_package[obj.kind].add(obj.name)
    planned: list[PlannedObject] = []
    for obj in objects:
        if obj.kind == "job":
            document = transform.job(obj.document)
            existing = snap.jobs.get(obj.name)
        elif obj.kind == "script":
            document = transform.script(obj.document)
            existing = snap.scripts.get(obj.name)
        elif obj.kind == "resource":
            document, existing = transform.resource(obj.document), snap.resources.get(obj.name)
        else:
            document, existing = obj.document, None
        for key in IGNORED_IN_DIFF.intersection(document):  # request-only, server-kept
            del document[key]
        item = PlannedObject(obj.kind, obj.name, obj.path, document, "")
        transform.schedule(item)
        item.action, item.changes = _action(existing, document, request.same_name_policy)
        item.target = existing
        if obj.kind == "cdm_job":
            item.action = UNCHANGED if obj.name in snap.cdm_jobs else CREATE
        if obj.kind == "job" and item.action == CREATE and request.target_directory:
            document["directory"] = request.target_directory
        if item.action not in (CREATE, OVERWRITE):
            item.problems.clear()
        planned.append(item)

    writes = [p for p in planned if p.action in (CREATE, OVERWRITE)]
    wanted: dict[tuple[str, str], set[str]] = {}
    for item in planned if environment_report else writes:
        for ref in item.refs:
            if ref.kind is _TAG:
                continue
            ws_id = snap.workspace_id(ref.workspace) if ref.workspace else scope.workspace.id
            if ws_id and not (not ref.workspace and ref.name in in_package.get(str(ref.kind), ())):
                wanted.setdefault((str(ref.kind), ws_id), set()).add(ref.name)
    snap.prefetch(wanted)
    for item in writes:
        item.problems += _check_object(item, scope, snap, in_package, ws_name, max_nodes)
    edges = _package_edges(planned)
    _check_cycles(planned, edges, snap)
    requirements = parse_requirements(package.manifest) if package else []
    secrets = _check_secrets(tx, scope, planned, requirements, transform)

    signature, package_problems = _check_signature(tx, scope, package)
    order = _apply_order(planned, edges)
    problems = package_problems + [p for item in order for p in item.problems]
    extra = [
        f"policy|{scope.workspace.lock_policy}|{scope.workspace.approval_enabled}",
        f"signed|{scope.workspace.require_signed}|{signature.state if signature else ''}",
        f"profile|{resolved.name if resolved else ''}|{resolved.version if resolved else ''}",
        f"secrets|{sorted(secrets.items())}",
    ]
    plan = Plan(order, problems, snap.fingerprint(extra), package_problems, signature, resolved)
    if environment_report:
        plan.environment = _environment_report(planned, snap, in_package, ws_name, secrets)
    return plan


def signature_state(tx: Tx, scope: Scope, package: ReadPackage) -> SignatureCheck:
    """The package's signature checked against the keys the workspace trusts (its own too)."""
    trusted = trusted_public_keys(tx, scope.workspace.id)
    own = key_repo.get_signing_key(tx, scope.workspace.id)
    if own is not None:
        trusted.append(own.public_key)
    return check_signature(package.manifest_bytes, package.signature, trusted)


def _check_signature(
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
    return check, [Problem("signature", "package", package.sha256[:12], detail, fix)]


def _check_secrets(
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
    present = {
        o.name: set(o.secret_keys)
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
        gone = sorted(set(req.secrets) - present[name])
        states[name] = "missing_secret" if gone else "set"
        if gone:
            lacking[name] = (
                f"{what} in workspace '{ws_name}' has no secret {', '.join(gone)} set, which "
                "the package's source connection has"
            )
    for item in planned:
        if item.action not in (CREATE, OVERWRITE) or item.kind not in ("job", "script"):
            continue
        if item.kind == "job":
            used = {r.name for r in item.refs if r.kind is _CONNECTION}
        else:
            used = {str(item.document.get("connectionName"))}
        for name in sorted(used & set(lacking)):
            if item.kind == "job" and states[name] == "missing":
                continue  # already reported as a missing reference
            absent = states[name] == "missing"
            item.problems.append(
                Problem(
                    "missing_reference" if absent else "missing_secret",
                    item.kind,
                    item.name,
                    f"{item.kind} '{item.name}' uses {lacking[name]}",
                    f"register it with its secrets (PUT /environment/connection/{name} with "
                    '"secrets") or map it to another connection with the profile or resources',
                    ("connection", name) if absent else None,
                )
            )
    return states


def _environment_report(
    planned: list[PlannedObject],
    snap: _Snapshot,
    in_package: dict[str, set[str]],
    ws_name: str,
    secrets: dict[str, str],
) -> dict[str, Any]:
    """Is the profile enough? Every environment reference, mapped or present, or missing."""
    missing: dict[tuple[str, str], list[str]] = {}
    for item in planned:
        if item.kind != "job":
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


def _check_object(
    item: PlannedObject,
    scope: Scope,
    snap: _Snapshot,
    in_package: dict[str, set[str]],
    ws_name: str,
    max_nodes: int,
) -> list[Problem]:
    problems: list[Problem] = []
    validator = {
        "job": lambda d: validate_job(d, max_nodes=max_nodes),
        "script": validate_script,
        "resource": validate_resource,
    }.get(item.kind)
    if validator is not None:
        for v in validator(item.document):
            problems.append(
                Problem(
                    "invalid_definition",
                    item.kind,
                    item.name,
                    f"{v.field}: {v.message}",
                    "correct the definition in the source workspace and export it again",
                )
            )
    if item.action == OVERWRITE and item.kind in ("job", "script"):
        holder = snap.locks.get((item.kind, item.name))
        hard = scope.workspace.lock_policy == LockPolicy.HARD.value
        if holder and holder[0] != scope.actor.user_id and hard:
            problems.append(
                Problem(
                    "locked",
                    item.kind,
                    item.name,
                    f"{item.kind} '{item.name}' is locked by '{holder[1]}' and workspace "
                    f"'{ws_name}' uses the hard lock policy",
                    f"ask '{holder[1]}' to release the lock, or import with sameNamePolicy SKIP",
                )
            )
    if item.kind == "job":
        if item.action == OVERWRITE and item.target and item.target.status != JobStatus.STOPPED:
            problems.append(
                Problem(
                    "scheduled",
                    "job",
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
    snap: _Snapshot,
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
                        "locked_tag",
                        "job",
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
                        "missing_workspace",
                        "job",
                        item.name,
                        f"{_at(item, ref)}depends on job '{ref.name}' in workspace "
                        f"'{ref.workspace}', which does not exist in this project",
                        "create that workspace (names must match across projects) or remove the "
                        "dependency",
                    )
                )
            elif not snap.exists("job", ref.name, ws_id):
                problems.append(
                    Problem(
                        "missing_reference",
                        "job",
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
                "missing_reference",
                "job",
                item.name,
                f"{_at(item, ref)}references {kind} '{ref.name}', which does not exist in the "
                f"package or in workspace '{ws_name}'",
                fix,
                (kind, ref.name),
            )
        )
    return problems


def _package_edges(planned: list[PlannedObject]) -> dict[str, list[str]]:
    """Dependency edges the import would write (jobs it creates or overwrites)."""
    edges: dict[str, list[str]] = {}
    for item in planned:
        if item.kind == "job" and item.action in (CREATE, OVERWRITE):
            edges[item.name] = sorted(
                {r.name for r in item.refs if r.kind is _JOB and not r.workspace}
            )
    return edges


def _check_cycles(
    planned: list[PlannedObject], package: dict[str, list[str]], snap: _Snapshot
) -> None:
    edges = {**snap.edges, **package}
    cycle = find_cycle(edges)
    if not cycle:
        return
    members = [n for n in cycle if n in package]
    if not members:
        return
    by_name = {p.name: p for p in planned if p.kind == "job"}
    target = by_name[members[0]]
    target.problems.append(
        Problem(
            "dependency_cycle",
            "job",
            target.name,
            f"importing would make the jobs depend on each other in a cycle: {' → '.join(cycle)}",
            "remove one of these dependJobs in the source and export again",
        )
    )


def _apply_order(
    planned: list[PlannedObject], package: dict[str, list[str]]
) -> list[PlannedObject]:
    """Scripts, resources and CDM jobs first, then jobs upstream-first."""
    others = sorted(
        (p for p in planned if p.kind != "job"), key=lambda p: (KIND_ORDER[p.kind], p.name)
    )
    jobs = {p.name: p for p in planned if p.kind == "job"}
    edges = {name: [u for u in package.get(name, []) if u in jobs] for name in jobs}
    try:
        ordered = topological_order(edges)
    except ValueError:
        ordered = sorted(jobs)
    return others + [jobs[name] for name in ordered if name in jobs]
