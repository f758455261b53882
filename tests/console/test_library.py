"""The scripts and resources pages (one folder at a time, and a page each), and what the job
page opens: its description and each node's properties, with the script a node runs."""

from __future__ import annotations

from jobferry.domain.enums import Role
from jobferry.services.container import Services
from support.builders import make_job, make_resource, make_script
from support.console import Browser, admin_scope, headers, make_user, seed


def test_scripts_are_listed_by_folder_and_a_script_page_shows_all_it_is(
    browser: Browser, services: Services
) -> None:
    scope = admin_scope(services)
    seed(services, scope, ("daily_sales",))
    services.scripts.create(
        scope,
        make_script(
            "adhoc_dli",
            type="DLISQL",
            content="select * from sales\nwhere day = '${bizdate}';",
            connectionName=None,
            database="ods",
            queueName="q_test",
            directory="/adhoc",
            description="Ad-hoc DLI query",
        ),
    )
    base = f"/console/w/{scope.workspace.id}"

    root = browser.get(f"{base}/scripts").text
    sales = browser.get(f"{base}/scripts", params={"folder": "/sales"}).text
    page = browser.get(f"{base}/scripts/adhoc_dli").text
    used = browser.get(f"{base}/scripts/daily_sales_sql").text

    assert 'data-folder="/adhoc"' in root
    assert 'data-folder="/sales"' in root
    assert headers(sales) == ["Name", "Type", "Connection", "Database", "Version", "Changed"]
    assert "daily_sales_sh" in sales
    assert "Ad-hoc DLI query" in page
    assert "select * from sales\nwhere day = &#39;${bizdate}&#39;;" in page
    assert "<dt>Type</dt><dd>DLISQL</dd>" in page
    assert "<dt>Database</dt><dd>ods</dd>" in page
    assert "<dt>Queue</dt><dd>q_test</dd>" in page
    assert "v1" in page
    assert "No job runs this script." in page
    assert f'<a href="{base}/jobs/daily_sales">daily_sales</a>' in used
    assert "<dt>Connection</dt><dd>dws_conn</dd>" in used


def test_resources_are_listed_by_folder_and_a_resource_page_shows_its_dependencies(
    browser: Browser, services: Services
) -> None:
    scope = admin_scope(services)
    seed(services, scope, ("daily_sales",))
    services.resources.create(
        scope,
        make_resource(
            "spark_app",
            location="obs://bucket/apps/spark-app.jar",
            dependFiles=["obs://bucket/apps/conf.properties"],
            dependPackages=[{"type": "jar", "location": "obs://bucket/libs/common.jar"}],
            directory="/apps",
        ),
    )
    base = f"/console/w/{scope.workspace.id}"

    root = browser.get(f"{base}/resources").text
    apps = browser.get(f"{base}/resources", params={"folder": "/apps"}).text
    page = browser.get(f"{base}/resources/spark_app").text
    used = browser.get(f"{base}/resources/udf_jar").text

    assert 'data-folder="/apps"' in root
    assert 'data-folder="/libs"' in root
    assert headers(apps) == ["Name", "Type", "Location", "Depends on", "Changed"]
    assert "obs://bucket/apps/spark-app.jar" in apps
    assert "obs://bucket/libs/common.jar" in page
    assert "obs://bucket/apps/conf.properties" in page
    assert "<dt>Type</dt><dd>jar</dd>" in page
    assert "No job uses this resource." in page
    assert f'<a href="{base}/jobs/daily_sales">daily_sales</a>' in used


def test_an_unknown_script_or_resource_says_what_to_do(
    browser: Browser, services: Services
) -> None:
    base = f"/console/w/{admin_scope(services).workspace.id}"
    script = browser.get(f"{base}/scripts/nope")
    resource = browser.get(f"{base}/resources/nope")
    assert script.status_code == 400
    assert "no script &#39;nope&#39;" in script.text
    assert resource.status_code == 404  # DLF.6241 is a 404, as in the API
    assert "no resource named &#39;nope&#39;" in resource.text


def test_viewers_may_read_scripts_and_resources(anonymous: Browser, services: Services) -> None:
    scope = admin_scope(services)
    seed(services, scope, ("daily_sales",))
    make_user(services, "reader", Role.VIEWER)
    anonymous.sign_in("reader")
    base = f"/console/w/{scope.workspace.id}"
    assert anonymous.get(f"{base}/scripts/daily_sales_sql").status_code == 200
    assert anonymous.get(f"{base}/resources/udf_jar").status_code == 200
    assert "Scripts</a>" in anonymous.get(f"{base}/scripts").text


def test_the_job_page_shows_the_description_and_opens_each_node(
    browser: Browser, services: Services
) -> None:
    scope = admin_scope(services)
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
