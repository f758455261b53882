"""A remote's DataArts Studio endpoint: the Studio calls (``list_dataconnections``,
``show_dataconnection``, ``show_factory_env``, and the v2 rename ``update_factory_job_name``)
go there, signed as the Factory calls are, when the Factory endpoint does not publish them."""

from __future__ import annotations

import uuid

from jobferry.services.remotes.client import STUDIO_CALLS
from support.clients import SignedClient
from support.exporting import rename_job, seed, workspace_package
from support.gateway import Gateway, gateway_to
from support.importing import PROD_CONNECTION, run_import, upload
from support.remotes import remote_body, remote_workspace
from support.server import ServerProcess, new_workspace


def test_the_studio_calls_go_to_the_studio_endpoint_and_read_connections_and_variables(
    api: SignedClient, gateway: Gateway, remote_server: ServerProcess
) -> None:
    ws = remote_workspace(remote_server)  # its connection dws_conn
    gateway.unpublished = set(STUDIO_CALLS)  # the Factory endpoint: no Studio calls
    with gateway_to(remote_server.url) as studio:
        body = remote_body(gateway, remote_server, ws, studioEndpoint=studio.url + "/")
        added = api.call("POST", "/remotes", body)
        assert added.status_code == 200, added.text
        assert added.json()["studioEndpoint"] == studio.url
        done = api.call("POST", "/remotes/prod/refresh")
        assert done.status_code == 200, done.text
        assert done.json()["notes"] == []
        assert done.json()["counts"]["connection"]["created"] == 1
        shadow = added.json()["shadowWorkspace"]["id"]
        shown = api.call("GET", "/environment/connection/dws_conn", workspace=shadow)
        assert shown.status_code == 200, shown.text
        # the Factory calls went to the endpoint, the Studio ones to the Studio endpoint
        assert set(studio.calls()) == STUDIO_CALLS - {"update_factory_job_name"}
        assert studio.refused() == []
        assert not set(gateway.calls()) & STUDIO_CALLS
        assert gateway.refused() == []

        # without one, the same Factory endpoint leaves the environment and says so
        other = remote_body(gateway, remote_server, ws, name="factory_only")
        assert api.call("POST", "/remotes", other).json()["studioEndpoint"] == gateway.url
        alone = api.call("POST", "/remotes/factory_only/refresh").json()
        assert alone["counts"]["connection"]["created"] == 0
        assert "does not offer list_dataconnections (APIGW.0101)" in alone["notes"][0]


def test_a_pushed_rename_goes_to_the_studio_endpoint_where_the_v2_call_is_published(
    api: SignedClient, gateway: Gateway, remote_server: ServerProcess
) -> None:
    seed(api, ("hourly_sales",))
    remote_ws = new_workspace(remote_server, f"prod_{uuid.uuid4().hex[:8]}", "dws_conn", "ssh_conn")
    gateway.unpublished = set(STUDIO_CALLS)  # the Factory endpoint, as DataArts' gateway
    with gateway_to(remote_server.url) as studio:
        body = remote_body(gateway, remote_server, remote_ws, studioEndpoint=studio.url)
        shadow = api.call("POST", "/remotes", body).json()["shadowWorkspace"]["id"]
        for connection in ("dws_conn", "ssh_conn"):
            put = api.call(
                "PUT", f"/environment/connection/{connection}", PROD_CONNECTION, workspace=shadow
            )
            assert put.status_code == 200, put.text
        first = {"path": upload(api, workspace_package(api), shadow), "sameNamePolicy": "OVERWRITE"}
        assert run_import(api, first, workspace=shadow)["status"] == "SUCCESSFUL"
        rename_job(api, "hourly_sales", "hourly_totals")
        second = {
            "path": upload(api, workspace_package(api), shadow),
            "sameNamePolicy": "OVERWRITE",
            "propagateDeletes": True,
        }
        pushed = run_import(api, second, workspace=shadow)
        assert pushed["status"] == "SUCCESSFUL", pushed["message"]
        assert "update_factory_job_name" in studio.writes()
        assert "update_factory_job_name" not in gateway.writes()
        assert gateway.refused() == []
        assert studio.refused() == []
    listed = remote_server.call("GET", "/jobs", workspace=remote_ws).json()["jobs"]
    assert [job["name"] for job in listed] == ["hourly_totals"]
