"""Generated stories of DataArts' own import options (``ImportFileReq``), for
``tests/unit/services/importing/test_generated_import_options.py``: a package of drawn jobs
with parameters, an execute user and a connection each, then steps by users of each role:
check-file, and imports (planned first or not) with drawn ``params``, ``jobsParam`` (as the
documented list or as the SDK's free object), ``resources``, ``executeUser``,
``sameNamePolicy``, ``targetStatus`` and ``approvers``, a few of them of a bad shape.

The model (:class:`Model`) says what docs/api.md and the contract promise: what each job holds
after each import (its parameters, connection and execute user: a job's *view*), how many
versions it has, what the plan of an import finds, and which refusal a step meets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from support.builders import make_job

JOBS = ("ja", "jb", "jc")
PARAMS = ("p1", "p2", "p3")
CONNECTIONS = ("dws_conn", "dws_dev")
"""The connections a packaged job's load node uses (the target holds both, and dws_prod)."""
HELD = ("dws_conn", "ssh_conn", "dws_dev", "dws_prod")
SCRIPT_CONNECTION = "dws_conn"
"""The connection the package's scripts use."""
"""The connections the target workspace holds."""
ROLES = ("admin", "developer", "operator", "viewer")
WRITERS = ("admin", "developer")
DENIED, INVALID, REQUIRED, UNKNOWN_JOB = "DLF.6888", "DLF.3051", "DLF.0802", "DLF.9092"
FAILED = "FAILED"
"""A step whose import task fails (its plan found problems): nothing is written."""

View = tuple[tuple[tuple[str, str], ...], str, str | None]
"""A job as the stories look at it: its parameters (name, value), its load node's connection
and its execute user."""


def job_view(document: dict[str, Any]) -> View:
    """The :data:`View` of a job's definition."""
    params = tuple((str(p["name"]), str(p["value"])) for p in document.get("params") or [])
    connection = next(
        str(p["value"]) for p in document["nodes"][0]["properties"] if p["name"] == "connectionName"
    )
    basic = document.get("basicConfig") or {}
    return params, connection, basic.get("executeUser")


def package_job(name: str, params: dict[str, str], connection: str, user: str | None) -> Any:
    """A job of the package: its parameters, its load node's connection, its execute user."""
    job = make_job(
        name, params=[{"name": k, "value": v, "type": "variable"} for k, v in params.items()]
    )
    job["nodes"][0]["properties"][1]["value"] = connection
    if user is not None:
        job["basicConfig"]["executeUser"] = user
    return job


@st.composite
def packages(draw: st.DrawFn) -> tuple[dict[str, Any], ...]:
    """One to three jobs of drawn parameters, connection and execute user."""
    names = draw(st.lists(st.sampled_from(JOBS), min_size=1, max_size=3, unique=True))
    jobs = []
    for name in sorted(names):
        params = draw(st.dictionaries(st.sampled_from(PARAMS), st.sampled_from(("a", "b"))))
        connection = draw(st.sampled_from(CONNECTIONS))
        user = draw(st.none() | st.just("pkg_user"))
        jobs.append(package_job(name, params, connection, user))
    return tuple(jobs)


_VALUES = st.sampled_from(("x", "y", 7))
_PARAMS = st.dictionaries(st.sampled_from((*PARAMS, "p4")), _VALUES, max_size=3)
_DEV = {"name": "dws_dev", "type": "DWS_CONNECTION"}
FAULTS = (
    ("params", ["p1"]),
    ("jobsParam", "x"),
    ("jobsParam", [{"params": {"p1": "x"}}]),
    ("jobsParam", [{"name": "", "params": {}}]),
    ("jobsParam", [{"name": "ja", "params": {"p1": ["x"]}}]),
    ("jobsParam", {"": {"p1": "x"}}),
    ("resources", [_DEV]),
    ("resources", [{**_DEV, "name": "", "replace": "dws_prod"}]),
    ("resources", [{**_DEV, "replace": "dws_prod"}, {**_DEV, "replace": "dws_conn"}]),
    ("resources", [{**_DEV, "type": "DLI_QUEUE", "replace": "dws_prod"}]),
    ("executeUser", 5),
    ("targetStatus", "DONE"),
    ("approvers", [{"name": "bob"}]),
    ("approvers", [{"approverName": " "}]),
    ("approvers", [{"approverName": ""}]),
)
"""Options of a bad shape, each refused naming its field (DLF.3051)."""


