"""Every write the API serves leaves its audit entry, and a refused one none.

docs/operations.md promises "every change made through the server is one audit entry". This
walks the OpenAPI document's write operations (POST, PUT, PATCH, DELETE): each is in
``WRITES`` as :class:`Audited` (the actions one successful call writes) or :class:`Exempt`
(why it changes nothing an audit asks about), so a write route added without either fails
here. Then every write operation is called as a refusal would come (unknown names, an empty
body): a refused call writes no entry (an import's or plan's refusal of its package is one
``import.refused``, as documented), and a call that succeeds writes what its row says. Last,
a successful call of each audited operation the table can make here writes exactly its
entries, naming the caller, an object kind and the object; the operations it cannot make in
one workspace (remotes, releases, promotions, imports) name the test that shows their entry.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from jobferry.package.approvals import sign_statement
from jobferry.package.keys import generate_key_pair
from jobferry.services.container import Services
from jobferry.storage import audit as audit_repo
from jobferry.storage.audit import AuditRow
from support.accounts import default_workspace, new_user
from support.builders import make_job, make_resource, make_script
from support.clients import PROJECT_ID, SignedClient, wait_task
from support.console import PASSWORD, make_user
from support.exporting import seed
from support.importing import connected_workspace, new_workspace, run_import, upload

TESTS = Path(__file__).parents[1]
Call = Callable[[SignedClient, Services], Callable[[], Any]]
"""Prepares what a write needs (in the default workspace, as the admin) and answers the call
whose entries are counted."""


@dataclass(frozen=True)
class Audited:
    """A write whose successful call writes ``actions``, in that order (one for most)."""

    actions: tuple[str, ...]
    call: Call | None = None
    shown_by: str = ""
    """``tests/…py::test_name`` that shows the entry when ``call`` is ``None`` (the write
    needs a remote or an enterprise workspace to succeed)."""
    by: str = "admin"
    """Who the call's entries name: the user who made the call."""


@dataclass(frozen=True)
class Exempt:
    """A write operation that writes no entry, and why that is right."""

    why: str


def one(action: str, call: Call | None = None, shown_by: str = "", by: str = "admin") -> Audited:
    return Audited((action,), call, shown_by, by)


UNSERVED = Exempt("refused with DLF.9501 (not served): changes nothing")
READS = Exempt("a read or a check sent as POST: changes nothing")


# -- what a successful call needs ------------------------------------------------------------


def _ok(response: Any) -> Any:
    assert response.status_code < 300, response.text
    return response


def _job(api: SignedClient, name: str = "daily_sales", status: str = "SUBMITTED") -> None:
    _ok(api.call("POST", "/scripts", make_script(f"{name}_sql")))
    _ok(api.call("POST", "/jobs", make_job(name, script=f"{name}_sql", targetStatus=status)))


def _resource(api: SignedClient) -> str:
    return str(_ok(api.call("POST", "/resources", make_resource())).json()["resourceId"])


def _user(api: SignedClient, name: str = "ada") -> None:
    _ok(api.call("POST", "/users", {"name": name}))


def _dws(name: str = "dws_conn") -> dict[str, Any]:
    config = {"clusterName": "dws-test", "userName": "loader", "password": "Pa55-word-12"}
    return {"name": name, "type": "DWS", "config": config}


def _prod(api: SignedClient) -> str:
    ws = new_workspace(api, "prod")
    _ok(api.call("PUT", "/profiles/prod", {"params": {"env": "prod"}}, workspace=ws))
    return ws


ROUTE: dict[str, Any] = {
    "source": {"workspace": "default"},
    "target": {"workspace": "prod"},
    "selection": {"kind": "FOLDERS", "values": ["/sales"]},
    "profile": "prod",
}


def _now(method: str, path: str, body: Any = None, **kw: Any) -> Call:
    """A write that needs nothing made first."""
    return lambda api, _: lambda: api.call(method, path, body, **kw)


def _after(
    prepare: Callable[[SignedClient], Any], method: str, path: str, body: Any = None
) -> Call:
    """A write after ``prepare`` (whose answer, when text, fills ``{}`` in the path)."""

    def call(api: SignedClient, _: Services) -> Callable[[], Any]:
        made = prepare(api)
        filled = path.format(made) if isinstance(made, str) else path
        return lambda: api.call(method, filled, body)

    return call


