"""Definitions as stored: JSON text with the client's key order and unknown keys kept."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from jobferry.domain.definitions import CONTROL_FIELDS, SERVER_FIELDS, canonical
from jobferry.domain.enums import ObjectKind
from jobferry.domain.references import first_occurrences, job_references
from jobferry.domain.report import Violation
from jobferry.errors import (
    InvalidRequestError,
    JobNameError,
    JobNameMissingError,
    ResourceDescriptionError,
    ResourceLocationError,
    ResourceTypeError,
    ScheduleInvalidError,
    ScriptTypeMissingError,
    ValidationFailedError,
)
from jobferry.package.model import normalised

__all__ = ["CONTROL_FIELDS", "SERVER_FIELDS", "dump", "load", "raise_violations", "split_body"]

_SPECIFIC: dict[str, type[InvalidRequestError]] = {
    cls.code: cls
    for cls in (
        JobNameMissingError,
        JobNameError,
        ScheduleInvalidError,
        ScriptTypeMissingError,
        ResourceTypeError,
        ResourceLocationError,
        ResourceDescriptionError,
    )
}


def dump(doc: Mapping[str, Any]) -> str:
    """Serialise a definition compactly, keeping key order and non-ASCII text as is."""
    return orjson.dumps(doc).decode()


def load(text: str) -> dict[str, Any]:
    """Parse a stored definition (key order preserved)."""
    value = orjson.loads(text)
    assert isinstance(value, dict)
    return value


def split_body(kind: ObjectKind, body: Mapping[str, Any]) -> tuple[dict[str, Any], Any, Any]:
    """Separate a request body into (definition, targetStatus, approvers): the definition
    without the keys the server owns (a job's or script's ``version``, the count show_job and
    show_script answer, is the server's; a body made from that answer carries it back), a script's
    ``currentDatabase`` copied to ``database`` as an import of the same file copies it."""
    doc = normalised(kind, canonical(kind, dict(body)))
    return doc, body.get("targetStatus"), wire_approvers(body.get("approvers"))


def wire_approvers(approvers: Any) -> Any:
    """The approvers as read: the snake_case ``approver_name`` the Terraform provider sends
    for a script (its configuration's own spelling) is ``approverName``; an approver giving
    both is refused rather than one silently dropped. Anything else is left for the shape
    check to judge."""
    if not isinstance(approvers, list):
        return approvers
    read = []
    for approver in approvers:
        if isinstance(approver, dict) and "approver_name" in approver:
            if "approverName" in approver:
                raise InvalidRequestError(
                    "An approver gives its name twice: as approver_name and in the field "
                    "approver_name is read as; give it once.",
                    parameter="approvers",
                )
            approver = {
                ("approverName" if k == "approver_name" else k): v for k, v in approver.items()
            }
        read.append(approver)
    return read


def raise_violations(kind: str, name: object, violations: Sequence[Violation]) -> None:
    """Refuse a definition with every violation listed, or return if there is none."""
    if not violations:
        return
    codes = {v.code for v in violations}
    cls: type[InvalidRequestError] = ValidationFailedError
    if len(codes) == 1:
        cls = _SPECIFIC.get(next(iter(codes)), ValidationFailedError)
    label = f"{kind} '{name}'" if isinstance(name, str) and name else kind
    count = len(violations)
    summary = "; ".join(f"{v.field}: {v.message}" for v in violations[:10])
    more = f" (and {count - 10} more)" if count > 10 else ""
    raise cls(
        f"The {label} definition is invalid ({count} problem{'s' if count > 1 else ''}): "
        f"{summary}{more}",
        details=[
            {"field": v.field, "rule": v.rule, "code": v.code, "message": v.message}
            for v in violations
        ],
    )


def reference_index(doc: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """A job's reference index rows: (kind, name, other workspace or '') of each distinct
    reference of ``doc``, in the order of first occurrence."""
    refs = first_occurrences(job_references(doc))
    return [(ref.kind.value, ref.name, ref.workspace or "") for ref in refs]
