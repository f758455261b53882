"""The definition editor: a job or a script as JSON, created and saved through the services the
API uses, refused with every problem the server's validation finds and the typed text kept."""

from __future__ import annotations

import html
import json
import re

from jobferry.domain.enums import LockPolicy, Role
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.workspaces.settings import WorkspaceSettings
from support.builders import editable, make_job
from support.console import Browser, assert_page, review_token, save_in_editor, sign_in_as


def _typed(page: str) -> str:
    """The text in the page's definition box, as the browser shows it."""
    found = re.search(r'<textarea id="definition"[^>]*>(.*?)</textarea>', page, re.S)
    assert found, "no definition box"
    return html.unescape(found.group(1))


def _count(services: Services, scope: Scope) -> int:
    kw = {"job_type": None, "job_name": None, "tags": None, "limit": None, "offset": None}
    return services.jobs.list_jobs(scope, **kw)[0]


def test_new_job_from_the_jobs_page_is_created_through_the_service(
    browser: Browser, services: Services, scope: Scope
) -> None:
    base = f"/console/w/{scope.workspace.id}"
    assert f'href="{base}/editor/jobs">New job</a>' in browser.get(f"{base}/jobs").text
    start = browser.get(f"{base}/editor/jobs")
    assert_page(start, 200, "New job", "Review and create")
    assert json.loads(_typed(start.text))["name"] == "new_job"

    job = make_job("hourly_load", directory="/loads")
    form = {"definition": json.dumps(job), "target": "SAVED"}
    saved = save_in_editor(browser, f"{base}/editor/jobs", form)

    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == f"{base}/jobs/hourly_load?saved=SAVED"
    shown = services.jobs.show(scope, "hourly_load")
    assert shown.directory == "/loads"
    assert shown.version is None  # saved, not submitted
    page = browser.get(saved.headers["location"]).text
    assert f"<title>Job hourly_load · {scope.workspace.name} · jobferry</title>" in page
    assert "Saved the job&#39;s development state, not submitted" in page
    assert "(no version yet)" in page
    assert f'action="{base}/jobs/hourly_load/scheduling"' not in page  # never submitted


def test_a_broken_job_is_refused_with_every_problem_listed_and_the_text_kept(
    browser: Browser, services: Services, scope: Scope
) -> None:
    base = f"/console/w/{scope.workspace.id}"
    browser.get(f"{base}/editor/jobs")
    typed = '{\n  "name": "",\n  "nodes": "none",\n  "directory": "/x"\n}\n'

    refused = browser.post(f"{base}/editor/jobs", {"definition": typed})

    assert_page(refused, 400, "Nothing was saved", "4 problems below")
    assert "job name is missing" in refused.text
    assert "nodes must be a JSON array" in refused.text
    assert "processType is missing" in refused.text
    assert _typed(refused.text) == typed
    not_json = browser.post(f"{base}/editor/jobs", {"definition": '{"name": "a",'})
    assert_page(not_json, 400, "not JSON", "line 1, column")
    assert _typed(not_json.text) == '{"name": "a",'
    assert _count(services, scope) == 0


def test_edit_on_a_job_page_saves_a_new_version_and_refuses_a_rename(
    browser: Browser, services: Services, seeded: Scope
) -> None:
    base = f"/console/w/{seeded.workspace.id}"
    job_page = browser.get(f"{base}/jobs/daily_sales").text
    assert f'href="{base}/editor/jobs/daily_sales">Edit</a>' in job_page
    assert f'action="{base}/jobs/daily_sales/scheduling"' in job_page
    editing = browser.get(f"{base}/editor/jobs/daily_sales")
    assert_page(editing, 200, "Edit job daily_sales")
    document = json.loads(_typed(editing.text))
    assert "createTime" not in document
    assert document["name"] == "daily_sales"

    document["params"][0]["value"] = "${yyyy}"
    form = {"definition": json.dumps(document)}
    saved = save_in_editor(browser, f"{base}/editor/jobs/daily_sales", form)

    assert saved.status_code == 303, saved.text
    shown = services.jobs.show(seeded, "daily_sales")
    assert shown.document["params"][0]["value"] == "${yyyy}"
    assert shown.version == 2  # "Save and submit a new version" is the default
    renamed = json.dumps({**document, "name": "other"})
    refused = browser.post(f"{base}/editor/jobs/daily_sales", {"definition": renamed})
    # the command that renames it, with this page's names: copied, it runs as it is
    rename = f"jobferry jobs rename daily_sales other -w {seeded.workspace.name}"
    assert_page(refused, 400, "the editor does not rename", rename)
    taken = browser.post(f"{base}/editor/jobs", {"definition": json.dumps(document)})
    assert_page(taken, 400, "job named &#39;daily_sales&#39; already exists", "choose Edit")
    assert "PUT" not in taken.text