def _rename(api: SignedClient, _: Services) -> Callable[[], Any]:
    _job(api)
    ws = {"workspace": default_workspace(api)}
    body = {"name": "daily_sales_v2"}
    return lambda: api.call("PUT", "/factory/jobs/daily_sales/rename", body, version="v2", **ws)


def _submitted_twice(api: SignedClient) -> None:
    """daily_sales (and its script), submitted as version 1, then 2 with another parameter."""
    _job(api)
    job = make_job(script="daily_sales_sql", targetStatus="SUBMITTED")
    _ok(api.call("PUT", "/jobs/daily_sales", job))
    job["params"][0]["value"] = "changed"
    _ok(api.call("PUT", "/jobs/daily_sales", job))


def _script_submitted_twice(api: SignedClient) -> None:
    """daily_sales_sql submitted as version 1, then 2 with other content."""
    _ok(api.call("POST", "/scripts", make_script(targetStatus="SUBMITTED")))
    changed = make_script(content="select 2;", targetStatus="SUBMITTED")
    _ok(api.call("PUT", "/scripts/daily_sales_sql", changed))


def _data_connection(api: SignedClient) -> str:
    ws = default_workspace(api)
    body = {"mode": 0, "visible": 1, "data_source_vos": [_data_source()]}
    _ok(api.call("POST", "/data-connections", body, workspace=ws))
    listed = api.call("GET", "/data-connections", workspace=ws).json()
    return str(listed["data_connection_lists"][0]["dw_id"])


def _data_source() -> dict[str, Any]:
    return {
        "dw_name": "dws_link",
        "dw_type": "DWS",
        "dw_config": {"ip": "10.1.2.3", "port": "8000", "db_password": "Pa55-word-12"},
        "agent_id": "0123456789abcdef0123456789abcdef0123",
        "agent_name": "cdm-1",
        "env_type": 0,
        "dw_category": "DWS",
    }


def _on_data_connection(method: str, body: Any = None) -> Call:
    def call(api: SignedClient, _: Services) -> Callable[[], Any]:
        dw_id, ws = _data_connection(api), default_workspace(api)
        return lambda: api.call(method, f"/data-connections/{dw_id}", body, workspace=ws)

    return call


def _create_data_connection(api: SignedClient, _: Services) -> Callable[[], Any]:
    ws = default_workspace(api)
    body = {"mode": 0, "visible": 1, "data_source_vos": [_data_source()]}
    return lambda: api.call("POST", "/data-connections", body, workspace=ws)


def _approval_key(api: SignedClient) -> str:
    pair = generate_key_pair()
    found = _ok(api.call("POST", "/users/me/approval-keys", {"publicKey": pair.public_key}))
    return str(found.json()["keyId"])


def _trusted(api: SignedClient) -> str:
    pair = generate_key_pair()
    found = _ok(api.call("POST", "/trusted-keys", {"publicKey": pair.public_key, "name": "ci"}))
    return str(found.json()["keyId"])


def _new_key(api: SignedClient, _: Services) -> Callable[[], Any]:
    pair = generate_key_pair()
    return lambda: api.call("POST", "/trusted-keys", {"publicKey": pair.public_key, "name": "c"})


def _leaked_key(api: SignedClient, _: Services) -> Callable[[], Any]:
    pair = generate_key_pair()
    return lambda: api.call("POST", "/trusted-keys/distrust", {"publicKey": pair.public_key})


def _my_key(api: SignedClient, _: Services) -> Callable[[], Any]:
    pair = generate_key_pair()
    return lambda: api.call("POST", "/users/me/approval-keys", {"publicKey": pair.public_key})


def _credential(api: SignedClient) -> str:
    _user(api)
    return str(_ok(api.call("POST", "/users/ada/credentials")).json()["accessKey"])


def token_body(user: str, password: str) -> dict[str, Any]:
    """An IAM token request for ``user`` in the test project."""
    who = {"name": user, "password": password, "domain": {"name": "account"}}
    identity = {"methods": ["password"], "password": {"user": who}}
    return {"auth": {"identity": identity, "scope": {"project": {"id": PROJECT_ID}}}}


