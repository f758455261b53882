"""Admin → Remotes: add a remote (its secret key typed once, never shown again), list it with
its last refresh, test it, refresh it from a second jobferry server behind the contract filter,
and remove it with confirmation; refusals said in the console's terms."""

from __future__ import annotations

import hashlib
import html
import json
import re
import uuid
from pathlib import Path

import httpx2
import pytest

from jobferry.domain.enums import Role
from jobferry.errors import PermissionDeniedError
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.remotes.records import parse_remote
from jobferry.storage import remotes as remote_repo
from support import wizard
from support.builders import make_job
from support.console import Browser, admin_scope, assert_page, finish_task, main_text, sign_in_as
from support.gateway import Gateway
from support.packages import write_package
from support.releases import person
from support.remotes import exported_workspace, remote_body, remote_workspace
from support.server import ServerProcess, new_workspace
from support.standin import DataArtsStandin, held_back, remote_shadow


def _remote_workspace(server: ServerProcess) -> str:
    ws = new_workspace(server, f"prod_{uuid.uuid4().hex[:8]}", "dws_conn")
    for name in ("daily_sales", "weekly_sales"):
        body = json.dumps(make_job(name)).encode()
        assert server.call("POST", "/jobs", body, workspace=ws).status_code == 204
    return ws


def test_a_remote_is_added_listed_tested_refreshed_and_removed_in_the_console(
    browser: Browser,
    services: Services,
    scope: Scope,
    gateway: Gateway,
    remote_server: ServerProcess,
) -> None:
    url = f"/console/w/{scope.workspace.id}/admin/remotes"
    assert_page(browser.get(url), 200, "No remotes.", 'type="password" name="secretKey"')
    form = {
        "name": "prod",
        "endpoint": gateway.url,
        "studioEndpoint": gateway.url + "/",
        "projectId": remote_server.project_id,
        "workspace": _remote_workspace(remote_server),
        "accessKey": remote_server.ak,
        "secretKey": remote_server.sk,
    }
    added = browser.post(url, form)
    assert_page(added, 200, "Added remote &#39;prod&#39;", 'data-remote="prod"', "never")
    assert f"data-studio-endpoint>{gateway.url}</code>" in added.text
    assert remote_server.sk not in added.text
    assert remote_server.sk not in browser.get(url).text
    assert [r.name for r in services.remotes.list_all(scope.actor)] == ["prod"]

    action = f"{url}/action"
    tested = browser.post(action, {"action": "test", "name": "prod"})
    assert_page(tested, 200, "is reachable", "holds 2 job(s)")
    started = browser.post(action, {"action": "refresh", "name": "prod"})  # a task of its own
    shadow = admin_scope(services, services.remotes.get(scope.actor, "prod").workspace_id)
    task_id = finish_task(services, shadow, started)
    assert started.headers["location"].endswith(f"/w/{shadow.workspace.id}/tasks/{task_id}")
    task_page = browser.get(started.headers["location"])
    assert_page(task_page, 200, "Refresh task", "Refreshed remote &#39;prod&#39;: 3 created, 0 ")
    refreshed = browser.get(url)
    assert "from the remote," in refreshed.text  # the list shows what the refresh read
    assert remote_server.sk not in refreshed.text

    # the remove button asks first
    assert 'data-confirm="Remove remote prod? Its workspace stays' in refreshed.text
    removed = browser.post(action, {"action": "remove", "name": "prod"})
    assert_page(removed, 200, "Removed remote &#39;prod&#39;", "No remotes.")
    assert services.remotes.list_all(scope.actor) == []
    assert gateway.refused() == []


