"""jobs list/show, workspaces list, and how failures reach the terminal (codes, exit status)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import Result

from jobferry.cli.app import _hint
from jobferry.cli.client import ApiError
from support.builders import make_job
from support.cli import Cli, invoke, write_config
from support.exporting import seed


def test_jobs_list_shows_every_job_of_the_workspace(cli: Cli) -> None:
    seed(cli.remote, ("daily_sales", "weekly_sales"), workspace=cli.workspace)
    listed = cli.json("jobs", "list")
    assert listed["total"] == 2
    assert sorted(j["name"] for j in listed["jobs"]) == ["daily_sales", "weekly_sales"]
    human = cli("jobs", "list", "--name", "weekly")
    assert human.exit_code == 0, human.output
    assert "weekly_sales" in human.stdout
    assert "daily_sales" not in human.stdout


def test_jobs_list_walks_every_page(cli: Cli) -> None:
    for i in range(105):
        job = make_job(f"bulk_{i:03d}", nodes=[])
        response = cli.remote.call("POST", "/jobs", job, workspace=cli.workspace)
        assert response.status_code == 204, response.text
    listed = cli.json("jobs", "list")
    names = [j["name"] for j in listed["jobs"]]
    assert listed["total"] == 105
    assert sorted(names) == [f"bulk_{i:03d}" for i in range(105)]


def test_jobs_show_gives_the_definition_or_a_version(cli: Cli) -> None:
    seed(cli.remote, ("daily_sales",), workspace=cli.workspace)
    job = cli.json("jobs", "show", "daily_sales")
    assert job["name"] == "daily_sales"
    assert [n["name"] for n in job["nodes"]] == ["load", "report"]
    assert cli.json("jobs", "show", "daily_sales", "--version", "1")["version"] == "1"
    human = cli("jobs", "show", "daily_sales", "--submitted")
    assert human.exit_code == 0, human.output
    assert "0 30 2 * * ?" in human.stdout
    assert "report" in human.stdout
    both = cli("jobs", "show", "daily_sales", "--version", "1", "--submitted")
    assert both.exit_code == 2, both.output
    assert "--version and --submitted" in both.stderr


def test_server_errors_show_code_message_and_exit_1(cli: Cli) -> None:
    result = cli("jobs", "show", "no_such_job")
    assert result.exit_code == 1
    assert "error DLF.0100" in result.stderr
    assert "no_such_job" in result.stderr
    assert "Traceback" not in result.output
    as_json = cli.json("jobs", "show", "no_such_job", code=1)
    assert as_json["error"]["code"] == "DLF.0100"
    assert as_json["error"]["status"] == 400


def test_a_servers_refusal_ends_with_the_request_id_its_log_names(cli: Cli) -> None:
    """The id the operator looks the call up by in the server's log, as --json gives it."""
    said = cli("jobs", "show", "no_such_job").stderr.splitlines()
    assert said[-1].startswith("request id: ")
    assert re.fullmatch(r"[0-9a-f]{32}", said[-1].removeprefix("request id: ")), said
    as_json = cli.json("jobs", "show", "no_such_job", code=1)
    assert re.fullmatch(r"[0-9a-f]{32}", as_json["error"]["request_id"])


def test_unknown_workspace_names_the_fix(cli: Cli) -> None:
    result = cli("jobs", "list", workspace="0" * 32)
    assert result.exit_code == 1
    assert "DLF.0819" in result.stderr
    assert "jobferry workspaces list" in result.stderr


def _list_jobs_with_config(cli: Cli, folder: Path, value: str, instead: str) -> Result:
    """``jobs list`` with a config of the CLI's server and workspace, ``value`` replaced by
    ``instead`` in it."""
    config = write_config(folder / "changed.toml", cli.server, cli.workspace)
    config.write_text(config.read_text().replace(value, instead), encoding="utf-8")
    return invoke(["--config", str(config), "jobs", "list"])


def test_wrong_secret_key_is_refused_with_a_hint(cli: Cli, tmp_path: Path) -> None:
    result = _list_jobs_with_config(cli, tmp_path, cli.server.sk, "wrong-secret")
    assert result.exit_code == 1
    assert "APIGW.0301" in result.stderr
    assert "clock" in result.stderr


def test_a_host_the_server_does_not_answer_to_is_hinted_at_the_endpoint_not_the_keys() -> None:
    """The keys and the clock are right: the context's endpoint names the server otherwise."""
    body = {"error_code": "APIGW.0301", "host": "10.0.0.5:8000", "public_hosts": ["jf.example"]}
    refused = ApiError(401, "APIGW.0301", "Host '10.0.0.5:8000' is not one of …", body)
    hint = _hint(refused)
    assert hint is not None
    assert "endpoint" in hint
    assert "clock" not in hint
    assert _hint(ApiError(401, "APIGW.0301", "verify aksk signature fail", {})) == HINTS_0301


HINTS_0301 = (
    "check the AK/SK and project id of the context, and this machine's clock (signatures are "
    "valid for 15 minutes)."
)


