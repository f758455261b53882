"""Routes stay plain ``def`` (FastAPI runs them on the thread pool), so storage and CPU work never
runs on the event loop; the few that must be ``async`` hand their work to the pool."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from types import ModuleType

import pytest
from fastapi import APIRouter

import jobferry.api.routes
import jobferry.console

LOOP_ROUTES = {"upload_package", "list_system_tasks"}
"""Routes that must be ``async``: multipart parsing needs the loop; a caller waiting for a
task's end must hold no thread of the pool (services/taskends.py)."""

LOOP_PAGES = {"signin", "task_status"}
"""The console's: the sign-in form is parsed on the loop; a progress box waiting for its
task's end holds no thread."""


def routers(package: ModuleType = jobferry.api.routes) -> list[APIRouter]:
    found = []
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        router = getattr(module, "router", None)
        if isinstance(router, APIRouter):
            found.append(router)
    return found


@pytest.mark.parametrize(
    ("package", "on_the_loop"),
    [(jobferry.api.routes, LOOP_ROUTES), (jobferry.console, LOOP_PAGES)],
    ids=["api", "console"],
)
def test_every_route_that_touches_storage_runs_on_the_thread_pool(
    package: ModuleType, on_the_loop: set[str]
) -> None:
    endpoints = [route.endpoint for router in routers(package) for route in router.routes]  # type: ignore[attr-defined]
    assert len(endpoints) > 60
    on_loop = {fn.__name__ for fn in endpoints if inspect.iscoroutinefunction(fn)}
    assert on_loop <= on_the_loop, (
        "make these plain def (FastAPI then runs them on the thread pool), or, if one must be "
        "async, hand its work to run_in_threadpool and list it in LOOP_ROUTES (api) or "
        f"LOOP_PAGES (console): {sorted(on_loop - on_the_loop)}"
    )
    assert on_loop == on_the_loop, f"no longer async (unlist them): {sorted(on_the_loop - on_loop)}"
    for fn in endpoints:
        if fn.__name__ in on_the_loop:
            assert "run_in_threadpool" in inspect.getsource(fn)
