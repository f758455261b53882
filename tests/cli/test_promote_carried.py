"""``jobferry promote ROUTE --out FILE`` / ``--in FILE``: one route across two servers that
share nothing but the packages carried between them; exit 0 nothing to do, 4 changes pending,
3 a refused package (wrong route or source, a package missing in the chain) or problems."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from support.builders import make_job
from support.cli import Cli
from support.exporting import seed

JOBS = ("daily_sales", "weekly_sales", "monthly_sales")


def _actions(result: dict[str, Any]) -> dict[tuple[str, str], str]:
    return {(o["kind"], o["name"]): o["action"] for o in result["plan"]["objects"]}


def _unchanged(*jobs: str) -> dict[tuple[str, str], str]:
    """The scripts of ``jobs`` and the resource they use, unchanged."""
    scripts = {("script", f"{n}_{t}"): "UNCHANGED" for n in jobs for t in ("sql", "sh")}
    return {**scripts, ("resource", "udf_jar"): "UNCHANGED"}


def _routes(test: Cli, prod: Cli) -> str:
    """The route on both servers: carried out of the test workspace, carried into prod."""
    name = f"carried-{uuid.uuid4().hex[:8]}"
    made = test("routes", "create", name, "--from", test.workspace, "--to-carried")
    assert made.exit_code == 0, made.output
    made = prod(
        "routes",
        "create",
        name,
        "--from-carried",
        "--from-id",
        test.workspace,
        "--to",
        prod.workspace,
        "--propagate-deletes",
    )
    assert made.exit_code == 0, made.output
    return name


def _edit(cli: Cli, name: str, value: str) -> None:
    job = make_job(name)
    job["params"] = [{"name": "bizdate", "value": value}]
    changed = cli.remote.call("PUT", f"/jobs/{name}", job, workspace=cli.workspace)
    assert changed.status_code == 204, changed.text


def _out(test: Cli, route: str, file: str, *options: str, code: int = 0) -> dict[str, Any]:
    result: dict[str, Any] = test.json("promote", route, "--out", file, *options, code=code)
    return result


def _refused(prod: Cli, route: str, file: str, *words: str) -> None:
    result = prod("promote", route, "--in", file, "--apply", "--yes")
    assert result.exit_code == 3, result.output
    assert "DLF.9041" in result.output or "refuses the package" in result.output, result.output
    for word in words:
        assert word in result.output, result.output


@pytest.mark.slow  # a server of its own for the target side, a dozen promote runs: ~10 s
def test_a_route_across_two_servers_through_carried_packages(cli: Cli, prod: Cli) -> None:
    test = cli
    seed(test.remote, JOBS, workspace=test.workspace)
    route = _routes(test, prod)

    first = _out(test, route, "p1.zip")
    assert Path("p1.zip").is_file()
    assert (first["promotion"]["jobs"], first["promotion"]["since"]) == (3, None)
    assert first["sha256"] == first["download"]["sha256"]
    planned = prod.json("promote", route, "--in", "p1.zip", code=4)
    assert _actions(planned) == {
        **{("job", n): "CREATE" for n in JOBS},
        **{("script", f"{n}_{t}"): "CREATE" for n in JOBS for t in ("sql", "sh")},
        ("resource", "udf_jar"): "CREATE",
    }
    done = prod.json("promote", route, "--in", "p1.zip", "--apply", "--yes")
    assert done["task"]["status"] == "SUCCESSFUL"

    # An edit, a rename and a delete in the source travel in the second package.
    _edit(test, "daily_sales", "yesterday")
    assert test("jobs", "rename", "weekly_sales", "weekly_sales_v2").exit_code == 0
    gone = test.remote.call("DELETE", "/jobs/monthly_sales", workspace=test.workspace)
    assert gone.status_code == 204, gone.text
    second = _out(test, route, "p2.zip")
    assert second["promotion"]["since"] == first["promotion"]["snapshotTime"]
    assert second["promotion"]["deletions"] == 1
    said = prod("promote", route, "--in", "p2.zip", "--on-drift", "keep-target")
    assert said.exit_code == 4, said.output
    assert "this run: --on-drift keep-target (the route says fail)" in said.output
    planned = prod.json("promote", route, "--in", "p2.zip", code=4)
    assert _actions(planned) == {
        ("job", "daily_sales"): "OVERWRITE",
        ("job", "weekly_sales_v2"): "RENAME",
        ("job", "monthly_sales"): "DELETE",
        **_unchanged("daily_sales", "weekly_sales"),
    }
    human = prod("promote", route, "--in", "p2.zip", "--apply", "--yes")
    assert human.exit_code == 0, human.output
    assert "Roll it back with: jobferry" in human.stdout
    listed = {
        j["name"] for j in prod.remote.call("GET", "/jobs", workspace=prod.workspace).json()["jobs"]
    }
    assert listed == {"daily_sales", "weekly_sales_v2"}

    # Nothing changed since: no package, exit 0.
    unchanged = test("promote", route, "--out", "p3.zip")
    assert unchanged.exit_code == 0, unchanged.output
    assert "Nothing changed" in unchanged.output
    said = " ".join(unchanged.output.split())
    assert "left behind (kept as the target had it, or skipped) is not carried again" in said
    assert f"jobferry promote {route} --out p3.zip --full carries every selected job" in said
    assert not Path("p3.zip").exists()

    # A package skipped in the chain: the next one is refused, naming the fix.
    _edit(test, "daily_sales", "today")
    skipped = _out(test, route, "p4.zip")
    _edit(test, "daily_sales", "tomorrow")
    _out(test, route, "p5.zip")
    _refused(prod, route, "p5.zip", "route.chain", f"promote {route} --out FILE --full")
    assert skipped["promotion"]["snapshotTime"]

    # A package of another route, and one of another source, are refused too.
    other = f"other-{uuid.uuid4().hex[:8]}"
    assert test("routes", "create", other, "--from", test.workspace, "--to-carried").exit_code == 0
    _out(test, other, "other.zip")
    _refused(prod, route, "other.zip", "route.name", other)
    elsewhere = test.remote.new_workspace("elsewhere")
    seed(test.remote, ("daily_sales",), workspace=elsewhere)
    assert test("routes", "edit", route, "--from", elsewhere).exit_code == 0
    _out(test, route, "elsewhere.zip")
    _refused(prod, route, "elsewhere.zip", "route.source")
    assert test("routes", "edit", route, "--from", test.workspace).exit_code == 0

    # A full package recovers: the target's ledger decides what it changes.
    full = _out(test, route, "full.zip", "--full")
    assert full["promotion"]["since"] is None
    planned = prod.json("promote", route, "--in", "full.zip", code=4)
    assert _actions(planned) == {
        ("job", "daily_sales"): "OVERWRITE",
        ("job", "weekly_sales_v2"): "UNCHANGED",
        **_unchanged(*JOBS),  # the scripts of the deleted job stay in the source
    }
    done = prod.json("promote", route, "--in", "full.zip", "--apply", "--yes")
    assert done["task"]["status"] == "SUCCESSFUL"
    again = prod("promote", route, "--in", "full.zip")  # imported: nothing would change
    assert again.exit_code == 0, again.output
    assert "Nothing would change" in again.output
    twice = prod("promote", route, "--in", "full.zip", "--apply", "--yes")  # taken in once
    assert twice.exit_code == 0, twice.output
    assert f"rollback {done['task']['id']} -w " in " ".join(twice.output.split())

    carried_out = test.json("routes", "history", route)["promotions"]
    assert {p["carried"] for p in carried_out} == {"out"}
    assert all(p["taskId"] is None for p in carried_out)
    taken_in = prod.json("routes", "history", route)["promotions"]
    assert {p["carried"] for p in taken_in} == {"in"}
    # p1, p2 and the full package were imported; the plans (the last one included) are not listed
    assert [p["applied"] for p in taken_in] == [True, True, True]


def test_out_and_in_say_which_options_fit_and_which_side_to_run_on(cli: Cli) -> None:
    name = f"carried-{uuid.uuid4().hex[:8]}"
    made = cli("routes", "create", name, "--from-carried", "--to", cli.workspace)
    assert made.exit_code == 0, made.output
    for options, words in (
        (("--out", "a.zip", "--in", "b.zip"), "not both"),
        (("--full",), "--full is for --out FILE"),
        (("--out", "a.zip", "--apply", "--yes"), "--out only writes the package"),
        (("--out", "a.zip", "--on-drift", "keep-target"), "--out only writes the package"),
    ):
        refused = cli("promote", name, *options)
        assert refused.exit_code == 2, refused.output
        assert words in refused.output, refused.output
    local = cli("promote", name)
    assert local.exit_code == 1, local.output
    assert f"jobferry promote {name} --in FILE" in local.output
    out = cli("promote", name, "--out", "a.zip")  # this server holds the target end
    assert out.exit_code == 1, out.output
    assert "--in FILE" in out.output
    assert not Path("a.zip").exists()
    missing = cli("promote", name, "--in", "nowhere.zip")
    assert missing.exit_code == 2, missing.output

    seed(cli.remote, ("daily_sales",), workspace=cli.workspace)
    outward = f"out-{uuid.uuid4().hex[:8]}"
    assert cli("routes", "create", outward, "--from", cli.workspace, "--to-carried").exit_code == 0
    first = cli("promote", outward, "--out", "first.zip")
    assert first.exit_code == 0, first.output
    said = " ".join(first.output.split())
    assert f"On the target server: jobferry promote {outward} --in first.zip" in said
    assert (  # the first package: the target side may not have the route yet
        f"make the route there: jobferry routes create {outward} --from-carried --from-id "
        f"{cli.workspace} --to WORKSPACE" in said
    )


@pytest.mark.slow  # a server of its own for the target side
def test_a_package_taken_in_again_names_the_rollback_of_its_import_in_the_routes_target(
    cli: Cli, prod: Cli
) -> None:
    test = cli
    seed(test.remote, ("daily_sales",), workspace=test.workspace)
    route = _routes(test, prod)
    _out(test, route, "p1.zip")
    done = prod.json("promote", route, "--in", "p1.zip", "--apply", "--yes")
    elsewhere = prod.remote.new_workspace("elsewhere")  # the context's workspace is another

    again = prod("promote", route, "--in", "p1.zip", workspace=elsewhere)

    assert again.exit_code == 0, again.output
    said = " ".join(again.stdout.split())
    target = prod.remote.workspace_name(prod.workspace)
    command = f"jobferry --config {prod.config} rollback {done['task']['id']} -w {target}"
    assert said.endswith(f"roll that import back first: {command}"), said
    # The command it names rolls that import back as it is, whatever the context's workspace.
    undone = prod(*command.split()[3:], "--yes", workspace=elsewhere)
    assert undone.exit_code == 0, undone.output
    assert prod.json("routes", "history", route)["promotions"][0]["applied"] is False


def _status(cli: Cli, name: str) -> str:
    answer = cli.remote.call("GET", f"/jobs/{name}/status", workspace=cli.workspace)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["status"])


@pytest.mark.slow  # a server of its own for the target side
def test_a_hot_fix_a_running_schedule_and_a_rollback_across_two_servers(
    cli: Cli, prod: Cli
) -> None:
    # The target's route settings decide: onDrift FAIL (the default), pause-and-restore.
    test = cli
    seed(test.remote, ("daily_sales", "weekly_sales"), workspace=test.workspace)
    route = _routes(test, prod)
    edited = prod("routes", "edit", route, "--scheduling", "pause-and-restore")
    assert edited.exit_code == 0, edited.output
    _out(test, route, "p1.zip")
    assert prod.json("promote", route, "--in", "p1.zip", "--apply", "--yes")["task"]

    # A hot-fix in prod and another edit of the same job in test: a drift problem (exit 3,
    # nothing imported), then taken for one run.
    _edit(prod, "daily_sales", "hot-fix")
    _edit(test, "daily_sales", "yesterday")
    _out(test, route, "p2.zip")
    drifted = prod.json("promote", route, "--in", "p2.zip", "--apply", "--yes", code=3)
    assert [(p["reason"], p["name"]) for p in drifted["plan"]["problems"]] == [
        ("drift", "daily_sales")
    ]
    assert drifted["task"] is None
    kept = prod.remote.call("GET", "/jobs/daily_sales", workspace=prod.workspace).json()
    assert kept["params"] == [{"name": "bizdate", "value": "hot-fix"}]
    taken = prod("promote", route, "--in", "p2.zip", "--on-drift", "take-package", "--apply", "-y")
    assert taken.exit_code == 0, taken.output
    assert "this run: --on-drift take-package (the route says fail)" in taken.output

    # A job running on its schedule in prod and changed in test: paused, written, started again.
    assert prod("jobs", "start", "weekly_sales").exit_code == 0
    assert _status(prod, "weekly_sales") == "NORMAL"
    _edit(test, "weekly_sales", "last week")
    _out(test, route, "p3.zip")
    planned = prod.json("promote", route, "--in", "p3.zip", code=4)
    paused = [o for o in planned["plan"]["objects"] if o["name"] == "weekly_sales"]
    assert [(o["action"], o.get("pause")) for o in paused] == [("OVERWRITE", True)]
    done = prod("promote", route, "--in", "p3.zip", "--apply", "--yes")
    assert done.exit_code == 0, done.output
    assert "weekly_sales (paused)" in done.stdout
    assert _status(prod, "weekly_sales") == "NORMAL", "scheduled again after the import"

    # The last import rolled back on the target: its history marks it.
    history = prod.json("routes", "history", route)["promotions"]
    last = history[0]["taskId"]
    undone = prod("rollback", last, "--yes")
    assert undone.exit_code == 0, undone.output
    history = prod.json("routes", "history", route)["promotions"]
    assert [p["applied"] for p in history] == [False, True, True]
    assert history[0]["rolledBack"]["by"] == "admin"


@pytest.mark.slow  # a server of its own for the target side
def test_a_package_the_target_already_holds_is_recorded_so_the_chain_goes_on(
    cli: Cli, prod: Cli
) -> None:
    test = cli
    seed(test.remote, ("daily_sales",), workspace=test.workspace)
    _edit(test, "daily_sales", "today")
    route = _routes(test, prod)
    _out(test, route, "p1.zip")
    assert prod.json("promote", route, "--in", "p1.zip", "--apply", "--yes")["task"]["status"] == (
        "SUCCESSFUL"
    )

    # Changed and changed back in the source: the next package carries what prod already holds.
    _edit(test, "daily_sales", "tomorrow")
    _edit(test, "daily_sales", "today")
    _out(test, route, "p2.zip")
    said = prod("promote", route, "--in", "p2.zip")
    assert said.exit_code == 0, said.output
    # The target's own config file: the command runs there as it is.
    assert f"--config {prod.config} promote {route} --in p2.zip --apply" in " ".join(
        said.stdout.split()
    )
    held = prod.json("promote", route, "--in", "p2.zip", "--apply", "--yes")
    assert set(_actions(held).values()) == {"UNCHANGED"}
    assert held["task"]["status"] == "SUCCESSFUL"

    # So the package cut after it continues the chain instead of being refused.
    _edit(test, "daily_sales", "tomorrow")
    _out(test, route, "p3.zip")
    done = prod.json("promote", route, "--in", "p3.zip", "--apply", "--yes")
    assert _actions(done)[("job", "daily_sales")] == "OVERWRITE"
    assert done["task"]["status"] == "SUCCESSFUL"