def _token_issue(api: SignedClient, services: Services) -> Callable[[], Any]:
    make_user(services, "alice", None)
    return lambda: api.client.post("/v3/auth/tokens", json=token_body("alice", PASSWORD))


def _token_revoke(api: SignedClient, services: Services) -> Callable[[], Any]:
    make_user(services, "alice", None)
    answer = api.client.post("/v3/auth/tokens", json=token_body("alice", PASSWORD))
    token = _ok(answer).headers["X-Subject-Token"]
    headers = {"X-Auth-Token": token, "X-Subject-Token": token}
    return lambda: api.client.delete("/v3/auth/tokens", headers=headers)


def _started(api: SignedClient) -> str:
    _job(api)
    _ok(api.call("POST", "/jobs/daily_sales/start", {}))
    return "daily_sales"


def _locked(api: SignedClient) -> str:
    _job(api)
    _ok(api.call("POST", "/locks/job/daily_sales"))
    return "daily_sales"


def _download(api: SignedClient) -> str:
    _job(api)
    started = _ok(api.call("POST", "/exports", {"mode": "names", "names": ["daily_sales"]}))
    task = wait_task(api, started.json()["taskId"])
    assert task["status"] == "SUCCESSFUL", task
    return str(api.call("GET", "/downloads").json()["downloads"][0]["id"])


def _in(ws: str, method: str, path: str, body: Any = None) -> Callable[[SignedClient], Any]:
    """A call in workspace ``ws`` that, when it starts a task, waits for its end."""

    def call(api: SignedClient) -> Any:
        answer = _ok(api.call(method, path, body, workspace=ws))
        started = answer.json() if answer.content[:1] == b"{" else {}
        if isinstance(started, dict) and started.get("taskId"):
            task = wait_task(api, started["taskId"], ws)
            assert task["status"] in ("SUCCESSFUL", "WARNING"), task
        return answer

    return call


def _exported(api: SignedClient) -> tuple[str, str]:
    """prod (with the connections the jobs use) holding an upload of daily_sales' package:
    (prod's id, the upload's path)."""
    seed(api)
    data = _ok(api.call("POST", "/jobs/batch-export", {"jobList": ["daily_sales"]})).content
    prod = connected_workspace(api)
    return prod, upload(api, data, prod)


def _import(api: SignedClient, _: Services) -> Callable[[], Any]:
    prod, path = _exported(api)
    return lambda: _in(prod, "POST", "/jobs/import", {"path": path})(api)


def _rollback(api: SignedClient, _: Services) -> Callable[[], Any]:
    prod, path = _exported(api)
    task = run_import(api, {"path": path}, workspace=prod)
    return lambda: _in(prod, "POST", f"/system-tasks/{task['id']}/rollback")(api)


def _export(api: SignedClient, _: Services) -> Callable[[], Any]:
    _job(api)
    ws = default_workspace(api)
    return lambda: _in(ws, "POST", "/exports", {"mode": "names", "names": ["daily_sales"]})(api)


def _connections_import(api: SignedClient, _: Services) -> Callable[[], Any]:
    _ok(api.call("POST", "/connections", _dws()))
    data = _ok(api.call("POST", "/connections/export")).content
    prod = new_workspace(api, "prod")
    path = upload(api, data, prod)
    body = {"path": path, "params": [{"name": "dws_conn", "params": {"password": "Pa55-word-34"}}]}
    return lambda: _in(prod, "POST", "/connections/import", body)(api)


PLAIN_ROUTE = {"source": {"workspace": "default"}, "target": {"workspace": "prod"}}


def _apply(api: SignedClient, _: Services) -> Callable[[], Any]:
    seed(api)
    prod = connected_workspace(api)
    _ok(api.call("PUT", "/routes/test-prod", PLAIN_ROUTE))
    plan_id = _ok(api.call("POST", "/routes/test-prod/plans", {})).json()["plan"]["planId"]
    return lambda: _in(prod, "POST", f"/routes/test-prod/plans/{plan_id}/apply")(api)