def test_a_refused_remote_keeps_the_form_without_its_secret_and_names_every_problem(
    browser: Browser, services: Services, scope: Scope
) -> None:
    url = f"/console/w/{scope.workspace.id}/admin/remotes"
    browser.get(url)
    form = {
        "name": "prod",
        "endpoint": "ftp://somewhere",
        "projectId": "p",
        "workspace": "w",
        "accessKey": "AK-KEPT",
        "secretKey": "typed-secret",
        "studioEndpoint": "studio?x=1",
    }
    refused = browser.post(url, form)
    assert_page(refused, 400, "is not an http(s) URL", 'value="AK-KEPT"', "No remotes.")
    assert "typed-secret" not in refused.text
    said = main_text(refused.text)  # each problem names the form's label, not the API's field
    assert "Endpoint &#39;ftp://somewhere&#39; is not" in refused.text
    assert "Studio endpoint &#39;studio?x=1&#39; is not" in refused.text
    assert "studioEndpoint" not in said
    assert services.remotes.list_all(scope.actor) == []


def test_an_unreachable_remote_is_said_so_and_a_missing_one_in_console_terms(
    browser: Browser, services: Services, scope: Scope
) -> None:
    url = f"/console/w/{scope.workspace.id}/admin/remotes"
    browser.get(url)
    form = {
        "name": "gone",
        "endpoint": "http://127.0.0.1:9",
        "projectId": "p",
        "workspace": "w",
        "accessKey": "AK",
        "secretKey": "SK",
    }
    assert browser.post(url, form).status_code == 200
    tested = browser.post(f"{url}/action", {"action": "test", "name": "gone"})
    assert_page(tested, 200, "it could not be reached: check its endpoint")
    started = browser.post(f"{url}/action", {"action": "refresh", "name": "gone"})
    shadow = admin_scope(services, services.remotes.get(scope.actor, "gone").workspace_id)
    task_id = finish_task(services, shadow, started, status="FAILED")
    refreshed = browser.get(f"/console/w/{shadow.workspace.id}/tasks/{task_id}")
    assert_page(refreshed, 200, "could not be read (list_", "nothing was changed")
    # The list says the refresh failed, where it said only "never", and links its task.
    listed = browser.get(url)
    assert_page(listed, 200, "Refresh failed ")
    assert f'href="/console/w/{shadow.workspace.id}/tasks/{task_id}">see why</a>' in listed.text
    remote = services.remotes.get(scope.actor, "gone")
    assert remote.refresh_failed is not None
    assert remote.refresh_failed.id == task_id
    missing = browser.post(f"{url}/action", {"action": "refresh", "name": "nope"})
    assert_page(missing, 400, "There is no remote &#39;nope&#39; in this project any more.")
    assert "/v1/" not in missing.text


def test_a_remote_is_refreshed_from_an_uploaded_snapshot_and_a_wrong_one_is_refused_beside_the_form(
    browser: Browser,
    services: Services,
    scope: Scope,
    gateway: Gateway,
    remote_server: ServerProcess,
) -> None:
    ws = remote_workspace(remote_server)
    services.remotes.add(scope.actor, parse_remote(remote_body(gateway, remote_server, ws)))
    url = f"/console/w/{scope.workspace.id}/admin/remotes"
    assert_page(browser.get(url), 200, "Refresh from a snapshot", 'enctype="multipart/form-data"')
    carried = exported_workspace(remote_server, ws)
    sha = hashlib.sha256(carried).hexdigest()
    done = browser.post(
        f"{url}/snapshot",
        {"name": "prod"},
        files={"file": ("prod-ws.zip", carried, "application/zip")},
    )
    assert_page(
        done,
        200,
        f"Refreshed remote &#39;prod&#39; from snapshot prod-ws.zip (SHA-256 {sha}): 5 created",
        "from snapshot prod-ws.zip",  # the list shows what the last refresh read
    )
    remote = services.remotes.get(scope.actor, "prod")
    assert remote.last_refresh is not None
    assert remote.last_refresh.snapshot is not None
    assert remote.last_refresh.snapshot.sha256 == sha
    with services.db.transaction(readonly=True) as tx:
        jobs = remote_repo.job_statuses(tx, remote.workspace_id)
    assert sorted(jobs) == ["daily_sales", "weekly_sales"]
    assert gateway.seen == []  # the remote was not called

    # a plan into the shadow says which snapshot it stood on, when it was made, how old it is
    shadow = remote.workspace_id
    options = browser.get(wizard.upload(browser, shadow, carried))
    planned = wizard.step(browser, shadow, "plan", wizard.fields(options.text, shadow))
    assert_page(planned, 200, "data-plan-basis")
    said = html.unescape(" ".join(planned.text.split()))
    assert "Planned against a carried snapshot of remote 'prod', not the remote itself: " in said
    assert f"prod-ws.zip (SHA-256 {sha[:12]}…), made " in said
    assert re.search(r"UTC, (under a minute|\d+ minutes?) old\. Refresh remote", said), said
    assert gateway.seen == []

    # an export of another workspace of the remote: refused beside the form, nothing changed
    other = exported_workspace(remote_server, remote_workspace(remote_server))
    refused = browser.post(
        f"{url}/snapshot", {"name": "prod"}, files={"file": ("other.zip", other, "application/zip")}
    )
    assert_page(refused, 400, "data-snapshot-error", "was exported from workspace")
    assert services.remotes.get(scope.actor, "prod").last_refresh == remote.last_refresh
    missing = browser.post(f"{url}/snapshot", {"name": "prod"})
    assert_page(missing, 400, "data-snapshot-error", "Choose the snapshot file")
    assert services.remotes.get(scope.actor, "prod").last_refresh == remote.last_refresh


