"""The test → prod story of issue #37, told through one route and ``jobferry promote ROUTE``
with no per-run options, against a real server on SQLite and on PostgreSQL.

The route is created once, with the settings a careful user chooses (``--propagate-deletes``,
``--scheduling pause-and-restore``, ``--on-drift fail``, the rest left to their defaults), and
the promotions follow one another: the first creates everything; an unchanged source has
nothing to promote; an edit, a rename and a delete in test; a hot-fix in prod with another edit
in test (a drift problem, then an override for one run); a job running on its schedule in prod,
paused and restored; the rollback of the last promotion; and where a promoted job came from,
read through the API, ``jobferry jobs show`` and the console's job page. Every plan is asserted
whole (each object's action, SKIP reasons, problems), and every exit code (0 nothing to do, 4
changes pending, 3 problems).
"""

from __future__ import annotations

import functools
import re
import shlex
import uuid
from dataclasses import dataclass
from typing import Any

import orjson
import pytest
from typer.testing import Result

from support.builders import make_job
from support.cli import Cli, invoke
from support.console import Browser, HttpPages
from support.exporting import seed

JOBS = ("orders", "customers", "legacy", "revenue", "inventory")
SCRIPTS = tuple(f"{job}_{kind}" for job in JOBS for kind in ("sh", "sql"))
PASSWORD = "a prod viewer's password"
PlanLine = tuple[str, ...]


def job(name: str, **overrides: Any) -> dict[str, Any]:
    """The test workspace's definition of job ``name`` (as ``seed`` made it), changed."""
    doc = make_job(name, **overrides)
    doc["nodes"][0]["properties"].append({"name": "resourceName", "value": "udf_jar"})
    return doc


def unchanged(*jobs: str) -> list[PlanLine]:
    """The plan lines of what the jobs use and a promotion carries again, identical."""
    lines = [("UNCHANGED", "script", f"{j}_{kind}") for j in jobs for kind in ("sh", "sql")]
    return [*lines, ("UNCHANGED", "resource", "udf_jar")]


def lines(result: dict[str, Any]) -> list[PlanLine]:
    """(action, kind, name[, previous name]) of every object of a promote's plan, sorted."""
    out = []
    for obj in result["plan"]["objects"]:
        line = (obj["action"], obj["kind"], obj["name"])
        out.append(line + ((obj["previousName"],) if "previousName" in obj else ()))
    return sorted(out)


def one(result: dict[str, Any], name: str) -> dict[str, Any]:
    """The plan's line of job ``name``."""
    found: dict[str, Any] = next(
        o for o in result["plan"]["objects"] if (o["kind"], o["name"]) == ("job", name)
    )
    return found


@dataclass
class Story:
    """The story's route between the CLI's workspace (test) and prod."""

    cli: Cli
    prod: str
    route: str

    def put(self, workspace: str, name: str, **overrides: Any) -> None:
        """Save job ``name`` of ``workspace`` changed by ``overrides`` (an edit)."""
        answer = self.cli.remote.call(
            "PUT", f"/jobs/{name}", job(name, **overrides), workspace=workspace
        )
        assert answer.status_code == 204, answer.text

    def promote(self, *options: str, code: int) -> dict[str, Any]:
        """``jobferry promote ROUTE [options] --json``, exiting ``code``; its document."""
        return self.said(*options, code=code)[0]

    def said(self, *options: str, code: int) -> tuple[dict[str, Any], str]:
        """``jobferry promote ROUTE [options] --json``, exiting ``code``: its document, and
        what it said on standard error."""
        result = self.cli("promote", self.route, *options, "--json")
        assert result.exit_code == code, (result.stdout, result.stderr)
        answer: dict[str, Any] = orjson.loads(result.stdout)
        return answer, result.stderr

    def human(self, *options: str, code: int) -> Result:
        """``jobferry promote ROUTE [options]`` as a terminal shows it, exiting ``code``."""
        result = self.cli("promote", self.route, *options)
        assert result.exit_code == code, (result.stdout, result.stderr)
        return result

    def applied(self, *options: str) -> tuple[dict[str, Any], str]:
        """``promote ROUTE --apply --yes [options] --json``: its document, the import done,
        and what it said on standard error."""
        done, said = self.said("--apply", "--yes", *options, code=0)
        assert done["task"]["status"] == "SUCCESSFUL", done["task"]
        assert done["rollback"].endswith(f"rollback {done['task']['id']} -w {self.prod_name}")
        return done, said

    def history(self) -> list[dict[str, Any]]:
        """``jobferry routes history ROUTE --json``: the promotions, newest first."""
        answer = self.cli.json("routes", "history", self.route)
        return list(answer["promotions"])

    def status(self, name: str) -> str:
        """Job ``name``'s scheduling status in prod."""
        answer = self.cli.remote.call("GET", f"/jobs/{name}/status", workspace=self.prod)
        assert answer.status_code == 200, answer.text
        return str(answer.json()["status"])

    def prod_job(self, name: str) -> dict[str, Any]:
        answer = self.cli.remote.call("GET", f"/jobs/{name}", workspace=self.prod)
        assert answer.status_code == 200, answer.text
        found: dict[str, Any] = answer.json()
        return found

    @functools.cached_property
    def prod_name(self) -> str:
        return self.cli.remote.workspace_name(self.prod)


