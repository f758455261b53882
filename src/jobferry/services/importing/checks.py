"""Import, check: every problem of every object, never the first only.

Checks run a batch at a time. What one object alone shows (its definition, locks, schedule,
tags, secrets) is decided at once; a reference is decided at once when the target or the part
of the package read so far has it, and otherwise kept *pending* until the whole package was
read (the package may hold it further on): :mod:`.ordering` decides those.
"""

from __future__ import annotations

from typing import NamedTuple, Protocol

from jobferry.domain.connections import secret_role
from jobferry.domain.enums import (
    ENVIRONMENT_KINDS,
    KIND_ORDER,
    AnyRefKind,
    EnvironmentKind,
    JobStatus,
    ObjectKind,
    PlanAction,
    ProblemReason,
    RefKind,
    SchedulingPolicy,
)
from jobferry.domain.profile import RESOURCE_TYPES
from jobferry.domain.references import Reference
from jobferry.package.manifest import Requirement
from jobferry.package.signature import SignatureCheck
from jobferry.services.context import Scope
from jobferry.services.importing.locks import locked_problem, soft_lock_holder
from jobferry.services.importing.model import (
    WRITES,
    PlannedObject,
    Problem,
)
from jobferry.services.importing.ports import TargetReader
from jobferry.services.importing.problem import Needs, creation_fix, required_needs
from jobferry.services.importing.request import ImportRequest
from jobferry.services.importing.restarts import restart_problems
from jobferry.services.importing.transform import Transform
from jobferry.services.workspaces.keys import SigningTrust

# Enum members looked up once: class attribute access on an enum costs in ~100,000-reference loops.
_TAG, _JOB, _CONNECTION, _CDM_JOB = (
    RefKind.TAG,
    RefKind.JOB,
    EnvironmentKind.CONNECTION,
    EnvironmentKind.CDM_JOB,
)
PACKAGE_KINDS = frozenset(str(kind) for kind in KIND_ORDER)
"""Kinds a package may hold: a reference of these kinds may be satisfied by the package."""


class SignedPackage(Protocol):
    """What the signature check needs of a package (a read whole or streaming)."""

    @property
    def manifest_bytes(self) -> bytes | None: ...

    @property
    def signature(self) -> bytes | None: ...

    @property
    def sha256(self) -> str: ...


class Pending(NamedTuple):
    """A reference decided once the whole package was read: satisfied if the package holds
    it, else ``problem`` (``None``: it only feeds the environment report)."""

    kind: str
    name: str
    problem: Problem | None


class Checked(NamedTuple):
    """One job's references: problems now, references pending, and the environment objects
    neither the target nor the package has (for the environment report)."""

    problems: list[Problem]
    pending: list[Pending]
    absent: list[tuple[str, str]]


def mapping_fix(kind: AnyRefKind, name: str, workspace: str, registry: str | None = None) -> str:
    """How to supply a missing environment object: map it to a name ``workspace`` holds, or
    register it (in ``registry``, by default ``workspace``)."""
    registry = (
        f"register it in workspace '{registry or workspace}' (PUT /environment/{kind.value}/{name})"
    )
    type_name = RESOURCE_TYPES.get(str(kind))
    if type_name:
        return (
            f'map it with resources [{{"name": "{name}", "type": "{type_name}", '
            f'"replace": "<name in {workspace}>"}}] or {registry}'
        )
    return registry


def _where(ref: Reference) -> str:
    return f"node '{ref.node}' " if ref.node else f"field {ref.field} "


def _at(item: PlannedObject, ref: Reference) -> str:
    """Where an object uses a reference, as a problem's detail begins: "job 'a' node 'b' ",
    "script 's' field connectionName "."""
    return f"{item.kind} '{item.name}' {_where(ref)}"


def signature_state(target: TargetReader, package: SignedPackage, scope: Scope) -> SignatureCheck:
    """The package's signature checked against the keys the target trusts (its own too); a
    package signed by a key it distrusts is refused (``KeyDistrustedError``)."""
    trust = SigningTrust(target.trusted_keys(), target.distrusted_keys())
    return trust.check(package.manifest_bytes, package.signature, scope.workspace.name)


def check_package_signature(
    target: TargetReader, scope: Scope, package: SignedPackage | None
) -> tuple[SignatureCheck | None, list[Problem]]:
    """The package's signature state, and the problem it is when it is not good enough."""
    if package is None:
        return None, []
    check = signature_state(target, package, scope)
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