def test_a_remote_is_edited_in_place_from_the_console_and_a_refusal_keeps_the_form_open(
    browser: Browser,
    services: Services,
    scope: Scope,
    gateway: Gateway,
    remote_server: ServerProcess,
) -> None:
    url = f"/console/w/{scope.workspace.id}/admin/remotes"
    browser.get(url)
    form = {
        "name": "prod",
        "endpoint": gateway.url,
        "projectId": remote_server.project_id,
        "workspace": _remote_workspace(remote_server),
        "accessKey": remote_server.ak,
        "secretKey": "not-the-secret",
    }
    assert browser.post(url, form).status_code == 200
    tested = browser.post(f"{url}/action", {"action": "test", "name": "prod"})
    assert_page(tested, 200, "its credentials were refused: Edit it with the right access key")
    assert 'data-remote-edit="prod"' in tested.text
    assert f'name="endpoint" value="{gateway.url}"' in tested.text

    edit = f"{url}/edit"
    unchanged = {"name": "prod", "endpoint": gateway.url, "studioEndpoint": ""}
    unchanged["accessKey"] = remote_server.ak
    nothing = browser.post(edit, {**unchanged, "secretKey": ""})
    assert_page(nothing, 400, "Nothing to change in remote &#39;prod&#39;")
    assert "<details open>" in nothing.text
    refused = browser.post(edit, {**unchanged, "endpoint": "ftp://x", "secretKey": "typed"})
    assert_page(refused, 400, "is not an http(s) URL", 'value="ftp://x"', "<details open>")
    assert "typed" not in refused.text
    new_key = browser.post(edit, {**unchanged, "accessKey": "NEWAK", "secretKey": ""})
    assert_page(new_key, 400, "comes with its secret key: type both")
    stored = services.remotes.get(scope.actor, "prod")
    assert (stored.endpoint, stored.access_key) == (gateway.url, remote_server.ak)

    changed = browser.post(edit, {**unchanged, "secretKey": remote_server.sk})
    assert_page(changed, 200, "Changed remote &#39;prod&#39; (secret key); its shadow workspace")
    assert remote_server.sk not in changed.text
    tested = browser.post(f"{url}/action", {"action": "test", "name": "prod"})
    assert_page(tested, 200, "is reachable")
    assert [r.name for r in services.remotes.list_all(scope.actor)] == ["prod"]


