"""Test helpers for workspaces and users."""

from __future__ import annotations

from support.clients import SignedClient


def default_workspace(api: SignedClient) -> str:
    """The id of the project's default workspace."""
    workspaces = api.call("GET", "/workspaces").json()["workspaces"]
    return str(next(w["id"] for w in workspaces if w["isDefault"]))


def new_user(
    api: SignedClient, name: str, role: str | None = None, workspace: str | None = None
) -> SignedClient:
    """Create a user with credentials (and a role in ``workspace``); a client acting as them."""
    created = api.call("POST", "/users", {"name": name})
    assert created.status_code == 200, created.text
    cred = api.call("POST", f"/users/{name}/credentials").json()
    if role is not None:
        ws = workspace or default_workspace(api)
        assert api.call("PUT", f"/users/{name}/roles/{ws}", {"role": role}).status_code == 204
    return api.as_user(cred["accessKey"], cred["secretKey"])
