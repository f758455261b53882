"""The review of a job's or script's save (``services.reviews``), over a real database (SQLite
and PostgreSQL): refused as the save would be, else the fields that change and the cautions —
an unknown node type, a script, resource, job or environment object the workspace lacks — and
nothing written either way."""

from __future__ import annotations

from dataclasses import replace

import pytest

from jobferry.domain.enums import CautionKind, EnvironmentKind, ObjectKind, RefKind
from jobferry.errors import (
    JobExistsError,
    JobNotFoundError,
    RequiredParameterError,
    ValidationFailedError,
)
from jobferry.services.container import Services
from jobferry.services.context import Scope
from support.builders import editable, make_job, make_script
from support.console import admin_scope, mark_shadow, seeded_admin

CONNECTION = EnvironmentKind.CONNECTION


@pytest.fixture
def scope(services: Services) -> Scope:
    """The admin in the default workspace, holding daily_sales with its scripts."""
    return seeded_admin(services)


def test_an_edit_lists_the_fields_it_changes_and_writes_nothing(
    services: Services, scope: Scope
) -> None:
    body = editable(services.jobs.show(scope, "daily_sales").document)
    body["params"][0]["value"] = "${yyyy}"
    body["description"] = "reviewed"
    before = services.jobs.show(scope, "daily_sales").document

    review = services.reviews.job(scope, "daily_sales", body | {"targetStatus": "SUBMITTED"})

    assert (review.kind, review.name, review.replaces) == (ObjectKind.JOB, "daily_sales", True)
    assert [(c.path, c.op, c.before, c.after) for c in review.changes] == [
        ("params[bizdate].value", "changed", "${yyyyMMdd}", "${yyyy}"),
        ("description", "added", None, "reviewed"),
    ]
    assert review.cautions == ()
    assert services.jobs.show(scope, "daily_sales").document == before
    same = services.reviews.job(scope, "daily_sales", editable(before))
    assert same.changes == ()  # targetStatus and the server's fields are no change


def test_unknown_node_types_and_missing_objects_are_cautions_not_refusals(
    services: Services, scope: Scope
) -> None:
    services.scripts.create(scope, make_script("hourly_load_sh", type="Shell", content="echo"))
    job = make_job("hourly_load")
    job["nodes"][0]["type"] = "dwssql"
    job["nodes"][0]["properties"][0]["value"] = "no_such_script"
    job["nodes"][1]["type"] = "ShellScript"
    job["nodes"][1]["properties"].append({"name": "resourceName", "value": "gone_jar"})
    job["nodes"][1]["properties"].append({"name": "connectionName", "value": "other_ssh"})
    job["schedule"]["cron"]["dependJobs"] = {"jobs": ["daily_sales", "no_such_job"]}

    review = services.reviews.job(scope, "", job)

    assert (review.name, review.replaces, review.changes) == ("hourly_load", False, ())
    cautions = {(c.kind, c.field, c.node, c.name, c.object_kind, c.near) for c in review.cautions}
    unknown, missing = CautionKind.UNKNOWN_NODE_TYPE, CautionKind.MISSING_REFERENCE
    assert cautions == {
        (unknown, "nodes[0].type", "load", "dwssql", None, "DWSSQL"),
        (unknown, "nodes[1].type", "report", "ShellScript", None, None),
        (missing, "nodes[0].properties[0].value", "load", "no_such_script", RefKind.SCRIPT, None),
        (missing, "nodes[1].properties[2].value", "report", "gone_jar", RefKind.RESOURCE, None),
        (missing, "nodes[1].properties[3].value", "report", "other_ssh", CONNECTION, None),
        (missing, "schedule.cron.dependJobs.jobs[1]", None, "no_such_job", RefKind.JOB, None),
    }, review.cautions
    services.jobs.create(scope, job)  # what the review cautions of, the server accepts
    assert services.jobs.show(scope, "hourly_load").document["nodes"][0]["type"] == "dwssql"


def test_a_review_refuses_what_the_save_would_refuse(services: Services, scope: Scope) -> None:
    with pytest.raises(ValidationFailedError) as refused:
        services.reviews.job(scope, "", {"name": "", "nodes": "none"})
    fields = {d["field"] for d in refused.value.context["details"]}
    assert fields == {"name", "nodes", "processType", "schedule"}
    with pytest.raises(JobExistsError):
        services.reviews.job(scope, "", make_job("daily_sales"))
    with pytest.raises(JobNotFoundError):
        services.reviews.job(scope, "nope", make_job("nope"))
    approving = replace(scope, workspace=replace(scope.workspace, approval_enabled=True))
    body = editable(services.jobs.show(scope, "daily_sales").document)
    with pytest.raises(RequiredParameterError, match="needs at least one approver"):
        services.reviews.job(approving, "daily_sales", body | {"targetStatus": "SUBMITTED"})
    mark_shadow(services, scope.workspace.id, "prod")
    with pytest.raises(Exception, match="is the shadow of remote 'prod'"):
        services.reviews.job(admin_scope(services), "daily_sales", make_job("daily_sales"))


def test_a_script_review_names_a_connection_the_workspace_lacks(
    services: Services, scope: Scope
) -> None:
    body = make_script("daily_sales_sql", connectionName="dws_prod", content="select 2;")
    review = services.reviews.script(scope, "daily_sales_sql", body)
    assert [(c.path, c.after) for c in review.changes] == [
        ("content", "select 2;"),
        ("connectionName", "dws_prod"),
    ]
    assert [(c.kind, c.name, c.object_kind) for c in review.cautions] == [
        (CautionKind.MISSING_REFERENCE, "dws_prod", EnvironmentKind.CONNECTION)
    ]
    assert services.scripts.show(scope, "daily_sales_sql").document["content"] == "select 1;"
