"""Console parts of promotion (#5): profiles and time-zone moves in the wizard, queue mappings
through an inline profile, signature state, rollback, and the admin pages for profiles, keys
and requireSigned."""

from __future__ import annotations

import re

import pytest

from jobferry.console import tasks as console_tasks
from jobferry.domain.enums import Role
from jobferry.package.keys import generate_key_pair
from jobferry.package.signature import sign_package
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.importing import undoing
from jobferry.services.importing.expiry import DAY_MS, RollbackExpiry
from jobferry.services.workspaces.keys import parse_trust
from support import wizard
from support.builders import make_job
from support.console import Browser, assert_page, finish_task, sign_in_as


@pytest.fixture
def prod(services: Services) -> Scope:
    """The admin in a new workspace 'prod' with the connections ssh_conn and dws_prod."""
    return wizard.prod_workspace(services, "ssh_conn", "dws_prod")


def _options(browser: Browser, prod: Scope, data: bytes) -> tuple[str, list[tuple[str, str]]]:
    """The options step of the wizard in ``prod`` for the package ``data``: the page and its
    hidden fields."""
    ws = prod.workspace.id
    page = browser.get(wizard.upload(browser, ws, data)).text
    return page, wizard.fields(page, ws)


def test_a_stored_profile_and_a_time_zone_move_show_in_check_and_plan(
    browser: Browser, services: Services, seeded: Scope, prod: Scope
) -> None:
    services.profiles.put(
        prod, "to_prod", b"description: into prod\nrenames:\n  connection: {dws_conn: dws_prod}\n"
    )
    ws = prod.workspace.id
    page, state = _options(browser, prod, wizard.export_package(services, seeded))
    assert "to_prod (v1) — into prod" in page
    assert "Keep the wall-clock time" in page
    state = wizard.choose(state, profile="to_prod", tzZone="Europe/Berlin", tzMode="keepWallClock")
    check = wizard.step(browser, ws, "check", state)
    assert "No problems" in check.text
    assert "to_prod v1" in check.text
    plan, task_id = wizard.run(browser, services, prod, state)
    assert "schedule.cron (keepWallClock)" in plan.text
    assert "GMT+08:00 → <code>0 30 2 * * ?</code> Europe/Berlin" in plan.text
    job = services.jobs.show(prod, "daily_sales").document
    assert job["schedule"]["cron"]["expressionTimeZone"] == "Europe/Berlin"
    assert task_id


def test_a_missing_queue_is_mapped_through_an_inline_profile(
    browser: Browser, services: Services, seeded: Scope, prod: Scope
) -> None:
    services.environment.put(seeded, "dli_queue", "q_test", {"type": "DLI", "config": {}})
    job = make_job("dli_job")
    job["nodes"][0]["properties"].append({"name": "queueName", "value": "q_test"})
    services.scripts.create(
        seeded, {"name": "dli_job_sql", "type": "DLISQL", "content": "select 1"}
    )
    services.scripts.create(seeded, {"name": "dli_job_sh", "type": "Shell", "content": "echo"})
    services.jobs.create(seeded, job)
    services.environment.put(prod, "dli_queue", "q_prod", {"type": "DLI", "config": {}})
    services.profiles.put(prod, "conns", b'{"renames": {"connection": {"dws_conn": "dws_prod"}}}')
    ws = prod.workspace.id
    _, state = _options(browser, prod, wizard.export_package(services, seeded, ("dli_job",)))
    check = wizard.step(browser, ws, "check", wizard.choose(state, profile="conns"))
    row = wizard.mapping_row(check.text, "q_test")
    assert f'name="ref_type_{row}" value="profile:dli_queue"' in check.text
    assert '<option value="q_prod">' in check.text
    mapped = wizard.map_reference(browser, ws, check.text, row, "q_prod")
    assert "No problems" in mapped.text
    assert "(inline)" in mapped.text
    assert "conns plus the mappings below" in mapped.text
    wizard.run(browser, services, prod, wizard.fields(mapped.text, ws))
    imported = services.jobs.show(prod, "dli_job").document
    props = {p["name"]: p["value"] for p in imported["nodes"][0]["properties"]}
    assert (props["queueName"], props["connectionName"]) == ("q_prod", "dws_prod")


