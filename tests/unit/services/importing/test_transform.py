"""The transform (``services.importing.transform``), pure: a profile applied to jobs, scripts
and resources (renamed references, parameters, execute user, owner, folder), the request's own
options winning over the profile's, and schedule moves with their problems."""

from __future__ import annotations

from typing import Any

import pytest

from jobferry.domain.enums import EnvironmentKind, ProblemReason
from jobferry.domain.profile import TimeZoneMove, parse_profile, parse_time_zone_move
from jobferry.domain.timeshift import ShiftMode
from jobferry.errors import InvalidRequestError
from jobferry.package.model import PackageObject
from jobferry.services.importing.request import ImportRequest
from jobferry.services.importing.transform import Transform, transform_object
from support.builders import make_job, make_resource, make_script

PROFILE = parse_profile(
    {
        "renames": {"connection": {"dws_conn": "dws_prod"}},
        "params": {"bizdate": "${yyyyMMdd-1}"},
        "jobParams": {"daily_sales": {"region": "eu"}},
        "executeUser": "etl_prod",
        "owner": "ops",
        "directory": {"from": "/sales", "to": "/prod/sales"},
    }
)
REQUEST = ImportRequest(path="upload://p")


def obj(kind: str, document: dict[str, Any]) -> PackageObject:
    return PackageObject(kind, document["name"], f"{kind}s/{document['name']}", document, None)


def move(zone: str, mode: str = "keepWallClock") -> TimeZoneMove:
    problems: list[str] = []
    found = parse_time_zone_move({"zone": zone, "mode": mode}, "timeZone", problems)
    assert found is not None, problems
    return found


def properties(job: dict[str, Any], node: int = 0) -> dict[str, Any]:
    return {p["name"]: p["value"] for p in job["nodes"][node]["properties"]}


def test_a_profile_rewrites_a_job_for_its_target() -> None:
    item = transform_object(Transform(REQUEST, PROFILE), obj("job", make_job()))

    doc = item.document
    assert properties(doc)["connectionName"] == "dws_prod"
    assert properties(doc, 1)["connectionName"] == "ssh_conn"  # not in the profile: kept
    assert doc["params"] == [
        {"name": "bizdate", "value": "${yyyyMMdd-1}", "type": "variable"},
        {"name": "region", "value": "eu", "type": "variable"},  # the job's own, added
    ]
    assert doc["basicConfig"]["executeUser"] == "etl_prod"
    assert doc["basicConfig"]["owner"] == "ops"
    assert doc["directory"] == "/prod/sales"
    assert item.problems == []
    assert item.schedule == []


def test_the_request_s_options_win_over_the_profile_s() -> None:
    request = ImportRequest(
        path="upload://p",
        params={"bizdate": "20250101"},
        jobs_param={"daily_sales": {"region": "us"}},
        execute_user="someone",
        renames={(EnvironmentKind.CONNECTION, "dws_conn"): "dws_other"},
    )
    doc = transform_object(Transform(request, PROFILE), obj("job", make_job())).document
    assert properties(doc)["connectionName"] == "dws_other"
    assert {p["name"]: p["value"] for p in doc["params"]} == {"bizdate": "20250101", "region": "us"}
    assert doc["basicConfig"]["executeUser"] == "someone"


def test_scripts_and_resources_get_their_connection_and_folder_only() -> None:
    transform = Transform(REQUEST, PROFILE)
    script = transform_object(transform, obj("script", make_script())).document
    assert script["connectionName"] == "dws_prod"
    assert script["directory"] == "/prod/sales"
    resource = transform_object(transform, obj("resource", make_resource(directory="/sales/x")))
    assert resource.document["directory"] == "/prod/sales/x"
    assert resource.document["location"] == "obs://bucket/libs/udf.jar"


def test_without_a_profile_or_options_nothing_changes() -> None:
    job = make_job()
    item = transform_object(Transform(REQUEST, None), obj("job", make_job()))
    assert item.document == job


def test_a_time_zone_move_shifts_cron_schedules_and_the_request_s_wins() -> None:
    profile = parse_profile({"timeZone": {"zone": "Asia/Tokyo", "mode": "keepWallClock"}})
    from_profile = transform_object(Transform(REQUEST, profile), obj("job", make_job()))
    assert from_profile.document["schedule"]["cron"]["expressionTimeZone"] == "Asia/Tokyo"

    request = ImportRequest(path="upload://p", time_zone=move("Europe/Paris"))
    item = transform_object(Transform(request, profile), obj("job", make_job()))
    assert item.document["schedule"]["cron"]["expressionTimeZone"] == "Europe/Paris"
    assert [s.field for s in item.schedule] == ["schedule.cron"]


def test_a_schedule_that_cannot_be_moved_is_a_time_zone_problem_of_its_job() -> None:
    job = make_job()
    job["schedule"]["cron"]["expression"] = "0 30 2 ? * MON#2"  # a weekday in the month
    request = ImportRequest(path="upload://p", time_zone=move("America/New_York", "keepInstant"))
    item = transform_object(Transform(request, None), obj("job", job))
    [problem] = item.problems
    assert problem.reason is ProblemReason.TIME_ZONE
    assert "America/New_York" in problem.detail
    assert "keepWallClock" in problem.fix


def test_a_zone_that_does_not_exist_is_refused_at_once() -> None:
    unparsed = TimeZoneMove("Mars/Olympus", ShiftMode.KEEP_WALL_CLOCK)  # the parser refuses it
    transform = Transform(ImportRequest(path="upload://p", time_zone=unparsed), None)
    with pytest.raises(InvalidRequestError, match=r"timeZone\.zone is invalid"):
        transform.check_zone("timeZone.zone")
