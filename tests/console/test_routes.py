"""The Routes page (#37): routes listed, created and edited from a form (a refusal keeps what
was typed and says its problems in the form's words), removed after confirmation; "Promote now"
opens the route's package in the import wizard of the target with the route's settings, the
import is recorded on the route, and its history shows it, rolled back or not."""

from __future__ import annotations

import html
import re
from typing import Any

from jobferry.console import routes
from jobferry.domain.enums import Role
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.storage import routes as route_repo
from support import wizard
from support.builders import make_job, make_script
from support.console import Browser, admin_scope, assert_page, route_form, sign_in_as

API_WORDS = (
    "sameNamePolicy",
    "propagateDeletes",
    "onDrift",
    "requireSignature",
    "withUpstream",
    "selection.kind",
    "selection.values",
    "PAUSE_AND_RESTORE",
    "KEEP_TARGET",
    "AUTO",
)
"""The route document's keys and values, which no page text may show."""


def visible(page: str) -> str:
    """A page's text as a reader sees it: no tags, entities decoded, spacing collapsed."""
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", page, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def create(browser: Browser, ws: str, name: str, source: str, target: str, **changes: str) -> Any:
    """Create a route from the new-route page: the route page the browser is sent to."""
    browser.get(f"/console/w/{ws}/new-route")
    saved = browser.post(f"/console/w/{ws}/routes", route_form(name, source, target, **changes))
    assert saved.status_code == 303, saved.text
    return browser.get(saved.headers["location"])


def promote(browser: Browser, ws: str, name: str) -> Any:
    """Press "Promote now" on the route's page."""
    browser.get(f"/console/w/{ws}/routes/{name}")
    return browser.post(f"/console/w/{ws}/routes/{name}/promote", [])


def history_rows(page: str) -> list[str]:
    """The visible text of each row of a route page's promotions, newest first."""
    table = re.search(r'<table class="history"[^>]*>(.*?)</table>', page, re.S)
    assert table, "no history table"
    return [visible(row) for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table.group(1), re.S)][1:]


def test_a_route_is_created_from_the_form_and_listed(
    browser: Browser, services: Services, seeded: Scope
) -> None:
    ws, source = seeded.workspace.id, seeded.workspace.name
    prod = wizard.prod_workspace(services, "dws_conn")
    services.profiles.put(prod, "to_prod", b'{"params": {"env": "prod"}}')
    assert "No routes yet" in browser.get(f"/console/w/{ws}/routes").text
    new = browser.get(f"/console/w/{ws}/new-route")
    assert_page(
        new, 200, '<option value="prod" >prod</option>', '<optgroup label="Profiles of prod">'
    )

    page = create(
        browser,
        ws,
        "to-prod",
        source,
        "prod",
        description="test to prod",
        profile="to_prod",
        selection="FOLDERS",
        values="/sales\n/reports",
        propagateDeletes="on",
        onDrift="KEEP_TARGET",
    )

    assert_page(page, 200, "Saved route &#39;to-prod&#39; as version 1.", "Never promoted.")
    route = services.routes.get(seeded, "to-prod").route
    assert route.selection.values == ("/sales", "/reports")
    assert (route.profile, route.propagate_deletes, route.on_drift.value) == (
        "to_prod",
        True,
        "KEEP_TARGET",
    )
    assert '<option value="KEEP_TARGET" selected>' in page.text
    assert '<option value="to_prod" selected>' in page.text
    listed = visible(browser.get(f"/console/w/{ws}/routes").text)
    selection = "Folders: /sales, /reports and their upstream jobs"
    assert f"to-prod v1 test to prod {source} → prod {selection} never promoted" in listed
    for word in API_WORDS:
        assert word not in visible(page.text) + listed, word


