"""Every call of the two wire contracts jobferry is measured against, as a well-formed request
and what jobferry answers it (docs/api.md).

The contracts (the DataArts Factory v1 ``DgcClient``, 31 methods, and the 54 DataArts Studio
calls of the factory, connection and workspace groups) were generated from
``huaweicloudsdkdgc`` and ``huaweicloudsdkdataartsstudio`` 3.1.219, the versions the tests
install: their request and response models are the SDKs' own (:mod:`support.sdkcalls`), so a
call's fields and JSON types are read from the SDK here.

:class:`World` is what the calls act on: a job, a script, a resource, a data connection, an
import's task and an enterprise workspace holding a release package. :data:`CASES` names, for
every call, the request (path, query, body, workspace) and the status docs/api.md promises:
200 or 204 for a served call, 501 ``DLF.9501`` for one jobferry does not serve.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from support.accounts import default_workspace, new_user
from support.builders import make_job, make_resource, make_script
from support.clients import SignedClient
from support.importing import run_import, upload

UNSERVED = 501
"""A call jobferry does not serve: 501 ``DLF.9501`` naming it and what to do instead."""


def bare_job(name: str) -> dict[str, Any]:
    """A batch job naming nothing else (a release plans it into production as it is)."""
    return {"name": name, "processType": "BATCH", "schedule": {"type": "EXECUTE_ONCE"}}


@dataclass
class World:
    """The objects the contract's calls are sent about."""

    api: SignedClient
    deploying: SignedClient | None = None
    ws: str = ""
    enterprise: str = ""
    me: str = ""
    deployer: str = ""
    resource: str = ""
    task: str = ""
    package: str = ""
    upload: str = ""
    connection: str = ""
    items: list[str] = field(default_factory=list)

    def build(self) -> World:
        api = self.api
        self.ws = default_workspace(api)
        assert api.call("POST", "/scripts", make_script("s1")).status_code == 204
        created = api.call("POST", "/resources", make_resource("r1"))
        self.resource = created.json()["resourceId"]
        job = make_job("j1", targetStatus="SUBMITTED")
        assert api.call("POST", "/jobs", job).status_code == 204
        assert api.call("POST", "/jobs", bare_job("j2")).status_code == 204
        exported = api.call("POST", "/jobs/j2/export")
        assert exported.status_code == 200, exported.text
        self.upload = upload(api, exported.content)
        self.task = run_import(api, {"path": self.upload, "sameNamePolicy": "OVERWRITE"})["id"]
        sources = {"mode": 0, "visible": 1, "data_source_vos": [DATA_SOURCE]}
        added = api.call("POST", "/data-connections", sources, workspace=self.ws)
        assert added.status_code == 200, added.text
        listed = api.call("GET", "/data-connections", workspace=self.ws).json()
        self.connection = listed["data_connection_lists"][0]["dw_id"]
        self.me = str(api.call("GET", "/users/me").json()["id"])
        self._enterprise()
        return self

    def _enterprise(self) -> None:
        api = self.api
        self.enterprise = str(api.call("POST", "/workspaces", {"name": "ent"}).json()["id"])
        switch = {"name": "ent", "mode": "1"}
        path = f"/{api.project_id}/workspace/{self.enterprise}"
        assert api.call("PUT", path, switch).status_code == 200
        self.deploying = new_user(api, "deployer", "deployer", self.enterprise)
        users = api.call("GET", "/users").json()["users"]
        self.deployer = str(next(u["id"] for u in users if u["name"] == "deployer"))
        for name in ("e1", "e2"):
            job = bare_job(name) | {"targetStatus": "SUBMITTED"}
            assert api.call("POST", "/jobs", job, workspace=self.enterprise).status_code == 204
        pending = api.call(
            "GET", "/factory/pending-items", workspace=self.enterprise, version="v2"
        ).json()
        self.items = [str(i["pending_item_id"]) for i in pending["data"]]
        packaged = self.package_items("p0", self.items[:1])
        assert packaged.status_code == 200, packaged.text
        self.package = str(packaged.json()["release_package_id"])

    def package_items(self, name: str, items: list[str]) -> Any:
        """The answer to packaging ``items`` as ``name``, the deployer approving."""
        body = {
            "apply_user_id": self.me,
            "package_name": name,
            "pending_item_list": items,
            "approver_ids": [self.deployer],
        }
        return self.api.call(
            "POST", "/factory/pending-items/package", body, workspace=self.enterprise, version="v2"
        )


DATA_SOURCE: dict[str, Any] = {
    "dw_name": "dws_link",
    "dw_type": "DWS",
    "dw_config": {"ip": "10.1.2.3", "port": "8000"},
    "agent_id": "0123456789abcdef0123456789abcdef0123",
    "agent_name": "cdm-1",
    "env_type": 0,
    "supportService": 4,
    "dw_category": "DWS",
    "description": "warehouse",
}


