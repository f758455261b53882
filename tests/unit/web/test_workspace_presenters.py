"""The API's presenters spell the DataArts wire forms of the account, workspace, environment and
connection records: key names, key order (clients diff answers byte for byte) and the values
DataArts gives fields jobferry has no notion of."""

from __future__ import annotations

import orjson

from jobferry.api.presenters import accounts, connections, environment, workspaces
from jobferry.domain.enums import EnvironmentKind, EnvType, LockPolicy, Role
from jobferry.services.accounts.records import User, Workspace, WorkspaceRole
from jobferry.services.connections.dlf import Connection, ConnectionPage
from jobferry.services.connections.studio import DataConnection, DataConnectionPage
from jobferry.services.environment.objects import EnvironmentObject
from jobferry.services.environment.variables import Variable
from jobferry.services.workspaces.keys import SigningKey, TrustedKey
from jobferry.services.workspaces.profiles import ProfileVersion
from jobferry.services.workspaces.studio import (
    InstancePage,
    StudioInstance,
    StudioWorkspace,
    StudioWorkspacePage,
)

T = 1_700_000_000_000


def wire(value: object) -> bytes:
    return orjson.dumps(value)


def test_a_workspace_names_the_callers_role_only_when_the_record_has_it() -> None:
    ws = Workspace("w1", "prod", False, LockPolicy.HARD, True, False, T)
    assert wire(accounts.workspace(ws)) == (
        b'{"id":"w1","name":"prod","isDefault":false,"lockPolicy":"hard",'
        b'"approvalEnabled":true,"requireSigned":false,"createTime":1700000000000,"mode":"0",'
        b'"productionWorkspaceId":null}'
    )
    with_role = Workspace("w1", "prod", True, LockPolicy.SOFT, False, True, T, Role.VIEWER)
    assert accounts.workspace(with_role)["role"] == "viewer"
    assert list(accounts.workspace(with_role))[-1] == "role"


def test_users_keep_their_camel_case_and_roles_their_workspace_names() -> None:
    carol = User(7, "carol", False, T, (WorkspaceRole("w1", None, Role.OPERATOR),), ("AK1",))
    assert wire(accounts.user(carol)) == (
        b'{"id":7,"name":"carol","projectAdmin":false,"createTime":1700000000000,'
        b'"roles":[{"workspaceId":"w1","workspace":null,"role":"operator"}],"accessKeys":["AK1"]}'
    )
    assert accounts.created_user(carol) == {"id": 7, "name": "carol", "projectAdmin": False}


def test_studio_look_ups_fill_what_dataarts_has_and_jobferry_does_not() -> None:
    instance = StudioInstance("p1", "jobferry", "simple", T)
    assert workspaces.instances(InstancePage(1, (instance,))) == {
        "billing_check": False,
        "count": 1,
        "commodity_orders": [
            {
                "project_id": "p1",
                "resource_id": "p1",
                "resource_name": "jobferry",
                "resource_type": "hws.resource.type.dayu",
                "status": 2,
                "work_space_mode": "simple",
                "eps_id": "0",
                "create_time": T,
                "domain_id": "p1",
            }
        ],
    }
    assert workspaces.instances(InstancePage(1, ()))["commodity_orders"] == []
    page = StudioWorkspacePage(3, 2, (StudioWorkspace("w1", "prod", True, "p1", T, 4),))
    assert wire(workspaces.workspaces(page)) == (
        b'{"count":3,"total_page":2,"data":[{"id":"w1","name":"prod","description":"",'
        b'"is_default":1,"project_id":"p1","instance_id":"p1","eps_id":"0","domain_id":"p1",'
        b'"create_time":1700000000000,"member_num":4}]}'
    )


def test_keys_and_profiles() -> None:
    assert list(workspaces.signing_key(SigningKey("k1", "ed25519:x", T, "admin"))) == [
        "keyId",
        "publicKey",
        "createTime",
        "createUser",
    ]
    assert workspaces.trusted_key(TrustedKey("k1", "test", "ed25519:x", T, "admin")) == {
        "keyId": "k1",
        "name": "test",
        "publicKey": "ed25519:x",
        "addTime": T,
        "addUser": "admin",
        "distrusted": False,
    }
    gone = TrustedKey("k1", "test", "ed25519:x", T, "admin", T + 1, "bob")
    assert workspaces.trusted_key(gone) == {
        "keyId": "k1",
        "name": "test",
        "publicKey": "ed25519:x",
        "addTime": T,
        "addUser": "admin",
        "distrusted": True,
        "distrustTime": T + 1,
        "distrustUser": "bob",
    }
    listed = ProfileVersion(
        name="prod", version=2, description="d", updated_at=T, updated_by="admin", document=None
    )
    assert "document" not in workspaces.profile(listed)
    full = ProfileVersion(
        name="prod",
        version=2,
        description="d",
        updated_at=T,
        updated_by="admin",
        document={"description": "d"},
    )
    assert list(workspaces.profile(full)) == [
        "name",
        "version",
        "description",
        "updateTime",
        "updateUser",
        "document",
    ]


def test_environment_objects_show_secrets_only_as_set() -> None:
    obj = EnvironmentObject(
        EnvironmentKind.DLI_QUEUE, "q1", "DLI", {"a": 1}, ("password",), T, T + 1, "admin"
    )
    assert wire(environment.environment_object(obj)) == (
        b'{"kind":"dli_queue","name":"q1","type":"DLI","config":{"a":1},'
        b'"secrets":{"password":"set"},"createTime":1700000000000,'
        b'"updateTime":1700000000001,"updateUser":"admin"}'
    )
    assert environment.variables((Variable("a", "variable", "1", "x"),)) == {
        "params": [{"name": "a", "type": "variable", "value": "1", "desc": "x"}]
    }


def test_connections_in_both_api_shapes() -> None:
    conn = Connection("c1", "DWS", {"password": "*********"}, "")
    assert connections.connections(ConnectionPage(5, (conn,))) == {
        "total": 5,
        "connections": [
            {"name": "c1", "type": "DWS", "config": {"password": "*********"}, "description": ""}
        ],
    }
    side = DataConnection(
        "id1", "dc", "DWS", EnvType.PRODUCTION, {"ip": "h"}, "w", "ag", "", "DWS", "admin", T, T
    )
    detail = connections.data_connection(side)
    assert list(detail) == [
        "dw_name",
        "dw_type",
        "create_user",
        "create_time",
        "agent_id",
        "agent_name",
        "dw_id",
        "qualified_name",
        "description",
        "dw_config",
        "env_type",
        "dw_catagory",
        "update_type",
    ]
    assert (detail["env_type"], detail["update_type"], detail["dw_catagory"]) == (1, 0, "DWS")
    listed = connections.data_connections(DataConnectionPage(4, 9, (side,)))
    assert (listed["count"], listed["max_records"], listed["total_size"]) == (1, 4, 9)
    assert "dw_config" not in listed["data_connection_lists"][0]
