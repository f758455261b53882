"""The pieces every fix the ``jobferry`` command says is made of (``cli.fixes``,
``cli.route_fixes``): a workspace option, a name as a shell takes it, a problem's reference."""

from __future__ import annotations

import shlex
from typing import Any

from jobferry.domain.enums import ObjectKind

CARRIED = (ObjectKind.SCRIPT, ObjectKind.RESOURCE, ObjectKind.CDM_JOB)
"""Kinds a package brings along with the jobs that use them (export with dependencies)."""


def in_workspace(workspace: str | None) -> str:
    return f" -w {shlex.quote(workspace)}" if workspace else ""


def quoted(name: Any) -> str:
    return shlex.quote(str(name))


def reference(problem: dict[str, Any]) -> tuple[str, str] | None:
    ref = problem.get("reference")
    if isinstance(ref, dict) and ref.get("kind") and ref.get("name") is not None:
        return str(ref["kind"]), str(ref["name"])
    return None
