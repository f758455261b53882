"""Route history as the CLI reads it (``cli/route_history.py``): which promotions of a plan
count as imported, as the server counts a standing import."""

from __future__ import annotations

from jobferry.cli.route_history import imported_as


def test_an_import_that_ended_with_warnings_counts_as_imported_and_a_failed_one_not() -> None:
    def promotion(n: int, status: str, rolled_back: object = None) -> dict[str, object]:
        return {"id": n, "planId": "p1", "taskStatus": status, "rolledBack": rolled_back}

    answer = {
        "promotions": [
            promotion(1, "SUCCESSFUL"),
            promotion(2, "WARNING"),
            promotion(3, "FAILED"),
            promotion(4, "RUNNING"),
            promotion(5, "SUCCESSFUL", {"at": 1, "by": "admin"}),
            {**promotion(6, "SUCCESSFUL"), "planId": "p2"},
        ]
    }
    assert [found["id"] for found in imported_as(answer, "p1")] == [1, 2]
    assert imported_as({}, "p1") == []