@dataclass(frozen=True)
class Case:
    """One call of a contract, sent well formed."""

    call: str
    """``factory:<method>`` (v1 ``DgcClient``) or ``studio:<method>``."""
    status: int
    """What docs/api.md says it answers: 200, 204, or :data:`UNSERVED`."""
    params: Callable[[World], dict[str, str]] = lambda w: {}
    """The path's parameters."""
    body: Callable[[World], Any] = lambda w: None
    query: Callable[[World], dict[str, Any]] = lambda w: {}
    enterprise: bool = False
    """Sent to the enterprise workspace (the release calls), else the default one."""
    deployer: bool = False
    """Sent by the package's approver, a deployer (else by the project admin, its applicant)."""


def _job(w: World) -> dict[str, str]:
    return {"job_name": "j1"}


def _script(w: World) -> dict[str, str]:
    return {"script_name": "s1"}


def _resource(w: World) -> dict[str, str]:
    return {"resource_id": w.resource}


def _instance(w: World) -> dict[str, str]:
    return {"job_name": "j1", "script_name": "s1", "instance_id": "1"}


def _studio(w: World) -> dict[str, str]:
    return {"instance_id": w.api.project_id, "workspace_id": w.ws}


def _any(w: World) -> dict[str, str]:
    return {
        "job_name": "j1",
        "instance_id": "1",
        "instance_name": "1",
        "connection_id": w.connection,
        "table_id": "1",
        "workspace_id": w.ws,
        "user_id": w.me,
    }


def _v1(call: str, status: int, **kw: Any) -> Case:
    return Case(f"factory:{call}", status, **kw)


def _v2(call: str, status: int, **kw: Any) -> Case:
    return Case(f"studio:{call}", status, **kw)


V1_CASES = (
    _v1("cancel_script", UNSERVED, params=_instance),
    _v1("create_job", 204, body=lambda w: make_job("j3")),
    _v1("create_resource", 200, body=lambda w: make_resource("r2")),
    _v1("create_script", 204, body=lambda w: make_script("s2")),
    _v1("delete_job", 204, params=lambda w: {"job_name": "j2"}),
    _v1("delete_resource", 204, params=_resource),
    _v1("delete_script", 204, params=lambda w: {"script_name": "s1"}),
    _v1("execute_script", UNSERVED, params=_script, body=lambda w: {"params": {"a": "1"}}),
    _v1("export_job", 200, params=_job, body=lambda w: {"exportDepend": False}),
    _v1("export_job_list", 200, body=lambda w: {"jobList": ["j1"], "exportDepend": False}),
    _v1("import_job", 200, body=lambda w: {"path": w.upload, "sameNamePolicy": "SKIP"}),
    _v1("list_job_instances", UNSERVED, query=lambda w: {"jobName": "j1"}),
    _v1("list_jobs", 200, query=lambda w: {"limit": 10, "offset": 0}),
    _v1("list_resources", 200, query=lambda w: {"limit": 10, "offset": 0}),
    _v1("list_script_results", UNSERVED, params=_instance),
    _v1("list_scripts", 200, query=lambda w: {"limit": 10, "offset": 0}),
    _v1("list_system_tasks", 200, params=lambda w: {"task_id": w.task}),
    _v1("restore_job_instance", UNSERVED, params=_instance),
    _v1("run_once", UNSERVED, params=_job, body=lambda w: {"jobParams": []}),
    _v1("show_file_info", 200, body=lambda w: {"path": w.upload}),
    _v1("show_job", 200, params=_job),
    _v1("show_job_instance", UNSERVED, params=_instance),
    _v1("show_job_status", 200, params=_job),
    _v1("show_resource", 200, params=_resource),
    _v1("show_script", 200, params=_script),
    _v1("start_job", 204, params=_job, body=lambda w: {"jobParams": []}),
    _v1("stop_job", 204, params=_job),
    _v1("stop_job_instance", UNSERVED, params=_instance),
    _v1("update_job", 204, params=_job, body=lambda w: make_job("j1")),
    _v1("update_resource", 204, params=_resource, body=lambda w: make_resource("r1", desc="d")),
    _v1("update_script", 204, params=_script, body=lambda w: make_script("s1", content="1;")),
)
"""Every method of the v1 contract (``DgcClient``)."""


def _package(w: World) -> dict[str, Any]:
    return {"package_ids": [w.package]}