def test_a_refused_route_keeps_what_was_typed_and_says_why_in_the_forms_words(
    browser: Browser, services: Services, seeded: Scope
) -> None:
    ws, source = seeded.workspace.id, seeded.workspace.name
    browser.get(f"/console/w/{ws}/new-route")
    typed = route_form(
        "to-self",
        source,
        source,
        description="typed by hand",
        selection="FOLDERS",
        mode="PER_OBJECT",
    )

    refused = browser.post(f"/console/w/{ws}/routes", typed)

    assert_page(refused, 400, "Route &#39;to-self&#39; was not saved")
    problems = visible(re.search(r"data-route-problems>(.*?)</div>", refused.text, re.S).group(1))
    assert "Which jobs travel: name at least one folder (one a line)" in problems
    assert "Source and target must be different workspaces" in problems
    assert 'name="description" value="typed by hand"' in refused.text
    assert 'name="selection" value="FOLDERS" checked' in refused.text
    assert '<option value="PER_OBJECT" selected>' in refused.text
    assert 'name="name" value="to-self"' in refused.text
    for word in API_WORDS:
        assert word not in visible(refused.text), word
    assert services.routes.list_all(seeded) == []


def test_a_profile_of_another_workspace_than_the_target_is_refused_with_the_other_problems(
    browser: Browser, services: Services, seeded: Scope
) -> None:
    ws, source = seeded.workspace.id, seeded.workspace.name
    wizard.prod_workspace(services, "dws_conn")
    services.profiles.put(seeded, "of_test", b'{"params": {"env": "test"}}')
    browser.get(f"/console/w/{ws}/new-route")
    typed = route_form("to-prod", source, "prod", profile="of_test", selection="TAGS")

    refused = browser.post(f"/console/w/{ws}/routes", typed)

    assert refused.status_code == 400
    problems = visible(re.search(r"data-route-problems>(.*?)</div>", refused.text, re.S)[1])
    assert "Which jobs travel: name at least one tag (one a line)" in problems
    assert "Environment profile: workspace 'prod' has no profile 'of_test'; pick one" in problems
    assert '<option value="of_test" selected>' in refused.text
    assert services.routes.list_all(seeded) == []


def test_a_route_is_edited_as_a_new_version_and_a_new_one_may_not_replace_it(
    browser: Browser, services: Services, seeded: Scope
) -> None:
    ws, source = seeded.workspace.id, seeded.workspace.name
    wizard.prod_workspace(services, "dws_conn")
    create(browser, ws, "to-prod", source, "prod")

    edited = browser.post(
        f"/console/w/{ws}/routes",
        route_form(
            "to-prod",
            source,
            "prod",
            based_on="1",
            selection="NAMES",
            values="daily_sales",
            upstream="off",
            scheduling="PAUSE_AND_RESTORE",
            signed="on",
        ),
    )
    assert edited.status_code == 303
    page = browser.get(edited.headers["location"])
    assert "Saved route &#39;to-prod&#39; as version 2." in page.text
    assert [v.version for v in services.routes.versions(seeded, "to-prod")] == [2, 1]
    assert re.findall(r"<td>v(\d+)</td>", page.text) == ["2", "1"]
    # Each version says what it changed of the one before, in the form's words.
    assert "scheduled jobs: refused → paused during the import" in page.text
    assert "signed packages only: no → yes" in page.text
    assert '<td class="small">created</td>' in page.text
    route = services.routes.get(seeded, "to-prod").route
    assert (route.selection.values, route.selection.with_upstream) == (("daily_sales",), False)
    assert (route.scheduling.value, route.require_signature) == ("PAUSE_AND_RESTORE", True)
    assert 'name="upstream" value="on" >' in page.text  # unticked now

    again = browser.post(f"/console/w/{ws}/routes", route_form("to-prod", source, "prod"))
    assert_page(again, 400, "A route named &#39;to-prod&#39; already exists")
    assert services.routes.get(seeded, "to-prod").version == 2


def test_a_route_changed_since_its_form_was_read_is_not_saved_over_unseen(
    browser: Browser, services: Services, seeded: Scope
) -> None:
    ws, source = seeded.workspace.id, seeded.workspace.name
    wizard.prod_workspace(services, "dws_conn")
    create(browser, ws, "to-prod", source, "prod")
    assert 'name="based_on" value="1"' in browser.get(f"/console/w/{ws}/routes/to-prod").text
    other = {"source": {"workspace": source}, "target": {"workspace": "prod"}, "mode": "PER_OBJECT"}
    services.routes.put(seeded, "to-prod", other)  # another admin saves version 2 meanwhile

    typed = route_form("to-prod", source, "prod", based_on="1", description="mine")
    refused = browser.post(f"/console/w/{ws}/routes", typed)

    assert_page(refused, 412, "Route &#39;to-prod&#39; is at version 2", "not version 1")
    assert 'value="mine"' in refused.text  # what was typed is kept
    assert 'name="based_on" value="2"' in refused.text  # sent again, it saves over version 2
    assert services.routes.get(seeded, "to-prod").route.mode.value == "PER_OBJECT"
    resent = [(k, "2" if k == "based_on" else v) for k, v in typed]
    again = browser.post(f"/console/w/{ws}/routes", resent)
    assert again.status_code == 303
    assert services.routes.get(seeded, "to-prod").route.description == "mine"