def test_the_test_to_prod_story_through_one_route(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)  # whole table rows, as piped output has them
    seed(cli.remote, JOBS, workspace=cli.workspace)
    prod = cli.remote.new_workspace("prod", "dws_conn", "ssh_conn")
    story = Story(cli, prod, f"test-prod-{uuid.uuid4().hex[:8]}")
    first = first_promotion(story)
    nothing_changed(story)
    third = edit_rename_delete(story)
    fourth = hot_fix_with_drift(story)
    fifth = running_schedule(story)
    rolled_back(story, fifth, [first, third, fourth])
    came_from(story, fourth, first)


def first_promotion(story: Story) -> str:
    """The route created once; its first promotion creates everything; the history holds it."""
    cli = story.cli
    careful = ["--propagate-deletes", "--scheduling", "pause-and-restore", "--on-drift", "fail"]
    made = cli.json(
        "routes", "create", story.route, "--from", cli.workspace, "--to", story.prod, *careful
    )
    settings = ("sameNamePolicy", "propagateDeletes", "onDrift", "scheduling", "mode")
    assert {k: made[k] for k in settings} == {
        "sameNamePolicy": "AUTO",
        "propagateDeletes": True,
        "onDrift": "FAIL",
        "scheduling": "PAUSE_AND_RESTORE",
        "mode": "ATOMIC",
    }
    assert made["selection"] == {"kind": "ALL", "values": [], "withUpstream": True}

    planned = story.promote(code=4)
    everything = [("CREATE", "job", j) for j in JOBS] + [("CREATE", "script", s) for s in SCRIPTS]
    assert lines(planned) == sorted([*everything, ("CREATE", "resource", "udf_jar")])
    assert planned["plan"]["problems"] == []
    assert planned["plan"]["sameNamePolicy"]["applied"] == "SKIP"  # nothing to keep: all new
    assert (planned["since"], planned["promotion"]["jobs"]) == (None, 5)
    assert planned["keptUntil"] > planned["promotion"]["snapshotTime"]
    assert planned["approvalsRequired"] == 0
    pending = story.human(code=4)
    said = " ".join(pending.stdout.split())
    assert (
        "Changes pending (16 object(s) to write); import them with: jobferry --config "
        f"{story.cli.config} promote {story.route} --apply" in said
    )
    # what stays of the plan shown, and until when (the route requires no approvals)
    kept = re.search(
        r"Plan ([0-9a-f]{32}) and its package are kept until (\S+ \S+ UTC), then removed; "
        r"promote --apply plans again\.",
        " ".join(pending.stdout.split()),
    )
    assert kept is not None, pending.stdout

    done, said = story.applied()
    assert lines(done) == lines(planned)
    assert "this run" not in said  # no option given: the route's settings
    task: str = done["task"]["id"]
    assert [(p["taskId"], p["applied"], p["rolledBack"]) for p in story.history()] == [
        (task, True, None)
    ]
    listed = cli.remote.call("GET", "/jobs", workspace=story.prod).json()
    assert sorted(j["name"] for j in listed["jobs"]) == sorted(JOBS)
    return task


def nothing_changed(story: Story) -> None:
    """Promoted again with nothing changed in test: exit 0, and nothing is packaged."""
    quiet = story.human(code=0)
    source = story.cli.remote.workspace_name(story.cli.workspace)
    assert f"Nothing changed in workspace '{source}' since the last promotion (" in quiet.stdout
    assert quiet.stderr == ""
    answer = story.promote(code=0)
    assert (answer["promotion"], answer["plan"], answer["task"]) == (None, None, None)
    assert len(story.history()) == 1