@st.composite
def jobs_params(draw: st.DrawFn, names: list[str]) -> Any:
    """``jobsParam`` for jobs among ``names`` (now and then one the package does not hold):
    the documented list (a job may come twice) or the SDK's free object."""
    known = st.sampled_from(names)
    named = known | st.sampled_from((*JOBS, "zz")) if draw(st.integers(0, 5)) == 0 else known
    entries = draw(st.lists(st.tuples(named, _PARAMS), min_size=1, max_size=3))
    if draw(st.integers(0, 3)) == 0:
        return {name: params for name, params in entries}
    return [{"name": name, "params": params} for name, params in entries]


_RENAMES = st.sampled_from(
    (
        [{**_DEV, "replace": "dws_prod"}],
        [{**_DEV, "type": "MRS_HIVE_CONNECTION", "replace": "dws_prod"}],
        [{**_DEV, "replace": "dws_gone"}],
        [{**_DEV, "type": "CDM_CLUSTER", "replace": "dws_gone"}],
        [{"name": "dws_conn", "type": "DWS_CONNECTION", "replace": "dws_prod"}],
        [
            {**_DEV, "replace": "dws_conn"},
            {"name": "dws_conn", "type": "DWS_CONNECTION", "replace": "dws_prod"},
        ],
        [{**_DEV, "replace": "dws_prod"}, {**_DEV, "replace": "dws_prod"}],
    )
)


@st.composite
def options(draw: st.DrawFn, names: list[str], approval: bool) -> dict[str, Any]:
    """An import body's options (without ``path``) for a package of jobs ``names``, each
    present or not (where approval is on, ``targetStatus`` and ``approvers`` mostly given),
    and now and then one of a bad shape."""
    drawn: dict[str, Any] = {}
    for key, values in (
        ("sameNamePolicy", st.sampled_from(("SKIP", "OVERWRITE"))),
        ("params", _PARAMS),
        ("jobsParam", jobs_params(names)),
        ("resources", _RENAMES),
        ("executeUser", st.just("etl")),
        ("targetStatus", st.sampled_from(("SAVED", "SUBMITTED", "PRODUCTION"))),
        ("approvers", st.sampled_from(([{"approverName": "bob"}], []))),
    ):
        asked = approval and key in ("targetStatus", "approvers")
        if draw(st.integers(0, 5)) > 0 if asked else draw(st.booleans()):
            drawn[key] = draw(values)
    if draw(st.integers(0, 5)) == 0:
        key, value = draw(st.sampled_from(FAULTS))
        drawn[key] = value
    return drawn


@dataclass(frozen=True)
class Step:
    """``check`` (check-file) or ``import`` (``planned``: planned first, then imported naming
    the plan) by a user of ``role``."""

    act: str
    role: str
    options: dict[str, Any] = field(default_factory=dict)
    planned: bool = False


@st.composite
def stories(draw: st.DrawFn) -> tuple[tuple[dict[str, Any], ...], bool, tuple[Step, ...]]:
    """A package, the approval switch of the target and one to four steps."""
    package = draw(packages())
    names = [job["name"] for job in package]
    approval = draw(st.integers(0, 2)) == 0
    steps = []
    for _ in range(draw(st.integers(1, 4))):
        role = draw(st.sampled_from((*ROLES, "admin", "admin", "developer")))
        if draw(st.integers(0, 4)) == 0:
            steps.append(Step("check", role))
        else:
            steps.append(Step("import", role, draw(options(names, approval)), draw(st.booleans())))
    return package, approval, tuple(steps)


def shape_fault(body: dict[str, Any]) -> bool:
    """Whether the body is refused for its shape (DLF.3051)."""
    return any(key in body and body[key] == value for key, value in FAULTS)


