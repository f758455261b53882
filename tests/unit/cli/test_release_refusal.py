"""A release package refused for its plan's problems, said in the CLI's commands: each fix
from the problem's reason and reference, the way in for what was submitted before the switch
said once, and any other refusal left as the server said it."""

from __future__ import annotations

from typing import Any

from jobferry.cli.client import ApiError
from jobferry.cli.release_refusal import release_fix, worded


def _missing(kind: str, name: str, **more: Any) -> dict[str, Any]:
    return {
        "reason": "missing_reference",
        "kind": "job",
        "name": "daily",
        "detail": f"job 'daily' references {kind} '{name}', which does not exist",
        "fix": f"add {kind} '{name}' to the package (export with exportDepend)",
        "reference": {"kind": kind, "name": name},
        **more,
    }


def _refusal(*problems: dict[str, Any], code: str = "DLF.3051") -> ApiError:
    body = {"error_code": code, "problems": ["as text"], "plan_problems": list(problems)}
    refused = ApiError(400, code, "The request parameter is invalid: …", body)
    refused.path = "/v2/p/factory/pending-items/package"
    return refused


def test_a_missing_script_is_packaged_or_released_first() -> None:
    fix = release_fix(_missing("script", "daily_sql"), "dev")
    assert fix == (
        "package the pending item of script 'daily_sql' too (jobferry releases pending -w dev "
        "lists them), or release it first"
    )


def test_a_missing_connection_is_registered_in_the_workspace_with_what_the_package_says() -> None:
    problem = _missing("connection", "dws_conn", needs={"type": "DWS", "secrets": ["pw"]})
    fix = release_fix(problem, None)
    assert fix is not None
    assert fix.startswith("register it in the workspace (a release takes the workspace's): ")
    assert "jobferry env put connection dws_conn --type DWS --secret pw=@FILE" in fix
    assert " -w " not in fix


def test_a_problem_without_a_cli_fix_keeps_the_servers() -> None:
    policy = {"reason": "policy", "kind": "package", "name": "v1", "detail": "d", "fix": "f"}
    assert release_fix(policy, "dev") is None
    said = worded(_refusal(policy), "dev")
    assert said.body["problems"] == [policy]
    assert "submitted before its switch" not in said.message


def test_the_way_in_for_what_was_submitted_before_the_switch_is_said_once() -> None:
    refused = _refusal(_missing("script", "a_sql"), _missing("script", "a_sh"))
    said = worded(refused, "dev")
    assert said.message.startswith(
        "The release package was not created in workspace 'dev': its plan into production "
        "found 2 problem(s). "
    )
    assert said.message.count("submitted before its switch to enterprise mode") == 1
    assert (
        "(jobferry export --workspace-all --status submit -o FILE -w dev, then jobferry import "
        "FILE --status production -w dev)"
    ) in said.message
    assert [p["fix"].split(" too ")[0] for p in said.body["problems"]] == [
        "package the pending item of script 'a_sql'",
        "package the pending item of script 'a_sh'",
    ]
    assert (said.status, said.code, said.path) == (400, "DLF.3051", refused.path)
    again = worded(refused, None, made=False)
    assert again.message.startswith(
        "The release package was not planned again (it keeps the plan it had): "
    )
    assert " -w " not in again.message


def test_any_other_refusal_is_left_as_the_server_said_it() -> None:
    other = _refusal(_missing("script", "x"), code="DLF.9085")
    assert worded(other, "dev") is other
    untyped = ApiError(400, "DLF.3051", "m", {"problems": ["no approver is named"]})
    assert worded(untyped, "dev") is untyped
