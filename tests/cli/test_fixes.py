"""The CLI says each plan problem's fix with its own commands and flags (CONTRIBUTING.md), from
the problem's reason and structured fields; the API's answer keeps the API's words."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from jobferry.cli.fixes import cli_fix
from jobferry.cli.output import Output
from jobferry.cli.planview import problem_lines, show_plan
from support.builders import editable
from support.cli import Cli


def problem(reason: str, name: str = "daily_sales", **fields: Any) -> dict[str, Any]:
    return {"reason": reason, "kind": "job", "name": name, "detail": "…", "fix": "API words"}


def test_a_missing_connection_is_registered_with_env_put_or_mapped_with_replace() -> None:
    missing = {
        "reason": "missing_reference",
        "kind": "connection",
        "name": "dws_conn",
        "reference": {"kind": "connection", "name": "dws_conn"},
        "usedBy": [{"kind": "job", "name": "a"}],
    }
    fix = cli_fix(missing, "prod")
    assert fix is not None
    assert "jobferry env put connection dws_conn --type … --secret KEY=@FILE -w prod" in fix
    assert "--secret KEY=@FILE" in fix
    assert "--replace TYPE:dws_conn=NEW (TYPE as the connection is: DWS_CONNECTION," in fix


def test_a_missing_connection_the_package_describes_is_registered_as_the_source_has_it() -> None:
    """The plan says what the package's manifest says the connection is (``needs``): every
    fix that registers it (plan, apply, a route's promote) names its type and each secret, so
    the command runs as printed once each FILE is given."""
    missing = {
        "reason": "missing_reference",
        "reference": {"kind": "connection", "name": "dws_conn"},
        "needs": {"type": "DWS", "secrets": ["password", "user name"]},
    }
    typed = "jobferry env put connection dws_conn --type DWS --secret password=@FILE "
    typed += "--secret 'user name=@FILE' -w prod"
    for fix in (
        cli_fix(missing, "prod"),
        cli_fix(missing, "prod", command="apply"),
        cli_fix(missing, "prod", route="to-prod"),
    ):
        assert typed in str(fix), fix
        assert "…" not in str(fix)
        assert "KEY=@FILE" not in str(fix)
    untyped = {**missing, "needs": {"secrets": ["password"]}}
    assert "--type … --secret password=@FILE -w prod" in str(cli_fix(untyped, "prod"))


def test_a_missing_queue_has_no_replace_type_and_is_mapped_with_a_profile() -> None:
    queue = {"reason": "missing_reference", "reference": {"kind": "dli_queue", "name": "q1"}}
    fix = cli_fix(queue, "prod")
    assert fix is not None
    assert "jobferry env put dli_queue q1 --type … -w prod" in fix
    assert "--profile-map FILE" in fix


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("script", "jobferry export without --no-depend"),
        ("resource", "jobferry export without --no-depend"),
        ("cdm_job", "jobferry export without --no-depend"),
        ("job", "jobferry export --with-upstream"),
    ],
)
def test_a_missing_dependency_is_brought_along_by_the_export(kind: str, words: str) -> None:
    ref = {"reason": "missing_reference", "reference": {"kind": kind, "name": "x"}}
    assert words in str(cli_fix(ref, "prod"))


@pytest.mark.parametrize(
    ("reason", "words"),
    [
        ("scheduled", "jobferry jobs stop daily_sales -w prod"),
        ("scheduled", "--scheduling pause-and-restore"),
        ("scheduled", "--policy skip"),
        ("locked", "--policy skip"),
        ("drift", "--on-drift keep-target"),
        ("drift", "--on-drift take-package"),
        ("older_package", "--on-drift keep-target"),
        ("older_package", "--on-drift take-package"),
        ("time_zone", "--keep-wall-clock"),
        ("name_conflict", "--propagate-deletes"),
        ("missing_workspace", "jobferry admin create-workspace NAME"),
    ],
)
def test_each_reason_names_the_cli_command_or_flag(reason: str, words: str) -> None:
    fix = cli_fix(problem(reason), "prod")
    assert fix is not None
    assert words in fix
    for api_words in ("POST ", "PUT ", "sameNamePolicy", "onDrift", "PAUSE_AND_RESTORE"):
        assert api_words not in fix


def test_a_remote_written_all_or_nothing_is_planned_with_mode_atomic() -> None:
    per_object = {**problem("remote"), "kind": "package", "fix": "import with mode ATOMIC"}
    assert cli_fix(per_object, "prod", command="plan") == (
        "plan with --mode atomic, the default (a remote is written all or nothing)"
    )
    assert cli_fix(problem("remote"), "prod") is None  # a swap: the server's fix says it


def test_a_remote_that_submits_every_save_is_planned_with_status_submitted() -> None:
    saved = {**problem("remote"), "kind": "package", "rule": "remote.submits"}
    assert cli_fix(saved, "prod", command="import") == (
        "import with --status submitted, the default (the remote submits every job a push writes)"
    )


def test_an_older_packages_deletion_is_kept_by_leaving_deletions_out() -> None:
    deleting = {**problem("older_package"), "action": "DELETE"}
    fix = str(cli_fix(deleting, "prod"))
    assert "--keep-deletes (keep it)" in fix
    assert "--on-drift take-package (delete it)" in fix
    assert "keep-target" not in fix


def test_an_older_package_making_a_deleted_object_again_is_left_deleted_or_made() -> None:
    again = {**problem("older_package"), "action": "CREATE"}
    fix = str(cli_fix(again, "prod"))
    assert "--on-drift keep-target (leave it deleted)" in fix
    assert "--on-drift take-package (make it again)" in fix


def reference(reason: str, kind: str, name: str) -> dict[str, Any]:
    return {"reason": reason, "kind": kind, "name": name, "reference": {"kind": kind, "name": name}}


# What ``promote`` has no option for: a route maps names in its profile and always carries
# what its jobs use.
NOT_PROMOTE = ("plan with", "export", "--replace", "--profile-map", "--keep-wall-clock")


@pytest.mark.parametrize(
    ("found", "words"),
    [
        (problem("drift"), "promote with --on-drift keep-target"),
        (problem("drift"), "jobferry routes edit test-prod --on-drift … for every run"),
        (problem("scheduled"), "promote with --scheduling pause-and-restore"),
        (problem("scheduled"), "jobferry routes edit test-prod --scheduling pause-and-restore"),
        (problem("scheduled"), "jobferry jobs stop daily_sales -w prod"),
        (problem("locked"), "promote with --policy skip"),
        (problem("older_package"), "on the source's server: jobferry promote test-prod --out"),
        (problem("older_package"), "promote with --on-drift keep-target (leave it as it is)"),
        ({**problem("older_package"), "action": "DELETE"}, "promote with --keep-deletes"),
        ({**problem("older_package"), "action": "CREATE"}, "keep-target (leave it deleted)"),
        (problem("name_conflict"), "promote with --propagate-deletes"),
        (problem("time_zone"), "jobferry routes edit test-prod --profile NAME"),
        (reference("missing_reference", "connection", "dws_conn"), "jobferry env put connection"),
        (
            reference("missing_reference", "connection", "dws_conn"),
            "jobferry profiles put NAME -f FILE -w prod) named on the route "
            "(jobferry routes edit test-prod --profile NAME)",
        ),
        (reference("missing_secret", "connection", "dws_conn"), "--secret KEY=@FILE -w prod"),
        (reference("missing_reference", "script", "daily_sql"), "in the source, so the route"),
        (reference("missing_reference", "job", "upstream"), "routes edit test-prod --upstream"),
    ],
)
def test_a_promote_fix_names_promotes_flags_and_the_routes_settings(
    found: dict[str, Any], words: str
) -> None:
    fix = cli_fix(found, "prod", route="test-prod")
    assert fix is not None
    assert words in fix
    for missing in NOT_PROMOTE:
        assert missing not in fix


def test_a_promote_plan_with_problems_says_promote_again(
    capsys: pytest.CaptureFixture[str],
) -> None:
    plan = {"planId": "p1", "objects": [], "summary": {}, "problems": [problem("drift")]}
    show_plan(Output(False), plan, "prod", route="test-prod")
    shown = " ".join(capsys.readouterr().out.split())
    assert "Problems (fix them, then promote again):" in shown
    assert "promote with --on-drift keep-target" in shown


def test_a_missing_secret_is_set_with_env_put() -> None:
    lacking = {"reason": "missing_secret", "reference": {"kind": "connection", "name": "c1"}}
    fix = str(cli_fix(lacking, "prod"))
    assert "jobferry env put connection c1 --type … --secret KEY=@FILE -w prod" in fix


@pytest.mark.parametrize(
    ("reason", "type_", "replace"),
    [
        ("missing_secret", "Hive", "--replace MRS_HIVE_CONNECTION:c1=NEW"),
        ("missing_secret", "SparkSQL", "--replace MRS_SPARK_CONNECTION:c1=NEW"),
        ("missing_secret", "DWS", "--replace DWS_CONNECTION:c1=NEW"),
        ("missing_secret", "RDS", "--replace TYPE:c1=NEW (TYPE as the connection is: "),
        ("missing_reference", "HIVE", "--replace MRS_HIVE_CONNECTION:c1=NEW"),
    ],
)
def test_a_connection_is_mapped_with_replace_of_its_own_type(
    reason: str, type_: str, replace: str
) -> None:
    """``--replace`` takes TYPE:NAME=NEW: a fix names the type of the connection the package
    says it is, not DWS_CONNECTION for every connection."""
    found = {
        "reason": reason,
        "reference": {"kind": "connection", "name": "c1"},
        "needs": {"type": type_, "secrets": ["password"]},
    }
    assert replace in str(cli_fix(found, "prod"))


@pytest.mark.parametrize(
    ("state", "words"),
    [
        ("untrusted", "jobferry keys trust NAME 'ed25519:…' -w prod"),
        ("unsigned", "jobferry package sign FILE --key KEY.pem"),
        ("invalid", "export the package again"),
        (None, "jobferry package sign FILE --key KEY.pem"),
    ],
)
def test_a_signature_problem_follows_the_plans_signature_state(
    state: str | None, words: str
) -> None:
    signature = {"reason": "signature", "kind": "package", "name": "ab12"}
    assert words in str(cli_fix(signature, "prod", state))


def test_a_reason_the_cli_has_no_words_for_keeps_the_servers_fix(
    capsys: pytest.CaptureFixture[str],
) -> None:
    cycle = problem("dependency_cycle")
    assert cli_fix(cycle, "prod") is None
    problem_lines(Output(False), [cycle, problem("drift")], "prod")
    shown = capsys.readouterr().out
    assert "fix: API words" in shown  # the cycle's
    assert "--on-drift keep-target" in shown  # the drift's, in CLI words
    assert shown.count("API words") == 1


@pytest.mark.parametrize(
    ("code", "why", "fix"),
    [
        ("KEPT_DRIFT", "and --on-drift is keep-target", "--on-drift take-package"),
        ("KEPT_NEWER", "same source, and --on-drift is keep-target", "--on-drift take-package"),
        ("KEPT_DELETED", "keep-target (it stays deleted)", "--on-drift take-package"),
        ("FIRST_IMPORT", "(--policy auto keeps the target's)", "--policy overwrite"),
        ("SAME_NAME_POLICY", "and --policy is skip", "--policy overwrite"),
    ],
)
def test_a_skip_says_why_with_the_cli_flags_not_the_api_fields(
    capsys: pytest.CaptureFixture[str], code: str, why: str, fix: str
) -> None:
    reason = {"code": code, "detail": "onDrift is KEEP_TARGET (API words)", "fix": "API words"}
    skipped = {"kind": "job", "name": "revenue", "action": "SKIP", "reason": reason}
    show_plan(Output(False), {"planId": "p1", "objects": [skipped], "summary": {"SKIP": 1}})
    shown = " ".join(capsys.readouterr().out.split())
    assert "skipped job 'revenue' " in shown
    assert f"{why}; to write it: {fix}" in shown
    assert "API words" not in shown


def test_a_skip_reason_the_cli_has_no_words_for_keeps_the_servers_detail(
    capsys: pytest.CaptureFixture[str],
) -> None:
    reason = {"code": "LATER_REASON", "detail": "a reason from a newer server"}
    skipped = {"kind": "job", "name": "revenue", "action": "SKIP", "reason": reason}
    show_plan(Output(False), {"planId": "p1", "objects": [skipped], "summary": {"SKIP": 1}})
    assert "skipped a reason from a newer server;" in " ".join(capsys.readouterr().out.split())


def test_a_scheduled_job_the_plan_would_overwrite_is_stopped_with_jobs_stop(
    cli: Cli, package: Path
) -> None:
    target = cli.remote.new_workspace("target", "dws_conn", "ssh_conn")
    name = cli.remote.workspace_name(target)
    cli.imported(package, "--status", "production", workspace=target)
    job = editable(cli.remote.call("GET", "/jobs/daily_sales", workspace=target).json())
    job["description"] = "changed in the target"
    assert cli.remote.call("PUT", "/jobs/daily_sales", job, workspace=target).status_code == 204
    assert cli("jobs", "start", "daily_sales", workspace=target).exit_code == 0
    options = ("--policy", "overwrite", "--on-drift", "take-package")
    planned = cli("plan", str(package), *options, workspace=name)
    assert planned.exit_code == 3, planned.output
    assert f"jobferry jobs stop daily_sales -w {name}" in planned.stdout
    assert "--scheduling pause-and-restore" in planned.stdout
    assert "POST .../jobs" not in planned.stdout
    # The API's own answer keeps the API's terms.
    view = cli.json("plan", str(package), *options, workspace=name, code=3)
    [scheduled] = [p for p in view["plan"]["problems"] if p["reason"] == "scheduled"]
    assert "POST .../jobs/daily_sales/stop" in scheduled["fix"]


def test_the_plan_names_the_workspace_s_jobs_a_rename_rewrites(
    capsys: pytest.CaptureFixture[str],
) -> None:
    rewritten = [{"kind": "job", "name": "own_job"}, {"kind": "job", "name": "other_job"}]
    plan = {"planId": "p1", "objects": [], "summary": {}, "referencesRewritten": rewritten}
    show_plan(Output(False), {**plan, "referencesRewrittenTotal": 5})
    shown = " ".join(capsys.readouterr().out.split())
    assert "rewritten to the new names of what the import renames: own_job, other_job" in shown
    assert "and 3 more" in shown
    show_plan(Output(False), {"planId": "p1", "objects": [], "summary": {}})
    assert "rewritten" not in capsys.readouterr().out


def test_the_plan_names_the_jobs_whose_description_a_remote_will_not_get(
    capsys: pytest.CaptureFixture[str],
) -> None:
    unsent = [{"kind": "job", "name": "daily_sales"}, {"kind": "job", "name": "monthly_sales"}]
    plan = {"planId": "p1", "objects": [], "summary": {}, "descriptionsNotSent": unsent}
    show_plan(Output(False), {**plan, "descriptionsNotSentTotal": 3})
    shown = " ".join(capsys.readouterr().out.split())
    assert "Jobs whose description DataArts will not get" in shown
    assert ": daily_sales, monthly_sales and 1 more." in shown
    assert "descriptionsNotSent" not in shown
    show_plan(Output(False), {"planId": "p1", "objects": [], "summary": {}})
    assert "description" not in capsys.readouterr().out


def test_the_plan_says_which_scheduled_jobs_are_started_again_and_which_are_deleted(
    capsys: pytest.CaptureFixture[str],
) -> None:
    objects = [
        {"kind": "job", "name": "gone_job", "action": "DELETE", "pause": True},
        {"kind": "job", "name": "kept_job", "action": "OVERWRITE", "pause": True},
    ]
    show_plan(Output(False), {"planId": "p1", "objects": objects, "summary": {}})
    shown = " ".join(capsys.readouterr().out.split())
    assert "Scheduled jobs the import stops, writes and starts again: kept_job." in shown
    assert "Scheduled jobs the import stops, then deletes: gone_job." in shown


@pytest.mark.parametrize(
    ("command", "route", "keep"),
    [
        ("plan", None, "keep it (plan without --propagate-deletes)"),
        ("import", None, "keep it (import without --propagate-deletes)"),
        ("apply", None, "keep it (apply without --prune)"),
        ("plan", "test-prod", "keep it (promote with --keep-deletes)"),
    ],
)
def test_a_scheduled_job_a_deletion_would_delete_is_stopped_paused_or_kept(
    command: str, route: str | None, keep: str
) -> None:
    """A deletion is not skipped with --policy skip, nor is its job started again: its fix
    stops the job, lets the import stop it, or leaves the deletion out."""
    fix = str(cli_fix({**problem("scheduled"), "action": "DELETE"}, "prod", None, route, command))
    assert "jobferry jobs stop daily_sales -w prod" in fix
    assert "stop it before deleting it" in fix
    assert keep in fix
    assert "--policy" not in fix
    assert "restart" not in fix


@pytest.mark.parametrize(
    ("command", "route", "keep"),
    [
        ("plan", None, "or keep it (plan without --propagate-deletes)"),
        ("import", None, "or keep it (import without --propagate-deletes)"),
        ("apply", None, "or keep it (apply without --prune)"),
        ("plan", "test-prod", "or keep it (promote with --keep-deletes)"),
    ],
)
def test_a_job_another_user_locked_that_a_deletion_would_delete_is_released_or_kept(
    command: str, route: str | None, keep: str
) -> None:
    """A deletion is not skipped with --policy skip: its fix releases the lock or leaves the
    deletion out."""
    fix = str(cli_fix({**problem("locked"), "action": "DELETE"}, "prod", None, route, command))
    assert fix.startswith("ask the lock's holder to release it")
    assert keep in fix
    assert "--policy" not in fix


@pytest.mark.parametrize(
    "reason", ["scheduled", "locked", "drift", "time_zone", "name_conflict", "missing_secret"]
)
def test_apply_says_fixes_without_the_options_it_does_not_have(reason: str) -> None:
    found = problem(reason, reference={"kind": "connection", "name": "c1"})
    found["reference"] = {"kind": "connection", "name": "c1"}
    fix = str(cli_fix(found, "prod", command="apply"))
    for option in ("--policy", "--on-drift", "--replace", "--keep-wall-clock"):
        assert option not in fix, fix
    planned = str(cli_fix(found, "prod", command="import"))
    assert "apply" not in planned
    assert "plan with" not in planned  # the command that planned: import


@pytest.mark.parametrize("route", [None, "dev-prod"])
@pytest.mark.parametrize(
    ("found", "words"),
    [
        (problem("scheduled"), "stop it in DataArts, then refresh the shadow"),
        ({**problem("scheduled"), "action": "DELETE"}, "stop it in DataArts, then refresh"),
        (problem("name_conflict"), "rename or delete that object in DataArts, then refresh"),
        (problem("in_use"), "or in DataArts, then jobferry remotes refresh prod)"),
    ],
)
def test_a_fix_for_a_remote_s_shadow_changes_the_remote_in_dataarts_then_refreshes(
    capsys: pytest.CaptureFixture[str], found: dict[str, Any], words: str, route: str | None
) -> None:
    # the shadow refuses jobs stop, jobs rename and any other write but an import's push
    plan = {
        "planId": "p1",
        "objects": [],
        "summary": {},
        "problems": [found],
        "remoteState": {"remote": "prod", "refreshedAt": 1, "from": "remote"},
    }
    show_plan(Output(False), plan, "prod", route=route, command="import")
    shown = " ".join(capsys.readouterr().out.split())
    assert words in shown
    assert "jobferry remotes refresh prod" in shown
    assert "jobs stop" not in shown
    assert "jobs rename" not in shown


def test_an_object_a_pruned_folder_leaves_in_use_is_kept_or_its_users_files_changed() -> None:
    """``apply -f DIR --prune`` of a folder without a script a job of it still uses: the folder
    is the source, so the fix changes the jobs' files or keeps the script's (no export, no
    other source to change)."""
    found = {**problem("in_use", "s1"), "kind": "script", "action": "DELETE"}
    fix = str(cli_fix(found, "prod", command="apply"))
    assert "export" not in fix
    assert "source" not in fix
    assert "change the files of the jobs that use it" in fix
    assert "keep its file in the folder (or apply without --prune)" in fix
    planned = str(cli_fix(found, "prod", command="import"))
    assert "then export again" in planned
    assert planned.endswith("leave the deletion out (without --propagate-deletes)")
