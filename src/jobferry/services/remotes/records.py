"""What the remotes feature answers (typed records) and the one parser of a remote's body."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import orjson

from jobferry.domain.enums import (
    EnvironmentKind,
    ObjectKind,
    RefreshAction,
    RefreshSource,
    RemoteReach,
)
from jobferry.domain.shapes import BodyShape, text
from jobferry.errors import InvalidRequestError
from jobferry.services.support.requests import valid_name
from jobferry.storage.tasks import FailedTask as FailedTask  # a remote's refreshes
from jobferry.storage.tasks import RunningTask as RunningTask

DEFINITION_KINDS = (ObjectKind.JOB, ObjectKind.SCRIPT, ObjectKind.RESOURCE)
"""The kinds of definition a refresh reads, in the order it writes them."""
CONNECTION = EnvironmentKind.CONNECTION.value
VARIABLE = "variable"
ENVIRONMENT_KINDS = (CONNECTION, VARIABLE)
"""What a refresh reads of the remote's environment: data connections (development side) and
workspace environment variables, counted and recorded under these names."""
SUBMITTED = "submitted"
"""The jobs' submitted versions, as an online refresh counts and records them (per job: a
version written to a job that had none is created, one after another updated, the versions of
a job the remote never submitted deleted)."""
LISTED = "listed"
"""The jobs' ``list_jobs`` entries as an online refresh last exported them (their type, status,
``lastUpdateTime``, who and version, hashed): a job whose entry is the same at the next refresh
is not exported again (recorded, never counted)."""
CREATED = "created"
"""The jobs' identities as a refresh last exported them: the creation stamp of their list entry
(``jobType``, ``createTime``, ``createUser``) and their definition without its name, hashed;
both are what a rename on the remote keeps (the list answers no job id). A job gone from one
name and listed under another with the same identity, the only one on either side, is renamed
in the shadow (recorded, never counted)."""

REMOTE = BodyShape(
    "a remote: a DataArts workspace reached through its public API",
    (
        text("name", "the remote's name, which its shadow workspace takes", required=True),
        text("endpoint", "the DataArts endpoint, e.g. https://dayu-dlf.<region>…", required=True),
        text("projectId", "the remote's project id", required=True),
        text("workspace", "the remote workspace's id (the workspace header)", required=True),
        text("accessKey", "the access key calls are signed with", required=True),
        text("secretKey", "its secret key (kept encrypted, never answered)", required=True),
        text(
            "studioEndpoint",
            "the DataArts Studio endpoint the connection and environment variable calls and "
            "the job renames go to, e.g. https://dayu.<region>… (default, or null: endpoint)",
            nullable=True,
        ),
    ),
)
"""The body of ``POST /v1/{project_id}/remotes``; other keys are refused."""


REFRESH = BodyShape(
    "a refresh: no body reads the remote; a path refreshes from a snapshot carried from it",
    (
        text(
            "path",
            "a whole-workspace export made on the remote's side (jobferry's, or a DataArts "
            "batch export): the upload:// path POST /v1/{project_id}/packages answered (in the "
            "shadow workspace), a download:// or an obs:// path",
        ),
    ),
)
"""The body of ``POST /v1/{project_id}/remotes/{name}/refresh``; other keys are refused."""


def parse_refresh(body: dict[str, Any]) -> str | None:
    """The snapshot path a refresh body names (``None``: read the remote itself)."""
    problems = [f"unknown field '{key}'" for key in REFRESH.unknown(body)]
    path = body.get("path")
    if "path" in body and (not isinstance(path, str) or not path.strip()):
        problems.append("path must be a non-empty text: the snapshot's upload:// path")
    if problems:
        raise InvalidRequestError(
            f"The refresh is invalid: {'; '.join(problems)}.", problems=problems
        )
    return path.strip() if isinstance(path, str) else None


@dataclass(frozen=True)
class RemoteSpec:
    """A remote as asked for, checked."""

    name: str
    endpoint: str
    project_id: str
    workspace: str
    access_key: str
    secret_key: str = field(repr=False)
    studio_endpoint: str | None = None
    """Where the DataArts Studio calls go (``None``: to ``endpoint``)."""


EXAMPLES = {
    "endpoint": "https://dayu-dlf.cn-north-4.myhuaweicloud.com",
    "studioEndpoint": "https://dayu.cn-north-4.myhuaweicloud.com",
}


def _url_problem(key: str, url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme in ("http", "https") and parts.netloc and not parts.query:
        return None
    return f"{key} '{url[:100]}' is not an http(s) URL without a query, e.g. {EXAMPLES[key]}"


def parse_remote(body: dict[str, Any]) -> RemoteSpec:
    """The remote a body asks for; every problem at once."""
    problems = [f"unknown field '{key}'" for key in REMOTE.unknown(body)]
    values: dict[str, str] = {}
    for item in REMOTE.fields:
        value = body.get(item.name)
        if isinstance(value, str) and value.strip():
            values[item.name] = value.strip()
        elif item.required or value not in (None, ""):
            problems.append(
                f"{item.name} is required: {item.description}"
                if item.required
                else f"{item.name} must be a text: {item.description}"
            )
    for key in EXAMPLES:
        problem = _url_problem(key, values[key]) if values.get(key) else None
        if problem:
            problems.append(problem)
    if problems:
        raise InvalidRequestError(
            f"The remote is invalid: {'; '.join(problems)}.", problems=problems
        )
    studio = values.get("studioEndpoint")
    return RemoteSpec(
        valid_name(values["name"], "remote name"),
        values["endpoint"].rstrip("/"),
        values["projectId"],
        values["workspace"],
        values["accessKey"],
        values["secretKey"],
        studio.rstrip("/") if studio else None,
    )


@dataclass(frozen=True)
class Snapshot:
    """A whole-workspace export carried from the remote's side, as a refresh read it."""

    file_name: str
    sha256: str
    size: int
    made_at: int | None
    """When it was made (epoch ms): its manifest's ``createdAt``, else the newest time its
    zip entries carry (a DataArts export's, in the remote's local time), else unknown."""
    producer: str
    """``jobferry`` (a jobferry workspace export, with its manifest) or ``dataarts`` (a
    DataArts batch export)."""
    whole: tuple[str, ...]
    """The kinds it holds everything of (what it lacks of those kinds is deleted)."""

    def as_json(self) -> dict[str, Any]:
        """The stored form."""
        return {
            "fileName": self.file_name,
            "sha256": self.sha256,
            "size": self.size,
            "madeAt": self.made_at,
            "producer": self.producer,
            "whole": list(self.whole),
        }

    @classmethod
    def load(cls, value: dict[str, Any]) -> Snapshot:
        """Back from :meth:`as_json`."""
        return cls(
            value["fileName"],
            value["sha256"],
            value["size"],
            value.get("madeAt"),
            value["producer"],
            tuple(value.get("whole") or ()),
        )


