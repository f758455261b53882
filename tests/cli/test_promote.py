"""``jobferry promote ROUTE``: promotion after promotion through one route, with no per-run
options; exit 0 nothing to do, 4 changes pending, 3 problems; ``routes history``."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from jobferry.cli import promote
from jobferry.cli.client import ApiClient
from jobferry.cli.planwork import already_held
from support.builders import make_job, make_script
from support.cli import Cli
from support.exporting import seed


def _actions(result: dict[str, Any]) -> dict[tuple[str, str], str]:
    plan = result["plan"]
    return {(o["kind"], o["name"]): o["action"] for o in plan["objects"]}


def _daily_sales_alone_changed(cli: Cli, route: str) -> dict[str, Any]:
    """Change daily_sales in the source; the route's next plan (exit 4) carries it alone."""
    job = make_job("daily_sales")
    job["params"] = [{"name": "bizdate", "value": "yesterday"}]
    changed = cli.remote.call("PUT", "/jobs/daily_sales", job, workspace=cli.workspace)
    assert changed.status_code == 204, changed.text
    planned = cli.json("promote", route, code=4)
    assert planned["promotion"]["jobs"] == 1
    assert _actions(planned)[("job", "daily_sales")] == "OVERWRITE"
    assert ("job", "weekly_sales") not in _actions(planned)
    return planned


def _route(cli: Cli, target: str, *options: str) -> str:
    name = f"promote-{uuid.uuid4().hex[:8]}"
    made = cli("routes", "create", name, "--from", cli.workspace, "--to", target, *options)
    assert made.exit_code == 0, made.output
    return name


def test_promotion_after_promotion_through_one_route(cli: Cli) -> None:
    seed(cli.remote, ("daily_sales", "weekly_sales"), workspace=cli.workspace)
    prod = cli.remote.new_workspace("prod", "dws_conn", "ssh_conn")
    route = _route(cli, prod, "--propagate-deletes")

    first = cli.json("promote", route, code=4)
    assert _actions(first)[("job", "daily_sales")] == "CREATE"
    assert first["promotion"]["jobs"] == 2
    done = cli.json("promote", route, "--apply", "--yes")
    assert done["task"]["status"] == "SUCCESSFUL"
    assert "rollback" in done
    # What a pipeline reads: the import's task, and the promotion recorded with it.
    assert done["taskId"] == done["task"]["id"] == done["promotion"]["taskId"]
    assert done["promotion"]["applied"] is True
    assert cli.json("promote", route)["promotion"] is None  # nothing changed since

    _daily_sales_alone_changed(cli, route)
    human = cli("promote", route, "--apply", "--yes")
    assert human.exit_code == 0, human.output
    assert "Roll it back with: jobferry" in human.stdout
    assert "Imported." in human.stdout.splitlines()  # the verdict, as import's

    history = cli.json("routes", "history", route)["promotions"]
    assert [p["applied"] for p in history] == [True, True]  # plans without --apply: not listed
    shown = cli("routes", "history", route)
    assert shown.exit_code == 0, shown.output
    assert "No promotions." not in shown.stdout
    assert "when (UTC)" in shown.stdout
    # Day 100: the newest few, and how many there are (it used to print up to 100 rows and
    # stop there without a word).
    newest = cli.json("routes", "history", route, "--limit", "1")
    assert [p["taskId"] for p in newest["promotions"]] == [history[0]["taskId"]]
    assert newest["total"] == 2
    said = cli("routes", "history", route, "--limit", "1")
    assert said.exit_code == 0, said.output
    assert (
        f"Promotions 1-1 of 2, newest first; the next page: jobferry routes history {route} "
        "--limit 1 --page 2." in " ".join(said.output.split())
    )
    # A route promoted 300 times: past the newest 100, a page at a time.
    older = cli.json("routes", "history", route, "--limit", "1", "--page", "2")
    assert [p["taskId"] for p in older["promotions"]] == [history[1]["taskId"]]
    past = cli("routes", "history", route, "--limit", "1", "--page", "3")
    assert "Page 3 is past the end: 2 in all." in past.output


