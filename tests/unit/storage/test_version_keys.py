"""Submitted versions read by their ``(job id, version)`` keys at once (``versions_of``): what
a deploy reads of each job it adds, one query a chunk rather than one a job."""

from __future__ import annotations

import orjson

from jobferry.services.container import Services
from jobferry.storage import jobs as job_repo
from support.console import admin_scope
from support.releases import submit_job


def test_the_versions_named_are_read_by_their_keys_and_a_key_naming_none_is_left_out(
    services: Services,
) -> None:
    scope = admin_scope(services)
    submit_job(services, scope, "daily")
    submit_job(services, scope, "daily", schedule={"type": "CRON"})  # its version 2
    submit_job(services, scope, "hourly")
    with services.db.transaction(readonly=True) as tx:
        daily = job_repo.get_job(tx, scope.workspace.id, "daily")
        hourly = job_repo.get_job(tx, scope.workspace.id, "hourly")
        assert daily is not None
        assert hourly is not None
        keys = [(daily.id, 2), (hourly.id, 1), (daily.id, 1), (hourly.id, 9), (0, 1)]
        found = job_repo.versions_of(tx, keys)
        one_by_one = {k: job_repo.get_version(tx, *k) for k in keys}

    assert set(found) == {(daily.id, 2), (hourly.id, 1), (daily.id, 1)}
    assert found == {k: v for k, v in one_by_one.items() if v is not None}
    assert orjson.loads(found[(daily.id, 2)].document)["schedule"] == {"type": "CRON"}
    assert orjson.loads(found[(daily.id, 1)].document)["schedule"] != {"type": "CRON"}
