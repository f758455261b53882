"""Generated stories of the console's route pages for ``tests/console/test_generated_routes.py``:
project admins (two of them, at once) save routes from the form — new, over the version read, or
over a stale one; to another workspace, to a second one, to the route's own source; every job,
folders, tags or jobs, with or without names; the target's profile, one it lacks, or none; every
import setting; signed packages only; approvals with or without approvers, approvers who are no
members of the target; a blank, spaced or overlong name —, remove them (over the version read or
a stale one) and press *Promote now* (a plan, then its import when no approvals are required);
users of other roles open a route's page and post its forms.

What the pages promise is ``support/console_route_model.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

from support.release_stories import Step

NAMES = ("nightly", "weekly", "nightly", "weekly", "", "bad name", "r" * 130)
TARGETS = ("prod", "prod", "prod", "other", "self")
SELECTIONS = (
    ("ALL", ""),
    ("FOLDERS", "/sales"),
    ("FOLDERS", "/reports"),
    ("TAGS", "daily"),
    ("NAMES", "daily_sales"),
    ("FOLDERS", ""),
)
"""Which jobs travel and the names typed (``/reports`` holds no job)."""
PROFILES = ("", "", "to_prod", "nope")
"""None, the profile ``prod`` holds, one no workspace holds."""
REQUIRED = ("0", "0", "0", "1", "2", "x")
APPROVERS = ((), (), ("dev",), ("dev", "viewer"), ("dsrc",))
"""Who may approve, by role: ``dsrc`` has no role in any target."""
READS = ("new", "new", "newest", "stale")
"""What the form was read at: the new-route form, the route's newest version, an older one."""
ROLES = ("viewer", "dev", "dsrc")
"""Users of other roles: a viewer of both workspaces, a developer of the source and ``prod``, a
developer of the source only."""


@dataclass(frozen=True)
class Draft:
    """A route form as a project admin fills it in."""

    name: str
    target: str
    selection: tuple[str, str]
    upstream: bool
    profile: str
    same_name: str
    propagate: bool
    on_drift: str
    scheduling: str
    mode: str
    signed: bool
    required: str
    approvers: tuple[str, ...]
    read: str


def _draft() -> st.SearchStrategy[Draft]:
    return st.builds(
        Draft,
        st.sampled_from(NAMES),
        st.sampled_from(TARGETS),
        st.sampled_from(SELECTIONS),
        st.booleans(),
        st.sampled_from(PROFILES),
        st.sampled_from(("AUTO", "SKIP", "OVERWRITE")),
        st.booleans(),
        st.sampled_from(("FAIL", "KEEP_TARGET", "TAKE_PACKAGE")),
        st.sampled_from(("REFUSE", "PAUSE_AND_RESTORE")),
        st.sampled_from(("ATOMIC", "PER_OBJECT")),
        st.booleans(),
        st.sampled_from(REQUIRED),
        st.sampled_from(APPROVERS),
        st.sampled_from(READS),
    )


def route_stories() -> st.SearchStrategy[tuple[Step, ...]]:
    """Stories of 1–7 steps."""
    name = st.sampled_from(NAMES[:4])
    step = st.one_of(
        st.builds(Step, st.just("save"), st.tuples(st.sampled_from(("admin", "admin2")), _draft())),
        st.builds(Step, st.just("save"), st.tuples(st.just("admin"), _draft())),
        st.builds(Step, st.just("delete"), st.tuples(name, st.sampled_from(("newest", "stale")))),
        st.builds(Step, st.just("promote"), st.tuples(name, st.sampled_from(("admin", *ROLES)))),
        st.builds(
            Step,
            st.just("as_role"),
            st.tuples(st.sampled_from(ROLES), name, st.sampled_from(("view", "save", "delete"))),
        ),
    )
    return st.lists(step, min_size=1, max_size=7).map(tuple)


def plain(name: str, target: str = "prod", **changes: object) -> Draft:
    """A good new route's draft, ``changes`` in place of its defaults."""
    fields: dict[str, object] = {
        "name": name,
        "target": target,
        "selection": ("FOLDERS", "/sales"),
        "upstream": True,
        "profile": "",
        "same_name": "AUTO",
        "propagate": False,
        "on_drift": "FAIL",
        "scheduling": "REFUSE",
        "mode": "ATOMIC",
        "signed": False,
        "required": "0",
        "approvers": (),
        "read": "new",
    }
    fields.update(changes)
    return Draft(**fields)  # type: ignore[arg-type]


def a_story_of_every_page() -> tuple[Step, ...]:
    """Each step once with what it takes, then refused (a hand-written example)."""
    return (
        Step("save", ("admin", plain("nightly", profile="to_prod", propagate=True))),
        Step("save", ("admin2", plain("nightly"))),  # two admins: the name is taken
        Step("save", ("admin", plain("weekly", "other", profile="to_prod"))),
        Step("save", ("admin", plain("weekly", required="0", approvers=("dev",)))),
        Step("save", ("admin", plain("weekly", required="2", approvers=("dev", "viewer")))),
        Step(
            "save",
            ("admin", plain("nightly", "other", approvers=("dev",), required="1", read="newest")),
        ),
        Step("as_role", ("viewer", "nightly", "view")),
        Step("as_role", ("dev", "nightly", "save")),
        Step("promote", ("nightly", "dsrc")),
        Step("promote", ("nightly", "admin")),
        Step("promote", ("nightly", "admin")),
        Step("save", ("admin", plain("nightly", selection=("TAGS", "daily"), read="stale"))),
        Step("delete", ("nightly", "stale")),
        Step("delete", ("nightly", "newest")),
        Step("promote", ("nightly", "admin")),
    )
