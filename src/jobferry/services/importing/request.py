"""The import request: DataArts' ImportFileReq plus jobferry's options, checked up front.

A body is parsed once (:func:`parse_import_request`) into an :class:`ImportRequest`; what a
task stores, and what a plan's fingerprint hashes, is that typed value in its canonical wire
form (:meth:`ImportRequest.to_wire`), never the body as the client spelled it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

import orjson

from jobferry.domain.enums import (
    AnyRefKind,
    DriftPolicy,
    ImportMode,
    SameNamePolicy,
    SchedulingPolicy,
    TargetStatus,
)
from jobferry.domain.importsettings import ImportSettings
from jobferry.domain.profile import RESOURCE_TYPES, TIME_ZONE, TimeZoneMove, parse_time_zone_move
from jobferry.domain.references import JOB_RESOURCE_TYPE_KINDS
from jobferry.domain.shapes import (
    BodyShape,
    Extra,
    Field,
    JsonType,
    choice,
    flag,
    text,
    text_map,
    text_values,
)
from jobferry.errors import InvalidRequestError, RequiredParameterError, UnknownJobsParamError
from jobferry.services.context import Scope
from jobferry.services.definitions.publishing import parse_target_status, resolve_target_status

# The DataArts ``resources`` type the canonical form names a renamed kind with: the first
# type (alphabetically) of those that map to it, so every spelling of a rename is one value.
# Keys of the canonical form that do not change what an import does to the workspace.
_NOT_MEANING = ("dryRun", "planId", "path")


_OBJECT, _LIST = (JsonType.OBJECT,), (JsonType.ARRAY,)
_JOB_PARAMS = BodyShape(
    "one job's parameters",
    (text("name", "the job", required=True), text_map("params", "parameter: value")),
    Extra.IGNORED,
)
_APPROVER = BodyShape(
    "approver", (text("approverName", "the user who approves", required=True),), Extra.IGNORED
)
_RENAME = BodyShape(
    "a referenced resource's name in the target",
    (
        text("name", "its name in the package", required=True),
        choice("type", "its DataArts type", sorted(JOB_RESOURCE_TYPE_KINDS), required=True),
        text("replace", "its name in the target", required=True),
    ),
    Extra.IGNORED,
)
IMPORT = BodyShape(
    "ImportFileReq (DataArts) plus jobferry's options",
    (
        text(
            "path",
            "the package: obs://bucket/key, the upload:// path POST "
            "/v1/{project_id}/packages answered, or download://<workspace id>/<package id> "
            "for a package of a download center",
            required=True,
        ),
        text_map("params", "values of the package's environment variables"),
        choice(
            "sameNamePolicy",
            "what to do with an object of the same name (default SKIP)",
            SameNamePolicy,
        ),
        Field(
            "jobsParam",
            "per job parameters: a list of {name, params}, or a {job: {name: value}} map",
            (JsonType.ARRAY, JsonType.OBJECT),
            items=_JOB_PARAMS,
            nullable=True,
        ),
        text("executeUser", "the user imported jobs run as", nullable=True),
        choice(
            "targetStatus",
            "SAVED, SUBMITTED (default without approval) or PRODUCTION",
            TargetStatus,
            nullable=True,
        ),
        Field("approvers", "who approves the submission", _LIST, items=_APPROVER, nullable=True),
        Field("resources", "renames of referenced resources", _LIST, items=_RENAME, nullable=True),
        text("targetDirectory", "folder new jobs go to (from '/')", nullable=True),
        flag("dryRun", "only plan: answer what the import would do"),
        text(
            "planId", "the id a plan answered: import only if nothing changed since", nullable=True
        ),
        choice("mode", "all or nothing (ATOMIC, default), or each object on its own", ImportMode),
        Field(
            "profile",
            "a stored profile's name, or a profile document",
            (JsonType.STRING, JsonType.OBJECT),
            nullable=True,
        ),
        Field("timeZone", "move cron schedules to a zone", _OBJECT, shape=TIME_ZONE, nullable=True),
        flag(
            "propagateDeletes",
            "delete what the package says its source deleted (a package without a source that "
            "holds kinds whole: what the target holds of them beside it)",
        ),
        choice(
            "onDrift",
            "what to do with an object changed in the target since the last import (default FAIL)",
            DriftPolicy,
        ),
        choice(
            "scheduling",
            "what to do with a scheduled job to overwrite (default REFUSE)",
            SchedulingPolicy,
        ),
    ),
    Extra.IGNORED,
)
"""The import body, as :func:`parse_import_request` reads it: other keys (DataArts fields
jobferry has no use for) are accepted and ignored, as DataArts clients may send them."""


def _one_of(enum: type[StrEnum]) -> str:
    names = [str(member) for member in enum]
    return ", ".join(names[:-1]) + " or " + names[-1]


def _choice_rule(
    body: dict[str, Any], key: str, enum: type[StrEnum], default: StrEnum
) -> tuple[bool, str]:
    """(broken, rule) of an option that names one of ``enum``'s members (absent: ``default``)."""
    return (
        body.get(key, default) not in tuple(enum),
        f"{key} must be {_one_of(enum)}, not {body.get(key)!r}",
    )


