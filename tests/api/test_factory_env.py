"""Workspace environment variables: GET/PUT /v2/{project_id}/factory/env."""

from __future__ import annotations

from typing import Any

from support.accounts import new_user
from support.clients import SignedClient, assert_error
from support.importing import new_workspace


def env(api: SignedClient, method: str, body: Any = None, **kw: Any) -> Any:
    return api.call(method, "/factory/env", body, version="v2", **kw)


def test_put_answers_success_and_get_lists_the_variables_by_name(api: SignedClient) -> None:
    params = [
        {"name": "env_db", "type": "variable", "value": "db_dev", "desc": "database"},
        {"name": "batch", "value": "05"},
    ]

    saved = env(api, "PUT", {"params": params})

    assert saved.status_code == 200, saved.text
    assert saved.json() == {"is_success": True, "status_code": 200}
    assert env(api, "GET").json() == {
        "params": [
            {"name": "batch", "type": "variable", "value": "05", "desc": ""},
            {"name": "env_db", "type": "variable", "value": "db_dev", "desc": "database"},
        ]
    }


def test_put_replaces_the_named_variables_and_keeps_the_others(api: SignedClient) -> None:
    env(api, "PUT", {"params": [{"name": "a", "value": "1"}, {"name": "b", "value": "2"}]})

    env(api, "PUT", {"params": [{"name": "b", "value": "3", "type": "constant"}]})

    shown = {p["name"]: (p["value"], p["type"]) for p in env(api, "GET").json()["params"]}
    assert shown == {"a": ("1", "variable"), "b": ("3", "constant")}


def test_variables_belong_to_their_workspace(api: SignedClient) -> None:
    prod = new_workspace(api, "prod")
    env(api, "PUT", {"params": [{"name": "a", "value": "dev"}]})
    env(api, "PUT", {"params": [{"name": "a", "value": "prod"}]}, workspace=prod)

    assert env(api, "GET").json()["params"][0]["value"] == "dev"
    assert env(api, "GET", workspace=prod).json()["params"][0]["value"] == "prod"


def test_invalid_variables_are_refused_all_at_once(api: SignedClient) -> None:
    body = {
        "params": [
            {"name": "bad name", "value": "x"},
            {"name": "n", "value": 5},
            {"name": "d", "value": "1"},
            {"name": "d", "value": "2"},
        ]
    }
    assert_error(env(api, "PUT", body), "DLF.3051", "bad name", "value", "more than once")
    assert_error(env(api, "PUT", {"variables": []}), "DLF.3051", "params")
    assert env(api, "GET").json() == {"params": []}


def test_viewers_read_but_may_not_write(api: SignedClient) -> None:
    viewer = new_user(api, "vera", "viewer")
    env(api, "PUT", {"params": [{"name": "a", "value": "1"}]})

    assert env(viewer, "GET").status_code == 200
    assert_error(env(viewer, "PUT", {"params": []}), "DLF.6888", "vera", status=403)


def test_put_accepts_and_ignores_fields_it_has_no_use_for(api: SignedClient) -> None:
    """EnvRequestBody is DataArts' body: a field jobferry has no use for (a newer SDK's, or
    one the console sends) is ignored, as every DataArts body's is, not refused."""
    body = {
        "params": [{"name": "a", "value": "1", "id": "7", "workspace": "ws"}],
        "publish_type": "asy",
    }

    saved = env(api, "PUT", body)

    assert saved.status_code == 200, saved.text
    assert env(api, "GET").json() == {
        "params": [{"name": "a", "type": "variable", "value": "1", "desc": ""}]
    }


def test_a_variable_without_its_value_is_refused_saying_it_is_missing(
    api: SignedClient,
) -> None:
    """The SDK leaves out a value it was not given: the refusal says the value is missing
    (and how to give an empty one), not that it is not text; nothing is saved."""
    refused = env(api, "PUT", {"params": [{"name": "ok", "value": "1"}, {"name": "a"}]})

    assert_error(refused, "DLF.3051", "params[1].value is missing", '""')
    assert "quote numbers" not in refused.json()["error_msg"]
    assert env(api, "GET").json() == {"params": []}
