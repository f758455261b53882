"""What a save does beyond the development state: targetStatus, approvers, locks; and a
delete's optional body (``DeleteReq``: approvers)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jobferry.domain.enums import LockPolicy, Role, TargetStatus
from jobferry.domain.remedies import Remedy
from jobferry.domain.shapes import BodyShape, Extra, Field, JsonType, text
from jobferry.errors import (
    InvalidRequestError,
    LockedError,
    LockedTagError,
    RequiredParameterError,
)
from jobferry.services.context import Scope
from jobferry.services.support.requests import is_object_list
from jobferry.storage import Tx
from jobferry.storage import tags as tag_repo


def parse_target_status(requested: Any, approvers: Any) -> TargetStatus | None:
    """The wire ``targetStatus`` and ``approvers`` checked for shape (``None``: not given)."""
    if requested is None:
        target = None
    else:
        try:
            target = TargetStatus(requested)
        except ValueError:
            raise InvalidRequestError(
                f"targetStatus '{requested}' is not valid; use SAVED, SUBMITTED or PRODUCTION.",
                parameter="targetStatus",
            ) from None
    if approvers is not None and not is_object_list(approvers, "approverName"):
        raise InvalidRequestError(
            'approvers must be a list of {"approverName": "<user>"} objects.',
            parameter="approvers",
        )
    if any(not a["approverName"].strip() for a in approvers or ()):
        # A blank name names nobody, yet it would meet "at least one approver".
        raise InvalidRequestError(
            "approvers must each name a user: an approverName is empty.", parameter="approvers"
        )
    return target


DELETE = BodyShape(
    "DeleteReq (DataArts)",
    (
        Field(
            "approvers",
            "who approves the deletion where DataArts reviews it (checked, not used: a delete "
            "here is not reviewed)",
            (JsonType.ARRAY,),
            items=BodyShape(
                "JobApprover",
                (text("approverName", "the user who approves", required=True),),
                Extra.IGNORED,
            ),
            nullable=True,
        ),
    ),
    Extra.IGNORED,
)


def parse_delete(body: Mapping[str, Any]) -> tuple[str, ...]:
    """A delete call's optional body (``DeleteReq``) checked for shape, so that a body of
    another shape is refused before anything is deleted: the approvers' names."""
    approvers = body.get("approvers")
    parse_target_status(None, approvers)
    return tuple(a["approverName"] for a in approvers or ())


def saved_detail(target: TargetStatus, restored: int | None) -> dict[str, Any]:
    """The audit detail of a save: what it submitted (``targetStatus``), and the submitted
    version it gave back, when a restore made it (``restoredFrom``)."""
    detail: dict[str, Any] = {"targetStatus": target.value}
    if restored is not None:
        detail["restoredFrom"] = restored
    return detail


def resolve_target_status(scope: Scope, requested: Any, approvers: Any, what: str) -> TargetStatus:
    """Decide what a create/update submits.

    Without the workspace approval switch an absent ``targetStatus`` means SUBMITTED: the saved
    definition is also submitted as a new version, so a job created through the API can be
    started straight away, as on DataArts without review. With the switch on, ``targetStatus``
    is required and SUBMITTED needs approvers. PRODUCTION always needs the admin role.
    """
    ws = scope.workspace
    if requested is None and ws.approval_enabled:
        raise RequiredParameterError(
            f"Workspace '{ws.name}' has approval switched on, so saving {what} needs "
            "targetStatus: SAVED, SUBMITTED (with approvers) or PRODUCTION (admins only).",
            parameter="targetStatus",
        )
    target = parse_target_status(requested, approvers) or TargetStatus.SUBMITTED
    if target is TargetStatus.PRODUCTION:
        scope.require((Role.ADMIN,), f"save {what} with targetStatus PRODUCTION")
    if ws.approval_enabled and target is TargetStatus.SUBMITTED and not approvers:
        raise RequiredParameterError(
            f"Workspace '{ws.name}' has approval switched on; submitting {what} needs at least "
            "one approver in approvers.",
            parameter="approvers",
        )
    return target


def submitted_version(target: TargetStatus, latest: int | None) -> int | None:
    """The version a save with ``target`` submits: one past ``latest`` (the object's newest,
    ``None`` when it has none); ``None`` when it saves the development state only."""
    return (latest or 0) + 1 if target is not TargetStatus.SAVED else None


def locked_by_another(kind: str, name: str, holder: str, said: str) -> LockedError:
    """The refusal of a change, or a lock, of the job or script ``name`` that ``holder``
    holds a lock on (``said``: what was refused), with its fix."""
    return LockedError(
        said,
        fix=f"Ask '{holder}' to release the lock (DELETE /v1/{{project_id}}/locks/{kind}/{name}), "
        "or a workspace admin to release it for them.",
        remedy=Remedy.RELEASE_LOCK,
        kind=kind,
        name=name,
        holder=holder,
    )


def check_lock(tx: Tx, scope: Scope, kind: str, name: str) -> str | None:
    """Refuse a change to an object another user holds a lock on, under the hard policy;
    under the soft policy, which only warns, the name of that user (``None``: no other user's
    lock), for the caller to say the change passed over their lock."""
    lock = tag_repo.get_lock(tx, scope.workspace.id, kind, name)
    if lock is None or lock.holder_user_id == scope.actor.user_id:
        return None
    if scope.workspace.lock_policy == LockPolicy.HARD.value:
        raise locked_by_another(
            kind,
            name,
            lock.holder_name,
            f"The {kind} '{name}' is locked by '{lock.holder_name}' and workspace "
            f"'{scope.workspace.name}' uses the hard lock policy, so nothing was changed.",
        )
    return lock.holder_name


def check_tags(
    tx: Tx, scope: Scope, name: str, job_id: int | None, saved: Mapping[str, Any] | None
) -> None:
    """Refuse a change to job ``name`` when it carries a tag locked in the workspace, as stored
    (``job_id``; ``None``: a job not made yet) or in the definition ``saved`` (``None``: a
    delete or rename): a locked tag's jobs cannot change, whoever calls, as an import does not
    write them (its ``locked_tag`` problem)."""
    config = (saved or {}).get("basicConfig")
    named = config.get("tags") if isinstance(config, Mapping) else None
    wanted = [t for t in named if isinstance(t, str)] if isinstance(named, list) else []
    locked = tag_repo.locked_tags_of(tx, scope.workspace.id, job_id, wanted)
    if not locked:
        return
    said = ", ".join(f"'{tag}'" for tag in locked)
    raise LockedTagError(
        f"Job '{name}' carries tag(s) {said}, locked in workspace '{scope.workspace.name}': a "
        "locked tag's jobs cannot change, so nothing was changed.",
        fix="Ask a workspace admin to unlock the tag first"
        + (", or leave it out of the job's tags." if job_id is None else "."),
        job_name=name,
        tags=locked,
    )
