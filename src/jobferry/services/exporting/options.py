"""What an export request asks for: the package options, where it goes, which changes."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from jobferry.domain.enums import ExportChanges, ExportMode, ExportStatus
from jobferry.domain.shapes import BodyShape, Extra, Field, JsonType, choice, flag, json_text, text
from jobferry.errors import InvalidRequestError
from jobferry.storage.blobs import parse_obs_path

_MOMENT = (JsonType.INTEGER, JsonType.STRING)
_NAMES = (JsonType.ARRAY,)
_OPTIONS = (
    flag("exportDepend", "also export the scripts and resources the jobs use (default true)"),
    choice("exportStatus", "export the development state or the submitted version", ExportStatus),
    flag("withUpstream", "also export the jobs the named jobs depend on (extension)"),
    flag(
        "withManifest",
        "write jobferry's manifest (default: the server's setting; extension)",
        nullable=True,
    ),
    Field(
        "deletionsSince",
        "carry the objects deleted after this moment: epoch ms or ISO 8601 with a zone (extension)",
        _MOMENT,
        nullable=True,
    ),
    text(
        "deletionsFor",
        "carry the objects deleted since the last export for this target label (extension)",
        nullable=True,
    ),
    text(
        "obsPath",
        "upload the package to obs://bucket/folder/ instead of answering it",
        nullable=True,
    ),
)
EXPORT_JOB = BodyShape("ExportJobReq (DataArts) plus jobferry's options", _OPTIONS, Extra.IGNORED)
"""export_job's body (:func:`parse_export_request`); other keys are accepted and ignored."""
BATCH_EXPORT = BodyShape(
    "ExportJobsReq (DataArts) plus jobferry's options",
    (
        Field("jobList", "the jobs to export", _NAMES, required=True, items=JsonType.STRING),
        *_OPTIONS,
    ),
    Extra.IGNORED,
)
"""export_job_list's body (:func:`parse_batch_export`)."""
NAME_LIST = BodyShape(
    "a pasted name list",
    (Field("names", "job names, one per entry", _NAMES, required=True, items=JsonType.STRING),),
    Extra.IGNORED,
)
"""A name list to check (:func:`name_list`)."""
BACKGROUND_EXPORT = BodyShape(
    "a background export into the download center",
    (
        choice("mode", "export named jobs or the workspace", ExportMode, required=True),
        Field("names", "mode names: the jobs to export", _NAMES, items=JsonType.STRING),
        choice(
            "changed", "mode workspace: everything, or what changed (default all)", ExportChanges
        ),
        Field("since", "changed since: epoch ms or ISO 8601 with a zone", _MOMENT),
        *_OPTIONS,
    ),
    Extra.IGNORED,
)
"""A background export's body (:func:`parse_background_export`)."""


@dataclass(frozen=True)
class ExportOptions:
    """What goes into a package, from DataArts' ExportJobReq plus jobferry's options."""

    export_depend: bool = True
    submitted: bool = False
    with_upstream: bool = False
    with_manifest: bool = True
    deletions_since: int | None = None
    """Carry the objects the workspace deleted after this moment (ms)."""
    deletions_for: str | None = None
    """Carry the objects deleted since the last export for this target (a label), and
    remember this export as that target's last."""

    def as_json(self) -> dict[str, Any]:
        """The options as recorded in the manifest."""
        out: dict[str, Any] = {
            "exportDepend": self.export_depend,
            "exportStatus": ExportStatus.SUBMIT if self.submitted else ExportStatus.DEVELOP,
            "withUpstream": self.with_upstream,
        }
        if self.deletions_since is not None:
            out["deletionsSince"] = self.deletions_since
        if self.deletions_for is not None:
            out["deletionsFor"] = self.deletions_for
        return out


@dataclass(frozen=True)
class ExportRequest:
    """What an export asks for: DataArts' ExportJobReq/ExportJobsReq, or a background export.

    ``with_manifest`` ``None`` means the server's default; ``names`` is the batch export's
    ``jobList`` or the name-list export's names; ``mode``, ``changed`` and ``since`` belong to
    background exports only.
    """

    export_depend: bool = True
    submitted: bool = False
    with_upstream: bool = False
    with_manifest: bool | None = None
    deletions_since: int | None = None
    deletions_for: str | None = None
    obs_path: str | None = None
    names: tuple[str, ...] = ()
    mode: ExportMode = ExportMode.NAMES
    changed: ExportChanges = ExportChanges.ALL
    since: int | None = None
    selected: bool = False
    """The names were ticked in a listing the server gave (the console's jobs page), not
    pasted: the name-list cap (JOBFERRY_EXPORT_NAME_LIST_MAX) does not apply."""

    def options(self, default_manifest: bool) -> ExportOptions:
        """What goes into the package, the manifest defaulting to the server's setting."""
        manifest = default_manifest if self.with_manifest is None else self.with_manifest
        return ExportOptions(
            self.export_depend,
            self.submitted,
            self.with_upstream,
            manifest,
            self.deletions_since,
            self.deletions_for,
        )

    def of_names(self, names: list[str], *, selected: bool = False) -> ExportRequest:
        """The same options for a name-list export of ``names`` (``selected``: ticked in a
        listing, see the field)."""
        return replace(self, names=tuple(names), mode=ExportMode.NAMES, selected=selected)