def _approve(api: SignedClient, _: Services) -> Callable[[], Any]:
    seed(api)
    prod = connected_workspace(api)
    ada = new_user(api, "ada", "developer", prod)  # an approver is a member of the target
    route = {**PLAIN_ROUTE, "approvals": {"required": 1, "approvers": ["ada"]}}
    _ok(api.call("PUT", "/routes/test-prod", route))
    plan_id = _ok(api.call("POST", "/routes/test-prod/plans", {})).json()["plan"]["planId"]
    pair = generate_key_pair()
    _ok(ada.call("POST", "/users/me/approval-keys", {"publicKey": pair.public_key}))
    path = f"/routes/test-prod/plans/{plan_id}/approvals"
    found = _ok(ada.call("GET", path)).json()
    signature = sign_statement(pair.private_pem, found["statement"])
    body = {"keyId": pair.key_id, "planHash": found["planHash"], "signature": signature}
    return lambda: ada.call("POST", path, body)


REMOTES = (
    "tests/unit/services/remotes/test_audit_trail.py::"
    "test_each_change_to_a_remote_is_one_entry_by_the_admin"
)
TRAIL = "tests/unit/services/releases/test_audit_trail.py"
RELEASE_STEPS = f"{TRAIL}::test_each_step_of_a_release_writes_one_entry_by_who_took_it"
RELEASE_OTHERS = (
    f"{TRAIL}::test_a_cancelled_package_and_a_signed_release_taken_in_write_their_entry"
)
ENTERPRISE = f"{TRAIL}::test_switching_a_workspace_to_enterprise_mode_is_one_entry"
J, S, R = "/v1/{project_id}/jobs", "/v1/{project_id}/scripts", "/v1/{project_id}/resources"
V1, V2 = "/v1/{project_id}", "/v2/{project_id}"
RELEASES = f"{V2}/factory/release-packages"

