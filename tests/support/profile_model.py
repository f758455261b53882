"""What the documents promise of environment profiles and workspace environment variables
(docs/api.md: the profiles' rows, "Saved on a condition", "Profiles", ``show_factory_env`` and
``create_factory_env``), as a model the generated stories of
``tests/unit/services/test_generated_profiles.py`` are checked against.

A workspace (or a production side: a *place*) holds profiles by name, each a list of the
versions saved (numbered from 1 in order, every one kept; a removal takes them all, so the
next save is version 1 again), and one flat set of variables by name. Who may do what:
admins write profiles, every role reads them; admins and developers write variables, on a
production side admins alone, every role reads them. A refused step changes nothing and
carries the code the documents name for its reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

ADMIN, DEVELOPER, OPERATOR, VIEWER = "admin", "developer", "operator", "viewer"
ROLES = (ADMIN, DEVELOPER, OPERATOR, VIEWER)
DENIED = "DLF.6888"
INVALID = "DLF.3051"
NOT_FOUND = "DLF.9006"
MOVED = "DLF.9018"
PROFILE_KEYS = frozenset(
    {
        "name",
        "description",
        "renames",
        "params",
        "jobParams",
        "executeUser",
        "owner",
        "directory",
        "timeZone",
        "targetOwned",
    }
)
"""The keys a profile document may hold (docs/api.md, "Profiles"; ``name`` is not read)."""
VARIABLE_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")
TYPE_LENGTH = 32
"""The longest type of a variable a workspace keeps."""
PROFILE_NAMES = ("prod", "staging", "eu-west", "生产", "p" * 128)
"""The profile names the stories save under (others they draw are invalid ones)."""
Line = tuple[str, str, str | None, str | None]
"""An audit entry: (actor, action, object kind, object name)."""


@dataclass
class Place:
    """What one workspace (or production side) holds."""

    production: bool
    profiles: dict[str, list[tuple[dict[str, Any], str]]] = field(default_factory=dict)
    """Each profile's versions as stored, with who saved each (version ``i + 1`` at ``i``)."""
    variables: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    """Each variable's (type, value, description)."""


def profile_faults(document: dict[str, Any]) -> list[str]:
    """Why a profile document is refused (empty: it is saved), as far as the stories draw
    faults: an unknown key, a rename of a kind that cannot be renamed or to an empty name, a
    directory rewrite not from a folder, a target-owned path naming no field or a server-kept
    one."""
    faults = [f"unknown key {key}" for key in document if key not in PROFILE_KEYS]
    for kind, names in (document.get("renames") or {}).items():
        if kind == "table":
            faults.append(f"renames.{kind}")
        faults += [f"renames.{kind}.{old}" for old, new in names.items() if not str(new).strip()]
    directory = document.get("directory")
    if directory is not None and not str(directory["from"]).startswith("/"):
        faults.append("directory.from")
    for path in document.get("targetOwned") or ():
        if path in ("basicConfig.ownr", "id", "nodes[*].retryTime"):
            faults.append(f"targetOwned {path}")
    return faults


def variable_faults(params: list[Any]) -> list[str]:
    """Why a variables PUT is refused (empty: it is saved): a name not 1-64 of
    ``[A-Za-z0-9_.-]``, a value that is not text, a type or description that is not text, a
    type longer than a workspace keeps, a name given twice. An unknown field is ignored, as
    in every DataArts body."""
    faults: list[str] = []
    for i, item in enumerate(params):
        name = item.get("name")
        if not isinstance(name, str) or not VARIABLE_NAME.fullmatch(name):
            faults.append(f"params[{i}].name")
        if not isinstance(item.get("value"), str):
            faults.append(f"params[{i}].value")
        for key in ("type", "desc"):
            if item.get(key) is not None and not isinstance(item[key], str):
                faults.append(f"params[{i}].{key}")
        kind = item.get("type")
        if isinstance(kind, str) and len(kind) > TYPE_LENGTH:
            faults.append(f"params[{i}].type length")
    names = [item.get("name") for item in params]
    faults += [f"{n} twice" for n in sorted({str(n) for n in names if names.count(n) > 1})]
    return faults


class Model:
    """The places of a story, what they hold, and the audit entries each change writes."""

    def __init__(self, places: dict[str, bool]) -> None:
        self.places = {name: Place(production) for name, production in places.items()}
        self.audit: list[Line] | None = []
        """The entries the last step wrote (None: not told here)."""

    def newest(self, place: str, name: str) -> int:
        """The newest version of a profile (0: none)."""
        return len(self.places[place].profiles.get(name, ()))

    def put_profile(
        self,
        place: str,
        role: str,
        actor: str,
        name: str,
        document: dict[str, Any] | None,
        expects: int | None,
    ) -> str | int:
        """Save a version (``document`` None: a text that is no mapping; ``expects``: the
        condition's version, -1 for ``If-Match: *``, None for none); the refusal's code, or the
        version saved."""
        if role != ADMIN:
            return DENIED
        if name not in PROFILE_NAMES or document is None or profile_faults(document):
            return INVALID
        newest = self.newest(place, name)
        if expects is not None and not (newest > 0 if expects < 0 else newest == expects):
            return MOVED
        stored = {k: v for k, v in document.items() if k != "name"}
        self.places[place].profiles.setdefault(name, []).append((stored, actor))
        self.audit = [(actor, "profile.put", "profile", name)]
        return newest + 1

    def remove_profile(
        self, place: str, role: str, actor: str, name: str, expects: int | None
    ) -> str | None:
        """Remove a profile, every version (``expects``: its ``If-Match``); the refusal's
        code, or None."""
        if role != ADMIN:
            return DENIED
        newest = self.newest(place, name)
        if expects is not None and newest and newest != expects:
            return MOVED
        if not newest:
            return NOT_FOUND
        del self.places[place].profiles[name]
        self.audit = [(actor, "profile.delete", "profile", name)]
        return None

    def shown(
        self, place: str, name: str, version: int | None
    ) -> tuple[dict[str, Any], str] | None:
        """The document ``GET …/profiles/{name}[?version=N]`` answers and who saved it (None:
        DLF.9006)."""
        versions = self.places[place].profiles.get(name, [])
        number = len(versions) if version is None else version
        return versions[number - 1] if 1 <= number <= len(versions) else None

    def put_variables(self, place: str, role: str, actor: str, params: list[Any]) -> str | None:
        """Save variables (create or replace each named, keep the others); the refusal's code,
        or None."""
        held = self.places[place]
        if role not in ((ADMIN,) if held.production else (ADMIN, DEVELOPER)):
            return DENIED
        if variable_faults(params):
            return INVALID
        self.audit = written = []
        for item in params:
            action = "variable.update" if item["name"] in held.variables else "variable.create"
            written.append((actor, action, "variable", item["name"]))
            kept = (item.get("type") or "variable", item["value"], item.get("desc") or "")
            held.variables[item["name"]] = kept
        return None