def edit_rename_delete(story: Story) -> str:
    """An edit, a rename and a delete in test: exactly those three changes are promoted."""
    cli = story.cli
    story.put(cli.workspace, "orders", description="v2")
    renamed = cli("jobs", "rename", "customers", "customers_daily")
    assert renamed.exit_code == 0, renamed.output
    assert cli.remote.call("DELETE", "/jobs/legacy", workspace=cli.workspace).status_code == 204
    customers = story.prod_job("customers")

    planned = story.promote(code=4)
    assert lines(planned) == sorted(
        [
            ("OVERWRITE", "job", "orders"),
            ("RENAME", "job", "customers_daily", "customers"),
            ("DELETE", "job", "legacy"),
            *unchanged("orders", "customers"),
        ]
    )
    assert planned["plan"]["problems"] == []
    assert [(c["op"], c["path"], c["after"]) for c in one(planned, "orders")["diff"]] == [
        ("added", "description", "v2")
    ]
    assert (planned["promotion"]["jobs"], planned["promotion"]["deletions"]) == (2, 1)

    done, _ = story.applied()
    assert lines(done) == lines(planned)
    listed = cli.remote.call("GET", "/jobs", workspace=story.prod).json()
    names = ["customers_daily", "inventory", "orders", "revenue"]
    assert sorted(j["name"] for j in listed["jobs"]) == names
    assert story.prod_job("customers_daily")["id"] == customers["id"], "a rename keeps the job"
    assert story.prod_job("orders")["description"] == "v2"
    task: str = done["task"]["id"]
    return task


def hot_fix_with_drift(story: Story) -> str:
    """A hot-fix in prod and another edit of the same job in test: the route's onDrift FAIL
    makes it a problem (exit 3, nothing imported); ``--on-drift`` overrides it for one run."""
    cli = story.cli
    story.put(story.prod, "revenue", description="hot-fix in prod")
    story.put(cli.workspace, "revenue", description="v2 in test")
    expected = sorted([("OVERWRITE", "job", "revenue"), *unchanged("revenue")])

    refused = story.promote(code=3)
    assert lines(refused) == expected
    line = one(refused, "revenue")
    assert (line["drift"], [p["reason"] for p in line["problems"]]) == (True, ["drift"])
    assert [(p["reason"], p["kind"], p["name"]) for p in refused["plan"]["problems"]] == [
        ("drift", "job", "revenue")
    ]
    shown = story.human("--apply", "--yes", code=3)  # a plan with problems is not imported
    text = " ".join(shown.stdout.split())
    assert (
        f"✗ drift job 'revenue': job 'revenue' was changed in workspace '{story.prod_name}' "
        "since the last import wrote it (description)" in text
    )
    assert (
        "fix: carry the change back to the source and promote again, or promote with --on-drift "
        "keep-target (leave it as it is) or --on-drift take-package (overwrite the change) for "
        f"this run (jobferry routes edit {story.route} --on-drift … for every run)" in text
    )
    assert "1 problem(s); nothing imported." in shown.stdout
    assert story.prod_job("revenue")["description"] == "hot-fix in prod"

    # Kept as prod has it: the skipped difference is still pending (exit 4), not "in sync".
    kept = story.promote("--on-drift", "keep-target", code=4)
    assert lines(kept) == sorted([("SKIP", "job", "revenue"), *unchanged("revenue")])
    assert one(kept, "revenue")["reason"]["code"] == "KEPT_DRIFT"
    assert kept["plan"]["problems"] == []
    told = story.human("--on-drift", "keep-target", code=4)
    assert (
        "skipped job 'revenue' changed in the target since the last import, and --on-drift is "
        "keep-target; to write it: --on-drift take-package" in " ".join(told.stdout.split())
    )
    assert "this run: --on-drift keep-target (the route says fail)" in told.stderr
    assert "Changes pending: 1 differing object(s) skipped" in " ".join(told.stdout.split())

    done, said = story.applied("--on-drift", "take-package")
    assert lines(done) == expected
    assert (one(done, "revenue")["drift"], one(done, "revenue").get("problems")) == (True, None)
    assert done["plan"]["problems"] == []
    assert "this run: --on-drift take-package (the route says fail)" in said
    assert cli.json("routes", "show", story.route)["onDrift"] == "FAIL", "for one run only"
    assert story.prod_job("revenue")["description"] == "v2 in test"
    task: str = done["task"]["id"]
    # The override is recorded with the promotion, and said by the history and the task.
    recorded = story.history()[0]
    assert (recorded["taskId"], recorded["overrides"]) == (
        task,
        {
            "by": "admin",
            "settings": [{"setting": "onDrift", "route": "FAIL", "run": "TAKE_PACKAGE"}],
            "driftOverwritten": [{"kind": "job", "name": "revenue"}],
            "driftOverwrittenTotal": 1,
        },
    )
    table = cli("routes", "history", story.route)
    assert "--on-drift take-package by admin; overwrote target changes to job revenue" in " ".join(
        table.stdout.split()
    ), table.stdout
    line = next(s for s in done["task"]["subtasks"] if s["id"] == "job:revenue")
    assert (
        "since the last import (description): drift protection overridden by admin"
        in (line["message"])
    )
    return task


