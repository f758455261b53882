"""Console parts of promotion (#5): profiles and time-zone moves in the wizard, queue mappings
through an inline profile, signature state, rollback, and the admin pages for profiles, keys
and requireSigned."""

from __future__ import annotations

import re
from typing import Any

from jobferry.domain.enums import Role
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.exporting.options import ExportRequest
from jobferry.services.keys import parse_trust
from support.builders import make_job
from support.console import Browser, admin_scope, hidden_fields, make_user, seed, wait_task

SECRET = {"password": "pw"}


def _prod(services: Services) -> Scope:
    admin = admin_scope(services)
    ws = services.accounts.create_workspace(admin.actor, admin.actor.project_id, "prod")
    prod = admin_scope(services, ws)
    for name in ("ssh_conn", "dws_prod"):
        services.environment.put(
            prod, "connection", name, {"type": "DWS", "config": {}, "secrets": SECRET}
        )
    return prod


def _options(browser: Browser, ws: str, data: bytes) -> tuple[str, list[tuple[str, str]]]:
    browser.get(f"/console/w/{ws}/import")
    response = browser.client.post(
        f"/console/w/{ws}/import/source",
        data={"csrf_token": browser.csrf},
        files={"file": ("pkg.zip", data, "application/zip")},
    )
    page = browser.get(response.headers["location"]).text
    state = hidden_fields(page, f"/console/w/{ws}/import/check")
    return page, state


def _with(state: list[tuple[str, str]], **values: str) -> list[tuple[str, str]]:
    return [(k, v) for k, v in state if k not in values] + list(values.items())


def _package(services: Services, scope: Scope, names: list[str]) -> bytes:
    outcome = services.exports.export_batch(scope, ExportRequest(names=tuple(names)))
    assert outcome.data is not None
    return outcome.data


def _import(browser: Browser, services: Services, prod: Scope, state: Any) -> str:
    ws = prod.workspace.id
    plan = browser.post(f"/console/w/{ws}/import/plan", state)
    assert plan.status_code == 200, plan.text
    started = browser.post(
        f"/console/w/{ws}/import/run", hidden_fields(plan.text, f"/console/w/{ws}/import/run")
    )
    assert started.status_code == 303, started.text
    task_id: str = started.headers["location"].rsplit("/", 1)[1]
    assert wait_task(services, prod, task_id)["status"] == "SUCCESSFUL"
    return task_id


def test_a_stored_profile_and_a_time_zone_move_show_in_check_and_plan(
    browser: Browser, services: Services
) -> None:
    source = admin_scope(services)
    seed(services, source)
    prod = _prod(services)
    services.profiles.put(
        prod, "to_prod", b"description: into prod\nrenames:\n  connection: {dws_conn: dws_prod}\n"
    )
    ws = prod.workspace.id
    page, state = _options(browser, ws, _package(services, source, ["daily_sales"]))
    assert "to_prod (v1) — into prod" in page
    assert "Keep the wall-clock time" in page
    state = _with(state, profile="to_prod", tzZone="Europe/Berlin", tzMode="keepWallClock")
    check = browser.post(f"/console/w/{ws}/import/check", state)
    assert "No problems" in check.text
    assert "to_prod v1" in check.text
    plan = browser.post(f"/console/w/{ws}/import/plan", state)
    assert "schedule.cron (keepWallClock)" in plan.text
    assert "GMT+08:00 → <code>0 30 2 * * ?</code> Europe/Berlin" in plan.text
    task_id = _import(browser, services, prod, state)
    job = services.jobs.show(prod, "daily_sales")
    assert job["schedule"]["cron"]["expressionTimeZone"] == "Europe/Berlin"
    assert task_id


def test_a_missing_queue_is_mapped_through_an_inline_profile(
    browser: Browser, services: Services
) -> None:
    source = admin_scope(services)
    seed(services, source)
    services.environment.put(source, "dli_queue", "q_test", {"type": "DLI", "config": {}})
    job = make_job("dli_job")
    job["nodes"][0]["properties"].append({"name": "queueName", "value": "q_test"})
    services.scripts.create(
        source, {"name": "dli_job_sql", "type": "DLISQL", "content": "select 1"}
    )
    services.scripts.create(source, {"name": "dli_job_sh", "type": "Shell", "content": "echo"})
    services.jobs.create(source, job)
    prod = _prod(services)
    services.environment.put(prod, "dli_queue", "q_prod", {"type": "DLI", "config": {}})
    services.profiles.put(prod, "conns", b'{"renames": {"connection": {"dws_conn": "dws_prod"}}}')
    ws = prod.workspace.id
    _, state = _options(browser, ws, _package(services, source, ["dli_job"]))
    check = browser.post(f"/console/w/{ws}/import/check", _with(state, profile="conns"))
    row = re.search(r'name="ref_name_(\d+)" value="q_test"', check.text)
    assert row, "no mapping offered for the queue"
    assert f'name="ref_type_{row.group(1)}" value="profile:dli_queue"' in check.text
    assert '<option value="q_prod">' in check.text
    state = hidden_fields(check.text, f"/console/w/{ws}/import/check")
    mapped = browser.post(
        f"/console/w/{ws}/import/check",
        [*state, ("map", row.group(1)), (f"replace_{row.group(1)}", "q_prod")],
    )
    assert "No problems" in mapped.text
    assert "(inline)" in mapped.text
    assert "conns plus the mappings below" in mapped.text
    _import(browser, services, prod, hidden_fields(mapped.text, f"/console/w/{ws}/import/check"))
    imported = services.jobs.show(prod, "dli_job")
    props = {p["name"]: p["value"] for p in imported["nodes"][0]["properties"]}
    assert (props["queueName"], props["connectionName"]) == ("q_prod", "dws_prod")


