"""What tasks say as they go: each progress a service says (``TaskService.advance``), noted
before the task service decides whether and where to write it (which it still does)."""

from __future__ import annotations

import pytest

from jobferry.services.container import Services


def said_by(
    services: Services, monkeypatch: pytest.MonkeyPatch, task_id: str | None = None
) -> list[tuple[int, str]]:
    """Note from now on what the tasks of ``services`` say, as (progress, message), in order
    (only task ``task_id``'s, when given); the list returned fills as they say it."""
    said: list[tuple[int, str]] = []
    advance = services.tasks.advance

    def noted(task: str, progress: int, message: str, *, often: bool = False) -> None:
        if task_id is None or task == task_id:
            said.append((progress, message))
        advance(task, progress, message, often=often)

    monkeypatch.setattr(services.tasks, "advance", noted)
    return said