def test_a_route_is_removed_and_only_a_project_admin_may_change_routes(
    browser: Browser, services: Services, seeded: Scope
) -> None:
    ws, source = seeded.workspace.id, seeded.workspace.name
    wizard.prod_workspace(services, "dws_conn")
    page = create(browser, ws, "to-prod", source, "prod")
    assert 'data-confirm="Remove route to-prod with all its versions' in page.text
    assert 'name="read_version" value="1"' in page.text  # Remove says the version it read
    services.routes.put(
        seeded, "to-prod", {"source": {"workspace": source}, "target": {"workspace": "prod"}}
    )
    read = [("read_of", "to-prod"), ("read_version", "1")]
    stale = browser.post(f"/console/w/{ws}/routes/to-prod/delete", read)
    assert_page(stale, 412, "is at version 2", "Nothing was removed")
    assert [r.route.name for r in services.routes.list_all(seeded)] == ["to-prod"]

    removed = browser.post(
        f"/console/w/{ws}/routes/to-prod/delete", [read[0], ("read_version", "2")]
    )

    assert removed.status_code == 303
    listed = browser.get(removed.headers["location"])
    assert "Removed route &#39;to-prod&#39; with its versions and history." in listed.text
    assert services.routes.list_all(seeded) == []
    assert_page(browser.get(f"/console/w/{ws}/routes/to-prod"), 404, "the Routes page lists them")

    services.routes.put(
        seeded, "kept", {"source": {"workspace": source}, "target": {"workspace": "prod"}}
    )
    sign_in_as(browser, services, "dev", Role.DEVELOPER)
    page = browser.get(f"/console/w/{ws}/routes/kept")
    assert_page(page, 200, "Only project admins change routes.")
    assert "data-promote" not in page.text  # a developer of the source only: not theirs
    assert "New route" not in browser.get(f"/console/w/{ws}/routes").text
    refused = browser.post(f"/console/w/{ws}/routes/kept/delete", [])
    assert_page(refused, 403, "is not a project admin and may not change routes")
    assert [r.route.name for r in services.routes.list_all(seeded)] == ["kept"]


