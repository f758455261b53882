"""Environment profiles: what changes when jobs move into one target environment.

A profile is a plain document (JSON or YAML), stored per workspace and versioned by the
service, applied by import's transform step before names are resolved::

    description: production in Frankfurt
    renames:                              # per kind: name in the package -> name in the target
      connection: {dws_test: dws_prod}
      dli_queue: {q_test: q_prod}
      workspace: {test: prod}             # workspaces of cross-workspace dependJobs
    params: {env: prod}                   # workspace-wide: every job declaring the parameter
    jobParams: {daily_sales: {batch: "500"}}   # per job (set or added)
    executeUser: etl_prod
    owner: ops
    directory: {from: /test, to: /prod}   # directory prefix rewrite (jobs, scripts, resources)
    timeZone: {zone: Europe/Berlin, mode: keepInstant, sourceZone: Asia/Shanghai}
    targetOwned:                          # fields whose target values every overwrite keeps
      - schedule.cron.expression
      - nodes[*].retryTimes               # a node field (a property is nodes[*].properties[NAME])

Rename kinds are the environment kinds of the reference table (connections, DLI queues, CDM
clusters, MRS clusters, DIS streams, GES graphs, resource groups, agencies, quality rules) plus
``workspace``. Everything is optional; unknown top-level keys are refused so a typo (``rename``)
cannot silently do nothing, and so is a ``targetOwned`` path that names no field of a job,
script or resource (``schedule.cron.expresion``; :mod:`jobferry.domain.schema`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from jobferry.domain.enums import AnyRefKind, EnvironmentKind, ref_kind
from jobferry.domain.fieldpaths import FieldPath, parse_field_path
from jobferry.domain.jsonlimits import MAX_DEPTH, json_problem, not_utf8
from jobferry.domain.references import JOB_RESOURCE_TYPE_KINDS
from jobferry.domain.schedule import parse_time_zone
from jobferry.domain.schema import field_path_problem
from jobferry.domain.shapes import (
    BodyShape,
    DocumentError,
    Extra,
    Field,
    JsonType,
    choice,
    nested_map,
    opened,
    text,
    text_map,
    text_values,
)
from jobferry.domain.timeshift import ShiftMode

RENAME_KINDS: tuple[str, ...] = (
    EnvironmentKind.CONNECTION.value,
    EnvironmentKind.DLI_QUEUE.value,
    EnvironmentKind.CDM_CLUSTER.value,
    EnvironmentKind.MRS_CLUSTER.value,
    EnvironmentKind.DIS_STREAM.value,
    EnvironmentKind.GES_GRAPH.value,
    EnvironmentKind.RESOURCE_GROUP.value,
    EnvironmentKind.AGENCY.value,
    EnvironmentKind.QUALITY_RULE.value,
    "workspace",
)
RESOURCE_TYPES: dict[str, str] = {}
"""The kinds an import's ``resources`` replacement can rename, with the DataArts type it names
each with: the first (alphabetically) of the types that map to the kind."""
for _type, _kind in sorted(JOB_RESOURCE_TYPE_KINDS.items()):
    RESOURCE_TYPES.setdefault(_kind.value, _type)
_OBJECT = (JsonType.OBJECT,)
TIME_ZONE = BodyShape(
    "time-zone move",
    (
        text(
            "zone", "the zone schedules move to, e.g. 'Europe/Berlin' or 'GMT+08:00'", required=True
        ),
        choice("mode", "keep the wall clock or the instant", ShiftMode, required=True),
        text(
            "sourceZone", "the zone the schedules are in (default: each job's own)", nullable=True
        ),
    ),
)
RENAMES = BodyShape(
    "renames, per kind: {name in the package: name in the target}",
    tuple(
        Field(kind, f"{kind} renames", _OBJECT, values=(JsonType.STRING, JsonType.NUMBER))
        for kind in RENAME_KINDS
    ),
)
PROFILE = BodyShape(
    "environment profile (JSON, or YAML with Content-Type application/yaml)",
    (
        Field(
            "name",
            "the profile's name: kept in the document, not read (the path names it)",
            (JsonType.STRING,),
            ignored=True,
        ),
        text("description", "what the profile is for", nullable=True),
        Field("renames", "references renamed in the target", _OBJECT, shape=RENAMES, nullable=True),
        text_map("params", "workspace-wide parameter values"),
        Field(
            "jobParams",
            "per job: {job name: {parameter: value}}",
            _OBJECT,
            values=(JsonType.OBJECT,),
            nullable=True,
        ),
        text("executeUser", "the user imported jobs run as", nullable=True),
        text("owner", "the owner of imported jobs", nullable=True),
        Field(
            "directory",
            "directory prefix rewrite {from: /old, to: /new}",
            _OBJECT,
            shape=BodyShape(
                "directory rewrite",
                (
                    text("from", "old prefix, from '/'", required=True),
                    text("to", "new prefix, from '/'", required=True),
                ),
                Extra.IGNORED,
            ),
            nullable=True,
        ),
        Field("timeZone", "move cron schedules to a zone", _OBJECT, shape=TIME_ZONE, nullable=True),
        Field(
            "targetOwned",
            "field paths whose target values every overwrite keeps",
            (JsonType.ARRAY,),
            items=JsonType.STRING,
            nullable=True,
        ),
    ),
)
"""A profile document; :func:`parse_profile` refuses other top-level keys."""
MODES = tuple(m.value for m in ShiftMode)


@dataclass(frozen=True)
class TimeZoneMove:
    """Move cron schedules to ``zone``, keeping wall clock or instants."""

    zone: str
    mode: ShiftMode
    source_zone: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The document form."""
        out: dict[str, Any] = {"zone": self.zone, "mode": self.mode.value}
        if self.source_zone:
            out["sourceZone"] = self.source_zone
        return out