def test_the_list_links_to_the_refresh_running_now(
    browser: Browser, services: Services, scope: Scope
) -> None:
    standin = DataArtsStandin()
    answer = held_back(services, standin)
    remote = services.remotes.add(scope.actor, standin.spec("prod"))
    url = f"/console/w/{scope.workspace.id}/admin/remotes"
    browser.get(url)
    started = browser.post(f"{url}/action", {"action": "refresh", "name": "prod"})
    task_page = started.headers["location"]
    try:
        listed = browser.get(url)
        assert_page(listed, 200, "Refreshing now (")
        assert "): follow it</a>" in listed.text
        assert f'href="{task_page}" data-refreshing' in listed.text
    finally:
        answer.set()
    finish_task(services, admin_scope(services, remote.workspace_id), started)
    assert "data-refreshing" not in browser.get(url).text


def test_admin_remotes_is_an_admin_page_and_testing_takes_a_role_in_the_shadow(
    anonymous: Browser, services: Services, scope: Scope
) -> None:
    # A developer saw every remote's ids and access key and could test it: the server then
    # signed calls to the remote with its stored keys for them.
    standin = DataArtsStandin()
    services.remotes.transport = httpx2.MockTransport(standin.handle)
    services.remotes.add(scope.actor, standin.spec("prod"))
    sign_in_as(anonymous, services, "dev", Role.DEVELOPER)
    url = f"/console/w/{scope.workspace.id}/admin/remotes"
    assert anonymous.get(url).status_code == 403
    tested = anonymous.post(f"{url}/action", {"action": "test", "name": "prod"})
    assert tested.status_code == 403
    assert standin.calls() == []  # nothing was sent to the remote
    outsider = person(services, scope.workspace.id, "dev2", Role.DEVELOPER)  # none in the shadow
    with pytest.raises(PermissionDeniedError):
        services.remotes.test(outsider.actor, "prod")
    assert standin.calls() == []


def test_a_plan_into_a_shadow_warns_of_the_descriptions_the_remote_will_not_get(
    browser: Browser, services: Services, scope: Scope, tmp_path: Path
) -> None:
    shadow = remote_shadow(services, DataArtsStandin()).workspace.id
    remote = services.imports.deliveries.remote
    assert remote is not None
    remote.refresh_seconds = 3600  # planned at once, on the last refresh
    jobs = [make_job("daily_sales", description="described in dev"), make_job("weekly_sales")]
    package = write_package(tmp_path / "described.zip", jobs).read_bytes()
    options = browser.get(wizard.upload(browser, shadow, package))
    planned = wizard.step(browser, shadow, "plan", wizard.fields(options.text, shadow))
    assert_page(planned, 200, "data-plan-unsent")
    said = html.unescape(" ".join(planned.text.split()))
    assert "DataArts will not get these jobs' descriptions (a job it creates has none" in said
    assert "one it updates may lose the description it had" in said
    assert "after the push): daily_sales." in said


def test_a_workspace_admin_is_refused_adding_or_editing_a_remote_before_the_form_is_read(
    anonymous: Browser, services: Services, scope: Scope
) -> None:
    # A workspace admin who is no project admin was told the endpoint was no URL, that a
    # remote gone was gone or that there was nothing to change, as if they might do it.
    standin = DataArtsStandin()
    services.remotes.transport = standin.transport()
    services.remotes.add(scope.actor, standin.spec("prod"))
    sign_in_as(anonymous, services, "wsadmin", Role.ADMIN)
    url = f"/console/w/{scope.workspace.id}/admin/remotes"
    added = anonymous.post(url, {"name": "qa", "endpoint": "ftp://x", "secretKey": "s"})
    assert_page(added, 403, "is not a project admin and may not add remotes")
    edit = {"endpoint": "ftp://x", "studioEndpoint": "", "accessKey": "AK", "secretKey": ""}
    for name in ("prod", "gone"):
        edited = anonymous.post(f"{url}/edit", {**edit, "name": name})
        assert_page(edited, 403, "is not a project admin and may not change remotes")
    assert [r.name for r in services.remotes.list_all(scope.actor)] == ["prod"]
    assert standin.calls() == []
