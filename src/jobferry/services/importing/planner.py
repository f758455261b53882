"""Import, plan: transform, resolve and check every object a batch at a time, then
order the writes.

Objects arrive as the package streams them. Each batch is transformed, compared with what the
target holds under the same names (one query per kind), checked, and its outcome kept as a
record in the working set; what only the whole package can tell (references to objects further
on, cycles, the apply order, what fails with what it needs) is decided at the end
(:mod:`.ordering`). Memory holds one batch, the counts and the first problems.
"""

from __future__ import annotations

import marshal
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from itertools import islice
from typing import Any

from jobferry.domain.enums import (
    KIND_ORDER,
    DriftPolicy,
    ImportMode,
    ObjectKind,
    PlanAction,
    RefKind,
)
from jobferry.domain.references import Reference
from jobferry.package.manifest import parse_requirements
from jobferry.package.model import PackageObject
from jobferry.package.signature import SignatureCheck
from jobferry.services.context import Scope, registry_of
from jobferry.services.importing.basis import check_basis
from jobferry.services.importing.checks import (
    PACKAGE_KINDS,
    References,
    SecretCheck,
    check_object,
    check_package_signature,
    drift_problem,
    renamed_in_use,
)
from jobferry.services.importing.decide import decide, older_problem
from jobferry.services.importing.deletes import Deletes, deletions_not_applied, name_conflicts
from jobferry.services.importing.delivery import LOCAL, Delivery
from jobferry.services.importing.findings import Findings, environment_report, note_users
from jobferry.services.importing.matching import Matcher, package_source
from jobferry.services.importing.model import (
    SHOWN_PROBLEMS,
    WRITES,
    NotApplied,
    PlannedObject,
    PlanOutcome,
    Problem,
    Record,
)
from jobferry.services.importing.ordering import (
    JobGraph,
    cycle_problems,
    failing_objects,
    resolve_pending,
)
from jobferry.services.importing.policy import PolicyChoice, choose_policy
from jobferry.services.importing.ports import OpenedPackage, TargetReader
from jobferry.services.importing.prepare import (
    Preparation,
    PreparedAhead,
    planned,
    prepare,
    transformed,
)
from jobferry.services.importing.recording import record_of, writes_ahead
from jobferry.services.importing.request import ImportRequest, refuse_unknown_jobs
from jobferry.services.importing.rewrites import locked_rewrites, plan_rewrites
from jobferry.services.importing.transform import Transform
from jobferry.services.policies.planning import policy_problems
from jobferry.services.support.collector import collect_batch_garbage
from jobferry.services.workspaces.profiles import ResolvedProfile
from jobferry.storage.importing.workset import Workset

BATCH = 500
"""Objects planned together (one target query per kind, one write to the working set)."""
_TAG, _JOB = RefKind.TAG, RefKind.JOB
_JOB_KIND, _SCRIPT = ObjectKind.JOB, ObjectKind.SCRIPT
_RANK = {str(kind): rank for kind, rank in KIND_ORDER.items()}


@dataclass(frozen=True)
class PlanContext:
    """What a plan is made for: where, from which request, under which rules."""

    target: TargetReader
    """The workspace the plan is made for, as the plan reads it (:mod:`.ports`)."""
    scope: Scope
    request: ImportRequest
    max_nodes: int
    environment_report: bool = False
    helper: bool = False
    """Read and prepare the package in a helper process (:mod:`.prepare`): a large package."""
    write_ahead: Callable[[list[tuple[int, Record]]], None] | None = None
    """Where the objects an ATOMIC import creates go as soon as their batch is planned
    (``apply.Applier.ahead``), when the plan reads a snapshot that those writes cannot change
    (the target is then read on another connection than the one they are written on)."""
    said: Callable[[int], None] | None = None
    """Told after each batch how many of the package's objects were planned so far (a
    task's progress)."""
    delivery: Delivery = LOCAL
    """Where the import's changes go, which may refuse some (:meth:`Delivery.plan_problems`)."""


def _batches(objects: Iterable[PackageObject]) -> Iterator[list[PackageObject]]:
    stream = iter(objects)
    while batch := list(islice(stream, BATCH)):
        yield batch


def header_extra(
    target: TargetReader, scope: Scope, request: ImportRequest, reader: OpenedPackage
) -> list[str]:
    """What a plan's fingerprint hashes beside the target's objects, derived as
    :class:`Planner` derives it, from the package's manifest and signature (none of its
    objects) and the target: the apply of a kept plan hashes it again (:mod:`.kept`)."""
    resolved = target.profile(request.profile)
    transform = Transform(request, resolved.profile if resolved else None, datetime.now(UTC))
    secrets = SecretCheck(target, scope, parse_requirements(reader.manifest), transform)
    signature, _ = check_package_signature(target, scope, reader)
    policy = choose_policy(request.same_name_policy, target, package_source(reader).workspace_id)
    return _extra(scope, resolved, signature, secrets, policy)


