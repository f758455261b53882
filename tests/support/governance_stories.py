"""Generated stories of tags, locks and the lock policy for
``tests/unit/services/test_generated_governance.py``: in two workspaces that each start with
jobs ``ja`` and ``jb`` (tagged ``daily``) and script ``sa``, users of each role (an admin, two
developers, an operator, a viewer) switch the lock policy between soft and hard (and approval
and signed packages only on and off), create, lock,
unlock and delete tags, take and release locks on jobs and scripts (missing ones too), and create,
save (with other tags), rename and delete jobs and scripts, as the lock's holder or as another
user; a workspace admin gives a developer another role, and the project admin removes a
developer, who comes back under the same name.

The model of what the documents promise is ``support/governance_model.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from support.governance_model import (
    ADMIN,
    BAD_TAGS,
    DEVELOPER,
    OPERATOR,
    OTHER_DEVELOPER,
    TAG_NAMES,
    VIEWER,
)

PLACES = ("w0", "w1")
JOBS = ("ja", "jb", "jc")
SCRIPTS = ("sa", "sb")
CALLERS = (ADMIN, ADMIN, DEVELOPER, DEVELOPER, OTHER_DEVELOPER, OTHER_DEVELOPER, OPERATOR, VIEWER)
"""Who takes a step (the writers, who lock, weigh most)."""


@dataclass(frozen=True)
class Step:
    """One step: what it does and its arguments (the place and the caller first)."""

    act: str
    args: tuple[Any, ...]

    def __repr__(self) -> str:
        return f"{self.act}{self.args!r}"


@st.composite
def _object(draw: st.DrawFn) -> tuple[str, str]:
    kind = draw(st.sampled_from(("job", "job", "script")))
    return kind, draw(st.sampled_from(JOBS if kind == "job" else SCRIPTS))


@st.composite
def steps(draw: st.DrawFn) -> Step:
    """One step of a story."""
    place, user = draw(st.sampled_from((PLACES[0], *PLACES))), draw(st.sampled_from(CALLERS))
    act = draw(
        st.sampled_from(
            (
                *("lock", "lock", "lock", "unlock", "unlock", "update", "update"),
                *("delete", "create", "rename", "settings", "tag", "tag", "untag", "role"),
                "leave",
            )
        )
    )
    if act == "settings":
        policy = draw(st.sampled_from((None, "soft", "hard", "hard")))
        approval = draw(st.sampled_from((None, None, True, False)))
        return Step(act, (place, user, policy, approval, draw(st.none() | st.booleans())))
    if act == "tag":
        names = st.sampled_from(TAG_NAMES) if draw(st.integers(0, 7)) else st.sampled_from(BAD_TAGS)
        return Step(act, (place, user, draw(names), draw(st.booleans())))
    if act == "untag":  # mostly by an admin
        names = st.sampled_from(TAG_NAMES) if draw(st.integers(0, 7)) else st.sampled_from(BAD_TAGS)
        return Step(act, (place, draw(st.sampled_from((ADMIN, user))), draw(names)))
    if act == "role":  # mostly by an admin, of a developer
        who = draw(st.sampled_from((OTHER_DEVELOPER, OTHER_DEVELOPER, DEVELOPER)))
        role = draw(st.sampled_from(("developer", "viewer", "operator", "admin")))
        caller = draw(st.sampled_from((ADMIN, ADMIN, user)))
        return Step(act, (place, caller, who, role))
    if act == "leave":  # the project admin removes a developer, who then comes back
        return Step(act, (place, ADMIN, draw(st.sampled_from((OTHER_DEVELOPER, DEVELOPER)))))
    if act == "rename":
        old, new = draw(st.sampled_from(JOBS)), draw(st.sampled_from(JOBS))
        return Step(act, (place, user, old, new))
    kind, name = draw(_object())
    if act in ("create", "update"):
        pool = TAG_NAMES if draw(st.integers(0, 7)) else (*TAG_NAMES, *BAD_TAGS)
        tags = tuple(draw(st.lists(st.sampled_from(pool), max_size=2, unique=True)))
        status = draw(st.sampled_from((None, None, "SAVED")))
        return Step(act, (place, user, kind, name, tags if kind == "job" else (), status))
    return Step(act, (place, user, kind, name))


@st.composite
def governance_stories(draw: st.DrawFn, max_steps: int = 18) -> tuple[Step, ...]:
    """A whole story, most of them opening with the first workspace under the hard policy
    and its job ``ja`` locked by a developer, and the second's tag ``daily`` (which its jobs
    carry) locked."""
    opening = (
        Step("settings", ("w0", ADMIN, "hard", None, None)),
        Step("lock", ("w0", DEVELOPER, "job", "ja")),
        Step("tag", ("w1", ADMIN, "daily", True)),
    )
    first = opening if draw(st.integers(0, 3)) else ()
    return (*first, *draw(st.lists(steps(), min_size=6, max_size=max_steps)))
