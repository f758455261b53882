"""Import from the download center (#37): "Import into…" starts the wizard of another workspace
on the package where the download center keeps it (no download, no upload), refused when the
viewer may not read the package or import into that workspace."""

from __future__ import annotations

import html
import re
from urllib.parse import unquote

from jobferry.domain.enums import Role
from jobferry.services.container import Services
from jobferry.services.context import Scope
from support import wizard
from support.console import (
    Browser,
    admin_scope,
    assert_page,
    finish_task,
    make_user,
    seed,
    sign_in_as,
)


def _exported(browser: Browser, services: Services, scope: Scope) -> str:
    """A workspace export of ``scope`` made in the console: its id in the download center."""
    started = browser.post(f"/console/w/{scope.workspace.id}/export/workspace", {"changed": "all"})
    finish_task(services, scope, started)
    return services.downloads.list_downloads(scope).downloads[0].id


def _visible(page: str) -> str:
    """A page's text without its tags (and so without its hidden fields' values)."""
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def test_import_into_from_the_download_center_plans_and_imports_the_exports_jobs(
    browser: Browser, services: Services, seeded: Scope
) -> None:
    download_id = _exported(browser, services, seeded)
    item = services.downloads.get(seeded, download_id)
    prod = wizard.prod_workspace(services, "ssh_conn", "dws_conn")
    ws, src = prod.workspace.id, seeded.workspace.id

    center = browser.get(f"/console/w/{src}/downloads").text
    assert f'<option value="{ws}" selected>prod</option>' in center  # another workspace first
    started = browser.post(f"/console/w/{src}/downloads/{download_id}/import", {"target": ws})
    assert started.status_code == 303
    assert started.headers["location"].startswith(f"/console/w/{ws}/import?package=")

    source = browser.get(started.headers["location"])
    assert_page(source, 200, item.file_name, "exported", "nothing to download or upload")
    assert "download://" not in _visible(source.text)  # the export by its name, not its path
    package = unquote(started.headers["location"].split("package=", 1)[1])
    chosen = browser.post(f"/console/w/{ws}/import/source", {"package": package})
    assert chosen.status_code == 303
    options = browser.get(chosen.headers["location"])
    named = re.search(r"<p class=\"muted small\" data-package>([^<]+)</p>", options.text)
    assert named is not None
    assert html.unescape(named.group(1)).startswith(
        f"{item.file_name} (exported from workspace '{seeded.workspace.name}' on "
    )
    assert "daily_sales" in options.text

    plan = wizard.step(browser, ws, "plan", wizard.fields(options.text, ws))
    assert re.search(r"CREATE.*daily_sales|daily_sales.*CREATE", plan.text, re.S)
    task_id = wizard.run_plan(browser, services, prod, plan.text)
    assert services.jobs.show(prod, "daily_sales").name == "daily_sales"
    task_page = html.unescape(browser.get(f"/console/w/{ws}/tasks/{task_id}").text)
    assert f"Import the jobs from {item.file_name} (exported from workspace 'default'" in task_page
    uploads = services.settings.data_dir / "uploads"
    assert not uploads.exists() or not any(p.is_file() for p in uploads.rglob("*"))


def test_import_into_a_workspace_the_viewer_may_not_write_is_refused_and_nothing_starts(
    anonymous: Browser, services: Services, scope: Scope
) -> None:
    seed(services, admin_scope(services))
    prod = wizard.prod_workspace(services)
    sign_in_as(anonymous, services, "dev", Role.DEVELOPER)
    admin = admin_scope(services).actor
    services.accounts.set_role(admin, admin.project_id, "dev", prod.workspace.id, Role.VIEWER.value)
    download_id = _exported(anonymous, services, scope)
    src = scope.workspace.id

    center = anonymous.get(f"/console/w/{src}/downloads").text
    targets = re.findall(r'<select name="target".*?</select>', center, re.S)
    assert [re.findall(r'<option value="(\w+)"', t) for t in targets] == [[src]]  # may write
    forced = anonymous.post(
        f"/console/w/{src}/downloads/{download_id}/import", {"target": prod.workspace.id}
    )
    assert_page(forced, 403, "which may not import packages", "Download center")
    assert services.tasks.list_tasks(prod).total == 0


def test_a_package_of_a_workspace_the_viewer_cannot_read_is_refused_at_the_source_step(
    browser: Browser, anonymous_client_browser: Browser, services: Services, seeded: Scope
) -> None:
    download_id = _exported(browser, services, seeded)
    prod = wizard.prod_workspace(services, "ssh_conn", "dws_conn")
    ws = prod.workspace.id
    make_user(services, "prod_dev", Role.DEVELOPER, ws)  # no role where the package is
    outsider = anonymous_client_browser
    assert outsider.sign_in("prod_dev").status_code == 303
    package = f"download://{seeded.workspace.id}/{download_id}"

    shown = outsider.get(f"/console/w/{ws}/import", params={"package": package})
    assert_page(shown, 403, "has no role in workspace &#39;default&#39;")
    assert "data-export" not in shown.text
    posted = outsider.post(f"/console/w/{ws}/import/source", {"package": package})
    assert_page(posted, 403, "has no role in workspace &#39;default&#39;")
    assert services.tasks.list_tasks(prod).total == 0
