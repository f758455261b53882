"""The writes a push makes to a remote, one :class:`Step` each, and the step that undoes one.

:meth:`RemoteWrites.make` sends a step's call. A 429 is retried by the client (nothing was
done); a 5xx, a timeout or a dropped connection may have come after the call took effect, so
the object is read again before the call is retried (:meth:`RemoteWrites.landed`): a create
whose object now exists, a delete whose object is gone, a rename whose new name exists are
done. Updates, starts and stops are sent again as they are (each sets a whole state).

:meth:`RemoteWrites.inverse` is the step that undoes a journalled one, decided from what the
remote holds now (read again), so an undo is right whether or not the call it undoes took
effect: a call journalled as ``pending`` may have.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from jobferry.domain.enums import JobStatus, ObjectKind
from jobferry.errors import RemoteError, RemoteUnreachableError
from jobferry.services.remotes.client import DataArtsClient

TRANSIENT = frozenset({429, 500, 502, 503, 504})
JOB, SCRIPT, RESOURCE = ObjectKind.JOB, ObjectKind.SCRIPT, ObjectKind.RESOURCE
_PATH = {JOB: "job_name", SCRIPT: "script_name", RESOURCE: "resource_id"}
_CREATE = {JOB: "create_job", SCRIPT: "create_script", RESOURCE: "create_resource"}
_UPDATE = {JOB: "update_job", SCRIPT: "update_script", RESOURCE: "update_resource"}
_DELETE = {JOB: "delete_job", SCRIPT: "delete_script", RESOURCE: "delete_resource"}


@dataclass(frozen=True)
class Step:
    """One remote call of a push: the call, the object it addresses and what undoes it."""

    kind: ObjectKind
    name: str
    call: str
    body: dict[str, Any] | None = None
    key: str | None = None
    """A resource's id (the path addresses resources by id)."""
    undo: dict[str, Any] = field(default_factory=dict)
    """``{"op": "update", "before": …}``, ``{"op": "created"}``, ``{"op": "renamed",
    "from": old}``, ``{"op": "deleted", "definition": …, "status": …}`` or ``{"op": "status",
    "was": …}``."""

    def title(self) -> str:
        """``call kind 'name'``, as messages say it."""
        return f"{self.call} {self.kind} '{self.name}'"

    def dump(self) -> tuple[str, str]:
        """(body, undo) as the journal keeps them."""
        body = {"body": self.body, "key": self.key}
        return orjson.dumps(body).decode(), orjson.dumps(self.undo).decode()


def create(kind: ObjectKind, name: str, doc: dict[str, Any]) -> Step:
    """Create an object the remote does not hold."""
    return Step(kind, name, _CREATE[kind], doc, undo={"op": "created"})


def update(
    kind: ObjectKind, name: str, doc: dict[str, Any], before: dict[str, Any], key: str | None
) -> Step:
    """Overwrite an object with ``doc`` (``before``: what the remote held)."""
    return Step(kind, name, _UPDATE[kind], doc, key, {"op": "update", "before": before})


def delete(
    kind: ObjectKind, name: str, before: dict[str, Any], key: str | None, status: str | None = None
) -> Step:
    """Delete an object (``before``: its definition, to recreate it)."""
    undo = {"op": "deleted", "definition": before, "status": status}
    return Step(kind, name, _DELETE[kind], None, key, undo)


def rename(old: str, new: str) -> Step:
    """Rename a job with the v2 call."""
    return Step(
        JOB, old, "update_factory_job_name", {"name": new}, undo={"op": "renamed", "to": new}
    )


def set_status(name: str, running: bool, was: str) -> Step:
    """Start or stop a job's scheduling (``was``: its status before)."""
    call = "start_job" if running else "stop_job"
    return Step(JOB, name, call, {} if running else None, undo={"op": "status", "was": was})


