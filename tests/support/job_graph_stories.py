"""Generated stories of a job's document for
``tests/unit/services/test_generated_job_graphs.py``: in two workspaces of a project, an admin
creates scripts and resources, and creates and updates jobs whose documents grow from the
documented HiveSQL job (``fixtures/dataarts-examples/otc_doc_job_myJob_hivesql.job``): one to
four nodes of a few types (HiveSQL and Shell nodes running a script, a DLISpark node naming a
resource, a SubJob node running another job), linked by ``preNodeName`` to earlier nodes,
and a cron schedule depending on jobs (``dependJobs``: by name, ``sameWorkSpaceJobs``, and
``otherWorkSpaceJobs`` naming the other workspace, or its own, by name or by id); now and then
broken: a dangling ``preNodeName``, a node listing itself, a cycle, a duplicate node name, a
node without its type, a condition testing a node that is no upstream, a job depending on
itself. Scripts, resources and jobs are deleted and jobs renamed under the jobs naming them,
and the references and the downstream jobs of each are read.

The model of what the documents promise is ``support/job_graph_model.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import strategies as st

from support.release_stories import Step

PLACES = ("w0", "w1")
"""Two workspaces of the project."""
JOBS = ("a", "b", "c")
SCRIPTS = ("s_load", "s_sum")
RESOURCES = ("r_jar",)
MISSING_SCRIPT = "s_gone"
"""A script no step creates (a node may name it: the save is not refused)."""
NODE_TYPES = ("HiveSQL", "Shell", "DLISpark", "SubJob")
FAULTS = ("dangling", "self", "cycle", "duplicate", "no_type", "condition", "depend_self")
"""What a drawn job document may break (several at once)."""


@dataclass(frozen=True)
class Node:
    """A node of a drawn job: its type, the object its property names (a script, resource or
    job by type), its upstreams by index (earlier nodes) and whether it names a connection."""

    kind: str
    names: str
    ups: tuple[int, ...]
    connection: bool


@dataclass(frozen=True)
class Depend:
    """A cron dependency: ``how`` (``jobs``, ``same``, ``other``: the other workspace by name,
    ``own``: its own workspace as another's, ``other_id``, ``own_id``: the other workspace or
    its own by id) and the job it names."""

    how: str
    job: str


@dataclass(frozen=True)
class JobSpec:
    """A drawn job document, before the story's workspaces give it their names."""

    nodes: tuple[Node, ...]
    depends: tuple[Depend, ...]
    faults: frozenset[str] = field(default_factory=frozenset)


@st.composite
def nodes(draw: st.DrawFn) -> tuple[Node, ...]:
    """One to four nodes, each linked to earlier ones or none."""
    count = draw(st.integers(1, 4))
    drawn = []
    for i in range(count):
        kind = draw(st.sampled_from(NODE_TYPES))
        if kind in ("HiveSQL", "Shell"):
            names = draw(st.sampled_from((*SCRIPTS, *SCRIPTS, MISSING_SCRIPT)))
        elif kind == "DLISpark":
            names = RESOURCES[0]
        else:
            names = draw(st.sampled_from(JOBS))
        ups = tuple(sorted(draw(st.sets(st.integers(0, i - 1), max_size=2)))) if i else ()
        drawn.append(Node(kind, names, ups, draw(st.integers(0, 3)) == 0))
    return tuple(drawn)


@st.composite
def job_specs(draw: st.DrawFn, job: str) -> JobSpec:
    """A document of job ``job``: its nodes, its dependencies (now and then on itself), now
    and then its faults."""
    others = [name for name in JOBS if name != job]
    depends = draw(
        st.lists(
            st.builds(
                Depend,
                st.sampled_from(("jobs", "same", "other", "other", "own", "other_id", "own_id")),
                st.sampled_from((*others, *others, *others, job)),
            ),
            max_size=2,
        )
    )
    broken = draw(st.integers(0, 3)) == 0
    faults = draw(st.sets(st.sampled_from(FAULTS), min_size=1, max_size=2)) if broken else ()
    return JobSpec(draw(nodes()), tuple(depends), frozenset(faults))