def per_job(body: dict[str, Any]) -> dict[str, dict[str, str]]:
    """``jobsParam`` by job: entries for one job applied in order (the later value wins)."""
    value = body.get("jobsParam")
    entries = (
        value.items()
        if isinstance(value, dict)
        else [(i["name"], i.get("params")) for i in value or []]
    )
    merged: dict[str, dict[str, str]] = {}
    for name, params in entries:
        merged.setdefault(name, {}).update({k: str(v) for k, v in (params or {}).items()})
    return merged


def renamed(connection: str, body: dict[str, Any]) -> str:
    """The connection a job or script uses once ``resources`` renamed it (a rename of
    another kind, a CDM cluster's, leaves it)."""
    for item in body.get("resources") or []:
        if item["name"] == connection and item["type"].endswith("_CONNECTION"):
            return str(item["replace"])
    return connection


def transformed(view: View, name: str, body: dict[str, Any]) -> View:
    """A packaged job's view as the import writes it (docs/api.md, Transform)."""
    params, connection, user = view
    workspace = {k: str(v) for k, v in (body.get("params") or {}).items()}
    values = dict(params)
    order = [k for k, _ in params]
    for key in order:
        if key in workspace:
            values[key] = workspace[key]
    for key, value in per_job(body).get(name, {}).items():
        if key not in values:
            order.append(key)
        values[key] = value
    connection = renamed(connection, body)
    if body.get("executeUser"):
        user = body["executeUser"]
    return tuple((k, values[k]) for k in order), connection, user


@dataclass
class Model:
    """What the target holds of the package's jobs: name → (view, versions)."""

    package: dict[str, View]
    approval: bool
    jobs: dict[str, tuple[View, tuple[tuple[str, View], ...]]] = field(default_factory=dict)
    scripts: dict[str, str] = field(default_factory=dict)
    """What the target holds of the package's scripts: name → the connection it uses."""
    submitted: dict[str, Any] = field(default_factory=dict)
    """What the newest submitted version of each job (its view) or script (its connection)
    holds, when it has one."""

    def refusal(self, role: str, body: dict[str, Any]) -> str | None:
        """The code an import (or its plan) of ``body`` by ``role`` is refused with."""
        if shape_fault(body):
            return INVALID
        if role not in WRITERS:
            return DENIED
        status, approvers = body.get("targetStatus"), body.get("approvers")
        if self.approval and status is None:
            return REQUIRED
        if status == "PRODUCTION" and role != "admin":
            return DENIED
        if self.approval and status in (None, "SUBMITTED") and not approvers:
            return REQUIRED
        return None

    def actions(self, body: dict[str, Any]) -> dict[str, str]:
        """Job or script name → what the import does with it (CREATE, OVERWRITE, SKIP,
        UNCHANGED)."""
        skip = body.get("sameNamePolicy", "SKIP") == "SKIP"
        saves = body.get("targetStatus") == "SAVED"
        held = {name: view for name, (view, _) in self.jobs.items()} | self.scripts
        wanted: dict[str, Any] = {n: transformed(v, n, body) for n, v in self.package.items()}
        wanted |= {name: renamed(SCRIPT_CONNECTION, body) for name in self.script_names()}
        found = {}
        for name, value in wanted.items():
            if name not in held:
                found[name] = "CREATE"
            elif held[name] == value and (saves or self.submitted.get(name) == value):
                found[name] = "UNCHANGED"  # under SKIP too: nothing to skip
            else:  # a change, or a submit of what is not submitted as it stands
                found[name] = "SKIP" if skip else "OVERWRITE"
        return found

    def script_names(self) -> list[str]:
        """The package's scripts (two a job)."""
        return [f"{name}_{t}" for name in self.package for t in ("sh", "sql")]

    def unknown(self, body: dict[str, Any]) -> bool:
        """Whether ``jobsParam`` names a job the package does not hold (DLF.9092)."""
        return bool(set(per_job(body)) - set(self.package))

    def subtasks(self) -> set[str]:
        """The names of an import's subtasks: one per object of the package."""
        jobs = {f"Import the {n} job." for n in self.package}
        scripts = {f"Import the {n}_{t} script." for n in self.package for t in ("sh", "sql")}
        return jobs | scripts | {"Import the udf_jar resource."}

    def problems(self, body: dict[str, Any]) -> bool:
        """Whether the import of ``body`` fails (its plan refused for an unknown job in
        ``jobsParam``, or finding a connection the target lacks)."""
        if self.unknown(body):
            return True
        written = [n for n, a in self.actions(body).items() if a in ("CREATE", "OVERWRITE")]
        jobs = [transformed(self.package[n], n, body)[1] for n in written if n in self.package]
        scripts = [renamed(SCRIPT_CONNECTION, body) for n in written if n not in self.package]
        return any(connection not in HELD for connection in jobs + scripts)

    def imported(self, body: dict[str, Any]) -> None:
        """An import of ``body`` done: each job it writes holds its new view, and a version
        of it in the status asked (none when it only saves)."""
        status = body.get("targetStatus", "SUBMITTED")
        for name, action in self.actions(body).items():
            if action in ("CREATE", "OVERWRITE") and name not in self.package:
                self.scripts[name] = renamed(SCRIPT_CONNECTION, body)
                if status != "SAVED":
                    self.submitted[name] = self.scripts[name]
            elif action in ("CREATE", "OVERWRITE"):
                versions = self.jobs[name][1] if name in self.jobs else ()
                view = transformed(self.package[name], name, body)
                if status != "SAVED":
                    versions += ((status, view),)
                    self.submitted[name] = view
                self.jobs[name] = (view, versions)


