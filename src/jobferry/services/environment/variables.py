"""Workspace environment variables (DataArts ``GET/PUT /v2/{project_id}/factory/env``).

One flat set per workspace; jobs and scripts read a variable as ``${name}``. A PUT creates or
replaces the variables it names and keeps the others (DataArts does not document whether a PUT
replaces the whole set; upserting by name loses nothing a client did not mention).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from jobferry.errors import InvalidRequestError
from jobferry.services.audit import audit_in_scope
from jobferry.services.context import Scope, now_ms, writing_roles
from jobferry.storage import Database
from jobferry.storage import variables as repo
from jobferry.storage.records import VariableRecord

NAME_LENGTH = 64
"""The longest name a workspace keeps (its column's width)."""
NAME = re.compile(rf"[A-Za-z0-9_.-]{{1,{NAME_LENGTH}}}")
FIELDS = ("name", "type", "value", "desc")
DEFAULT_TYPE = "variable"
MAX_VARIABLES = 1000
TYPE_LENGTH = 32
"""The longest type a workspace keeps (its column's width)."""


@dataclass(frozen=True)
class Variable:
    """A workspace variable (``${name}`` in jobs and scripts)."""

    name: str
    type: str
    value: str
    description: str


def _param_problems(index: int, item: Any) -> list[str]:
    where = f"params[{index}]"
    if not isinstance(item, dict):
        return [f"{where} must be an object {{name, type, value, desc}}"]
    problems = []
    name = item.get("name")
    if not isinstance(name, str) or not NAME.fullmatch(name):
        problems.append(f"{where}.name {name!r} must be 1-64 letters, digits, '_', '-' or '.'")
    if item.get("value") is None:
        problems.append(f'{where}.value is missing; give it as text ("" for an empty one)')
    elif not isinstance(item["value"], str):
        problems.append(f'{where}.value must be text (quote numbers: "05")')
    for key in ("type", "desc"):
        if item.get(key) is not None and not isinstance(item[key], str):
            problems.append(f"{where}.{key} must be text")
    kind = item.get("type")
    if isinstance(kind, str) and len(kind) > TYPE_LENGTH:
        problems.append(f"{where}.type must be at most {TYPE_LENGTH} characters, not {len(kind)}")
    return problems


def parse_params(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Check an EnvRequestBody, every problem at once; the variables as saved (the fields of
    ``FIELDS`` alone). Other fields are ignored, as in every DataArts body: an SDK or the
    console may send fields jobferry has no use for."""
    params = body.get("params")
    problems: list[str] = []
    if not isinstance(params, list) or len(params) > MAX_VARIABLES:
        problems.append(f"params must be a list of at most {MAX_VARIABLES} variables")
        params = []
    for i, item in enumerate(params):
        problems += _param_problems(i, item)
    names = [p.get("name") for p in params if isinstance(p, dict)]
    twice = sorted({str(n) for n in names if names.count(n) > 1})
    if twice:
        problems.append(f"variable(s) {', '.join(twice)} appear more than once")
    if problems:
        raise InvalidRequestError(
            f"The workspace variables cannot be saved: {'; '.join(problems)}."
        )
    return [_known(p) for p in params]


def _known(item: dict[str, Any]) -> dict[str, Any]:
    """A variable's fields jobferry keeps (the others are ignored)."""
    return {key: item[key] for key in FIELDS if key in item}


@dataclass
class VariableService:
    """Read and save a workspace's environment variables."""

    db: Database

    def list(self, scope: Scope) -> tuple[Variable, ...]:
        """Every variable of the workspace, by name."""
        with self.db.transaction(readonly=True) as tx:
            items = repo.list_variables(tx, scope.workspace.id)
        return tuple(Variable(v.name, v.type, v.value, v.description) for v in items)

    def save(self, scope: Scope, body: dict[str, Any]) -> None:
        """Create or replace the named variables (admins and developers; on a production side,
        which a developer only reads, admins; never in a remote's shadow, which mirrors the
        remote's)."""
        action = "change workspace environment variables"
        scope.require(writing_roles(scope.workspace), action)
        scope.require_not_shadow(action, pushed=False)  # a refresh mirrors the remote's
        params = parse_params(body)
        now = now_ms()
        with self.db.transaction() as tx:
            for item in params:
                created = repo.upsert_variable(
                    tx,
                    VariableRecord(
                        scope.workspace.id,
                        item["name"],
                        item.get("type") or DEFAULT_TYPE,
                        item["value"],
                        item.get("desc") or "",
                        now,
                        scope.actor.name,
                    ),
                )
                audit_in_scope(
                    tx,
                    scope,
                    f"variable.{'create' if created else 'update'}",
                    "variable",
                    item["name"],
                )
