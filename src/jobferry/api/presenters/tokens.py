"""IAM tokens as IAM (Keystone v3) answers them: ``{"token": {...}}``, snake_case, times in
ISO 8601 UTC with microseconds and ``Z``.

jobferry has no accounts above projects: the project stands for IAM's domain too, in the
user's and the project's ``domain``.

The catalog names this server, at the address the request reached, twice:

- as the DataArts Factory (``dlf``) endpoint of every call it serves (v1, v2 and the Studio
  calls), the address without a project;
- as a ``volumev2`` endpoint, ``<address>/v2/<project_id>``, because that is where the Go SDK
  (gophertelekomcloud, ``openstack.NewDataArtsV1``) finds DataArts: it takes the public
  ``volumev2`` endpoint of its region, puts ``v1`` for the first ``v2`` and ``dayu-dlf`` for
  the first ``evs``, and calls ``<address>/v1/<project_id>/jobs``. Nothing else is served there.

jobferry has no regions; each endpoint's ``region`` (and ``region_id``) is the project name up
to its first ``_``, IAM's convention (project ``eu-de_sales`` is in region ``eu-de``), which is
the region the Go SDK looks an endpoint up in when ``OS_REGION_NAME`` is not set.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from jobferry.services.accounts.tokens import TokenGrant
from jobferry.storage.records import ProjectRecord


def iam_time(ms: int) -> str:
    """``2026-11-29T01:02:03.456000Z``: epoch milliseconds as IAM writes a time."""
    moment = datetime.fromtimestamp(ms // 1000, UTC).replace(microsecond=(ms % 1000) * 1000)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def token(grant: TokenGrant, base_url: str, *, catalog: bool) -> dict[str, Any]:
    """The body of an issued or validated token."""
    actor = grant.actor
    domain = {"id": actor.project_id, "name": grant.project_name}
    body: dict[str, Any] = {
        "methods": ["password"],
        "expires_at": iam_time(grant.expires_at),
        "issued_at": iam_time(grant.issued_at),
        "user": {"id": str(actor.user_id), "name": actor.name, "domain": domain},
        "project": {"id": actor.project_id, "name": grant.project_name, "domain": domain},
        "roles": [{"id": role, "name": role} for role in grant.roles],
    }
    if catalog:
        body["catalog"] = service_catalog(base_url, actor.project_id, grant.project_name)
    return {"token": body}


def catalog(project_id: str, project_name: str, base_url: str) -> dict[str, Any]:
    """``GET /v3/auth/catalog``: the caller's project's catalog, one page (``links.next``
    null)."""
    address = base_url.rstrip("/")
    return {
        "catalog": service_catalog(base_url, project_id, project_name),
        "links": {"self": f"{address}/v3/auth/catalog", "previous": None, "next": None},
    }


def projects(project: ProjectRecord | None, base_url: str, query: str) -> dict[str, Any]:
    """``GET /v3/projects``, IAM's shape: the caller's project when it passes the filter, one
    page. jobferry has no domains above projects: a project is its own ``domain_id``."""
    address = base_url.rstrip("/")
    found = [] if project is None else [_project(project, address)]
    own = f"{address}/v3/projects" + (f"?{query}" if query else "")
    return {"projects": found, "links": {"self": own, "previous": None, "next": None}}


def _project(project: ProjectRecord, address: str) -> dict[str, Any]:
    return {
        "id": project.id,
        "name": project.name,
        "domain_id": project.id,
        "parent_id": project.id,
        "description": "",
        "enabled": True,
        "is_domain": False,
        "links": {"self": f"{address}/v3/projects/{project.id}"},
    }


def region_of(project_name: str) -> str:
    """The region IAM's naming puts a project in: its name up to the first ``_``."""
    return project_name.split("_", 1)[0]


def service_catalog(base_url: str, project_id: str, project_name: str) -> list[dict[str, Any]]:
    """The catalog of a token: this server as ``dlf``, and as the ``volumev2`` endpoint the
    Go SDK derives DataArts' address from."""
    address, region = base_url.rstrip("/"), region_of(project_name)
    return [
        _service("dlf", "dlf", address, region),
        _service("volumev2", "evs", f"{address}/v2/{project_id}", region),
    ]


def _service(kind: str, name: str, url: str, region: str) -> dict[str, Any]:
    public = {
        "id": f"{name}-public",
        "interface": "public",
        "region": region,
        "region_id": region,
        "url": url,
    }
    return {"id": name, "name": name, "type": kind, "endpoints": [public]}
