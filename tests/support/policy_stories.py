"""Generated policy stories for property tests of policies
(``tests/unit/services/policies/test_generated_policies.py``): a source workspace promoted
along a route into a target once with no policy; then the source changes (jobs and scripts
made and changed, with their owners and connections, jobs renamed and deleted), policies of
the target workspace and of the route are saved (every rule drawn: a deletion limit,
protected connections, name patterns, owners, freeze windows around a controlled clock, in
several time zones and across daylight saving changes), the promotion is planned at one
moment, policies are saved again or not, and the plan is applied at a later moment.

The model of what the policies ask is ``support/policy_model.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from jobferry.errors import JobferryError
from jobferry.services.container import Services
from jobferry.services.context import Scope
from support.builders import make_job, make_load_node, make_script
from support.policy_model import WEEK, Written, zone_of

JOBS = ("prod_ja", "prod_jb", "jc", "jd")
SCRIPTS = ("prod_sa", "sb", "sc")
CONNECTIONS = ("dws_conn", "ssh_conn")
"""The connections the objects use (the target holds both)."""
OWNERS = ("ann", "ops", "bob", None)
"""A job's owner (``None``: it has none)."""
JOB_PATTERNS = ("prod_.*", "prod_j[ab]", "j.", "[a-z_]+", "prod")
SCRIPT_PATTERNS = ("prod_.*", "s[bc]", ".*a", "s.")
ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Shanghai", "GMT+08:00", "GMT-05:00")
BASES = (
    datetime(2026, 3, 29, 0, 40, tzinfo=UTC),  # Berlin moves to summer time at 01:00 UTC
    datetime(2026, 11, 1, 5, 45, tzinfo=UTC),  # New York back to standard time at 06:00 UTC
    datetime(2026, 12, 24, 15, 50, tzinfo=UTC),  # midnight in Shanghai at 16:00 UTC
    datetime(2026, 6, 14, 21, 30, tzinfo=UTC),  # Sunday to Monday in Berlin at 22:00 UTC
)
"""The moments the stories' clocks run around."""


@dataclass(frozen=True)
class Step:
    """A source's step: ``("job", name, script, connection, owner, look)``, ``("script",
    name, connection, look)``, ``("rename", old, new)`` or ``("delete", job)``."""

    args: tuple[Any, ...]

    def __repr__(self) -> str:
        return f"Step{self.args!r}"


Save = tuple[str, dict[str, Any]]
"""A policy saved: its holder (``workspace`` or ``route``) and its document."""


@dataclass(frozen=True)
class Round:
    """One round of a story: the source's changes, the policies saved before the plan and
    between the plan and its apply, and when the plan is made and applied."""

    changes: tuple[Step, ...]
    before: tuple[Save, ...]
    between: tuple[Save, ...]
    planned_at: datetime
    applied_at: datetime

    def __repr__(self) -> str:
        return (
            f"Round(changes={self.changes}, before={self.before}, between={self.between}, "
            f"planned_at={self.planned_at.isoformat()}, applied_at={self.applied_at.isoformat()})"
        )


@dataclass(frozen=True)
class PolicyStory:
    """The route's mode, the source before the first promotion, and the rounds after it."""

    mode: str
    first: tuple[Step, ...]
    rounds: tuple[Round, ...]


def job_document(
    name: str, script: str, connection: str, owner: str | None, look: int
) -> dict[str, Any]:
    """A job of one node running ``script`` on ``connection``, owned by ``owner``."""
    load = make_load_node(script)
    load["properties"][1]["value"] = connection
    config: dict[str, Any] = {"priority": 0}
    if owner is not None:
        config["owner"] = owner
    return make_job(name, description=f"look {look}", nodes=[load], basicConfig=config)


def script_document(name: str, connection: str, look: int) -> dict[str, Any]:
    return make_script(name, connectionName=connection, content=f"select {look};")


def written_of(kind: str, name: str, document: dict[str, Any], was: str | None) -> Written:
    """What the rules read of an object the plan writes (from its definition; ``was``: its
    name in the target before)."""
    if kind == "script":
        return Written(kind, name, None, document["connectionName"], was=was)
    properties = {p["name"]: p["value"] for p in document["nodes"][0]["properties"]}
    owner = document.get("basicConfig", {}).get("owner")
    script = properties["scriptName"]
    return Written(kind, name, owner, properties["connectionName"], script, was)


