"""Generated stories of the list calls for ``tests/api/test_generated_lists.py``: a workspace
seeded with up to 30 jobs (batch and real-time, with tags), scripts, resources and connections
whose names are drawn from a few pieces (cases, accents, Chinese, ``_``, ``-``, ``.``) so that
names hold each other and differ in case only; then steps asking pages of ``list_jobs``,
``list_scripts``, ``list_resources``, ``list_connections``, ``list_dataconnections`` and
``list_factory_scripts`` with drawn filters (a part of a name, its case changed, ``%``, ``_``,
a backslash; tags; types; addresses), limits and offsets, valid or not, and whole walks from
offset 0.

The model of what the documents promise is ``support/list_model.py``.
"""

from __future__ import annotations

from hypothesis import strategies as st

from support.list_model import Connection, Job, Model
from support.release_stories import Step

PIECES = ("a", "A", "b", "ab", "_", "-", ".", "é", "É", "订单", "1", "ß")
TAGS = ("daily", "Daily", "etl", "订单", "t_1")
TYPES = ("DWS", "DLI", "RDS", "HIVE")
SETTINGS = ("ip", "host", "url", "address", "port", "database")
VALUES = ("10.0.0.1", "10.0.0.12", "db.example.com", "jdbc:x://10.0.0.1:5432", "8000")
CALLS = ("jobs", "jobs", "scripts", "resources", "connections", "data_connections")
CALLS_V2 = ("factory_scripts",)
BAD_LIMITS = (0, 101, -1, "", "1.5", "abc", "1_0", "١", 10**20)
BAD_OFFSETS = (-1, 1_000_000_001, "", "1.5", "1_0", "٣", 10**20)


def _valid(name: str) -> bool:
    return bool(name) and len(name) <= 128 and set(name) != {"."}


names = st.lists(st.sampled_from(PIECES), min_size=1, max_size=4).map("".join).filter(_valid)


@st.composite
def seeds(draw: st.DrawFn) -> Model:
    """A workspace's objects: each kind's names unique, 30 objects at most."""
    model = Model()
    for name in draw(st.lists(names, max_size=12, unique=True)):
        tags = tuple(draw(st.lists(st.sampled_from(TAGS), max_size=2, unique=True)))
        model.jobs.append(Job(name, draw(st.booleans()), tags))
    model.scripts = draw(st.lists(names, max_size=6, unique=True))
    model.resources = draw(st.lists(names, max_size=6, unique=True))
    for name in draw(st.lists(names, max_size=6, unique=True)):
        setting = draw(st.sampled_from(SETTINGS))
        model.connections.append(
            Connection(name, draw(st.sampled_from(TYPES)), setting, draw(st.sampled_from(VALUES)))
        )
    return model


@st.composite
def name_filters(draw: st.DrawFn, model: Model) -> str | None:
    """A name filter: a part of a seeded name (now and then its case changed), a name with
    more, a ``%``, ``_`` or backslash, blank, or none."""
    seeded = [j.name for j in model.jobs] + model.scripts + model.resources
    seeded += [c.name for c in model.connections]
    choice = draw(st.sampled_from(("part", "part", "case", "more", "wild", "blank", "none")))
    if choice in ("part", "case", "more") and seeded:
        name = draw(st.sampled_from(seeded))
        start = draw(st.integers(0, len(name) - 1))
        part = name[start : draw(st.integers(start + 1, len(name)))]
        if choice == "case":
            return part.swapcase()
        return part + "x" if choice == "more" else part
    if choice == "wild":
        return draw(st.sampled_from(("%", "_", "a%", "%b", "a_b", "\\", "\\_", "[a]", "*")))
    return "" if choice == "blank" else None


@st.composite
def filters(draw: st.DrawFn, model: Model, call: str) -> dict[str, str]:
    """The filters of one call (the model's keys: ``name``, ``jobType``, ``tags``, ``type``,
    ``ip``)."""
    chosen: dict[str, str | None] = {"name": draw(name_filters(model))}
    if call == "jobs":
        chosen["jobType"] = draw(st.sampled_from((None, "BATCH", "REAL_TIME")))
        tags = draw(st.lists(st.sampled_from((*TAGS, "t", "ETL")), max_size=3))
        chosen["tags"] = ",".join(tags) if tags else None
    if call == "data_connections":
        kinds = (None, *TYPES, "dws", "Dli", "hive")
        chosen["type"] = draw(st.sampled_from(kinds))
        chosen["ip"] = draw(st.sampled_from((None, "10.0.0.1", "example", "0.0", "8000")))
    return {key: value for key, value in chosen.items() if value is not None}


@st.composite
def steps(draw: st.DrawFn, model: Model) -> Step:
    """Ask one page, walk a whole list, ask with a refused limit or offset, or check each
    listed object against its own GET."""
    call = draw(st.sampled_from(CALLS + CALLS_V2))
    act = draw(st.sampled_from(("page", "page", "walk", "walk", "refused", "agree")))
    chosen = draw(filters(model, call))
    limit = draw(st.integers(1, 100) | st.integers(1, 7))
    if act == "refused":
        bad = draw(st.sampled_from(("limit", "offset")))
        if bad == "limit":
            return Step(act, (call, chosen, draw(st.sampled_from(BAD_LIMITS)), 0))
        return Step(act, (call, chosen, limit, draw(st.sampled_from(BAD_OFFSETS))))
    offset = draw(st.integers(0, 12) | st.sampled_from((1_000_000_000, 40)))
    return Step(act, (call, chosen, limit, offset))


@st.composite
def list_stories(draw: st.DrawFn) -> tuple[Model, tuple[Step, ...]]:
    """A seeded workspace and the steps asked of it."""
    model = draw(seeds())
    told = draw(st.lists(steps(model), min_size=1, max_size=10))
    return model, tuple(told)
