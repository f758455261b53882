"""``jobferry tags list|lock|unlock|delete``: a workspace's tags from the terminal; a delete
asks first, and the server's refusals (a tag jobs carry, a locked tag, no such tag) are said
with jobferry's commands, nothing deleted."""

from __future__ import annotations

from typing import Any

import pytest

from jobferry.cli import terminal
from support.builders import make_job
from support.cli import Cli


def _tags(cli: Cli) -> list[tuple[str, bool, int]]:
    answer = cli.remote.call("GET", "/tags", workspace=cli.workspace).json()
    return [(t["name"], t["locked"], t["jobCount"]) for t in answer["tags"]]


def _tag_entries(cli: Cli) -> list[Any]:
    query = {"objectKind": "tag"}
    answer = cli.server.call("GET", "/audit", workspace=cli.workspace, query=query).json()
    return [(e["action"], e["objectName"]) for e in answer["entries"]]


def _job(cli: Cli, name: str, tags: list[str]) -> None:
    body = make_job(name, basicConfig={"owner": "alice", "tags": tags})
    assert cli.remote.call("POST", "/jobs", body, workspace=cli.workspace).status_code == 204


def test_tags_are_listed_locked_unlocked_and_deleted(cli: Cli) -> None:
    _job(cli, "daily_sales", ["daily", "finance"])
    _job(cli, "weekly_sales", ["daily"])

    locked = cli("tags", "lock", "finance")
    assert locked.exit_code == 0, locked.output
    assert "Locked tag 'finance' in workspace" in locked.stdout
    again = cli.json("tags", "lock", "finance")
    assert again == {"name": "finance", "locked": True, "changed": False, "created": False}
    made = cli.json("tags", "lock", "quarterly", "--new")  # a new name, asked for: made, locked
    assert made == {"name": "quarterly", "locked": True, "changed": True, "created": True}

    listed = cli("tags", "list")
    assert listed.exit_code == 0, listed.output
    rows = [[c.strip() for c in line.split("│")] for line in listed.stdout.splitlines()]
    assert [r[:3] for r in rows if len(r) > 3] == [
        ["daily", "no", "2"],
        ["finance", "yes", "1"],
        ["quarterly", "yes", "0"],
    ]
    assert [t["name"] for t in cli.json("tags", "list")["tags"]] == [
        "daily",
        "finance",
        "quarterly",
    ]

    unlocked = cli("tags", "unlock", "quarterly")
    assert unlocked.exit_code == 0, unlocked.output
    assert "Unlocked tag 'quarterly'" in unlocked.stdout
    assert cli.json("tags", "delete", "quarterly", "--yes") == {"deleted": "quarterly"}
    assert _tags(cli) == [("daily", False, 2), ("finance", True, 1)]
    # one entry for each change the server made; the lock that changed nothing wrote none
    assert _tag_entries(cli) == [
        ("tag.delete", "quarterly"),
        ("tag.put", "quarterly"),
        ("tag.put", "quarterly"),
        ("tag.put", "finance"),
    ]


def test_a_carried_a_locked_and_an_unknown_tag_are_refused_with_the_fix(cli: Cli) -> None:
    _job(cli, "daily_sales", ["daily", "finance"])
    _job(cli, "weekly_sales", ["daily"])
    assert cli("tags", "lock", "finance").exit_code == 0
    before = (_tags(cli), _tag_entries(cli))

    carried = cli("tags", "delete", "daily", "--yes")
    assert carried.exit_code == 1
    said = " ".join(carried.stderr.split())
    assert "DLF.9013" in said
    assert "Tag 'daily' is carried by 2 job(s): daily_sales, weekly_sales;" in said
    assert "(jobferry jobs list --tags daily lists them)" in said
    assert "Nothing was deleted." in said
    assert "basicConfig" not in said

    locked = cli("tags", "delete", "finance", "--yes")
    assert locked.exit_code == 1
    assert "unlock it with: jobferry tags unlock finance — then" in " ".join(locked.stderr.split())

    missing = cli.json("tags", "delete", "monthly", "--yes", code=1)
    assert missing["error"]["code"] == "DLF.3051"
    assert "Tag 'monthly' does not exist in workspace" in missing["error"]["message"]
    assert "jobferry tags list lists the tags" in missing["error"]["message"]
    refused = cli.json("tags", "delete", "daily", "--yes", code=1)["error"]
    assert refused["jobs"] == ["daily_sales", "weekly_sales"]
    assert refused["jobs_total"] == 2

    unknown = cli("tags", "unlock", "monthly")  # would make a tag: refused, nothing sent
    assert unknown.exit_code == 1
    assert "Tag 'monthly' does not exist in workspace" in unknown.stderr
    assert (_tags(cli), _tag_entries(cli)) == before


