"""jobferry's own lists (a kept plan's objects, a task's subtasks, a route's promotions, the
release ledger) refuse a ``limit`` or ``offset`` that is not a whole number within its range as
the DataArts lists do (docs/api.md, "Compatibility"): ``DLF.3051`` naming the parameter and
the range, whatever the value (blank, ``1.5``, ``1_0``, ``-1``, past the range, twenty
digits), and take every value within it."""

from __future__ import annotations

from typing import Any

from support.builders import make_script
from support.clients import SignedClient
from support.exporting import workspace_package
from support.importing import connected_workspace, new_workspace, plan_import, run_import, upload

BAD_LIMITS = ("", "1.5", "1_0", "-1", "0", "١", "99999999999999999999")
BAD_OFFSETS = ("", "1.5", "1_0", "-1", "1000000001", "٣", "99999999999999999999")


def _lists(api: SignedClient) -> list[tuple[str, str, str | None, int]]:
    """(path, version, workspace, most limit) of each list, seeded with one object."""
    source = new_workspace(api, "src")
    assert api.call("POST", "/scripts", make_script("a"), workspace=source).status_code == 204
    target = connected_workspace(api, "dst")
    path = upload(api, workspace_package(api, source), target)
    plan = plan_import(api, {"path": path}, target)
    task = run_import(api, {"path": path}, target)
    route = {"source": {"workspace": "src"}, "target": {"workspace": "dst"}}
    assert api.call("PUT", "/routes/along", route).status_code == 200
    mode = api.call("PUT", f"/{api.project_id}/workspace/{target}", {"name": "dst", "mode": "1"})
    assert mode.status_code == 200, mode.text
    return [
        (f"/jobs/import/plans/{plan['planId']}/objects", "v1", target, 1000),
        (f"/system-tasks/{task['id']}/subtasks", "v1", target, 1000),
        ("/routes/along/promotions", "v1", None, 100),
        ("/factory/release-ledger", "v2", target, 100),
    ]


def _ask(api: SignedClient, where: tuple[str, str, str | None, int], **query: Any) -> Any:
    path, version, workspace, _ = where
    return api.call("GET", path, query=query, version=version, workspace=workspace)


def test_extension_lists_refuse_a_limit_or_offset_out_of_range_naming_it(
    api: SignedClient,
) -> None:
    for where in _lists(api):
        most = where[3]
        for parameter, values in (("limit", (*BAD_LIMITS, str(most + 1))), ("offset", BAD_OFFSETS)):
            for value in values:
                answer = _ask(api, where, **{parameter: value})
                assert answer.status_code == 400, (where, parameter, value, answer.text)
                body = answer.json()
                assert body["error_code"] == "DLF.3051", body
                assert body["parameter"] == parameter, (where, value, body)
                low = 1 if parameter == "limit" else 0
                high = most if parameter == "limit" else 1_000_000_000
                assert f"from {low} to {high}" in body["error_msg"], (where, value, body)
        for limit, offset in ((1, 0), (most, 1_000_000_000), ("07", "00")):
            answer = _ask(api, where, limit=limit, offset=offset)
            assert answer.status_code == 200, (where, limit, offset, answer.text)
