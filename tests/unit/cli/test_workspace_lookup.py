"""Workspaces looked up by name (no server: a client answering the workspace list): an
enterprise workspace's production side by its name, and a name two workspaces answer to
refused naming both."""

from __future__ import annotations

from typing import Any

import pytest

from jobferry.cli.exits import CliUsageError
from jobferry.cli.workspaces import Workspace, find_by_name


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
    assert find_by_name(_Listing(SALES), "sales").development is None  # type: ignore[arg-type]


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