_SPELLINGS = {"DWS_CONNECTION": "MRS_SPARK_CONNECTION", "MRS_HIVE_CONNECTION": "DWS_CONNECTION"}


def respelled(body: dict[str, Any], approval: bool) -> dict[str, Any]:
    """``body`` spelt another way that means the same import: ``jobsParam`` as the other
    form (a job's entries as one), a rename under another type of its kind, numbers as text,
    defaults written out or left out."""
    other = dict(body)
    value = body.get("jobsParam")
    if isinstance(value, dict):
        other["jobsParam"] = [{"name": k, "params": v} for k, v in value.items()]
    elif value is not None:
        other["jobsParam"] = per_job(body)
    if body.get("resources"):
        other["resources"] = [
            {**item, "type": _SPELLINGS.get(item["type"], item["type"])}
            for item in body["resources"]
        ]
    if body.get("params"):
        other["params"] = {k: str(v) for k, v in body["params"].items()}
    if "sameNamePolicy" not in body:
        other["sameNamePolicy"] = "SKIP"
    elif body["sameNamePolicy"] == "SKIP":
        del other["sameNamePolicy"]
    if "targetStatus" not in body and not approval:
        other["targetStatus"] = "SUBMITTED"
    return other


def pinned() -> tuple[tuple[dict[str, Any], ...], bool, tuple[Step, ...]]:
    """The bugs these stories found, told every run: a job named twice in ``jobsParam`` (a
    plan, then its import spelt as the free object), one the package lacks, a blank
    approver where approval is switched on, two renames of one connection."""
    package = (
        package_job("ja", {"p1": "a"}, "dws_dev", None),
        package_job("jb", {}, "dws_conn", "u"),
    )
    twice = [{"name": "ja", "params": {"p1": "x", "p2": 7}}, {"name": "ja", "params": {"p2": "y"}}]
    rename = {**_DEV, "replace": "dws_prod"}
    return (
        package,
        True,
        (
            Step(
                "import",
                "admin",
                {"jobsParam": twice, "resources": [rename], "targetStatus": "PRODUCTION"},
                planned=True,
            ),
            Step(
                "import", "developer", {"jobsParam": {"jz": {"p1": "x"}}, "targetStatus": "SAVED"}
            ),
            Step(
                "import",
                "developer",
                {"targetStatus": "SUBMITTED", "approvers": [{"approverName": ""}]},
            ),
            Step(
                "import",
                "admin",
                {"resources": [rename, {**rename, "replace": "dws_conn"}], "targetStatus": "SAVED"},
            ),
            Step("check", "developer"),
        ),
    )
