"""Generated stories of ``jobferry audit``, ``jobferry drift`` and ``jobferry users keys …``
for ``tests/cli/test_generated_audit_commands.py``: in a workspace a promotion's import wrote
(a job, its scripts, a resource), a workspace admin and a developer change and delete objects
through signed calls (making drift and audit lines), search the audit log with its filters
(good and bad), read the drift, and make, register, list and revoke approval keys; the project
admin searches the project's lines of what they did.

The model of what the docs promise is ``support/cli_audit_model.py``; a step is
``support/cli_command_stories.py``'s ``Step`` (``act``, ``args``, ``json``).
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from support.cli_audit_model import SPAN, Search
from support.cli_command_stories import Step

PEOPLE = ("admin", "admin", "dev")
SEARCHERS = ("admin", "admin", "admin", "dev")
WRITES = (
    ("edit", "job", "daily_sales"),
    ("edit", "script", "daily_sales_sql"),
    ("delete", "job", "daily_sales"),
    ("create", "job", "daily_sales"),
    ("create", "job", "n_extra"),
    ("edit", "job", "n_extra"),
    ("delete", "job", "n_extra"),
    ("rename", "job", "daily_sales"),
    ("rename", "job", "daily_sales"),
    ("edit", "job", "daily_sales_r"),
)
"""What a signed call changes (``rename``: the job the import wrote, to ``daily_sales_r``
and back)."""
OBJECTS = (None, None, "daily_sales", "daily_sales_sql", "n_extra", "udf_jar", "nope", " ")
"""``--object``: none, an object the import wrote, one it did not, none at all, a blank."""
KINDS = (None, None, None, "job", "script", "resource", "nope")
ACTIONS = (None, None, "job", "job.update", "script", "import", "job.delete", "Job", "x.y.z")
USERS = (None, None, "admin", "dev", "root", "nobody")
"""``--user``: a person of the story (by role), the project admin, or nobody."""
LIMITS = (None,) * 6 + (1, 3, 100, 0, 101)
KEYS = 2
"""Key files a story may make (``k0``, ``k1``)."""
LABELS = ("", "", "laptop", "laptop", "x" * 129, "y" * 128)
"""``--name``: none, a label, one past 128 characters, one of 128."""
ACTS = ("write",) * 4 + ("audit",) * 4 + ("drift", "drift", "new", "new", "add", "add", "list")
ACTS += ("revoke", "members")


def _time(draw: st.DrawFn, nones: int) -> tuple[str, Any] | None:
    """A time: none (``nones`` times in ``nones + 4``), a mark (twice as often), an hour
    ago, or a text that is no time, or one before 1970."""
    form = draw(st.sampled_from(("none",) * nones + ("mark", "mark", "span", "text")))
    if form == "none":
        return None
    if form == "mark":
        return ("mark", draw(st.integers(0, 7)))
    if form == "span":
        return ("span", SPAN)
    return ("text", draw(st.sampled_from(("yesterday", "1969-12-31", "3000w"))))


@st.composite
def searches(draw: st.DrawFn) -> Search:
    """``jobferry audit``'s options; a time's mark is taken modulo the marks of the story
    so far (``("mark", i)``)."""
    project = draw(st.sampled_from((False, False, False, True)))
    user = draw(st.sampled_from(("admin", "dev") if project else USERS))
    return Search(
        None if project else draw(st.sampled_from(OBJECTS)),
        None if project else draw(st.sampled_from(KINDS)),
        user,
        draw(
            st.sampled_from(("approval_key", "approval_key.revoke", None) if project else ACTIONS)
        ),
        _time(draw, 3),
        _time(draw, 8),
        draw(st.sampled_from(LIMITS)),
        project,
    )


@st.composite
def steps(draw: st.DrawFn) -> Step:
    """One step: a write through a signed call, or a command."""
    act = draw(st.sampled_from(ACTS))
    who = draw(st.sampled_from(PEOPLE))
    json = draw(st.booleans())
    args: tuple[Any, ...]
    if act == "write":
        args = (who, *draw(st.sampled_from(WRITES)))
    elif act == "audit":  # a workspace admin's searches weigh most; the project's: its admin's
        search = draw(searches())
        searchers = ("root", "root", "admin", "dev") if search.project else SEARCHERS
        args = (draw(st.sampled_from(searchers)), search)
    elif act == "new":
        args = (who, draw(st.integers(0, KEYS - 1)))
    elif act == "add":
        args = (who, draw(st.integers(0, KEYS - 1)), draw(st.sampled_from(LABELS)))
    elif act == "revoke":
        args = (who, draw(st.sampled_from((0, 1, None))))
    else:
        args = (who,)
    return Step(act, args, json)


@st.composite
def audit_stories(draw: st.DrawFn) -> tuple[Step, ...]:
    """4 to 10 steps."""
    return tuple(draw(st.lists(steps(), min_size=4, max_size=10)))


CHANGED_THEN_SEARCHED = (
    Step("write", ("dev", "edit", "job", "daily_sales"), False),
    Step("write", ("admin", "edit", "script", "daily_sales_sql"), False),
    Step("drift", ("dev",), False),
    Step("audit", ("admin", Search("daily_sales", since=("mark", 0))), False),
    Step("audit", ("admin", Search(action="job", user="dev", limit=1)), True),
    Step("audit", ("admin", Search(limit=1)), False),
    Step("write", ("admin", "delete", "job", "daily_sales"), False),
    Step("drift", ("admin",), True),
    Step("write", ("dev", "create", "job", "daily_sales"), False),
    Step("drift", ("admin",), False),
    Step("audit", ("admin", Search(since=("mark", 2), until=("mark", 2))), False),
)
"""Drift by both people, an object's history, a search by user and action, a deletion, then
a window of no time."""
KEYS_AROUND = (
    Step("new", ("admin", 0), False),
    Step("add", ("admin", 0, "x" * 129), False),
    Step("add", ("admin", 0, "laptop"), False),
    Step("add", ("dev", 0, ""), False),
    Step("add", ("admin", 0, ""), True),
    Step("members", ("dev",), False),
    Step("revoke", ("dev", 0), False),
    Step("revoke", ("admin", 0), True),
    Step("audit", ("root", Search(user="admin", project=True)), False),
    Step("audit", ("admin", Search(since=("text", "1969-12-31"))), True),
)
"""A key registered, refused to another, revoked by the wrong person then by its owner, the
project's lines of it, and a time before 1970."""
RENAMED_AND_BACK = (
    Step("write", ("dev", "rename", "job", "daily_sales"), False),
    Step("drift", ("dev",), False),
    Step("audit", ("admin", Search("daily_sales_r", kind="job")), False),
    Step("audit", ("admin", Search("daily_sales")), True),
    Step("audit", ("admin", Search(" ")), False),
    Step("audit", ("admin", Search(" ", limit=1)), True),
    Step("write", ("admin", "rename", "job", "daily_sales"), False),
    Step("drift", ("admin",), True),
    Step("audit", ("admin", Search("daily_sales", action="job.rename")), False),
)
"""The job the import wrote renamed, then back: drift lists it under its new name, its
history finds the import under its older name, and back under its own name it is as the
import wrote it."""
