"""``storage/nearby.py``: the names of a workspace that start as a name does, case aside, its
first characters taken as they are (a ``_`` or ``%`` is no wildcard)."""

from __future__ import annotations

from jobferry.services.container import Services
from jobferry.storage.nearby import NEAR_MOST, job_names_alike, script_names_alike
from support.builders import make_job, make_script
from support.console import admin_scope


def test_the_names_that_start_alike_case_aside_and_nothing_else(services: Services) -> None:
    scope = admin_scope(services)
    for name in ("a_x", "A_y", "abx", "b_x"):
        services.jobs.create(scope, make_job(name))
    services.scripts.create(scope, make_script("a_script"))
    ws = scope.workspace.id
    with services.db.transaction(readonly=True) as tx:
        assert sorted(job_names_alike(tx, ws, "a_zz")) == ["A_y", "a_x"]
        assert job_names_alike(tx, ws, "a%") == []
        assert script_names_alike(tx, ws, "A_") == ["a_script"]
        assert job_names_alike(tx, "another workspace", "a_x") == []
    assert NEAR_MOST >= 100
