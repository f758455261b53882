"""Generated stories of a workspace's jobs through the v1 job calls and the DataArts Factory v2
job calls, for ``tests/api/test_generated_factory_jobs.py``: creates (some depending on another
job), updates, renames, starts and stops, reads, lists and deletes, alternating between the two
APIs, with bodies valid or not (a wrong type, a required field missing, a v2 snake_case body
where v1 camelCase is expected, a name too long, taken or unknown).

What each call promises (docs/api.md, the contracts ``dataarts-api.md`` and
``dataarts-v2-factory.md``), as :func:`expected` says it:

- v1 ``create_job``/``update_job``/``delete_job``/``start_job``/``stop_job`` answer 204,
  ``show_job`` and ``list_jobs`` 200, and refuse with 400: a taken name ``DLF.0102``, an
  unknown job ``DLF.0100``, an invalid definition ``DLF.3051`` naming the field (a name:
  missing ``DLF.3004``, breaking the rule ``DLF.3018``), a job others depend on ``DLF.9013``;
- v2 ``update_factory_job_name`` answers 200 ``{"is_success": true, "status_code": 200}``;
  refuses an unknown job (``DLF.30100`` ``Job[<name>] does not exist``), a taken name
  (``DLF.0102``), a name that is not one (missing ``DLF.3004``, breaking the rule
  ``DLF.3018``, as a save of a job of that name), a scheduled job (``DLF.9011``), a
  job depending on a job of the new name (``DLF.3025``);
- v2 ``create_factory_job`` and ``list_factory_jobs`` are not served: 501 ``DLF.9501`` naming
  the call and its v1 counterpart, whatever the body;
- in an enterprise workspace, v1 ``start_job`` is refused on the development side
  (``DLF.9089``), and every job with a submitted version has one pending item that v2
  ``list_factory_pending_items`` lists under its current name with its latest version (no
  release happens in a story, so each is an addition, ``update_type`` 1);
- the SDK has no v2 show, update or delete of one job: those paths are unknown, 404
  ``APIGW.0101``.

Where a call breaks several rules at once, which one the answer names is not documented: any
of them is right.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from support.release_stories import Step

NAMES = ("a", "b", "A", "订单.v1", "j" * 128)
"""Names that collide, differ in case only, hold non-ASCII and a dot, or are as long as may be."""
TOO_LONG = "j" * 129
CREATE_V1: tuple[str, ...] = (
    "ok",
    "depends",
    "submitted",
    "nodes_text",
    "name_number",
    "name_missing",
)
CREATE_V1 += ("too_long", "v2_body")
UPDATE_V1 = ("ok", "ok", "priority_word", "other_name", "nodes_text")
CREATE_V2 = ("ok", "depend_array", "priority_number", "empty")
RENAME_V2 = ("ok", "ok", "too_long", "number", "missing", "extra_field", "same")
APIS = ("v1", "v2")
SPOILED = {"name_number": "DLF.3018", "too_long": "DLF.3018", "name_missing": "DLF.3004"}
"""The code of a spoiled name (docs/errors.md); any other spoiled field is ``DLF.3051``."""


@dataclass(frozen=True)
class Expected:
    """What a call answers: status, and for a refusal its ``error_code`` (one of ``codes``)."""

    status: int
    codes: tuple[str, ...] = ()
    words: tuple[str, ...] = ()

    @property
    def refused(self) -> bool:
        return self.status >= 400


@dataclass
class State:
    """What the workspace holds, as far as the answers depend on it: each job's upstream jobs
    (``dependJobs``), and which jobs are scheduled."""

    upstream: dict[str, list[str]] = field(default_factory=dict)
    scheduled: set[str] = field(default_factory=set)
    enterprise: bool = False

    def downstream(self, name: str) -> list[str]:
        return [job for job, ups in self.upstream.items() if name in ups and job != name]


def upstream_of(job: dict[str, Any]) -> list[str]:
    """The jobs a v1 job definition's schedule depends on (``dependJobs`` an object, or the
    v2 array of them)."""
    cron = (job.get("schedule") or {}).get("cron") or {}
    depend = cron.get("dependJobs") or []
    return [n for d in (depend if isinstance(depend, list) else [depend]) for n in d["jobs"]]


def other(name: str) -> str:
    """The job of the pool a ``depends`` job depends on."""
    return NAMES[(NAMES.index(name) + 1) % len(NAMES)]


def _refused(*codes: str, words: tuple[str, ...] = ()) -> Expected:
    return Expected(400, codes, words)


def _one_of(refusals: list[str], success: Expected) -> Expected:
    return _refused(*refusals) if refusals else success


def _create_v1(state: State, name: str, variant: str) -> Expected:
    if variant in ("nodes_text", "name_number", "name_missing", "too_long"):
        return _refused(SPOILED.get(variant, "DLF.3051"))
    if variant == "v2_body":  # v1 reads camelCase: no processType, no schedule
        return _refused("DLF.3051", words=("processType not process_type",))
    return _one_of(["DLF.0102"] if name in state.upstream else [], Expected(204))


def _update_v1(state: State, name: str, variant: str) -> Expected:
    refusals = [] if name in state.upstream else ["DLF.0100"]
    if variant != "ok":
        refusals.append("DLF.3051")
    return _one_of(refusals, Expected(204))


_RENAMED_TO = {"too_long": "DLF.3018", "number": "DLF.3018", "missing": "DLF.3004"}
"""The code of a rename to a spoiled name: a job's own name code (docs/errors.md)."""


