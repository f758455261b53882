"""The API's routers are registered with the most polled calls first (``api.app.ROUTERS``):
that order must change nothing but the cost of matching. Every route, asked for with a path of
its own shape, is reached by itself, never by a route registered before it."""

from __future__ import annotations

import re

from fastapi.routing import APIRoute

from jobferry.api.app import ROUTERS

PARAM = re.compile(r"\{([^}:]+)(:[^}]*)?\}")


def _routes() -> list[APIRoute]:
    return [r for module in ROUTERS for r in module.router.routes if isinstance(r, APIRoute)]


def _sample(path: str) -> str:
    """The route's path with each parameter filled in by a value no literal segment holds."""
    return PARAM.sub(lambda m: f"p-{m.group(1)}-0", path)


def test_every_route_is_reached_by_itself_whatever_the_order() -> None:
    routes = _routes()
    stolen = []
    for position, route in enumerate(routes):
        path = _sample(route.path)
        for earlier in routes[:position]:
            if earlier.methods & route.methods and earlier.path_regex.fullmatch(path):
                stolen.append(f"{sorted(route.methods)} {route.path} ← {earlier.path}")
                break
    assert not stolen, "these routes are answered by a route registered before them:\n" + (
        "\n".join(stolen)
    )


def test_the_most_polled_reads_are_matched_first() -> None:
    paths = [r.path.removeprefix("/v1/{project_id}") for r in _routes()]
    reads = ("/jobs", "/jobs/{job_name}", "/scripts", "/scripts/{script_name}", "/resources")
    assert all(paths.index(path) < 30 for path in reads), paths[:30]