def test_the_preview_shows_the_signature_state_and_require_signed_refuses_unsigned(
    browser: Browser, services: Services
) -> None:
    source = admin_scope(services)
    seed(services, source)
    key = services.keys.create_signing_key(source)
    prod = _prod(services)
    ws = prod.workspace.id
    signed = _package(services, source, ["daily_sales"])
    page, _ = _options(browser, ws, signed)
    assert 'class="badge signature-untrusted"' in page
    services.keys.trust(prod, parse_trust({"name": "test", "publicKey": key["publicKey"]}))
    page, _ = _options(browser, ws, signed)
    assert 'class="badge signature-valid"' in page

    services.keys.delete_signing_key(source)
    browser.get(f"/console/w/{ws}/admin/settings")
    saved = browser.post(
        f"/console/w/{ws}/admin/settings", {"lockPolicy": "soft", "requireSigned": "on"}
    )
    assert saved.status_code == 303
    assert 'name="requireSigned" checked' in browser.get(saved.headers["location"]).text
    page, state = _options(browser, ws, _package(services, source, ["daily_sales"]))
    assert 'class="badge signature-unsigned"' in page
    check = browser.post(f"/console/w/{ws}/import/check", state)
    assert "signature" in check.text
    assert "Fix the problems first" in check.text


def test_an_import_is_rolled_back_from_its_task_page_once(
    browser: Browser, services: Services
) -> None:
    source = admin_scope(services)
    seed(services, source)
    prod = _prod(services)
    ws = prod.workspace.id
    _, state = _options(browser, ws, _package(services, source, ["daily_sales"]))
    state = [*state, ("map_name", "dws_conn"), ("map_type", "DWS_CONNECTION")]
    state.append(("map_replace", "dws_prod"))
    task_id = _import(browser, services, prod, state)
    task_url = f"/console/w/{ws}/tasks/{task_id}"
    assert "Roll back this import" in browser.get(task_url).text
    assert "ROLLED BACK" not in browser.get(task_url).text
    refused = browser.post(f"{task_url}/rollback", {}, csrf=False)
    assert refused.status_code == 403
    done = browser.post(f"{task_url}/rollback", {})
    assert done.status_code == 200
    assert "Rolled back 4 objects" in done.text
    assert "DELETED" in done.text
    assert "Roll back this import" not in done.text
    assert "Rolled back <time" in browser.get(task_url).text
    assert "ROLLED BACK</span></h1>" in browser.get(task_url).text  # not only SUCCESSFUL
    assert services.jobs.list_jobs(
        prod, job_type=None, job_name=None, tags=None, limit=10, offset=0
    ) == (0, [])
    again = browser.post(f"{task_url}/rollback", {})
    assert again.status_code == 400
    assert "already rolled back" in again.text


def test_profiles_are_saved_as_versions_from_yaml_and_refused_when_invalid(
    browser: Browser, services: Services
) -> None:
    scope = admin_scope(services)
    url = f"/console/w/{scope.workspace.id}/admin/profiles"
    assert "No profiles yet" in browser.get(url).text
    first = browser.post(
        url, {"name": "prod", "document": "description: one\nparams: {env: prod}\n"}
    )
    assert "Saved profile &#39;prod&#39; as version 1" in first.text
    second = browser.post(url, {"name": "prod", "document": '{"description": "two"}'})
    assert "as version 2" in second.text
    shown = browser.get(url, params={"name": "prod"}).text
    assert "v1" in shown
    assert "&#34;description&#34;: &#34;two&#34;" in shown
    bad = browser.post(url, {"name": "prod", "document": "renames: {nothing_like_this: {}}"})
    assert bad.status_code == 400
    assert "not a kind that can be renamed" in bad.text
    assert "nothing_like_this" in bad.text  # the draft is kept
    removed = browser.post(f"{url}/delete", {"name": "prod"})
    assert "Removed profile" in removed.text
    assert services.profiles.list_all(scope) == []


def test_signing_and_trusted_keys_are_managed_on_the_keys_page(
    browser: Browser, services: Services
) -> None:
    scope = admin_scope(services)
    url = f"/console/w/{scope.workspace.id}/admin/keys"
    assert "No signing key" in browser.get(url).text
    created = browser.post(url, {"action": "create"})
    assert "New signing key" in created.text
    public = re.search(r"data-public-key>([^<]+)<", created.text)
    assert public
    trusted = browser.post(url, {"action": "trust", "name": "self", "publicKey": public.group(1)})
    assert "Trusting key" in trusted.text
    key_id = services.keys.trusted(scope)[0]["keyId"]
    twice = browser.post(url, {"action": "trust", "name": "again", "publicKey": public.group(1)})
    assert twice.status_code == 400
    bad = browser.post(url, {"action": "trust", "name": "x", "publicKey": "ed25519:nope"})
    assert bad.status_code == 400
    assert "not usable" in bad.text
    assert "No longer trusting" in browser.post(url, {"action": "distrust", "keyId": key_id}).text
    assert "Deleted the signing key" in browser.post(url, {"action": "delete"}).text


def test_profile_and_key_pages_are_for_workspace_admins(
    anonymous: Browser, services: Services
) -> None:
    ws = admin_scope(services).workspace.id
    make_user(services, "dev", Role.DEVELOPER)
    anonymous.sign_in("dev")
    for path in ("/admin/profiles", "/admin/keys"):
        assert anonymous.get(f"/console/w/{ws}{path}").status_code == 403, path
    assert anonymous.post(f"/console/w/{ws}/admin/keys", {"action": "create"}).status_code == 403
