"""A job answered in the types the SDKs' models read (``api/presenters/jobtypes.py``): the Go
SDK decodes strictly, so a whole number sent as ``"3"``, a property value sent as ``5`` or a
flag sent as ``"false"`` is answered as ``3``, ``"5"``, ``false``; the stored document is not
touched."""

from __future__ import annotations

import copy
from typing import Any

from jobferry.api.presenters.jobtypes import typed_job, whole_number


def _job() -> dict[str, Any]:
    return {
        "name": "daily",
        "description": 5,
        "version": 7,
        "cleanOverdueDays": "30",
        "singleNodeJobFlag": "true",
        "basicConfig": {"owner": "alice", "priority": "1", "instanceTimeout": 0.0, "tags": []},
        "nodes": [
            {
                "name": "a",
                "location": {"x": 10},
                "pollingInterval": "10",
                "retryTimes": 3,
                "execTimeOutRetry": "false",
                "properties": [{"name": "p", "value": 5}, {"name": "q", "value": True}],
                "cronTrigger": {"concurrent": "1", "dependPrePeriod": "false", "period": "1"},
            },
            "junk",
        ],
        "params": [{"name": "bizdate", "value": 20260101, "type": "variable"}],
        "schedule": {
            "type": "CRON",
            "cron": {"expression": "0 0 2 * * ?", "dependPrePeriod": "true"},
        },
    }


def test_each_typed_field_is_answered_in_its_models_type() -> None:
    stored = _job()
    kept = copy.deepcopy(stored)
    answered = typed_job(stored)
    assert stored == kept  # the stored document is left as it was sent
    assert (answered["description"], answered["version"]) == ("5", "7")
    assert (answered["cleanOverdueDays"], answered["singleNodeJobFlag"]) == (30, True)
    assert answered["basicConfig"] == {
        "owner": "alice",
        "priority": 1,
        "instanceTimeout": 0,
        "tags": [],
    }
    node = answered["nodes"][0]
    assert (node["pollingInterval"], node["retryTimes"]) == (10, 3)
    assert node["execTimeOutRetry"] == "false"  # a string in the model: as it is
    assert node["location"] == {"x": "10", "y": "0"}
    assert [p["value"] for p in node["properties"]] == ["5", "true"]
    assert node["cronTrigger"] == {"concurrent": 1, "dependPrePeriod": False, "period": "1"}
    assert answered["nodes"][1] == "junk"
    assert answered["params"][0]["value"] == "20260101"
    assert answered["schedule"]["cron"]["dependPrePeriod"] is True
    assert list(answered) == list(stored)  # key order kept


def test_a_value_that_reads_as_nothing_else_is_left_alone() -> None:
    assert whole_number("1") == 1
    assert whole_number("one") == "one"
    assert whole_number(True) is True
    assert typed_job({"name": "x"}) == {"name": "x"}