class RemoteWrites:
    """A push's calls to one remote, retried safely."""

    def __init__(self, client: DataArtsClient, sleep: Callable[[float], None]) -> None:
        self.client = client
        self._sleep = sleep

    def make(self, step: Step) -> str | None:
        """Send a step's call until it is done (a created resource's id, else ``None``), or
        raise the error tree's :class:`RemoteError` once it failed for good."""
        attempts = self.client.backoff.attempts
        for attempt in range(1, attempts + 1):
            try:
                return self._send(step)
            except RemoteError as exc:
                if attempt == attempts or not transient(exc):
                    raise
                self._sleep(self.client.backoff.wait(attempt, None))
                landed, key = self.landed(step)
                if landed:
                    return key
        return None  # pragma: no cover - the loop returns or raises

    def _send(self, step: Step) -> str | None:
        path: dict[str, str] = {}
        if step.call not in ("create_job", "create_script", "create_resource"):
            path[_PATH[step.kind]] = (step.key or "") if step.kind is RESOURCE else step.name
        answer = self.client.send(step.call, path=path, body=step.body)
        if step.call == "create_resource" and answer.content:
            value = orjson.loads(answer.content)
            if isinstance(value, dict) and value.get("resourceId"):
                return str(value["resourceId"])
        return None

    def landed(self, step: Step) -> tuple[bool, str | None]:
        """Whether a step whose answer was lost took effect (read again); a created
        resource's id."""
        if step.call in ("create_job", "create_script", "create_resource"):
            key = self.find(step.kind, step.name)
            return key is not None, key if step.kind is RESOURCE else None
        if step.call in ("delete_job", "delete_script"):
            return self.find(step.kind, step.name) is None, None
        if step.call == "delete_resource":
            return self.find(step.kind, step.name) is None, None
        if step.call == "update_factory_job_name" and step.body:
            new = str(step.body["name"])
            return self.find(JOB, step.name) is None and self.find(JOB, new) is not None, None
        return False, None

    def inverse(self, step: Step) -> Step | None:
        """The step that undoes ``step`` (see :func:`_inverse`)."""
        return _inverse(self, step)

    def find(self, kind: ObjectKind, name: str) -> str | None:
        """The object's name (a resource's id) when the remote holds it, else ``None``."""
        if kind is RESOURCE:
            query = {"resourceName": name}
            for item in self.client.pages("list_resources", "resources", query):
                if item.get("name") == name:
                    return str(item.get("id") or item.get("resourceId") or "")
            return None
        call, param = ("show_job", "job_name") if kind is JOB else ("show_script", "script_name")
        try:
            self.client.json(call, path={param: name})
        except RemoteError as exc:
            if exc.context.get("remote_status") in (400, 404):
                return None
            raise
        return name

    def status(self, name: str) -> JobStatus | None:
        """A job's scheduling status (``None``: the remote does not hold it)."""
        for item in self.client.jobs(name):
            if item.get("name") == name:
                value = item.get("status")
                return JobStatus.STOPPED if value != JobStatus.SCHEDULING else JobStatus.SCHEDULING
        return None


def transient(exc: RemoteError) -> bool:
    """Whether a failed call may have taken effect (no answer, or a 5xx or 429 one)."""
    return isinstance(exc, RemoteUnreachableError) or exc.context.get("remote_status") in TRANSIENT


def _inverse(writes: RemoteWrites, step: Step) -> Step | None:
    """The step that undoes ``step`` given what the remote holds now (``None``: nothing to
    undo, the call never took effect or was undone already)."""
    op = step.undo.get("op")
    kind, name = step.kind, step.name
    if op == "update":
        key = writes.find(kind, name) if kind is RESOURCE else step.key
        return update(kind, name, {**step.undo["before"], "name": name}, {}, key)
    if op == "created":
        key = writes.find(kind, name)
        return None if key is None else delete(kind, name, {}, key)
    if op == "renamed":
        new = str(step.undo["to"])
        if writes.find(JOB, new) is None or writes.find(JOB, name) is not None:
            return None
        return rename(new, name)
    if op == "deleted":
        if writes.find(kind, name) is not None:
            return None
        return create(kind, name, step.undo["definition"])
    if op == "status":
        now = writes.status(name)
        running = step.undo["was"] == JobStatus.SCHEDULING
        if now is None or (now == JobStatus.SCHEDULING) == running:
            return None
        return set_status(name, running, now.value)
    return None