@st.composite
def windows(draw: st.DrawFn, base: datetime) -> dict[str, Any]:
    """A freeze window near ``base``: wall-clock times (some the zone skips or repeats),
    dates, times with their own offset, or weekly days around ``base``'s."""
    zone = draw(st.sampled_from(ZONES))
    local = base.astimezone(zone_of(zone))
    form = draw(st.sampled_from(("times", "times", "dates", "offset", "weekly")))
    if form == "weekly":
        near = [WEEK[(local.weekday() + k) % 7] for k in (-1, 0, 1)]
        days = draw(st.lists(st.sampled_from(near), min_size=1, max_size=2, unique=True))
        return {"days": days, "zone": zone}
    if form == "dates":
        start = local.date() + timedelta(days=draw(st.integers(-1, 1)))
        end = start + timedelta(days=draw(st.integers(0, 1)))
        return {"from": start.isoformat(), "to": end.isoformat(), "zone": zone}
    shift = timedelta(minutes=30 * draw(st.integers(-8, 8)))
    length = timedelta(minutes=30 * draw(st.integers(1, 10)))
    if form == "offset":
        start_at = local + shift
        end_at = (start_at + length).astimezone(zone_of(zone))
        said = (start_at.isoformat(timespec="minutes"), end_at.isoformat(timespec="minutes"))
    else:  # wall-clock arithmetic: a time the zone skips or repeats now and then
        wall = local.replace(tzinfo=None) + shift
        said = (wall.isoformat(timespec="minutes"), (wall + length).isoformat(timespec="minutes"))
    return {"from": said[0], "to": said[1], "zone": zone}


@st.composite
def policies(draw: st.DrawFn, base: datetime) -> dict[str, Any]:
    """A policy document: each rule there or not, drawn."""
    doc: dict[str, Any] = {}
    if draw(st.booleans()):
        doc["maxDeletions"] = draw(st.integers(0, 2))
    if draw(st.booleans()):
        protected = st.sampled_from((*CONNECTIONS, "gone_conn"))
        doc["protectedConnections"] = draw(st.lists(protected, min_size=1, max_size=2, unique=True))
    if draw(st.booleans()):
        naming = {"jobs": draw(st.none() | st.sampled_from(JOB_PATTERNS))}
        naming["scripts"] = draw(st.none() | st.sampled_from(SCRIPT_PATTERNS))
        doc["naming"] = {k: v for k, v in naming.items() if v is not None}
    if draw(st.booleans()):
        owners = st.sampled_from(("ann", "ops", "*"))
        doc["owners"] = draw(st.lists(owners, min_size=1, max_size=2, unique=True))
    if draw(st.booleans()):
        doc["freeze"] = draw(st.lists(windows(base), min_size=1, max_size=2))
    if draw(st.booleans()):
        doc["description"] = draw(st.sampled_from(("production rules", "nightly")))
    for fault in (
        draw(st.sets(st.sampled_from(FAULTS), max_size=2)) if draw(st.integers(0, 5)) == 0 else ()
    ):
        _broken(doc, fault)
    return doc


FAULTS = ("key", "pattern", "window")
"""What makes a policy document one a save refuses."""


def _broken(doc: dict[str, Any], fault: str) -> None:
    if fault == "key":
        doc["maxDeletion"] = 1  # a typo of maxDeletions
    elif fault == "pattern":
        doc["naming"] = {**doc.get("naming", {}), "jobs": "prod_(a"}
    else:
        backwards = {"from": "2026-12-24T10:00", "to": "2026-12-24T09:00", "zone": "UTC"}
        doc["freeze"] = [*doc.get("freeze", []), backwards]


@st.composite
def changes(draw: st.DrawFn, jobs: list[str], scripts: list[str]) -> Step:
    """A source's change after the first promotion (mostly of its first ``jobs``, running
    its first ``scripts``)."""
    act = draw(st.sampled_from(("job", "job", "script", "rename", "delete")))
    job = st.sampled_from(jobs) | st.sampled_from(JOBS)
    if act == "job":
        return Step(
            (
                "job",
                draw(job),
                draw(st.sampled_from(scripts) | st.sampled_from(SCRIPTS)),
                draw(st.sampled_from(CONNECTIONS)),
                draw(st.sampled_from(OWNERS)),
                draw(st.integers(0, 2)),
            )
        )
    if act == "script":
        name, connection = draw(st.sampled_from(SCRIPTS)), draw(st.sampled_from(CONNECTIONS))
        return Step(("script", name, connection, draw(st.integers(0, 2))))
    if act == "rename":
        old = draw(job)
        return Step(("rename", old, draw(st.sampled_from([j for j in JOBS if j != old]))))
    return Step(("delete", draw(job)))