def parse_export_request(body: dict[str, Any]) -> ExportRequest:
    """export_job's body: exportDepend/exportStatus/withUpstream/withManifest and obsPath,
    refusing wrong types (every problem at once)."""
    problems: list[str] = []

    def flag(key: str, default: bool | None) -> bool | None:
        value = body.get(key, default)
        if value is not default and not isinstance(value, bool):
            problems.append(f"{key} must be true or false, not {json_text(value)}")
            return default
        return value

    status = body.get("exportStatus", ExportStatus.DEVELOP)
    if status not in tuple(ExportStatus):
        problems.append(f"exportStatus must be DEVELOP or SUBMIT, not {status!r}")
    request = ExportRequest(
        export_depend=bool(flag("exportDepend", True)),
        submitted=status == ExportStatus.SUBMIT,
        with_upstream=bool(flag("withUpstream", False)),
        with_manifest=flag("withManifest", None),
        deletions_since=_moment(body, "deletionsSince", problems),
        deletions_for=_target_label(body, problems),
    )
    if problems:
        raise InvalidRequestError(f"The export request is invalid: {'; '.join(problems)}.")
    return replace(request, obs_path=parse_obs_target(body))


def _moment(body: dict[str, Any], key: str, problems: list[str]) -> int | None:
    """``key`` as epoch milliseconds: given so, or as ISO-8601 with a zone."""
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            moment = None
        if moment is not None and moment.tzinfo is not None:
            return int(moment.timestamp() * 1000)
    problems.append(
        f"{key} must be epoch milliseconds or an ISO-8601 time with a zone, e.g. "
        "2026-11-01T00:00:00+08:00"
    )
    return None


def _target_label(body: dict[str, Any], problems: list[str]) -> str | None:
    value = body.get("deletionsFor")
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > 128:
        problems.append('deletionsFor must name the target (1 to 128 characters), e.g. "prod"')
        return None
    return value.strip()


def parse_batch_export(body: dict[str, Any]) -> ExportRequest:
    """export_job_list's body: the options and ``jobList``, a non-empty list of names."""
    names = body.get("jobList")
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise InvalidRequestError(
            "The request parameter is invalid: jobList must be a non-empty list of job names.",
            parameter="jobList",
        )
    return replace(parse_export_request(body), names=tuple(names))


def parse_background_export(body: dict[str, Any]) -> ExportRequest:
    """A background export's body: ``mode`` names (with ``names``) or workspace (with
    ``changed`` and ``since``), and the package options."""
    request = parse_export_request(body)
    mode = parse_mode(body)
    if mode is ExportMode.NAMES:
        return replace(request, mode=mode, names=tuple(name_list(body)))
    changed, since = parse_changed(body)
    return replace(request, mode=mode, changed=changed, since=since)


def name_list(body: dict[str, Any]) -> list[str]:
    """A pasted name list (``names``): a list; blank and non-text entries are dropped later."""
    names = body.get("names")
    if not isinstance(names, list):
        raise InvalidRequestError(
            "names must be a list of job names, one per entry.", parameter="names"
        )
    return [n for n in names if isinstance(n, str)]


def parse_obs_target(body: dict[str, Any]) -> str | None:
    """The ``obsPath`` to upload the package to, or ``None`` to stream it back."""
    value = body.get("obsPath")
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidRequestError("obsPath must be a string such as obs://bucket/folder/.")
    parse_obs_path(value)
    return value


def parse_mode(body: dict[str, Any]) -> ExportMode:
    """A background export's ``mode``: ``names`` or ``workspace``."""
    value = body.get("mode")
    if value not in tuple(ExportMode):
        raise InvalidRequestError(
            f"mode must be 'names' or 'workspace', not {value!r}.", parameter="mode"
        )
    return ExportMode(value)


def parse_changed(body: dict[str, Any]) -> tuple[ExportChanges, int | None]:
    """A workspace export's ``changed`` (all, sinceLastExport, since) and its ``since`` time."""
    value = body.get("changed", ExportChanges.ALL)
    if value not in tuple(ExportChanges):
        raise InvalidRequestError(f"changed must be all, sinceLastExport or since, not {value!r}.")
    changed = ExportChanges(value)
    if changed is not ExportChanges.SINCE:
        return changed, None
    value = body.get("since")
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return changed, value
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            if moment.tzinfo is not None:
                return changed, int(moment.timestamp() * 1000)
    raise InvalidRequestError(
        "changed=since needs since: epoch milliseconds or an ISO-8601 time with a zone, e.g. "
        "2026-11-01T00:00:00+08:00.",
        parameter="since",
    )
