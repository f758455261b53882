"""The import request: DataArts' ImportFileReq plus jobferry's options, checked up front."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from typing import Any

import orjson

from jobferry.domain.enums import DriftPolicy, RefKind, SchedulingPolicy, TargetStatus
from jobferry.domain.profile import TimeZoneMove, parse_time_zone_move
from jobferry.domain.references import JOB_RESOURCE_TYPE_KINDS
from jobferry.errors import InvalidRequestError, RequiredParameterError
from jobferry.services.context import Scope
from jobferry.services.definitions.publishing import parse_target_status, resolve_target_status

POLICIES = ("SKIP", "OVERWRITE")
MODES = ("ATOMIC", "PER_OBJECT")


@dataclass(frozen=True)
class ImportRequest:
    """Everything an import (or its plan) was asked to do.

    Adapters build it with :func:`parse_import_request` from the wire body (DataArts'
    ImportFileReq), which stays its serialised form: tasks keep ``raw`` and plans are tied to
    its fingerprint. ``status_asked`` is the wire ``targetStatus``; the service settles it
    against the workspace's approval rules into ``target_status`` (:meth:`settled`).
    """

    path: str
    params: dict[str, str] = field(default_factory=dict)
    jobs_param: dict[str, dict[str, str]] = field(default_factory=dict)
    same_name_policy: str = "SKIP"
    execute_user: str | None = None
    target_status: TargetStatus = TargetStatus.SUBMITTED
    approvers: list[dict[str, Any]] = field(default_factory=list)
    renames: dict[tuple[RefKind, str], str] = field(default_factory=dict)
    target_directory: str | None = None
    dry_run: bool = False
    plan_id: str | None = None
    mode: str = "ATOMIC"
    profile: str | dict[str, Any] | None = None
    time_zone: TimeZoneMove | None = None
    status_asked: TargetStatus | None = None
    raw: dict[str, Any] = field(default_factory=dict)
    propagate_deletes: bool = False
    on_drift: DriftPolicy = DriftPolicy.FAIL
    scheduling: SchedulingPolicy = SchedulingPolicy.REFUSE

    def settled(self, scope: Scope) -> ImportRequest:
        """This request with its target status decided for the workspace it imports into."""
        target = resolve_target_status(
            scope, self.status_asked, self.approvers or None, "imported objects"
        )
        return replace(self, target_status=target)

    def as_dry_run(self) -> ImportRequest:
        """The same request, asking only for the plan."""
        return replace(self, dry_run=True, raw={**self.raw, "dryRun": True})

    def fingerprint(self) -> str:
        """Hash of what changes the outcome (not dryRun/planId), to tie a plan to a request."""
        relevant = {k: v for k, v in self.raw.items() if k not in ("dryRun", "planId", "path")}
        return hashlib.sha256(orjson.dumps(relevant, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _text_map(value: Any, what: str, problems: list[str]) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.append(f"{what} must be an object of name: value")
        return {}
    out: dict[str, str] = {}
    for key, item in value.items():
        if isinstance(item, bool) or not isinstance(item, str | int | float):
            problems.append(f"{what}.{key} must be text or a number")
        else:
            out[str(key)] = str(item)
    return out


def _jobs_param(value: Any, problems: list[str]) -> dict[str, dict[str, str]]:
    # DataArts documents a list of {name, params}; the SDK types it as a free object, so a
    # {job: {k: v}} map is accepted too.
    if value is None:
        return {}
    if isinstance(value, dict):
        return {str(k): _text_map(v, f"jobsParam.{k}", problems) for k, v in value.items()}
    if not isinstance(value, list):
        problems.append("jobsParam must be a list of {name, params}")
        return {}
    out: dict[str, dict[str, str]] = {}
    for i, item in enumerate(value):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            problems.append(f'jobsParam[{i}] needs a job name: {{"name": ..., "params": {{}}}}')
            continue
        out[item["name"]] = _text_map(item.get("params"), f"jobsParam[{i}].params", problems)
    return out


def _renames(value: Any, problems: list[str]) -> dict[tuple[RefKind, str], str]:
    if value is None:
        return {}
    if not isinstance(value, list):
        problems.append("resources must be a list of {name, type, replace}")
        return {}
    out: dict[tuple[RefKind, str], str] = {}
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
        out[(kind, item["name"])] = replace
    return out


def _option_rules(body: dict[str, Any]) -> list[tuple[bool, str]]:
    """(broken, rule) for each plain option of an import body."""
    directory = body.get("targetDirectory")
    profile = body.get("profile")
    execute_user, plan_id = body.get("executeUser"), body.get("planId")
    return [
        (
            body.get("sameNamePolicy", "SKIP") not in POLICIES,
            f"sameNamePolicy must be SKIP or OVERWRITE, not {body.get('sameNamePolicy')!r}",
        ),
        (
            body.get("mode", "ATOMIC") not in MODES,
            f"mode must be ATOMIC or PER_OBJECT, not {body.get('mode')!r}",
        ),
        (
            execute_user is not None and not isinstance(execute_user, str),
            "executeUser must be text",
        ),
        (
            directory is not None
            and not (isinstance(directory, str) and directory.startswith("/")),
            "targetDirectory must be a folder path starting with '/'",
        ),
        (not isinstance(body.get("dryRun", False), bool), "dryRun must be true or false"),
        (
            not isinstance(body.get("propagateDeletes", False), bool),
            "propagateDeletes must be true or false",
        ),
        (
            body.get("onDrift", DriftPolicy.FAIL) not in tuple(DriftPolicy),
            f"onDrift must be FAIL, KEEP_TARGET or TAKE_PACKAGE, not {body.get('onDrift')!r}",
        ),
        (
            body.get("scheduling", SchedulingPolicy.REFUSE) not in tuple(SchedulingPolicy),
            f"scheduling must be REFUSE or PAUSE_AND_RESTORE, not {body.get('scheduling')!r}",
        ),
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
    policy = body.get("sameNamePolicy", "SKIP")
    mode = body.get("mode", "ATOMIC")
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
        same_name_policy=str(policy),
        execute_user=execute_user,
        status_asked=asked,
        approvers=list(approvers or []),
        renames=renames,
        target_directory=directory,
        dry_run=bool(dry_run),
        plan_id=plan_id,
        mode=str(mode),
        profile=profile.strip() if isinstance(profile, str) else profile,
        time_zone=time_zone,
        raw=dict(body),
        propagate_deletes=bool(body.get("propagateDeletes", False)),
        on_drift=DriftPolicy(body.get("onDrift", DriftPolicy.FAIL)),
        scheduling=SchedulingPolicy(body.get("scheduling", SchedulingPolicy.REFUSE)),
    )
