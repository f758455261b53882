"""What the console's Tasks page, a task's page and the download center must show and answer,
written from docs/console.md (*Tasks*, *Task*, *Download center*, the 404 pages) and
docs/api.md (system tasks, rollback of an import, the download center and its TTL), for the
stories of ``tests/console/test_generated_tasks.py``.

- Everyone in a workspace reads its Tasks page (newest first, a page at a time, of one kind,
  one status and one UTC day when the filter asks, its pages keeping the filter) and a task's
  page; an import that was rolled back is marked ROLLED BACK in the list and on its page, with
  who rolled it back; a finished import that wrote objects offers *Roll back this import* to
  admins and developers only; an export's page offers its package to them, and tells anyone
  else the package is there for its admins and developers.
- A rollback asked by one who may not roll back (operators, viewers) is refused with 403
  whether or not the task is there; by an admin or developer: a task that is not there (or of
  another workspace) is the 404 page, a task that is not a finished import, or one rolled back
  already, is refused on the task's page saying why; a refusal changes nothing.
- An export's page whose package is gone (expired, deleted) says so to everyone and offers no
  download (nor tells anyone to ask for it).
- The download center takes admins and developers (403 for anyone else, whatever the id): it
  lists the workspace's unexpired packages, each with *Delete*; a package not there (unknown,
  expired, deleted, another workspace's) is the 404 page, for its file, its *Delete* and its
  *Import into…*. *Import into…* a workspace where the viewer is an admin or developer opens
  that workspace's import wizard on the package; one naming no workspace, or a workspace that
  is not there, is refused on the center (400), one where the viewer may not import too (403).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from jobferry.domain.enums import Role, TaskKind, TaskStatus
from support.clock import Clock

ROLES = (Role.ADMIN, Role.DEVELOPER, Role.OPERATOR, Role.VIEWER)
WRITERS = (Role.ADMIN, Role.DEVELOPER)
PAGE = 4
"""The Tasks page's size in the stories (25 in the product: a story holds fewer tasks)."""
TTL_MS = 10 * 60 * 1000
"""How long the download center keeps a package in the stories (3 days in the product: a
story's clock moves minutes, its sessions ending after an hour unused)."""


def role_in(user: int, workspace: int) -> Role:
    """User ``user``'s role in ``workspace``: ROLES[user] in the first, the next role (round
    the list) in the second."""
    return ROLES[(user + workspace) % len(ROLES)]


@dataclass(frozen=True)
class Held:
    """A task as the model knows it: its id, kind, status, UTC day it started, whether it
    wrote objects (an import), its package (an export) and its rollback."""

    id: str
    kind: TaskKind
    status: TaskStatus
    day: str
    wrote: bool = False
    download: str = ""
    rolled_back: bool = False

    @property
    def rollbackable(self) -> bool:
        """A finished import that wrote objects and was not rolled back."""
        finished = self.status in (TaskStatus.SUCCESSFUL, TaskStatus.WARNING)
        return self.kind is TaskKind.IMPORT and finished and self.wrote and not self.rolled_back


@dataclass
class Model:
    """Each workspace's tasks, oldest first, and its packages (id → when it expires, epoch ms;
    0 once deleted), under the server's held clock."""

    clock: Clock
    tasks: list[list[Held]] = field(default_factory=lambda: [[], []])
    downloads: list[dict[str, int]] = field(default_factory=lambda: [{}, {}])

    @property
    def now(self) -> int:
        """The server's moment, epoch ms."""
        return self.clock.now

    def add(self, workspace: int, task: Held) -> None:
        """Task ``task`` made now (an export's package kept for ``TTL_MS``)."""
        self.tasks[workspace].append(task)
        if task.download:
            self.downloads[workspace][task.download] = self.now + TTL_MS

    def there(self, workspace: int, download_id: str) -> bool:
        """Whether package ``download_id`` of ``workspace`` is there to download: unexpired
        and not deleted."""
        return self.downloads[workspace].get(download_id, 0) > self.now

    def find(self, workspace: int, task_id: str) -> Held | None:
        return next((t for t in self.tasks[workspace] if t.id == task_id), None)

    def listed(
        self, workspace: int, kind: TaskKind | None, status: TaskStatus | None, day: str | None
    ) -> list[Held]:
        """The tasks the filter shows, newest first."""
        return [
            t
            for t in reversed(self.tasks[workspace])
            if (kind is None or t.kind is kind)
            and (status is None or t.status is status)
            and (day is None or t.day == day)
        ]

    def page(self, workspace: int, offset: int, **shown: object) -> tuple[list[Held], int, int]:
        """The page holding ``offset`` of the filtered list (the last page when past the
        end, as a task's objects are paged: never a page saying there are no tasks where
        there are): its tasks, where it starts, and how many the filter shows."""
        every = self.listed(workspace, **shown)  # type: ignore[arg-type]
        last = max(len(every) - 1, 0) // PAGE * PAGE
        start = min(max(offset, 0) // PAGE * PAGE, last)
        return every[start : start + PAGE], start, len(every)

    def rollback_answer(self, role: Role, workspace: int, task_id: str) -> int:
        """What a rollback post answers: 303 (started), 403, 404 or a refusal (4xx: 400,
        409…, said here as 400)."""
        if role not in WRITERS:
            return 403
        task = self.find(workspace, task_id)
        if task is None:
            return 404
        return 303 if task.rollbackable else 400

    def rolled(self, workspace: int, task_id: str, rollback: Held) -> None:
        """The import ``task_id`` rolled back by the task ``rollback``."""
        tasks = self.tasks[workspace]
        at = next(i for i, t in enumerate(tasks) if t.id == task_id)
        tasks[at] = replace(tasks[at], rolled_back=True)
        tasks.append(rollback)

    def download_answer(self, role: Role, workspace: int, download_id: str) -> int:
        """What the file of a package, or its *Delete*, answers (200 for a file there)."""
        if role not in WRITERS:
            return 403
        return 200 if self.there(workspace, download_id) else 404

    def import_answer(
        self, roles: tuple[Role, Role | None], workspace: int, download_id: str
    ) -> int:
        """What *Import into…* answers, by one of ``roles`` in the package's workspace and in
        the one chosen (``None``: none chosen, or one that is not there): 303 (the wizard of
        the chosen workspace), 403, 404 or 400."""
        answer = self.download_answer(roles[0], workspace, download_id)
        if answer != 200:
            return answer
        if roles[1] is None:
            return 400
        return 303 if roles[1] in WRITERS else 403

    def live(self, workspace: int) -> set[str]:
        """The packages the download center lists."""
        return {d for d in self.downloads[workspace] if self.there(workspace, d)}
