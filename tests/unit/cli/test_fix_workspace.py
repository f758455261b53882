"""A fix the command line prints names the workspace the refused command acted in: each
``jobferry …`` command of a workspace it names carries ``-w NAME`` when ``--workspace`` chose
that workspace (``Session.fix_workspace``), unless it names a workspace of its own; commands
of the whole project take none; on the context's own workspace the fixes are as they were; a
user's removal (run with no context) names a package's workspace, the default one's too."""

from __future__ import annotations

import re
import shlex
from typing import Any

import pytest

from jobferry.cli.fix_terms import name_conflict
from jobferry.cli.fixes import cli_fix, profile_check_fix
from jobferry.cli.remedies import REMEDIES, refusal_text
from jobferry.cli.removal import left_short_said
from jobferry.cli.session import Session
from jobferry.cli.workspaces import Workspace
from jobferry.domain.remedies import Remedy
from jobferry.services.accounts.leaving import LeftShort, ShortPackage
from support.cli import whole_command

ROOT: Any = whole_command()
WHERE = " -w dev_ws"
CONTEXTS = [
    {
        "route": "nightly",
        "name": "dws_conn",
        "kind": "connection",
        "job_name": "daily_sales",
        "task_id": "0123abcd",
        "package_id": "p1",
        "remote": "prod_remote",
        "end": "target",
        "entry_id": "e1",
        "holder_kind": "workspace",
        "signature_state": "unsigned",
    },
    {},
]
ELSEWHERE = {
    (Remedy.TRUST_SOURCE_KEY, "keys create"): "the source workspace's key ('there')",
    (Remedy.EXPORT_WORKSPACE, "export"): "on the remote's side",
    (Remedy.DISTRUSTED_APPROVER, "releases export"): "on the package's own server",
    (Remedy.CARRY_APPROVED_AGAIN, "releases approve"): "on the package's own server ('there')",
    (Remedy.CARRY_APPROVED_AGAIN, "releases export"): "on the package's own server",
}
"""Commands a fix says are run on another server or workspace: no ``-w`` of this one."""
MENTION = re.compile(r"jobferry((?: [\w|-]+)+)")


def _command(words: list[str]) -> tuple[Any, str]:
    command, path = ROOT, []
    for word in words:
        sub = getattr(command, "commands", {}).get(word.split("|")[0])
        if sub is None:
            break
        command, path = sub, [*path, word.split("|")[0]]
    return command, " ".join(path)


def _mentions(text: str) -> list[tuple[str, bool, str]]:
    """Each command ``text`` names: its path, whether it takes ``-w``, and its words up to the
    next command or bracket."""
    found = []
    for match in MENTION.finditer(text):
        command, path = _command(match.group(1).split())
        rest = text[match.end() :]
        end = min([len(rest)] + [rest.find(c) for c in ";()" if c in rest])
        nxt = rest.find("jobferry ")
        said = match.group(0) + rest[: min(end, nxt) if nxt >= 0 else end]
        takes = any("-w" in p.opts for p in getattr(command, "params", []))
        found.append((path, takes, said))
    return found


@pytest.mark.parametrize("context", CONTEXTS, ids=["with context", "without"])
@pytest.mark.parametrize("remedy", list(Remedy))
def test_a_remedy_gives_each_workspace_command_the_refused_commands_workspace(
    remedy: Remedy, context: dict[str, Any]
) -> None:
    text = REMEDIES[remedy](context, WHERE)
    for path, takes, said in _mentions(text):
        if not takes:
            assert " -w " not in said, f"{remedy}: jobferry {path} has no -w: {text}"
        elif " --route " not in said and (remedy, path) not in ELSEWHERE:
            assert " -w " in said, f"{remedy}: jobferry {path} without -w: {text}"


@pytest.mark.parametrize("context", CONTEXTS, ids=["with context", "without"])
@pytest.mark.parametrize("remedy", list(Remedy))
def test_a_remedy_on_the_contexts_workspace_is_said_as_before(
    remedy: Remedy, context: dict[str, Any]
) -> None:
    """The workspace is only added: without it the text is the one it was."""
    assert REMEDIES[remedy](context, WHERE).replace(WHERE, "") == REMEDIES[remedy](context, "")


def test_a_fix_naming_its_own_workspace_keeps_it() -> None:
    said = REMEDIES[Remedy.FOLLOW_TASK]({"task_id": "t1", "workspace": "prod"}, WHERE)
    assert "jobferry tasks show t1 --wait -w prod," in said
    assert "dev_ws" not in said
    rollback = REMEDIES[Remedy.ROLL_BACK_FIRST]({"task_id": "t1", "target_workspace": "p"}, WHERE)
    assert rollback.endswith("jobferry rollback t1 -w p.")
    routed = REMEDIES[Remedy.SAVE_POLICY]({"holder_kind": "route", "holder": "nightly"}, WHERE)
    assert routed == "Save one with jobferry policies put -f FILE --route nightly."