def test_locking_a_mistyped_tag_is_refused_naming_the_tag_meant_and_makes_none(cli: Cli) -> None:
    """``tags lock`` of a name the workspace has no tag of made a new, locked tag: a typo
    (``finnace``) gave the workspace a tag nobody meant and left ``finance`` unlocked. It is
    refused, naming the nearest tag and ``--new``, the option that makes one on purpose."""
    _job(cli, "daily_sales", ["daily", "finance"])
    before = (_tags(cli), _tag_entries(cli))

    typo = cli("tags", "lock", "finnace")
    assert typo.exit_code == 1
    said = " ".join(typo.stderr.split())
    assert "Tag 'finnace' does not exist in workspace" in said
    assert "(did you mean 'finance'?); nothing changed." in said
    assert "jobferry tags list lists the tags" in said
    assert "jobferry tags lock finnace --new." in said
    error = cli.json("tags", "lock", "Finance", code=1)["error"]  # case amiss: the same refusal
    assert (error["code"], error["tag"], error["nearest"]) == ("not_found", "Finance", "finance")
    assert "did you mean 'finance'?" in error["message"]
    unlock = cli("tags", "unlock", "finnace")
    assert unlock.exit_code == 1
    assert "(did you mean 'finance'?), so it is not locked" in " ".join(unlock.stderr.split())
    far = cli.json("tags", "lock", "quarterly", code=1)["error"]  # nothing near: none named
    assert "nearest" not in far
    assert "did you mean" not in far["message"]
    assert (_tags(cli), _tag_entries(cli)) == before  # nothing made, nothing locked

    made = cli.json("tags", "lock", "finnace", "--new")  # asked for: made, locked
    assert made == {"name": "finnace", "locked": True, "changed": True, "created": True}
    kept = cli.json("tags", "lock", "finance", "--new")  # --new on a tag held: locked as is
    assert kept == {"name": "finance", "locked": True, "changed": True, "created": False}
    assert _tags(cli) == [("daily", False, 1), ("finance", True, 1), ("finnace", True, 0)]


def test_delete_asks_first_and_needs_yes_without_a_terminal(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli("tags", "lock", "finance", "--new").exit_code == 0
    assert cli("tags", "unlock", "finance").exit_code == 0
    refused = cli("tags", "delete", "finance")
    assert refused.exit_code == 2
    assert "pass --yes to delete without asking" in refused.stderr
    monkeypatch.setattr(terminal, "stdin_is_terminal", lambda: True)
    declined = cli("tags", "delete", "finance", input="n\n")
    assert declined.exit_code == 1
    assert "Delete tag 'finance' from workspace" in declined.stderr
    assert "Cancelled; nothing was deleted." in declined.stdout
    assert _tags(cli) == [("finance", False, 0)]
    accepted = cli("tags", "delete", "finance", input="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert "Deleted tag 'finance' from workspace" in accepted.stdout
    assert _tags(cli) == []


def test_a_job_carrying_a_locked_tag_names_the_unlock_when_refused(cli: Cli) -> None:
    _job(cli, "daily_sales", ["finance"])
    assert cli("tags", "lock", "finance").exit_code == 0
    for words, done in (
        (("jobs", "delete", "daily_sales", "--yes"), "deleted"),
        (("jobs", "rename", "daily_sales", "sales_daily"), "renamed"),
    ):
        refused = cli(*words)
        assert refused.exit_code == 1, refused.output
        said = " ".join(refused.stderr.split())
        assert "DLF.9091" in said
        assert (
            f"Job 'daily_sales' carries the locked tag(s) 'finance', and a locked tag's jobs do "
            f"not change, so it was not {done}. A workspace admin unlocks a tag with: jobferry "
            "tags unlock finance."
        ) in said
    assert [j["name"] for j in cli.json("jobs", "list")["jobs"]] == ["daily_sales"]
