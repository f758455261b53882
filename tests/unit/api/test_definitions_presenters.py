"""The definitions presenters: a record's wire form, key by key and in order. The order is
part of the contract (clients diff show answers; the Terraform provider plans from them), so
these compare JSON bytes, not dicts."""

from __future__ import annotations

from typing import Any

import orjson

from jobferry.api.presenters.definitions import (
    factory_script,
    job_answer,
    job_document,
    job_result,
    job_status,
    resource_document,
    script_document,
    tag_view,
    version_view,
)
from jobferry.domain.enums import JobStatus, ProcessType, TargetStatus
from jobferry.services.definitions.governance import Tag
from jobferry.services.definitions.records import (
    Dependent,
    JobState,
    JobSummary,
    JobUse,
    NodeState,
    ShownJob,
    ShownResource,
    ShownScript,
    SubmittedVersion,
)


def _keys(value: dict[str, Any]) -> list[str]:
    return list(value)


def _job(document: dict[str, Any], **changes: Any) -> ShownJob:
    fields: dict[str, Any] = {
        "document": document,
        "id": 7,
        "name": "daily_sales",
        "directory": "/sales",
        "created_at": 1000,
        "updated_by": "alice",
        "version": 3,
    }
    return ShownJob(**(fields | changes))


def test_a_shown_job_lays_the_server_fields_over_its_document_in_a_fixed_order() -> None:
    shown = _job({"name": "old_name", "nodes": [], "lastUpdateUser": "x"})
    assert orjson.dumps(job_document(shown)) == (
        b'{"name":"daily_sales","nodes":[],"lastUpdateUser":"alice","id":7,"createTime":1000,'
        b'"directory":"/sales","version":"3"}'
    )


def test_a_job_documents_own_directory_is_kept_where_it_is() -> None:
    shown = _job({"name": "daily_sales", "directory": "/own"})
    doc = job_document(shown)
    assert doc["directory"] == "/own"
    assert _keys(doc) == ["name", "directory", "id", "createTime", "lastUpdateUser", "version"]


def test_a_stored_version_key_answers_the_servers_version_in_its_place() -> None:
    # A definition stored before a job's version was the server's may still hold one: the
    # answer is the job's latest submitted version whatever it holds, none while it has none.
    shown = _job({"version": "1.0", "name": "daily_sales"})
    doc = job_document(shown)
    assert doc["version"] == "3"
    assert _keys(doc) == ["version", "name", "id", "createTime", "directory", "lastUpdateUser"]
    assert "version" not in job_document(_job({"version": "1.0"}, version=None))


def test_a_never_submitted_job_has_no_version_and_dependents_come_last() -> None:
    shown = _job(
        {"name": "daily_sales"},
        version=None,
        downstream=(Dependent("ws", "weekly", 9),),
    )
    doc = job_document(shown)
    assert "version" not in doc
    assert doc["downstreamJobs"] == [{"workSpace": "ws", "jobName": "weekly", "jobId": 9}]
    assert _keys(doc)[-1] == "downstreamJobs"
    assert "downstreamJobs" not in job_document(_job({"name": "daily_sales"}))


def test_the_cached_answer_is_the_documents_bytes_and_the_record_is_left_alone() -> None:
    document = {"name": "daily_sales"}
    shown = _job(document)
    assert job_answer(shown) == orjson.dumps(job_document(shown))
    assert document == {"name": "daily_sales"}  # presenting copies, never edits the record


def test_a_nodes_location_is_answered_in_strings_with_both_axes() -> None:
    # The Go SDK's Location types x and y as strings (a number fails its decoding); the
    # Terraform provider sends numbers, leaves a zero out, and requires both back.
    nodes = [
        {"name": "a", "location": {"x": 10, "y": -45.5}},
        {"name": "b", "location": {}},
        {"name": "c", "location": {"x": "7", "y": 0}},
        {"name": "d"},
    ]
    document = {"name": "daily_sales", "nodes": nodes}
    answered = job_document(_job(document))["nodes"]
    assert [n.get("location") for n in answered] == [
        {"x": "10", "y": "-45.5"},
        {"x": "0", "y": "0"},
        {"x": "7", "y": "0"},
        None,
    ]
    assert nodes[0]["location"] == {"x": 10, "y": -45.5}  # the record is left as stored


def test_a_listed_job_and_its_status_speak_dataarts_names() -> None:
    summary = JobSummary(
        name="rt",
        process_type=ProcessType.REAL_TIME,
        owner="alice",
        priority=1,
        status=JobStatus.NORMAL,
        created_at=1,
        created_by="admin",
        updated_at=2,
        updated_by="bob",
        directory="/",
        single_node=False,
        version=None,
    )
    assert orjson.dumps(job_result(summary)) == (
        b'{"name":"rt","jobType":"REAL_TIME","owner":"alice","priority":1,"status":"NORMAL",'
        b'"createUser":"admin","createTime":1,"lastUpdateTime":2,"lastUpdateUser":"bob",'
        b'"path":"/","singleNodeJobFlag":false}'
    )
    state = JobState("rt", JobStatus.STOPPED, 1, 2, "admin", "bob", (NodeState("load", "DWSSQL"),))
    assert orjson.dumps(job_status(state)) == (
        b'{"name":"rt","status":"STOPPED","starttime":"1","lastUpdateTime":"2",'
        b'"createUser":"admin","lastModifiyUser":"bob",'
        b'"nodes":[{"name":"load","status":"STOPPED","nodeType":"DWSSQL"}]}'
    )
    version = SubmittedVersion(2, TargetStatus.SUBMITTED, 5, "bob")
    assert version_view(version) == {
        "version": 2,
        "status": "SUBMITTED",
        "createTime": 5,
        "createUser": "bob",
    }


def test_a_script_gets_no_directory_it_was_not_given_and_v2_lists_it_in_snake_case() -> None:
    shown = ShownScript(
        document={"name": "q", "type": "DWSSQL", "content": "select 1", "queueName": None},
        id="s-1",
        name="q",
        directory="/",
        version=None,
        updated_at=9,
        created_by="admin",
    )
    assert orjson.dumps(script_document(shown)) == (
        b'{"name":"q","type":"DWSSQL","content":"select 1","queueName":null,"id":"s-1",'
        b'"modifyTime":9,"createUser":"admin"}'
    )
    assert factory_script(shown) == {
        "id": "s-1",
        "name": "q",
        "type": "DWSSQL",
        "create_user": "admin",
        "modify_time": 9,
    }


def test_a_resource_names_the_jobs_using_it_only_when_they_were_read() -> None:
    listed = ShownResource({"name": "udf", "type": "jar"}, "r-1", "udf", "/libs")
    shown = ShownResource(listed.document, "r-1", "udf", "/libs", (JobUse(4, "daily_sales"),))
    assert orjson.dumps(resource_document(listed)) == (
        b'{"name":"udf","type":"jar","id":"r-1","resourceId":"r-1","directory":"/libs"}'
    )
    assert resource_document(shown)["jobRelation"] == [
        {"relationType": "JOB", "taskName": "daily_sales", "taskId": 4}
    ]


def test_a_tag_says_when_it_was_made_only_when_that_was_read() -> None:
    assert tag_view(Tag("hot", True)) == {"name": "hot", "locked": True}
    assert tag_view(Tag("hot", False, 12)) == {"name": "hot", "locked": False, "createTime": 12}
