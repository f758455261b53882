"""Environment objects (extension): connections & co., with write-only secrets."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from jobferry.domain.enums import EnvironmentKind
from jobferry.services.container import Services
from jobferry.storage.tables import environment_objects, environment_secrets
from support.accounts import default_workspace
from support.builders import make_job
from support.clients import SignedClient, assert_error

PASSWORD = "p@ss-Wr0ng-Kn0wn-7391"
CONN = "/environment/connection/dws_conn"


def dws(secrets: dict[str, str] | None = None, **config: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "DWS",
        "config": {"host": "dws.example", "port": 8000, "user": "loader", **config},
    }
    if secrets is not None:
        body["secrets"] = secrets
    return body


def new_user(api: SignedClient, name: str, role: str) -> SignedClient:
    assert api.call("POST", "/users", {"name": name}).status_code == 200
    cred = api.call("POST", f"/users/{name}/credentials").json()
    ws = default_workspace(api)
    assert api.call("PUT", f"/users/{name}/roles/{ws}", {"role": role}).status_code == 204
    return api.as_user(cred["accessKey"], cred["secretKey"])


def connections(api: SignedClient) -> list[dict[str, Any]]:
    listed = api.call("GET", "/environment/connection").json()
    assert listed["total"] == len(listed["objects"])
    items: list[dict[str, Any]] = listed["objects"]
    return items


def test_put_returns_the_object_with_secrets_only_as_set(api: SignedClient) -> None:
    response = api.call("PUT", CONN, dws({"password": PASSWORD}))
    assert response.status_code == 200, response.text
    assert PASSWORD not in response.text
    body = response.json()
    assert body["kind"] == "connection"
    assert body["name"] == "dws_conn"
    assert body["type"] == "DWS"
    assert body["config"] == dws()["config"]
    assert body["secrets"] == {"password": "set"}
    assert body["updateUser"] == "admin"
    assert isinstance(body["createTime"], int)


def test_the_secret_value_appears_in_no_response_and_not_in_the_audit_log(
    api: SignedClient,
) -> None:
    put = api.call("PUT", CONN, dws({"password": PASSWORD}))
    one = api.call("GET", CONN)
    listed = api.call("GET", "/environment/connection")
    audit = api.call("GET", "/audit", query={"limit": 100})
    for response in (put, one, listed, audit):
        assert response.status_code == 200, response.text
        assert PASSWORD not in response.text
    assert one.json()["secrets"] == {"password": "set"}
    assert listed.json()["objects"][0]["secrets"] == {"password": "set"}
    entries = audit.json()["entries"]
    assert [(e["action"], e["objectName"]) for e in entries[:1]] == [
        ("environment.create", "dws_conn")
    ]


def test_the_secret_is_not_stored_in_plain_text(api: SignedClient, services: Services) -> None:
    api.call("PUT", CONN, dws({"password": PASSWORD}))
    with services.db.engine.connect() as conn:
        secret_rows = [tuple(r) for r in conn.execute(sa.select(environment_secrets))]
        object_rows = [tuple(r) for r in conn.execute(sa.select(environment_objects))]
        audit_rows = [tuple(r) for r in conn.exec_driver_sql("SELECT * FROM audit_log")]
    assert len(secret_rows) == 1
    for row in (*secret_rows, *object_rows, *audit_rows):
        assert all(PASSWORD not in str(value) for value in row), row


def test_put_without_secrets_keeps_the_stored_ones(api: SignedClient) -> None:
    api.call("PUT", CONN, dws({"password": PASSWORD, "token": "t0ken-value"}))
    response = api.call("PUT", CONN, dws(port=9000))
    assert response.status_code == 200, response.text
    assert response.json()["secrets"] == {"password": "set", "token": "set"}
    shown = api.call("GET", CONN).json()
    assert shown["config"]["port"] == 9000
    assert shown["secrets"] == {"password": "set", "token": "set"}
    assert len(connections(api)) == 1


def test_put_with_empty_secrets_clears_them(api: SignedClient) -> None:
    api.call("PUT", CONN, dws({"password": PASSWORD}))
    response = api.call("PUT", CONN, dws({}))
    assert response.status_code == 200, response.text
    assert response.json()["secrets"] == {}
    assert api.call("GET", CONN).json()["secrets"] == {}


def test_put_with_new_secrets_replaces_the_set(api: SignedClient) -> None:
    api.call("PUT", CONN, dws({"password": PASSWORD, "token": "t0ken-value"}))
    response = api.call("PUT", CONN, dws({"password": "another-secret"}))
    assert response.json()["secrets"] == {"password": "set"}
    assert "another-secret" not in response.text


def test_unknown_kind_is_refused_listing_the_kinds(api: SignedClient) -> None:
    response = api.call("PUT", "/environment/database/dws_conn", dws())
    assert_error(response, "DLF.3051", "database", *(k.value for k in EnvironmentKind))
    for method in ("GET", "DELETE"):
        assert_error(api.call(method, "/environment/database/dws_conn"), "DLF.3051", "connection")
    assert_error(api.call("GET", "/environment/database"), "DLF.3051", "dli_queue")
    assert connections(api) == []


def test_body_without_type_is_refused_and_stores_nothing(api: SignedClient) -> None:
    body = dws({"password": PASSWORD})
    del body["type"]
    response = api.call("PUT", CONN, body)
    assert_error(response, "DLF.3051", "dws_conn", "type")
    assert PASSWORD not in response.text
    assert connections(api) == []
    assert_error(api.call("GET", CONN), "DLF.9004")


def test_config_that_is_not_an_object_is_refused_and_stores_nothing(api: SignedClient) -> None:
    response = api.call("PUT", CONN, {"type": "DWS", "config": ["host", "port"]})
    assert_error(response, "DLF.3051", "config")
    assert connections(api) == []


def test_other_bad_bodies_are_refused_and_change_nothing(api: SignedClient) -> None:
    api.call("PUT", CONN, dws({"password": PASSWORD}))
    before = api.call("GET", CONN).json()
    for body, word in (
        ({"type": "DWS", "config": {}, "secrets": {"password": 1}}, "secrets"),
        ({"type": "DWS", "config": {}, "secrets": "plain"}, "secrets"),
        ({"type": "", "config": {}}, "type"),
        ({"type": "DWS", "config": {}, "password": PASSWORD}, "password"),
        ([], "JSON object"),
    ):
        response = api.call("PUT", CONN, body)
        assert_error(response, "DLF.3051", word)
        assert PASSWORD not in response.text
    assert api.call("GET", CONN).json() == before


def test_bad_object_name_is_refused(api: SignedClient) -> None:
    response = api.call("PUT", "/environment/connection/bad%20name!", dws())
    assert_error(response, "DLF.3051", "name")
    assert connections(api) == []


def test_kinds_are_separate_namespaces(api: SignedClient) -> None:
    api.call("PUT", CONN, dws())
    queue = api.call("PUT", "/environment/dli_queue/dws_conn", {"type": "DLI", "config": {}})
    assert queue.status_code == 200, queue.text
    assert [o["kind"] for o in connections(api)] == ["connection"]
    queues = api.call("GET", "/environment/dli_queue").json()["objects"]
    assert [(o["kind"], o["name"]) for o in queues] == [("dli_queue", "dws_conn")]
    every = api.call("GET", "/environment").json()  # every kind, by kind and name
    assert [(o["kind"], o["name"]) for o in every["objects"]] == [
        ("connection", "dws_conn"),
        ("dli_queue", "dws_conn"),
    ]
    assert every["total"] == 2
    assert "p@ss" not in str(every)


def test_delete_removes_the_object_and_its_secrets(api: SignedClient, services: Services) -> None:
    api.call("PUT", CONN, dws({"password": PASSWORD}))
    response = api.call("DELETE", CONN)
    assert response.status_code == 204, response.text
    assert_error(api.call("GET", CONN), "DLF.9004", "dws_conn")
    assert connections(api) == []
    with services.db.engine.connect() as conn:
        assert (
            conn.execute(sa.select(sa.func.count()).select_from(environment_secrets)).scalar() == 0
        )


def test_delete_is_refused_with_dlf_9013_while_a_job_references_it(api: SignedClient) -> None:
    api.call("PUT", CONN, dws({"password": PASSWORD}))
    assert api.call("POST", "/jobs", make_job()).status_code == 204
    response = api.call("DELETE", CONN)
    assert_error(response, "DLF.9013", "dws_conn", "daily_sales")
    assert response.json()["jobs"] == ["daily_sales"]
    assert api.call("GET", CONN).json()["secrets"] == {"password": "set"}

    api.call("DELETE", "/jobs/daily_sales")
    assert api.call("DELETE", CONN).status_code == 204


def test_delete_of_an_unknown_object_answers_dlf_9004(api: SignedClient) -> None:
    response = api.call("DELETE", "/environment/connection/nowhere")
    assert_error(response, "DLF.9004", "nowhere", "not registered")
    assert_error(api.call("GET", "/environment/connection/nowhere"), "DLF.9004", "nowhere")


def test_developer_may_read_but_not_put_or_delete(api: SignedClient) -> None:
    api.call("PUT", CONN, dws({"password": PASSWORD}))
    before = api.call("GET", CONN).json()
    developer = new_user(api, "dave", "developer")

    shown = developer.call("GET", CONN)
    assert shown.status_code == 200
    assert shown.json() == before
    assert PASSWORD not in shown.text
    assert developer.call("GET", "/environment/connection").json()["total"] == 1

    refused = developer.call("PUT", CONN, dws({"password": "mine"}, port=1))
    assert_error(refused, "DLF.6888", "dave", "developer", status=403)
    refused = developer.call("PUT", "/environment/connection/new_conn", dws())
    assert_error(refused, "DLF.6888", status=403)
    refused = developer.call("DELETE", CONN)
    assert_error(refused, "DLF.6888", "dave", "developer", status=403)
    assert api.call("GET", CONN).json() == before
    assert len(connections(api)) == 1


def test_objects_of_another_workspace_are_invisible(api: SignedClient) -> None:
    ws_b = api.call("POST", "/workspaces", {"name": "team_b"}).json()["id"]
    api.call("PUT", CONN, dws({"password": PASSWORD}))
    assert_error(api.call("GET", CONN, workspace=ws_b), "DLF.9004", "team_b")
    assert api.call("GET", "/environment/connection", workspace=ws_b).json()["total"] == 0
    assert_error(api.call("DELETE", CONN, workspace=ws_b), "DLF.9004")
    assert len(connections(api)) == 1
