"""What the documents promise of remotes as objects (docs/api.md, "Remotes"; docs/remotes.md,
"What you need" and the rotated key), as a model the generated stories of
``tests/unit/services/remotes/test_generated_remote_objects.py`` are checked against.

A project holds remotes by name, each with its endpoints, DataArts project and workspace, key
pair and a shadow workspace of its name; removing one leaves the shadow as an ordinary
workspace, whose name no remote takes again. Who may do what: project admins add, change and
remove remotes; any member lists and shows them; admins and developers of the shadow (and
project admins) test them. A body is read before anything else (every problem refused at
once, ``DLF.3051``); a refused step changes nothing and carries the code the documents name.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from jobferry.domain.names import check_object_name

BOSS, ADMIN, DEVELOPER, OPERATOR, VIEWER = "boss", "admin", "developer", "operator", "viewer"
"""The project admin, and users of each role (in the default workspace; in a shadow once
made members of it)."""
ROLES = (ADMIN, DEVELOPER, OPERATOR, VIEWER)
DENIED = "DLF.6888"
INVALID = "DLF.3051"
TAKEN = "DLF.9010"
IN_USE = "DLF.9013"
NOT_FOUND = "DLF.9064"
REMOTE_FIELDS = (
    "name",
    "endpoint",
    "projectId",
    "workspace",
    "accessKey",
    "secretKey",
    "studioEndpoint",
)
CHANGE_FIELDS = ("endpoint", "studioEndpoint", "accessKey", "secretKey")
KEPT = ("name", "projectId", "workspace")
Line = tuple[str, str, str | None, str | None]
"""An audit entry: (actor, action, object kind, object name)."""


@dataclass(frozen=True)
class Held:
    """A remote as the model holds it."""

    endpoint: str
    studio: str | None
    project: str
    workspace: str
    access_key: str
    secret: str
    created_by: str

    def view(self, name: str) -> dict[str, Any]:
        """What ``GET …/remotes/{name}`` answers of it (its shadow's id apart)."""
        return {
            "name": name,
            "endpoint": self.endpoint,
            "studioEndpoint": self.studio or self.endpoint,
            "projectId": self.project,
            "workspace": self.workspace,
            "accessKey": self.access_key,
            "secretKey": "set",
            "createUser": self.created_by,
            "lastRefresh": None,
            "refreshing": None,
            "lastRefreshFailed": None,
        }

    def reaches(self) -> tuple[str, str, str]:
        return self.endpoint.rstrip("/").lower(), self.project, self.workspace


def url_fault(value: str) -> bool:
    """Whether an endpoint is not an http(s) URL without a query."""
    parts = urlsplit(value)
    return not (parts.scheme in ("http", "https") and parts.netloc and not parts.query)


def remote_faults(body: dict[str, Any]) -> list[str]:
    """Why a remote's body is refused (empty: it is read)."""
    faults = [f"unknown {key}" for key in body if key not in REMOTE_FIELDS]
    for key in REMOTE_FIELDS[:-1]:
        value = body.get(key)
        if not isinstance(value, str) or not value.strip():
            faults.append(f"{key} required")
    studio = body.get("studioEndpoint")
    if studio not in (None, "") and not isinstance(studio, str):
        faults.append("studioEndpoint text")
    for key in ("endpoint", "studioEndpoint"):
        value = body.get(key)
        if isinstance(value, str) and value.strip() and url_fault(value.strip()):
            faults.append(f"{key} url")
    name = body.get("name")
    if not faults and check_object_name(str(name).strip(), "remote name"):
        faults.append("name")
    return faults


def change_faults(body: dict[str, Any]) -> list[str]:
    """Why a change's body is refused (empty: it is read)."""
    faults = [f"{key} kept" if key in KEPT else f"unknown {key}" for key in body]
    faults = [f for f, key in zip(faults, body, strict=True) if key not in CHANGE_FIELDS]
    given = {}
    for key in CHANGE_FIELDS:
        if key not in body:
            continue
        value = body[key]
        if isinstance(value, str) and value.strip():
            given[key] = value.strip()
        elif value is None and key == "studioEndpoint":
            given[key] = None
        else:
            faults.append(f"{key} empty")
    faults += [
        f"{k} url" for k in ("endpoint", "studioEndpoint") if given.get(k) and url_fault(given[k])
    ]
    if "accessKey" in given and "secretKey" not in given:
        faults.append("accessKey alone")
    if not faults and not given:
        faults.append("nothing")
    return faults


class Model:
    """The remotes of a story, the workspaces whose names they cannot take, who is a member of
    each shadow, the routes naming each, and the audit entries each change writes."""

    def __init__(self, workspaces: set[str], boss: str) -> None:
        self.remotes: dict[str, Held] = {}
        self.workspaces = set(workspaces)
        """Every workspace name of the project the story may draw (shadows included)."""
        self.members: set[str] = set()
        """The shadows the users of each role are members of (with their role)."""
        self.routes: dict[str, set[str]] = {}
        """The routes naming each workspace as their target."""
        self.boss = boss
        self.audit: list[Line] | None = []

    def add(self, caller: str, body: dict[str, Any]) -> str | None:
        """Add a remote; the refusal's code, or None."""
        if remote_faults(body):
            return INVALID
        if caller != BOSS:
            return DENIED
        name = body["name"].strip()
        if name in self.remotes or name in self.workspaces:
            return TAKEN
        studio = body.get("studioEndpoint")
        held = Held(
            body["endpoint"].strip().rstrip("/"),
            studio.strip().rstrip("/") if studio and studio.strip() else None,
            body["projectId"].strip(),
            body["workspace"].strip(),
            body["accessKey"].strip(),
            body["secretKey"].strip(),
            self.boss,
        )
        if any(other.reaches() == held.reaches() for other in self.remotes.values()):
            return INVALID
        self.remotes[name] = held
        self.workspaces.add(name)
        self.audit = [(self.boss, "remote.add", "remote", name)]
        return None

    def change(self, caller: str, name: str, body: dict[str, Any]) -> str | None:
        """Change a remote in place; the refusal's code, or None."""
        if change_faults(body):
            return INVALID
        if caller != BOSS:
            return DENIED
        held = self.remotes.get(name)
        if held is None:
            return NOT_FOUND
        values = {k: v.strip() if isinstance(v, str) else v for k, v in body.items()}
        studio = values.get("studioEndpoint")
        changed = replace(
            held,
            endpoint=values["endpoint"].rstrip("/") if "endpoint" in values else held.endpoint,
            studio=(studio.rstrip("/") if studio else None)
            if "studioEndpoint" in values
            else held.studio,
            access_key=values.get("accessKey", held.access_key),
            secret=values.get("secretKey", held.secret),
        )
        others = (r for n, r in self.remotes.items() if n != name)
        if any(other.reaches() == changed.reaches() for other in others):
            return INVALID
        self.remotes[name] = changed
        self.audit = [(self.boss, "remote.change", "remote", name)]
        return None

    def remove(self, caller: str, name: str) -> str | None:
        """Forget a remote (its shadow stays); the refusal's code, or None."""
        if caller != BOSS:
            return DENIED
        if name not in self.remotes:
            return NOT_FOUND
        if self.routes.get(name):
            return IN_USE
        del self.remotes[name]
        self.audit = [(self.boss, "remote.remove", "remote", name)]
        return None

    def shown(self, name: str) -> str | None:
        """The refusal of showing a remote (None: shown, to any member)."""
        return None if name in self.remotes else NOT_FOUND

    def tested(self, caller: str, name: str) -> str | None:
        """The refusal of testing a remote (None: tested; it writes no audit entry)."""
        if name not in self.remotes:
            return NOT_FOUND
        if caller != BOSS and (caller not in (ADMIN, DEVELOPER) or name not in self.members):
            return DENIED
        self.audit = []
        return None