def test_promote_now_plans_imports_and_records_then_history_shows_it_rolled_back(
    browser: Browser, services: Services, seeded: Scope
) -> None:
    ws, source = seeded.workspace.id, seeded.workspace.name
    prod = wizard.prod_workspace(services, "dws_conn", "ssh_conn")
    target = prod.workspace.id
    create(browser, ws, "to-prod", source, "prod", propagateDeletes="on", onDrift="TAKE_PACKAGE")

    started = promote(browser, ws, "to-prod")

    assert started.status_code == 303
    made = services.promotions.waiting(seeded, "to-prod")
    assert made is not None
    assert services.promotions.history(seeded, "to-prod") == []  # a plan is no promotion yet
    assert started.headers["location"] == f"/console/w/{target}/routes/to-prod/promotions/{made.id}"
    plan = browser.get(started.headers["location"])
    assert_page(
        plan, 200, "Import · plan", "Promotion along route", 'class="badge action-create">CREATE'
    )
    assert (
        "Objects of the same name: skipped (first import from the package's source "
        "workspace: this workspace's objects are kept" in visible(plan.text)
    )
    for word in API_WORDS:
        assert word not in visible(plan.text), word
    assert "data-plan-approvals" not in plan.text  # the route requires none
    state = dict(wizard.fields(plan.text, target, "run"))
    assert (state["route"], state["promotion"], state["path"]) == (
        "to-prod",
        made.id,
        made.package_path,
    )
    assert (state["propagateDeletes"], state["onDrift"]) == ("on", "TAKE_PACKAGE")
    task_id = wizard.run_plan(browser, services, prod, plan.text)

    page = browser.get(f"/console/w/{ws}/routes/to-prod").text
    rows = history_rows(page)
    assert len(rows) == 1
    carried = "1 job(s), 2 script(s), 1 resource(s), 0 deletion(s)"
    assert f"admin {carried} {made.package_sha256[:12]} {task_id} SUCCESSFUL" in rows[0]
    assert f'href="/console/w/{target}/tasks/{task_id}"' in page
    assert services.promotions.history(seeded, "to-prod")[0].task_id == task_id
    assert "SUCCESSFUL" in visible(browser.get(f"/console/w/{ws}/routes").text)

    unchanged = promote(browser, ws, "to-prod")
    assert_page(unchanged, 200)
    assert f"Nothing changed in workspace '{source}' since the last promotion (" in visible(
        unchanged.text
    )
    assert len(services.promotions.history(seeded, "to-prod")) == 1

    services.rollback.rollback(prod, task_id)
    page = browser.get(f"/console/w/{ws}/routes/to-prod").text
    rows = history_rows(page)
    assert "ROLLED BACK" in rows[0]
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC by admin$", rows[0]), rows[0]
    assert '<tr class="rolledback">' in page
    assert "ROLLED BACK" in visible(browser.get(f"/console/w/{ws}/routes").text)

    again = promote(browser, ws, "to-prod")  # the rolled-back promotion no longer counts
    assert again.status_code == 303
    replan = browser.get(again.headers["location"])
    assert_page(replan, 200, 'class="badge action-create">CREATE')
    rows = history_rows(browser.get(f"/console/w/{ws}/routes/to-prod").text)
    assert "NOT IMPORTED" in rows[0]
    assert "Plan and import" in rows[0]
    assert "ROLLED BACK" in rows[1]


def test_promote_now_shows_the_check_step_when_the_plan_has_problems(
    browser: Browser, services: Services, seeded: Scope
) -> None:
    ws, source = seeded.workspace.id, seeded.workspace.name
    admin = admin_scope(services)
    target = services.accounts.create_workspace(admin.actor, admin.actor.project_id, "bare")
    create(browser, ws, "to-bare", source, "bare")

    started = promote(browser, ws, "to-bare")
    check = browser.get(started.headers["location"])

    assert_page(
        check, 200, "Import · check", "Promotion along route", "dws_conn", "Fix the problems first"
    )
    waiting = services.promotions.waiting(seeded, "to-bare")
    assert waiting is not None
    assert waiting.task_id is None
    state = wizard.fields(check.text, target)
    assert ("route", "to-bare") in state
    back = wizard.step(browser, target, "options", state)  # "Back to options" keeps the route
    assert_page(back, 200, "Promotion along route", 'name="route" value="to-bare"')
    assert 'name="promotion" value="' in back.text


def test_a_route_writing_its_profile_inline_promotes_with_it(
    browser: Browser, services: Services, seeded: Scope
) -> None:
    ws, source = seeded.workspace.id, seeded.workspace.name
    prod = wizard.prod_workspace(services, "dws_prod", "ssh_conn")
    inline = {"renames": {"connection": {"dws_conn": "dws_prod"}}}
    document = {"source": {"workspace": source}, "target": {"workspace": "prod"}, "profile": inline}
    services.routes.put(seeded, "inline", document)
    page = browser.get(f"/console/w/{ws}/routes/inline").text
    assert '<option value=":inline" selected>The profile written in this route' in page

    plan = browser.get(promote(browser, ws, "inline").headers["location"])

    assert_page(plan, 200, "Import · plan", "(inline)")
    wizard.run_plan(browser, services, prod, plan.text)
    shown = services.jobs.show(prod, "daily_sales")
    assert "'dws_prod'" in str(shown.document)
    saved = browser.post(
        f"/console/w/{ws}/routes",
        route_form("inline", source, "prod", based_on="1", profile=":inline"),
    )
    assert saved.status_code == 303
    assert services.routes.get(seeded, "inline").route.profile == inline


