"""Routes on the wire: a route's canonical document with its version and who saved it."""

from __future__ import annotations

from typing import Any

from jobferry.services.routes.service import RouteVersion


def route_view(item: RouteVersion) -> dict[str, Any]:
    """One version of a route as the API answers it."""
    return {
        **item.route.document(),
        "version": item.version,
        "updateTime": item.updated_at,
        "updateUser": item.updated_by,
    }