def test_the_preview_shows_the_signature_state_and_require_signed_refuses_unsigned(
    browser: Browser, services: Services, seeded: Scope, prod: Scope
) -> None:
    ws = prod.workspace.id
    foreign = generate_key_pair()  # another server's key
    signed = sign_package(wizard.export_package(services, seeded), foreign.private_pem)
    page, _ = _options(browser, prod, signed)
    assert 'class="badge signature-untrusted"' in page
    services.keys.trust(prod, parse_trust({"name": "test", "publicKey": foreign.public_key}))
    page, _ = _options(browser, prod, signed)
    assert 'class="badge signature-valid"' in page
    services.keys.create_signing_key(seeded)  # this server's own: accepted without trusting
    page, _ = _options(browser, prod, wizard.export_package(services, seeded))
    assert 'class="badge signature-valid"' in page

    services.keys.delete_signing_key(seeded)
    browser.get(f"/console/w/{ws}/admin/settings")
    saved = browser.post(
        f"/console/w/{ws}/admin/settings", {"lockPolicy": "soft", "requireSigned": "on"}
    )
    assert saved.status_code == 303
    assert 'name="requireSigned" checked' in browser.get(saved.headers["location"]).text
    page, state = _options(browser, prod, wizard.export_package(services, seeded))
    assert 'class="badge signature-unsigned"' in page
    check = wizard.step(browser, ws, "check", state)
    assert "signature" in check.text
    assert "Fix the problems first" in check.text


def test_the_wizard_refuses_a_package_signed_by_a_distrusted_key_in_the_console_s_words(
    browser: Browser, services: Services, seeded: Scope, prod: Scope
) -> None:
    ws = prod.workspace.id
    leaked = generate_key_pair()
    signed = sign_package(wizard.export_package(services, seeded), leaked.private_pem)
    services.keys.trust(prod, parse_trust({"name": "leaked", "publicKey": leaked.public_key}))
    services.keys.distrust(prod, leaked.key_id)

    options = browser.get(wizard.upload(browser, ws, signed))

    said = " ".join(options.text.split())
    assert f"signed by key {leaked.key_id} (&#39;leaked&#39;)" in said
    assert "trust it again under Admin → Signing and trusted keys (Trust again)" in said
    assert "POST /v1" not in said


def _imported(browser: Browser, services: Services, seeded: Scope, prod: Scope) -> str:
    """The task of an import of ``seeded``'s package into ``prod`` through the wizard (its
    dws_conn mapped to dws_prod)."""
    _, state = _options(browser, prod, wizard.export_package(services, seeded))
    state = [*state, ("map_name", "dws_conn"), ("map_type", "DWS_CONNECTION")]
    state.append(("map_replace", "dws_prod"))
    return wizard.run(browser, services, prod, state)[1]


def test_an_import_is_rolled_back_from_its_task_page_once(
    browser: Browser, services: Services, seeded: Scope, prod: Scope
) -> None:
    task_url = f"/console/w/{prod.workspace.id}/tasks/{_imported(browser, services, seeded, prod)}"
    assert "Roll back this import" in browser.get(task_url).text
    assert "ROLLED BACK" not in browser.get(task_url).text
    refused = browser.post(f"{task_url}/rollback", {}, csrf=False)
    assert refused.status_code == 403
    started = browser.post(f"{task_url}/rollback", {})
    rollback_id = finish_task(services, prod, started)  # a task of its own, its page followed
    done = browser.get(f"/console/w/{prod.workspace.id}/tasks/{rollback_id}")
    assert_page(done, 200, "Rollback task", "Rolled back 4 objects", "DELETED")
    assert f'before import <a href="{task_url}">' in done.text
    assert "Roll back this import" not in done.text
    assert "Roll back this import" not in browser.get(task_url).text
    assert "Rolled back <time" in browser.get(task_url).text
    assert "ROLLED BACK</span></h1>" in browser.get(task_url).text  # not only SUCCESSFUL
    assert services.jobs.list_jobs(
        prod, job_type=None, job_name=None, tags=None, limit=10, offset=0
    ) == (0, [])
    again = browser.post(f"{task_url}/rollback", {})
    assert_page(again, 400, "already rolled back")


def test_a_rollback_refused_as_it_runs_ends_its_task_saying_why_and_changes_nothing(
    browser: Browser, services: Services, seeded: Scope, prod: Scope
) -> None:
    ws, task_id = prod.workspace.id, _imported(browser, services, seeded, prod)
    listed = services.jobs.list_jobs(
        prod, job_type=None, job_name=None, tags=None, limit=10, offset=0
    )[1]
    name = listed[0].name
    services.jobs.start(prod, name)
    started = browser.post(f"/console/w/{ws}/tasks/{task_id}/rollback", {})
    rollback_id = finish_task(services, prod, started, status="FAILED")
    page = browser.get(f"/console/w/{ws}/tasks/{rollback_id}")
    assert_page(page, 200, "cannot be rolled back", f"job &#39;{name}&#39; is scheduled")
    assert "Rolled back" not in page.text
    assert "Roll back this import" in browser.get(f"/console/w/{ws}/tasks/{task_id}").text


