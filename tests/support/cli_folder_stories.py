"""Generated stories of ``jobferry pull`` and ``jobferry apply -f`` for
``tests/cli/test_generated_folder_commands.py``: a workspace's admin and a user of another
role (a developer, who may write, or a viewer, who may not) pull the workspace into a folder,
edit its files as a person would (a job or a script added, changed, removed; a file naming
another object than its file name says, a field DataArts does not model, a file that is not
JSON, one under no folder of objects, a definition the validation refuses, then the bad files
removed), apply it (with ``--prune``, ``--dry-run``) and pull again, while objects are made,
changed and deleted in the workspace beside them (the console), each told for a person or
with ``--json``.

The model of what the docs promise is ``support/cli_folder_model.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

JOBS = ("ja", "jb", ".jd", "Ja")
"""Job names: a name starting with a dot is written ``%2E…``; ``Ja`` and ``ja`` differ only in
case (docs/cli.md ``pull``)."""
SCRIPTS = ("sa", "sb")
USED = (None, None, "sa", "sb")
"""The script a job runs (none, or one of the story's, which may be missing)."""
EDITS = (
    *("put", "put", "put", "put", "remove", "remove", "fix", "fix"),
    *("mismatch", "unknown", "json", "outside", "invalid"),
)
"""What an edit does (adding and changing weigh most, then removing a file and removing the bad
files, so that most applies get past the folder's check)."""
ROLES = ("developer", "viewer")


@dataclass(frozen=True)
class Step:
    """One command, an edit of the folder or a change in the console: what it does, its
    arguments, who runs it (the admin or the other user) and whether with ``--json``."""

    act: str
    args: tuple[Any, ...] = ()
    admin: bool = True
    json: bool = False

    def __repr__(self) -> str:
        who = "" if self.admin else " (other)"
        return f"{self.act}{self.args!r}{who}{' --json' if self.json else ''}"


SEEDED = (
    Step("console", ("put", "script", "sa", None, False)),
    Step("console", ("put", "job", "ja", "sa", False)),
    Step("console", ("put", "job", "jb", None, False)),
)
"""The workspace before a generated story: a job running a script, a job of its own."""
SCHEDULED = (
    "viewer",
    (
        *SEEDED,
        Step("console", ("start", "job", "ja", None, False)),
        Step("console", ("start", "job", "jb", None, False)),
        Step("pull", (), True, True),
        Step("edit", ("put", "job", "ja", "sa", "own")),
        Step("edit", ("remove", "job", "jb", None, None)),
        Step("apply", (True, False, False, False), True, True),
        Step("apply", (True, True, True, False)),
        Step("apply", (True, False, True, False), True, True),
        Step("console", ("stop", "job", "ja", None, False)),
        Step("pull", (), False),
        Step("pull"),
    ),
)
"""Scheduled jobs overwritten and deleted by ``--prune``: refused, then stopped and started
again (the one overwritten) by ``--scheduling pause-and-restore``; a viewer's pull refused."""


@st.composite
def _edit(draw: st.DrawFn) -> Step:
    what = draw(st.sampled_from(EDITS))
    kind = draw(st.sampled_from(("job", "job", "script")))
    name = draw(st.sampled_from(JOBS if kind == "job" else SCRIPTS))
    extra: Any = None
    if kind == "job" and what in ("put", "mismatch", "unknown"):
        extra = draw(st.sampled_from(USED))
    if what == "put":
        return Step("edit", (what, kind, name, extra, draw(st.sampled_from(("own", "nested")))))
    return Step("edit", (what, kind, name, extra, None))


@st.composite
def _command(draw: st.DrawFn) -> Step:
    act = draw(st.sampled_from(("apply", "apply", "apply", "pull", "console")))
    admin = draw(st.sampled_from((True, True, False)))
    json = draw(st.booleans())
    if act == "apply":
        prune, dry_run, pause = draw(st.booleans()), draw(st.booleans()), draw(st.booleans())
        saved = draw(st.sampled_from((False, False, True)))
        return Step(act, (prune, dry_run, pause, saved), admin, json)
    if act == "pull":
        return Step(act, (), admin, json)
    kind = draw(st.sampled_from(("job", "script")))
    name = draw(st.sampled_from(JOBS if kind == "job" else SCRIPTS))
    change = draw(st.sampled_from(("put", "put", "delete", "start", "stop")))
    used = draw(st.sampled_from(USED)) if kind == "job" else None
    return Step(act, (change, kind, name, used, draw(st.sampled_from((False, False, True)))))


@st.composite
def folder_stories(draw: st.DrawFn) -> tuple[str, tuple[Step, ...]]:
    """The other user's role, the seeded workspace pulled, then 4 to 9 edits and commands."""
    role = draw(st.sampled_from(ROLES))
    steps = draw(st.lists(st.one_of(_edit(), _command()), min_size=4, max_size=9))
    return role, (*SEEDED, Step("pull"), *steps)


ROUND_TRIP = (
    "viewer",
    (
        Step("console", ("put", "script", "sa", None, False)),
        Step("console", ("put", "job", "ja", "sa", False)),
        Step("pull", (), True, True),
        Step("edit", ("put", "job", "jb", "sa", "own")),
        Step("edit", ("unknown", "job", "Ja", None, None)),
        Step("edit", ("put", "job", ".jd", None, "nested")),
        Step("apply", (False, True, False, False), False),
        Step("apply", (False, False, False, False), False, True),
        Step("apply", (False, True, False, False)),
        Step("apply", (False, False, False, False), True, True),
        Step("pull"),
        Step("apply", (False, False, False, False)),
        Step("pull", (), False),
    ),
)
"""Jobs added (one using a script of the workspace, one with a field DataArts does not model,
one whose name starts with a dot, one differing from another only in case), a viewer refused,
a dry run, the apply, a pull that writes it all back, an apply with nothing to import."""
BAD_FILES_THEN_PRUNE = (
    "developer",
    (
        Step("console", ("put", "script", "sb", None, False)),
        Step("console", ("put", "job", "jb", "sb", False)),
        Step("console", ("put", "job", "ja", None, False)),
        Step("pull", (), False),
        Step("edit", ("json", "job", "ja", None, None)),
        Step("edit", ("outside", "script", "sa", None, None)),
        Step("edit", ("invalid", "job", "jb", None, None)),
        Step("apply", (True, False, False, False), False, True),
        Step("apply", (False, True, False, False)),
        Step("edit", ("fix", "job", "ja", None, None)),
        Step("edit", ("remove", "script", "sb", None, None)),
        Step("apply", (True, True, False, False), True, True),
        Step("apply", (True, False, False, False), False),
        Step("edit", ("remove", "job", "jb", None, None)),
        Step("edit", ("mismatch", "job", "jb", None, None)),
        Step("apply", (True, True, False, False)),
        Step("apply", (True, False, False, False), False, True),
        Step("pull", (), True, True),
    ),
)
"""Bad files refused (each named, nothing sent) however the apply is asked; the script a job
uses removed from the folder, which ``--prune`` refuses to delete; the job removed too, then a
file named for one job holding another, pruned and pulled back to its own file."""