@dataclass(frozen=True)
class Profile:
    """A parsed profile; ``document`` is what was stored, key order kept."""

    document: dict[str, Any]
    description: str = ""
    renames: dict[AnyRefKind, dict[str, str]] = field(default_factory=dict)
    workspace_renames: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    job_params: dict[str, dict[str, str]] = field(default_factory=dict)
    execute_user: str | None = None
    owner: str | None = None
    directory: tuple[str, str] | None = None
    time_zone: TimeZoneMove | None = None
    target_owned: tuple[FieldPath, ...] = ()

    def reference_renames(self) -> dict[tuple[AnyRefKind, str], str]:
        """The renames as the reference table's (kind, old name) → new name map."""
        return {
            (kind, old): new for kind, names in self.renames.items() for old, new in names.items()
        }

    def rewrite_directory(self, directory: object) -> object:
        """``directory`` with the profile's prefix rewritten (other values unchanged)."""
        if self.directory is None or not isinstance(directory, str):
            return directory
        old, new = self.directory
        if directory == old or directory.startswith(old.rstrip("/") + "/"):
            rest = directory[len(old.rstrip("/")) :]
            joined = new.rstrip("/") + rest
            return joined or "/"
        return directory


@dataclass(frozen=True)
class RenameClash:
    """A rename to add that a profile already maps to another name."""

    kind: str
    name: str
    held: str
    """The name the profile maps it to."""
    asked: str
    """The name the rename to add maps it to."""


def merge_renames(
    document: Mapping[str, Any], renames: Mapping[str, Mapping[str, str]]
) -> tuple[dict[str, Any], list[RenameClash], int]:
    """``document`` with ``renames`` (per kind: old name → new name) added to its renames:
    the new document, the renames it maps otherwise (by kind and name), and how many of
    ``renames`` it did not hold yet."""
    held = {str(k): dict(v) for k, v in (document.get("renames") or {}).items()}
    clashes: list[RenameClash] = []
    added = 0
    for kind, names in sorted(renames.items()):
        for name, new in sorted(names.items()):
            have = held.get(kind, {}).get(name)
            if have is None:
                held.setdefault(kind, {})[name] = new
                added += 1
            elif str(have) != new:
                clashes.append(RenameClash(kind, name, str(have), new))
    return {**document, "renames": held}, clashes, added


class ProfileError(DocumentError):
    """A profile document that cannot be used; ``problems`` lists every reason."""


def _optional_text(value: object, where: str, problems: list[str]) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{where} must be non-empty text")
        return None
    return value


def _renames(value: object, problems: list[str]) -> dict[str, dict[str, str]]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        problems.append("renames must be a map of kind: {old name: new name}")
        return {}
    out: dict[str, dict[str, str]] = {}
    for kind, names in value.items():
        if kind not in RENAME_KINDS:
            problems.append(
                f"renames.{kind} is not a kind that can be renamed; use {', '.join(RENAME_KINDS)}"
            )
            continue
        mapped = text_values(names, f"renames.{kind}", problems)
        for old, new in mapped.items():
            if not new.strip():
                problems.append(f"renames.{kind}.{old} must name the object in the target")
        out[str(kind)] = mapped
    return out