def test_a_save_shows_what_it_changes_and_saves_only_the_review_confirmed(
    browser: Browser, services: Services, seeded: Scope
) -> None:
    url = f"/console/w/{seeded.workspace.id}/editor/jobs/daily_sales"
    document = json.loads(_typed(browser.get(url).text))
    assert 'name="confirm"' not in browser.get(url).text  # nothing to confirm before a review
    document["params"][0]["value"] = "${yyyy}"
    form = {"definition": json.dumps(document), "target": "SAVED"}

    reviewed = browser.post(url, form)
    assert_page(
        reviewed,
        200,
        "data-editor-review",
        "Save these changes to job daily_sales?",
        '<code class="wrap">params[bizdate].value</code>',
        '<code class="wrap">"${yyyyMMdd}"</code>',
        '<code class="wrap">"${yyyy}"</code>',
        "save the development state only",
    )
    assert "data-review-cautions" not in reviewed.text
    assert _typed(reviewed.text) == form["definition"]
    assert services.jobs.show(seeded, "daily_sales").document["params"][0]["value"] != "${yyyy}"
    token = review_token(reviewed.text)

    # The text changed after the review: reviewed again, nothing saved.
    document["description"] = "typed after the review"
    changed = {**form, "definition": json.dumps(document), "confirm": token}
    restated = browser.post(url, changed)
    assert_page(restated, 200, "changed since the review you confirmed", "description")
    assert "description" not in services.jobs.show(seeded, "daily_sales").document
    # The job changed under the review (someone else saved it): reviewed again too.
    token = review_token(restated.text)
    other = editable(services.jobs.show(seeded, "daily_sales").document)
    services.jobs.update(seeded, "daily_sales", {**other, "logPath": "obs://logs/x/"})
    again = browser.post(url, {**changed, "confirm": token})
    # ... and the review now shows that this text would undo that save's logPath.
    assert_page(again, 200, "changed since the review", '<code class="wrap">logPath</code>')
    assert "description" not in services.jobs.show(seeded, "daily_sales").document

    saved = browser.post(url, {**changed, "confirm": review_token(again.text)})
    assert saved.status_code == 303, saved.text
    kept = services.jobs.show(seeded, "daily_sales").document
    assert (kept["description"], kept["params"][0]["value"]) == (
        "typed after the review",
        "${yyyy}",
    )
    assert "logPath" not in kept  # as the confirmed review showed


def test_the_review_shows_chinese_text_as_typed(
    browser: Browser, services: Services, seeded: Scope
) -> None:
    url = f"/console/w/{seeded.workspace.id}/editor/jobs/daily_sales"
    document = json.loads(_typed(browser.get(url).text))
    document["description"] = "每日销售汇总 <b> & 'x'"
    typed = json.dumps(document, ensure_ascii=False)
    reviewed = browser.post(url, {"definition": typed, "target": "SAVED"})
    assert_page(
        reviewed,
        200,
        '<code class="wrap">description</code>',
        '<code class="wrap">"每日销售汇总 &lt;b&gt; &amp; &#39;x&#39;"</code>',
    )
    assert "\\u6bcf" not in reviewed.text  # not the escapes of tojson


