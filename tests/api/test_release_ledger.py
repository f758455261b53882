"""The release rollback, restore and ledger calls on the wire (jobferry extensions, SQLite and
PostgreSQL): the ledger read at a moment as JSON and CSV, a released package marked rolled
back in DataArts' own answer, and the refusals each names in the envelope."""

from __future__ import annotations

from collections import Counter

import pytest

from jobferry.services.container import Services
from jobferry.settings import OffsetMode
from support.clients import SignedClient, wait_task
from support.releases import Team, enterprise_team, register_connections, release, submit_job


def released_twice(services: Services, prefix: str) -> tuple[Team, int, int]:
    """An enterprise team that released job ``{prefix}_a`` as ``{prefix}_one``, then
    ``{prefix}_b`` as ``{prefix}_two``: the team and the two packages."""
    team = enterprise_team(services)
    register_connections(services, team)
    submit_job(services, team.developer, f"{prefix}_a")
    first = release(services, team, f"{prefix}_one")
    submit_job(services, team.developer, f"{prefix}_b")
    return team, first, release(services, team, f"{prefix}_two")


def test_rollback_restore_and_the_ledger_on_the_wire(api: SignedClient, services: Services) -> None:
    team, first, second = released_twice(services, "wire")
    ws = team.workspace_id

    ledger = api.call("GET", "/factory/release-ledger", workspace=ws, version="v2")
    assert ledger.status_code == 200, ledger.text
    body = ledger.json()
    assert [e["package_name"] for e in body["entries"]] == ["wire_two", "wire_one"]
    assert body["entries"][0]["approvals"] == []
    assert body["entries"][0]["approvers"][0]["user_name"] == team.deployer.actor.name
    at = body["entries"][1]["at"]
    then = api.call(
        "GET", "/factory/release-ledger", workspace=ws, version="v2", query={"at": str(at)}
    ).json()
    assert {o["name"] for o in then["production"] if o["kind"] == "job"} == {"wire_a"}
    exported = api.call(
        "GET", "/factory/release-ledger", workspace=ws, version="v2", query={"format": "csv"}
    )
    assert exported.headers["content-type"].startswith("text/csv")
    assert "attachment" in exported.headers["content-disposition"]
    bad = api.call(
        "GET", "/factory/release-ledger", workspace=ws, version="v2", query={"at": "soon"}
    )
    assert bad.status_code == 400, bad.text
    assert "is not a moment" in bad.json()["error_msg"]

    refused = api.call(
        "POST", f"/factory/release-packages/{first}/rollback", workspace=ws, version="v2"
    )
    assert refused.status_code == 400, refused.text
    assert refused.json()["error_code"] == "DLF.9016"
    assert "wire_two" in refused.json()["error_msg"]

    done = api.call("POST", "/factory/release-packages/last/rollback", workspace=ws, version="v2")
    assert done.status_code == 200, done.text
    assert done.json()["package_id"] == str(second)
    undone = Counter(o["action"] for o in done.json()["objects"])
    assert done.json()["actions"] == dict(undone) != {}
    shown = api.call("GET", f"/factory/release-packages/{second}", workspace=ws, version="v2")
    package = shown.json()["release_package"]
    assert package["deploy_status"] == 2
    assert package["rolled_back"]["by"] == "admin"

    planned = api.call(
        "POST",
        f"/factory/release-packages/{first}/restore",
        {"dry_run": True},
        workspace=ws,
        version="v2",
    )
    assert planned.status_code == 200, planned.text
    assert planned.json()["plan"] is None  # production holds release one's state again
    wrong = api.call(
        "POST",
        f"/factory/release-packages/{first}/restore",
        {"dry_run": "yes"},
        workspace=ws,
        version="v2",
    )
    assert wrong.status_code == 400
    # the same restore, the release named by its ledger entry; an entry that is not a release,
    # or no entry id at all, is refused in the envelope
    entries = api.call("GET", "/factory/release-ledger", workspace=ws, version="v2").json()
    by_entry = {e["action"]: e["entry_id"] for e in entries["entries"]}
    entry = api.call(
        "POST",
        f"/factory/release-ledger/{by_entry['deploy']}/restore",
        {"dry_run": True},
        workspace=ws,
        version="v2",
    )
    assert entry.status_code == 200, entry.text
    assert entry.json()["entry_id"] == by_entry["deploy"]
    assert entry.json()["package_id"] is not None
    rolled = api.call(
        "POST",
        f"/factory/release-ledger/{by_entry['rollback']}/restore",
        workspace=ws,
        version="v2",
    )
    assert rolled.status_code == 400, rolled.text
    assert rolled.json()["error_code"] == "DLF.9016"
    assert "is not a release" in rolled.json()["error_msg"]
    named = api.call("POST", "/factory/release-ledger/first/restore", workspace=ws, version="v2")
    assert named.status_code == 400, named.text
    assert "entry_id" in named.json()["error_msg"]