def test_profiles_are_saved_as_versions_from_yaml_and_refused_when_invalid(
    browser: Browser, services: Services, scope: Scope
) -> None:
    url = f"/console/w/{scope.workspace.id}/admin/profiles"
    assert "No profiles yet" in browser.get(url).text
    first = browser.post(
        url, {"name": "prod", "document": "description: one\nparams: {env: prod}\n"}
    )
    assert "Saved profile &#39;prod&#39; as version 1" in first.text
    second = browser.post(url, {"name": "prod", "document": '{"description": "two"}'})
    assert "as version 2" in second.text
    assert 'name="read_of" value="prod"' in second.text
    # The New profile form (read at no name) does not save over one that exists, and an
    # editor read at version 1 not over version 2: nothing is saved, what was typed is kept.
    fresh = {"read_of": "", "read_version": "", "name": "prod", "document": "params: {x: 1}"}
    new = browser.post(url, fresh)
    assert_page(new, 412, "Profile &#39;prod&#39; exists (version 2", "was to create it", "x: 1")
    stale = browser.post(url, {**fresh, "read_of": "prod", "read_version": "1"})
    assert_page(stale, 412, "is at version 2", "not version 1: it changed since it was read")
    assert 'name="read_version" value="2"' in stale.text
    assert services.profiles.get(scope, "prod").version == 2
    shown = browser.get(url, params={"name": "prod"}).text
    assert "v1" in shown
    assert "&#34;description&#34;: &#34;two&#34;" in shown
    bad = browser.post(url, {"name": "prod", "document": "renames: {nothing_like_this: {}}"})
    assert_page(bad, 400, "not a kind that can be renamed", "nothing_like_this")  # draft kept
    listed = browser.get(url).text
    assert 'name="read_of" value="prod"' in listed  # the Remove button says what it read
    assert 'name="read_version" value="2"' in listed
    read = {"name": "prod", "read_of": "prod"}
    stale_removal = browser.post(f"{url}/delete", {**read, "read_version": "1"})
    assert_page(stale_removal, 412, "is at version 2", "Nothing was removed")
    assert services.profiles.get(scope, "prod").version == 2
    removed = browser.post(f"{url}/delete", {**read, "read_version": "2"})
    assert "Removed profile" in removed.text
    assert services.profiles.list_all(scope) == []


def test_the_profile_editor_refuses_a_target_owned_path_naming_no_field(
    browser: Browser, services: Services, scope: Scope
) -> None:
    url = f"/console/w/{scope.workspace.id}/admin/profiles"
    draft = "targetOwned:\n  - nodes[*].properties[retryTimes]\n"
    bad = browser.post(url, {"name": "prod", "document": draft})
    assert_page(
        bad,
        400,
        "retryTimes is a field of the node, not one of its properties; write nodes[*].retryTimes",
        "nodes[*].properties[retryTimes]",  # the draft is kept to correct
    )
    assert services.profiles.list_all(scope) == []
    fixed = browser.post(url, {"name": "prod", "document": "targetOwned: ['nodes[*].retryTimes']"})
    assert "Saved profile &#39;prod&#39; as version 1" in fixed.text


def test_signing_and_trusted_keys_are_managed_on_the_keys_page(
    browser: Browser, services: Services, scope: Scope
) -> None:
    url = f"/console/w/{scope.workspace.id}/admin/keys"
    assert "No signing key" in browser.get(url).text
    created = browser.post(url, {"action": "create"})
    assert "New signing key" in created.text
    public = re.search(r"data-public-key>([^<]+)<", created.text)
    assert public
    trusted = browser.post(url, {"action": "trust", "name": "self", "publicKey": public.group(1)})
    assert "Trusting key" in trusted.text
    key_id = services.keys.trusted(scope)[0].key_id
    twice = browser.post(url, {"action": "trust", "name": "again", "publicKey": public.group(1)})
    assert twice.status_code == 400
    bad = browser.post(url, {"action": "trust", "name": "x", "publicKey": "ed25519:nope"})
    assert_page(bad, 400, "not usable")
    distrusted = browser.post(url, {"action": "distrust", "keyId": key_id})
    assert "No longer trusting" in distrusted.text
    assert f'data-distrusted-key="{key_id}"' in distrusted.text  # listed, marked
    assert "DISTRUSTED" in distrusted.text
    again = browser.post(url, {"action": "trust", "name": "self", "publicKey": public.group(1)})
    assert "Trusting key" in again.text
    assert "data-distrusted-key" not in again.text
    assert "Deleted the signing key" in browser.post(url, {"action": "delete"}).text