def _extra(
    scope: Scope,
    resolved: ResolvedProfile | None,
    signature: SignatureCheck | None,
    secrets: SecretCheck,
    policy: PolicyChoice,
) -> list[str]:
    ws = scope.workspace
    return [
        f"policy|{ws.lock_policy}|{ws.approval_enabled}",
        f"signed|{ws.require_signed}|{signature.state if signature else ''}",
        f"profile|{resolved.name if resolved else ''}|{resolved.version if resolved else ''}",
        f"secrets|{sorted(secrets.states.items())}",
        f"sameNamePolicy|{policy.applied}",
    ]


class Planner:
    """One plan of one package into the scope's workspace (no writes but the working set)."""

    def __init__(self, ctx: PlanContext, reader: OpenedPackage, workset: Workset) -> None:
        self.ctx, self.reader, self.workset = ctx, reader, workset
        scope = ctx.scope
        self.ws_id, self.ws_name = scope.workspace.id, scope.workspace.name
        self.registry = registry_of(scope.workspace)
        self.state = ctx.target
        self.resolved: ResolvedProfile | None = self.state.profile(ctx.request.profile)
        self.transform = Transform(
            ctx.request, self.resolved.profile if self.resolved else None, datetime.now(UTC)
        )
        self.transform.check_zone("timeZone.zone")
        requirements = parse_requirements(reader.manifest)
        self.secrets = SecretCheck(self.state, scope, requirements, self.transform)
        self.signature, self.package_problems = check_package_signature(self.state, scope, reader)
        self.source = package_source(reader)
        self.matcher = Matcher(self.state, self.source, reader, ctx.request)
        self.policy = choose_policy(
            ctx.request.same_name_policy, self.state, self.source.workspace_id
        )
        self.owned = self.resolved.profile.target_owned if self.resolved else ()
        self.owned_in_jobs = self.owned + ctx.delivery.kept_job_fields(scope)
        self.found = Findings(needs=self.secrets.needs)
        self.seq = 0
        ws, identified = scope.workspace, self.source.workspace_id is not None
        preparation = Preparation(self.transform, identified, ctx.max_nodes, (ws.name, ws.id))
        self.ahead = PreparedAhead(partial(prepare, preparation), always=ctx.environment_report)
        self.not_applied: tuple[list[NotApplied], int] = ([], 0)

    # -- the whole plan --------------------------------------------------------------------------

    def run(self) -> PlanOutcome:
        """Plan every object of the package; the outcome (records are in the working set)."""
        check_basis(self.state, self.reader.manifest, self.ws_name)
        objects = self.ahead.objects(self.reader) if self.ctx.helper else self.reader.objects()
        planned = 0
        for batch in _batches(objects):
            collect_batch_garbage()
            self._plan_batch(batch)
            planned += len(batch)
            if self.ctx.said is not None:
                self.ctx.said(planned)
        asked = self.ctx.request
        refuse_unknown_jobs(asked, self.reader.present("job", sorted(asked.jobs_param)))
        report = self.found.absent if self.ctx.environment_report else None
        late = resolve_pending(self.workset, self.reader.present, report)
        self._plan_deletes()
        late += name_conflicts(self.workset, self.ws_name)
        late += locked_rewrites(self.ctx.scope, self.state, self.workset)
        late += self.ctx.delivery.plan_problems(
            self.ctx.scope, self.ctx.request, self.workset, self.reader.sha256[:12]
        ).noted(self.workset, self.package_problems)
        graph = JobGraph(self.workset)
        late += cycle_problems(graph, self.state)
        late += policy_problems(
            self.state.policies(self.ctx.request.path),
            self.reader.sha256[:12],
            self.workset,
            self.package_problems,
        )
        for seq, problem in late:
            self.found.note(seq, [problem])
        order = array("l", self.workset.deletes_in_order())
        order.extend(self.workset.others_in_order())
        order.extend(graph.apply_order())
        failing: dict[int, str] = {}
        if self.ctx.request.mode is ImportMode.PER_OBJECT and self.found.problem_seqs:
            failing = failing_objects(self.workset, order, self.found.problem_seqs)
        return self._outcome(order, failing)

    def _plan_deletes(self) -> None:
        """What the import deletes (``propagateDeletes``), after the package's objects."""
        ctx = self.ctx
        planned = Deletes(ctx.scope, ctx.request, self.matcher, self.workset)
        rows: list[tuple[Any, ...]] = []
        for seq, record, problems in planned.plan(self.seq + 1):
            self.seq = seq
            self.found.counts[PlanAction.DELETE] += 1
            self.found.note(seq, problems)
            rank = _RANK[record.kind]
            rows.append(
                (
                    seq,
                    rank,
                    record.kind,
                    record.name,
                    "",
                    record.action,
                    record.packed(),
                    record.target_uid,
                    None,
                )
            )
        self.workset.add(rows)
        self.not_applied = deletions_not_applied(ctx.scope, ctx.request, self.matcher, self.workset)

    def _outcome(self, order: array[int], failing: dict[int, str]) -> PlanOutcome:
        rewrites = plan_rewrites(self.ctx.scope, self.state, self.workset, failing)
        position = {seq: at for at, seq in enumerate(order) if seq in self.found.problem_seqs}
        found = self.found.found(self.ws_name)
        shown = sorted(found, key=lambda item: position.get(item[0], 0))
        problems = self.package_problems + [p for _, p in shown]
        extra = _extra(self.ctx.scope, self.resolved, self.signature, self.secrets, self.policy)
        outcome = PlanOutcome(
            fingerprint=self.state.fingerprint(extra),
            counts=self.found.counts,
            problems=problems[:SHOWN_PROBLEMS],
            problems_total=len(self.package_problems) + self.found.problems_total,
            order=order,
            failing=failing,
            package_problems=self.package_problems,
            signature=self.signature,
            profile=self.resolved,
            policy=self.policy,
            not_applied=self.not_applied[0],
            not_applied_total=self.not_applied[1],
            rewrites=rewrites.total,
            rewrites_locked=rewrites.locked,
        )
        if self.ctx.environment_report:
            users, states = self.found, self.secrets.states
            outcome.environment = environment_report(
                users.absent, self.ws_name, states, users.absent_in_scripts, self.registry
            )
        return outcome

    # -- one batch ---------------------------------------------------------------------------------

    def _plan_batch(self, objects: list[PackageObject]) -> None:
        items = [self._transformed(obj) for obj in objects]
        self.matcher.match(items)
        cdm_names = {i.name for i in items if i.kind is ObjectKind.CDM_JOB}
        cdm = self.state.existing({(str(ObjectKind.CDM_JOB), self.ws_id): cdm_names})
        for item in items:
            self._decide(item, cdm)
        self.ahead.planned(items)
        references = self._references(items)
        rows: list[tuple[Any, ...]] = []
        edges: list[tuple[int, str]] = []
        pending: list[tuple[int, str, str, bytes]] = []
        ahead: list[tuple[int, Record]] = []
        for item in items:
            self.seq += 1
            problems = self._problems(item, references, pending)
            self.found.counts[item.action] += 1
            self.found.note(self.seq, problems)
            record = record_of(item, problems)
            if writes_ahead(item, problems):
                ahead.append((self.seq, record))
            rows.append(
                (
                    self.seq,
                    _RANK[item.kind],
                    item.kind,
                    item.name,
                    item.path,
                    item.action,
                    record.packed(),
                    item.target.uid if item.target else None,
                    item.holder,
                )
            )
            edges += self._edges(item)
        self.workset.add(rows)
        self.workset.add_edges(edges)
        self.workset.add_pending(pending)
        if ahead and self.ctx.write_ahead is not None and not self.package_problems:
            self.ctx.write_ahead(ahead)

    def _transformed(self, obj: PackageObject) -> PlannedObject:
        if obj.prepared is not None:
            return planned(obj, obj.prepared)
        item = transformed(self.transform, obj, self.source.workspace_id is not None)
        if item.raw is not None:
            item.stored = obj.stored
        return item

    def _decide(self, item: PlannedObject, cdm: set[tuple[str, str, str]]) -> None:
        """The object's action against its match in the target."""
        request = self.ctx.request
        owned = self.owned_in_jobs if item.kind is ObjectKind.JOB else self.owned
        decide(item, request, owned, self.policy, self.source.created_at)
        if item.kind is ObjectKind.CDM_JOB:
            held = (str(ObjectKind.CDM_JOB), self.ws_id, item.name) in cdm
            item.action = PlanAction.UNCHANGED if held else PlanAction.CREATE
        if (
            item.kind is ObjectKind.JOB
            and item.action is PlanAction.CREATE
            and request.target_directory
        ):
            item.document["directory"] = request.target_directory
            item.changed()

    def _references(self, items: list[PlannedObject]) -> References:
        """What the target and the package read so far hold of the batch's references."""
        asked: dict[tuple[str, str], set[str]] = {}
        local: dict[str, set[str]] = {}
        for ref in self._looked_up(items):
            self._ask(ref, asked, local)
        present = {
            (kind, name)
            for kind, names in local.items()
            for name in self.reader.present(kind, sorted(names))
        }
        for (kind, ws), names in asked.items():
            if ws == self.ws_id:
                names.difference_update(n for n in list(names) if (kind, n) in present)
        existing = self.state.existing({key: names for key, names in asked.items() if names})
        return References(self.state, self.ws_id, self.ws_name, existing, present, self.registry)

    def _ask(
        self, ref: Reference, asked: dict[tuple[str, str], set[str]], local: dict[str, set[str]]
    ) -> None:
        """Note a reference to look up: in the target (per kind and workspace), and in the
        package when it is of a kind a package holds."""
        kind = str(ref.kind)
        if ref.kind is _TAG:
            return
        if ref.workspace:
            ws = self.state.workspace_id(ref.workspace)
            if ws is not None and ref.kind is _JOB:
                asked.setdefault((kind, ws), set()).add(ref.name)
            return
        if kind in PACKAGE_KINDS:
            local.setdefault(kind, set()).add(ref.name)
        asked.setdefault((kind, self.ws_id), set()).add(ref.name)

    def _looked_up(self, items: list[PlannedObject]) -> Iterator[Reference]:
        """The references the batch's checks look up, together: every reference of each job
        and script to write (a script's connection and DLI queue, read from the script: a
        folder's package, or one without a manifest, requires none); for an environment
        report, every reference of every job and script."""
        report = self.ctx.environment_report
        for item in items:
            if item.kind in (_JOB_KIND, _SCRIPT) and (item.action in WRITES or report):
                yield from item.distinct_refs

    def _problems(
        self,
        item: PlannedObject,
        references: References,
        pending: list[tuple[int, str, str, bytes]],
    ) -> list[Problem]:
        """Every problem of one planned object: what writing it shows, its references (a
        script's connection, a job's every reference), the secrets of the connections it uses."""
        writes = item.action in WRITES
        problems = self._writing_problems(item) if writes else []
        if item.kind is _SCRIPT and writes:
            problems += references.check_script(item)
        if item.kind is _SCRIPT and self.ctx.environment_report:
            note_users(references.script_absent(item), item.name, self.found.absent_in_scripts)
        if item.kind is _JOB_KIND and (writes or self.ctx.environment_report):
            problems += self._job_references(item, references, pending, writes)
        problems += self.secrets.problems(item)
        return problems

    def _writing_problems(self, item: PlannedObject) -> list[Problem]:
        """What an object to write shows: its transform's problems, its definition, lock and
        schedule, its drift, a rename of a job other workspaces use."""
        request = self.ctx.request
        problems = item.problems
        problems += check_object(item, self.ctx.scope, self.state, request, self.ctx.max_nodes)
        if item.drift is not None and request.on_drift is DriftPolicy.FAIL:
            problems.append(drift_problem(item, self.ws_name))
        created = self.source.created_at
        if item.newer is not None and created is not None and request.on_drift is DriftPolicy.FAIL:
            times = (item.newer, created)
            again = PlanAction.CREATE if item.target is None else None
            problems.append(older_problem(item.kind, item.name, self.ws_name, times, action=again))
        if item.action is PlanAction.RENAME:
            problems += renamed_in_use(self.state, self.ctx.scope, item)
        return problems

    def _job_references(
        self,
        item: PlannedObject,
        references: References,
        pending: list[tuple[int, str, str, bytes]],
        writes: bool,
    ) -> list[Problem]:
        """A job's references checked (``writes``: the job is written, else only for the
        environment report): the problems found now; those the package may still answer
        noted as pending; the environment objects it lacks noted with the job as a user."""
        checked = references.check(item, report_only=not writes)
        for ref in checked.pending:
            packed = None if ref.problem is None else ref.problem.packed()
            pending.append((self.seq, ref.kind, ref.name, marshal.dumps((item.name, packed))))
        note_users(checked.absent, item.name, self.found.absent)
        return checked.problems

    def _edges(self, item: PlannedObject) -> list[tuple[int, str]]:
        """The dependencies of a job the import writes on jobs of its own workspace (for the
        order and for cycles; the jobs it leaves keep the target's)."""
        if item.kind is not ObjectKind.JOB or item.action not in WRITES:
            return []
        names = sorted({r.name for r in item.refs if r.kind is _JOB and not r.workspace})
        return [(self.seq, name) for name in names]