def test_unknown_node_types_and_missing_scripts_are_named_before_a_save(
    browser: Browser, services: Services, seeded: Scope
) -> None:
    url = f"/console/w/{seeded.workspace.id}/editor/jobs"
    job = make_job("hourly_load")
    job["nodes"][0]["type"] = "dwssql"
    job["nodes"][1]["type"] = "ShellScript"
    job["nodes"][1]["properties"][0]["value"] = "no_such_script"
    job["nodes"][1]["properties"][1]["value"] = "ssh_prod"
    form = {"definition": json.dumps(job)}

    reviewed = browser.post(url, form)
    assert_page(
        reviewed,
        200,
        "Create job hourly_load?",
        "Check before saving (5)",
        "node &#39;load&#39; has type &#39;dwssql&#39;, which is not a DataArts node type",
        "did you mean &#39;DWSSQL&#39;?",
        "node &#39;report&#39; has type &#39;ShellScript&#39;",
        "check its spelling",
        "node &#39;report&#39; runs script &#39;no_such_script&#39;, which workspace "
        "&#39;default&#39; does not have",
        "node &#39;load&#39; runs script &#39;hourly_load_sql&#39;",
        "create the script first (New script)",
        "node &#39;report&#39; names connection &#39;ssh_prod&#39;",
        "register it under Admin → Environment objects first",
    )
    assert _count(services, seeded) == 1
    # The server saves such a job (DataArts does too): confirmed, it is saved as written.
    saved = browser.post(url, {**form, "confirm": review_token(reviewed.text)})
    assert saved.status_code == 303, saved.text
    assert services.jobs.show(seeded, "hourly_load").document["nodes"][0]["type"] == "dwssql"


def test_scripts_are_created_and_edited_from_the_scripts_pages(
    browser: Browser, services: Services, seeded: Scope
) -> None:
    base = f"/console/w/{seeded.workspace.id}"
    assert f'href="{base}/editor/scripts">New script</a>' in browser.get(f"{base}/scripts").text
    assert "New script" not in browser.get(f"{base}/resources").text
    script = {"name": "tidy", "type": "Shell", "content": "rm -f /tmp/x", "directory": "/ops"}
    created = save_in_editor(browser, f"{base}/editor/scripts", {"definition": json.dumps(script)})
    assert created.headers["location"] == f"{base}/scripts/tidy?saved=SUBMITTED"
    said = browser.get(created.headers["location"]).text
    assert "Saved the script and submitted it as version 1." in said
    assert f'href="{base}/editor/scripts/tidy">Edit</a>' in browser.get(f"{base}/scripts/tidy").text
    changed = json.dumps({**script, "content": "true"})
    saved = save_in_editor(browser, f"{base}/editor/scripts/tidy", {"definition": changed})
    assert saved.status_code == 303
    assert services.scripts.show(seeded, "tidy").document["content"] == "true"
    bad = browser.post(f"{base}/editor/scripts/tidy", {"definition": json.dumps(["x"])})
    assert_page(bad, 400, "a script definition is a JSON object")
    assert browser.get(f"{base}/editor/resources").status_code == 404


def test_only_roles_that_may_write_see_or_use_the_editor(
    anonymous: Browser, services: Services, seeded: Scope
) -> None:
    sign_in_as(anonymous, services, "reader", Role.VIEWER)
    base = f"/console/w/{seeded.workspace.id}"

    assert "New job" not in anonymous.get(f"{base}/jobs").text
    assert "/editor/jobs/daily_sales" not in anonymous.get(f"{base}/jobs/daily_sales").text
    assert "/editor/" not in anonymous.get(f"{base}/scripts").text
    assert_page(anonymous.get(f"{base}/editor/jobs/daily_sales"), 403, "may not change jobs")
    refused = anonymous.post(f"{base}/editor/jobs", {"definition": json.dumps(make_job("x"))})
    assert_page(refused, 403, "may not create jobs")
    forged = anonymous.post(
        f"{base}/editor/jobs/daily_sales", {"definition": "{}", "csrf_token": "forged"}
    )
    assert_page(forged, 403, "security token")
    assert _count(services, seeded) == 1


