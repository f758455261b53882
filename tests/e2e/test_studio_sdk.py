"""The DataArts Studio Python SDK (``huaweicloudsdkdataartsstudio``) end to end against a real
server: finding the workspace header value, workspace variables, data connections, job rename
and the v2 script list, exactly as the SDK builds and reads them."""

from __future__ import annotations

import pytest
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkdataartsstudio.v1 import (
    ApigDataSourcesVo,
    ApigDataSourceVo,
    CreateConnectionsRequest,
    CreateFactoryEnvRequest,
    DeleteDataconnectionRequest,
    EnvRequestBody,
    EnvRequestBodyParams,
    ListDataArtsStudioInstancesRequest,
    ListDataconnectionsRequest,
    ListFactoryScriptsRequest,
    ShowDataconnectionRequest,
    ShowFactoryEnvRequest,
    ShowWorkSpaceRequest,
    UpdateDataconnectionRequest,
    UpdateFactoryJobNameRequest,
    UpdateFactoryJobNameRequestBody,
)
from huaweicloudsdkdgc.v1 import CreateJobRequest, CreateScriptRequest, ShowJobRequest

from support.builders import make_job, make_script
from support.server import ServerProcess, listed_workspace, new_workspace

pytestmark = pytest.mark.e2e
PASSWORD = "Str0ng-dws-pass"


def workspace_id(server: ServerProcess, name: str) -> str:
    """The workspace header value, found the way a Studio SDK user finds it."""
    studio = server.studio_client()
    instances = studio.list_data_arts_studio_instances(ListDataArtsStudioInstancesRequest())
    instance = instances.commodity_orders[0].resource_id
    ws = listed_workspace(studio, instance, name=name)
    shown = studio.show_work_space(ShowWorkSpaceRequest(instance_id=instance, workspace_id=ws.id))
    assert shown.name == name
    assert shown.is_default == 0
    return str(ws.id)


def test_the_workspace_header_value_is_found_through_the_sdk(server: ServerProcess) -> None:
    created = new_workspace(server, "studio_find")
    assert workspace_id(server, "studio_find") == created


def test_workspace_variables_through_the_sdk(server: ServerProcess) -> None:
    studio = server.studio_client()
    ws = workspace_id(server, new_workspace_name(server, "studio_env"))
    body = EnvRequestBody(
        params=[
            EnvRequestBodyParams(name="env_db", type="variable", value="db_dev", desc="d"),
            EnvRequestBodyParams(name="batch", value="05"),
        ]
    )

    saved = studio.create_factory_env(CreateFactoryEnvRequest(workspace=ws, body=body))

    assert saved.is_success is True
    shown = studio.show_factory_env(ShowFactoryEnvRequest(workspace=ws))
    assert [(p.name, p.value) for p in shown.params] == [("batch", "05"), ("env_db", "db_dev")]


def new_workspace_name(server: ServerProcess, name: str) -> str:
    new_workspace(server, name)
    return name


def source(env_type: int, host: str) -> ApigDataSourceVo:
    return ApigDataSourceVo(
        dw_name="dws_studio",
        dw_type="DWS",
        dw_config={"ip": host, "port": "8000", "db_password": PASSWORD},
        agent_id="0123456789abcdef0123456789abcdef0123",
        agent_name="cdm-1",
        env_type=env_type,
        dw_category="DWS",
        description="warehouse",
    )


def test_data_connections_through_the_sdk(server: ServerProcess) -> None:
    studio = server.studio_client()
    ws = workspace_id(server, new_workspace_name(server, "studio_conn"))
    body = ApigDataSourcesVo(mode=1, visible=1, data_source_vos=[source(0, "10.0.0.1")])
    studio.create_connections(CreateConnectionsRequest(workspace=ws, body=body))
    body = ApigDataSourcesVo(mode=1, visible=1, data_source_vos=[source(1, "10.9.9.9")])
    studio.create_connections(CreateConnectionsRequest(workspace=ws, body=body))

    listed = studio.list_dataconnections(ListDataconnectionsRequest(workspace=ws, name="dws"))

    assert listed.total_size == 2
    by_side = {}
    for item in listed.data_connection_lists:
        detail = studio.show_dataconnection(
            ShowDataconnectionRequest(workspace=ws, data_connection_id=item.dw_id)
        )
        assert PASSWORD not in str(detail.to_json_object())
        by_side[detail.env_type] = (item.dw_id, detail.dw_config["ip"])
    assert {side: ip for side, (_, ip) in by_side.items()} == {0: "10.0.0.1", 1: "10.9.9.9"}

    prod_id = by_side[1][0]
    changed = ApigDataSourcesVo(mode=1, visible=1, data_source_vos=[source(1, "10.9.9.10")])
    studio.update_dataconnection(
        UpdateDataconnectionRequest(workspace=ws, data_connection_id=prod_id, body=changed)
    )
    shown = studio.show_dataconnection(
        ShowDataconnectionRequest(workspace=ws, data_connection_id=prod_id)
    )
    assert shown.dw_config["ip"] == "10.9.9.10"

    studio.delete_dataconnection(
        DeleteDataconnectionRequest(workspace=ws, data_connection_id=prod_id)
    )
    with pytest.raises(ClientRequestException):
        studio.show_dataconnection(
            ShowDataconnectionRequest(workspace=ws, data_connection_id=prod_id)
        )


def test_job_rename_and_v2_script_list_through_the_sdk(server: ServerProcess) -> None:
    studio, dgc = server.studio_client(), server.client()
    ws = workspace_id(server, new_workspace_name(server, "studio_jobs"))
    dgc.create_script(CreateScriptRequest(workspace=ws, body=make_script("studio_sql")))
    dgc.create_job(CreateJobRequest(workspace=ws, body=make_job("studio_job")))

    renamed = studio.update_factory_job_name(
        UpdateFactoryJobNameRequest(
            job_name="studio_job",
            workspace=ws,
            body=UpdateFactoryJobNameRequestBody(name="studio_job_2"),
        )
    )

    assert renamed.is_success is True
    assert (
        dgc.show_job(ShowJobRequest(workspace=ws, job_name="studio_job_2")).name == "studio_job_2"
    )
    with pytest.raises(ClientRequestException) as missing:
        studio.update_factory_job_name(
            UpdateFactoryJobNameRequest(
                job_name="studio_job",
                workspace=ws,
                body=UpdateFactoryJobNameRequestBody(name="x"),
            )
        )
    assert missing.value.error_code == "DLF.30100"

    scripts = studio.list_factory_scripts(ListFactoryScriptsRequest(workspace=ws, limit=10))
    assert scripts.total == 1
    assert scripts.scripts[0].name == "studio_sql"
    assert scripts.scripts[0].connection_name == "dws_conn"
