"""The scripts and resources pages (one folder at a time, and a page each), and what the job
page opens: its description and each node's properties, with the script a node runs."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import pytest

from jobferry.domain.enums import Role
from jobferry.services.container import Services
from jobferry.services.context import Scope
from support.builders import make_job, make_resource, make_script
from support.console import Browser, admin_scope, assert_page, headers, seed, sign_in_as


@dataclass(frozen=True)
class Library:
    """A kind of the library (its pages and its service have the same name), an object made in
    a folder of its own, and what the pages must say."""

    kind: str
    made: dict[str, Any]
    root_folders: tuple[str, ...]
    folder: str
    columns: list[str]
    in_folder: str
    on_its_page: tuple[str, ...]
    used: str
    on_used_page: tuple[str, ...] = ()


SCRIPTS = Library(
    kind="scripts",
    made=make_script(
        "adhoc_dli",
        type="DLISQL",
        content="select * from sales\nwhere day = '${bizdate}';",
        connectionName=None,
        database="ods",
        queueName="q_test",
        directory="/adhoc",
        description="Ad-hoc DLI query",
    ),
    root_folders=("/adhoc", "/sales"),
    folder="/sales",
    columns=["Name", "Type", "Connection", "Database", "Version", "Changed"],
    in_folder="daily_sales_sh",
    on_its_page=(
        "Ad-hoc DLI query",
        "select * from sales\nwhere day = &#39;${bizdate}&#39;;",
        "<dt>Type</dt><dd>DLISQL</dd>",
        "<dt>Database</dt><dd>ods</dd>",
        "<dt>Queue</dt><dd>q_test</dd>",
        "v1",
        "No job runs this script.",
    ),
    used="daily_sales_sql",
    on_used_page=("<dt>Connection</dt><dd>dws_conn</dd>",),
)
RESOURCES = Library(
    kind="resources",
    made=make_resource(
        "spark_app",
        location="obs://bucket/apps/spark-app.jar",
        dependFiles=["obs://bucket/apps/conf.properties"],
        dependPackages=[{"type": "jar", "location": "obs://bucket/libs/common.jar"}],
        directory="/apps",
    ),
    root_folders=("/apps", "/libs"),
    folder="/apps",
    columns=["Name", "Type", "Location", "Depends on", "Changed"],
    in_folder="obs://bucket/apps/spark-app.jar",
    on_its_page=(
        "obs://bucket/libs/common.jar",
        "obs://bucket/apps/conf.properties",
        "<dt>Type</dt><dd>jar</dd>",
        "No job uses this resource.",
    ),
    used="udf_jar",
)


@pytest.mark.parametrize("library", [SCRIPTS, RESOURCES], ids=lambda library: library.kind)
def test_the_library_is_listed_by_folder_and_an_object_page_shows_all_it_is(
    browser: Browser, services: Services, scope: Scope, library: Library
) -> None:
    seed(services, scope, ("daily_sales",))
    getattr(services, library.kind).create(scope, copy.deepcopy(library.made))
    base = f"/console/w/{scope.workspace.id}"

    root = browser.get(f"{base}/{library.kind}").text
    listed = browser.get(f"{base}/{library.kind}", params={"folder": library.folder}).text
    page = browser.get(f"{base}/{library.kind}/{library.made['name']}").text
    used = browser.get(f"{base}/{library.kind}/{library.used}").text

    for folder in library.root_folders:
        assert f'data-folder="{folder}"' in root
    assert headers(listed) == library.columns
    assert library.in_folder in listed
    for text in library.on_its_page:
        assert text in page
    assert f'<a href="{base}/jobs/daily_sales">daily_sales</a>' in used
    for text in library.on_used_page:
        assert text in used


def test_an_unknown_script_or_resource_says_what_to_do(
    browser: Browser, services: Services
) -> None:
    base = f"/console/w/{admin_scope(services).workspace.id}"
    assert_page(browser.get(f"{base}/scripts/nope"), 404, "no script &#39;nope&#39;")
    resource = browser.get(f"{base}/resources/nope")
    assert_page(resource, 404, "no resource named &#39;nope&#39;")  # DLF.6241 is a 404 in the API


def test_viewers_may_read_scripts_and_resources(
    anonymous: Browser, services: Services, scope: Scope
) -> None:
    seed(services, scope, ("daily_sales",))
    sign_in_as(anonymous, services, "reader", Role.VIEWER)
    base = f"/console/w/{scope.workspace.id}"
    assert anonymous.get(f"{base}/scripts/daily_sales_sql").status_code == 200
    assert anonymous.get(f"{base}/resources/udf_jar").status_code == 200
    assert "Scripts</a>" in anonymous.get(f"{base}/scripts").text


def test_the_job_page_shows_the_description_and_opens_each_node(
    browser: Browser, services: Services, scope: Scope
) -> None:
    seed(services, scope, ("daily_sales",))
    job = make_job("inline_sql", description="Loads the day's sales into the mart.")
    job["nodes"][0]["properties"] = [
        {"name": "statementOrScript", "value": "STATEMENT"},
        {"name": "statement", "value": "insert into mart select * from ods;"},
        {"name": "connectionName", "value": "dws_conn"},
    ]
    services.jobs.create(scope, job)
    base = f"/console/w/{scope.workspace.id}"

    inline = browser.get(f"{base}/jobs/inline_sql").text
    scripted = browser.get(f"{base}/jobs/daily_sales").text

    assert "Loads the day&#39;s sales into the mart." in inline
    assert '<details class="node-panel" id="node-load">' in inline
    assert '<pre class="code">insert into mart select * from ods;</pre>' in inline
    assert 'href="#node-load" data-open-details="node-load"' in inline
    assert "No description." in scripted
    assert f'<a href="{base}/scripts/daily_sales_sql">daily_sales_sql</a> ' in scripted
    assert f'<a href="{base}/resources/udf_jar">udf_jar</a>' in scripted
    assert '<dt>retryTimes</dt><dd><code class="wrap">1</code></dd>' in scripted
    assert "after load" in scripted
    assert " UTC</time> by admin" in scripted