def test_a_definition_no_body_may_hold_is_listed_as_a_problem_not_a_server_error(
    browser: Browser, services: Services, seeded: Scope
) -> None:
    """The editor reads the text with Python's JSON reader, which takes a whole number past 64
    bits (then refused by no rule and failing to be stored: a 500) and fails on nesting past
    its recursion (a 500 too); the API's reader refuses both, as the editor now does."""
    url = f"/console/w/{seeded.workspace.id}/editor/scripts"
    scripts = services.scripts.list_scripts
    before = scripts(seeded, script_name=None, limit=None, offset=None)[0]
    script = {"name": "s2", "type": "DWSSQL", "content": "select 1", "directory": "/x"}
    huge = json.dumps(script)[:-1] + ', "n": 99999999999999999999999}'
    for text, said in ((huge, "larger than 64 bits"), ("[" * 100_000, "more than 64 levels")):
        refused = browser.post(url, {"definition": text, "target": "SAVED"})
        assert_page(refused, 400, "Nothing was saved", said)
        assert scripts(seeded, script_name=None, limit=None, offset=None)[0] == before


def test_a_save_status_the_editor_does_not_offer_is_refused_in_its_words(
    browser: Browser, services: Services, scope: Scope
) -> None:
    """A status the form does not offer (a page from an older version, a hand-made post) was
    refused as "targetStatus 'bogus' is not valid", the API's parameter."""
    url = f"/console/w/{scope.workspace.id}/editor/scripts"
    text = '{"name": "s2", "type": "Shell", "directory": "/", "content": "echo"}'
    refused = browser.post(url, {"definition": text, "target": "bogus"})
    assert_page(refused, 400, "Nothing was saved: choose what the save does")
    assert "targetStatus" not in refused.text
    assert _typed(refused.text) == text
    assert services.scripts.list_scripts(scope, script_name=None, limit=None, offset=None)[0] == 0


def test_a_script_of_nearly_dataarts_largest_content_is_saved_from_the_editor(
    browser: Browser, services: Services, seeded: Scope
) -> None:
    """A script's content may hold 4 MiB; the editor refused anything past about half a
    megabyte, the form parser's 1 MB limit of one field meeting the text percent-encoded."""
    base = f"/console/w/{seeded.workspace.id}"
    line = "SELECT '销售', col_a, col_b FROM t WHERE x = 1;\n"
    content = line * (3 * 2**20 // len(line.encode()))
    script = {"name": "big", "type": "Shell", "content": content, "directory": "/ops"}
    created = save_in_editor(browser, f"{base}/editor/scripts", {"definition": json.dumps(script)})
    assert created.status_code == 303, created.text[:2000]
    assert services.scripts.show(seeded, "big").document["content"] == content


def test_the_editor_says_another_user_holds_a_lock_and_what_saving_does_then(
    anonymous: Browser, services: Services, scope: Scope
) -> None:
    """The lock policy's promise, in the editor: under the soft policy another user's lock only
    warns (saving changes the job anyway), under the hard one saving is refused; one's own
    lock, or none, says nothing."""
    services.jobs.create(scope, make_job("daily_sales"))
    services.jobs.create(scope, make_job("free_job"))
    services.governance.acquire(scope, "job", "daily_sales")  # held by the admin
    holder = scope.actor.name
    sign_in_as(anonymous, services, "dana", Role.DEVELOPER)
    base = f"/console/w/{scope.workspace.id}/editor/jobs"

    page = anonymous.get(f"{base}/daily_sales")
    assert_page(page, 200, "data-editor-locked")
    notice = html.unescape(page.text.split("data-editor-locked>", 1)[1].split("</p>", 1)[0])
    assert f"Job daily_sales is locked by {holder}" in notice
    assert "locks only warn, so saving changes it anyway" in notice
    assert "data-editor-locked" not in anonymous.get(f"{base}/free_job").text

    services.accounts.update_workspace(
        scope.actor, scope.actor.project_id, scope.workspace.id, WorkspaceSettings(LockPolicy.HARD)
    )
    hard = html.unescape(anonymous.get(f"{base}/daily_sales").text)
    assert "saving is refused until they release it" in hard