WRITES: dict[str, Audited | Exempt] = {
    # jobs, scripts, resources
    f"POST {J}": one(
        "job.create",
        _after(lambda a: _job(a, "other"), "POST", "/jobs", make_job("x", script="other_sql")),
    ),
    f"PUT {J}/{{job_name}}": one(
        "job.update", _after(_job, "PUT", "/jobs/daily_sales", make_job(script="daily_sales_sql"))
    ),
    f"DELETE {J}/{{job_name}}": one("job.delete", _after(_job, "DELETE", "/jobs/daily_sales")),
    f"POST {J}/{{job_name}}/start": one(
        "job.start", _after(_job, "POST", "/jobs/daily_sales/start", {})
    ),
    f"POST {J}/{{job_name}}/stop": one("job.stop", _after(_started, "POST", "/jobs/{}/stop")),
    f"POST {S}": one("script.create", _now("POST", "/scripts", make_script())),
    f"PUT {S}/{{script_name}}": one(
        "script.update",
        _after(
            lambda a: a.call("POST", "/scripts", make_script()),
            "PUT",
            "/scripts/daily_sales_sql",
            make_script(content="select 2;"),
        ),
    ),
    f"DELETE {S}/{{script_name}}": one(
        "script.delete",
        _after(
            lambda a: a.call("POST", "/scripts", make_script()),
            "DELETE",
            "/scripts/daily_sales_sql",
        ),
    ),
    f"POST {R}": one("resource.create", _now("POST", "/resources", make_resource())),
    f"PUT {R}/{{resource_id}}": one(
        "resource.update", _after(_resource, "PUT", "/resources/{}", make_resource(desc="v2"))
    ),
    f"DELETE {R}/{{resource_id}}": one(
        "resource.delete", _after(_resource, "DELETE", "/resources/{}")
    ),
    f"PUT {V2}/factory/jobs/{{job_name}}/rename": one("job.rename", _rename),
    f"POST {J}/{{job_name}}/versions/{{version}}/restore": one(
        "job.update", _after(_submitted_twice, "POST", "/jobs/daily_sales/versions/1/restore")
    ),
    f"POST {J}/{{job_name}}/submit": one(
        "job.update",
        _after(lambda a: _job(a, "draft_job", "SAVED"), "POST", "/jobs/draft_job/submit"),
    ),
    f"POST {S}/{{script_name}}/submit": one(
        "script.update",
        _after(
            lambda a: a.call("POST", "/scripts", make_script(targetStatus="SAVED")),
            "POST",
            "/scripts/daily_sales_sql/submit",
        ),
    ),
    f"POST {S}/{{script_name}}/versions/{{version}}/restore": one(
        "script.update",
        _after(_script_submitted_twice, "POST", "/scripts/daily_sales_sql/versions/1/restore"),
    ),
    # moving jobs: exports, imports, downloads, rollbacks
    f"POST {J}/import/plan": Exempt(
        "a plan is a dry run: it changes nothing (a package refused before it is import.refused)"
    ),
    f"POST {J}/import": one("import.apply", _import),
    f"POST {J}/check-file": READS,
    f"POST {V1}/packages": Exempt(
        "an upload is kept for a plan or import, which the log names it by; it changes "
        "nothing and expires"
    ),
    f"POST {J}/batch-export": one(
        "package.export", _after(_job, "POST", "/jobs/batch-export", {"jobList": ["daily_sales"]})
    ),
    f"POST {J}/{{job_name}}/export": one(
        "package.export", _after(_job, "POST", "/jobs/daily_sales/export", {})
    ),
    f"POST {V1}/exports/check-names": READS,
    f"POST {V1}/exports": one("package.generate", _export),
    f"DELETE {V1}/downloads/{{download_id}}": one(
        "package.delete", _after(_download, "DELETE", "/downloads/{}")
    ),
    f"POST {V1}/system-tasks/{{task_id}}/rollback": one("import.rollback", _rollback),
    # profiles, policies, keys, routes
    f"POST {V1}/profiles/check": READS,
    f"PUT {V1}/profiles/{{name}}": one(
        "profile.put", _now("PUT", "/profiles/prod", {"params": {"env": "prod"}})
    ),
    f"DELETE {V1}/profiles/{{name}}": one(
        "profile.delete",
        _after(
            lambda a: a.call("PUT", "/profiles/prod", {"params": {"env": "prod"}}),
            "DELETE",
            "/profiles/prod",
        ),
    ),
    f"PUT {V1}/policies/workspace": one(
        "policy.put", _now("PUT", "/policies/workspace", {"maxDeletions": 3})
    ),
    f"PUT {V1}/policies/routes/{{name}}": one(
        "policy.put",
        _after(
            lambda a: (_prod(a), a.call("PUT", "/routes/test-prod", ROUTE)),
            "PUT",
            "/policies/routes/test-prod",
            {"maxDeletions": 3},
        ),
    ),
    f"POST {V1}/signing-key": one("key.create", _now("POST", "/signing-key")),
    f"DELETE {V1}/signing-key": one(
        "key.delete", _after(lambda a: a.call("POST", "/signing-key"), "DELETE", "/signing-key")
    ),
    f"POST {V1}/trusted-keys": one("key.trust", _new_key),
    f"POST {V1}/trusted-keys/distrust": one("key.distrust", _leaked_key),
    f"DELETE {V1}/trusted-keys/{{key_id}}": one(
        "key.distrust", _after(_trusted, "DELETE", "/trusted-keys/{}")
    ),
    f"PUT {V1}/routes/{{name}}": Audited(
        ("route.put", "route.put"), _after(_prod, "PUT", "/routes/test-prod", ROUTE)
    ),
    f"DELETE {V1}/routes/{{name}}": Audited(
        ("route.delete", "route.delete"),
        _after(
            lambda a: (_prod(a), a.call("PUT", "/routes/test-prod", ROUTE)),
            "DELETE",
            "/routes/test-prod",
        ),
    ),
    f"POST {V1}/routes/{{name}}/package": Exempt(
        "cuts the route's package and keeps it in the target as an upload and a promotion "
        "waiting for its import (a package carried out is package.generate, as any package of "
        "the download center): no workspace changes until the import, which is import.apply"
    ),
    f"POST {V1}/routes/{{name}}/promotions": Exempt(
        "takes in a package carried from another server as a promotion waiting for its "
        "import: no workspace changes until the import, which is import.apply"
    ),
    f"POST {V1}/routes/{{name}}/promotions/{{promotion_id}}": Exempt(
        "ties an import (its own import.apply entry) to the route's promotion: bookkeeping "
        "of the route's history, which names the import's task and its user"
    ),
    f"POST {V1}/routes/{{name}}/plans": Exempt("a plan is a dry run: it changes nothing"),
    f"POST {V1}/routes/{{name}}/plans/{{plan_id}}/apply": one("import.apply", _apply),
    f"POST {V1}/routes/{{name}}/plans/{{plan_id}}/approvals": one(
        "route.approve", _approve, by="ada"
    ),
    # remotes
    f"POST {V1}/remotes": one("remote.add", shown_by=REMOTES),
    f"PATCH {V1}/remotes/{{name}}": one("remote.change", shown_by=REMOTES),
    f"DELETE {V1}/remotes/{{name}}": one("remote.remove", shown_by=REMOTES),
    f"POST {V1}/remotes/{{name}}/test": Exempt("a probe of the remote's endpoint: changes nothing"),
    f"POST {V1}/remotes/{{name}}/refresh": one("remote.refresh", shown_by=REMOTES),
    # the environment: connections, variables
    f"PUT {V1}/environment/{{kind}}/{{name}}": one(
        "environment.create",
        _now("PUT", "/environment/connection/dws_conn", {"type": "DWS", "config": {"host": "db"}}),
    ),
    f"DELETE {V1}/environment/{{kind}}/{{name}}": one(
        "environment.delete",
        _after(
            lambda a: a.call(
                "PUT", "/environment/connection/dws_conn", {"type": "DWS", "config": {"host": "db"}}
            ),
            "DELETE",
            "/environment/connection/dws_conn",
        ),
    ),
    f"POST {V1}/connections/export": Exempt(
        "answers the connections in the response (secrets left out): a read"
    ),
    f"POST {V1}/connections/import": one("environment.create", _connections_import),
    f"POST {V1}/connections": one("environment.create", _now("POST", "/connections", _dws())),
    f"PUT {V1}/connections/{{connection_name}}": one(
        "environment.update",
        _after(
            lambda a: a.call("POST", "/connections", _dws()), "PUT", "/connections/dws_conn", _dws()
        ),
    ),
    f"DELETE {V1}/connections/{{connection_name}}": one(
        "environment.delete",
        _after(lambda a: a.call("POST", "/connections", _dws()), "DELETE", "/connections/dws_conn"),
    ),
    f"POST {V1}/data-connections/validation": READS,
    f"POST {V1}/data-connections": one("environment.create", _create_data_connection),
    f"PUT {V1}/data-connections/{{data_connection_id}}": one(
        "environment.update",
        _on_data_connection("PUT", {"mode": 0, "visible": 1, "data_source_vos": [_data_source()]}),
    ),
    f"DELETE {V1}/data-connections/{{data_connection_id}}": one(
        "environment.delete", _on_data_connection("DELETE")
    ),
    f"PUT {V2}/factory/env": one(
        "variable.create",
        _now(
            "PUT", "/factory/env", {"params": [{"name": "env_db", "value": "db_dev"}]}, version="v2"
        ),
    ),
    # releases (enterprise mode)
    f"POST {V2}/factory/pending-items/package": one("release.package", shown_by=RELEASE_STEPS),
    f"POST {RELEASES}": READS,
    f"POST {RELEASES}/deploy": one("release.deploy", shown_by=RELEASE_STEPS),
    f"POST {RELEASES}/unpack": one("release.cancel", shown_by=RELEASE_OTHERS),
    f"POST {RELEASES}/{{package_id}}/plan": one("release.replan", shown_by=RELEASE_STEPS),
    f"POST {RELEASES}/{{package_id}}/approvals": one("release.approve", shown_by=RELEASE_STEPS),
    f"POST {RELEASES}/signed-release": one("release.carried", shown_by=RELEASE_OTHERS),
    f"POST {RELEASES}/{{package_id}}/rollback": one("release.rollback", shown_by=RELEASE_STEPS),
    f"POST {RELEASES}/{{package_id}}/restore": one("release.restore", shown_by=RELEASE_STEPS),
    f"POST {V2}/factory/release-ledger/{{entry_id}}/restore": one(
        "release.restore", shown_by=RELEASE_STEPS
    ),
    f"PUT {V1}/approval-rule": one("release.approval_rule", shown_by=RELEASE_STEPS),
    f"POST {V1}/users/me/approval-keys": one("approval_key.register", _my_key),
    f"DELETE {V1}/users/me/approval-keys/{{key_id}}": one(
        "approval_key.revoke", _after(_approval_key, "DELETE", "/users/me/approval-keys/{}")
    ),
    # administration
    f"POST {V1}/workspaces": one(
        "workspace.create", _now("POST", "/workspaces", {"name": "team_b"})
    ),
    f"PUT {V1}/workspaces/{{workspace_id}}": one(
        "workspace.update",
        _after(default_workspace, "PUT", "/workspaces/{}", {"lockPolicy": "hard"}),
    ),
    f"PUT {V1}/{{instance_id}}/workspace/{{workspace_id}}": one(
        "workspace.enterprise", shown_by=ENTERPRISE
    ),
    f"POST {V1}/users": one("user.create", _now("POST", "/users", {"name": "ada"})),
    f"PUT {V1}/users/{{user_name}}": one(
        "user.project_admin", _after(_user, "PUT", "/users/ada", {"projectAdmin": True})
    ),
    f"DELETE {V1}/users/{{user_name}}": one("user.remove", _after(_user, "DELETE", "/users/ada")),
    f"POST {V1}/users/{{user_name}}/credentials": one(
        "credential.create", _after(_user, "POST", "/users/ada/credentials")
    ),
    f"DELETE {V1}/users/{{user_name}}/credentials/{{access_key}}": one(
        "credential.delete", _after(_credential, "DELETE", "/users/ada/credentials/{}")
    ),
    f"PUT {V1}/users/{{user_name}}/roles/{{workspace_id}}": one(
        "role.set",
        _after(
            lambda a: (_user(a), default_workspace(a))[1],
            "PUT",
            "/users/ada/roles/{}",
            {"role": "developer"},
        ),
    ),
    f"DELETE {V1}/users/{{user_name}}/roles/{{workspace_id}}": one(
        "role.remove",
        _after(
            lambda a: (
                _user(a),
                a.call("PUT", f"/users/ada/roles/{default_workspace(a)}", {"role": "developer"}),
                default_workspace(a),
            )[2],
            "DELETE",
            "/users/ada/roles/{}",
        ),
    ),
    f"PUT {V1}/tags/{{tag_name}}": one("tag.put", _now("PUT", "/tags/finance", {"locked": True})),
    f"DELETE {V1}/tags/{{tag_name}}": one(
        "tag.delete", _after(lambda a: a.call("PUT", "/tags/finance"), "DELETE", "/tags/finance")
    ),
    f"POST {V1}/locks/{{kind}}/{{name}}": one(
        "lock.acquire", _after(_job, "POST", "/locks/job/daily_sales")
    ),
    f"DELETE {V1}/locks/{{kind}}/{{name}}": one(
        "lock.release", _after(_locked, "DELETE", "/locks/{}/daily_sales".replace("{}/", "job/"))
    ),
    "POST /v3/auth/tokens": one("token.issue", _token_issue, by="alice"),
    "DELETE /v3/auth/tokens": one("token.revoke", _token_revoke, by="alice"),
}
"""Every write operation of the OpenAPI document: what a successful call writes, or why it
writes nothing. The not-served calls (DLF.9501) are added below from the document itself."""


