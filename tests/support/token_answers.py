"""The answers of jobferry's IAM as docs/api.md ("IAM tokens") spells them, checked against
:class:`~support.token_model.Model` (``tests/api/test_generated_iam_tokens.py``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from support.token_model import Model, Outcome, TokenM

BASE = "http://testserver"
"""The address the in-process client reaches the app at."""


def iam_time(ms: int) -> str:
    """IAM's time, written here from the docs' example: UTC, microseconds, ``Z``."""
    moment = datetime.fromtimestamp(ms // 1000, UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{ms % 1000:03d}000Z"


def said_token(
    model: Model, body: dict[str, Any], token: TokenM, catalog: bool, now: bool = False
) -> None:
    """The token's body: the roles at issue, or (``now``: a validation) the user's roles now;
    the catalog unless left out."""
    user = token.user
    pid, pname = model.projects[user.project]
    domain = {"id": pid, "name": pname}
    shown = body["token"]
    assert shown["methods"] == ["password"]
    assert (shown["issued_at"], shown["expires_at"]) == (
        iam_time(token.issued_at),
        iam_time(token.expires_at),
    ), shown
    assert shown["user"] == {"id": str(user.uid), "name": user.name, "domain": domain}
    assert shown["project"] == {"id": pid, "name": pname, "domain": domain}
    roles = sorted(shown["roles"], key=lambda r: str(r["id"]))
    expected = user.roles() if now else token.roles
    assert roles == [{"id": r, "name": r} for r in expected], (roles, expected)
    if catalog:
        said_catalog(model, shown["catalog"], user.project)
    else:
        assert "catalog" not in shown


def said_catalog(model: Model, catalog: list[dict[str, Any]], project: int) -> None:
    """This server twice, as ``dlf`` at the address and ``volumev2`` at its project's ``/v2``,
    each with one public endpoint in the project name's region."""
    region, pid = model.region(project), model.projects[project][0]
    entries = {e["type"]: e["endpoints"] for e in catalog}
    urls = {"dlf": BASE, "volumev2": f"{BASE}/v2/{pid}"}
    assert set(entries) == set(urls), catalog
    assert len(catalog) == len(urls), catalog
    for kind, url in urls.items():
        (endpoint,) = entries[kind]
        found = {k: endpoint.get(k) for k in ("interface", "region", "region_id", "url")}
        assert found == {"interface": "public", "region": region, "region_id": region, "url": url}


def said_projects(model: Model, body: dict[str, Any], project: int | None) -> None:
    """``GET /v3/projects``: the caller's own project (``None``: none), one page."""
    if project is None:
        assert body["projects"] == [], body
    else:
        (shown,) = body["projects"]
        pid, pname = model.projects[project]
        found = {k: shown.get(k) for k in ("id", "name", "domain_id", "enabled", "is_domain")}
        assert found == {
            "id": pid,
            "name": pname,
            "domain_id": pid,
            "enabled": True,
            "is_domain": False,
        }, shown
    assert body["links"]["next"] is None, body


def said_outcome(answer: Any, outcome: Outcome) -> None:
    """The answer's status and, for a refusal, its code (a ``HEAD`` has no body to read)."""
    assert answer.status_code == outcome.status, (answer.status_code, answer.text, outcome)
    if outcome.code is not None and answer.request.method != "HEAD":
        assert answer.json()["error_code"] == outcome.code, (answer.text, outcome)