V2_CASES = (
    _v2("list_factory_pending_items", 200, enterprise=True, query=lambda w: {"limit": 10}),
    _v2(
        "create_factory_pending_items_package",
        200,
        enterprise=True,
        body=lambda w: {
            "apply_user_id": w.me,
            "package_name": "p1",
            "pending_item_list": w.items[1:],
            "approver_ids": [w.deployer],
        },
    ),
    _v2("list_factory_release_packages", 200, enterprise=True, body=lambda w: {"limit": 10}),
    _v2(
        "deploy_factory_packages",
        200,
        enterprise=True,
        deployer=True,
        body=lambda w: _package(w) | {"startup_mode": 0},
    ),
    _v2("cancel_factory_packages", 200, enterprise=True, body=_package),
    _v2(
        "show_factory_package_detail",
        200,
        enterprise=True,
        params=lambda w: {"package_id": w.package},
    ),
    _v2("list_factory_workspaces_approval", 200, enterprise=True, query=lambda w: {"limit": 10}),
    _v2("show_factory_env", 200),
    _v2(
        "create_factory_env",
        200,
        body=lambda w: {"params": [{"name": "day", "type": "variable", "value": "1"}]},
    ),
    _v2("list_factory_jobs", UNSERVED),
    _v2("create_factory_job", UNSERVED, body=lambda w: {"name": "j9", "process_type": "BATCH"}),
    _v2("show_factory_job_depend_instances", UNSERVED, params=_any),
    _v2("list_factory_job_instances_by_name", UNSERVED, params=_any),
    _v2("retry_factory_job_instance", UNSERVED, params=_any, body=lambda w: {}),
    _v2(
        "update_factory_job_name",
        200,
        params=lambda w: {"job_name": "j2"},
        body=lambda w: {"name": "j2_renamed"},
    ),
    _v2("set_factory_job_tags", UNSERVED, params=_any, body=lambda w: {"tag_names": ["t"]}),
    _v2("show_real_time_job_details", UNSERVED, params=_any),
    _v2("show_factory_full_text", UNSERVED, query=lambda w: {"keyword": "j1"}),
    _v2("list_task_table_reference_detail", UNSERVED),
    _v2("show_factory_depend_instances", UNSERVED, params=_any),
    _v2("show_factory_supplement_data", UNSERVED),
    _v2("create_factory_supplement_data_instance", UNSERVED, body=lambda w: {"name": "x"}),
    _v2("stop_factory_supplement_data_instance", UNSERVED, params=_any),
    _v2("list_factory_scripts", 200, query=lambda w: {"limit": 10, "offset": 0}),
    _v2("list_search_factory_baselines", UNSERVED, params=_any),
    _v2("create_factory_baseline", UNSERVED, params=_any, body=lambda w: {"name": "b"}),
    _v2("list_factory_search_baseline_instances", UNSERVED, params=_any),
    _v2("list_search_factory_events", UNSERVED, params=_any),
    _v2("list_factory_alarm_info", UNSERVED),
    _v2("list_factory_alarm_rules", UNSERVED),
    _v2("list_factory_task_completion", UNSERVED),
    _v2("list_factory_task_overview", UNSERVED),
    _v2("list_dataconnections", 200, query=lambda w: {"limit": "10", "offset": "0"}),
    _v2(
        "create_connections",
        200,
        body=lambda w: {
            "mode": 0,
            "visible": 1,
            "data_source_vos": [DATA_SOURCE | {"dw_name": "dws_two"}],
        },
    ),
    _v2("debug_dataconnection", UNSERVED, body=lambda w: DATA_SOURCE),
    _v2("delete_dataconnection", 200, params=lambda w: {"data_connection_id": w.connection}),
    _v2("show_dataconnection", 200, params=lambda w: {"data_connection_id": w.connection}),
    _v2(
        "update_dataconnection",
        200,
        params=lambda w: {"data_connection_id": w.connection},
        body=lambda w: {"mode": 0, "visible": 1, "data_source_vos": [DATA_SOURCE]},
    ),
    _v2("list_databases", UNSERVED, params=_any),
    _v2("list_data_tables", UNSERVED, params=_any),
    _v2("list_columns", UNSERVED, params=_any),
    _v2("list_schemas", UNSERVED, params=_any),
    _v2("list_data_arts_studio_instances", 200),
    _v2("list_manager_work_spaces", 200, params=_studio, query=lambda w: {"limit": 10}),
    _v2("create_manager_work_space", UNSERVED, params=_studio, body=lambda w: {"name": "x"}),
    _v2("show_work_space", 200, params=_studio),
    _v2(
        "update_work_space_old",
        200,
        params=_studio,
        body=lambda w: {"name": "default", "mode": "0"},
    ),
    _v2(
        "batch_delete_workspaces", UNSERVED, params=_studio, body=lambda w: {"workspace_ids": ["1"]}
    ),
    _v2("list_workspaces_for_user", UNSERVED, params=_any),
    _v2("list_workspace_roles", 200),
    _v2("delete_workspaceusers", UNSERVED, params=_any, body=lambda w: {"user_ids": ["1"]}),
    _v2("list_workspaceusers", 200, params=_any, query=lambda w: {"limit": "10"}),
    _v2("add_work_space_users", UNSERVED, params=_any, body=lambda w: {"type": 1}),
    _v2("update_work_space_user_or_group", UNSERVED, params=_any, body=lambda w: {"type": 1}),
)
"""Every call of the v2 contract (the DataArts Studio factory, connection and workspace calls)."""