@dataclass(frozen=True)
class Refresh:
    """What one refresh did: when it read the remote, per kind how many objects it created,
    updated, deleted and left unchanged, and the calls it made; what it read (the remote, or a
    carried snapshot) and what it could not read (``notes``)."""

    at: int
    counts: dict[str, dict[str, int]]
    calls: int
    seconds: float
    source: RefreshSource = RefreshSource.REMOTE
    snapshot: Snapshot | None = None
    notes: tuple[str, ...] = ()

    def total(self, action: RefreshAction) -> int:
        """Objects of every kind the refresh did ``action`` to (submitted versions apart: they
        are the jobs' own)."""
        counts = (c for kind, c in self.counts.items() if kind != SUBMITTED)
        return sum(by_action.get(action.value, 0) for by_action in counts)

    def written(self) -> int:
        """Objects (and submitted versions) the refresh created, updated or deleted."""
        return sum(
            n
            for by_action in self.counts.values()
            for action, n in by_action.items()
            if action != RefreshAction.UNCHANGED.value
        )

    def versions_written(self) -> int:
        """Submitted versions the refresh wrote into the shadow (or removed from it)."""
        counts = self.counts.get(SUBMITTED, {})
        return sum(
            counts.get(a.value, 0) for a in RefreshAction if a is not RefreshAction.UNCHANGED
        )

    def dump(self) -> str:
        """The stored form (JSON text)."""
        value: dict[str, Any] = {
            "at": self.at,
            "counts": self.counts,
            "calls": self.calls,
            "seconds": self.seconds,
            "source": self.source.value,
            "notes": list(self.notes),
        }
        if self.snapshot is not None:
            value["snapshot"] = self.snapshot.as_json()
        return orjson.dumps(value).decode()

    def said(self) -> str:
        """Its counts over every kind, e.g. '3 created, 0 updated, 0 deleted, 12 unchanged;
        2 submitted version(s) written'."""
        said = ", ".join(f"{self.total(action):,} {action.value}" for action in RefreshAction)
        written = self.versions_written()
        return said + (f"; {written:,} submitted version(s) written" if written else "")

    @classmethod
    def load(cls, text: str) -> Refresh:
        """Back from :meth:`dump` (a refresh recorded before snapshots read the remote)."""
        return cls.of(orjson.loads(text))

    @classmethod
    def of(cls, value: dict[str, Any]) -> Refresh:
        """Back from :meth:`dump`'s JSON, decoded."""
        snapshot = value.get("snapshot")
        return cls(
            value["at"],
            value["counts"],
            value["calls"],
            value["seconds"],
            RefreshSource(value.get("source", RefreshSource.REMOTE.value)),
            Snapshot.load(snapshot) if snapshot else None,
            tuple(value.get("notes") or ()),
        )

    @classmethod
    def empty(
        cls,
        at: int,
        source: RefreshSource = RefreshSource.REMOTE,
        snapshot: Snapshot | None = None,
    ) -> Refresh:
        """A refresh that has counted nothing yet."""
        kinds = (*(k.value for k in DEFINITION_KINDS), *ENVIRONMENT_KINDS)
        counts = {k: {a.value: 0 for a in RefreshAction} for k in kinds}
        return cls(at, counts, 0, 0.0, source, snapshot)


