"""What the console's drift page and a job's *Came from* promise, for
``tests/console/test_generated_drift_pages.py``, written from docs/console.md (*Changed since
promoted*, *Job*: *Came from*, the 404 pages) and docs/api.md (``GET …/drift``), never from the
code:

- both are for everyone in the workspace (a project admin is an admin everywhere); one with no
  role there is refused (403);
- the drift page lists every job, script and resource an import from another workspace wrote
  here whose fields differ now from what it wrote (a change undone is no change), or that was
  deleted here since; each changed one says who changed it last; it counts how many of the
  objects the imports wrote changed, or says nothing changed and how many were compared;
- an imported job's page says where it came from (the source's job and workspace, the import
  task) and whether it changed here since that import; a job made here says it was not
  imported; a job deleted here is the 404 page, with the way back to the Jobs page;
- a job's *History* (*Audit log*, workspace admins) lists above its entries the imports that
  created or overwrote it, each linked to its task.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from jobferry.domain.enums import Role

PROJECT_ADMIN = "project admin"
OUTSIDER = "no role"
USERS: tuple[Role | str, ...] = (
    Role.ADMIN,
    Role.DEVELOPER,
    Role.OPERATOR,
    Role.VIEWER,
    PROJECT_ADMIN,
    OUTSIDER,
)
"""The story's users: one of each role in the workspace, a project admin with none, and one
with no role there."""
IMPORTED = ("daily_sales", "日报_sales", "Zürich_load")
"""The jobs the import writes (each with its two scripts, and the resource they share)."""
LOCAL = "made_here"
"""A job made in the workspace itself."""


@dataclass
class Written:
    """An object an import wrote: its document as written, as it is now (``None``: deleted
    here), and who changed it last."""

    kind: str
    name: str
    document: dict[str, Any]
    now: dict[str, Any] | None
    by: str = ""

    @property
    def drifted(self) -> bool:
        """Whether it differs now from what the import wrote (or is gone)."""
        return self.now != self.document


@dataclass
class Model:
    """Every object the import wrote, by (kind, name), and the jobs made here."""

    written: dict[tuple[str, str], Written] = field(default_factory=dict)
    local: set[str] = field(default_factory=set)

    def drifted(self) -> set[tuple[str, str, bool]]:
        """(kind, name, deleted) of each object the drift page must list."""
        return {(w.kind, w.name, w.now is None) for w in self.written.values() if w.drifted}


def may_read(who: Role | str) -> bool:
    """Whether ``who`` reads the workspace's pages."""
    return who != OUTSIDER
