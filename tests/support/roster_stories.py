"""Generated stories of the management centre's lists for
``tests/api/test_generated_rosters.py``: a project given a few workspaces and users whose names
are drawn from pieces that hold each other and differ in case, each user holding drawn roles in
drawn workspaces; then steps walking ``list_manager_work_spaces`` (as a project admin and as a
user with roles) and ``list_workspaceusers`` with drawn limits, asking one page, and asking with
a limit or offset out of range.

What the documents promise of them (docs/api.md, "Finding the workspace header value"):
``list_manager_work_spaces`` answers the workspaces the caller has a role in (all for project
admins), default first, ``member_num`` the members ``list_workspaceusers`` counts;
``list_workspaceusers`` the users holding a role in the workspace and the project admins (as
``admin``), by name (code point order, "Names"); both ``{"count", "total_page", "data"}`` with
``count`` every match (the contract's "record count") and ``total_page`` the pages of
``limit`` they fill; ``limit`` 1–100 (20), ``offset`` in rows, whatever
``JOBFERRY_OFFSET_MODE`` says; a limit or offset out of range is refused naming it
(``DAYU.4402``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import strategies as st

from support.list_stories import BAD_LIMITS, BAD_OFFSETS, names
from support.release_stories import Step

ROLES = ("admin", "developer", "operator", "viewer")
REFUSED = "DAYU.4402"


@dataclass
class Roster:
    """Workspaces (by their drawn names) and users with their role in each."""

    workspaces: list[str] = field(default_factory=list)
    users: dict[str, dict[str, str]] = field(default_factory=dict)

    def members(self, workspace: str, project_admins: list[str]) -> list[tuple[str, str]]:
        """(name, role) of the users ``list_workspaceusers`` lists, in code point order."""
        held = {u: roles[workspace] for u, roles in self.users.items() if workspace in roles}
        held.update({name: "admin" for name in project_admins})
        return sorted(held.items())


@st.composite
def rosters(draw: st.DrawFn) -> Roster:
    roster = Roster(draw(st.lists(names, min_size=1, max_size=4, unique=True)))
    for user in draw(st.lists(names, max_size=8, unique=True)):
        places = draw(st.lists(st.sampled_from(roster.workspaces), max_size=3, unique=True))
        roster.users[user] = {w: draw(st.sampled_from(ROLES)) for w in places}
    return roster


@st.composite
def roster_steps(draw: st.DrawFn, roster: Roster) -> Step:
    call = draw(st.sampled_from(("workspaces", "users", "users")))
    caller = draw(st.sampled_from(("project_admin", *roster.users)))
    where = draw(st.sampled_from(roster.workspaces))
    act = draw(st.sampled_from(("walk", "walk", "page", "refused")))
    limit: object = draw(st.integers(1, 6) | st.integers(1, 100))
    offset: object = draw(st.integers(0, 12))
    if act == "refused":
        if draw(st.booleans()):
            limit = draw(st.sampled_from(BAD_LIMITS))
        else:
            offset = draw(st.sampled_from(BAD_OFFSETS))
    return Step(act, (call, caller, where, limit, offset))


@st.composite
def roster_stories(draw: st.DrawFn) -> tuple[Roster, tuple[Step, ...]]:
    roster = draw(rosters())
    return roster, tuple(draw(st.lists(roster_steps(roster), min_size=1, max_size=8)))
