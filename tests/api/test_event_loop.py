"""Routes stay plain ``def`` (FastAPI runs them on the thread pool), so storage and CPU work never
runs on the event loop; the few that must be ``async`` hand their work to the pool."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from fastapi import APIRouter

import jobferry.api.routes

LOOP_ROUTES = {"upload_package", "list_system_tasks"}
"""Routes that must be ``async``: multipart parsing needs the loop; a caller waiting for a
task's end must hold no thread of the pool (services/taskends.py)."""


def routers() -> list[APIRouter]:
    found = []
    for info in pkgutil.iter_modules(jobferry.api.routes.__path__):
        module = importlib.import_module(f"jobferry.api.routes.{info.name}")
        found.append(module.router)
    return found


def test_every_route_that_touches_storage_runs_on_the_thread_pool() -> None:
    endpoints = [route.endpoint for router in routers() for route in router.routes]  # type: ignore[attr-defined]
    assert len(endpoints) > 60
    on_loop = {fn.__name__ for fn in endpoints if inspect.iscoroutinefunction(fn)}
    assert on_loop == LOOP_ROUTES
    for fn in endpoints:
        if fn.__name__ in LOOP_ROUTES:
            assert "run_in_threadpool" in inspect.getsource(fn)