# -- the tests -------------------------------------------------------------------------------

NOT_SERVED = re.compile(r"\(not (supported|served)\)$")


@pytest.fixture
def operations(api: SignedClient) -> dict[str, dict[str, Any]]:
    """Every write operation of the OpenAPI document, ``"METHOD /path"``: its description."""
    doc = api.client.get("/openapi.json").json()
    return {
        f"{method.upper()} {path}": op
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if method in ("post", "put", "patch", "delete")
    }


def _rows(operations: dict[str, dict[str, Any]]) -> dict[str, Audited | Exempt]:
    unserved = {k for k, op in operations.items() if any(NOT_SERVED.search(t) for t in op["tags"])}
    return {**dict.fromkeys(unserved, UNSERVED), **WRITES}


def test_every_write_operation_is_audited_or_exempted_with_a_reason(
    operations: dict[str, dict[str, Any]],
) -> None:
    rows = _rows(operations)
    assert sorted(set(operations) - set(rows)) == [], (
        "a write operation without its row: add it to WRITES as Audited (the entries one "
        "call writes, in the same transaction as the change) or Exempt (why it changes nothing)"
    )
    assert sorted(set(rows) - set(operations)) == [], "rows of operations the API no longer has"
    for key, row in rows.items():
        if isinstance(row, Audited) and row.call is None:
            test_file, _, name = row.shown_by.partition("::")
            assert name, f"{key}: a row without a call names the test that shows its entry"
            text = (TESTS.parent / test_file).read_text()
            assert f"def {name}(" in text, f"{key}: {row.shown_by} is gone"
            assert all(a in text for a in row.actions), f"{key}: {test_file} never reads it"


