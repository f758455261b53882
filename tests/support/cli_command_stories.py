"""Generated stories of the command line's workspace commands for
``tests/cli/test_generated_workspace_commands.py``: a small workspace seeded through signed
calls (a job using a script, a job depending on it, a job of its own, a real-time job, a
script no job uses; each job scheduled or not), then a few ``jobferry`` commands as a user
types them — ``jobs list|show|start|stop|rename|delete``, ``scripts delete``, ``export``,
``workspaces list|settings`` — on names that exist and that do not, each told for a person
or with ``--json``.

The model of what the docs promise is ``support/cli_command_model.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from support.cli_command_model import Job, Model

LOADER, AFTER, SOLO, STREAM = "a_load", "b_after", "c_solo", "rt_feed"
USED_SCRIPT, SPARE_SCRIPT = "s_load", "s_spare"
JOBS = (LOADER, AFTER, SOLO, STREAM)
JOB_NAMES = (*JOBS, LOADER, AFTER, "nope")
"""Names a step gives a job (the seeded ones weigh most; ``nope`` is no job)."""
NEW_NAMES = (AFTER, SOLO, "x_new", "y_new", "bad name!", LOADER)
SCRIPT_NAMES = (USED_SCRIPT, SPARE_SCRIPT, "nope")
POLICIES = (None, "soft", "hard", "medium")
WORKSPACE_ARGS = (None, "name", "id", "unknown")
"""How ``workspaces settings`` names the workspace: not at all (the context's), by its name,
by its id, or by a name that is none of the caller's."""


@dataclass(frozen=True)
class Step:
    """One command (or an edit a story makes beside them): what it does, its arguments, and
    whether it asks for ``--json``."""

    act: str
    args: tuple[Any, ...]
    json: bool

    def __repr__(self) -> str:
        return f"{self.act}{self.args!r}{' --json' if self.json else ''}"


@dataclass(frozen=True)
class Seed:
    """The story's workspace before its first command: which jobs are scheduled."""

    scheduled: frozenset[str]

    def model(self) -> Model:
        """What the workspace holds once seeded."""
        jobs = {
            LOADER: Job(False, USED_SCRIPT, (), ()),
            AFTER: Job(False, None, (LOADER,), (LOADER,)),
            SOLO: Job(False, None, (), ()),
            STREAM: Job(True, None, (), ()),
        }
        for name in self.scheduled:
            jobs[name].scheduled = True
        return Model(jobs, {USED_SCRIPT, SPARE_SCRIPT})


def job_body(name: str, job: Job) -> dict[str, Any]:
    """A job saved submitted (the default without the approval switch, docs/api.md): one
    node, running ``job.script`` when it has one, and a cron depending on ``job.upstream``."""
    properties = []
    if job.script is not None:
        properties = [
            {"name": "scriptName", "value": job.script},
            {"name": "connectionName", "value": "dws_conn"},
            {"name": "database", "value": "postgres"},
        ]
    node = {
        "name": "run",
        "type": "DWSSQL" if job.script else "Dummy",
        "location": {"x": "10", "y": "20"},
        "preNodeName": [],
        "properties": properties,
    }
    cron: dict[str, Any] = {
        "startTime": "2025-01-01T00:00:00+08",
        "expression": "0 30 2 * * ?",
        "expressionTimeZone": "GMT+08:00",
    }
    if job.upstream:
        cron["dependJobs"] = {
            "jobs": list(job.upstream),
            "dependPeriod": "SAME_PERIOD",
            "dependFailPolicy": "FAIL",
        }
    return {
        "name": name,
        "nodes": [node],
        "schedule": {"type": "CRON", "cron": cron},
        "processType": "REAL_TIME" if job.realtime else "BATCH",
        "directory": "/stories",
    }


@st.composite
def steps(draw: st.DrawFn) -> Step:
    """One command of the story."""
    act = draw(
        st.sampled_from(
            (
                "list",
                "show",
                "start",
                "stop",
                "stop",
                "rename",
                "rename",
                "delete",
                "delete",
                "delete-script",
                "export",
                "export",
                "workspaces",
                "settings",
            )
        )
    )
    json = draw(st.booleans())
    name = st.sampled_from(JOB_NAMES)
    args: tuple[Any, ...]
    if act == "list":
        text = draw(st.sampled_from((None, None, "a", "_", "load", "B")))
        args = (text, draw(st.sampled_from(("batch", "batch", "real-time"))))
    elif act == "show":
        version = draw(st.sampled_from((None, None, "submitted", 1, 2, 0, "both")))
        args = (draw(name), version)
    elif act == "rename":
        args = (draw(name), draw(st.sampled_from(NEW_NAMES)))
    elif act == "delete-script":
        args = (draw(st.sampled_from(SCRIPT_NAMES)),)
    elif act == "export":
        args = tuple(draw(st.lists(name, min_size=1, max_size=3, unique=True)))
    elif act == "workspaces":
        args = ()
    elif act == "settings":
        args = (draw(st.sampled_from(WORKSPACE_ARGS)), draw(st.sampled_from(POLICIES)))
    else:
        args = (draw(name),)
    return Step(act, args, json)


@st.composite
def command_stories(draw: st.DrawFn) -> tuple[Seed, tuple[Step, ...]]:
    """A seeded workspace and 3 to 7 commands."""
    scheduled = draw(st.frozensets(st.sampled_from(JOBS)))
    return Seed(scheduled), tuple(draw(st.lists(steps(), min_size=3, max_size=7)))


RENAMED_THEN_TAKEN = (
    Seed(frozenset()),
    (
        Step("rename", (LOADER, "x_new"), False),
        Step("rename", (SOLO, LOADER), True),
        Step("delete", (LOADER,), False),
        Step("delete", ("x_new",), True),
        Step("show", (AFTER, "submitted"), True),
    ),
)
"""A job renamed, another given its old name: the dependent's submitted version still names
the old name, so the job now under it is depended on (docs/api.md ``delete_job``)."""
SCHEDULED_EVERYWHERE = (
    Seed(frozenset(JOBS)),
    (
        Step("rename", (LOADER, "x_new"), False),
        Step("delete", (SOLO,), False),
        Step("delete-script", (USED_SCRIPT,), False),
        Step("stop", (LOADER,), True),
        Step("rename", (LOADER, AFTER), False),
        Step("export", (LOADER, AFTER), False),
        Step("settings", ("name", "hard"), False),
    ),
)
"""Every job scheduled: refusals told to a person, then a stop and what it allows."""
