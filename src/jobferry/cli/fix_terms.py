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


def as_released(workspace: str | None) -> str:
    """The two commands that bring what ``workspace`` submitted into its production side as
    released (what it submitted before its switch to enterprise mode has no pending item)."""
    w = in_workspace(workspace)
    return (
        f"jobferry export --workspace-all --status submit -o FILE{w}, then jobferry import FILE "
        f"--status production{w}"
    )


def quoted(name: Any) -> str:
    return shlex.quote(str(name))


def reference(problem: dict[str, Any]) -> tuple[str, str] | None:
    ref = problem.get("reference")
    if isinstance(ref, dict) and ref.get("kind") and ref.get("name") is not None:
        return str(ref["kind"]), str(ref["name"])
    return None


def refresh_shadow(remote: str) -> str:
    """A remote's shadow takes a change made in DataArts by a refresh."""
    return f"refresh the shadow (jobferry remotes refresh {quoted(remote)})"


def stop_it(name: Any, workspace: str | None, remote: str | None) -> str:
    """How to stop a scheduled job of the target: ``jobs stop``, or (``remote``: the target is
    that remote's shadow, which refuses it) in DataArts, then a refresh."""
    if remote:
        return f"stop it in DataArts, then {refresh_shadow(remote)}"
    return f"stop it (jobferry jobs stop {quoted(name)}{in_workspace(workspace)})"


def in_target(remote: str | None, command: str) -> str:
    """Where a change to the target is made: with ``command``, or (``remote``: the target is
    that remote's shadow, which refuses it) in DataArts, then a refresh."""
    if remote:
        return f"in DataArts, then {refresh_shadow(remote)}"
    return f"in the target ({command})"


def name_conflict(command: str, remote: str | None, workspace: str | None = None) -> str:
    """The fix of an object of the target (``workspace``) that holds a name the package gives
    another: rename or delete it there, or, when the source deleted it, ``command`` (what
    imports) with --propagate-deletes."""
    rename = in_target(
        remote, f"jobferry jobs rename NAME NEW_NAME{in_workspace(workspace)} for a job"
    )
    return (
        f"rename or delete that object {rename}, or {command} with --propagate-deletes if the "
        "source deleted it"
    )


def set_secrets(connection: str, workspace: str | None) -> str:
    """The fix of a connection whose secrets are not set, in ``workspace``: set them."""
    return (
        f"set its secrets: jobferry env put connection {quoted(connection)} --type … "
        f"--secret KEY=@FILE{in_workspace(workspace)}"
    )


def register_it(kind: str, name: str, workspace: str | None, needs: Any = None) -> str:
    """The command that registers a missing environment object in the target: of the type and
    with the secrets the package says its source's has (a plan problem's ``needs``), where it
    says them; else ``…`` for the type and one ``KEY=@FILE`` a secret a connection needs."""
    said = needs if isinstance(needs, dict) else {}
    type_ = said.get("type") if isinstance(said.get("type"), str) else None
    secrets = [str(k) for k in said.get("secrets") or [] if isinstance(k, str)]
    typed = f" --type {quoted(type_)}" if type_ else " --type …"
    put = f"jobferry env put {kind} {quoted(name)}{typed}"
    if secrets:
        put += "".join(f" --secret {quoted(k + '=@FILE')}" for k in secrets)
    elif kind == "connection":
        return (
            f"{put} --secret KEY=@FILE{in_workspace(workspace)} (one KEY=@FILE per secret it needs)"
        )
    return put + in_workspace(workspace)