def test_a_change_in_the_source_is_promoted_as_an_overwrite(
    browser: Browser, services: Services, seeded: Scope
) -> None:
    ws, source = seeded.workspace.id, seeded.workspace.name
    prod = wizard.prod_workspace(services, "dws_conn", "ssh_conn")
    create(browser, ws, "to-prod", source, "prod")
    first = browser.get(promote(browser, ws, "to-prod").headers["location"])
    wizard.run_plan(browser, services, prod, first.text)
    changed = make_job("daily_sales", description="changed in test")
    changed["nodes"][0]["properties"].append({"name": "resourceName", "value": "udf_jar"})
    services.jobs.update(seeded, "daily_sales", changed)

    second = browser.get(promote(browser, ws, "to-prod").headers["location"])

    assert_page(second, 200, 'class="badge action-overwrite">OVERWRITE')
    task_id = wizard.run_plan(browser, services, prod, second.text)
    rows = history_rows(browser.get(f"/console/w/{ws}/routes/to-prod").text)
    assert [task_id in row for row in rows] == [True, False]
    assert all("SUCCESSFUL" in row for row in rows)

    services.scripts.create(seeded, make_script("orphan_sql"))  # no job uses it
    third = browser.get(promote(browser, ws, "to-prod").headers["location"])
    wizard.run_plan(browser, services, prod, third.text)
    rows = history_rows(browser.get(f"/console/w/{ws}/routes/to-prod").text)
    assert "admin 1 script(s), 0 deletion(s) " in rows[0]  # not "0" jobs


def test_a_promotion_that_overrode_the_route_s_drift_protection_says_so_in_its_history(
    browser: Browser, services: Services, seeded: Scope
) -> None:
    ws, source = seeded.workspace.id, seeded.workspace.name
    prod = wizard.prod_workspace(services, "dws_conn", "ssh_conn")
    target = prod.workspace.id
    create(browser, ws, "to-prod", source, "prod")  # stops on drift
    first = browser.get(promote(browser, ws, "to-prod").headers["location"])
    wizard.run_plan(browser, services, prod, first.text)
    hot_fix = make_job("daily_sales", description="hot-fix in prod")
    hot_fix["nodes"][0]["properties"].append({"name": "resourceName", "value": "udf_jar"})
    services.jobs.update(prod, "daily_sales", hot_fix)
    changed = make_job("daily_sales", description="changed in test")
    changed["nodes"][0]["properties"].append({"name": "resourceName", "value": "udf_jar"})
    services.jobs.update(seeded, "daily_sales", changed)

    check = browser.get(promote(browser, ws, "to-prod").headers["location"])
    assert_page(check, 200, "Import · check", "Fix the problems first")
    state = wizard.choose(wizard.fields(check.text, target), onDrift="TAKE_PACKAGE")
    wizard.run(browser, services, prod, state)

    page = browser.get(f"/console/w/{ws}/routes/to-prod").text
    rows = history_rows(page)
    assert rows[0].endswith(
        "admin overrode the route: changes made in the target since the last promotion: "
        "overwritten with the package's (the route: stop the import). It overwrote changes "
        "made in the target to job daily_sales."
    ), rows[0]
    assert "overrode" not in rows[1]
    for word in API_WORDS:
        assert word not in visible(page), word


def test_a_route_with_an_end_on_another_server_is_not_promoted_here(
    browser: Browser, services: Services, seeded: Scope
) -> None:
    ws, source = seeded.workspace.id, seeded.workspace.name
    carried = {"source": {"workspace": source}, "target": {"carried": True}}
    services.routes.put(seeded, "offline", carried)
    page = browser.get(f"/console/w/{ws}/routes/offline")
    assert_page(page, 200, "the console promotes only between workspaces of this server")
    assert "Promote now" not in page.text
    assert '<option value=":carried" selected>On another server' in page.text

    refused = browser.post(f"/console/w/{ws}/routes/offline/promote", [])

    assert_page(refused, 501, "Route &#39;offline&#39; has an end on another server")
    assert "--out" not in refused.text
    assert services.promotions.history(seeded, "offline") == []


def test_promote_now_is_offered_only_to_who_writes_in_both_workspaces(
    browser: Browser, anonymous: Browser, services: Services, seeded: Scope
) -> None:
    wizard.prod_workspace(services, "dws_conn")
    services.routes.put(
        seeded,
        "to-prod",
        {"source": {"workspace": seeded.workspace.name}, "target": {"workspace": "prod"}},
    )
    url = f"/console/w/{seeded.workspace.id}/routes/to-prod"
    assert "data-promote" in browser.get(url).text  # the project admin
    sign_in_as(anonymous, services, "dev", Role.DEVELOPER)  # a developer of the source only
    page = anonymous.get(url)
    assert_page(page, 200, "to-prod")
    assert "data-promote" not in page.text  # it would be refused after the click