def _rename_v2(state: State, name: str, new: str, variant: str) -> Expected:
    if variant == "same":
        new = name
    if name not in state.upstream:
        words = (f"Job[{name}] does not exist",)
        if variant in ("too_long", "number", "missing"):
            return _refused(_RENAMED_TO[variant], "DLF.30100")
        return _refused("DLF.30100", words=words)
    if variant in ("too_long", "number", "missing"):
        return _refused(_RENAMED_TO[variant], words=("name",))
    if new == name:
        return Expected(200)
    refusals = ["DLF.0102"] if new in state.upstream else []
    refusals += ["DLF.9011"] if name in state.scheduled else []
    refusals += ["DLF.3025"] if new in state.upstream[name] else []
    return _one_of(refusals, Expected(200))


def _delete(state: State, name: str, api: str) -> Expected:
    if api == "v2":
        return Expected(404, ("APIGW.0101",))
    if name not in state.upstream:
        return _refused("DLF.0100")
    refusals = ["DLF.9013"] if state.downstream(name) else []
    refusals += ["DLF.9011"] if name in state.scheduled else []
    return _one_of(refusals, Expected(204))


def _show(state: State, name: str, api: str) -> Expected:
    if api == "v2":
        return Expected(404, ("APIGW.0101",))
    return Expected(200) if name in state.upstream else _refused("DLF.0100")


def _start(state: State, name: str) -> Expected:
    if name not in state.upstream:
        return _refused("DLF.0100")
    # an enterprise workspace's jobs are scheduled in production, once released
    return _refused("DLF.9089") if state.enterprise else Expected(204)


def _stop(state: State, name: str) -> Expected:
    return Expected(204) if name in state.upstream else _refused("DLF.0100")


def _list(state: State, api: str) -> Expected:
    if api == "v2":
        return Expected(501, ("DLF.9501",), ("list_factory_jobs", "list_jobs"))
    return Expected(200)


def _create_v2(state: State, name: str, variant: str) -> Expected:
    return Expected(501, ("DLF.9501",), ("create_factory_job", "create_job"))


def _update_v2(state: State, name: str) -> Expected:
    return Expected(404, ("APIGW.0101",))


