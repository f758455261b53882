"""The fields a job sent to be saved must carry."""

from __future__ import annotations

from jobferry.domain.mandatory import missing_job_fields
from support.builders import make_job


def test_a_complete_job_and_one_without_nodes_miss_nothing() -> None:
    assert missing_job_fields(make_job()) == []
    once = {"name": "once", "schedule": {"type": "EXECUTE_ONCE"}, "processType": "BATCH"}
    assert missing_job_fields(once) == []


def test_each_missing_or_empty_field_is_named_with_the_v1_spelling_of_a_v2_body() -> None:
    found = missing_job_fields({"name": "a", "process_type": "BATCH", "processType": ""})
    assert [(v.field, v.rule, v.code) for v in found] == [
        ("processType", "required", "DLF.3051"),
        ("schedule", "required", "DLF.3051"),
    ]
    assert all("processType not process_type" in v.message for v in found)
    assert missing_job_fields([]) == []  # type: ignore[arg-type]