def test_a_route_page_lists_its_promotions_and_versions_a_page_at_a_time_newest_first(
    browser: Browser, services: Services, scope: Scope
) -> None:
    # 100 days in: a route's page listed every promotion and every version it ever had.
    wizard.prod_workspace(services, "dws_conn")
    ends = {"source": {"workspace": scope.workspace.name}, "target": {"workspace": "prod"}}
    for n in range(1, 24):
        services.routes.put(scope, "to-prod", {**ends, "description": f"day {n}"})
    with services.db.transaction() as tx:
        for n in range(1, 46):
            route_repo.insert_promotion(tx, _promotion(scope, n))
    url = f"/console/w/{scope.workspace.id}/routes/to-prod"

    first = browser.get(url)

    assert first.status_code == 200
    rows = history_rows(first.text)
    assert len(rows) == routes.HISTORY_PAGE
    assert "task-45" in rows[0]
    assert "task-26" in rows[-1]
    text = visible(first.text)
    assert "1–20 of 45" in text
    assert "1–20 of 23" in text
    assert re.findall(r"<td>v(\d+)</td>", first.text)[:2] == ["23", "22"]
    assert "what it is for: 'day 3' → 'day 4'" in text  # the page's oldest, of the one before
    assert 'href="' + url + '?offset=20"' in first.text
    assert 'href="' + url + '?versions=20"' in first.text

    last = browser.get(f"{url}?offset=40&versions=20")

    tasks = [re.findall(r"task-\d+", row) for row in history_rows(last.text)]
    assert tasks == [[f"task-{n}"] for n in range(5, 0, -1)]
    assert "41–45 of 45" in visible(last.text)
    assert re.findall(r"<td>v(\d+)</td>", last.text) == ["3", "2", "1"]
    assert "what it is for: 'day 1' → 'day 2'" in visible(last.text)
    assert 'href="' + url + '?offset=20&amp;versions=20"' in last.text  # Newer keeps the other
    past = browser.get(f"{url}?offset=900")  # past the end: the last page
    assert "41–45 of 45" in visible(past.text)


def _promotion(scope: Scope, n: int) -> route_repo.PromotionRecord:
    """The ``n``-th promotion along to-prod, imported by task ``task-n``."""
    return route_repo.PromotionRecord(
        id=f"promotion-{n}",
        project_id=scope.actor.project_id,
        route="to-prod",
        route_version=1,
        snapshot_at=n,
        since=None,
        package_path=f"upload://p{n}.zip",
        package_sha256=f"{n:064}",
        jobs=1,
        deletions=0,
        scripts=0,
        resources=0,
        plan_id=None,
        task_id=f"task-{n}",
        created_at=1_700_000_000_000 + n * 86_400_000,
        created_by="admin",
    )


def test_promote_now_says_who_promoted_the_same_changes_meanwhile(
    browser: Browser, services: Services, seeded: Scope
) -> None:
    ws, source = seeded.workspace.id, seeded.workspace.name
    prod = wizard.prod_workspace(services, "dws_conn", "ssh_conn")
    create(browser, ws, "to-prod", source, "prod")
    plan = browser.get(promote(browser, ws, "to-prod").headers["location"])
    # Another operator promotes the same changes while this one reviews the plan.
    other = services.route_plans.plan(seeded, "to-prod", {})
    assert other.plan is not None
    applied = services.route_plans.apply(seeded, "to-prod", other.plan.plan_id)
    state = wizard.fields(plan.text, prod.workspace.id, "run")
    refused = wizard.step(browser, prod.workspace.id, "run", state)
    assert refused.status_code == 400
    said = visible(refused.text)
    assert "Route 'to-prod': these changes (package " in said
    assert "were promoted meanwhile by admin at " in said
    assert f"(task {applied.task_id}, still running); nothing was imported" in said
    assert "Follow that import on its task's page (Tasks)." in said
    services.imports.run(applied.prepared)
    rows = history_rows(browser.get(f"/console/w/{ws}/routes/to-prod").text)
    assert len(rows) == 1
    assert applied.task_id in rows[0]