def _flag_rule(body: dict[str, Any], key: str) -> tuple[bool, str]:
    """(broken, rule) of an option that is true or false (absent: false)."""
    return not isinstance(body.get(key, False), bool), f"{key} must be true or false"


@dataclass(frozen=True)
class ImportRequest:
    """Everything an import (or its plan) was asked to do.

    Adapters build it with :func:`parse_import_request` from the wire body (DataArts'
    ImportFileReq). Its serialised form is :meth:`to_wire`: the canonical body, every default
    written out, which tasks store and :meth:`from_stored` reads back; plans are tied to its
    :meth:`fingerprint`. ``status_asked`` is the wire ``targetStatus``; the service settles it
    against the workspace's approval rules into ``target_status`` (:meth:`settled`).
    """

    path: str
    params: dict[str, str] = field(default_factory=dict)
    jobs_param: dict[str, dict[str, str]] = field(default_factory=dict)
    same_name_policy: SameNamePolicy = SameNamePolicy.SKIP
    execute_user: str | None = None
    target_status: TargetStatus = TargetStatus.SUBMITTED
    approvers: list[dict[str, Any]] = field(default_factory=list)
    renames: dict[tuple[AnyRefKind, str], str] = field(default_factory=dict)
    target_directory: str | None = None
    dry_run: bool = False
    plan_id: str | None = None
    mode: ImportMode = ImportMode.ATOMIC
    profile: str | dict[str, Any] | None = None
    time_zone: TimeZoneMove | None = None
    status_asked: TargetStatus | None = None
    propagate_deletes: bool = False
    on_drift: DriftPolicy = DriftPolicy.FAIL
    scheduling: SchedulingPolicy = SchedulingPolicy.REFUSE

    def settled(self, scope: Scope) -> ImportRequest:
        """This request with its target status decided for the workspace it imports into
        (and so asked for: what is stored reads back as this same request)."""
        target = resolve_target_status(
            scope, self.status_asked, self.approvers or None, "imported objects"
        )
        return replace(self, target_status=target, status_asked=target)

    @property
    def settings(self) -> ImportSettings:
        """The settings a route may hold of this import (``domain.importsettings``)."""
        return ImportSettings.of(self)

    def with_settings(self, settings: ImportSettings) -> ImportRequest:
        """The same request with ``settings`` (a route's, a run's overrides on top)."""
        return replace(self, **settings.attributes())

    def as_dry_run(self) -> ImportRequest:
        """The same request, asking only for the plan."""
        return replace(self, dry_run=True)

    def to_wire(self) -> dict[str, Any]:
        """The canonical import body: DataArts' camelCase keys in sorted order, every option
        written out with its default, each rename under one ``resources`` type per kind.

        Two bodies that mean the same import (defaults left out or written, keys in another
        order, a rename under either type of its kind) have the same canonical form, and
        :func:`parse_import_request` reads it back into this request."""
        wire: dict[str, Any] = {
            "approvers": [dict(a) for a in self.approvers],
            "dryRun": self.dry_run,
            "executeUser": self.execute_user,
            "jobsParam": [
                {"name": name, "params": dict(sorted(values.items()))}
                for name, values in sorted(self.jobs_param.items())
            ],
            "mode": str(self.mode),
            "onDrift": str(self.on_drift),
            "params": dict(sorted(self.params.items())),
            "path": self.path,
            "planId": self.plan_id,
            "profile": self.profile,
            "propagateDeletes": self.propagate_deletes,
            "resources": [
                {"name": name, "replace": new, "type": RESOURCE_TYPES[str(kind)]}
                for (kind, name), new in sorted(self.renames.items())
            ],
            "sameNamePolicy": str(self.same_name_policy),
            "scheduling": str(self.scheduling),
            "targetDirectory": self.target_directory,
            # Settled or not, the status this request imports with: an absent targetStatus
            # settles to SUBMITTED (or is refused, where approval is switched on).
            "targetStatus": str(self.status_asked or self.target_status),
            "timeZone": None if self.time_zone is None else self.time_zone.as_json(),
        }
        return wire

    @classmethod
    def from_stored(cls, stored: dict[str, Any]) -> ImportRequest:
        """The request a task stored (:meth:`to_wire`), read back unsettled.

        Tasks queued by jobferry 0.x before the canonical form stored the client's body; that
        reads back the same way, being a body the parser accepted once."""
        return parse_import_request(stored)

    def fingerprint(self) -> str:
        """Hash of what changes the outcome, to tie a plan to a request: the canonical form
        without ``dryRun``, ``planId`` and ``path`` (the package is tied by its own hash)."""
        meaning = {k: v for k, v in self.to_wire().items() if k not in _NOT_MEANING}
        return hashlib.sha256(orjson.dumps(meaning, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _text_map(value: Any, what: str, problems: list[str]) -> dict[str, str]:
    return text_values(value, what, problems, spelled="an object of name: value")


def _jobs_param(value: Any, problems: list[str]) -> dict[str, dict[str, str]]:
    # DataArts documents a list of {name, params}; the SDK types it as a free object, so a
    # {job: {k: v}} map is accepted too.
    if value is None:
        return {}
    if isinstance(value, dict):
        if any(not str(k).strip() for k in value):
            problems.append("jobsParam's keys must name jobs of the package")
        return {str(k): _text_map(v, f"jobsParam.{k}", problems) for k, v in value.items()}
    if not isinstance(value, list):
        problems.append("jobsParam must be a list of {name, params}")
        return {}
    out: dict[str, dict[str, str]] = {}
    for i, item in enumerate(value):
        name = item.get("name") if isinstance(item, dict) else None
        if not isinstance(name, str) or not name.strip():
            problems.append(f'jobsParam[{i}] needs a job name: {{"name": ..., "params": {{}}}}')
            continue
        # Entries are applied in order (DataArts applies jobsParam[i] one after the other): a
        # job named twice gets both, the later value of a parameter winning.
        values = _text_map(item.get("params"), f"jobsParam[{i}].params", problems)
        out[name] = {**out.get(name, {}), **values}
    return out


def _renames(value: Any, problems: list[str]) -> dict[tuple[AnyRefKind, str], str]:
    if value is None:
        return {}
    if not isinstance(value, list):
        problems.append("resources must be a list of {name, type, replace}")
        return {}
    out: dict[tuple[AnyRefKind, str], str] = {}
    known = ", ".join(sorted(JOB_RESOURCE_TYPE_KINDS))
    for i, item in enumerate(value):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            problems.append(f"resources[{i}] needs name, type and replace")
            continue
        kind = JOB_RESOURCE_TYPE_KINDS.get(str(item.get("type")))
        if kind is None:
            problems.append(
                f"resources[{i}].type {item.get('type')!r} cannot be mapped; use one of {known}"
            )
            continue
        replace = item.get("replace")
        if not isinstance(replace, str) or not replace:
            problems.append(f"resources[{i}].replace must name the object in the target")
            continue
        if not item["name"].strip():
            problems.append(f"resources[{i}].name must name the object the jobs use")
            continue
        before = out.setdefault((kind, item["name"]), replace)
        if before != replace:
            problems.append(
                f"resources[{i}] renames {item['name']!r} to {replace!r}, but an entry before "
                f"it renames it to {before!r}; keep one of them"
            )
    return out


def _option_rules(body: dict[str, Any]) -> list[tuple[bool, str]]:
    """(broken, rule) for each plain option of an import body."""
    directory = body.get("targetDirectory")
    profile = body.get("profile")
    execute_user, plan_id = body.get("executeUser"), body.get("planId")
    return [
        _choice_rule(body, "sameNamePolicy", SameNamePolicy, SameNamePolicy.SKIP),
        _choice_rule(body, "mode", ImportMode, ImportMode.ATOMIC),
        (
            execute_user is not None and not isinstance(execute_user, str),
            "executeUser must be text",
        ),
        (
            directory is not None
            and not (isinstance(directory, str) and directory.startswith("/")),
            "targetDirectory must be a folder path starting with '/'",
        ),
        _flag_rule(body, "dryRun"),
        _flag_rule(body, "propagateDeletes"),
        _choice_rule(body, "onDrift", DriftPolicy, DriftPolicy.FAIL),
        _choice_rule(body, "scheduling", SchedulingPolicy, SchedulingPolicy.REFUSE),
        (
            plan_id is not None and not isinstance(plan_id, str),
            "planId must be the id a plan answered",
        ),
        (
            profile is not None
            and not ((isinstance(profile, str) and profile.strip()) or isinstance(profile, dict)),
            "profile must be the name of a stored profile or a profile document",
        ),
    ]


def parse_import_request(body: dict[str, Any]) -> ImportRequest:
    """Check an import body, collecting every problem; refuses with all of them at once."""
    problems: list[str] = []
    path = body.get("path")
    if not isinstance(path, str) or not path.strip():
        raise RequiredParameterError(
            "path is required: the obs:// path of the package, or the path POST "
            "/v1/{project_id}/packages answered for an uploaded one.",
            parameter="path",
        )
    execute_user = body.get("executeUser")
    directory = body.get("targetDirectory")
    dry_run = body.get("dryRun", False)
    plan_id = body.get("planId")
    profile = body.get("profile")
    problems += [rule for broken, rule in _option_rules(body) if broken]
    params = _text_map(body.get("params"), "params", problems)
    jobs_param = _jobs_param(body.get("jobsParam"), problems)
    renames = _renames(body.get("resources"), problems)
    time_zone = parse_time_zone_move(body.get("timeZone"), "timeZone", problems)
    if problems:
        raise InvalidRequestError(
            f"The import request is invalid: {'; '.join(problems)}.", problems=problems
        )
    approvers = body.get("approvers")
    asked = parse_target_status(body.get("targetStatus"), approvers)
    return ImportRequest(
        path=path.strip(),
        params=params,
        jobs_param=jobs_param,
        same_name_policy=SameNamePolicy(body.get("sameNamePolicy", SameNamePolicy.SKIP)),
        execute_user=execute_user,
        status_asked=asked,
        approvers=list(approvers or []),
        renames=renames,
        target_directory=directory,
        dry_run=bool(dry_run),
        plan_id=plan_id,
        mode=ImportMode(body.get("mode", ImportMode.ATOMIC)),
        profile=profile.strip() if isinstance(profile, str) else profile,
        time_zone=time_zone,
        propagate_deletes=bool(body.get("propagateDeletes", False)),
        on_drift=DriftPolicy(body.get("onDrift", DriftPolicy.FAIL)),
        scheduling=SchedulingPolicy(body.get("scheduling", SchedulingPolicy.REFUSE)),
    )


def refuse_unknown_jobs(request: ImportRequest, held: set[str]) -> None:
    """Refuse per-job parameters for jobs the package does not hold (``held``: those of
    ``jobsParam``'s names it holds), naming them: a misspelt job would otherwise get nothing."""
    unknown = sorted(set(request.jobs_param) - held)
    if unknown:
        names = ", ".join(repr(name) for name in unknown)
        raise UnknownJobsParamError(
            f"jobsParam names {names}, which the package does not hold as a job.",
            fix="Name only jobs the package holds, or leave those entries out.",
            jobs=unknown,
        )
