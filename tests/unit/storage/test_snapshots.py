"""An object a rollback puts back from its snapshot (``storage/importing/snapshots.py``)
whatever schema the snapshot was taken at: one taken by a newer jobferry (the database
downgraded since) carries columns the table does not have, which are left out; one taken before
a column was (0041's ``summary``, 0042's ``document_sha256``) lacks them, and they are made
from its definition as every write makes them, so the row put back is whole."""

from __future__ import annotations

from typing import Any

import pytest

from jobferry.domain.enums import ObjectKind
from jobferry.services.container import Services
from jobferry.storage import Tx
from jobferry.storage.importing import rollbacks, snapshots
from jobferry.storage.importing import target as target_repo
from support.builders import make_job, make_resource, make_script
from support.planning import workspace

LATER = {"document_sha512": "f" * 128, "owner_team": "data"}
"""Columns a newer schema might add, as a snapshot it took would carry them."""
NEWER = ("summary", "document_sha256")
"""The columns a snapshot taken before 0041 lacks."""


def _taken(services: Services, kind: ObjectKind) -> dict[str, Any]:
    """The snapshot of one object of ``kind`` (a job or script submitted once), taken as an
    import that deletes it takes it; the object then deleted, as that import deletes it."""
    dev = workspace(services, "dev")
    if kind == ObjectKind.JOB:
        services.jobs.create(dev, {**make_job("daily_sales"), "targetStatus": "SUBMITTED"})
        found = target_repo.target_jobs
    elif kind == ObjectKind.SCRIPT:
        services.scripts.create(dev, {**make_script("daily_sql"), "targetStatus": "SUBMITTED"})
        found = target_repo.target_scripts
    else:
        services.resources.create(dev, make_resource("udf_jar"))
        found = target_repo.target_resources
    with services.db.transaction() as tx:
        (held,) = found(tx, dev.workspace.id, ["daily_sales", "daily_sql", "udf_jar"]).values()
        state = snapshots.take(tx, kind, held.id)
    with services.db.transaction() as tx:
        _delete(tx, kind, held.id)
    return state


def _delete(tx: Tx, kind: ObjectKind, object_id: str) -> None:
    if kind == ObjectKind.JOB:
        rollbacks.delete_jobs(tx, [int(object_id)])
    elif kind == ObjectKind.SCRIPT:
        rollbacks.delete_scripts(tx, [object_id])
    else:
        rollbacks.delete_resources(tx, [object_id])


def _put_back_and_take(
    services: Services, kind: ObjectKind, state: dict[str, Any]
) -> dict[str, Any]:
    with services.db.transaction() as tx:
        object_id = snapshots.put_back(tx, kind, state)
        return snapshots.take(tx, kind, object_id)


@pytest.mark.parametrize("kind", [ObjectKind.JOB, ObjectKind.SCRIPT, ObjectKind.RESOURCE])
def test_a_snapshot_taken_by_a_newer_schema_puts_back_the_columns_this_one_has(
    services: Services, kind: ObjectKind
) -> None:
    state = _taken(services, kind)
    assert kind == ObjectKind.RESOURCE or state["versions"]
    newer = {
        "row": {**state["row"], **LATER},
        "versions": [{**v, "signed_by": "release-key"} for v in state["versions"]],
    }
    assert _put_back_and_take(services, kind, newer) == state


@pytest.mark.parametrize("kind", [ObjectKind.JOB, ObjectKind.SCRIPT, ObjectKind.RESOURCE])
def test_a_snapshot_taken_before_the_derived_columns_puts_back_a_whole_row(
    services: Services, kind: ObjectKind
) -> None:
    state = _taken(services, kind)
    assert state["row"]["document_sha256"] is not None
    assert kind != ObjectKind.JOB or state["row"]["summary"] is not None
    older = {**state, "row": {k: v for k, v in state["row"].items() if k not in NEWER}}
    assert _put_back_and_take(services, kind, older) == state
