"""DataArts Studio calls jobferry does not serve, each answered 501 ``DLF.9501`` naming the call,
why, and what to use instead: a client that makes one learns it is not served here, not that
the path is unknown (404 ``APIGW.0101``, what a mistyped path gets) or that it succeeded.

The calls are those of the DataArts Studio SDK (``huaweicloudsdkdataartsstudio``) beside the
ones jobferry serves: job runs and their monitoring (jobferry runs nothing), the metadata of a
data source (jobferry reaches none), the v2 job calls that have a v1 counterpart, and the
management centre's workspace and member writes (jobferry's own workspace calls do those).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import APIRouter

from jobferry.api.auth import ActorDep
from jobferry.api.routes.execution import refuse
from jobferry.services.context import require_same_project

router = APIRouter(tags=["DataArts Studio (not served)"])

_RUNS = (
    "jobferry stores, versions and moves job definitions and their scheduling state; it runs "
    "no job, so it has no job instance, run, baseline or alarm to show. Use the DataArts "
    "service the jobs are promoted to."
)
_SOURCES = (
    "jobferry keeps data connections but never reaches the data sources behind them, so it "
    "has no databases, schemas, tables or columns to list. Ask the data source itself, or the "
    "DataArts service the connection points at."
)
_TABLES = (
    "jobferry does not read the SQL of jobs and scripts for the tables they use. Find a job's "
    "references with v1 show_job (GET /v1/{project_id}/jobs/{job_name}?dependencies=true) or "
    "on the DataArts service the jobs are promoted to."
)
_WORKSPACES = (
    "jobferry creates workspaces with its own call, POST /v1/{project_id}/workspaces "
    '{"name"} (project admins); list_manager_work_spaces lists them.'
)
_MEMBERS = (
    "jobferry grants and revokes workspace roles with its own call: PUT or DELETE "
    '/v1/{project_id}/users/{name}/roles/{workspace_id} {"role"} (workspace admins); '
    "list_workspaceusers lists the members."
)


@dataclass(frozen=True)
class Unserved:
    """One SDK call answered 501, with what to do instead."""

    call: str
    method: str
    path: str
    why: str


UNSERVED = (
    # DataArts Factory v2: jobs
    Unserved(
        "list_factory_jobs",
        "GET",
        "/v2/{project_id}/factory/jobs",
        "List jobs with v1 list_jobs (GET /v1/{project_id}/jobs), which takes the same "
        "workspace header and paging.",
    ),
    Unserved(
        "create_factory_job",
        "POST",
        "/v2/{project_id}/factory/jobs",
        "Create the job with v1 create_job (POST /v1/{project_id}/jobs), which takes the same "
        "definition in its camelCase wire names.",
    ),
    Unserved(
        "show_factory_job_depend_instances",
        "GET",
        "/v2/{project_id}/factory/jobs/{job_name}/depend",
        "Read the jobs that depend on a job with v1 show_job "
        "(GET /v1/{project_id}/jobs/{job_name}?dependencies=true): its downstreamJobs.",
    ),
    Unserved(
        "list_factory_job_instances_by_name",
        "GET",
        "/v2/{project_id}/factory/jobs/{job_name}/instances/detail",
        _RUNS,
    ),
    Unserved(
        "retry_factory_job_instance",
        "POST",
        "/v2/{project_id}/factory/jobs/{job_name}/instances/retry",
        _RUNS,
    ),
    Unserved(
        "set_factory_job_tags",
        "POST",
        "/v2/{project_id}/factory/jobs/{job_name}/tags",
        "A job's tags are its basicConfig.tags: set them with v1 update_job (PUT "
        "/v1/{project_id}/jobs/{job_name}); list_jobs picks jobs by tags.",
    ),
    Unserved(
        "show_real_time_job_details",
        "GET",
        "/v2/{project_id}/factory/real-time-jobs/{job_name}",
        _RUNS,
    ),
    Unserved(
        "show_factory_full_text",
        "GET",
        "/v2/{project_id}/factory/search",
        "Find jobs and scripts by part of their name with v1 list_jobs (jobName) and "
        "list_scripts (scriptName), or search definitions in the console.",
    ),
    Unserved(
        "list_task_table_reference_detail",
        "GET",
        "/v2/{project_id}/factory/task-table-references",
        _TABLES,
    ),
    # DataArts Factory v2: instances, supplement data, monitoring
    Unserved(
        "show_factory_depend_instances",
        "GET",
        "/v2/{project_id}/factory/instances/{instance_id}/depend-instances",
        _RUNS,
    ),
    Unserved(
        "show_factory_supplement_data", "GET", "/v2/{project_id}/factory/supplement-data", _RUNS
    ),
    Unserved(
        "create_factory_supplement_data_instance",
        "POST",
        "/v2/{project_id}/factory/supplement-data",
        _RUNS,
    ),
    Unserved(
        "stop_factory_supplement_data_instance",
        "POST",
        "/v2/{project_id}/factory/supplement-data/{instance_name}/stop",
        _RUNS,
    ),
    Unserved(
        "list_search_factory_baselines",
        "GET",
        "/v2/{project_id}/factory/aiops/{instance_id}/baseline",
        _RUNS,
    ),
    Unserved(
        "create_factory_baseline",
        "POST",
        "/v2/{project_id}/factory/aiops/{instance_id}/baseline",
        _RUNS,
    ),
    Unserved(
        "list_factory_search_baseline_instances",
        "GET",
        "/v2/{project_id}/factory/aiops/{instance_id}/baselineinstance",
        _RUNS,
    ),
    Unserved(
        "list_search_factory_events",
        "GET",
        "/v2/{project_id}/factory/aiops/{instance_id}/event",
        _RUNS,
    ),
    Unserved("list_factory_alarm_rules", "GET", "/v2/{project_id}/factory/alarm/rules", _RUNS),
    Unserved(
        "list_factory_task_completion",
        "GET",
        "/v2/{project_id}/factory/monitor/task-completion-data",
        _RUNS,
    ),
    Unserved(
        "list_factory_task_overview",
        "GET",
        "/v2/{project_id}/factory/monitor/task-statistics-overview",
        _RUNS,
    ),
    # Management centre: the metadata behind a data connection
    Unserved("list_databases", "GET", "/v2/{project_id}/{connection_id}/databases", _SOURCES),
    Unserved("list_data_tables", "GET", "/v2/{project_id}/{connection_id}/datatables", _SOURCES),
    Unserved(
        "list_columns",
        "GET",
        "/v2/{project_id}/{connection_id}/datatables/{table_id}/columns",
        _SOURCES,
    ),
    Unserved("list_schemas", "GET", "/v2/{project_id}/{connection_id}/schemas", _SOURCES),
    # Management centre: workspaces and their members
    Unserved(
        "create_manager_work_space",
        "POST",
        "/v1/{project_id}/workspaces/{instance_id}",
        _WORKSPACES,
    ),
    Unserved(
        "batch_delete_workspaces",
        "POST",
        "/v1/{project_id}/{instance_id}/workspaces/batch-delete",
        "jobferry does not delete workspaces through the API: a workspace keeps its jobs' "
        "history and its release ledger. Ask the project admin.",
    ),
    Unserved(
        "list_workspaces_for_user",
        "GET",
        "/v1/{project_id}/{instance_id}/workspaces/{user_id}",
        "List a user's workspaces and roles with jobferry's GET /v1/{project_id}/users "
        "(project admins), or your own with list_manager_work_spaces.",
    ),
    Unserved("add_work_space_users", "POST", "/v2/{project_id}/{workspace_id}/users", _MEMBERS),
    Unserved(
        "update_work_space_user_or_group",
        "PUT",
        "/v2/{project_id}/{workspace_id}/users/{user_id}",
        _MEMBERS,
    ),
    Unserved(
        "delete_workspaceusers", "POST", "/v2/{project_id}/{workspace_id}/delete-users", _MEMBERS
    ),
)
"""Every call of the DataArts Studio SDK's factory, connection and workspace groups that jobferry
does not serve but ``list_factory_alarm_info`` (``routes/factory.py``) and the execution calls
(``routes/execution.py``); ``tests/api/test_unserved_calls.py`` checks the list against the SDK."""


def _endpoint(unserved: Unserved) -> Callable[[str, ActorDep], None]:
    def endpoint(project_id: str, actor: ActorDep) -> None:
        require_same_project(actor, project_id)  # another project's call is refused as served
        raise refuse(unserved.call, unserved.why)

    endpoint.__name__ = unserved.call
    return endpoint


for _unserved in UNSERVED:
    router.add_api_route(
        _unserved.path,
        _endpoint(_unserved),
        methods=[_unserved.method],
        summary=f"{_unserved.call} (not served)",
        status_code=501,
    )
