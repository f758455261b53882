"""The workspace the DataArts stand-in (``support/standin.py``) holds, and its answer to each
call it models, as DataArts answers per the contract (the SDKs' response models, the API
reference's error codes): jobs with their scheduling status and submitted versions, scripts,
resources (addressed by id), data connections (DataArts Studio) and environment variables.

Each answer method is named for its SDK call and takes the call's decoded request (path
parameters, query, body); it returns ``(status, JSON or bytes)`` or raises :class:`Refusal`.
Lists page as the reference says: ``limit`` 1–100 (default 10), ``offset`` a page number.
"""

from __future__ import annotations

import copy
import io
import itertools
import re
import threading
import time
import zipfile
from dataclasses import dataclass, field
from typing import Any

import orjson

Answer = tuple[int, Any]
BATCH, REAL_TIME = "BATCH", "REAL_TIME"
NAME = re.compile(r"^[\w.\-]{1,128}$")
STEERING = ("targetStatus", "approvers")
"""Body fields that steer a write and are not kept in the definition."""
_ids = itertools.count(1)


class _Clock:
    """Epoch ms of the stand-in's writes: the time now, each later than the one before. Not a
    fixed count from a past moment: a shadow stamps a job with its ``lastUpdateTime``, and a
    rollback takes a job stamped before its import was queued for one that named its objects
    before it (``importing/undoing.py``): one made in DataArts after a push would be taken so
    (found by the generated remote promotions)."""

    def __init__(self) -> None:
        self.last = 0
        self.lock = threading.Lock()

    def __iter__(self) -> _Clock:
        return self

    def __next__(self) -> int:
        with self.lock:
            self.last = max(time.time_ns() // 1_000_000, self.last + 1)
            return self.last


_clock = _Clock()


class Refusal(Exception):  # noqa: N818 - the remote's refusal, answered as its error body
    """DataArts' refusal of a call: HTTP status and ``{"error_code", "error_msg"}``."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.status = code, message, status

    def body(self) -> dict[str, str]:
        """The error body DataArts answers."""
        return {"error_code": self.code, "error_msg": self.message}


@dataclass
class Request:
    """One call as the stand-in decoded it."""

    call: str
    path: dict[str, str]
    query: dict[str, str]
    body: Any


@dataclass
class Job:
    """A job: its development state, scheduling status and submitted versions. A test that
    changes ``doc`` by hand calls :meth:`touch`, as DataArts stamps a save."""

    doc: dict[str, Any]
    status: str = "STOPPED"
    submitted: list[dict[str, Any]] = field(default_factory=list)
    created: int = field(default_factory=lambda: next(_clock))
    updated: int = 0
    """When its definition last changed (``lastUpdateTime`` in ``list_jobs``)."""

    def __post_init__(self) -> None:
        self.updated = self.updated or self.created

    def touch(self) -> None:
        """Its definition changed now."""
        self.updated = next(_clock)

    @property
    def type(self) -> str:
        return REAL_TIME if self.doc.get("processType") == REAL_TIME else BATCH


@dataclass
class Connection:
    """One data connection's development side (``env_type`` 0), as DataArts Studio holds it."""

    dw_id: str
    name: str
    type: str
    config: dict[str, Any]
    category: str | None = None
    description: str = ""
    agent_id: str | None = None
    agent_name: str | None = None
    env_type: int = 0


def _page(items: list[Any], query: dict[str, str], default: int = 10) -> list[Any]:
    limit = int(query.get("limit") or default)
    offset = int(query.get("offset") or 0)
    if not 1 <= limit <= 100 or offset < 0:
        raise Refusal("DLF.3051", "The request parameter is invalid.")
    return items[offset * limit : offset * limit + limit]


def _matching(names: list[str], query: dict[str, str], key: str) -> list[str]:
    wanted = query.get(key)
    return sorted(n for n in names if not wanted or wanted in n)


_SCALARS = (str, int, float, bool, type(None))


def _copied(value: Any) -> Any:
    """A deep copy of a JSON document (dicts, lists and scalars), three times sooner than
    ``copy.deepcopy``, which pays for a memo of every object it meets: a test seeds thousands
    of jobs. Anything else is left to ``copy.deepcopy``."""
    kind = type(value)
    if kind is dict:
        return {key: _copied(item) for key, item in value.items()}
    if kind is list:
        return [_copied(item) for item in value]
    if kind in _SCALARS:
        return value
    return copy.deepcopy(value)


def _kept(body: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in body.items() if key not in STEERING and key != "version"}


def _answered(job: Job, doc: dict[str, Any], version: int | None = None) -> dict[str, Any]:
    """A job's definition as show_job answers it and an export writes it: with the version
    (``version``, else the job's latest submitted one) as a string, as DataArts' exports carry
    ``"version": "1"``, ``"2"`` (none while never submitted); the body's own is not kept."""
    number = version or len(job.submitted)
    return {**doc, "version": str(number)} if number else doc


def _submits(body: dict[str, Any]) -> bool:
    """Whether a save also submits (no review switch: absent ``targetStatus`` submits)."""
    return body.get("targetStatus") in (None, "SUBMITTED", "PRODUCTION")


@dataclass
class DataArtsWorkspace:
    """One remote workspace's objects, and the answers to the calls that read and write them."""

    user: str = "standin_user"
    jobs: dict[str, Job] = field(default_factory=dict)
    scripts: dict[str, dict[str, Any]] = field(default_factory=dict)
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Resource id → definition (with its ``id``)."""
    connections: dict[str, Connection] = field(default_factory=dict)
    variables: dict[str, str] = field(default_factory=dict)

    # -- seeding (what a test puts in the remote before the story) -------------------------

    def put_job(self, doc: dict[str, Any], status: str = "STOPPED", submit: bool = True) -> None:
        """Hold ``doc`` as a job (submitted as a version unless ``submit`` is false)."""
        job = Job(_copied(_kept(doc)), status)
        if submit:
            job.submitted.append(_copied(job.doc))
        self.jobs[str(doc["name"])] = job

    def edit_job(self, name: str, **fields: Any) -> None:
        """Change fields of a job's development state, as a save in DataArts' editor does (not
        submitted, ``lastUpdateTime`` stamped): a hot-fix made in the remote."""
        job = self.jobs[name]
        job.doc.update(_copied(fields))
        job.touch()

    def put_script(self, doc: dict[str, Any]) -> None:
        """Hold ``doc`` as a script."""
        self.scripts[str(doc["name"])] = {**_kept(doc), "id": f"{next(_ids):032x}"}

    def put_resource(self, doc: dict[str, Any]) -> str:
        """Hold ``doc`` as a resource; its id."""
        resource_id = f"res{next(_ids):08d}"
        self.resources[resource_id] = {**doc, "id": resource_id}
        return resource_id

    def put_connection(self, name: str, type_: str, **config: Any) -> str:
        """Hold a data connection (``category``, ``description`` and ``agent_*`` are fields of
        their own, the rest its ``dw_config``); its id."""
        dw_id = f"{next(_ids):032x}"
        own = {
            k: config.pop(k)
            for k in ("category", "description", "agent_id", "agent_name")
            if k in config
        }
        self.connections[dw_id] = Connection(dw_id, name, type_, config, **own)
        return dw_id

    def batch_export(self) -> bytes:
        """Every job as a DataArts batch export (``jobs.zip``), what a snapshot carried from
        the remote's side may be."""
        request = Request("export_job_list", {}, {}, {"jobList": sorted(self.jobs)})
        _, data = self.export_job_list(request)
        assert isinstance(data, bytes)
        return data

    def resource_named(self, name: str) -> dict[str, Any] | None:
        """The resource called ``name``, if held."""
        return next((r for r in self.resources.values() if r.get("name") == name), None)

    # -- jobs ------------------------------------------------------------------------------

    def _job(self, name: str) -> Job:
        job = self.jobs.get(name)
        if job is None:
            raise Refusal("DLF.0100", "The job does not exist.")
        return job

    def list_jobs(self, r: Request) -> Answer:
        job_type = r.query.get("jobType") or BATCH  # the reference: the list defaults to batch
        names = [
            n
            for n in _matching(list(self.jobs), r.query, "jobName")
            if self.jobs[n].type == job_type
        ]
        rows = [self._job_result(n) for n in _page(names, r.query)]
        return 200, {"total": len(names), "jobs": rows}

    def _job_result(self, name: str) -> dict[str, Any]:
        job = self.jobs[name]
        directory = str(job.doc.get("directory") or "/")
        return {
            "name": name,
            "jobType": job.type,
            "status": job.status,
            "createUser": self.user,
            "createTime": job.created,
            "lastUpdateUser": self.user,
            "lastUpdateTime": job.updated,
            "path": directory.rstrip("/") + "/" + name,
        }

    def show_job(self, r: Request) -> Answer:
        job = self._job(r.path["job_name"])
        if r.query.get("getJobSubmitVersion") == "true" or r.query.get("version"):
            if not job.submitted:
                raise Refusal("DLF.3051", "The job has no submitted version.")
            number = int(r.query.get("version") or len(job.submitted))
            doc = _answered(job, job.submitted[number - 1], number)
        else:
            doc = _answered(job, job.doc)
        return 200, {**doc, "createTime": job.created}

    def show_job_status(self, r: Request) -> Answer:
        job = self._job(r.path["job_name"])
        return 200, {"name": r.path["job_name"], "status": job.status}

    def export_job_list(self, r: Request) -> Answer:
        names, submitted = r.body.get("jobList") or [], r.body.get("exportStatus") == "SUBMIT"
        if not 0 < len(names) <= 100:
            raise Refusal("DLF.3051", "The request parameter is invalid.")
        missing = [n for n in names if n not in self.jobs]
        if missing:
            raise Refusal("DLF.0100", f"The job does not exist: {', '.join(missing)}.")
        if submitted and (never := [n for n in names if not self.jobs[n].submitted]):
            raise Refusal("DLF.3051", f"Jobs never submitted: {', '.join(never)}.")
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            for name in names:
                job = self.jobs[name]
                doc = _answered(job, job.submitted[-1] if submitted else job.doc)
                archive.writestr(f"{name}/{doc['name']}.job", orjson.dumps(doc))
        return 200, out.getvalue()

    def create_job(self, r: Request) -> Answer:
        name = r.body.get("name")
        if not isinstance(name, str) or not NAME.match(name):
            raise Refusal("DLF.3018", "The job name is invalid.")
        if name in self.jobs:
            raise Refusal("DLF.0102", "The job name already exists.")
        self.put_job(r.body, submit=_submits(r.body))
        return 204, None

    def update_job(self, r: Request) -> Answer:
        """The body replaces the job's development state whole: a field it leaves out, the
        ``description`` above all (``JobInfo`` and the API reference's body have none), is gone
        afterwards. DataArts documents neither keeping nor clearing such a field; this is the
        conservative reading (docs/remotes.md, "A job's description")."""
        name = r.path["job_name"]
        job = self._job(name)
        if r.body.get("name", name) != name:
            raise Refusal(
                "DLF.3051", "The request parameter is invalid (name differs from the path)."
            )
        job.doc = _copied(_kept(r.body))
        job.touch()
        if _submits(r.body):
            job.submitted.append(_copied(job.doc))
        return 204, None

    def delete_job(self, r: Request) -> Answer:
        self._job(r.path["job_name"])
        del self.jobs[r.path["job_name"]]
        return 204, None

    def start_job(self, r: Request) -> Answer:
        job = self._job(r.path["job_name"])
        if not job.submitted:
            raise Refusal("DLF.3051", "The job has never been submitted.")
        job.status = "NORMAL" if job.type == REAL_TIME else "SCHEDULING"
        return 204, None

    def stop_job(self, r: Request) -> Answer:
        self._job(r.path["job_name"]).status = "STOPPED"
        return 204, None

    def update_factory_job_name(self, r: Request) -> Answer:
        old, new = r.path["job_name"], r.body.get("name")
        if old not in self.jobs:
            raise Refusal("DLF.30100", f"Job[{old}] does not exist")
        if not isinstance(new, str) or not NAME.match(new):
            raise Refusal("DLF.3018", "The job name is invalid.")
        if new in self.jobs:
            raise Refusal("DLF.0102", "The job name already exists.")
        job = self.jobs.pop(old)
        job.doc["name"] = new
        job.touch()
        self.jobs[new] = job
        return 200, {"is_success": True, "status_code": 200}

    # -- scripts and resources --------------------------------------------------------------

    def _script(self, name: str) -> dict[str, Any]:
        if name not in self.scripts:
            raise Refusal("DLF.6201", "The script does not exist.")
        return self.scripts[name]

    def list_scripts(self, r: Request) -> Answer:
        names = _matching(list(self.scripts), r.query, "scriptName")
        return 200, {
            "total": len(names),
            "scripts": [self.scripts[n] for n in _page(names, r.query)],
        }

    def show_script(self, r: Request) -> Answer:
        return 200, self._script(r.path["script_name"])

    def create_script(self, r: Request) -> Answer:
        name = r.body.get("name")
        if not isinstance(name, str) or not NAME.match(name):
            raise Refusal("DLF.0201", "The script name is invalid.")
        if name in self.scripts:
            raise Refusal("DLF.0202", "The script name already exists.")
        if not r.body.get("type"):
            raise Refusal("DLF.6247", "The script type is not specified.")
        self.put_script(r.body)
        return 204, None

    def update_script(self, r: Request) -> Answer:
        old = self._script(r.path["script_name"])
        self.scripts[r.path["script_name"]] = {**_kept(r.body), "id": old["id"]}
        return 204, None

    def delete_script(self, r: Request) -> Answer:
        self._script(r.path["script_name"])
        del self.scripts[r.path["script_name"]]
        return 204, None

    def _resource(self, resource_id: str) -> dict[str, Any]:
        if resource_id not in self.resources:
            raise Refusal("DLF.6241", "The resource does not exist.")
        return self.resources[resource_id]

    def list_resources(self, r: Request) -> Answer:
        wanted = r.query.get("resourceName")
        rows = sorted(
            (x for x in self.resources.values() if not wanted or wanted in str(x.get("name"))),
            key=lambda x: str(x.get("name")),
        )
        return 200, {"total": len(rows), "resources": _page(rows, r.query)}

    def show_resource(self, r: Request) -> Answer:
        return 200, self._resource(r.path["resource_id"])

    def create_resource(self, r: Request) -> Answer:
        name = r.body.get("name")
        if not isinstance(name, str) or not NAME.match(name):
            raise Refusal("DLF.3051", "The resource name is invalid.")
        if self.resource_named(name) is not None:
            raise Refusal("DLF.6259", "A resource with the same name exists in the directory.")
        body = {k: v for k, v in r.body.items() if k != "id"}
        return 200, {"resourceId": self.put_resource(body)}

    def update_resource(self, r: Request) -> Answer:
        resource_id = r.path["resource_id"]
        self._resource(resource_id)
        self.resources[resource_id] = {**r.body, "id": resource_id}
        return 204, None

    def delete_resource(self, r: Request) -> Answer:
        self._resource(r.path["resource_id"])
        del self.resources[r.path["resource_id"]]
        return 204, None

    # -- DataArts Studio: connections and environment variables ---------------------------

    def list_dataconnections(self, r: Request) -> Answer:
        rows = [
            {
                "dw_id": c.dw_id,
                "dw_name": c.name,
                "dw_type": c.type,
                "create_user": self.user,
                "create_time": 1_700_000_000_000.0,
                "qualified_name": c.name,
                "description": c.description,
            }
            for c in sorted(self.connections.values(), key=lambda c: c.name)
            if not r.query.get("name") or r.query["name"] in c.name
        ]
        page = _page(rows, r.query)
        return 200, {
            "count": len(page),
            "max_records": 50,
            "total_size": len(rows),
            "data_connection_lists": page,
        }

    def show_dataconnection(self, r: Request) -> Answer:
        c = self.connections.get(r.path["data_connection_id"])
        if c is None:
            raise Refusal("DLF.6322", "The data connection does not exist.")
        shown: dict[str, Any] = {
            "dw_id": c.dw_id,
            "dw_name": c.name,
            "dw_type": c.type,
            "dw_config": {
                k: ("******" if "password" in k.lower() else v) for k, v in c.config.items()
            },
            "env_type": c.env_type,
            "qualified_name": c.name,
            "create_user": self.user,
            "create_time": 1_700_000_000_000.0,
            "description": c.description,
            "update_type": 0,
        }
        if c.category is not None:
            shown["dw_catagory"] = c.category  # sic: the response model's spelling
        if c.agent_id is not None:
            shown["agent_id"] = c.agent_id
        if c.agent_name is not None:
            shown["agent_name"] = c.agent_name
        return 200, shown

    def show_factory_env(self, r: Request) -> Answer:
        params = [
            {"name": k, "type": "variable", "value": v} for k, v in sorted(self.variables.items())
        ]
        return 200, {"params": params}


MODELLED = frozenset(
    name
    for name in vars(DataArtsWorkspace)
    if not name.startswith(("_", "put_", "edit_", "resource_named", "batch_export"))
    and callable(getattr(DataArtsWorkspace, name))
)
"""The SDK calls the stand-in answers (any other SDK call is refused as not modelled)."""
