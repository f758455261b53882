"""Signed approvals: what an approver signs, and the plan hash it binds to.

An approval is an Ed25519 signature, made with the approver's own key, over a **statement**:
four lines of UTF-8 text, each ending in ``\\n``::

    jobferry-approval/1
    workspace <the development workspace's id>
    subject <package:ID | route:NAME>
    plan <the plan hash, 64 lower-case hex characters>

The **plan hash** is the lower-case hex SHA-256 of this text (each line ending in ``\\n``)::

    jobferry-plan/1
    package <sha256 of the package file the plan imports>
    request <sha256 of the import's settings, as the kept plan records them>
    basis <kind/name> <definition hash the target holds, or ->   (one line per object, sorted)

A release package's basis is what production held of each object it touches when it was
planned (by the name it releases it under, and by the name production held it under when a
rename in the package moves it), so the hash moves when the package is planned again against
a production that changed (its approvals then count no more), and not when nothing it touches
moved; a route's plan has one basis line, ``basis target <the target's fingerprint>``, the
state the plan read.
Both texts are plain so that anyone can check an approval with no jobferry at hand: rebuild
the statement, hash, verify the signature with the approver's public key.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass

KEY_LABEL_LENGTH = 128
"""The longest label (``name``) an approval key is registered with."""

STATEMENT_FORMAT = "jobferry-approval/1"
"""The first line of a statement; a new form gets a new number."""
PLAN_HASH_FORMAT = "jobferry-plan/1"
"""The first line of the text a plan hash hashes."""
ROUTE_BASIS = "target"
"""The one basis key of a route's plan: the target's fingerprint."""
MAX_REQUIRED = 20
"""The most approvals a package or route may require."""
_HEX64 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class PlanFacts:
    """What a plan hash hashes: the package, the import's settings, the basis."""

    package_sha256: str
    request_sha256: str
    basis: Mapping[str, str | None]

    def text(self) -> str:
        """The canonical text (see the module docstring)."""
        lines = [
            PLAN_HASH_FORMAT,
            f"package {self.package_sha256}",
            f"request {self.request_sha256}",
        ]
        lines += [f"basis {key} {self.basis[key] or '-'}" for key in sorted(self.basis)]
        return "".join(f"{line}\n" for line in lines)

    def plan_hash(self) -> str:
        """The plan hash: hex SHA-256 of :meth:`text`."""
        return hashlib.sha256(self.text().encode("utf-8")).hexdigest()

    def wire(self) -> dict[str, object]:
        """The facts as an approvals file carries them."""
        return {
            "packageSha256": self.package_sha256,
            "requestSha256": self.request_sha256,
            "basis": dict(sorted(self.basis.items())),
        }


def package_subject(package_id: int | str) -> str:
    """The statement's subject for a release package."""
    return f"package:{package_id}"


def route_subject(route: str) -> str:
    """The statement's subject for a route's plan (the plan hash says which plan)."""
    return f"route:{route}"


def statement(workspace_id: str, subject: str, plan_hash: str) -> str:
    """The text an approver signs (see the module docstring)."""
    lines = [
        STATEMENT_FORMAT,
        f"workspace {workspace_id}",
        f"subject {subject}",
        f"plan {plan_hash}",
    ]
    return "".join(f"{line}\n" for line in lines)


def is_plan_hash(text: object) -> bool:
    """Whether ``text`` has the form of a plan hash."""
    return isinstance(text, str) and _HEX64.fullmatch(text) is not None


@dataclass(frozen=True)
class ApprovalRule:
    """How many approvals a plan needs, and from whom (empty: anyone who may approve)."""

    required: int = 0
    approvers: tuple[str, ...] = ()

    @property
    def on(self) -> bool:
        """Whether approvals are required at all."""
        return self.required > 0


def rule_problems(required: object, approvers: object) -> list[str]:
    """What is wrong with a rule's ``required`` count and ``approvers`` names."""
    problems: list[str] = []
    if isinstance(required, bool) or not isinstance(required, int) or required < 0:
        problems.append("the approvals required must be a whole number, 0 (none) or more")
    elif required > MAX_REQUIRED:
        problems.append(f"at most {MAX_REQUIRED} approvals may be required")
    if not isinstance(approvers, list | tuple) or not all(
        isinstance(a, str) and a for a in approvers
    ):
        problems.append("the approvers must be a list of user names")
    elif isinstance(required, int) and approvers and len(set(approvers)) < required:
        problems.append(
            f"{required} approvals are required but only {len(set(approvers))} approvers are named"
        )
    return problems