def test_an_override_is_for_one_run_and_said(cli: Cli) -> None:
    seed(cli.remote, ("daily_sales",), workspace=cli.workspace)
    prod = cli.remote.new_workspace("prod", "dws_conn", "ssh_conn")
    route = _route(cli, prod)
    result = cli("promote", route, "--on-drift", "keep-target", "--propagate-deletes")
    assert result.exit_code == 4, result.output
    assert "this run: --on-drift keep-target (the route says fail)" in result.stderr
    assert "this run: --propagate-deletes (the route keeps deletes)" in result.stderr
    assert "onDrift" not in result.output  # the CLI's flags, not the API's fields
    shown = cli.json("routes", "show", route)
    assert (shown["onDrift"], shown["propagateDeletes"]) == ("FAIL", False)


def test_a_plan_with_problems_exits_3_and_imports_nothing(cli: Cli) -> None:
    seed(cli.remote, ("daily_sales",), workspace=cli.workspace)
    bare = cli.remote.new_workspace("bare")  # no connections: the plan has problems
    route = _route(cli, bare)
    refused = cli("promote", route, "--apply", "--yes")
    assert refused.exit_code == 3, refused.output
    text = " ".join(refused.stdout.split())
    assert "Problems (fix them, then promote again):" in text
    assert f"named on the route (jobferry routes edit {route} --profile NAME)" in text
    assert "--replace" not in text  # a plan's option promote does not have
    listed = cli.remote.call("GET", "/jobs", workspace=bare).json()
    assert listed["total"] == 0


def test_a_first_promotion_into_a_target_that_already_holds_it_sets_the_route_s_baseline(
    cli: Cli,
) -> None:
    seed(cli.remote, ("daily_sales", "weekly_sales"), workspace=cli.workspace)
    prod = cli.remote.new_workspace("prod", "dws_conn", "ssh_conn")
    old = _route(cli, prod)
    assert cli.json("promote", old, "--apply", "--yes")["task"]["status"] == "SUCCESSFUL"

    # A new route between the same two workspaces: prod already holds everything it carries.
    route = _route(cli, prod)
    planned = cli.json("promote", route)  # exit 0: nothing would change, nothing recorded
    assert set(_actions(planned).values()) == {"UNCHANGED"}
    assert planned["task"] is None
    assert cli.json("routes", "history", route)["promotions"] == []
    said = " ".join(cli("promote", route).stdout.split())
    assert f"Nothing would change in '{cli.remote.workspace_name(prod)}'. Record this" in said
    # The command as this run was made: the same config file (and context).
    assert said.endswith(f"with: jobferry --config {cli.config} promote {route} --apply")

    held = cli("promote", route, "--apply", "--yes")
    assert held.exit_code == 0, held.output
    assert f"records this promotion on the route, so '{route}' promotes only what" in held.stdout
    assert "nothing was written, nothing to roll back" in held.stdout
    (promotion,) = cli.json("routes", "history", route)["promotions"]
    assert promotion["applied"] is True
    assert cli.json("promote", route)["promotion"] is None  # not everything again

    # The next change is promoted alone.
    assert _daily_sales_alone_changed(cli, route)["since"] == promotion["snapshotTime"]


@pytest.mark.parametrize(
    ("plan", "held"),
    [
        ({"summary": {"UNCHANGED": 3, "CREATE": 0, "SKIP": 0, "problems": 0}}, True),
        ({"summary": {"UNCHANGED": 3}, "deletionsNotApplied": []}, True),
        ({"summary": {"UNCHANGED": 3, "SKIP": 1}}, False),  # recording it would drop the skip
        ({"summary": {"UNCHANGED": 3, "OVERWRITE": 1}}, False),
        ({"summary": {"UNCHANGED": 3}, "deletionsNotApplied": [{"name": "gone"}]}, False),
        ({"summary": {"UNCHANGED": 3}, "deletionsNotAppliedTotal": 1}, False),
        ({"summary": {"UNCHANGED": 0}}, False),  # nothing carried at all
        ({}, False),
    ],
)
def test_a_plan_is_already_held_only_when_everything_it_carries_is_unchanged(
    plan: dict[str, Any], held: bool
) -> None:
    assert already_held(plan) is held