class SecretCheck:
    """The connections the manifest requires, and whether the target has their secrets set.

    ``states``: connection name (in the target) → ``set`` | ``missing_secret`` | ``missing``.
    Only a manifest names the secrets a source connection has, so only its requirements are
    checked for them; whether a connection exists at all is checked from each job and script
    itself (:class:`References`), whatever the manifest says.
    """

    def __init__(
        self,
        target: TargetReader,
        scope: Scope,
        requirements: list[Requirement],
        transform: Transform,
    ) -> None:
        needed = [r for r in requirements if r.kind == EnvironmentKind.CONNECTION.value]
        self.needs = required_needs(requirements, transform.renames)
        self.states: dict[str, str] = {}
        self._lacking: dict[str, str] = {}
        if needed:
            self._states(target.connection_secrets(), scope, needed, transform)

    def _states(
        self,
        present: dict[str, set[str]],
        scope: Scope,
        needed: list[Requirement],
        transform: Transform,
    ) -> None:
        ws_name = scope.workspace.name
        for req in needed:
            name = transform.renames.get((EnvironmentKind.CONNECTION, req.name), req.name)
            what = f"connection '{name}'" + (f" ({req.type})" if req.type else "")
            if name not in present:  # each object using it has it as a missing reference
                self.states[name] = "missing"
                continue
            gone = sorted(key for key in req.secrets if secret_role(key) not in present[name])
            self.states[name] = "missing_secret" if gone else "set"
            if gone:
                self._lacking[name] = (
                    f"{what} in workspace '{ws_name}' has no secret {', '.join(gone)} set, "
                    "which the package's source connection has"
                )

    def problems(self, item: PlannedObject) -> list[Problem]:
        """Problems of a job or script to write that uses a required connection lacking
        secrets (a missing connection is the object's missing reference already)."""
        if not self._lacking or item.action not in WRITES:
            return []
        used = {r.name for r in item.refs if r.kind is _CONNECTION}
        return [
            _secret_problem(item, name, self._lacking[name], self.needs.get((_CONNECTION, name)))
            for name in sorted(used & set(self._lacking))
        ]


def _secret_problem(item: PlannedObject, name: str, lacking: str, needs: Needs | None) -> Problem:
    return Problem(
        ProblemReason.MISSING_SECRET,
        item.kind,
        item.name,
        f"{item.kind} '{item.name}' uses {lacking}",
        f"register it with its secrets (PUT /environment/connection/{name} with "
        '"secrets") or map it to another connection with the profile or resources',
        (EnvironmentKind.CONNECTION, name),
        needs=needs,
    )


def check_object(
    item: PlannedObject,
    scope: Scope,
    state: TargetReader,
    request: ImportRequest,
    max_nodes: int,
) -> list[Problem]:
    """What one object to write shows alone: its definition, a lock, a schedule."""
    problems: list[Problem] = []
    for v in item.violations(max_nodes, (scope.workspace.name, scope.workspace.id)):
        problems.append(
            Problem(
                ProblemReason.INVALID_DEFINITION,
                item.kind,
                item.name,
                f"{v.field}: {v.message}",
                "correct the definition in the source workspace and export it again",
            )
        )
    ws_name = scope.workspace.name
    replaces = item.action in (PlanAction.OVERWRITE, PlanAction.RENAME)
    if replaces:
        name = item.target.name if item.target is not None else item.name
        problems.extend(locked_problem(scope, state, item.kind, name, item.name))
        item.locked_by = soft_lock_holder(scope, state, item.kind, name)
    if (
        item.kind == ObjectKind.JOB
        and replaces
        and item.target
        and item.target.status != JobStatus.STOPPED
    ):
        if request.scheduling is SchedulingPolicy.PAUSE_AND_RESTORE:
            item.pause = True
            return problems + restart_problems(item, request, ws_name)
        problems.append(
            Problem(
                ProblemReason.SCHEDULED,
                ObjectKind.JOB,
                item.name,
                f"job '{item.target.name}' is scheduled ({item.target.status}) in workspace "
                f"'{ws_name}' and must be stopped before it is overwritten",
                f"stop it (POST .../jobs/{item.target.name}/stop), import with scheduling "
                "PAUSE_AND_RESTORE (the import stops it and starts it again), or import with "
                "sameNamePolicy SKIP",
            )
        )
    return problems


