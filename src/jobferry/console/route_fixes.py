"""What the console tells a person about a refusal about a route: said with the Routes page
and the route's own page (``fixes.said`` asks here, after the release packages)."""

from __future__ import annotations

from jobferry.errors import (
    JobferryError,
    NotSupportedError,
    PromotedMeanwhileError,
    RouteNotFoundError,
    WorkspaceNotFoundError,
)


def route_refusal(exc: JobferryError) -> str | None:
    """A refusal about a route, said with the Routes page (``None``: not about a route)."""
    context = exc.context
    name = context.get("route")
    if isinstance(exc, RouteNotFoundError):
        return (
            f"There is no route '{name}' (or not that version of it) in this project; the "
            "Routes page lists them."
        )
    if isinstance(exc, WorkspaceNotFoundError) and name:
        return (
            f"Route '{name}' names workspace '{context.get('workspace')}', which does not "
            "exist in this project; choose another on the route's page (Routes), or create "
            "that workspace first."
        )
    if isinstance(exc, PromotedMeanwhileError):
        return f"{exc.problem} Follow that import on its task's page (Tasks)."
    if isinstance(exc, NotSupportedError) and name:
        return (
            f"Route '{name}' has an end on another server; the console promotes only between "
            "workspaces of this server: carry its packages with the command line's jobferry "
            "promote, on the source server and then on the target server."
        )
    return None