def _entries_after(services: Services, last: int) -> list[AuditRow]:
    """The entries of the project (of every workspace and of none) written after entry
    ``last``, oldest first."""
    with services.db.transaction(readonly=True) as tx:
        _, rows = audit_repo.list_entries(tx, PROJECT_ID, None, limit=100, offset=0)
    return [row for entry_id, row in reversed(rows) if entry_id > last]


def _last(services: Services) -> int:
    with services.db.transaction(readonly=True) as tx:
        _, rows = audit_repo.list_entries(tx, PROJECT_ID, None, limit=1, offset=0)
    return rows[0][0] if rows else 0


def _refused_call(api: SignedClient, key: str) -> Any:
    """``key``'s operation with every name in its path unknown and an empty body."""
    method, path = key.split(" ", 1)
    filled = re.sub(r"\{(\w+)\}", lambda m: PROJECT_ID if m[1] == "project_id" else "nosuch", path)
    if not filled.startswith(("/v1/", "/v2/")) or f"/{PROJECT_ID}" not in filled:
        return api.client.request(method, filled, json={})
    version, rest = filled[1:3], filled[3 + 1 + len(PROJECT_ID) :]
    return api.call(method, rest, {}, version=version)


REFUSAL_ENTRIES = {f"POST {J}/import/plan": "import.refused", f"POST {J}/import": "import.refused"}
"""What a refused call writes all the same (docs/operations.md, "The audit log")."""


