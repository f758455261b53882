"""A remote's DataArts Studio endpoint: the Studio calls (``list_dataconnections``,
``show_dataconnection``, ``show_factory_env``) go there, signed as the Factory calls are,
when the Factory endpoint does not publish them."""

from __future__ import annotations

from jobferry.services.remotes.client import STUDIO_CALLS
from support.clients import SignedClient
from support.gateway import Gateway, gateway_to
from support.remotes import remote_body, remote_workspace
from support.server import ServerProcess


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
        assert set(studio.calls()) == STUDIO_CALLS
        assert studio.refused() == []
        assert not set(gateway.calls()) & STUDIO_CALLS
        assert gateway.refused() == []

        # without one, the same Factory endpoint leaves the environment and says so
        other = remote_body(gateway, remote_server, ws, name="factory_only")
        assert api.call("POST", "/remotes", other).json()["studioEndpoint"] == gateway.url
        alone = api.call("POST", "/remotes/factory_only/refresh").json()
        assert alone["counts"]["connection"]["created"] == 0
        assert "does not offer list_dataconnections (APIGW.0101)" in alone["notes"][0]