def test_unreachable_endpoint_fails_cleanly(cli: Cli, tmp_path: Path) -> None:
    result = _list_jobs_with_config(cli, tmp_path, cli.server.url, "http://127.0.0.1:9")
    assert result.exit_code == 1
    assert "Cannot reach http://127.0.0.1:9" in result.stderr
    assert result.stderr.startswith("error: ")  # no code of a server's to show
    assert "request id" not in result.stderr  # no server answered


def test_a_failure_of_the_command_itself_says_its_kind_in_json(cli: Cli, tmp_path: Path) -> None:
    """A script tells failures apart by ``error.code`` where no server gave one."""
    config = write_config(tmp_path / "moved.toml", cli.server, cli.workspace)
    config.write_text(config.read_text().replace(cli.server.url, "http://127.0.0.1:9"))
    down = invoke(["--config", str(config), "--json", "jobs", "list"])
    assert (down.exit_code, json.loads(down.stdout)["error"]["code"]) == (1, "unreachable")
    mine = write_config(tmp_path / "mine.toml", cli.server, cli.workspace)
    nothing = invoke(["--config", str(mine), "--json", "routes", "edit", "any-route"])
    assert (nothing.exit_code, json.loads(nothing.stdout)["error"]["code"]) == (2, "usage")


def test_environment_variables_can_replace_the_config_file(cli: Cli, tmp_path: Path) -> None:
    seed(cli.remote, ("daily_sales",), workspace=cli.workspace)
    env = {
        "XDG_CONFIG_HOME": str(tmp_path),  # no jobferry/config.toml there
        "JOBFERRY_ENDPOINT": cli.server.url,
        "JOBFERRY_PROJECT_ID": cli.server.project_id,
        "JOBFERRY_WORKSPACE": cli.workspace,
        "JOBFERRY_AK": cli.server.ak,
        "JOBFERRY_SK": cli.server.sk,
    }
    result = invoke(["jobs", "list", "--json"], env=env)
    assert result.exit_code == 0, result.output
    assert '"daily_sales"' in result.stdout


def test_incomplete_profile_is_a_usage_error(tmp_path: Path) -> None:
    result = invoke(["jobs", "list"], env={"XDG_CONFIG_HOME": str(tmp_path)})
    assert result.exit_code == 2
    assert "has no endpoint, project_id" in result.stderr


def test_a_named_config_file_must_exist(tmp_path: Path) -> None:
    result = invoke(["--config", str(tmp_path / "none.toml"), "jobs", "list"])
    assert result.exit_code == 2
    assert "none.toml does not exist" in result.stderr


def test_workspaces_list_gives_ids_and_roles(cli: Cli) -> None:
    listed = cli.json("workspaces", "list")
    mine = [w for w in listed["workspaces"] if w["id"] == cli.workspace]
    assert mine
    assert mine[0]["role"] == "admin"
    human = cli("workspaces", "list")
    assert cli.workspace in human.stdout


def _status(cli: Cli, name: str) -> str:
    return str(
        cli.remote.call("GET", f"/jobs/{name}/status", workspace=cli.workspace).json()["status"]
    )


def test_jobs_stop_start_and_rename_drive_the_job(cli: Cli) -> None:
    seed(cli.remote, ("daily_sales",), workspace=cli.workspace)
    stopped = cli("jobs", "stop", "daily_sales")
    assert stopped.exit_code == 0, stopped.output
    assert "Stopped job 'daily_sales'" in stopped.stdout
    assert _status(cli, "daily_sales") == "STOPPED"
    started = cli.json("jobs", "start", "daily_sales")
    assert started == {"started": "daily_sales"}
    assert _status(cli, "daily_sales") == "NORMAL"  # DataArts: a started job is NORMAL
    cli("jobs", "stop", "daily_sales")
    renamed = cli("jobs", "rename", "daily_sales", "sales_daily")
    assert renamed.exit_code == 0, renamed.output
    assert "Renamed job 'daily_sales' to 'sales_daily'" in renamed.stdout
    assert [j["name"] for j in cli.json("jobs", "list")["jobs"]] == ["sales_daily"]
    missing = cli("jobs", "start", "daily_sales")
    assert missing.exit_code == 1
    assert "DLF.0100" in missing.stderr


def test_a_name_with_a_slash_is_said_to_hold_no_slash_not_an_endpoint_without_the_call(
    cli: Cli,
) -> None:
    """A name holds no ``/`` (docs/api.md, "Names"); sent encoded (``a%2Fb``), as the SDK sends
    it, the endpoint routes it as two segments and has no such call. The command line says the
    name is the trouble, not that the endpoint needs to be a jobferry server."""
    result = cli("jobs", "show", "a/b")
    assert result.exit_code == 1, result.output
    assert "no '/'" in result.stderr, result.stderr
    assert "need a jobferry server" not in result.stderr
    assert "need a jobferry server" in (_hint(ApiError(404, "APIGW.0101", "", {})) or "")