def test_promote_now_of_changes_another_run_is_importing_offers_that_import_not_another(
    browser: Browser, services: Services, seeded: Scope, held_tasks: None
) -> None:
    ws, source = seeded.workspace.id, seeded.workspace.name
    prod = wizard.prod_workspace(services, "dws_conn", "ssh_conn")
    create(browser, ws, "to-prod", source, "prod")
    # Another operator promoted these changes; their import is queued, not applied yet (the
    # test runs it at the end).
    other = services.route_plans.plan(seeded, "to-prod", {})
    assert other.plan is not None
    applied = services.route_plans.apply(seeded, "to-prod", other.plan.plan_id)
    plan = browser.get(promote(browser, ws, "to-prod").headers["location"])
    assert_page(plan, 200, "Import · plan", "data-plan-meanwhile", "data-follow-meanwhile")
    said = visible(plan.text)
    assert "Route 'to-prod': these changes (package " in said
    assert "were promoted meanwhile by admin at " in said
    assert f"(task {applied.task_id}, still running). Nothing is left for this plan" in said
    assert f'href="/console/w/{prod.workspace.id}/tasks/{applied.task_id}"' in plan.text
    assert '<button type="submit" class="primary">Import</button>' not in plan.text
    services.imports.run(applied.prepared)


def test_promote_now_while_another_runs_import_along_the_route_is_under_way_says_so(
    browser: Browser, services: Services, seeded: Scope, held_tasks: None
) -> None:
    ws, source = seeded.workspace.id, seeded.workspace.name
    prod = wizard.prod_workspace(services, "dws_conn", "ssh_conn")
    create(browser, ws, "to-prod", source, "prod")
    # Another operator promoted; their import is queued (the test runs it at the end), and
    # the source changed since they cut their package: this plan carries both.
    other = services.route_plans.plan(seeded, "to-prod", {})
    assert other.plan is not None
    applied = services.route_plans.apply(seeded, "to-prod", other.plan.plan_id)
    services.scripts.update(
        seeded, "daily_sales_sql", make_script("daily_sales_sql", content="select 2;")
    )
    plan = browser.get(promote(browser, ws, "to-prod").headers["location"])
    assert_page(plan, 200, "Import · plan", "data-plan-under-way")
    said = visible(plan.text)
    assert "Route 'to-prod': another run's import along it is still queued (task " in said
    assert f"{applied.task_id}, started by admin at " in said
    assert "Wait for that task to end, then promote again. Follow that import" in said
    assert f'href="/console/w/{prod.workspace.id}/tasks/{applied.task_id}"' in plan.text
    assert "data-plan-meanwhile" not in plan.text
    services.imports.run(applied.prepared)


def test_a_route_form_posted_without_its_choices_says_them_with_their_labels(
    browser: Browser, services: Services, scope: Scope
) -> None:
    """A form from before the import settings were offered (or a hand-made post) sends them
    blank: each was refused as "sameNamePolicy must be one of SKIP, OVERWRITE, AUTO, not ''",
    the route document's key and values."""
    ws = scope.workspace.id
    services.accounts.create_workspace(scope.actor, scope.actor.project_id, "prod")
    blank = {k: "" for k in ("sameNamePolicy", "onDrift", "scheduling", "mode")}
    form = route_form("to-prod", "default", "prod", **blank, selection="SOMETIMES")
    refused = browser.post(f"/console/w/{ws}/routes", form)
    assert_page(refused, 400, "Route &#39;to-prod&#39; was not saved")
    problems = visible(refused.text.split('id="route-problems"')[1].split("</div>")[0])
    for label in (
        "When a job, script or resource of that name exists: choose one of its options (the "
        "form sent no choice; reload the page if it looks out of date)",
        "When an object was changed in the target since the last promotion wrote it: choose",
        "When a job to overwrite or delete is scheduled: choose",
        "When some objects have problems: choose",
        "Which jobs travel: choose one of its options (the form sent “SOMETIMES”, which it "
        "does not offer",
    ):
        assert label in problems, problems
    assert not [w for w in API_WORDS if w in problems], problems
    assert services.routes.list_all(scope) == []
