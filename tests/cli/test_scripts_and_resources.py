"""``jobferry scripts list|show`` and ``jobferry resources list|show``: a workspace's scripts
and resources read as ``jobs list`` and ``jobs show`` read its jobs — against a real server."""

from __future__ import annotations

from support.builders import make_resource
from support.cli import Cli
from support.exporting import seed


def _fields(text: str) -> dict[str, str]:
    return {
        line.split(":", 1)[0].strip(): line.split(":", 1)[1].strip()
        for line in text.splitlines()
        if ":" in line and not line.startswith(" ")
    }


def test_scripts_are_listed_and_one_is_shown_with_its_content_whole(cli: Cli) -> None:
    seed(cli.remote, ("daily_sales", "weekly_sales"), workspace=cli.workspace)
    listed = cli("scripts", "list", env={"COLUMNS": "200"})
    assert listed.exit_code == 0, listed.output
    names = [line.split("│")[0].strip() for line in listed.stdout.splitlines() if "│" in line]
    assert names == ["daily_sales_sh", "daily_sales_sql", "weekly_sales_sh", "weekly_sales_sql"]
    assert "4 script(s)" in listed.stdout
    only = cli.json("scripts", "list", "--name", "weekly")
    assert (only["total"], [s["name"] for s in only["scripts"]]) == (
        2,
        ["weekly_sales_sh", "weekly_sales_sql"],
    )

    shown = cli("scripts", "show", "daily_sales_sh")
    assert shown.exit_code == 0, shown.output
    fields = _fields(shown.stdout)
    assert (fields["name"], fields["type"], fields["version"]) == ("daily_sales_sh", "Shell", "1")
    assert fields["connection"] == "dws_conn"
    assert "queue" not in fields  # a field the script has not is not said
    assert shown.stdout.rstrip().endswith("\n\necho hi")
    whole = cli.json("scripts", "show", "daily_sales_sql")
    assert whole["name"] == "daily_sales_sql"
    assert whole["content"]

    missing = cli("scripts", "show", "daily_sale_sql")
    assert missing.exit_code == 1
    assert "DLF.6201" in missing.stderr
    assert "Did you mean 'daily_sales_sql'?" in " ".join(missing.stderr.split())


def test_resources_are_listed_and_one_is_shown_by_name_or_id_with_the_jobs_using_it(
    cli: Cli,
) -> None:
    seed(cli.remote, ("daily_sales",), workspace=cli.workspace)
    more = make_resource("lib_zip", type="archive", location="obs://bucket/libs/lib.zip")
    assert cli.remote.call("POST", "/resources", more, workspace=cli.workspace).status_code == 200
    listed = cli.json("resources", "list")
    assert sorted(r["name"] for r in listed["resources"]) == ["lib_zip", "udf_jar"]
    assert "2 resource(s)" in cli("resources", "list").stdout
    by_name = _fields(cli("resources", "show", "udf_jar").stdout)
    assert by_name["location"] == "obs://bucket/libs/udf.jar"
    assert by_name["used by"] == "job daily_sales"
    assert by_name["description"] == "UDFs"
    ident = next(r["id"] for r in listed["resources"] if r["name"] == "lib_zip")
    by_id = _fields(cli("resources", "show", str(ident)).stdout)
    assert (by_id["name"], by_id["used by"]) == ("lib_zip", "no job")
    assert cli.json("resources", "show", "lib_zip")["type"] == "archive"

    missing = cli("resources", "show", "udf")
    assert missing.exit_code == 1
    said = " ".join(missing.stderr.split())
    assert "DLF.6241" in said
    assert "is called 'udf' or has that id; jobferry resources list" in said