def test_a_refused_write_leaves_no_entry_and_one_that_succeeds_its_own(
    api: SignedClient, services: Services, operations: dict[str, dict[str, Any]]
) -> None:
    # Unknown names and empty bodies: what a mistyped script sends. Nothing here may change
    # without its entry, and a refusal (bad input changes nothing) writes none.
    _job(api)  # something the names could reach, were they known
    for key, row in sorted(_rows(operations).items()):
        last = _last(services)
        answer = _refused_call(api, key)
        written = [e.action for e in _entries_after(services, last)]
        if answer.status_code >= 400:
            allowed = [REFUSAL_ENTRIES[key]] if key in REFUSAL_ENTRIES else []
            assert written in ([], allowed), f"{key} refused ({answer.status_code}) wrote {written}"
            if row is UNSERVED:
                assert answer.json()["error_code"] == "DLF.9501", key
        elif isinstance(row, Audited):
            assert written == list(row.actions), f"{key} answered {answer.status_code}: {written}"
        else:
            assert written == [], f"{key} is exempt but wrote {written}"


def _callable() -> list[str]:
    return sorted(k for k, row in WRITES.items() if isinstance(row, Audited) and row.call)


@pytest.mark.parametrize("key", _callable())
def test_a_successful_write_leaves_its_entries_naming_the_caller_and_the_object(
    api: SignedClient, services: Services, key: str
) -> None:
    row = WRITES[key]
    assert isinstance(row, Audited)
    assert row.call is not None
    call = row.call(api, services)
    last = _last(services)
    answer = _ok(call())
    written = _entries_after(services, last)
    assert [e.action for e in written] == list(row.actions), answer.text
    for entry in written:
        assert entry.actor == row.by, entry
        assert entry.object_kind, entry
        assert entry.object_name, entry
