"""How ``jobferry routes create`` and ``routes edit`` merge the options given into the route's
document (``cli/routes.py``): approvers named for a route that requires no approvals are
refused, not dropped without a word."""

from __future__ import annotations

import pytest

from jobferry.cli.exits import CliUsageError
from jobferry.cli.routes import _merged

ROUTE = {"source": {"workspace": "dev"}, "target": {"workspace": "prod"}, "version": 3}


def test_approvers_for_a_route_requiring_none_are_refused_saying_what_to_add() -> None:
    with pytest.raises(CliUsageError, match="add --require-approvals N"):
        _merged(dict(ROUTE), {"approvals": {"approvers": ["ann", "bob"]}})


def test_approvers_with_a_count_are_kept_and_a_count_of_0_drops_the_rule() -> None:
    both = _merged(dict(ROUTE), {"approvals": {"required": 1, "approvers": ["ann"]}})
    assert both["approvals"] == {"required": 1, "approvers": ["ann"]}
    assert "version" not in both  # the server's field, never sent back
    ruled = {**ROUTE, "approvals": {"required": 2, "approvers": ["ann", "bob"]}}
    assert _merged(dict(ruled), {"approvals": {"approvers": ["cy", "di"]}})["approvals"] == {
        "required": 2,
        "approvers": ["cy", "di"],
    }
    assert _merged(dict(ruled), {"approvals": {"required": 0}})["approvals"] is None