def _directory(value: object, problems: list[str]) -> tuple[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        problems.append("directory must be {from: /old/prefix, to: /new/prefix}")
        return None
    old, new = value.get("from"), value.get("to")
    if not isinstance(old, str) or not old.startswith("/"):
        problems.append("directory.from must be a folder path starting with '/'")
        return None
    if not isinstance(new, str) or not new.startswith("/"):
        problems.append("directory.to must be a folder path starting with '/'")
        return None
    return old, new


def _zone_text(value: object, where: str, problems: list[str]) -> str | None:
    """A zone's name, refused when no time zone has it (``where`` names its path)."""
    text = _optional_text(value, where, problems)
    if text is None:
        return None
    try:
        parse_time_zone(text)
    except ValueError as exc:
        problems.append(f"{where}: {exc}")
        return None
    return text


def parse_time_zone_move(value: object, where: str, problems: list[str]) -> TimeZoneMove | None:
    """A ``{zone, mode, sourceZone}`` block, checked, its zones too (each must be known)."""
    if value is None:
        return None
    spelled = "{zone: <zone>, mode: keepWallClock|keepInstant}"
    move = nested_map(value, TIME_ZONE, where, spelled, problems)
    if move is None:
        return None
    zone = _zone_text(move.get("zone"), f"{where}.zone", problems)
    mode = move.get("mode")
    if mode not in MODES:
        problems.append(f"{where}.mode must be keepWallClock or keepInstant, not {mode!r}")
    source = _zone_text(move.get("sourceZone"), f"{where}.sourceZone", problems)
    if zone is None or mode not in MODES:
        if zone is None and move.get("zone") is None:
            problems.append(f"{where}.zone is required, e.g. 'Europe/Berlin' or 'GMT+08:00'")
        return None
    return TimeZoneMove(zone, ShiftMode(mode), source)


def parse_profile(document: object) -> Profile:
    """Check a profile document, collecting every problem; raises ``ProfileError``."""
    document, description, problems = opened(document, PROFILE, "profile", ProfileError)
    renames = _renames(document.get("renames"), problems)
    params = text_values(document.get("params"), "params", problems)
    per_job = document.get("jobParams")
    job_params: dict[str, dict[str, str]] = {}
    if per_job is not None and not isinstance(per_job, Mapping):
        problems.append("jobParams must be a map of job name: {parameter: value}")
    elif per_job is not None:
        job_params = {
            str(job): text_values(values, f"jobParams.{job}", problems)
            for job, values in per_job.items()
        }
    execute_user = _optional_text(document.get("executeUser"), "executeUser", problems)
    owner = _optional_text(document.get("owner"), "owner", problems)
    directory = _directory(document.get("directory"), problems)
    zone = parse_time_zone_move(document.get("timeZone"), "timeZone", problems)
    owned = _target_owned(document.get("targetOwned"), problems)
    if problems:
        raise ProfileError(problems)
    return Profile(
        document=dict(document),
        description=description,
        renames={ref_kind(k): v for k, v in renames.items() if k != "workspace"},
        workspace_renames=renames.get("workspace", {}),
        params=params,
        job_params=job_params,
        execute_user=execute_user,
        owner=owner,
        directory=directory,
        time_zone=zone,
        target_owned=owned,
    )


def _target_owned(value: object, problems: list[str]) -> tuple[FieldPath, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        problems.append("targetOwned must be a list of field paths, e.g. [basicConfig.owner]")
        return ()
    out: list[FieldPath] = []
    for index, path in enumerate(value):
        try:
            parsed = parse_field_path(path)
        except ValueError as exc:
            problems.append(f"targetOwned[{index}]: {exc}")
            continue
        unknown = field_path_problem(parsed)
        if unknown is not None:
            problems.append(f"targetOwned[{index}]: {unknown}")
        out.append(parsed)
    return tuple(out)


def load_profile_text(text: bytes | str) -> object:
    """A profile document from JSON or YAML text (safe YAML: no tags, no objects).

    Raises ``ValueError`` naming the line of a syntax error.
    """
    try:
        raw = text.decode("utf-8") if isinstance(text, bytes) else text
    except UnicodeDecodeError:
        raise ValueError(f"it is {not_utf8(text)}; save it as UTF-8") from None
    try:
        value = _parse_profile_text(raw)
    except RecursionError:
        raise ValueError(_too_deep_message()) from None
    problem = json_problem(value)
    if problem is not None:
        raise ValueError(f"{problem.message}; {problem.fix} (rule {problem.rule})")
    return value


def _too_deep_message() -> str:
    return (
        f"it nests lists and mappings more than {MAX_DEPTH} levels deep; flatten the document "
        f"to at most {MAX_DEPTH} levels (rule json.depth)"
    )


LIBYAML_TOO_DEEP = "exceeded maximum nesting depth"
"""What libyaml says past its nesting limit (1,000 levels), where the pure-Python parser runs
out of recursion."""


class _SafeLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """libyaml's scanner and parser where PyYAML was built with it (its wheels are), under the
    same safe constructor: the same values, about ten times faster than the pure-Python parser.
    A date or time written unquoted (``from: 2026-12-24``) stays the text it is: the documents
    are JSON, which has no dates, and the rules read ISO text."""


_SafeLoader.add_constructor(
    "tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node)
)
_SAFE_LOADER = _SafeLoader


def _parse_profile_text(raw: str) -> object:
    if raw.lstrip().startswith("{"):
        try:
            return json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ValueError(f"JSON error at line {exc.lineno}: {exc.msg}") from None
    try:
        return yaml.load(raw, Loader=_SAFE_LOADER)  # a safe loader (no arbitrary objects)
    except yaml.YAMLError as exc:
        if LIBYAML_TOO_DEEP in str(getattr(exc, "problem", "")):
            raise ValueError(_too_deep_message()) from None  # libyaml's limit, as recursion's
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ValueError(f"YAML error{where}: {getattr(exc, 'problem', None) or exc}") from None
