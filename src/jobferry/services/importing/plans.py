"""Kept plans: a plan's head and its objects stored row by row, and read back a page at a time.

A dry run or a plan call keeps its plan so that an import can name it (``planId``: the import
is refused if the target changed since) and so that a person can read it. The objects are
written in plan order, a batch per short transaction (a 200,000-object plan never sits in one
text), then the head; a plan's view lists its first objects inline and says how many there are:
the rest are read with :meth:`PlanStore.objects`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from jobferry.domain.enums import ObjectKind, PlanAction
from jobferry.domain.remedies import Remedy
from jobferry.errors import InvalidRequestError, PlanStaleError
from jobferry.services.context import WRITERS, Scope, now_ms
from jobferry.services.definitions.documents import dump, load
from jobferry.services.importing.delivery import Deliveries
from jobferry.services.importing.model import PlanOutcome, Record
from jobferry.services.importing.request import ImportRequest
from jobferry.services.support.paging import check_window
from jobferry.storage import Database
from jobferry.storage.importing import plans as plan_repo
from jobferry.storage.importing.plans import PlanRecord
from jobferry.storage.importing.workset import Workset

INLINE_OBJECTS = 2000
"""Objects a plan's view lists itself; the rest are paged."""
MAX_PAGE = 1000
BATCH = 1000


@dataclass
class PlanStore:
    """Stores plans and pages their objects."""

    db: Database
    deliveries: Deliveries

    def keep(
        self,
        scope: Scope,
        plan: PlanOutcome,
        workset: Workset,
        request: ImportRequest,
        package_sha256: str,
    ) -> dict[str, Any]:
        """Store the plan with its objects; answer its view (the first objects inline)."""
        plan_id = uuid.uuid4().hex
        inline: list[dict[str, Any]] = []
        delivery = self.deliveries.of(scope.workspace)
        basis = delivery.basis(scope)
        try:
            for start in range(0, len(plan.order), BATCH):
                seqs = plan.order[start : start + BATCH]
                records = workset.records(seqs)
                lines = []
                for seq in seqs:
                    data, late = records[seq]
                    record = Record.unpacked(data)
                    lines.append((record, record.line(late)))
                if basis is not None:
                    _with_reads(lines, delivery.read_of(scope, [_read_key(ln) for _, ln in lines]))
                rows = []
                for at, (record, line) in enumerate(lines, start=start):
                    if len(inline) < INLINE_OBJECTS:
                        inline.append(line)
                    rows.append((at + 1, record.kind, record.action, dump(line)))
                with self.db.transaction() as tx:
                    plan_repo.insert_plan_objects(tx, plan_id, rows)
            head = {"planId": plan_id, "packageSha256": package_sha256, **plan.head()}
            if basis is not None:
                head["remoteState"] = basis
            kept = PlanRecord(
                plan_id,
                scope.workspace.id,
                package_sha256,
                request.fingerprint(),
                plan.fingerprint,
                dump(head),
                scope.actor.name,
                now_ms(),
            )
            with self.db.transaction() as tx:
                plan_repo.insert_plan(tx, kept)
        except BaseException:
            with self.db.transaction() as tx:
                plan_repo.delete_plan(tx, plan_id)
            raise
        view = {**head, "objects": inline, "objectsTotal": len(plan.order)}
        return view

    @staticmethod
    def describe(view: dict[str, Any]) -> str:
        """A plan view's counts in words, e.g. '3 to create, 1 to overwrite, 0 skipped, 2
        unchanged'."""
        c = view["summary"]
        return (
            f"{c[PlanAction.CREATE]} to create, {c[PlanAction.OVERWRITE]} to overwrite, "
            f"{c[PlanAction.SKIP]} skipped, {c[PlanAction.UNCHANGED]} unchanged"
        )

    def objects(
        self,
        scope: Scope,
        plan_id: str,
        *,
        offset: int,
        limit: int,
        action: str | None = None,
        kind: str | None = None,
    ) -> dict[str, Any]:
        """A page of a kept plan's objects in plan order (optionally of one action or kind)."""
        scope.require(WRITERS, "read import plans")
        if action is not None and action not in set(PlanAction):
            raise InvalidRequestError(
                f"action '{action}' is not a plan action; use one of {', '.join(PlanAction)}.",
                parameter="action",
            )
        if kind is not None and kind not in set(ObjectKind):
            raise InvalidRequestError(
                f"kind '{kind}' is not an object kind; use one of {', '.join(ObjectKind)}.",
                parameter="kind",
            )
        check_window(offset, limit, MAX_PAGE)
        with self.db.transaction(readonly=True) as tx:
            if plan_repo.get_plan(tx, scope.workspace.id, plan_id) is None:
                raise PlanStaleError(
                    f"Plan {plan_id} does not exist in workspace '{scope.workspace.name}' (plans "
                    "expire with the package TTL).",
                    fix="Make a plan first (POST /jobs/import/plan).",
                    remedy=Remedy.PLAN_AGAIN,
                    plan_id=plan_id,
                )
            total, lines = plan_repo.plan_objects(
                tx, plan_id, offset=offset, limit=limit, action=action, kind=kind
            )
        return {"planId": plan_id, "total": total, "objects": [load(line) for line in lines]}


def _read_key(line: dict[str, Any]) -> tuple[str, str]:
    """The object a plan line stands for in the target (a rename: its name there now)."""
    return str(line["kind"]), str(line.get("previousName") or line["name"])


def _with_reads(
    lines: list[tuple[Record, dict[str, Any]]], reads: dict[tuple[str, str], str]
) -> None:
    """Each line says what the plan read of its object in the workspace's truth (``remoteRead``:
    the hash of the definition read, ``None`` when it was not there)."""
    for _, line in lines:
        line["remoteRead"] = reads.get(_read_key(line))
