"""Generated stories of running jobs and of the DataArts Studio look-ups for
``tests/unit/services/test_generated_runs.py``: users of each role (and the project admin)
save jobs again (now and then as the other process type, submitted or
not), start jobs (with no body, an empty one, parameters and options, or a body with a fault), stop,
delete, run once and read them (their status, the job list, the execution calls jobferry does
not serve), in two workspaces, the second in enterprise mode, and its production side; jobs
batch or real-time, submitted or only saved, or unknown. They list the instance, the workspaces
and a workspace's members a page at a time (every ``limit`` and ``offset`` edge, and values
that are no page), show one workspace, list the roles, switch a
workspace to enterprise mode; and the project admin gives roles (itself one
too, which changes nothing of what it may do) takes them away and makes users project
admins (who then see every workspace) and no longer between.

The model of what the documents promise is ``support/run_model.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from support.run_model import ADMIN, DEPLOYER, DEVELOPER, OPERATOR, VIEWER

PLACES = ("w0", "w1", "w1prod")
"""Two workspaces (the second in enterprise mode) and the production side of the second."""
JOBS = ("daily", "stream", "draft")
"""Each place's jobs: a submitted batch job, a submitted real-time one, one only saved."""
NAMES = (*JOBS, *JOBS, "ghost", "Daily")
"""The jobs steps name (two no place holds)."""
USERS = (ADMIN, ADMIN, DEVELOPER, OPERATOR, OPERATOR, VIEWER, DEPLOYER, "outsider", "boss")
"""Whose step it is: a user of each role (the deployer holds its role in the enterprise
workspace only, the outsider a viewer's in the first only) and the project admin."""
BODIES: dict[str, Any] = {
    "none": None,
    "empty": {},
    "full": {
        "jobParams": [{"name": "day", "value": "1", "paramType": "variable"}],
        "start_date": 20241030,
        "ignore_first_self_dep": True,
        "ignore_first_self_dependence": True,
    },
    "terraform": {"jobParams": [], "ignore_first_self_dependence": False},
    "bad_day": {"start_date": 20230229},
    "disagree": {"ignore_first_self_dep": True, "ignore_first_self_dependence": False},
    "bad_params": {"jobParams": [{"value": "1"}]},
    "bad_value": {"jobParams": [{"name": "day", "value": 5}]},
    "list": [1],
    "broken": b'{"start_date": 2024',
    "null": b"null",
}
"""Start bodies; the last seven carry a fault (refused ``DLF.3051``, naming it)."""
FAULTY = frozenset({"bad_day", "disagree", "bad_params", "bad_value", "list", "broken", "null"})
LIMITS = (None, None, "1", "2", "3", "20", "100", "0", "101", "-1", "1.5", "", "x", "9" * 20)
OFFSETS = (None, None, "0", "1", "2", "4", "1000000000", "-1", "1000000001", "2.0", "")
UNSERVED = (
    "run_once",
    "list_job_instances",
    "show_job_instance",
    "stop_job_instance",
    "restore_job_instance",
)


@dataclass(frozen=True)
class Step:
    """One step: what it does and its arguments (the place and the caller first)."""

    act: str
    args: tuple[Any, ...]

    def __repr__(self) -> str:
        return f"{self.act}{self.args!r}"


@st.composite
def steps(draw: st.DrawFn) -> Step:
    """One step of a story."""
    place, user = draw(st.sampled_from((PLACES[0], *PLACES))), draw(st.sampled_from(USERS))
    act = draw(
        st.sampled_from(
            (
                *("start", "start", "start", "stop", "stop", "delete", "status", "list"),
                "update",
                *("unserved", "instances", "workspaces", "workspaces", "workspace"),
                *("members", "members", "roles", "grant", "revoke", "promote", "enterprise"),
            )
        )
    )
    name = draw(st.sampled_from(NAMES))
    if act == "start":
        return Step(act, (place, user, name, draw(st.sampled_from(sorted(BODIES)))))
    if act == "update":
        return Step(act, (place, user, name, draw(st.booleans()), draw(st.booleans())))
    if act == "delete":  # mostly of the job most stories start first
        return Step(act, (place, user, draw(st.sampled_from(("daily", "daily", name)))))
    if act in ("stop", "status"):
        return Step(act, (place, user, name))
    if act == "unserved":
        return Step(act, (place, user, name, draw(st.sampled_from(UNSERVED))))
    if act in ("instances", "workspaces", "members"):
        paging = (draw(st.sampled_from(LIMITS)), draw(st.sampled_from(OFFSETS)))
        return Step(act, (place, user, *paging))
    if act in ("grant", "revoke"):  # by the project admin, in a development workspace
        who = draw(st.sampled_from((DEVELOPER, OPERATOR, VIEWER, DEPLOYER, "outsider", "boss")))
        role = draw(st.sampled_from((ADMIN, DEVELOPER, OPERATOR, VIEWER, DEPLOYER)))
        return Step(act, (draw(st.sampled_from(PLACES[:2])), "boss", who, role))
    if act == "promote":  # the project admin makes a user one too, or no longer
        who = draw(st.sampled_from((DEVELOPER, VIEWER, DEPLOYER, "outsider")))
        return Step(act, ("w0", "boss", who, draw(st.booleans())))
    if act == "workspace":
        return Step(act, (place, user, draw(st.sampled_from(PLACES))))
    return Step(act, (place, user))


@st.composite
def run_stories(draw: st.DrawFn, max_steps: int = 16) -> tuple[Step, ...]:
    """A whole story, now and then opening with the first workspace's daily job started."""
    opening = Step("start", ("w0", OPERATOR, "daily", "none"))
    first = (opening,) if draw(st.integers(0, 2)) else ()
    return (*first, *draw(st.lists(steps(), min_size=6, max_size=max_steps)))
