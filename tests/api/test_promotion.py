"""Promotion between environments: profiles, time-zone moves, signed packages, required secrets.

Source = the default workspace, target = ``prod``. Every refusal also checks nothing changed.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from jobferry.domain.schedule import next_firings
from jobferry.package.keys import generate_key_pair
from jobferry.package.signature import sign_package
from jobferry.services.container import Services
from jobferry.storage.profiles import PROFILES, ProfileRecord
from support.accounts import new_user
from support.builders import make_job
from support.clients import SignedClient, assert_error
from support.exporting import seed
from support.importing import new_workspace, run_import, upload

CONN = {"type": "DWS", "config": {"host": "db"}, "secrets": {"password": "pw"}}
PROFILE = {
    "description": "production",
    "renames": {"connection": {"dws_conn": "dws_prod", "ssh_conn": "ssh_prod"}},
    "params": {"bizdate": "prod-date"},
    "jobParams": {"daily_sales": {"batch": "500"}},
    "executeUser": "etl_prod",
    "owner": "ops",
    "directory": {"from": "/sales", "to": "/prod/sales"},
}


def exported(api: SignedClient, names: tuple[str, ...] = ("daily_sales",)) -> bytes:
    seed(api, names)
    response = api.call("POST", "/jobs/batch-export", {"jobList": list(names)})
    assert response.status_code == 200, response.text
    return bytes(response.content)


def prod(api: SignedClient, connections: tuple[str, ...] = ("dws_prod", "ssh_prod")) -> str:
    ws = new_workspace(api, "prod")
    for name in connections:
        response = api.call("PUT", f"/environment/connection/{name}", CONN, workspace=ws)
        assert response.status_code == 200, response.text
    return ws


def into_prod(api: SignedClient, data: bytes, **options: Any) -> tuple[str, dict[str, Any]]:
    """A new workspace 'prod' with the connections the test jobs use, and the body that imports
    the package ``data`` there with ``options``."""
    ws = prod(api, ("dws_conn", "ssh_conn"))
    return ws, {"path": upload(api, data, ws), **options}


def jobs_in(api: SignedClient, ws: str) -> list[str]:
    listed = api.call("GET", "/jobs", query={"limit": 100}, workspace=ws).json()
    return sorted(j["name"] for j in listed["jobs"])


def plan(api: SignedClient, body: dict[str, Any], ws: str) -> dict[str, Any]:
    response = api.call("POST", "/jobs/import/plan", body, workspace=ws)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def put_profile(api: SignedClient, ws: str, name: str, doc: Any) -> Any:
    return api.call("PUT", f"/profiles/{name}", doc, workspace=ws)


# -- profiles: storage and versions -------------------------------------------------------------


def test_profiles_are_versioned_and_accept_json_and_yaml(api: SignedClient) -> None:
    ws = prod(api)
    first = put_profile(api, ws, "prod", PROFILE)
    assert first.status_code == 200, first.text
    assert first.json()["version"] == 1
    yaml_doc = b"description: second\nrenames:\n  dli_queue: {q_test: q_prod}\nowner: ops\n"
    second = put_profile(api, ws, "prod", yaml_doc)
    assert second.status_code == 200, second.text
    assert second.json()["version"] == 2
    assert second.json()["document"]["renames"] == {"dli_queue": {"q_test": "q_prod"}}
    latest = api.call("GET", "/profiles/prod", workspace=ws).json()
    assert latest["version"] == 2
    assert latest["description"] == "second"
    old = api.call("GET", "/profiles/prod", query={"version": 1}, workspace=ws).json()
    assert old["document"] == PROFILE
    listed = api.call("GET", "/profiles", workspace=ws).json()["profiles"]
    assert [(p["name"], p["version"]) for p in listed] == [("prod", 2)]
    versions = api.call("GET", "/profiles/prod/versions", workspace=ws).json()["versions"]
    assert [v["version"] for v in versions] == [2, 1]
    assert api.call("DELETE", "/profiles/prod", workspace=ws).status_code == 204
    gone = api.call("GET", "/profiles/prod", workspace=ws)
    assert gone.status_code == 400
    assert gone.json()["error_code"] == "DLF.9006"


def test_an_invalid_profile_is_refused_with_every_problem_and_not_stored(
    api: SignedClient,
) -> None:
    ws = prod(api)
    bad = {
        "rename": {},
        "renames": {"connexion": {"a": "b"}, "connection": {"a": ""}},
        "timeZone": {"zone": "Europe/Berlin", "mode": "keepSomething"},
        "directory": {"from": "sales", "to": "/x"},
    }
    response = put_profile(api, ws, "prod", bad)
    assert response.status_code == 400
    body = response.json()
    assert body["error_code"] == "DLF.3051"
    problems = " | ".join(body["problems"])
    for words in ("rename", "connexion", "renames.connection.a", "keepSomething", "directory"):
        assert words in problems, problems
    broken_yaml = put_profile(api, ws, "prod", b"renames: [unclosed\n")
    assert broken_yaml.status_code == 400
    assert "YAML" in broken_yaml.json()["error_msg"]
    assert api.call("GET", "/profiles", workspace=ws).json()["profiles"] == []


def test_a_target_owned_path_naming_no_field_is_refused_and_not_stored(
    api: SignedClient,
) -> None:
    ws = prod(api)
    owned = ["basicConfig.owner", "nodes[*].properties[retryTimes]", "schedule.cron.expresion"]
    response = put_profile(api, ws, "prod", {"targetOwned": owned})
    assert response.status_code == 400
    body = response.json()
    assert body["error_code"] == "DLF.3051"
    assert body["problems"] == [
        "targetOwned[1]: 'nodes[*].properties[retryTimes]' names no field: retryTimes is a field "
        "of the node, not one of its properties; write nodes[*].retryTimes",
        "targetOwned[2]: 'schedule.cron.expresion' names no field: schedule.cron has no field "
        "'expresion' (did you mean expression?); its fields are calendarScheduling, concurrent, "
        "dependJobs, dependPrePeriod, endTime, expression, expressionTimeZone, intervalType, "
        "isSkipSelfDepJob, monitorObsPath, scanDuration, scanInterval, startTime",
    ]
    assert "Profile 'prod' is invalid" in body["error_msg"]
    assert api.call("GET", "/profiles", workspace=ws).json()["profiles"] == []
    fixed = put_profile(api, ws, "prod", {"targetOwned": ["nodes[*].retryTimes"]})
    assert fixed.status_code == 200, fixed.text


def test_only_workspace_admins_change_profiles(api: SignedClient) -> None:
    ws = prod(api)
    dev = new_user(api, "dev_user", role="developer", workspace=ws)
    response = dev.call("PUT", "/profiles/prod", PROFILE, workspace=ws)
    assert response.status_code == 403
    assert api.call("GET", "/profiles", workspace=ws).json()["profiles"] == []


# -- profiles applied on import, and the completeness check -------------------------------------


def test_import_with_a_stored_profile_maps_names_params_user_owner_and_folders(
    api: SignedClient,
) -> None:
    data = exported(api)
    ws = prod(api)
    assert put_profile(api, ws, "prod", PROFILE).status_code == 200
    task = run_import(api, {"path": upload(api, data, ws), "profile": "prod"}, workspace=ws)
    assert task["status"] == "SUCCESSFUL", task
    job = api.call("GET", "/jobs/daily_sales", workspace=ws).json()
    props = {p["name"]: p["value"] for p in job["nodes"][0]["properties"]}
    assert props["connectionName"] == "dws_prod"
    assert {p["name"]: p["value"] for p in job["nodes"][1]["properties"]}["connectionName"] == (
        "ssh_prod"
    )
    assert job["params"] == [
        {"name": "bizdate", "value": "prod-date", "type": "variable"},
        {"name": "batch", "value": "500", "type": "variable"},
    ]
    assert job["basicConfig"]["executeUser"] == "etl_prod"
    assert job["basicConfig"]["owner"] == "ops"
    assert job["directory"] == "/prod/sales"
    script = api.call("GET", "/scripts/daily_sales_sql", workspace=ws).json()
    assert script["connectionName"] == "dws_prod"
    assert script["directory"] == "/prod/sales"


def test_the_dataarts_resources_list_wins_over_the_profile(api: SignedClient) -> None:
    data = exported(api)
    ws = prod(api, ("dws_other", "ssh_prod"))
    body = {
        "path": upload(api, data, ws),
        "profile": PROFILE,
        "resources": [{"name": "dws_conn", "type": "DWS_CONNECTION", "replace": "dws_other"}],
    }
    task = run_import(api, body, workspace=ws)
    assert task["status"] == "SUCCESSFUL", task
    job = api.call("GET", "/jobs/daily_sales", workspace=ws).json()
    assert job["nodes"][0]["properties"][1]["value"] == "dws_other"


def test_completeness_check_lists_what_the_profile_misses_before_any_import(
    api: SignedClient,
) -> None:
    data = exported(api, ("a_job", "b_job"))
    ws = prod(api, ("ssh_prod",))
    path = upload(api, data, ws)
    partial = {"renames": {"connection": {"ssh_conn": "ssh_prod"}}}
    response = api.call("POST", "/profiles/check", {"path": path, "profile": partial}, workspace=ws)
    assert response.status_code == 200, response.text
    report = response.json()
    assert set(report) == {"complete", "missing", "secrets", "profile", "packageSha256"}
    assert report["packageSha256"] == hashlib.sha256(data).hexdigest()
    assert report["complete"] is False
    assert report["missing"] == [
        {
            "kind": "connection",
            "name": "dws_conn",
            "jobs": ["a_job", "b_job"],
            "scripts": ["a_job_sh", "a_job_sql", "b_job_sh", "b_job_sql"],  # they run on it too
            "fix": report["missing"][0]["fix"],
        }
    ]
    assert "resources" in report["missing"][0]["fix"]
    assert jobs_in(api, ws) == []
    # The same gaps are problems of the import check itself.
    planned = plan(api, {"path": path, "profile": partial}, ws)
    missing = [p for p in planned["problems"] if p["reason"] == "missing_reference"]
    assert [(p["kind"], p["name"]) for p in missing] == [("connection", "dws_conn")]
    assert {("job", "a_job"), ("job", "b_job")} <= {
        (u["kind"], u["name"]) for u in missing[0]["usedBy"]
    }
    full = {"renames": {"connection": {"ssh_conn": "ssh_prod", "dws_conn": "ssh_prod"}}}
    report = api.call("POST", "/profiles/check", {"path": path, "profile": full}, workspace=ws)
    assert report.json()["complete"] is True, report.json()


def test_a_profile_renames_the_workspace_of_cross_workspace_dependencies(
    api: SignedClient,
) -> None:
    ws_test2 = new_workspace(api, "test_up")
    up = make_job("upstream_job")
    assert api.call("POST", "/jobs", up, workspace=ws_test2).status_code == 204
    seed(api, ("x_job",))
    job = api.call("GET", "/jobs/x_job").json()
    job["schedule"]["cron"]["dependJobs"] = {
        "otherWorkSpaceJobs": [{"workSpace": "test_up", "jobName": "upstream_job"}]
    }
    assert api.call("PUT", "/jobs/x_job", job).status_code == 204
    data = api.call("POST", "/jobs/batch-export", {"jobList": ["x_job"]}).content
    ws = prod(api)
    ws_prod_up = new_workspace(api, "prod_up")
    assert api.call("POST", "/jobs", up, workspace=ws_prod_up).status_code == 204
    profile = dict(PROFILE, renames={**PROFILE["renames"], "workspace": {"test_up": "prod_up"}})
    task = run_import(api, {"path": upload(api, data, ws), "profile": profile}, workspace=ws)
    assert task["status"] == "SUCCESSFUL", task
    stored = api.call("GET", "/jobs/x_job", workspace=ws).json()
    other = stored["schedule"]["cron"]["dependJobs"]["otherWorkSpaceJobs"][0]
    assert other == {"workSpace": "prod_up", "jobName": "upstream_job"}


def test_import_naming_a_missing_profile_is_refused(api: SignedClient) -> None:
    data = exported(api)
    ws = prod(api)
    response = api.call(
        "POST",
        "/jobs/import/plan",
        {"path": upload(api, data, ws), "profile": "nope"},
        workspace=ws,
    )
    assert response.status_code == 400
    assert response.json()["error_code"] == "DLF.9006"


# -- time zones --------------------------------------------------------------------------------


def test_a_profile_moving_to_an_unknown_zone_is_refused_when_saved(api: SignedClient) -> None:
    ws = prod(api)
    move = {"zone": "Mars/Base", "mode": "keepInstant"}
    refused = put_profile(api, ws, "uk", {"timeZone": move})
    assert_error(refused, "DLF.3051", "Profile 'uk'", "timeZone.zone", "'Mars/Base' is not known")
    assert api.call("GET", "/profiles", workspace=ws).json()["profiles"] == []


def test_a_plan_with_a_stored_profile_whose_zone_is_unknown_names_the_profile(
    api: SignedClient, services: Services
) -> None:
    data = exported(api)
    ws = prod(api)
    move = {"zone": "Mars/Base", "mode": "keepInstant"}
    with services.db.transaction() as tx:  # saved before zones were checked when saved
        document = orjson.dumps({"timeZone": move}).decode()
        PROFILES.insert_version(tx, ProfileRecord(ws, "uk", 1, document, 0, "admin"))
    planned = api.call(
        "POST", "/jobs/import/plan", {"path": upload(api, data, ws), "profile": "uk"}, workspace=ws
    )
    assert_error(planned, "DLF.3051", "Stored profile 'uk'", "'Mars/Base' is not known")
    assert "Save a corrected version of profile 'uk'" in planned.json()["error_msg"]


def _tz_job(name: str, cron: dict[str, Any]) -> dict[str, Any]:
    return make_job(name, schedule={"type": "CRON", "cron": cron})


def test_keep_instant_moves_schedules_so_the_next_30_firings_are_the_same_instants(
    api: SignedClient,
) -> None:
    # A summer ahead of today, whenever the suite runs: the plan lists firings from now on.
    year = datetime.now(UTC).year + 1
    cron = {
        "startTime": f"{year}-04-01T00:00:00+08",
        "endTime": f"{year}-09-30T00:00:00+08",
        "expression": "0 30 2 ? * MON-FRI",
        "expressionTimeZone": "Asia/Shanghai",
    }
    seed(api, ("tz_job",))
    assert api.call("PUT", "/jobs/tz_job", _tz_job("tz_job", cron)).status_code == 204
    data = api.call("POST", "/jobs/batch-export", {"jobList": ["tz_job"]}).content
    ws, body = into_prod(api, data, timeZone={"zone": "Europe/Berlin", "mode": "keepInstant"})
    planned = plan(api, body, ws)
    line = next(o for o in planned["objects"] if o["name"] == "tz_job")
    (shift,) = line["schedule"]
    assert shift["before"]["expression"] == "0 30 2 ? * MON-FRI"
    assert shift["after"]["timeZone"] == "Europe/Berlin"
    assert shift["after"]["expression"] != shift["before"]["expression"]
    assert shift["before"]["nextFirings"]
    assert shift["after"]["nextFirings"]
    task = run_import(api, body, workspace=ws)
    assert task["status"] == "SUCCESSFUL", task
    moved = api.call("GET", "/jobs/tz_job", workspace=ws).json()["schedule"]["cron"]
    start = datetime.fromisoformat(f"{year}-04-01T00:00:00+08:00")
    before = next_firings(cron["expression"], cron["expressionTimeZone"], start, 30)
    after = next_firings(moved["expression"], moved["expressionTimeZone"], start, 30)
    assert [t.timestamp() for t in before] == [t.timestamp() for t in after]
    assert datetime.fromisoformat(moved["startTime"]) == start


def test_keep_wall_clock_only_changes_the_zone(api: SignedClient) -> None:
    data = exported(api)
    ws, body = into_prod(
        api, data, profile={"timeZone": {"zone": "America/New_York", "mode": "keepWallClock"}}
    )
    task = run_import(api, body, workspace=ws)
    assert task["status"] == "SUCCESSFUL", task
    cron = api.call("GET", "/jobs/daily_sales", workspace=ws).json()["schedule"]["cron"]
    assert cron["expression"] == "0 30 2 * * ?"
    assert cron["expressionTimeZone"] == "America/New_York"
    firings = next_firings(cron["expression"], cron["expressionTimeZone"], datetime(2026, 4, 1), 30)
    assert {(t.hour, t.minute) for t in firings} == {(2, 30)}


def test_a_shift_that_cannot_be_expressed_is_a_check_problem_and_nothing_is_imported(
    api: SignedClient,
) -> None:
    seed(api)
    job = api.call("GET", "/jobs/daily_sales").json()
    job["schedule"]["cron"]["expression"] = "0 0,45 2 * * ?"  # +08:00 → +05:30 cannot carry
    assert api.call("PUT", "/jobs/daily_sales", job).status_code == 204
    data = api.call("POST", "/jobs/batch-export", {"jobList": ["daily_sales"]}).content
    ws, body = into_prod(api, data, timeZone={"zone": "Asia/Kolkata", "mode": "keepInstant"})
    planned = plan(api, body, ws)
    (problem,) = [p for p in planned["problems"] if p["reason"] == "time_zone"]
    assert problem["name"] == "daily_sales"
    assert "minute field" in problem["detail"]
    task = run_import(api, body, workspace=ws)
    assert task["status"] == "FAILED"
    assert jobs_in(api, ws) == []
    unknown = api.call(
        "POST",
        "/jobs/import/plan",
        dict(body, timeZone={"zone": "Mars/Olympus", "mode": "keepInstant"}),
        workspace=ws,
    )
    assert unknown.status_code == 400
    assert "Mars/Olympus" in unknown.json()["error_msg"]


def test_an_open_ended_schedule_moves_into_a_daylight_saving_zone_with_a_note(
    api: SignedClient,
) -> None:
    data = exported(api)  # open-ended GMT+08:00 schedule, as most are
    ws, body = into_prod(api, data, timeZone={"zone": "Europe/Berlin", "mode": "keepInstant"})
    planned = plan(api, body, ws)
    assert [p for p in planned["problems"] if p["reason"] == "time_zone"] == []
    (job,) = [o for o in planned["objects"] if o["name"] == "daily_sales"]
    (moved,) = job["schedule"]
    assert "keeps the same instants until" in moved["note"]
    assert moved["after"]["timeZone"] == "Europe/Berlin"
    task = run_import(api, body, workspace=ws)
    assert task["status"] == "SUCCESSFUL", task
    shown = api.call("GET", "/jobs/daily_sales", workspace=ws).json()
    assert shown["schedule"]["cron"]["expressionTimeZone"] == "Europe/Berlin"


def test_keep_wall_clock_into_berlin_notes_the_skipped_and_repeated_0230(
    api: SignedClient,
) -> None:
    data = exported(api)  # daily at 02:30, open-ended
    move = {"zone": "Europe/Berlin", "mode": "keepWallClock"}
    ws, body = into_prod(api, data, timeZone=move)
    planned = plan(api, body, ws)
    assert [p for p in planned["problems"] if p["reason"] == "time_zone"] == []
    (job,) = [o for o in planned["objects"] if o["name"] == "daily_sales"]
    (moved,) = job["schedule"]
    assert moved["after"]["expression"] == "0 30 2 * * ?"
    note = moved["note"]
    assert note.startswith("fires at 02:30 in 'Europe/Berlin', which does not exist on ")
    assert "-03-" in note.split("does not exist on ")[1][:10]  # the last Sunday of March
    assert "-10-" in note.split("happens twice on ")[1][:10]  # the last Sunday of October
    assert "'GMT+01:00'" in note
    again = [o for o in plan(api, body, ws)["objects"] if o["name"] == "daily_sales"]
    assert again[0]["schedule"][0]["note"] == note  # planned again: the same words


TIME_FORMS = (
    "2025-01-01T00:00:00+08",  # the SDKs' and DataArts' own form
    "2025-01-01T00:00:00+0800",
    "2025-01-01T00:00:00+08:00",
    "2025-01-01T00:00:00Z",
    "2025-01-01T00:00:00",  # read in the schedule's zone
    "2025-01-01 00:00:00.000-03:30",
)


def test_start_and_end_times_travel_as_written_when_no_zone_move_is_asked(
    api: SignedClient,
) -> None:
    names = tuple(f"timed_{i}" for i in range(len(TIME_FORMS)))
    seed(api, names)
    for name, form in zip(names, TIME_FORMS, strict=True):
        cron = {
            "startTime": form,
            "endTime": form.replace("2025", "2099"),
            "expression": "0 30 2 * * ?",
            "expressionTimeZone": "Asia/Shanghai",
        }
        assert api.call("PUT", f"/jobs/{name}", _tz_job(name, cron)).status_code == 204
    data = api.call("POST", "/jobs/batch-export", {"jobList": list(names)}).content
    ws, body = into_prod(api, data)
    task = run_import(api, body, workspace=ws)
    assert task["status"] == "SUCCESSFUL", task
    for name, form in zip(names, TIME_FORMS, strict=True):
        cron = api.call("GET", f"/jobs/{name}", workspace=ws).json()["schedule"]["cron"]
        assert (cron["startTime"], cron["endTime"]) == (form, form.replace("2025", "2099"))


# -- signed packages ---------------------------------------------------------------------------


def _signed_export(api: SignedClient, *, seeded: bool = False) -> tuple[bytes, dict[str, Any]]:
    key = api.call("POST", "/signing-key")
    assert key.status_code == 200, key.text
    if seeded:
        data = api.call("POST", "/jobs/batch-export", {"jobList": ["daily_sales"]}).content
    else:
        data = exported(api)
    assert "manifest.sig" in zipfile.ZipFile(io.BytesIO(data)).namelist()
    return data, key.json()


def _rezip(data: bytes, change: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            dst.writestr(info.filename, change.get(info.filename, src.read(info.filename)))
    return out.getvalue()


def test_a_workspace_requiring_signatures_refuses_unsigned_and_untrusted_packages(
    api: SignedClient,
) -> None:
    ws = prod(api, ("dws_conn", "ssh_conn"))
    settings = api.call("PUT", f"/workspaces/{ws}", {"requireSigned": True})
    assert settings.status_code == 200
    assert settings.json()["requireSigned"] is True
    unsigned = exported(api)
    task = run_import(api, {"path": upload(api, unsigned, ws)}, workspace=ws)
    assert task["status"] == "FAILED"
    assert "unsigned" in task["message"]
    assert jobs_in(api, ws) == []
    foreign = generate_key_pair()  # another server's key
    key = {"keyId": foreign.key_id, "publicKey": foreign.public_key}
    batch = api.call("POST", "/jobs/batch-export", {"jobList": ["daily_sales"]}).content
    data = sign_package(batch, foreign.private_pem)
    path = upload(api, data, ws)
    planned = plan(api, {"path": path}, ws)
    assert planned["signature"]["state"] == "untrusted"
    assert planned["signature"]["keyId"] == key["keyId"]
    # PER_OBJECT mode does not get around it: the signature concerns the whole package.
    task = run_import(api, {"path": path, "mode": "PER_OBJECT"}, workspace=ws)
    assert task["status"] == "FAILED"
    assert jobs_in(api, ws) == []
    trusted = api.call(
        "POST", "/trusted-keys", {"name": "test env", "publicKey": key["publicKey"]}, workspace=ws
    )
    assert trusted.status_code == 200, trusted.text
    assert plan(api, {"path": path}, ws)["signature"]["state"] == "valid"
    preview = api.call("POST", "/jobs/check-file", {"path": path}, workspace=ws).json()
    assert preview["signature"] == {
        "state": "valid",
        "keyId": key["keyId"],
        "detail": preview["signature"]["detail"],
    }
    task = run_import(api, {"path": path}, workspace=ws)
    assert task["status"] == "SUCCESSFUL", task
    assert jobs_in(api, ws) == ["daily_sales"]


def test_a_tampered_signed_package_is_refused_even_when_signatures_are_optional(
    api: SignedClient,
) -> None:
    data, _key = _signed_export(api)
    ws = prod(api, ("dws_conn", "ssh_conn"))
    manifest = zipfile.ZipFile(io.BytesIO(data)).read("manifest.json")
    forged = manifest.replace(b'"exportDepend": true', b'"exportDepend": false')
    assert forged != manifest
    path = upload(api, _rezip(data, {"manifest.json": forged}), ws)
    planned = plan(api, {"path": path}, ws)
    assert planned["signature"]["state"] == "invalid"
    assert [p["reason"] for p in planned["problems"]] == ["signature"]
    task = run_import(api, {"path": path}, workspace=ws)
    assert task["status"] == "FAILED"
    assert jobs_in(api, ws) == []
    # A flipped byte in an entry is refused by the manifest hash check, naming the entry.
    job_entry = "jobs/daily_sales/daily_sales.job"
    body = zipfile.ZipFile(io.BytesIO(data)).read(job_entry).replace(b"02", b"03", 1)
    flipped = upload(api, _rezip(data, {job_entry: body}), ws)
    refused = api.call("POST", "/jobs/import/plan", {"path": flipped}, workspace=ws)
    assert refused.status_code == 400
    assert job_entry in refused.json()["error_msg"]


def test_signing_and_trusted_keys_are_admin_only_and_listed(api: SignedClient) -> None:
    ws = prod(api)
    dev = new_user(api, "dev_keys", role="developer", workspace=ws)
    assert dev.call("POST", "/signing-key", workspace=ws).status_code == 403
    missing = api.call("GET", "/signing-key", workspace=ws)
    assert missing.status_code == 400
    assert missing.json()["error_code"] == "DLF.9007"
    created = api.call("POST", "/signing-key", workspace=ws).json()
    assert created["publicKey"].startswith("ed25519:")
    assert api.call("GET", "/signing-key", workspace=ws).json()["keyId"] == created["keyId"]
    bad = api.call("POST", "/trusted-keys", {"name": "x", "publicKey": "nope"}, workspace=ws)
    assert bad.status_code == 400
    ok = api.call("POST", "/trusted-keys", {"name": "x", "publicKey": created["publicKey"]})
    assert ok.status_code == 200
    again = api.call("POST", "/trusted-keys", {"name": "y", "publicKey": created["publicKey"]})
    assert again.status_code == 400
    assert again.json()["error_code"] == "DLF.9010"
    keys = api.call("GET", "/trusted-keys").json()["keys"]
    assert [k["keyId"] for k in keys] == [created["keyId"]]
    assert keys[0]["distrusted"] is False
    assert api.call("DELETE", f"/trusted-keys/{created['keyId']}").status_code == 204
    again = api.call("DELETE", f"/trusted-keys/{created['keyId']}")
    assert_error(again, "DLF.9066", "is already distrusted", "Nothing changed.")
    assert api.call("GET", "/trusted-keys").json()["keys"] == []
    [marked] = api.call("GET", "/trusted-keys", query={"distrusted": "true"}).json()["keys"]
    assert (marked["keyId"], marked["distrusted"], marked["distrustUser"]) == (
        created["keyId"],
        True,
        "admin",
    )
    assert marked["distrustTime"] == again.json()["distrusted_at"]
    unknown = api.call("DELETE", "/trusted-keys/0123456789abcdef")
    assert_error(unknown, "DLF.9007", "does not trust a key with id '0123456789abcdef'")


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/trusted-keys", {"name": "x", "publicKey": "nope"}),
        ("/trusted-keys", {"publicKey": 7}),
        ("/trusted-keys", b"not json"),
        ("/trusted-keys/distrust", {"publicKey": "nope"}),
        ("/trusted-keys/distrust", b""),
    ],
)
def test_a_caller_without_the_role_is_refused_for_it_before_the_key_sent_is_read(
    api: SignedClient, path: str, body: Any
) -> None:
    ws = prod(api)
    viewer = new_user(api, "viewer_keys", role="viewer", workspace=ws)
    refused = viewer.call("POST", path, body, workspace=ws)
    assert_error(refused, "DLF.6888", "may not manage trusted keys", status=403)
    assert api.call("POST", path, body, workspace=ws).status_code == 400  # the body, for an admin


def test_a_key_never_trusted_is_distrusted_by_its_public_key(api: SignedClient) -> None:
    ws = prod(api)
    dev = new_user(api, "dev_leak", role="developer", workspace=ws)
    leaked = generate_key_pair()
    body = {"publicKey": leaked.public_key, "name": "sales signing key"}
    assert_error(
        dev.call("POST", "/trusted-keys/distrust", body, workspace=ws),
        "DLF.6888",
        "may not manage trusted keys",
        status=403,
    )
    bad = api.call("POST", "/trusted-keys/distrust", {"publicKey": "nope"}, workspace=ws)
    assert_error(bad, "DLF.3051", "The public key is not usable")
    assert set(bad.json()) >= {"error_code", "error_msg"}

    marked = api.call("POST", "/trusted-keys/distrust", body, workspace=ws)

    assert marked.status_code == 200, marked.text
    shown = marked.json()
    assert (shown["keyId"], shown["name"], shown["distrusted"], shown["distrustUser"]) == (
        leaked.key_id,
        "sales signing key",
        True,
        "admin",
    )
    assert api.call("GET", "/trusted-keys", workspace=ws).json()["keys"] == []
    listed = api.call("GET", "/trusted-keys", query={"distrusted": "true"}, workspace=ws)
    assert listed.json()["keys"] == [shown]
    again = api.call("POST", "/trusted-keys/distrust", body, workspace=ws)
    assert_error(again, "DLF.9066", f"Key {leaked.key_id} ('sales signing key') is already")


def test_a_package_signed_by_a_distrusted_key_is_refused_with_the_key_when_and_by_whom(
    api: SignedClient,
) -> None:
    data, key = _signed_export(api)
    ws = prod(api, ("dws_conn", "ssh_conn"))  # signed packages not required
    trusted = {"name": "test env", "publicKey": key["publicKey"]}
    assert api.call("POST", "/trusted-keys", trusted, workspace=ws).status_code == 200
    path = upload(api, data, ws)
    assert api.call("DELETE", f"/trusted-keys/{key['keyId']}", workspace=ws).status_code == 204

    checked = api.call("POST", "/jobs/check-file", {"path": path}, workspace=ws)
    planned = api.call("POST", "/jobs/import/plan", {"path": path}, workspace=ws)

    for refused in (checked, planned):
        assert_error(refused, "DLF.9065", f"signed by key {key['keyId']} ('test env')")
        body = refused.json()
        assert body["remedy"] == "distrusted_signer"
        assert (body["key_id"], body["distrusted_by"]) == (key["keyId"], "admin")
        assert body["public_key"] == key["publicKey"]
        assert isinstance(body["distrusted_at"], int)
        assert "whether or not the workspace requires signed packages" in body["problem"]
        assert "trust it again (POST /v1/{project_id}/trusted-keys" in body["error_msg"]
    task = run_import(api, {"path": path}, workspace=ws)
    assert (task["status"], task["result"]["errorCode"]) == ("FAILED", "DLF.9065")
    assert jobs_in(api, ws) == []


# -- required secrets --------------------------------------------------------------------------


def test_connections_the_package_requires_must_have_their_secrets_set_in_the_target(
    api: SignedClient,
) -> None:
    data = exported(api)
    man = orjson.loads(zipfile.ZipFile(io.BytesIO(data)).read("manifest.json"))
    assert {"kind": "connection", "name": "dws_conn", "type": "DWS", "secrets": ["password"]} in (
        man["requires"]
    )
    ws = new_workspace(api, "prod")
    no_secret = {"type": "DWS", "config": {"host": "db"}}
    assert api.call("PUT", "/environment/connection/dws_conn", no_secret, workspace=ws).status_code
    assert api.call("PUT", "/environment/connection/ssh_conn", CONN, workspace=ws).status_code
    path = upload(api, data, ws)
    planned = plan(api, {"path": path}, ws)
    missing = [p for p in planned["problems"] if p["reason"] == "missing_secret"]
    assert {(p["kind"], p["name"]) for p in missing} == {
        ("job", "daily_sales"),
        ("script", "daily_sales_sql"),
        ("script", "daily_sales_sh"),  # make_script gives both scripts dws_conn
    }
    assert "password" in missing[0]["detail"]
    assert "dws_conn" in missing[0]["detail"]
    report = api.call("POST", "/profiles/check", {"path": path}, workspace=ws).json()
    assert report["complete"] is False
    assert {"name": "dws_conn", "state": "missing_secret"} in report["secrets"]
    task = run_import(api, {"path": path}, workspace=ws)
    assert task["status"] == "FAILED"
    assert jobs_in(api, ws) == []
    assert api.call("PUT", "/environment/connection/dws_conn", CONN, workspace=ws).status_code
    task = run_import(api, {"path": path}, workspace=ws)
    assert task["status"] == "SUCCESSFUL", task


@pytest.mark.parametrize("version", ["9223372036854775808", "0", "-1", "two"])
def test_a_profile_version_out_of_range_is_a_clear_400(api: SignedClient, version: str) -> None:
    ws = prod(api)
    assert put_profile(api, ws, "prod", PROFILE).status_code == 200

    response = api.call("GET", "/profiles/prod", query={"version": version}, workspace=ws)

    assert response.status_code == 400, response.text
    assert "version" in response.json()["error_msg"]


def test_a_package_this_server_signed_in_another_workspace_of_the_project_is_trusted(
    api: SignedClient,
) -> None:
    ws = prod(api, ("dws_conn", "ssh_conn"))
    data, key = _signed_export(api)  # signed by the default workspace's key
    path = upload(api, data, ws)
    planned = plan(api, {"path": path}, ws)
    assert planned["signature"]["state"] == "valid", planned["signature"]
    assert planned["signature"]["keyId"] == key["keyId"]
    assert api.call("GET", "/trusted-keys", workspace=ws).json()["keys"] == []  # none added
    # A workspace that requires signed packages accepts only the keys it chose (and its own).
    assert api.call("PUT", f"/workspaces/{ws}", {"requireSigned": True}).status_code == 200
    assert plan(api, {"path": path}, ws)["signature"]["state"] == "untrusted"
    assert api.call("PUT", f"/workspaces/{ws}", {"requireSigned": False}).status_code == 200
    task = run_import(api, {"path": path}, workspace=ws)
    assert task["status"] == "SUCCESSFUL", task
