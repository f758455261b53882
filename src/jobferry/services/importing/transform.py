"""Import, transform: the profile and the request's options applied to each object.

Pure: no storage. The same function serves the online import and the offline
``jobferry package transform``: :func:`transform_object`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from jobferry.domain.enums import EnvironmentKind, ObjectKind, ProblemReason
from jobferry.domain.profile import Profile, TimeZoneMove
from jobferry.domain.references import rename_references, rename_workspaces
from jobferry.domain.schedule import parse_time_zone
from jobferry.domain.timeshift import shift_job
from jobferry.errors import InvalidRequestError
from jobferry.package.reader import PackageObject
from jobferry.services.importing.model import PlannedObject, Problem
from jobferry.services.importing.request import ImportRequest


class Transform:
    """The profile, then the request's own options (which win), per object."""

    def check_zone(self, what: str) -> None:
        """Refuse at once a time-zone move to a zone that does not exist (``what`` names it)."""
        if self.time_zone is not None:
            try:
                parse_time_zone(self.time_zone.zone)
            except ValueError as exc:
                raise InvalidRequestError(f"{what} is invalid: {exc}.") from None

    def __init__(
        self, request: ImportRequest, profile: Profile | None, now: datetime | None = None
    ) -> None:
        # When the move happens: schedule moves look at offsets from then on (None: from each
        # schedule's startTime).
        self.now = now
        base = profile.reference_renames() if profile else {}
        self.renames = {**base, **request.renames}
        self.workspaces = profile.workspace_renames if profile else {}
        self.params = {**(profile.params if profile else {}), **request.params}
        base_jobs = profile.job_params if profile else {}
        self.jobs_param = {
            job: {**base_jobs.get(job, {}), **request.jobs_param.get(job, {})}
            for job in set(base_jobs) | set(request.jobs_param)
        }
        self.execute_user = request.execute_user or (profile.execute_user if profile else None)
        self.owner = profile.owner if profile else None
        self.profile = profile
        self.time_zone: TimeZoneMove | None = request.time_zone or (
            profile.time_zone if profile else None
        )

    def _directory(self, doc: dict[str, Any]) -> None:
        if self.profile is not None and self.profile.directory is not None and "directory" in doc:
            doc["directory"] = self.profile.rewrite_directory(doc["directory"])

    def job(self, doc: dict[str, Any]) -> dict[str, Any]:
        """The job as it will be imported (package documents are this import's own)."""
        job = rename_references(doc, self.renames) if self.renames else doc
        if self.workspaces:
            rename_workspaces(job, self.workspaces)
        self._params(job, self.jobs_param.get(str(job.get("name")), {}))
        for setting, chosen in (("executeUser", self.execute_user), ("owner", self.owner)):
            if chosen is not None:
                basic = job.get("basicConfig")
                if not isinstance(basic, dict):
                    basic = job["basicConfig"] = {}
                basic[setting] = chosen
        self._directory(job)
        return job

    def _params(self, job: dict[str, Any], per_job: dict[str, str]) -> None:
        """Workspace-wide values for parameters the job has, then the job's own (added)."""
        params = job.get("params")
        if self.params and isinstance(params, list):
            for param in params:
                if isinstance(param, dict) and param.get("name") in self.params:
                    param["value"] = self.params[param["name"]]
        if not per_job:
            return
        if not isinstance(params, list):
            params = job["params"] = []
        present = {p.get("name"): p for p in params if isinstance(p, dict)}
        for key, value in per_job.items():
            if key in present:
                present[key]["value"] = value
            else:
                params.append({"name": key, "value": value, "type": "variable"})

    def script(self, doc: dict[str, Any]) -> dict[str, Any]:
        """The script as it will be imported."""
        for key, kind in (
            ("connectionName", EnvironmentKind.CONNECTION),
            ("queueName", EnvironmentKind.DLI_QUEUE),
        ):
            value = doc.get(key)
            if isinstance(value, str) and (kind, value) in self.renames:
                doc[key] = self.renames[(kind, value)]
        self._directory(doc)
        return doc

    def resource(self, doc: dict[str, Any]) -> dict[str, Any]:
        """The resource as it will be imported."""
        self._directory(doc)
        return doc

    def schedule(self, item: PlannedObject) -> None:
        """Move the job's cron schedules to the requested zone (problems when it cannot)."""
        move = self.time_zone
        if move is None or item.kind != ObjectKind.JOB:
            return
        shifted = shift_job(
            item.document, move.zone, move.mode, source_zone=move.source_zone, now=self.now
        )
        item.schedule = shifted.shifts
        for where, reason in shifted.problems:
            item.problems.append(
                Problem(
                    ProblemReason.TIME_ZONE,
                    ObjectKind.JOB,
                    item.name,
                    f"job '{item.name}' {where} cannot be moved to {move.zone} with "
                    f"{move.mode.value}: {reason}",
                    "use keepWallClock, or change the schedule in the source so the shift can be "
                    "expressed, and export again",
                )
            )


def transform_object(transform: Transform, obj: PackageObject) -> PlannedObject:
    """One object of a package as it will be imported: its document transformed in place,
    its schedule moves and the problems of those moves (the action is the planner's)."""
    kind = ObjectKind(obj.kind)
    if kind is ObjectKind.JOB:
        document = transform.job(obj.document)
    elif kind is ObjectKind.SCRIPT:
        document = transform.script(obj.document)
    elif kind is ObjectKind.RESOURCE:
        document = transform.resource(obj.document)
    else:
        document = obj.document
    item = PlannedObject(kind, obj.name, obj.path, document)
    transform.schedule(item)
    return item
