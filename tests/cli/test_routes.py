"""``jobferry routes``: create, show, edit, list, version and delete routes against a real server.

Routes belong to the project, which the test process's server shares between tests: each test
names its routes uniquely."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from jobferry.cli.client import ApiClient
from support.cli import Cli


def _name() -> str:
    return f"route-{uuid.uuid4().hex[:8]}"


def test_a_route_is_created_shown_edited_and_deleted(cli: Cli) -> None:
    route, prod = _name(), cli.remote.new_workspace("prod")
    made = cli.json(
        "routes",
        "create",
        route,
        "--from",
        cli.workspace,
        "--to",
        prod,
        "--folder",
        "/sales",
        "--policy",
        "overwrite",
        "--scheduling",
        "pause-and-restore",
    )
    assert made["version"] == 1
    assert made["source"] == {"workspace": cli.workspace}
    assert made["selection"] == {"kind": "FOLDERS", "values": ["/sales"], "withUpstream": True}
    assert (made["scheduling"], made["onDrift"]) == ("PAUSE_AND_RESTORE", "FAIL")
    human = cli("routes", "show", route)
    assert human.exit_code == 0, human.output
    for words in ("folders: /sales and their upstream jobs", "pause-and-restore", "on-drift"):
        assert words in human.stdout, human.stdout
    again = cli("routes", "create", route, "--from", cli.workspace, "--to", prod)
    assert again.exit_code == 2, again.output
    assert f"Route '{route}' exists (version 1" in again.output
    assert f"jobferry routes edit {route}" in again.output
    assert cli.json("routes", "show", route)["version"] == 1  # nothing saved
    edited = cli.json("routes", "edit", route, "--on-drift", "keep-target", "--no-upstream")
    assert edited["version"] == 2
    assert edited["onDrift"] == "KEEP_TARGET"
    assert edited["scheduling"] == "PAUSE_AND_RESTORE"  # not named: kept
    assert edited["selection"] == {"kind": "FOLDERS", "values": ["/sales"], "withUpstream": False}
    assert cli.json("routes", "show", route, "--version", "1")["onDrift"] == "FAIL"
    versions = cli.json("routes", "versions", route)["versions"]
    assert [v["version"] for v in versions] == [2, 1]
    assert "on-drift: fail → keep-target" in versions[0]["changed"]
    assert versions[1]["changed"] == "created"
    table = cli("routes", "versions", route, env={"COLUMNS": "200"}).stdout  # whole cells
    listed = " ".join(table.split())
    assert "on-drift: fail → keep-target" in listed
    assert "and their upstream jobs → folders: /sales" in listed  # no longer: selection changed
    assert listed.rstrip().endswith("created")  # version 1, last
    assert route in [r["name"] for r in cli.json("routes", "list")["routes"]]
    deleted = cli("routes", "delete", route)
    assert deleted.exit_code == 0, deleted.output
    assert f"Deleted route '{route}'" in deleted.stdout
    gone = cli("routes", "show", route)
    assert gone.exit_code == 1
    assert "DLF.9040" in gone.stderr


def test_a_route_from_a_file_with_a_carried_target(cli: Cli, tmp_path: Path) -> None:
    route = _name()
    document = tmp_path / "route.yaml"
    document.write_text(f"source: {{workspace: {cli.workspace}}}\npropagateDeletes: true\n")
    made = cli.json("routes", "create", route, "-f", str(document), "--to-carried")
    assert made["target"] == {"carried": True}
    assert made["propagateDeletes"] is True
    assert "carried (another server)" in cli("routes", "show", route).stdout


def test_a_new_route_ends_with_the_promotion_it_is_for(cli: Cli) -> None:
    """Once saved, a route is promoted: the last line names the command, as the route's ends
    ask for it (a package cut out for a target on another server, taken in from a source)."""
    prod = cli.remote.new_workspace("prod")
    ends = (
        (["--to", prod], "promote {} (shows the plan; --apply imports it)"),
        (["--to-carried"], "promote {} --out FILE (the package to carry)"),
    )
    for where, then in ends:
        route = _name()
        made = cli("routes", "create", route, "--from", cli.workspace, *where)
        assert made.exit_code == 0, made.output
        last = made.stdout.strip().splitlines()[-1]
        jobferry = f"jobferry --config {cli.config}"
        assert last == f"Promote along it: {jobferry} {then.format(route)}", last
    route = _name()
    made = cli("routes", "create", route, "--from-carried", "--to", prod)
    last = made.stdout.strip().splitlines()[-1]
    assert last == (
        f"Promote along it: jobferry --config {cli.config} promote {route} --in FILE (a package "
        "the source server cut)"
    ), last
    edited = cli("routes", "edit", route, "--policy", "skip")
    assert "Promote along it" not in edited.stdout  # said once, when it is made


def _made_route(cli: Cli) -> str:
    route = _name()
    made = cli("routes", "create", route, "--from", cli.workspace, "--to-carried")
    assert made.exit_code == 0, made.output
    return route


def test_refusals_name_the_rule_and_change_nothing(cli: Cli) -> None:
    route = _name()
    both = cli("routes", "create", route, "--to", cli.workspace, "--to-carried")
    assert both.exit_code == 2
    assert "not both" in both.output
    ways = cli(
        "routes",
        "create",
        route,
        "--from",
        cli.workspace,
        "--to-carried",
        "--all",
        "--job",
        "daily_sales",
    )
    assert ways.exit_code == 2
    assert "one way" in ways.output
    same = cli("routes", "create", route, "--from", cli.workspace, "--to", cli.workspace)
    assert same.exit_code == 1
    assert "different workspaces" in same.stderr
    badly = cli("routes", "create", "bad name!", "--from", cli.workspace, "--to-carried")
    assert badly.exit_code == 1
    assert badly.stderr.count("contains ' ', '!', which is not allowed") == 1  # said once
    shown = cli("routes", "show", _made_route(cli)).stdout.splitlines()
    assert shown[0].startswith("route:")  # named once, with its version
    typo = cli("routes", "create", route, "--from", cli.workspace, "--to", "prdo")
    assert typo.exit_code == 1
    assert "its target workspace 'prdo' does not exist" in typo.stderr
    assert "--to-carried" in typo.stderr  # the fix, in this CLI's terms, and no other
    assert "--workspace" not in typo.stderr
    nothing = cli("routes", "edit", route)
    assert nothing.exit_code == 2
    assert route not in [r["name"] for r in cli.json("routes", "list")["routes"]]


def test_an_edit_keeps_what_another_saved_between_its_read_and_its_save(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``edit`` saves on the version it read (If-Match); refused because another admin saved
    meanwhile, it reads the route again and makes its change to the newer version."""
    route, prod = _name(), cli.remote.new_workspace("prod")
    cli.json("routes", "create", route, "--from", cli.workspace, "--to", prod)
    real = ApiClient.call
    raced: list[str] = []

    def call(self: ApiClient, method: str, path: str, body: object = None, **kw: object) -> object:
        if method == "PUT" and not raced:  # another admin saves version 2 first
            raced.append(path)
            assert isinstance(body, dict)
            real(self, "PUT", path, {**body, "onDrift": "FAIL", "description": "theirs"})
        return real(self, method, path, body, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(ApiClient, "call", call)
    edited = cli.json("routes", "edit", route, "--on-drift", "keep-target")

    assert (edited["version"], edited["onDrift"], edited["description"]) == (
        3,
        "KEEP_TARGET",
        "theirs",
    )
    assert raced == [f"/routes/{route}"]


def test_a_route_to_a_workspace_the_project_lacks_names_the_command_to_give(cli: Cli) -> None:
    """A create refused for a workspace the project lacks says to create the route with that
    end carried (an edit of a route not saved would be refused); an edit says to edit it."""
    route, prod = _name(), cli.remote.new_workspace("prod")
    made = cli("routes", "create", route, "--from", "no_such_ws", "--to", prod)
    assert made.exit_code == 1, made.output
    said = " ".join(made.stderr.split())
    assert said.startswith("error DLF.0819: "), said
    assert f"jobferry routes create {route} with --from-carried --from-id ID in place" in said
    assert "routes edit" not in said
    assert cli("routes", "create", route, "--from", cli.workspace, "--to", prod).exit_code == 0
    edited = cli("routes", "edit", route, "--to", "no_such_ws")
    assert edited.exit_code == 1, edited.output
    said = " ".join(edited.stderr.split())
    assert f"(jobferry routes edit {route} --to-carried)" in said, said
    assert cli.json("routes", "show", route)["version"] == 1
    assert cli("routes", "delete", route).exit_code == 0
