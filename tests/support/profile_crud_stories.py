"""Generated stories of environment profiles and workspace environment variables for
``tests/unit/services/test_generated_profiles.py``: users of each role save profiles (valid
ones, and ones with an unknown key, a bad rename, a bad directory or a target-owned path naming
no field; as a JSON or YAML text or a parsed body; on no condition, the version read, a stale
one, a create or a change), show them (the newest, a version, one past the last), list them and
their versions, and remove them (on no condition, the version read or a stale one), in two
workspaces and the production side of the second (enterprise mode); and they save variables
(new, replaced, and ones with a bad name, type, value or field, or named twice) and read them
(``env``);
and the project admin saves a route into the first workspace naming one of its profiles (which
a removal of the profile does not wait for).

The model of what the documents promise is ``support/profile_model.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from support.profile_model import ADMIN, DEVELOPER, OPERATOR, VIEWER

PLACES = ("w0", "w1", "w1prod")
"""Two workspaces and the production side of the second."""
NAMES = ("prod", "staging", "prod", "staging", "eu-west", "生产", "p" * 128)
BAD_NAMES = (" prod", "..", "p" * 129, "a\tb")
"""Profile names a save refuses (a read finds nothing under them)."""
FORMS = ("body", "json", "yaml", "body", "json", "yaml", "list", "broken")
"""How a profile is sent: a parsed body, a JSON or YAML text, or a text that is no profile (a
YAML list, JSON cut short)."""
CONDITIONS = (None, None, "read", "stale", "create", "change")
"""A save's condition: none, ``If-Match`` with the newest version or another one,
``If-None-Match: *``, ``If-Match: *``."""
FAULTS = ("key", "rename_kind", "rename_empty", "directory", "path", "server_kept")
VARIABLES = ("env", "Env", "batch.size", "x-1", "region_1")
CALLERS = (ADMIN, ADMIN, ADMIN, DEVELOPER, DEVELOPER, OPERATOR, VIEWER)
"""Whose role a step is taken with (admins, who write everything, weigh most)."""


@dataclass(frozen=True)
class Step:
    """One step: what it does and its arguments (the place and the caller's role first)."""

    act: str
    args: tuple[Any, ...]

    def __repr__(self) -> str:
        return f"{self.act}{self.args!r}"


@st.composite
def profile_documents(draw: st.DrawFn) -> dict[str, Any]:
    """A profile document, each part there or not, now and then with a fault."""
    doc: dict[str, Any] = {}
    if draw(st.booleans()):
        doc["description"] = draw(st.sampled_from(("production in Frankfurt", "no: 1.0", "x")))
    if draw(st.booleans()):
        renames: dict[str, Any] = {"connection": {"dws_test": "dws_prod"}}
        if draw(st.booleans()):
            renames["dli_queue"] = {"q_test": draw(st.sampled_from(("q_prod", "on", "007")))}
        doc["renames"] = renames
    if draw(st.booleans()):
        doc["params"] = {"env": draw(st.sampled_from(("prod", "yes", "2026-12-24"))), "batch": 500}
    if draw(st.booleans()):
        doc["jobParams"] = {"daily_sales": {"batch": "500"}}
    if draw(st.booleans()):
        doc["executeUser"] = "etl_prod"
    if draw(st.booleans()):
        doc["directory"] = {"from": "/test", "to": "/prod"}
    if draw(st.booleans()):
        paths = ("schedule.cron.expression", "basicConfig.owner", "nodes[*].retryTimes")
        doc["targetOwned"] = draw(st.lists(st.sampled_from(paths), max_size=2, unique=True))
    if draw(st.integers(0, 5)) == 0:
        doc["name"] = "not read"
    for fault in (
        draw(st.sets(st.sampled_from(FAULTS), max_size=2)) if draw(st.integers(0, 3)) == 0 else ()
    ):
        _broken(doc, fault)
    return doc


def _broken(doc: dict[str, Any], fault: str) -> None:
    if fault == "key":
        doc["renmaes"] = {"connection": {"a": "b"}}  # a typo of renames
    elif fault == "rename_kind":
        doc["renames"] = {**doc.get("renames", {}), "table": {"t_test": "t_prod"}}
    elif fault == "rename_empty":
        doc["renames"] = {**doc.get("renames", {}), "connection": {"dws_test": "  "}}
    elif fault == "directory":
        doc["directory"] = {"from": "test", "to": "/prod"}
    else:
        path = "basicConfig.ownr" if fault == "path" else "id"
        doc["targetOwned"] = [*doc.get("targetOwned", []), path]


@st.composite
def variable_params(draw: st.DrawFn) -> list[dict[str, Any]]:
    """The ``params`` of a variables PUT: one to three, now and then with a fault."""
    params: list[dict[str, Any]] = []
    for name in draw(st.lists(st.sampled_from(VARIABLES), max_size=3, unique=True)):
        item: dict[str, Any] = {
            "name": name,
            "value": draw(st.sampled_from(("1", "05", "", "a b"))),
        }
        kind = draw(st.sampled_from((None, "variable", "constant", "")))
        if kind is not None:
            item["type"] = kind
        if draw(st.booleans()):
            item["desc"] = draw(st.sampled_from(("the region", "")))
        params.append(item)
    if params and draw(st.integers(0, 4)) == 0:
        where = params[draw(st.integers(0, len(params) - 1))]
        fault = draw(st.sampled_from(("name", "value", "type", "long_type", "field", "twice")))
        if fault == "name":
            where["name"] = draw(st.sampled_from(("bad name", "", "x" * 65, "a/b")))
        elif fault == "value":
            where["value"] = 5
        elif fault == "type":
            where["type"] = 1
        elif fault == "long_type":
            where["type"] = "t" * 33
        elif fault == "field":
            where["descr"] = "typo"  # ignored: the variable is saved without it
        else:
            params.append(dict(where))
    return params


@st.composite
def steps(draw: st.DrawFn) -> Step:
    """One step of a story."""
    place, role = draw(st.sampled_from((PLACES[0], *PLACES))), draw(st.sampled_from(CALLERS))
    act = draw(
        st.sampled_from(
            (
                *("put", "put", "put", "show", "list", "versions", "remove"),
                *("variables", "variables", "env", "route"),
            )
        )
    )
    name = draw(st.sampled_from(NAMES) if draw(st.integers(0, 9)) else st.sampled_from(BAD_NAMES))
    if act == "put":
        form = draw(st.sampled_from(FORMS))
        condition = draw(st.sampled_from(CONDITIONS))
        return Step(act, (place, role, name, draw(profile_documents()), form, condition))
    if act == "show":
        return Step(act, (place, role, name, draw(st.none() | st.integers(0, 4))))
    if act == "versions":
        return Step(act, (place, role, name))
    if act == "remove":  # mostly of the profile most stories save first
        name = draw(st.sampled_from(("prod", "prod", name)))
        return Step(act, (place, role, name, draw(st.sampled_from((None, "read", "stale")))))
    if act == "variables":
        return Step(act, (place, role, draw(variable_params())))
    if act == "route":  # into the first workspace, saved by the project admin
        return Step(act, ("w0", ADMIN, draw(st.sampled_from(("prod", "prod", "staging")))))
    return Step(act, (place, role))


@st.composite
def profile_stories(draw: st.DrawFn, max_steps: int = 16) -> tuple[Step, ...]:
    """A whole story: its steps, most of them after an admin saved profile ``prod`` in the
    first workspace (which routes then name)."""
    opening = Step("put", ("w0", ADMIN, "prod", {"description": "production"}, "yaml", None))
    first = (opening,) if draw(st.integers(0, 3)) else ()
    return (*first, *draw(st.lists(steps(), min_size=6, max_size=max_steps)))


def a_long_type() -> tuple[Step, ...]:
    """A variable whose type is longer than a workspace keeps: saved as given on SQLite, and
    a database error (HTTP 500) on PostgreSQL, instead of refused naming it (DLF.3051)."""
    long_type = {"name": "env", "value": "1", "type": "t" * 33}
    return (Step("variables", ("w0", ADMIN, [long_type])), Step("list", ("w0", VIEWER)))
