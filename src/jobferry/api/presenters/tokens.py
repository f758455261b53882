"""IAM tokens as IAM (Keystone v3) answers them: ``{"token": {...}}``, snake_case, times in
ISO 8601 UTC with microseconds and ``Z``.

jobferry has no accounts above projects: the project stands for IAM's domain too, in the
user's and the project's ``domain``. The catalog names this server once, as the DataArts
Factory (``dlf``) endpoint of every call it serves (v1, v2 and the Studio calls), at the
address the request reached; jobferry has no regions, so ``region`` is empty.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from jobferry.services.accounts.tokens import TokenGrant


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
        body["catalog"] = [_endpoint(base_url.rstrip("/"))]
    return {"token": body}


def _endpoint(url: str) -> dict[str, Any]:
    public = {"id": "dlf-public", "interface": "public", "region": "", "region_id": "", "url": url}
    return {"id": "dlf", "name": "dlf", "type": "dlf", "endpoints": [public]}
