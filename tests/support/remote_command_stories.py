"""Generated stories of the command line's ``remotes`` commands for
``tests/cli/test_generated_remote_commands.py``: a DataArts workspace (a workspace of the second
server) seeded with a few jobs through signed calls, then a project admin and a user who is not
one running ``jobferry remotes add|edit|list|show|test|refresh|remove`` in random order — good
and bad endpoints, key pairs given as the command takes them (a file, standard input, an
environment variable), names taken and names breaking the name rule — while the DataArts
workspace's jobs change between refreshes; each command told for a person or with ``--json``.

The model of what the docs promise is ``support/remote_command_model.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

FIRST, SECOND = "a", "b"
"""The story's remote names (after its own prefix); ``bad name!`` breaks the name rule."""
NAMES = (FIRST, FIRST, FIRST, SECOND, SECOND, "bad name!")
SEEDED = ("j_one", "j_two")
JOB_NAMES = (*SEEDED, "j_three")
ENDPOINTS = ("gate", "gate", "direct", "bad")
"""The contract filter in front of the second server, the second server itself, and an
endpoint that is no http(s) URL."""
KEYS = ("user", "user", "admin", "wrong")
SOURCES = ("file", "env", "stdin")
"""How a step hands over a secret key: ``@FILE``, ``env:NAME`` or ``-``."""
REMOVALS = ("yes", "yes", "asked-yes", "asked-no", "unasked")


@dataclass(frozen=True)
class Step:
    """One command (or a change made in DataArts, ``act`` ``dataarts``): who runs it, its
    arguments, whether it asks for ``--json``."""

    act: str
    args: tuple[Any, ...]
    admin: bool = True
    json: bool = False

    def __repr__(self) -> str:
        who = "" if self.admin else " (not an admin)"
        return f"{self.act}{self.args!r}{' --json' if self.json else ''}{who}"


@st.composite
def steps(draw: st.DrawFn) -> Step:
    """One step of the story."""
    act = draw(
        st.sampled_from(
            (
                *("add", "add", "add", "edit", "edit", "list", "show", "test", "test"),
                *("refresh", "refresh", "refresh", "remove", "dataarts", "dataarts"),
            )
        )
    )
    if act == "dataarts":
        change = draw(st.sampled_from(("create", "update", "update", "delete")))
        return Step(act, (change, draw(st.sampled_from(JOB_NAMES))))
    admin = draw(st.sampled_from((True, True, True, True, True, False)))
    json = draw(st.booleans())
    name = draw(st.sampled_from(NAMES))
    args: tuple[Any, ...]
    if act == "add":
        endpoint = draw(st.sampled_from(("direct", *ENDPOINTS)))  # the lead's is the filter
        studio = draw(st.sampled_from((None, None, None, None, None, "bad")))
        workspace = draw(st.sampled_from(("good", "good", "good", "missing")))
        keys = draw(st.sampled_from(KEYS))
        args = (name, endpoint, studio, workspace, keys, draw(st.sampled_from(SOURCES)))
    elif act == "edit":
        endpoint = draw(st.sampled_from((None, None, *ENDPOINTS)))
        studio = draw(st.sampled_from((None, None, None, "default", "direct", "bad")))
        keys = draw(st.sampled_from((None, None, "secret", *KEYS)))
        args = (name, endpoint, studio, keys, draw(st.sampled_from(SOURCES)))
    elif act == "list":
        args = ()
    elif act == "remove":
        args = (name, draw(st.sampled_from(REMOVALS)))
        json = json and args[1] in ("yes", "unasked")  # a question is asked of a person
    else:
        args = (name,)
    return Step(act, args, admin, json)


@st.composite
def remote_stories(draw: st.DrawFn) -> tuple[Step, ...]:
    """A remote added (at the contract filter), then 3 to 8 steps."""
    workspace = draw(st.sampled_from(("good", "good", "good", "missing")))
    keys, source = draw(st.sampled_from(KEYS)), draw(st.sampled_from(SOURCES))
    lead = Step("add", (FIRST, "gate", None, workspace, keys, source))
    return (lead, *draw(st.lists(steps(), min_size=3, max_size=8)))


ADDED_REFRESHED_REMOVED = (
    Step("add", ("bad name!", "gate", None, "good", "user", "file")),
    Step("add", (FIRST, "gate", None, "good", "user", "env"), admin=False),
    Step("add", (FIRST, "gate", "bad", "good", "user", "file")),
    Step("add", (FIRST, "gate", None, "good", "user", "stdin"), json=True),
    Step("add", (SECOND, "gate", None, "good", "admin", "file")),
    Step("test", (FIRST,)),
    Step("refresh", (FIRST,)),
    Step("dataarts", ("create", "j_three")),
    Step("dataarts", ("update", "j_one")),
    Step("dataarts", ("delete", "j_two")),
    Step("refresh", (FIRST,), json=True),
    Step("show", (FIRST,), admin=False),
    Step("remove", (FIRST, "unasked")),
    Step("remove", (FIRST, "asked-no")),
    Step("remove", (FIRST, "yes"), admin=False),
    Step("remove", (FIRST, "asked-yes")),
    Step("add", (FIRST, "direct", None, "good", "user", "file")),
    Step("list", (), json=True),
)
"""The whole life of a remote: refusals of the name rule, of a user who is no project admin,
of a bad Studio endpoint and of a second remote of the same DataArts workspace; a refresh,
changes in DataArts, a refresh again; a removal not asked, declined, refused, done; the
shadow's name then taken."""
ROTATED_AND_LOCKED = (
    Step("add", (FIRST, "gate", None, "good", "wrong", "file")),
    Step("test", (FIRST,), json=True),
    Step("refresh", (FIRST,)),
    Step("edit", (FIRST, None, None, "secret", "stdin")),
    Step("test", (FIRST,)),
    Step("edit", (FIRST, "direct", "direct", "wrong", "env"), json=True),
    Step("test", (FIRST,)),
    Step("test", (FIRST,), admin=False),
    Step("refresh", (FIRST,), json=True),
    Step("test", (FIRST,)),
    Step("test", (FIRST,)),
    Step("refresh", (FIRST,)),
    Step("edit", (FIRST, None, None, "secret", "file")),
    Step("test", (FIRST,), json=True),
    Step("edit", (FIRST, None, "default", "admin", "file")),
    Step("refresh", (FIRST,)),
    Step("add", (SECOND, "gate", None, "missing", "admin", "file")),
    Step("test", (SECOND,), json=True),
    Step("refresh", (SECOND,)),
    Step("edit", (SECOND, "direct", None, None, "file")),
)
"""Credentials refused, then the secret key rotated alone; a wrong key pair until the remote
locks the access key, so that its right secret key is refused too; the remote's admin's key
pair, which works; a workspace the remote does not have, moved to another endpoint."""
