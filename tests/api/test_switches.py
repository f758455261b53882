"""JOBFERRY_BATCH_EXPORT / JOBFERRY_BATCH_IMPORT off: every batch call answers DLF.9050 naming
the setting and changes nothing; everything else works; the console hides the entries."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from jobferry.services.container import Services
from jobferry.settings import Settings
from support.apps import full_app
from support.builders import make_job
from support.clients import SignedClient, assert_error
from support.console import PASSWORD, Browser, admin_actor
from support.importing import upload


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"batch_export": False, "batch_import": False})


EXPORTS = [
    ("POST", "/jobs/daily_sales/export", {}),
    ("POST", "/jobs/batch-export", {"jobList": ["daily_sales"]}),
    ("POST", "/exports", {"mode": "workspace"}),
    ("POST", "/exports/check-names", {"names": ["daily_sales"]}),
    ("POST", "/connections/export", None),
]
IMPORTS = [
    ("POST", "/jobs/check-file", {"path": "upload://0123456789abcdef0123456789abcdef"}),
    ("POST", "/jobs/import/plan", {"path": "upload://0123456789abcdef0123456789abcdef"}),
    ("POST", "/jobs/import", {"path": "upload://0123456789abcdef0123456789abcdef"}),
    ("POST", "/profiles/check", {"path": "upload://0123456789abcdef0123456789abcdef"}),
    ("POST", "/connections/import", {"path": "upload://0123456789abcdef0123456789abcdef"}),
]


def test_batch_calls_are_refused_naming_the_setting(api: SignedClient) -> None:
    assert api.call("POST", "/jobs", make_job()).status_code == 204
    for calls, setting in ((EXPORTS, "JOBFERRY_BATCH_EXPORT"), (IMPORTS, "JOBFERRY_BATCH_IMPORT")):
        for method, path, body in calls:
            assert_error(api.call(method, path, body), "DLF.9050", setting, status=403)
    with pytest.raises(AssertionError, match=r"DLF\.9050"):
        upload(api, b"PK\x05\x06" + bytes(18))
    # everything else is untouched
    assert api.call("GET", "/jobs/daily_sales").status_code == 200


def test_the_console_hides_export_and_import(services: Services) -> None:
    services.signin.set_password(admin_actor(services), "admin", PASSWORD)
    with TestClient(full_app(services), follow_redirects=False) as client:
        browser = Browser(client)
        assert browser.sign_in().status_code == 303
        page = browser.get(browser.client.get("/console/").headers.get("location", "/console/"))
        jobs = browser.get(page.headers["location"]) if page.status_code in (302, 303) else page
        assert "Workspace export" not in jobs.text
        assert ">Import<" not in jobs.text
        assert "Export selected" not in jobs.text
        assert "Download center" in jobs.text
