"""What the definitions service tests share."""

from __future__ import annotations

import pytest

from jobferry.services.container import Services
from jobferry.services.context import Scope
from support.builders import make_job, make_script
from support.console import admin_scope


@pytest.fixture
def weekly(services: Services) -> Scope:
    """The admin in the default workspace, holding the script kpi_sql ("select 1") and the job
    weekly running it, both saved and never submitted."""
    admin = admin_scope(services)
    saved = {"targetStatus": "SAVED"}
    services.scripts.create(admin, make_script("kpi_sql", content="select 1") | saved)
    job = make_job("weekly")
    job["nodes"][0]["properties"] = [{"name": "scriptName", "value": "kpi_sql"}]
    services.jobs.create(admin, job | saved)
    return admin
