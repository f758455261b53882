"""What the remotes feature answers (typed records) and the one parser of a remote's body."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import orjson

from jobferry.domain.enums import ObjectKind, RefreshAction, RemoteReach
from jobferry.domain.shapes import BodyShape, text
from jobferry.errors import InvalidRequestError
from jobferry.services.support.requests import valid_name

REMOTE = BodyShape(
    "a remote: a DataArts workspace reached through its public API",
    (
        text("name", "the remote's name, which its shadow workspace takes", required=True),
        text("endpoint", "the DataArts endpoint, e.g. https://dayu-dlf.<region>…", required=True),
        text("projectId", "the remote's project id", required=True),
        text("workspace", "the remote workspace's id (the workspace header)", required=True),
        text("accessKey", "the access key calls are signed with", required=True),
        text("secretKey", "its secret key (kept encrypted, never answered)", required=True),
    ),
)
"""The body of ``POST /v1/{project_id}/remotes``; other keys are refused."""


@dataclass(frozen=True)
class RemoteSpec:
    """A remote as asked for, checked."""

    name: str
    endpoint: str
    project_id: str
    workspace: str
    access_key: str
    secret_key: str = field(repr=False)


def parse_remote(body: dict[str, Any]) -> RemoteSpec:
    """The remote a body asks for; every problem at once."""
    problems = [f"unknown field '{key}'" for key in REMOTE.unknown(body)]
    values: dict[str, str] = {}
    for item in REMOTE.fields:
        value = body.get(item.name)
        if not isinstance(value, str) or not value.strip():
            problems.append(f"{item.name} is required: {item.description}")
        else:
            values[item.name] = value.strip()
    endpoint = values.get("endpoint", "")
    parts = urlsplit(endpoint)
    if endpoint and (parts.scheme not in ("http", "https") or not parts.netloc or parts.query):
        problems.append(
            f"endpoint '{endpoint[:100]}' is not an http(s) URL without a query, e.g. "
            "https://dayu-dlf.cn-north-4.myhuaweicloud.com"
        )
    if problems:
        raise InvalidRequestError(
            f"The remote is invalid: {'; '.join(problems)}.", problems=problems
        )
    return RemoteSpec(
        valid_name(values["name"], "remote name"),
        endpoint.rstrip("/"),
        values["projectId"],
        values["workspace"],
        values["accessKey"],
        values["secretKey"],
    )


@dataclass(frozen=True)
class Refresh:
    """What one refresh did: when it read the remote, per kind how many objects it created,
    updated, deleted and left unchanged, and the calls it made."""

    at: int
    counts: dict[str, dict[str, int]]
    calls: int
    seconds: float

    def total(self, action: RefreshAction) -> int:
        """Objects of every kind the refresh did ``action`` to."""
        return sum(by_action.get(action.value, 0) for by_action in self.counts.values())

    def dump(self) -> str:
        """The stored form (JSON text)."""
        return orjson.dumps(
            {"at": self.at, "counts": self.counts, "calls": self.calls, "seconds": self.seconds}
        ).decode()

    @classmethod
    def load(cls, text: str) -> Refresh:
        """Back from :meth:`dump`."""
        value = orjson.loads(text)
        return cls(value["at"], value["counts"], value["calls"], value["seconds"])

    @classmethod
    def empty(cls, at: int) -> Refresh:
        """A refresh that has counted nothing yet."""
        kinds = (ObjectKind.JOB, ObjectKind.SCRIPT, ObjectKind.RESOURCE)
        return cls(at, {k.value: {a.value: 0 for a in RefreshAction} for k in kinds}, 0, 0.0)


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
