"""Workspaces by name or by id: what ``--workspace``, ``workspace =`` and ``JOBFERRY_WORKSPACE``
may say.

The ``workspace`` header carries a workspace's 32-hex id. People know workspaces by name, so
every remote command also takes a name and looks it up in ``GET /workspaces`` (the workspaces
the caller has a role in) before its first call. A value of 32 hexadecimal digits is an id and
is sent as it is, without a look-up, which is what the real DataArts endpoint needs (it does not
serve jobferry's workspace list).

An enterprise workspace's production side is hidden from that list, but named after its
workspace with " (production)": the look-up knows it by that name too (from its workspace's
``productionWorkspaceId``), and the release commands, which name the development side, take a
production side (by name or id) for its workspace.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from jobferry.cli.client import ApiClient, ApiError, ConnectionProblemError
from jobferry.cli.exits import CliUsageError
from jobferry.cli.output import mapping
from jobferry.domain.releases import PRODUCTION_SUFFIX

WORKSPACE_ID = re.compile(r"[0-9a-fA-F]{32}")


def is_workspace_id(value: str) -> bool:
    """Whether ``value`` is a workspace id (32 hex digits) rather than a name."""
    return WORKSPACE_ID.fullmatch(value) is not None


@dataclass(frozen=True)
class Workspace:
    """A workspace the caller has a role in."""

    id: str
    name: str
    is_default: bool = False
    development: str | None = None
    """A production side: the id of the enterprise workspace it belongs to."""
    production: str | None = None
    """An enterprise workspace: the id of its production side."""

    @property
    def label(self) -> str:
        """``name (id)`` for messages."""
        return f"{self.name} ({self.id})"

    @property
    def production_label(self) -> str | None:
        """An enterprise workspace's production side as :attr:`label` says a workspace."""
        if self.production is None:
            return None
        return f"{self.name}{PRODUCTION_SUFFIX} ({self.production})"


def listed(client: ApiClient) -> list[Workspace]:
    """The caller's workspaces (``GET /workspaces``, a jobferry extension, asked about the
    project: without a workspace header), each enterprise one followed by its production
    side."""
    answer = mapping(client.call("GET", "/workspaces", scoped=False))
    found = []
    for item in answer.get("workspaces") or []:
        entry: dict[str, Any] = mapping(item)
        if isinstance(entry.get("id"), str) and isinstance(entry.get("name"), str):
            production = entry.get("productionWorkspaceId")
            side = production if isinstance(production, str) and production else None
            default = bool(entry.get("isDefault"))
            found.append(Workspace(entry["id"], entry["name"], default, production=side))
            if side is not None:
                named = f"{entry['name']}{PRODUCTION_SUFFIX}"
                found.append(Workspace(side, named, development=entry["id"]))
    return found


def find_by_name(client: ApiClient, name: str) -> Workspace:
    """The caller's workspace called ``name``; refused (exit 2) with the known names."""
    try:
        known = listed(client)
    except ApiError as exc:
        if exc.status not in (400, 404):
            raise
        raise CliUsageError(
            f"Workspace '{name}' is a name, and {client.endpoint} cannot look names up (it "
            f"answered {exc.code}: it is not a jobferry server); give the workspace's "
            "32-character id instead.",
            code="workspace",
        ) from exc
    matched = [w for w in known if w.name == name]
    if len(matched) > 1:
        raise CliUsageError(
            f"Workspace name '{name}' is ambiguous: it names "
            + ", ".join(w.label for w in matched)
            + "; pass the id of the one you mean to --workspace.",
            code="workspace",
            ids=[w.id for w in matched],
        )
    if matched:
        return matched[0]
    names = ", ".join(sorted(w.name for w in known)) or "none"
    raise CliUsageError(
        f"Workspace '{name}' is not one of your workspaces (yours: {names}; a production side is "
        "named after its workspace with ' (production)'); pass one of those names or an id "
        "from 'jobferry workspaces list' to --workspace, or ask a workspace admin for a role "
        "in it.",
        code="workspace",
        known=sorted(w.name for w in known),
    )


def describe(client: ApiClient, workspace_id: str | None) -> Workspace | None:
    """The workspace an id (or, for ``None``, the default workspace) names, when the endpoint
    can tell (``None`` against an endpoint without the workspace list, or one that stopped
    answering: a label or a command to copy then names the workspace by its id, and the work
    already done is still said)."""
    try:
        known = listed(client)
    except (ApiError, ConnectionProblemError):
        return None
    for workspace in known:
        if workspace.id == workspace_id or (workspace_id is None and workspace.is_default):
            return workspace
    return None


MEMBERS_PAGE = 100
"""Members asked a page (``list_workspaceusers``' largest ``limit``)."""


def members(client: ApiClient, workspace_id: str) -> list[dict[str, Any]]:
    """Every member of a workspace (``list_workspaceusers``), a page after another: ``offset``
    counts rows, and a page bringing nobody new ends the walk (a server counting pages)."""
    found: list[dict[str, Any]] = []
    seen: set[object] = set()
    while True:
        query = {"limit": MEMBERS_PAGE, "offset": len(found)}
        answer = mapping(client.call("GET", f"/{workspace_id}/users", query=query, api="v2"))
        page = [m for m in answer.get("data") or [] if mapping(m).get("user_id") not in seen]
        found += page
        seen.update(m.get("user_id") for m in page)
        if not page or len(found) >= int(answer.get("count") or 0):
            return found