def test_a_key_never_trusted_is_distrusted_on_the_keys_page(
    browser: Browser, services: Services, scope: Scope
) -> None:
    url = f"/console/w/{scope.workspace.id}/admin/keys"
    assert "Distrust a key" in browser.get(url).text
    leaked = generate_key_pair()
    bad = browser.post(url, {"action": "distrust-key", "name": "x", "publicKey": "ed25519:no"})
    assert_page(bad, 400, "not usable")
    assert 'value="ed25519:no"' in bad.text  # kept in the distrust form to correct

    done = browser.post(url, {"action": "distrust-key", "publicKey": leaked.public_key})

    assert f"Distrusting key {leaked.key_id} (&#39;unnamed&#39;)" in done.text
    assert f'data-distrusted-key="{leaked.key_id}"' in done.text
    assert services.keys.trusted(scope) == []
    twice = browser.post(url, {"action": "distrust-key", "publicKey": leaked.public_key})
    assert_page(twice, 400, "already distrusted")


def test_profile_and_key_pages_are_for_workspace_admins(
    anonymous: Browser, services: Services, scope: Scope
) -> None:
    ws = scope.workspace.id
    sign_in_as(anonymous, services, "dev", Role.DEVELOPER)
    for path in ("/admin/profiles", "/admin/keys"):
        assert anonymous.get(f"/console/w/{ws}{path}").status_code == 403, path
    assert anonymous.post(f"/console/w/{ws}/admin/keys", {"action": "create"}).status_code == 403


def test_an_import_past_the_rollback_days_offers_no_rollback_and_says_why(
    browser: Browser, services: Services, seeded: Scope, prod: Scope
) -> None:
    ws, task_id = prod.workspace.id, _imported(browser, services, seeded, prod)
    ended = services.tasks.show(prod, task_id).end_time
    assert ended is not None
    RollbackExpiry(services.db, 3).sweep(ended + 3 * DAY_MS + 1)
    page = browser.get(f"/console/w/{ws}/tasks/{task_id}").text
    assert "Roll back this import" not in page
    assert "can no longer be rolled back: what it replaced was kept 3 day(s)" in page
    refused = browser.post(f"/console/w/{ws}/tasks/{task_id}/rollback", {})
    assert_page(refused, 400, "can no longer be rolled back")


def test_a_long_rollback_counts_each_action_and_pages_what_it_kept_naming_the_import(
    browser: Browser,
    services: Services,
    seeded: Scope,
    prod: Scope,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import_id = _imported(browser, services, seeded, prod)
    monkeypatch.setattr(undoing, "SHOWN_OBJECTS", 3)  # the server keeps the first 3 of 4
    monkeypatch.setattr(console_tasks, "ROWS_PAGE", 2)
    started = browser.post(f"/console/w/{prod.workspace.id}/tasks/{import_id}/rollback", {})
    page_url = f"/console/w/{prod.workspace.id}/tasks/{finish_task(services, prod, started)}"
    first = browser.get(page_url)
    assert_page(first, 200, "Rolled back 4 objects", "1–2 of 3", "Page 1 of 2")
    counts = re.search(r"<ul class=\"counts\" data-undone-actions>(.*?)</ul>", first.text, re.S)
    assert counts is not None
    said = re.sub(r"<[^>]+>|\s+", " ", counts[1]).split()
    assert said == ["DELETED", "4"]  # every one counted, not only those kept
    kept = re.search(r"data-undone-kept>(.*?)</p>", first.text, re.S)
    assert kept is not None
    assert "The first 3 of 4" in kept[1]
    assert f'href="/console/w/{prod.workspace.id}/tasks/{import_id}#objects"' in kept[1]
    assert f'href="{page_url}?undone=2#undone">Next' in first.text
    second = browser.get(f"{page_url}?undone=2")
    assert_page(second, 200, "3–3 of 3", "Page 2 of 2")
    assert f'href="{page_url}?undone=0#undone">Previous' in second.text
    shown = re.findall(r"<tr><td>(\w+)", first.text + second.text)
    assert len(shown) == 3
