"""Generated stories of the command line's ``jobs`` and ``scripts`` commands for
``tests/cli/test_generated_job_commands.py``: two workspaces seeded alike through signed calls
(``support/cli_command_stories.py``'s seed: a job using a script, a job depending on it, a job
of its own, a real-time job, a script no job uses, some jobs tagged, some scheduled; and a job
never submitted), a person
holding a role in the context's workspace and a role, or none, in the other; then ``jobferry
jobs list|show|start|stop|rename|delete`` and ``scripts delete`` as that person types them, on
the context's workspace or on the other (``-w`` by its name or its id), each told for a person
or with ``--json``, a deletion confirmed with ``--yes``, at a terminal, or not at all.

The model of what the docs promise is ``support/cli_job_model.py``.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from support.cli_command_stories import (
    AFTER,
    JOB_NAMES,
    JOBS,
    LOADER,
    NEW_NAMES,
    SCRIPT_NAMES,
    SOLO,
    Seed,
    Step,
)
from support.cli_job_model import ASKING

ROLES = ("admin", "developer", "developer", "operator", "viewer", "viewer")
AWAY_ROLES = (None, *ROLES)
WHERE = ("home", "home", "name", "id", "root")
"""Where a step acts: the context's workspace, or the other one named by name or by id after
the command, or by name before it (``jobferry -w NAME jobs …``)."""
TAGS: dict[str, frozenset[str]] = {
    LOADER: frozenset({"etl"}),
    SOLO: frozenset({"etl", "adhoc"}),
}
"""The seeded jobs' tags (``basicConfig.tags``); the others have none."""
TAG_FILTERS = ((), (), ("etl",), ("adhoc",), ("adhoc", "none"), ("none",))
MODES = ("yes", "yes", "yes", "unasked", "asked-yes", "asked-no")
DRAFT = "d_draft"
"""A job of each workspace saved but never submitted."""
NAMES = (*JOB_NAMES, DRAFT)
LOCKED_JOB, LOCKED_TAG = AFTER, "adhoc"
"""In a guarded story, the job another user locks in each workspace (whose lock policy is then
hard), and the tag locked there (``SOLO``'s)."""


@st.composite
def steps(draw: st.DrawFn) -> Step:
    """One command of the story: ``args`` is where it acts, then the command's own."""
    act = draw(
        st.sampled_from(
            ("list", "show", "start", "stop", "stop", "rename", "delete", "delete", "delete-script")
        )
    )
    where = draw(st.sampled_from(WHERE))
    name = st.sampled_from(NAMES)
    args: tuple[Any, ...]
    if act == "list":
        text = draw(st.sampled_from((None, None, "a", "_", "load")))
        kind = draw(st.sampled_from(("batch", "batch", "real-time")))
        args = (text, draw(st.sampled_from(TAG_FILTERS)), kind)
    elif act == "show":
        version = draw(st.sampled_from((None, None, "submitted", 1, 2, 0, -1, "both")))
        args = (draw(name), version)
    elif act == "rename":
        args = (draw(name), draw(st.sampled_from(NEW_NAMES)))
    elif act == "delete-script":
        args = (draw(st.sampled_from(SCRIPT_NAMES)),)
    else:
        args = (draw(name),)
    mode = draw(st.sampled_from(MODES)) if act in ASKING else "yes"
    json = draw(st.booleans()) and not mode.startswith("asked")  # a question asks a person
    return Step(act, (where, mode, *args), json)


@st.composite
def job_stories(
    draw: st.DrawFn,
) -> tuple[str, str | None, Seed, bool, tuple[Step, ...]]:
    """The person's roles, the seed of both workspaces, whether they are guarded (a job
    locked, a tag locked), and 3 to 8 commands."""
    role, away = draw(st.sampled_from(ROLES)), draw(st.sampled_from(AWAY_ROLES))
    scheduled, guarded = draw(st.frozensets(st.sampled_from(JOBS))), draw(st.booleans())
    return (
        role,
        away,
        Seed(scheduled),
        guarded,
        tuple(draw(st.lists(steps(), min_size=3, max_size=8))),
    )


VIEWER_HERE_DEVELOPER_THERE = (
    "viewer",
    "developer",
    Seed(frozenset({LOADER})),
    False,
    (
        Step("stop", ("home", "yes", LOADER), False),
        Step("rename", ("name", "yes", LOADER, "x_new"), False),
        Step("delete", ("id", "yes", LOADER), False),
        Step("delete", ("home", "yes", LOADER), True),
        Step("stop", ("name", "yes", LOADER), False),
        Step("delete", ("name", "yes", LOADER), False),
        Step("delete-script", ("id", "asked-no", SCRIPT_NAMES[0]), False),
        Step("list", ("root", "yes", None, ("etl",), "batch"), False),
        Step("rename", ("root", "yes", LOADER, "x_new"), False),
        Step("rename", ("name", "yes", SOLO, SOLO), False),
        Step("show", ("home", "yes", AFTER, "submitted"), True),
        Step("show", ("name", "yes", DRAFT, "submitted"), False),
        Step("start", ("id", "yes", DRAFT), False),
        Step("show", ("home", "yes", SOLO, -1), False),
    ),
)
"""A viewer refused every write at home, a developer elsewhere: a scheduled job's refusals
name the other workspace as the step named it, by name and by id."""
SCHEDULED_AT_HOME_NO_ROLE_AWAY = (
    "developer",
    None,
    Seed(frozenset({LOADER, SOLO})),
    True,
    (
        Step("delete", ("home", "yes", LOADER), False),
        Step("rename", ("home", "yes", SOLO, "x_new"), False),
        Step("list", ("name", "yes", None, (), "batch"), False),
        Step("stop", ("id", "yes", SOLO), True),
        Step("delete", ("home", "unasked", SOLO), False),
        Step("delete", ("home", "asked-yes", AFTER), False),
        Step("list", ("home", "yes", None, ("adhoc", "none"), "batch"), True),
        Step("rename", ("home", "yes", AFTER, "x_new"), False),
        Step("stop", ("home", "yes", SOLO), False),
        Step("rename", ("home", "yes", AFTER, AFTER), False),
        Step("rename", ("home", "yes", SOLO, SOLO), False),
        Step("delete", ("home", "yes", SOLO), False),
        Step("rename", ("home", "yes", SOLO, "y_new"), True),
    ),
)
"""A developer at home, with no role in the other workspace: scheduled jobs refused without
``-w`` in their fix, the other workspace refused by name and by id; a locked job and a job of
a locked tag kept as they are, though stopped."""