def test_a_package_id_in_the_path_that_is_no_number_is_refused_naming_the_call(
    api: SignedClient, services: Services
) -> None:
    ws = enterprise_team(services).workspace_id
    for method, path, call in (
        ("POST", "/factory/release-packages/soon/rollback", "rollback"),
        ("POST", "/factory/release-packages/soon/restore", "restore"),
        ("GET", "/factory/release-packages/soon", "show_factory_package_detail"),
    ):
        refused = api.call(method, path, workspace=ws, version="v2")
        assert refused.status_code == 400, refused.text
        assert refused.json()["error_msg"].startswith(f"{call}: package id 'soon' is not a")


def test_a_release_rollback_asked_to_respond_async_is_a_task_of_the_production_side(
    api: SignedClient, services: Services
) -> None:
    team, first, second = released_twice(services, "async")
    ws = team.workspace_id
    prefer = {"Prefer": "respond-async"}

    refused = api.call(
        "POST",
        f"/factory/release-packages/{first}/rollback",
        workspace=ws,
        version="v2",
        extra_headers=prefer,
    )
    assert refused.status_code == 400, refused.text  # not the last: refused at once
    assert "async_two" in refused.json()["error_msg"]
    started = api.call(
        "POST",
        "/factory/release-packages/last/rollback",
        workspace=ws,
        version="v2",
        extra_headers=prefer,
    )
    assert started.status_code == 202, started.text
    assert started.headers["Preference-Applied"] == "respond-async"
    production = started.json()["workspace_id"]
    ended = wait_task(api, started.json()["task_id"], production)
    assert (ended["kind"], ended["status"]) == ("rollback", "SUCCESSFUL"), ended["message"]
    assert (ended["result"]["packageId"], ended["result"]["packageName"]) == (
        str(second),
        "async_two",
    )
    assert wait_task(api, started.json()["task_id"], ws)["id"] == ended["id"]  # from either side
    shown = api.call("GET", f"/factory/release-packages/{second}", workspace=ws, version="v2")
    assert shown.json()["release_package"]["rolled_back"]["by"] == "admin"
    ledger = api.call("GET", "/factory/release-ledger", workspace=ws, version="v2").json()
    assert ledger["entries"][0]["action"] == "rollback"
    assert ledger["entries"][0]["entry_id"] == ended["result"]["entryId"]


def test_the_ledger_answers_a_page_of_entries_with_their_total(
    api: SignedClient, services: Services
) -> None:
    team, _, _ = released_twice(services, "paged")
    ws = team.workspace_id

    def read(**query: str) -> dict[str, object]:
        answer = api.call("GET", "/factory/release-ledger", workspace=ws, version="v2", query=query)
        assert answer.status_code == 200, answer.text
        found: dict[str, object] = answer.json()
        return found

    whole, newest, older = read(), read(limit="1"), read(limit="1", offset="1")
    assert [e["package_name"] for e in newest["entries"]] == ["paged_two"]  # type: ignore[attr-defined,index]
    assert [e["package_name"] for e in older["entries"]] == ["paged_one"]  # type: ignore[attr-defined,index]
    assert whole["total"] == newest["total"] == older["total"] == 2
    assert newest["production"] == older["production"] == whole["production"]
    refused = api.call(
        "GET", "/factory/release-ledger", workspace=ws, version="v2", query={"limit": "101"}
    )
    assert refused.status_code == 400, refused.text
    assert "limit" in refused.json()["error_msg"]


@pytest.mark.parametrize("settings", list(OffsetMode), indirect=True)
def test_the_ledger_answers_offset_as_the_client_counts_it_in_either_offset_mode(
    api: SignedClient, services: Services
) -> None:
    """``offset`` in the answer is the one asked, in the server's offset mode (a page number
    under ``JOBFERRY_OFFSET_MODE=page``), as every list reads it, not the rows it skipped."""
    team, _, _ = released_twice(services, "counted")
    by_page = services.settings.offset_mode is OffsetMode.PAGE
    query = {"limit": "2", "offset": "1"}
    answer = api.call(
        "GET", "/factory/release-ledger", workspace=team.workspace_id, version="v2", query=query
    )
    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert found["offset"] == 1
    names = [e["package_name"] for e in found["entries"]]
    assert names == ([] if by_page else ["counted_one"])  # page 1 of 2 rows, or from row 1
    assert found["total"] == 2