def running_schedule(story: Story) -> Result:
    """A job scheduled in prod and changed in test: paused, written and started again."""
    cli = story.cli
    started = cli("jobs", "start", "inventory", workspace=story.prod)
    assert started.exit_code == 0, started.output
    assert story.status("inventory") == "NORMAL"
    story.put(cli.workspace, "inventory", description="v2 in test")

    planned = story.promote(code=4)
    assert lines(planned) == sorted([("OVERWRITE", "job", "inventory"), *unchanged("inventory")])
    assert (one(planned, "inventory")["pause"], planned["plan"]["problems"]) == (True, [])

    done = story.human("--apply", "--yes", code=0)
    assert "inventory (paused)" in done.stdout
    assert "Scheduled jobs the import stops, writes and starts again: inventory." in done.stdout
    assert story.prod_job("inventory")["description"] == "v2 in test"
    assert story.status("inventory") == "NORMAL", "scheduled again after the import"
    return done


def rolled_back(story: Story, fifth: Result, earlier: list[str]) -> None:
    """The last promotion rolled back with the command it printed: the history, ``tasks
    show`` and the API say so, and the next promotion packages from the last applied one."""
    cli = story.cli
    found = re.search(r"Task (\w+)\. Roll it back with: (.+)$", fifth.stdout.strip())
    assert found, fifth.stdout
    task, command = found.group(1), shlex.split(found.group(2))
    assert command[0] == "jobferry"
    undone = invoke([*command[1:], "--yes"])
    assert undone.exit_code == 0, undone.output
    assert re.search(r"job +│ inventory │ RESTORED", undone.stdout), undone.stdout
    assert "Rolled back 1 object(s)." in undone.stdout
    assert story.prod_job("inventory").get("description") is None, "the first promotion's"
    assert story.status("inventory") == "NORMAL"

    history = story.history()
    assert [p["taskId"] for p in history] == [task, *reversed(earlier)]
    assert [p["applied"] for p in history] == [False, True, True, True]
    rollback = history[0]["rolledBack"]
    assert (rollback["by"], rollback["at"] >= history[0]["createTime"]) == ("admin", True)
    assert [p["rolledBack"] for p in history[1:]] == [None, None, None]
    table = cli("routes", "history", story.route)
    assert table.exit_code == 0, table.output
    assert re.search(rf"{task} .* SUCCESSFUL .* \S+ \S+ by admin", table.stdout), table.stdout

    api = cli.remote.call("GET", f"/system-tasks/{task}", workspace=story.prod).json()
    assert api["rolledBack"] == rollback
    shown = cli("tasks", "show", task, workspace=story.prod)
    assert re.search(r"rolled back: +\S+ \S+ UTC by admin", shown.stdout), shown.stdout
    listed = cli("tasks", "list", workspace=story.prod)
    assert re.search(rf"{task} +│ SUCCESSFUL +│ import,[^\n]*\n +│ rolled back", listed.stdout)

    again = story.promote(code=4)
    assert again["since"] == history[1]["snapshotTime"], "since the last applied promotion"
    assert lines(again) == sorted([("OVERWRITE", "job", "inventory"), *unchanged("inventory")])
    assert (one(again, "inventory")["pause"], again["plan"]["problems"]) == (True, [])