def test_a_first_promotion_that_skips_differences_is_pending_not_in_sync(cli: Cli) -> None:
    seed(cli.remote, ("daily_sales",), workspace=cli.workspace)
    prod = cli.remote.new_workspace("prod", "dws_conn", "ssh_conn")
    seed(cli.remote, ("daily_sales",), workspace=prod)
    made_here = make_job("daily_sales", description="made in prod")
    assert cli.remote.call("PUT", "/jobs/daily_sales", made_here, workspace=prod).status_code == 204
    route = _route(cli, prod)

    planned = cli.json("promote", route, code=4)  # --policy auto skips it: still pending
    assert _actions(planned)[("job", "daily_sales")] == "SKIP"
    assert set(_actions(planned).values()) == {"SKIP", "UNCHANGED"}
    said = " ".join(cli("promote", route).stdout.split())
    assert "Changes pending: 1 differing object(s) skipped" in said, said
    assert "Nothing would change" not in said

    applied = cli("promote", route, "--apply", "--yes")  # writes nothing, records nothing
    assert applied.exit_code == 0, applied.output
    assert "Nothing imported: 1 changed object(s) skipped" in " ".join(applied.stdout.split())
    assert cli.json("routes", "history", route)["promotions"] == []


def test_the_import_hint_repeats_this_run_s_options(cli: Cli) -> None:
    seed(cli.remote, ("daily_sales",), workspace=cli.workspace)
    prod = cli.remote.new_workspace("prod", "dws_conn", "ssh_conn")
    route = _route(cli, prod)
    result = cli("promote", route, "--on-drift", "take-package", "--mode", "per-object")
    assert result.exit_code == 4, result.output
    said = " ".join(result.stdout.split())
    assert said.endswith(
        f"import them with: jobferry --config {cli.config} promote {route} --on-drift "
        "take-package --mode per-object --apply"
    ), said


def test_a_deletion_left_out_is_pending_and_names_the_flag_and_the_route_setting(
    cli: Cli,
) -> None:
    seed(cli.remote, ("daily_sales", "weekly_sales"), workspace=cli.workspace)
    prod = cli.remote.new_workspace("prod", "dws_conn", "ssh_conn")
    route = _route(cli, prod)
    assert cli.json("promote", route, "--apply", "--yes")["task"]["status"] == "SUCCESSFUL"
    gone = cli.remote.call("DELETE", "/jobs/weekly_sales", workspace=cli.workspace)
    assert gone.status_code == 204, gone.text

    left = cli("promote", route)
    assert left.exit_code == 4, left.output  # was 0, "Nothing would change"
    text = " ".join(left.stdout.split())
    assert (
        "1 deletion(s) not applied (--propagate-deletes applies them; jobferry routes edit "
        f"{route} --propagate-deletes):" in text
    )
    assert "job 'weekly_sales': job 'weekly_sales' was deleted in the source" in text
    assert "Changes pending: 1 deletion(s) not applied" in " ".join(left.stdout.split())
    carried = cli.json("promote", route, "--propagate-deletes", "--apply", "--yes")
    assert carried["plan"]["summary"]["DELETE"] == 1
    assert cli.json("promote", route)["promotion"] is None


def test_a_job_the_target_kept_is_offered_again_not_nothing_changed(cli: Cli) -> None:
    seed(cli.remote, ("daily_sales", "weekly_sales"), workspace=cli.workspace)
    prod = cli.remote.new_workspace("prod", "dws_conn", "ssh_conn")
    route = _route(cli, prod, "--on-drift", "keep-target")
    assert cli.json("promote", route, "--apply", "--yes")["task"]["status"] == "SUCCESSFUL"
    hot_fix = make_job("daily_sales", description="hot-fix in prod")
    assert cli.remote.call("PUT", "/jobs/daily_sales", hot_fix, workspace=prod).status_code == 204
    for job in ("daily_sales", "weekly_sales"):
        changed = make_job(job, description="v2")
        put = cli.remote.call("PUT", f"/jobs/{job}", changed, workspace=cli.workspace)
        assert put.status_code == 204, put.text
    kept = cli.json("promote", route, "--apply", "--yes")
    assert _actions(kept)[("job", "daily_sales")] == "SKIP"
    assert _actions(kept)[("job", "weekly_sales")] == "OVERWRITE"

    again = cli("promote", route)  # nothing changed in the source: prod still lacks v2
    assert again.exit_code == 4, again.output
    said = " ".join(again.output.split())
    assert "Nothing changed" not in said
    assert "job 'daily_sales' changed in the target since the last import" in said
    assert "Changes pending: 1 differing object(s) skipped" in said


