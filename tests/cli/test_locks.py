"""``jobferry locks list`` and ``jobferry jobs|scripts lock|unlock``: who holds a lock, taking
one, a refusal naming the holder and the ``unlock`` that frees it, an admin releasing a lock
its holder left — against a real server."""

from __future__ import annotations

from pathlib import Path

from support.cli import Cli, member
from support.exporting import seed


def test_a_lock_is_taken_listed_refused_to_others_and_released_by_an_admin(
    cli: Cli, tmp_path: Path
) -> None:
    seed(cli.remote, ("daily_sales",), workspace=cli.workspace)
    dev = member(cli, "developer", tmp_path / "dev.toml")
    other = member(cli, "developer", tmp_path / "other.toml")

    taken = dev("jobs", "lock", "daily_sales")
    assert taken.exit_code == 0, taken.output
    holder = dev.json("jobs", "lock", "daily_sales")["holder"]  # held already: the same lock
    assert f"Locked job daily_sales for {holder}" in taken.stdout
    listed = cli.json("locks", "list")["locks"]
    assert [(lk["kind"], lk["name"], lk["holder"]) for lk in listed] == [
        ("job", "daily_sales", holder)
    ]
    table = cli("locks", "list", env={"COLUMNS": "200"})
    assert "daily_sales" in table.stdout
    assert holder in table.stdout

    refused = other("jobs", "lock", "daily_sales")
    assert refused.exit_code == 1, refused.output
    said = " ".join(refused.stderr.split())
    assert f"already locked by '{holder}'" in said
    assert f"Ask {holder} to release the lock with jobferry jobs unlock daily_sales" in said
    assert "/locks/" not in said  # the CLI's own words, not the API's fix
    not_theirs = other("jobs", "unlock", "daily_sales")
    assert not_theirs.exit_code == 1, not_theirs.output

    released = cli("jobs", "unlock", "daily_sales")  # the admin, for the holder
    assert released.exit_code == 0, released.output
    assert "Unlocked job daily_sales." in released.stdout
    assert "No locks" in cli("locks", "list").stdout

    assert dev("scripts", "lock", "daily_sales_sql").exit_code == 0
    assert dev.json("scripts", "unlock", "daily_sales_sql") == {
        "unlocked": "daily_sales_sql",
        "kind": "script",
    }
    again = dev("scripts", "unlock", "daily_sales_sql")
    assert again.exit_code == 1
    assert "is not locked" in again.stderr
