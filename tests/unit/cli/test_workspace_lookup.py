"""Workspaces looked up by name (no server: a client answering the workspace list): an
enterprise workspace's production side by its name, and a name two workspaces answer to
refused naming both."""

from __future__ import annotations

from typing import Any

import pytest

from jobferry.cli.exits import CliUsageError
from jobferry.cli.workspaces import Workspace, find_by_name, members


class _Listing:
    """A client whose workspace list is ``workspaces``."""

    endpoint = "https://jobferry.example"

    def __init__(self, *workspaces: dict[str, Any]) -> None:
        self.workspaces = list(workspaces)

    def call(self, method: str, path: str, scoped: bool = True) -> dict[str, Any]:
        assert (method, path, scoped) == ("GET", "/workspaces", False)
        return {"workspaces": self.workspaces}


SALES = {"id": "a" * 32, "name": "sales", "productionWorkspaceId": "b" * 32}


def test_a_production_side_is_found_by_its_name_and_knows_its_workspace() -> None:
    found = find_by_name(_Listing(SALES), "sales (production)")  # type: ignore[arg-type]
    assert found == Workspace("b" * 32, "sales (production)", development="a" * 32)
    sales = find_by_name(_Listing(SALES), "sales")  # type: ignore[arg-type]
    assert sales.development is None
    # and the enterprise workspace knows its production side, as a plan's header names it
    assert sales.production == "b" * 32
    assert sales.production_label == f"sales (production) ({'b' * 32})"
    assert found.production_label is None


def test_a_name_two_workspaces_answer_to_is_refused_naming_both() -> None:
    twin = {"id": "c" * 32, "name": "sales (production)"}
    with pytest.raises(CliUsageError) as refused:
        find_by_name(_Listing(SALES, twin), "sales (production)")  # type: ignore[arg-type]
    message = str(refused.value)
    assert "Workspace name 'sales (production)' is ambiguous" in message
    assert "b" * 32 in message
    assert "c" * 32 in message
    assert "pass the id of the one you mean to --workspace" in message


def test_an_unknown_name_lists_the_production_sides_too() -> None:
    with pytest.raises(CliUsageError) as refused:
        find_by_name(_Listing(SALES), "sales (prod)")  # type: ignore[arg-type]
    assert "(yours: sales, sales (production);" in str(refused.value)


class _Members:
    """A client answering ``list_workspaceusers`` a page at a time (offset in rows, as
    jobferry counts it) over ``count`` members."""

    def __init__(self, count: int) -> None:
        self.every = [{"user_id": str(i), "user_name": f"u{i:03}"} for i in range(count)]
        self.asked: list[dict[str, Any]] = []

    def call(self, method: str, path: str, **given: Any) -> dict[str, Any]:
        assert (method, path, given["api"]) == ("GET", "/ws1/users", "v2")
        query = given["query"]
        self.asked.append(query)
        start, rows = int(query.get("offset", 0)), int(query["limit"])
        return {"count": len(self.every), "data": self.every[start : start + rows]}


def test_a_workspace_s_members_are_read_past_the_first_page() -> None:
    client = _Members(230)
    found = members(client, "ws1")  # type: ignore[arg-type]
    assert [m["user_name"] for m in found] == [f"u{i:03}" for i in range(230)]
    assert [q["offset"] for q in client.asked] == [0, 100, 200]