def test_a_promotion_of_a_script_alone_says_the_script_not_zero_jobs(cli: Cli) -> None:
    seed(cli.remote, ("daily_sales",), workspace=cli.workspace)
    prod = cli.remote.new_workspace("prod", "dws_conn", "ssh_conn")
    route = _route(cli, prod)
    assert cli.json("promote", route, "--apply", "--yes")["task"]["status"] == "SUCCESSFUL"
    unused = make_script("orphan_sql")  # no job uses it: a route of every job carries it
    made = cli.remote.call("POST", "/scripts", unused, workspace=cli.workspace)
    assert made.status_code == 204, made.text

    applied = cli("promote", route, "--apply", "--yes")
    assert applied.exit_code == 0, applied.output
    assert f"Promote along route {route}: 1 script(s), 0 deletion(s)" in applied.stdout
    newest = cli.json("routes", "history", route)["promotions"][0]
    assert (newest["jobs"], newest["scripts"], newest["resources"]) == (0, 1, 0)
    history = cli("routes", "history", route, env={"COLUMNS": "200"})
    assert history.exit_code == 0, history.output
    assert "scripts" in history.stdout  # a column each: jobs, scripts, resources, deletions
    assert "0 job(s)" not in history.stdout


def test_a_promotion_another_run_made_meanwhile_is_said_not_recorded_twice(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(cli.remote, ("daily_sales",), workspace=cli.workspace)
    prod = cli.remote.new_workspace("prod", "dws_conn", "ssh_conn")
    routes = (
        _route(cli, prod),
        _route(cli, cli.remote.new_workspace("prod", "dws_conn", "ssh_conn")),
    )
    shown = promote._go_on
    other: dict[str, str] = {}

    def meanwhile(s: Any, route: str, *args: Any) -> bool:
        # While this run shows its plan, another operator promotes the same changes.
        planned = cli.remote.call("POST", f"/routes/{route}/plans", {})
        assert planned.status_code == 200, planned.text
        plan_id = planned.json()["plan"]["planId"]
        applied = cli.remote.call("POST", f"/routes/{route}/plans/{plan_id}/apply")
        assert applied.status_code == 200, applied.text
        other[route] = applied.json()["taskId"]
        return shown(s, route, *args)

    monkeypatch.setattr(promote, "_go_on", meanwhile)
    answer = cli.json("promote", routes[0], "--apply", "--yes")
    said = answer["promotedMeanwhile"]
    assert (said["taskId"], said["promotedBy"]) == (other[routes[0]], "admin")
    assert answer["task"] is None
    human = cli("promote", routes[1], "--apply", "--yes")
    assert human.exit_code == 0, human.output
    text, task = " ".join(human.stdout.split()), other[routes[1]]
    assert f"Nothing to do: Route '{routes[1]}': these changes (package " in text
    assert "were promoted meanwhile by admin at " in text
    assert f"(task {task}, " in text
    assert "Follow that import with: jobferry --config " in text
    assert f"tasks show {task} -w " in text
    for route in routes:  # recorded once, by the other run
        history = cli.json("routes", "history", route)["promotions"]
        assert [p["taskId"] for p in history] == [other[route]]


def test_a_plan_of_changes_another_run_is_importing_says_so_and_imports_nothing(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The server's plan names another run's import of the same changes, queued or running
    # when this run cut them (the service tests make that moment: test_meanwhile.py); the
    # command says so with the task to follow, exits 0, and neither asks nor imports.
    seed(cli.remote, ("daily_sales", "weekly_sales"), workspace=cli.workspace)
    route = _route(cli, cli.remote.new_workspace("prod", "dws_conn", "ssh_conn"))
    first = cli.json("promote", route, "--apply", "--yes")
    task = first["taskId"]
    said = {
        "promotionId": first["promotion"]["id"],
        "planId": first["plan"]["planId"],
        "taskId": task,
        "taskStatus": "RUNNING",
        "promotedBy": "admin",
        "promotedAt": 1_700_000_000_000,
        "message": f"Route '{route}': these changes (package 0123456789ab) were promoted "
        f"meanwhile by admin at 2023-11-14 22:13:20 UTC (task {task}, still running).",
    }
    sent = ApiClient.call

    def call(self: ApiClient, method: str, path: str, *args: Any, **kwargs: Any) -> Any:
        answer = sent(self, method, path, *args, **kwargs)
        if method == "POST" and path == f"/routes/{route}/plans":
            answer["promotedMeanwhile"] = said
        return answer

    monkeypatch.setattr(ApiClient, "call", call)
    job = make_job("daily_sales")
    job["params"] = [{"name": "bizdate", "value": "yesterday"}]
    changed = cli.remote.call("PUT", "/jobs/daily_sales", job, workspace=cli.workspace)
    assert changed.status_code == 204, changed.text
    answer = cli.json("promote", route)  # exit 0, not 4: nothing for this run to do
    assert answer["promotedMeanwhile"] == said
    assert answer["task"] is None
    human = cli("promote", route, "--apply", "--yes")
    assert human.exit_code == 0, human.output
    text = " ".join(human.stdout.split())
    assert f"Nothing to do: Route '{route}': these changes (package 0123456789ab) " in text
    assert f"tasks show {task} -w " in text
    assert "Imported." not in text
    history = cli.json("routes", "history", route)["promotions"]
    assert [p["taskId"] for p in history if p["taskId"]] == [task]


def test_a_plan_while_another_runs_import_along_the_route_is_under_way_says_to_wait_for_it(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The server's plan names another run's import along the route, of other changes, still
    # running (the service tests make that moment: test_meanwhile.py): the command shows the
    # plan, warns with the task to follow, and its closing line says to promote again once
    # that task has ended, not to import this plan now.
    seed(cli.remote, ("daily_sales", "weekly_sales"), workspace=cli.workspace)
    route = _route(cli, cli.remote.new_workspace("prod", "dws_conn", "ssh_conn"))
    task = "0123456789abcdef0123456789abcdef"
    said = {
        "promotionId": "p1",
        "planId": "plan1",
        "taskId": task,
        "queued": False,
        "promotedBy": "ops",
        "promotedAt": 1_700_000_000_000,
        "message": "…",
    }
    sent = ApiClient.call

    def call(self: ApiClient, method: str, path: str, *args: Any, **kwargs: Any) -> Any:
        answer = sent(self, method, path, *args, **kwargs)
        if method == "POST" and path == f"/routes/{route}/plans":
            answer["importUnderWay"] = said
        return answer

    monkeypatch.setattr(ApiClient, "call", call)
    answer = cli.json("promote", route, code=4)
    assert answer["importUnderWay"] == said
    human = cli("promote", route)
    assert human.exit_code == 4, human.output
    warned = " ".join(human.stderr.split())
    assert (
        f"another run's import along this route is still running (task {task}, started by ops "
        "at 2023-11-14 22:13:20 UTC); its changes are not applied yet, so this plan carries "
        "them too. Follow it with: jobferry --config "
    ) in warned
    assert f"tasks show {task} --wait -w " in warned
    text = " ".join(human.stdout.split())
    assert f"; once task {task} has ended, promote again with: jobferry " in text
    assert "import them with" not in text


def test_a_kept_plan_imported_is_said_so_while_a_newer_plan_waits(cli: Cli) -> None:
    """A pipeline's ``promote --plan P --apply`` run again after P was imported says so (exit
    0) even once someone planned the route's next changes; a kept plan that is not imported
    and not the newest names ``promote`` without ``--plan`` as its fix (run again, the same
    command would be refused again)."""
    seed(cli.remote, ("daily_sales", "weekly_sales"), workspace=cli.workspace)
    prod = cli.remote.new_workspace("prod", "dws_conn", "ssh_conn")
    route = _route(cli, prod)
    first = cli.json("promote", route, code=4)["plan"]["planId"]
    imported = cli.json("promote", route, "--plan", first, "--apply", "--yes")
    task = imported["taskId"]
    newer = _daily_sales_alone_changed(cli, route)["plan"]["planId"]

    again = cli("promote", route, "--plan", first, "--apply", "--yes")
    assert again.exit_code == 0, again.output
    said = " ".join(again.stdout.split())
    assert said.startswith(f"Nothing to do: plan {first} of route '{route}' was imported already")
    answer = cli.json("promote", route, "--plan", first)
    assert (answer["importedBefore"], answer["taskId"]) == (True, task)

    _daily_sales_alone_changed(cli, route)  # a newer plan of the same changes: it stands
    weekly = make_job("weekly_sales", description="changed again")
    assert cli.remote.call("PUT", "/jobs/weekly_sales", weekly, workspace=cli.workspace)
    cli.json("promote", route, code=4)  # the newest changes, planned
    stale = cli("promote", route, "--plan", newer, "--apply", "--yes")
    assert stale.exit_code == 1, stale.output
    said = " ".join(stale.stderr.split())
    assert said.startswith(f"error DLF.9015: Plan {newer} is not the plan of promotion"), said
    assert f"Plan the route again: jobferry promote {route} shows the plan of its newest" in said
    assert "Run the command again" not in said
