"""Generated stories of environment objects of every kind for
``tests/unit/services/test_generated_environment.py``: users of each role put (create or
replace, with settings and secrets, or without secrets to keep them), show, list and remove
objects, now and then under a kind or name that is none or with a body that is refused, in two
workspaces and the production side of the second (enterprise mode); developers save and submit
jobs using objects by name (a job saved since it was submitted may use others than its
submitted version), and delete them; and the first workspace's jobs are exported.

The model of what the documents promise is ``support/environment_model.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from support.environment_model import ADMIN, DEVELOPER, KINDS, NAMES, OPERATOR, VIEWER

PLACES = ("w0", "w1", "w1prod")
"""Two workspaces and the production side of the second."""
JOB_PLACES = ("w0", "w1")
JOBS = ("ja", "jb")
BAD_KINDS = ("table", "Connection", "dli-queue", "")
BAD_NAMES = (" src", "..", "s" * 129, "a\tb")
CALLERS = (ADMIN, ADMIN, ADMIN, DEVELOPER, OPERATOR, VIEWER)
"""Whose role a step is taken with (admins, who write objects, weigh most)."""
SETTINGS = ("region", "size", "endpoint")
SECRET_KEYS = ("apiKey", "password", "sk")
TYPES = ("DWS", "DLI", "HIVE", "CDM", "x")
FAULTS = (
    "unknown",
    "type_empty",
    "type_number",
    "type_placeholder",
    "config_list",
    "secret_number",
    "kind",
    "name",
)


@dataclass(frozen=True)
class Step:
    """One step: what it does and its arguments (the place and the caller's role first)."""

    act: str
    args: tuple[Any, ...]

    def __repr__(self) -> str:
        return f"{self.act}{self.args!r}"


@st.composite
def refs(draw: st.DrawFn, kinds: tuple[str, ...]) -> tuple[str, str]:
    """A kind (mostly one of the story's ``kinds``) and a name, now and then one that is
    none."""
    pick = draw(st.integers(0, 9))
    pool = kinds if pick > 2 else KINDS if pick else BAD_KINDS
    kind = draw(st.sampled_from(pool))
    name = draw(st.sampled_from(NAMES) if draw(st.integers(0, 9)) else st.sampled_from(BAD_NAMES))
    return kind, name


@st.composite
def bodies(draw: st.DrawFn, kind: str, name: str) -> dict[str, Any]:
    """A PUT body: a type, settings now and then, secrets given (some emptied) or left out,
    and now and then a fault. Secret values are marked ``@N`` for the story to make unique."""
    body: dict[str, Any] = {"type": draw(st.sampled_from(TYPES))}
    if draw(st.booleans()):
        keys = draw(st.lists(st.sampled_from(SETTINGS), max_size=2, unique=True))
        body["config"] = {k: draw(st.sampled_from(("eu", "500", "", "a b"))) for k in keys}
    if draw(st.booleans()):
        keys = draw(st.lists(st.sampled_from(SECRET_KEYS), max_size=2, unique=True))
        body["secrets"] = {k: draw(st.sampled_from(("@", "@", ""))) for k in keys}
    if draw(st.integers(0, 4)) == 0:
        body["kind"] = kind
    if draw(st.integers(0, 4)) == 0:
        body["name"] = name
    if draw(st.integers(0, 5)) == 0:
        _broken(body, draw(st.sampled_from(FAULTS)))
    return body


def _broken(body: dict[str, Any], fault: str) -> None:
    if fault == "unknown":
        body["configs"] = {"region": "eu"}  # a typo of config
    elif fault == "type_empty":
        body["type"] = "  "
    elif fault == "type_number":
        body["type"] = 5
    elif fault == "type_placeholder":
        body["type"] = "…"  # a fix's --type … run as printed
    elif fault == "config_list":
        body["config"] = ["region"]
    elif fault == "secret_number":
        body["secrets"] = {"password": 5}
    elif fault == "kind":
        body["kind"] = "agency" if body.get("kind") != "agency" else "dli_queue"
    else:
        body["name"] = "other"


@st.composite
def steps(draw: st.DrawFn, kinds: tuple[str, ...]) -> Step:
    """One step of a story, mostly about objects of ``kinds``."""
    place, role = draw(st.sampled_from((*PLACES[:2], *PLACES))), draw(st.sampled_from(CALLERS))
    acts = ("put", "put", "put", "show", "list", "list_kind", "delete", "delete", "job", "job")
    act = draw(st.sampled_from((*acts, "unjob", "export", "carry", "release")))
    kind, name = draw(refs(kinds))
    if act in ("put", "show", "delete") and draw(st.booleans()):  # the story's first object
        kind, name = kinds[0], "src"
    if act == "put":
        return Step(act, (place, role, kind, name, draw(bodies(kind, name))))
    if act in ("show", "delete"):
        return Step(act, (place, role, kind, name))
    if act == "list_kind":
        return Step(act, (place, role, kind))
    if act == "job":  # by a developer, in a workspace (not production)
        used = draw(st.lists(st.tuples(st.sampled_from(kinds), st.sampled_from(NAMES)), max_size=3))
        where = draw(st.sampled_from(JOB_PLACES))
        return Step(
            act, (where, DEVELOPER, draw(st.sampled_from(JOBS)), tuple(used), draw(st.booleans()))
        )
    if act == "unjob":
        return Step(
            act, (draw(st.sampled_from(JOB_PLACES)), DEVELOPER, draw(st.sampled_from(JOBS)))
        )
    if act == "export":  # the first workspace's jobs, as saved or as submitted
        return Step(act, ("w0", ADMIN, draw(st.booleans())))
    if act == "carry":  # the first workspace's jobs into the second
        return Step(act, ("w0", ADMIN))
    if act == "release":  # the second workspace's pending items, by its admin
        return Step(act, ("w1", ADMIN))
    return Step(act, (place, role))


@st.composite
def environment_stories(draw: st.DrawFn, max_steps: int = 18) -> tuple[Step, ...]:
    """A whole story: its steps, most of them after an admin put a connection with a secret
    in the first workspace, which a job then uses."""
    opening = (
        Step(
            "put", ("w0", ADMIN, "connection", "src", {"type": "DWS", "secrets": {"password": "@"}})
        ),
        Step("job", ("w0", DEVELOPER, "ja", (("connection", "src"), ("cdm_job", "src")), True)),
    )
    first = opening if draw(st.integers(0, 3)) else ()
    kinds = tuple(draw(st.lists(st.sampled_from(KINDS), min_size=1, max_size=3, unique=True)))
    return (*first, *draw(st.lists(steps(kinds), min_size=6, max_size=max_steps)))


def submitted_then_saved() -> tuple[Step, ...]:
    """A job submitted using a queue, then saved using another: the queue its submitted version
    runs is not removed, and is once the job is submitted again."""
    queue = ("dli_queue", "src")
    return (
        Step("put", ("w0", ADMIN, *queue, {"type": "DLI", "config": {"size": "500"}})),
        Step("job", ("w0", DEVELOPER, "ja", (queue,), True)),
        Step("job", ("w0", DEVELOPER, "ja", (("dli_queue", "dst"),), False)),
        Step("delete", ("w0", ADMIN, *queue)),
        Step("job", ("w0", DEVELOPER, "ja", (("dli_queue", "dst"),), True)),
        Step("delete", ("w0", ADMIN, *queue)),
    )


def written_into_production() -> tuple[Step, ...]:
    """An admin puts and removes an object on the production side, which changes only by a
    release."""
    return (
        Step("put", ("w1prod", ADMIN, "agency", "src", {"type": "IAM", "secrets": {"sk": "@"}})),
        Step("list", ("w1prod", VIEWER)),
        Step("delete", ("w1prod", ADMIN, "agency", "src")),
        Step("put", ("w1", OPERATOR, "agency", "src", {"type": "IAM"})),
    )


def carried_into_the_second() -> tuple[Step, ...]:
    """A job using a connection, a queue and a CDM job carried into the second workspace:
    refused while it lacks the connection's secret, then imported with the CDM job (its
    settings, not its secret), which is not removed while the imported job uses it, and which
    a second carry leaves as the second workspace has put it since."""
    conn, queue, cdm = ("connection", "src"), ("dli_queue", "dst"), ("cdm_job", "销售")
    with_secret = {"type": "DWS", "config": {"region": "eu"}, "secrets": {"password": "@"}}
    return (
        Step("put", ("w0", ADMIN, *conn, with_secret)),
        Step(
            "put",
            ("w0", ADMIN, *cdm, {"type": "CDM", "config": {"size": "5"}, "secrets": {"sk": "@"}}),
        ),
        Step("job", ("w0", DEVELOPER, "ja", (conn, queue, cdm), False)),
        Step("put", ("w1", ADMIN, *conn, {"type": "DWS"})),
        Step("put", ("w1", ADMIN, *queue, {"type": "DLI"})),
        Step("carry", ("w0", ADMIN)),
        Step("put", ("w1", ADMIN, *conn, {"type": "DWS", "secrets": {"password": "@"}})),
        Step("carry", ("w0", ADMIN)),
        Step("delete", ("w1", ADMIN, *cdm)),
        Step("put", ("w1", ADMIN, *cdm, {"type": "X", "secrets": {"apiKey": "@"}})),
        Step("carry", ("w0", ADMIN)),
        Step("unjob", ("w1", DEVELOPER, "ja")),
        Step("delete", ("w1", ADMIN, *cdm)),
    )


def released_to_production() -> tuple[Step, ...]:
    """The second workspace's objects reach its production side with a release (secrets
    too), and only then: a change in the second waits for the next release; a package whose
    jobs use an object the second lacks is refused, saying to register it there (its
    production side's own are refused)."""
    queue, agency = ("dli_queue", "src"), ("agency", "dst")
    return (
        Step("job", ("w1", DEVELOPER, "jc", (("ges_graph", "dst"),), True)),
        Step("release", ("w1", ADMIN)),
        Step("unjob", ("w1", DEVELOPER, "jc")),
        Step("put", ("w1", ADMIN, *queue, {"type": "DLI", "config": {"size": "5"}})),
        Step("put", ("w1", ADMIN, *agency, {"type": "IAM", "secrets": {"sk": "@"}})),
        Step("job", ("w1", DEVELOPER, "ja", (queue, agency), True)),
        Step("release", ("w1", ADMIN)),
        Step("put", ("w1", ADMIN, *queue, {"type": "DLI", "config": {"size": "9"}})),
        Step("put", ("w1", ADMIN, "agency", "src", {"type": "IAM"})),
        Step("list", ("w1prod", VIEWER)),
        Step("delete", ("w1prod", ADMIN, *queue)),
        Step("job", ("w1", DEVELOPER, "jb", (), True)),
        Step("release", ("w1", ADMIN)),
        Step("show", ("w1prod", OPERATOR, *agency)),
    )