EXPECTED: dict[str, Callable[..., Expected]] = {
    "create_v1": _create_v1,
    "update_v1": _update_v1,
    "rename_v2": _rename_v2,
    "delete": _delete,
    "show": _show,
    "start": _start,
    "stop": _stop,
    "list": _list,
    "create_v2": _create_v2,
    "update_v2": _update_v2,
}


def expected(step: Step, state: State) -> Expected:
    """The answer the documents promise to ``step`` when the workspace is in ``state``."""
    return EXPECTED[step.act](state, *step.args)


def v1_body(name: str, variant: str, job: dict[str, Any]) -> Any:
    """A v1 ``JobInfo`` body from the valid ``job``, spoiled as ``variant`` says."""
    spoiled: dict[str, Any] = {
        "nodes_text": {**job, "nodes": "load"},
        "name_number": {**job, "name": 7},
        "name_missing": {k: v for k, v in job.items() if k != "name"},
        "too_long": {**job, "name": TOO_LONG},
        "priority_word": {**job, "basicConfig": {**job["basicConfig"], "priority": "urgent"}},
        "other_name": {**job, "name": f"{name}_other"},
        "submitted": {**job, "targetStatus": "SUBMITTED"},
        "v2_body": {"name": name, "process_type": "BATCH", "basic_config": {"priority": "0"}},
    }
    if variant == "depends":
        cron = {**job["schedule"]["cron"], "dependJobs": {"jobs": [other(name)]}}
        return {**job, "schedule": {**job["schedule"], "cron": cron}}
    return spoiled.get(variant, job)


def v2_body(name: str, variant: str) -> dict[str, Any]:
    """A v2 ``JobInfoRequest`` (snake_case, ``priority`` a string, ``Cron.period`` required,
    ``Cron.depend_jobs`` an array), valid or not."""
    cron: dict[str, Any] = {"start_time": "2025-01-01T00:00:00+08", "period": "1 hours"}
    body: dict[str, Any] = {
        "name": name,
        "process_type": "BATCH",
        "priority": "0",
        "schedule": {"type": "CRON", "cron": cron},
        "basic_config": {"owner": "alice"},
        "nodes": [],
    }
    if variant == "depend_array":
        cron["depend_jobs"] = [{"jobs": ["a"], "depend_period": "SAME_PERIOD"}]
    elif variant == "priority_number":
        body["priority"] = 0
    elif variant == "empty":
        body = {}
    return body


ACTS: tuple[str, ...] = (
    "create_v1",
    "create_v1",
    "update_v1",
    "update_v1",
    "rename_v2",
    "rename_v2",
)
ACTS += ("rename_v2", "create_v2", "show", "list", "delete", "update_v2", "start", "stop")
VARIANTS = {"create_v1": CREATE_V1, "update_v1": UPDATE_V1, "create_v2": CREATE_V2}


@st.composite
def steps(draw: st.DrawFn) -> Step:
    """One call of a story."""
    name = draw(st.sampled_from(NAMES))
    act = draw(st.sampled_from(ACTS))
    if act in VARIANTS:
        return Step(act, (name, draw(st.sampled_from(VARIANTS[act]))))
    if act == "rename_v2":
        new = draw(st.sampled_from(NAMES))
        return Step(act, (name, new, draw(st.sampled_from(RENAME_V2))))
    if act == "list":
        return Step(act, (draw(st.sampled_from(APIS)),))
    if act in ("update_v2", "start", "stop"):
        return Step(act, (name,))
    return Step(act, (name, draw(st.sampled_from(APIS))))


@st.composite
def factory_job_stories(draw: st.DrawFn) -> tuple[Step, ...]:
    """Stories of 1–3 jobs created through v1 (some depending on another), then 1–16 calls on
    jobs named from a pool of five, so that names collide."""
    names = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=3, unique=True))
    seeds = [Step("create_v1", (n, draw(st.sampled_from(("ok", "depends"))))) for n in names]
    return (*seeds, *draw(st.lists(steps(), min_size=1, max_size=16)))
