"""What docs/api.md promises of the list calls, for ``tests/api/test_generated_lists.py``: a
model of a workspace's jobs, scripts, resources and connections, and of the page each list
call answers for a filter, ``limit`` and ``offset``.

- a name filter (``jobName``, ``scriptName``, ``resourceName``, ``connectionName``, the Studio
  calls' ``name`` and ``script_name``) matches a part of the name as written, case counting
  ("Names"); a ``%`` or ``_`` in it is that character, nothing more;
- ``list_jobs`` answers the jobs of one ``jobType`` (default ``BATCH``); ``tags``, comma
  separated, keeps the jobs carrying any of them;
- ``list_dataconnections``' ``type`` matches the type whatever its case, ``ip`` a part of an
  ``ip``/``host``/``address``/``url`` setting;
- lists come by name in code point order; ``total`` (``max_records``) counts every match;
- ``limit`` is a whole number 1–100, ``offset`` one 0–1,000,000,000 (rows, or pages under
  ``JOBFERRY_OFFSET_MODE=page``); any other is refused naming it (``DLF.3051``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

REFUSED = "DLF.3051"
OFFSET_MOST = 1_000_000_000
IP_KEYS = frozenset({"ip", "host", "address", "url"})
"""The settings ``list_dataconnections``' ``ip`` looks in."""


@dataclass(frozen=True)
class Job:
    name: str
    real_time: bool
    tags: tuple[str, ...]


@dataclass(frozen=True)
class Connection:
    name: str
    type: str
    setting: str
    value: str


@dataclass
class Model:
    """One workspace's objects, by kind."""

    jobs: list[Job] = field(default_factory=list)
    scripts: list[str] = field(default_factory=list)
    resources: list[str] = field(default_factory=list)
    connections: list[Connection] = field(default_factory=list)

    def matches(self, call: str, filters: dict[str, str]) -> list[str]:
        """The names ``call`` lists for ``filters``, in the documented order."""
        if call == "jobs":
            found = [j.name for j in self.jobs if _job_matches(j, filters)]
        elif call in ("scripts", "factory_scripts"):
            found = [n for n in self.scripts if _holds(n, filters.get("name"))]
        elif call == "resources":
            found = [n for n in self.resources if _holds(n, filters.get("name"))]
        else:
            found = [c.name for c in self.connections if _connection_matches(c, filters)]
        return sorted(found)


def _holds(name: str, part: str | None) -> bool:
    """A name filter: a part of the name as written (blank or absent: no filter)."""
    return not part or part in name


def _job_matches(job: Job, filters: dict[str, str]) -> bool:
    wanted = filters.get("jobType") or "BATCH"
    if job.real_time != (wanted == "REAL_TIME"):
        return False
    tags = [t for t in (filters.get("tags") or "").split(",") if t]
    if tags and not set(tags) & set(job.tags):
        return False
    return _holds(job.name, filters.get("name"))


def _connection_matches(connection: Connection, filters: dict[str, str]) -> bool:
    if not _holds(connection.name, filters.get("name")):
        return False
    kind = filters.get("type")
    if kind and kind.casefold() != connection.type.casefold():
        return False
    ip = filters.get("ip")
    return not ip or (connection.setting in IP_KEYS and ip in connection.value)


def refusal(limit: object, offset: object, most: int = 100) -> str | None:
    """The parameter a list call refuses (``limit`` first, 1 to ``most``), or None when both
    are taken."""
    if not _whole_within(limit, 1, most):
        return "limit"
    if not _whole_within(offset, 0, OFFSET_MOST):
        return "offset"
    return None


def _whole_within(value: object, least: int, most: int) -> bool:
    if value is None:
        return True  # absent: the default
    text = str(value)
    return text.isascii() and text.isdigit() and least <= int(text) <= most


def page(found: list[str], limit: int, offset: int, by_page: bool) -> list[str]:
    """The names of the page at ``offset`` (a page index when ``by_page``)."""
    skip = offset * limit if by_page else offset
    return found[skip : skip + limit]


TEXT, WHOLE, NUMBER, TRUTH = "string", "integer", "number", "boolean"
CONTRACT_TYPES: dict[str, dict[str, str]] = {
    "workspaces": {
        **dict.fromkeys(("name", "id", "description", "project_id", "domain_id"), TEXT),
        **dict.fromkeys(("instance_id", "eps_id", "owner_name", "create_user"), TEXT),
        **dict.fromkeys(("is_default", "member_num"), WHOLE),
        **dict.fromkeys(("create_time", "update_time"), NUMBER),
    },
    "users": {
        **dict.fromkeys(("id", "user_id", "user_name", "domain_id", "domain_name"), TEXT),
        **dict.fromkeys(("display_user_name", "description", "workspace_id"), TEXT),
        "domain_owner": TRUTH,
        "type": WHOLE,
        **dict.fromkeys(("create_time", "update_time"), NUMBER),
    },
    "pending_items": {
        **dict.fromkeys(("item_name", "pending_item_id", "project_id", "task_id"), TEXT),
        **dict.fromkeys(("submit_user_id", "submit_user_name"), TEXT),
        **dict.fromkeys(("deployed_version", "package_flag", "pending_version"), WHOLE),
        **dict.fromkeys(("submit_timestamp", "task_type", "update_type"), WHOLE),
    },
    "packages": {
        **dict.fromkeys(("apply_timestamp", "delete_flag", "deploy_status"), WHOLE),
        **dict.fromkeys(("deploy_timestamp",), WHOLE),
        **dict.fromkeys(("apply_user_id", "apply_user_name", "deploy_user_id"), TEXT),
        **dict.fromkeys(("deploy_user_name", "package_id", "package_name"), TEXT),
        **dict.fromkeys(("project_id", "workspace_id"), TEXT),
    },
}
"""The types the DataArts Studio contract gives a list item's fields (``…-v2-factory.json``)."""


def mistyped(item: dict[str, Any], what: str) -> dict[str, Any]:
    """The fields of ``item`` (a ``what`` of :data:`CONTRACT_TYPES`) whose value is not of the
    contract's type (a field left out or ``null`` is not)."""
    wrong = {}
    for key, kind in CONTRACT_TYPES[what].items():
        value = item.get(key)
        if value is None:
            continue
        if kind == TRUTH:
            ok = isinstance(value, bool)
        elif kind == TEXT:
            ok = isinstance(value, str)
        else:
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            ok = ok and (kind == NUMBER or isinstance(value, int))
        if not ok:
            wrong[key] = value
    return wrong