@dataclass(frozen=True)
class Remote:
    """A remote of the project, as answered (never its secret key)."""

    name: str
    workspace_id: str
    """The shadow workspace's id on this server."""
    endpoint: str
    project_id: str
    workspace: str
    access_key: str
    created_at: int
    created_by: str
    last_refresh: Refresh | None
    studio_endpoint: str | None = None
    """Where the DataArts Studio calls go, when not to ``endpoint``."""
    refreshing: RunningTask | None = None
    """The refresh task queued or running now, in the shadow workspace: its id, and the
    progress and message it last reported."""
    refresh_failed: FailedTask | None = None
    """The newest refresh that failed since the last one that succeeded (``None``: none)."""


@dataclass(frozen=True)
class RemoteCheck:
    """What ``remotes test`` found with one cheap signed read."""

    remote: str
    reach: RemoteReach
    message: str
    calls: int
    remote_status: int | None = None
    remote_error_code: str | None = None
    remote_error_msg: str | None = None


REMOTE_CHANGE = BodyShape(
    "a change to a remote, in place: new credentials or endpoints (its name, project and "
    "workspace stay: they are what its shadow mirrors and its routes promote into)",
    (
        text("endpoint", "the DataArts endpoint it moved to, e.g. https://dayu-dlf.<region>…"),
        text(
            "studioEndpoint",
            "the DataArts Studio endpoint it moved to (null: the calls go to endpoint)",
            nullable=True,
        ),
        text("accessKey", "a new access key to sign with; give its secretKey with it"),
        text("secretKey", "a new secret key (kept encrypted, never answered)"),
    ),
)
"""The body of ``PATCH /v1/{project_id}/remotes/{name}``; other keys are refused."""

KEPT = {
    "name": "a remote's name is its shadow workspace's; add a remote under the new name",
    "projectId": "a remote's project and workspace are what its shadow mirrors and its routes "
    "promote into; add another remote for another workspace",
    "workspace": "a remote's project and workspace are what its shadow mirrors and its routes "
    "promote into; add another remote for another workspace",
}
"""Fields of a remote that a change cannot touch, and why."""


@dataclass(frozen=True)
class RemoteChange:
    """What a change to a remote sets; ``None``: left as it is (``studio_endpoint`` is
    changed when ``studio_given``, ``None`` then meaning "go to ``endpoint``")."""

    endpoint: str | None = None
    studio_endpoint: str | None = None
    studio_given: bool = False
    access_key: str | None = None
    secret_key: str | None = field(default=None, repr=False)

    @property
    def fields(self) -> list[str]:
        """The wire names of the fields it sets, in the shape's order."""
        given = {
            "endpoint": self.endpoint is not None,
            "studioEndpoint": self.studio_given,
            "accessKey": self.access_key is not None,
            "secretKey": self.secret_key is not None,
        }
        return [name for name in REMOTE_CHANGE.names if given[name]]


def _change_values(body: dict[str, Any], problems: list[str]) -> dict[str, str | None]:
    values: dict[str, str | None] = {}
    for item in REMOTE_CHANGE.fields:
        if item.name not in body:
            continue
        value = body[item.name]
        if isinstance(value, str) and value.strip():
            values[item.name] = value.strip()
        elif value is None and item.nullable:
            values[item.name] = None
        else:
            problems.append(f"{item.name} must be a non-empty text: {item.description}")
    return values


def parse_remote_change(body: dict[str, Any]) -> RemoteChange:
    """The change a body asks of a remote; every problem at once."""
    problems = [
        f"{key} cannot be changed: {KEPT[key]}" if key in KEPT else f"unknown field '{key}'"
        for key in REMOTE_CHANGE.unknown(body)
    ]
    values = _change_values(body, problems)
    for key in EXAMPLES:
        url = values.get(key)
        problem = _url_problem(key, url) if url else None
        if problem:
            problems.append(problem)
    if "accessKey" in values and "secretKey" not in values:
        problems.append("accessKey comes with its secretKey: give both to rotate the key pair")
    if not problems and not values:
        problems.append(
            "nothing to change: give endpoint, studioEndpoint, accessKey with secretKey, or "
            "secretKey"
        )
    if problems:
        raise InvalidRequestError(
            f"The change to the remote is invalid: {'; '.join(problems)}.", problems=problems
        )
    endpoint, studio = values.get("endpoint"), values.get("studioEndpoint")
    return RemoteChange(
        endpoint.rstrip("/") if endpoint else None,
        studio.rstrip("/") if studio else None,
        "studioEndpoint" in values,
        values.get("accessKey"),
        values.get("secretKey"),
    )
