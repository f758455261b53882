"""A remote's DataArts Studio endpoint through the API: the Studio calls
(``list_dataconnections``, ``show_dataconnection``, ``show_factory_env``) go there, signed as
the Factory calls are; without one they go to the Factory endpoint, which does not publish
them, and the refresh says so. The remote is the in-memory DataArts stand-in, which refuses a
Studio call on the Factory host as the gateway does (``APIGW.0101``)."""

from __future__ import annotations

from jobferry.services.container import Services
from jobferry.services.remotes.client import STUDIO_CALLS
from support.builders import make_job
from support.clients import SignedClient
from support.standin import FACTORY, STUDIO, DataArtsStandin


def test_the_studio_calls_go_to_the_studio_endpoint_and_read_connections_and_variables(
    api: SignedClient, services: Services
) -> None:
    standin = DataArtsStandin()
    standin.workspace.put_job(make_job("daily_sales"))
    standin.workspace.put_connection("dws_conn", "DWS", host="10.0.0.1", password="pw")
    standin.workspace.variables["region"] = "cn-north-4"
    services.remotes.transport = standin.transport()
    body = {**standin.remote_body(), "studioEndpoint": STUDIO + "/"}
    added = api.call("POST", "/remotes", body)
    assert added.status_code == 200, added.text
    assert added.json()["studioEndpoint"] == STUDIO
    done = api.call("POST", "/remotes/prod/refresh")
    assert done.status_code == 200, done.text
    assert done.json()["notes"] == []
    assert done.json()["counts"]["connection"]["created"] == 1
    assert done.json()["counts"]["variable"]["created"] == 1
    shadow = added.json()["shadowWorkspace"]["id"]
    shown = api.call("GET", "/environment/connection/dws_conn", workspace=shadow)
    assert shown.status_code == 200, shown.text
    studio_paths = {s.path for s in standin.seen if s.call in STUDIO_CALLS}
    # every Studio call a refresh makes (the push's rename is the other one)
    assert {s.call for s in standin.seen if s.call in STUDIO_CALLS} == STUDIO_CALLS - {
        "update_factory_job_name"
    }
    assert standin.refused() == []

    # without one, the Factory endpoint leaves the environment as it was and says so
    standin.reset()
    standin.add_workspace("5c" * 16)  # a remote of its own (one remote per workspace)
    other = {**standin.remote_body("factory_only", "5c" * 16), "studioEndpoint": None}
    assert api.call("POST", "/remotes", other).json()["studioEndpoint"] == FACTORY
    alone = api.call("POST", "/remotes/factory_only/refresh").json()
    assert alone["counts"]["connection"]["created"] == 0
    assert "does not offer list_dataconnections (APIGW.0101)" in alone["notes"][0]
    refused = standin.refused()
    assert refused
    assert all("sent to another host" in str(s.refused) for s in refused)
    assert {s.path for s in refused} <= studio_paths
