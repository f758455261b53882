"""What the console's export pages promise, for ``tests/console/test_generated_export_pages.py``,
written from docs/console.md (*Jobs*, *Export dialog*, *Export by names*, *Workspace export*,
*Ticking folders*, the security decisions) and docs/api.md (``POST /exports``, the name check),
never from the code:

- the export pages and the export itself take admins and developers (a project admin is one in
  every workspace); anyone else is refused (403) and nothing is exported; the Jobs page is
  everyone's, its *Export selected…* only theirs;
- a form without the session's security token is refused (403) and changes nothing;
- a ticked export selects each job by its most specific tick: its own (ticked or unticked),
  else the nearest folder's above it (a folder ticked selects its sub-folders' jobs too);
  with *With upstream jobs* every job they depend on, transitively; no job selected is
  refused on the Jobs page (400), a ticked job that is no longer there too (400, named), and a
  selection up to ``JOBFERRY_CONSOLE_SYNC_EXPORT_MAX_JOBS`` jobs downloads at once, a larger one
  becomes a download-center task;
- the name list is checked first: trimmed, blank lines dropped, each name once; more names than
  the cap, or none, is refused (400) saying so and what to give; *Check names* and a list that
  does not fully match answer "Matched N, failed M" with each failure (and the names pasted
  twice) and generate nothing; a full match with *Generate package* starts the package (a
  task) and the page follows it; whatever the answer, the page shows the names as pasted;
- the workspace export takes every job, the jobs changed since the last workspace export, or
  those changed since a day (UTC; a day that is not one, or none, is refused: 400, saying what
  to give); it starts a task and the page is the task's;
- whatever starts a package, the package holds exactly the jobs asked for; the export pages
  say when the last package was generated (UTC); a refusal changes
  nothing (no package, no task) and says what to do in the console's words.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from jobferry.domain.enums import Role

PROJECT_ADMIN = "project admin"
USERS: tuple[Role | str, ...] = (
    Role.ADMIN,
    Role.DEVELOPER,
    Role.OPERATOR,
    Role.VIEWER,
    PROJECT_ADMIN,
)
"""The story's users: one of each role in the workspace, and a project admin with none."""
WRITERS = (Role.ADMIN, Role.DEVELOPER, PROJECT_ADMIN)
SYNC_MAX = 3
"""``JOBFERRY_CONSOLE_SYNC_EXPORT_MAX_JOBS`` in the stories (a ticked selection past it is a
task)."""
NAME_CAP = 4
"""``JOBFERRY_EXPORT_NAME_LIST_MAX`` in the stories."""
DAY_MS = 86_400_000

JOBS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("daily_sales", "/sales", ()),
    ("日报_sales", "/sales", ("daily_sales",)),
    ("eu_orders", "/sales/eu", ("日报_sales",)),
    ("ops.cleanup", "/ops team", ()),
    ("Zürich_load", "/ops team/nightly", ("eu_orders",)),
    ("root_job", "/", ()),
)
"""The story's jobs: name, folder (one with a space), the jobs it depends on."""
FOLDERS = ("/", "/sales", "/sales/eu", "/ops team", "/ops team/nightly")
GONE = "gone_job"
"""A name ticked on a page shown before the job was deleted."""


def _inside(directory: str, folder: str) -> bool:
    folder = folder.rstrip("/")
    return folder == "" or directory == folder or directory.startswith(folder + "/")


def _depth(folder: str) -> int:
    return len([p for p in folder.split("/") if p])


@dataclass(frozen=True)
class Ticks:
    """What a ticked export posts: jobs ticked and unticked, folders ticked and unticked."""

    jobs: tuple[str, ...] = ()
    not_jobs: tuple[str, ...] = ()
    folders: tuple[str, ...] = ()
    not_folders: tuple[str, ...] = ()


def upstream_closure(names: set[str]) -> set[str]:
    """``names`` and every job they depend on, transitively."""
    depends = {name: ups for name, _, ups in JOBS}
    seen, pending = set(names), list(names)
    while pending:
        for up in depends.get(pending.pop(), ()):
            if up not in seen:
                seen.add(up)
                pending.append(up)
    return seen


def ticked(ticks: Ticks) -> set[str]:
    """The jobs a ticked export selects: a job's own tick, else the nearest folder's."""
    chosen = {n for n in ticks.jobs if n != GONE}
    decided = {f: True for f in ticks.folders} | {f: False for f in ticks.not_folders}
    for name, directory, _ in JOBS:
        if name in ticks.jobs or name in ticks.not_jobs:
            continue
        above = [f for f in decided if _inside(directory, f)]
        if above and decided[max(above, key=_depth)]:
            chosen.add(name)
    return chosen


@dataclass(frozen=True)
class Checked:
    """The name check: each name once, in the order pasted; matched and not."""

    matched: tuple[str, ...]
    unmatched: tuple[str, ...]
    twice: tuple[str, ...] = ()
    """The names pasted more than once (counted once), in any order."""


def check_names(text: str) -> Checked | str:
    """The check of a pasted list, or why it is refused (``"cap"``, ``"empty"``)."""
    cleaned = [line.strip() for line in text.splitlines() if line.strip()]
    unique = list(dict.fromkeys(cleaned))
    if not unique:
        return "empty"
    if len(unique) > NAME_CAP:
        return "cap"
    names = {n for n, _, _ in JOBS}
    return Checked(
        tuple(n for n in unique if n in names),
        tuple(n for n in unique if n not in names),
        tuple(n for n in unique if cleaned.count(n) > 1),
    )


@dataclass
class Model:
    """When each job last changed, when the last workspace export was made and when the last
    package was generated (epoch ms)."""

    changed: dict[str, int] = field(default_factory=dict)
    last_workspace_export: int | None = None
    last_generated: int | None = None
    """When the download center last kept a package of the workspace."""

    def changed_since(self, since: int | None) -> set[str]:
        """The jobs changed after ``since`` (``None``: every job)."""
        return {n for n, at in self.changed.items() if since is None or at > since}