def came_from(story: Story, fourth: str, first: str) -> None:
    """Where a promoted job came from, through the API, ``jobferry jobs show`` and the
    console's job page; a job whose last promotion was rolled back names the one before."""
    cli = story.cli
    source = cli.remote.workspace_name(cli.workspace)
    answer = cli.remote.call("GET", "/jobs/revenue/provenance", workspace=story.prod).json()
    provenance = answer["provenance"]
    history = {p["taskId"]: p for p in story.history()}
    assert {k: v for k, v in provenance.items() if k not in ("sourceUid", "importedAt")} == {
        "sourceWorkspaceId": cli.workspace,
        "sourceWorkspace": source,
        "sourceJobName": "revenue",
        "packageSha256": history[fourth]["packageSha256"],
        "importTaskId": fourth,
        "route": story.route,
        "importedBy": "admin",
        "rolledBack": False,
        "drifted": False,
    }
    inline = cli.json("jobs", "show", "revenue", workspace=story.prod)  # ?provenance=true
    assert inline["provenance"] == provenance
    inventory = cli.remote.call("GET", "/jobs/inventory/provenance", workspace=story.prod).json()
    assert (inventory["provenance"]["importTaskId"], inventory["provenance"]["route"]) == (
        first,
        story.route,
    )

    shown = cli("jobs", "show", "revenue", workspace=story.prod)
    assert shown.exit_code == 0, shown.output
    fields = dict(
        (key.strip(), value.strip())
        for key, _, value in (line.partition(":") for line in shown.stdout.splitlines())
    )
    assert fields["came from"] == f"job revenue of workspace {source} ({cli.workspace})"
    assert fields["route"] == f"promoted along route {story.route}"
    assert fields["package"] == f"sha256 {provenance['packageSha256']}"
    assert fields["import task"].startswith(f"{fourth} by admin, ")
    assert fields["drifted"] == "no"

    browser = console(story)
    page = browser.get(f"/console/w/{story.prod}/jobs/revenue")
    assert page.status_code == 200, page.text
    box = text_of(page.text, "came-from")
    assert f"job revenue of workspace {source} ({cli.workspace})" in box
    assert f"promoted along route {story.route}" in box
    assert f"task {fourth}" in box
    assert "unchanged in this workspace" in box
    last = story.history()[0]["taskId"]
    tasks = browser.get(f"/console/w/{story.prod}/tasks").text
    # each import's row, by its link (the rollback's own task names the import it undid)
    assert "ROLLED BACK" in row_of(tasks, f'/tasks/{last}"')
    assert "ROLLED BACK" not in row_of(tasks, f'/tasks/{fourth}"')
    task_page = browser.get(f"/console/w/{story.prod}/tasks/{last}")
    assert task_page.status_code == 200, task_page.text
    assert "ROLLED BACK</span></h1>" in task_page.text
    assert re.search(r"Rolled back <time [^>]+>[^<]+ UTC</time> by admin\.", task_page.text)


def console(story: Story) -> Browser:
    """The console of the story's server, signed in as a viewer of prod whose password was set
    with ``jobferry admin set-password`` on the server machine."""
    server, user = story.cli.server, f"viewer_{uuid.uuid4().hex[:8]}"
    assert story.cli.remote.call("POST", "/users", {"name": user}).status_code == 200
    role = story.cli.remote.call("PUT", f"/users/{user}/roles/{story.prod}", {"role": "viewer"})
    assert role.status_code == 204, role.text
    command = ["admin", "set-password", user, "--password-stdin"]
    result = invoke(command, env=server.admin_env(), input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    browser = Browser(HttpPages(server.url))
    signed = browser.sign_in(user, PASSWORD)
    assert signed.status_code == 303, signed.text
    return browser


def row_of(page: str, text: str) -> str:
    """The table row of a page that holds ``text``."""
    found = re.search(rf"<tr[^>]*>(?:(?!</tr>).)*{re.escape(text)}(?:(?!</tr>).)*</tr>", page, re.S)
    assert found, f"no row with {text}"
    return found.group(0)


def text_of(page: str, section: str) -> str:
    """The text of the page's section ``id``, tags and spacing taken out."""
    found = re.search(rf'<section class="card" id="{section}">(.*?)</section>', page, re.S)
    assert found, f"no section {section}"
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split())
