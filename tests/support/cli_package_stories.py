"""Generated stories of the command line's package round trip for
``tests/cli/test_generated_package_commands.py``: a ``src`` workspace seeded with a job running
a script on a connection, a job depending on it, a job of its own and a job using a connection
the other workspace lacks; a ``dst`` workspace holding some of them already (the same, changed,
scheduled); then, in any order, ``export`` from ``src`` (by names, or through the download
center with ``--names-file``), ``plan`` and ``import`` of any package exported so far into
``dst`` with the options the CLI offers, ``rollback`` of an earlier import, ``tasks
list|show`` and ``downloads list``, with edits made through signed calls in either workspace.

The model of what the docs promise is ``support/cli_package_model.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from support.cli_command_stories import Step
from support.cli_package_model import SCRIPT, Held, Model

LOADER, AFTER, SOLO, FAR = "a_load", "b_after", "c_solo", "d_ssh"
JOBS = (LOADER, AFTER, SOLO, FAR)
"""The jobs of ``src`` (``d_ssh`` uses ``ssh_conn``, which ``dst`` has not)."""
POLICIES = (None, None, "skip", "overwrite")
DRIFTS = (None, None, "keep-target", "take-package")


@dataclass(frozen=True)
class Seed:
    """``dst`` before the first step: each job it holds already (``same`` as ``src`` has it,
    or ``changed``), and which of them are scheduled."""

    held: tuple[tuple[str, str], ...]
    scheduled: frozenset[str]

    def model(self) -> Model:
        src = {name: "v0" for name in JOBS}
        dst = {
            name: Held("v0" if how == "same" else "own", name in self.scheduled)
            for name, how in self.held
        }
        if LOADER in dst:
            dst[SCRIPT] = Held("v0")
        return Model(src, dst)


def job_body(name: str, desc: str, connection: str = "ssh_conn") -> dict[str, Any]:
    """A job saved submitted: one node (``a_load`` running the script on ``dws_conn``,
    ``d_ssh`` a shell on ``ssh_conn``), ``b_after`` depending on ``a_load``; ``desc`` tells
    its definitions apart."""
    properties: list[dict[str, str]] = []
    kind = "Dummy"
    if name == LOADER:
        kind = "DWSSQL"
        properties = [
            {"name": "scriptName", "value": SCRIPT},
            {"name": "connectionName", "value": "dws_conn"},
            {"name": "database", "value": "postgres"},
        ]
    elif name == FAR:
        kind = "Shell"
        properties = [{"name": "connectionName", "value": connection}]
    cron: dict[str, Any] = {
        "startTime": "2025-01-01T00:00:00+08",
        "expression": "0 30 2 * * ?",
        "expressionTimeZone": "GMT+08:00",
    }
    if name == AFTER:
        cron["dependJobs"] = {
            "jobs": [LOADER],
            "dependPeriod": "SAME_PERIOD",
            "dependFailPolicy": "FAIL",
        }
    node = {
        "name": "run",
        "type": kind,
        "location": {"x": "10", "y": "20"},
        "preNodeName": [],
        "properties": properties,
    }
    return {
        "name": name,
        "description": desc,
        "nodes": [node],
        "schedule": {"type": "CRON", "cron": cron},
        "processType": "BATCH",
        "directory": "/stories",
    }


@st.composite
def seeds(draw: st.DrawFn) -> Seed:
    """``dst``'s jobs: ``a_load`` and ``c_solo`` absent, the same or changed; ``b_after``
    only beside ``a_load``; ``d_ssh`` never (its connection is missing there)."""
    held = []
    for name in (LOADER, SOLO):
        how = draw(st.sampled_from((None, "same", "changed")))
        if how is not None:
            held.append((name, how))
    if held and held[0][0] == LOADER and draw(st.booleans()):
        held.append((AFTER, "same"))
    names = [name for name, _ in held]
    scheduled = draw(st.frozensets(st.sampled_from(names))) if names else frozenset()
    return Seed(tuple(held), scheduled)


@st.composite
def steps(draw: st.DrawFn) -> Step:
    """One step of the story."""
    act = draw(
        st.sampled_from(
            (
                "export",
                "export",
                "edit-src",
                "plan",
                "plan",
                "import",
                "import",
                "import",
                "rollback",
                "rollback",
                "edit",
                "start",
                "stop",
                "tasks",
                "show",
                "downloads",
            )
        )
    )
    json = draw(st.booleans())
    job = st.sampled_from((LOADER, AFTER, SOLO, LOADER, SOLO))
    options = (
        draw(st.integers(0, 5)),
        draw(st.sampled_from(POLICIES)),
        draw(st.sampled_from(DRIFTS)),
        draw(st.booleans()),
        draw(st.booleans()),
    )
    args: tuple[Any, ...]
    if act == "export":
        names = st.lists(st.sampled_from((*JOBS, LOADER, SOLO, "nope")), min_size=1, max_size=3)
        args = (tuple(sorted(set(draw(names)))), draw(st.booleans()))
    elif act in ("edit-src", "edit", "start", "stop"):
        args = (draw(job),)
    elif act == "plan":
        args = (*options, draw(st.booleans()))
    elif act == "import":
        args = (*options, draw(st.sampled_from((True, True, True, False))), draw(st.booleans()))
    elif act == "rollback":
        args = (draw(st.integers(-1, 3)), draw(st.sampled_from((True, True, False))))
    elif act == "tasks":
        args = (draw(st.sampled_from((None, "import", "rollback"))),)
    elif act == "show":
        args = (draw(st.integers(0, 3)),)
    else:
        args = (draw(st.booleans()),)
    return Step(act, args, json)


@st.composite
def package_stories(draw: st.DrawFn) -> tuple[Seed, tuple[Step, ...]]:
    """A seeded pair of workspaces, a first export and its import (so that later steps have
    an import to roll back), and 4 to 10 steps."""
    names = tuple(sorted(draw(st.sets(st.sampled_from(JOBS[:3]), min_size=1))))
    policy = draw(st.sampled_from((None, "overwrite")))
    first = (
        Step("export", (names, False), False),
        Step("import", (0, policy, "take-package", True, False, True, False), draw(st.booleans())),
    )
    return draw(seeds()), (*first, *draw(st.lists(steps(), min_size=4, max_size=10)))


ROUND_TRIP = (
    Seed(((LOADER, "same"), (SOLO, "changed")), frozenset({SOLO})),
    (
        Step("export", ((LOADER, AFTER, SOLO), False), False),
        Step("plan", (0, None, None, False, False, False), False),
        Step("import", (0, None, None, False, False, True, False), True),
        Step("edit-src", (SOLO,), False),
        Step("export", ((SOLO,), True), True),
        Step("plan", (1, "overwrite", None, False, False, False), True),
        Step("plan", (1, "overwrite", None, False, False, False), False),
        Step("import", (1, "overwrite", None, True, False, True, True), False),
        Step("rollback", (1, True), False),
        Step("rollback", (1, True), True),
        Step("rollback", (1, False), False),
        Step("rollback", (1, False), True),
        Step("rollback", (0, False), False),
        Step("tasks", (None,), False),
        Step("downloads", (False,), False),
        Step("downloads", (True,), True),
    ),
)
"""A first import that skips what ``dst`` holds of its own, an overwrite of a scheduled job
(a problem told to a person with its fixes) paused around it, imported from the download
center, its rollback run again, with ``--yes`` (an import rolled back already is said,
exit 0) and without it (no terminal: refused before any call, exit 2, whatever the import),
and the first one's rollback without a terminal (exit 2)."""
DRIFTED = (
    Seed((), frozenset()),
    (
        Step("export", ((LOADER, SOLO), False), False),
        Step("import", (0, None, None, False, False, True, False), False),
        Step("edit", (SOLO,), False),
        Step("rollback", (0, True), False),
        Step("edit-src", (SOLO,), False),
        Step("export", ((SOLO,), False), True),
        Step("plan", (1, None, None, False, False, False), False),
        Step("plan", (1, None, "keep-target", False, False, False), True),
        Step("import", (1, None, "take-package", False, False, True, False), True),
        Step("plan", (0, None, None, False, False, False), False),
        Step("import", (0, None, "take-package", False, False, True, False), False),
        Step("tasks", ("import",), True),
    ),
)
"""A job changed in ``dst`` after its import: the rollback refused, drift in the next plan
under each ``--on-drift``, then an older package over a newer one (a problem unless
``--on-drift take-package``)."""