@st.composite
def steps(draw: st.DrawFn) -> Step:
    """One step of a story."""
    place = draw(st.sampled_from((PLACES[0], *PLACES)))
    act = draw(
        st.sampled_from(
            (
                *("job", "job", "job", "job", "script", "resource"),
                *("delete_job", "delete_script", "delete_resource", "rename"),
                *("references", "show"),
            )
        )
    )
    job = draw(st.sampled_from((*JOBS[:2], *JOBS)))
    if act == "job":
        return Step(act, (place, job, draw(job_specs(job))))
    if act in ("script", "delete_script"):
        return Step(act, (place, draw(st.sampled_from((*SCRIPTS, MISSING_SCRIPT)))))
    if act in ("resource", "delete_resource"):
        return Step(act, (place, RESOURCES[0]))
    if act == "rename":
        return Step(act, (place, job, draw(st.sampled_from(JOBS))))
    return Step(act, (place, job))


OPENING = (
    Step("script", ("w0", SCRIPTS[0])),
    Step("script", ("w0", SCRIPTS[1])),
    Step("resource", ("w0", RESOURCES[0])),
)
"""Most stories start with the first workspace holding the scripts and the resource, and
most of those with job ``a`` there running the first script."""
A_JOB = Step("job", ("w0", "a", JobSpec((Node("HiveSQL", SCRIPTS[0], (), False),), ())))


@st.composite
def job_graph_stories(draw: st.DrawFn, max_steps: int = 10) -> tuple[Step, ...]:
    """A whole story: its steps, most of them after the opening."""
    first = OPENING if draw(st.integers(0, 3)) else ()
    first += (A_JOB,) if first and draw(st.integers(0, 2)) else ()
    return (*first, *draw(st.lists(steps(), min_size=6, max_size=max_steps)))


def upstreams_named_thrice_and_by_id() -> tuple[Step, ...]:
    """Job ``b`` of the first workspace depends on job ``a`` of its workspace by name and
    naming its own workspace as another's, by name and by id; job ``b`` of the second on ``a``
    naming the first workspace by its id (``workSpaceId``). Then ``a`` is shown, deleted and
    renamed (``b`` of the first workspace follows)."""
    spec_a = JobSpec((Node("HiveSQL", SCRIPTS[0], (), False),), ())
    thrice = (Depend("jobs", "a"), Depend("own", "a"), Depend("own_id", "a"))
    twice = JobSpec((Node("Shell", SCRIPTS[1], (), True),), thrice)
    by_id = JobSpec((Node("SubJob", "c", (), False),), (Depend("other_id", "a"),))
    return (
        *OPENING,
        Step("job", ("w0", "a", spec_a)),
        Step("job", ("w0", "b", twice)),
        Step("job", ("w1", "b", by_id)),
        Step("show", ("w0", "a")),
        Step("delete_job", ("w0", "a")),
        Step("rename", ("w0", "a", "c")),
        Step("delete_job", ("w1", "b")),
        Step("rename", ("w0", "a", "c")),
    )


def a_self_dependency_through_its_workspace() -> tuple[Step, ...]:
    """Job ``a`` depends on itself by naming its own workspace as another's."""
    spec = JobSpec((Node("HiveSQL", SCRIPTS[0], (), False),), (Depend("own", "a"),))
    return (*OPENING, Step("job", ("w0", "a", spec)), Step("references", ("w0", "a")))


def a_graph_with_every_fault() -> tuple[Step, ...]:
    """A job whose nodes break every node rule at once, then a valid one whose script is
    deleted under it."""
    broken = JobSpec(
        (
            Node("HiveSQL", SCRIPTS[0], (), False),
            Node("Shell", SCRIPTS[1], (0,), True),
            Node("DLISpark", RESOURCES[0], (0, 1), False),
        ),
        (Depend("jobs", "b"),),
        frozenset({"dangling", "cycle", "duplicate", "no_type", "condition"}),
    )
    good = JobSpec((Node("HiveSQL", SCRIPTS[0], (), True),), ())
    return (
        *OPENING,
        Step("job", ("w0", "a", broken)),
        Step("job", ("w0", "a", good)),
        Step("delete_script", ("w0", SCRIPTS[0])),
        Step("references", ("w0", "a")),
    )
