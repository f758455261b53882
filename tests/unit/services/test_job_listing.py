"""A job listing (``list_jobs``) shows what each job's definition says of its owner, priority
and single-node flag without reading the definitions: from the summary every write keeps
beside them, or made from the definition for a row written before summaries were kept."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa

from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.definitions.records import JobSummary
from jobferry.storage.tables import jobs
from support.builders import make_job
from support.console import admin_scope
from support.packages import write_package
from support.planning import import_package

DEFINED: dict[str, dict[str, Any]] = {
    "a_owned": {"basicConfig": {"owner": "alice", "priority": 2}, "singleNodeJobFlag": True},
    "b_plain": {"basicConfig": {}},
    "c_text": {"basicConfig": {"owner": "", "priority": "1"}, "singleNodeJobFlag": "true"},
    "d_null": {"basicConfig": {"priority": None}, "singleNodeJobFlag": False},
}
"""Job name → what its definition says (overrides of ``make_job``)."""


def _shown(services: Services, scope: Scope) -> dict[str, tuple[str, object, bool]]:
    _total, listed = services.jobs.list_jobs(
        scope, job_type=None, job_name=None, tags=None, limit=100, offset=0
    )
    return {job.name: _fields(job) for job in listed}


def _fields(job: JobSummary) -> tuple[str, object, bool]:
    return job.owner, job.priority, job.single_node


EXPECTED = {
    "a_owned": ("alice", 2, True),
    "b_plain": ("admin", 0, False),
    "c_text": ("admin", "1", True),
    "d_null": ("admin", None, False),
}


def _seed(services: Services) -> Scope:
    scope = admin_scope(services)
    conn = {"type": "DWS", "config": {}, "secrets": {"password": "pw"}}
    services.environment.put(scope, "connection", "dws_conn", conn)
    services.environment.put(scope, "connection", "ssh_conn", {"type": "SSH", "config": {}})
    for name, overrides in DEFINED.items():
        services.jobs.create(scope, make_job(name, **overrides))
    return scope


def test_a_listing_shows_what_each_definition_says(services: Services) -> None:
    scope = _seed(services)
    assert _shown(services, scope) == EXPECTED


def test_a_row_without_a_summary_is_listed_from_its_definition(services: Services) -> None:
    scope = _seed(services)
    with services.db.transaction() as tx:
        tx.conn.execute(sa.update(jobs).values(summary=None))
    assert _shown(services, scope) == EXPECTED


def test_an_edited_definition_is_listed_as_it_is_now(services: Services) -> None:
    scope = _seed(services)
    shown = services.jobs.show(scope, "b_plain")
    doc = {**shown.document, "basicConfig": {"owner": "bob", "priority": 1}}
    services.jobs.update(scope, "b_plain", doc)
    assert _shown(services, scope)["b_plain"] == ("bob", 1, False)


def test_an_import_lists_what_it_wrote_and_a_rollback_what_it_restored(
    services: Services, tmp_path: Path
) -> None:
    scope = _seed(services)
    changed = [
        make_job("a_owned", basicConfig={"owner": "carol"}),
        make_job("e_new", basicConfig={"owner": "dan", "priority": 1}),
    ]
    task = import_package(services, scope, write_package(tmp_path / "p.zip", changed))
    shown = _shown(services, scope)
    assert shown["a_owned"] == ("carol", 0, False)
    assert shown["e_new"] == ("dan", 1, False)
    services.rollback.rollback(scope, task.id)
    assert _shown(services, scope) == EXPECTED
