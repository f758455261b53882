"""A tag's delete beside a job's save that gives a job the tag, over a real database (SQLite and
PostgreSQL): the two go one after the other, whichever starts first. The delete that counts
the tag's carriers while the save has written its job's tags but not committed waits for it
and is refused (the job carries the tag); the save that comes while the delete has counted
but not committed waits for it and makes the tag again, as a save naming a tag does. Never a
job naming a tag the workspace does not list.

On PostgreSQL, the save's references were not seen by the delete counting carriers, nor the
delete by the save's insert of its tags (the tag was there): the delete went, the save
committed after, and the job named a tag no longer listed."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from jobferry.errors import InUseError
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.definitions import jobs as jobs_module
from jobferry.storage import tags as tag_storage
from support.builders import make_job
from support.console import admin_scope
from support.interleaving import held_at, second_waits


def _tagged(name: str, tags: list[str]) -> dict[str, Any]:
    return make_job(name, basicConfig={"owner": "alice", "tags": tags})


def _listed_and_carried(services: Services, scope: Scope) -> tuple[list[str], list[str]]:
    """The workspace's tags, and those its job daily_sales carries as saved."""
    listed = [t.name for t in services.governance.list_tags(scope)]
    saved = services.jobs.show(scope, "daily_sales").document
    return listed, sorted(saved["basicConfig"]["tags"])


def test_a_delete_counting_carriers_while_a_save_gives_a_job_the_tag_waits_and_is_refused(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    scope = admin_scope(services)
    services.jobs.create(scope, _tagged("daily_sales", ["daily"]))
    services.governance.put_tag(scope, "finance", False)  # no job carries it: a delete may go
    hold = held_at(monkeypatch, jobs_module, "audit_in_scope")  # the save's last write
    refused: list[InUseError] = []

    def delete() -> None:
        try:
            services.governance.delete_tag(scope, "finance")
        except InUseError as exc:
            refused.append(exc)

    with ThreadPoolExecutor(1) as pool:
        saving = pool.submit(
            services.jobs.update, scope, "daily_sales", _tagged("daily_sales", ["daily", "finance"])
        )
        waited = second_waits(saving, hold, delete)

    assert waited  # the delete waited for the save it would have counted too early
    assert [exc.context["jobs"] for exc in refused] == [["daily_sales"]]
    assert _listed_and_carried(services, scope) == (["daily", "finance"], ["daily", "finance"])


def test_a_save_giving_a_job_a_tag_being_deleted_waits_and_makes_the_tag_again(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    scope = admin_scope(services)
    services.jobs.create(scope, _tagged("daily_sales", ["daily"]))
    services.governance.put_tag(scope, "finance", False)
    hold = held_at(monkeypatch, tag_storage, "jobs_carrying")  # counted none, not yet deleted

    def save() -> None:
        services.jobs.update(scope, "daily_sales", _tagged("daily_sales", ["daily", "finance"]))

    with ThreadPoolExecutor(1) as pool:
        deleting = pool.submit(services.governance.delete_tag, scope, "finance")
        waited = second_waits(deleting, hold, save)

    assert waited  # the save waited for the delete, then made the tag again
    assert _listed_and_carried(services, scope) == (["daily", "finance"], ["daily", "finance"])
    (tag,) = [t for t in services.governance.list_tags(scope, counted=True) if t.name == "finance"]
    assert (tag.locked, tag.jobs) == (False, 1)