@st.composite
def policy_stories(draw: st.DrawFn) -> PolicyStory:
    """A whole story (:class:`PolicyStory`): one to three rounds."""
    base = draw(st.sampled_from(BASES))
    scripts = draw(st.permutations(SCRIPTS))[: draw(st.integers(1, 2))]
    first = [Step(("script", s, draw(st.sampled_from(CONNECTIONS)), 0)) for s in scripts]
    jobs = draw(st.permutations(JOBS))[: draw(st.integers(1, 3))]
    for name in jobs:
        script, connection = draw(st.sampled_from(scripts)), draw(st.sampled_from(CONNECTIONS))
        first.append(Step(("job", name, script, connection, draw(st.sampled_from(OWNERS)), 0)))
    mode = draw(st.sampled_from(("ATOMIC", "PER_OBJECT")))
    rounds = draw(st.lists(policy_rounds(base, jobs, scripts), min_size=1, max_size=3))
    return PolicyStory(mode, tuple(first), tuple(rounds))


@st.composite
def policy_rounds(draw: st.DrawFn, base: datetime, jobs: list[str], scripts: list[str]) -> Round:
    """A round of a story (:class:`Round`), its clock near ``base``."""
    holders = st.sampled_from(("workspace", "route"))
    saves = st.tuples(holders, policies(base))
    planned_at = base + timedelta(minutes=10 * draw(st.integers(-12, 12)))
    later = timedelta(minutes=draw(st.sampled_from((0, 10, 30, 60, 120, 300, 1440))))
    return Round(
        changes=tuple(draw(st.lists(changes(jobs, scripts), min_size=1, max_size=3))),
        before=tuple(draw(st.lists(saves, min_size=1, max_size=2))),
        between=tuple(draw(st.lists(saves, max_size=2))),
        planned_at=planned_at,
        applied_at=planned_at + later,
    )


def act(services: Services, scope: Scope, step: Step) -> bool:
    """Take the source's ``step``; whether the workspace took it (a job running a script the
    source lacks is not made; a refusal changes nothing)."""
    what, *args = step.args
    try:
        if what == "job":
            name, script, connection, owner, look = args
            services.scripts.show(scope, script)
            doc = job_document(name, script, connection, owner, look)
            _put(services.jobs, scope, name, doc)
        elif what == "script":
            name, connection, look = args
            _put(services.scripts, scope, name, script_document(name, connection, look))
        elif what == "rename":
            services.jobs.rename(scope, *args)
        else:
            services.jobs.delete(scope, args[0])
    except JobferryError:
        return False
    return True


def _put(kind: Any, scope: Scope, name: str, doc: dict[str, Any]) -> None:
    try:
        kind.show(scope, name)
    except JobferryError:
        kind.create(scope, doc)
    else:
        kind.update(scope, name, doc)


def planned_in_a_freeze() -> PolicyStory:
    """A plan made during a freeze window (00:20 in Shanghai, in a window from 23:50 to
    01:20 written with its own offset) and applied as it ends: the apply passed the check
    before the import, whose kept plan still held the freeze problem, and failed (found by a
    200-example run, seed 1)."""
    window = {"from": "2026-12-24T23:50+08:00", "to": "2026-12-25T01:20+08:00"}
    first = (Step(("script", "prod_sa", "dws_conn", 0)),)
    first += (Step(("job", "jd", "prod_sa", "ssh_conn", "bob", 0)),)
    change = Step(("job", "prod_jb", "prod_sa", "dws_conn", "ann", 1))
    freeze = ("workspace", {"freeze": [{**window, "zone": "Asia/Shanghai"}]})
    planned_at = datetime(2026, 12, 24, 16, 20, tzinfo=UTC)
    end = Round((change,), (freeze,), (), planned_at, planned_at + timedelta(hours=1))
    return PolicyStory("PER_OBJECT", first, (end,))


def renamed_and_made_again() -> PolicyStory:
    """PER_OBJECT: the source renames prod_ja to prod_jb, which uses a protected connection,
    and makes a new prod_ja: the rename fails, and the new job's write clashed with the old
    job keeping its name, failing the whole import as a concurrent write (found by a
    300-example run, seed 11)."""
    first = (Step(("script", "prod_sa", "dws_conn", 0)),)
    first += (Step(("job", "prod_ja", "prod_sa", "dws_conn", "ann", 0)),)
    changes = (Step(("rename", "prod_ja", "prod_jb")),)
    changes += (Step(("job", "prod_ja", "prod_sa", "ssh_conn", "ann", 1)),)
    changes += (Step(("script", "sb", "ssh_conn", 0)),)  # imported beside them
    protected = ("workspace", {"protectedConnections": ["dws_conn"]})
    at = datetime(2026, 6, 14, 21, 30, tzinfo=UTC)
    return PolicyStory("PER_OBJECT", first, (Round(changes, (protected,), (), at, at),))