def test_a_production_side_is_quoted_once_as_a_whole() -> None:
    """``-w 'WS (production)'``, even for a workspace whose own name needs quoting: followed
    as printed, the shell passes the production side's name whole."""
    for workspace in ("prod", "my ws"):
        said = REMEDIES[Remedy.START_IN_PRODUCTION]({"job_name": "j1", "workspace": workspace}, "")
        command = said.rsplit("then start it there: ", 1)[1].removesuffix(".")
        assert shlex.split(command) == [
            "jobferry",
            "jobs",
            "start",
            "j1",
            "-w",
            f"{workspace} (production)",
        ]


def test_refusal_text_names_the_workspace_given() -> None:
    body = {"remedy": Remedy.STOP_JOB, "problem": "Job 'j1' is scheduled.", "job_name": "j1"}
    assert refusal_text("m", body, "prod") == (
        "Job 'j1' is scheduled. Stop it first with jobferry jobs stop j1 -w prod, then try again."
    )
    assert refusal_text("m", body, "my ws") == (
        "Job 'j1' is scheduled. Stop it first with jobferry jobs stop j1 -w 'my ws', then try "
        "again."
    )
    assert refusal_text("m", body) == (
        "Job 'j1' is scheduled. Stop it first with jobferry jobs stop j1, then try again."
    )


def test_the_session_names_a_workspace_given_or_moved_to_only() -> None:
    assert Session().fix_workspace() is None
    assert Session(workspace="prod").fix_workspace() == "prod"
    looked_up = Session(workspace="0123456789abcdef0123456789abcdef")
    looked_up._workspace = Workspace("0123456789abcdef0123456789abcdef", "prod")
    # given by id, named by id (docs/cli.md), though its name was looked up for a message
    assert looked_up.fix_workspace() == "0123456789abcdef0123456789abcdef"
    moved = Session(workspace="sales")  # the command moved on (a remote's shadow): its name
    moved._workspace, moved._moved = Workspace("0123456789abcdef0123456789abcdef", "shadow"), True
    assert moved.fix_workspace() == "shadow"
    described = Session()  # the context's own, described for a message: not named
    described._workspace = Workspace("w1", "dev")
    assert described.fix_workspace() is None


def test_plan_fixes_name_the_target_for_a_rename_and_a_profile() -> None:
    conflict = {"reason": "name_conflict", "kind": "job", "name": "j1"}
    assert "jobferry jobs rename NAME NEW_NAME -w prod for a job" in (
        cli_fix(conflict, "prod") or ""
    )
    assert "jobferry jobs rename NAME NEW_NAME -w prod" in (
        cli_fix(conflict, "prod", command="apply") or ""
    )
    assert "jobferry jobs rename NAME NEW_NAME for a job" in name_conflict("plan", None)
    assert "(jobferry profiles put NAME -f FILE -w prod)" in profile_check_fix(
        "connection", "c1", "prod"
    )


@pytest.mark.parametrize("context", CONTEXTS, ids=["with context", "without"])
@pytest.mark.parametrize("remedy", list(Remedy))
def test_a_remedy_naming_pull_names_the_folder_it_writes(
    remedy: Remedy, context: dict[str, Any]
) -> None:
    """``jobferry pull -w WS DIR`` takes the folder (docs/cli.md): a fix that names pull
    without one is refused as it is followed (exit 2, a missing argument)."""
    text = REMEDIES[remedy](context, WHERE)
    for match in re.finditer(r"jobferry pull(?P<rest>[^;()]*)", text):
        words = match["rest"].replace(WHERE, "").split()
        assert words[:1] == ["DIR"], f"{remedy}: pull without its folder: {text}"


def test_a_removal_names_a_short_package_s_workspace_even_the_default_one() -> None:
    """``admin remove-user`` says how to mend a release package it leaves short of approvers.
    It runs on the server machine, with no context: the person who follows the fix runs it
    in theirs, whose own workspace (``workspace`` of the context, ``JOBFERRY_WORKSPACE``) may
    be another than the default one. Without ``-w`` there, ``releases create`` would package
    the other workspace's items: the commands name the package's workspace, quoted for a
    shell, the default one's too."""
    counts: dict[str, Any] = {"gone": ("ada",), "approvers": 1, "required": 1}
    other = ShortPackage(package_id=7, name="p1", workspace="sales team", **counts)
    default = ShortPackage(package_id=8, name="p2", workspace="default", **counts)

    said = left_short_said(LeftShort((), (other, default)), done=True).splitlines()

    assert said[1].endswith(
        "cancel it with jobferry releases cancel 7 -w 'sales team', then package its items "
        "again with jobferry releases create -w 'sales team', naming approvers who can"
    )
    assert said[2].endswith(
        "cancel it with jobferry releases cancel 8 -w default, then package its items again "
        "with jobferry releases create -w default, naming approvers who can"
    )