class References:
    """What the target and the package read so far hold, for one batch's references."""

    def __init__(
        self,
        state: TargetReader,
        ws_id: str,
        ws_name: str,
        existing: set[tuple[str, str, str]],
        present: set[tuple[str, str]],
        registry: str | None = None,
    ) -> None:
        self.state, self.ws_id, self.ws_name = state, ws_id, ws_name
        self.registry = registry
        self.existing, self.present = existing, present

    def check(self, item: PlannedObject, report_only: bool) -> Checked:
        """The job's references checked (``report_only``: a job the import does not write,
        checked only for the environment report)."""
        out = Checked([], [], [])
        for ref in item.distinct_refs:
            if ref.kind is _TAG:
                if not report_only and ref.name in self.state.locked_tags:
                    out.problems.append(self._locked_tag(item, ref))
            elif ref.kind is _JOB and ref.workspace:
                if not report_only:
                    out.problems.extend(self._other_workspace(item, ref))
            else:
                found = self._resolve(item, ref)
                if isinstance(found, Pending):
                    out.pending.append(found._replace(problem=None) if report_only else found)
                elif found is not None:
                    out.absent.append((str(ref.kind), ref.name))
                    if not report_only:
                        out.problems.append(found)
        return out

    def check_script(self, item: PlannedObject) -> list[Problem]:
        """The environment objects a script to write names that the target lacks (its
        connection and DLI queue, as the profile maps them), read from the script itself (a
        folder's package, or one without a manifest, requires none)."""
        return [
            self._missing(item, ref, str(ref.kind))
            for ref in item.distinct_refs
            if str(ref.kind) in ENVIRONMENT_KINDS
            and (str(ref.kind), self.ws_id, ref.name) not in self.existing
        ]

    def script_absent(self, item: PlannedObject) -> list[tuple[str, str]]:
        """The environment objects a script names (its connection and DLI queue, as the
        profile maps them) that the target lacks: for the environment report, whether the
        import writes the script or not, as for a job."""
        return [
            (str(ref.kind), ref.name)
            for ref in item.distinct_refs
            if (str(ref.kind), self.ws_id, ref.name) not in self.existing
        ]

    def _resolve(self, item: PlannedObject, ref: Reference) -> Problem | Pending | None:
        kind = str(ref.kind)
        if (kind, ref.name) in self.present or (kind, self.ws_id, ref.name) in self.existing:
            return None
        problem = self._missing(item, ref, kind)
        if kind in PACKAGE_KINDS:
            return Pending(kind, ref.name, problem)
        return problem

    def _missing(self, item: PlannedObject, ref: Reference, kind: str) -> Problem:
        if kind in ENVIRONMENT_KINDS and kind != _CDM_JOB:
            fix = mapping_fix(ref.kind, ref.name, self.ws_name, self.registry)
        else:
            fix = creation_fix(kind, ref.name, self.ws_name, self.registry)
        return Problem(
            ProblemReason.MISSING_REFERENCE,
            item.kind,
            item.name,
            f"{_at(item, ref)}references {kind} '{ref.name}', which does not exist in the "
            f"package or in workspace '{self.ws_name}'",
            fix,
            (kind, ref.name),
        )

    def _locked_tag(self, item: PlannedObject, ref: Reference) -> Problem:
        return Problem(
            ProblemReason.LOCKED_TAG,
            ObjectKind.JOB,
            item.name,
            f"{_at(item, ref)}carries tag '{ref.name}', locked in workspace '{self.ws_name}'",
            "remove the tag from the job, or ask an admin to unlock the tag",
        )

    def _other_workspace(self, item: PlannedObject, ref: Reference) -> list[Problem]:
        assert ref.workspace is not None
        ws_id = self.state.workspace_id(ref.workspace)
        if ws_id is None:
            return [
                Problem(
                    ProblemReason.MISSING_WORKSPACE,
                    ObjectKind.JOB,
                    item.name,
                    f"{_at(item, ref)}depends on job '{ref.name}' in workspace "
                    f"'{ref.workspace}', which does not exist in this project",
                    "create that workspace (names must match across projects) or remove the "
                    "dependency",
                )
            ]
        if (str(_JOB), ws_id, ref.name) in self.existing:
            return []
        return [
            Problem(
                ProblemReason.MISSING_REFERENCE,
                ObjectKind.JOB,
                item.name,
                f"{_at(item, ref)}depends on job '{ref.name}' in workspace "
                f"'{ref.workspace}', which does not exist there",
                f"import job '{ref.name}' into workspace '{ref.workspace}' first",
            )
        ]


def drift_problem(item: PlannedObject, ws_name: str) -> Problem:
    """An object changed in the target since the last import wrote it (``onDrift`` FAIL)."""
    fields = sorted({c.path or "(the whole definition)" for c in item.drift or []})
    shown = ", ".join(fields[:10]) + (f" and {len(fields) - 10} more" if len(fields) > 10 else "")
    target = item.target.name if item.target is not None else item.name
    return Problem(
        ProblemReason.DRIFT,
        item.kind,
        item.name,
        f"{item.kind} '{target}' was changed in workspace '{ws_name}' since the last import "
        f"wrote it ({shown})",
        "carry the change back to the source and export again, or import with onDrift "
        "KEEP_TARGET (leave it as it is) or TAKE_PACKAGE (overwrite the change)",
    )


def renamed_in_use(target: TargetReader, scope: Scope, item: PlannedObject) -> list[Problem]:
    """A job the import renames that jobs of other workspaces depend on by its old name (they
    would lose it: a rename rewrites only the target workspace's own jobs)."""
    if item.kind is not ObjectKind.JOB or item.previous_name is None:
        return []
    ws = scope.workspace
    users = target.dependents_elsewhere(item.previous_name)
    if not users:
        return []
    shown = ", ".join(sorted(f"{other}/{job}" for other, _, job in users)[:10])
    more = f" and {len(users) - 10} more" if len(users) > 10 else ""
    return [
        Problem(
            ProblemReason.IN_USE,
            item.kind,
            item.name,
            f"job '{item.previous_name}' would be renamed to '{item.name}' in workspace "
            f"'{ws.name}', but job(s) {shown}{more} of other workspaces depend on it by its "
            "current name",
            "remove those dependencies first (or point them at the new name after the import), "
            "or keep the old name in the source",
        )
    ]
