"""A release across an air gap (SQLite and PostgreSQL): a package exported with its approvals
as one signed release file is taken into another enterprise workspace's production only when
the approvals verify with keys that workspace trusts and the plan made there has the approved
hash; a production that differs is named, a package that is not the approved one refused. The
release is written in that production's release ledger (its objects as the sending workspace
identifies them, the approvals that verified), so its rollback works there too, and a restore
to it carries those identities; one that would carry two workspaces' is refused."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import orjson
import pytest

from jobferry.domain.enums import JobStatus, TaskStatus
from jobferry.domain.releases import StartupMode
from jobferry.errors import (
    ApprovalKeyDistrustedError,
    ApprovalRefusedError,
    BasisChangedError,
    InvalidRequestError,
    JobNotFoundError,
    RollbackRefusedError,
)
from jobferry.package.releasefile import APPROVALS, PACKAGE
from jobferry.services.container import Services
from jobferry.services.context import now_ms
from jobferry.services.releases.ledger import entry_document
from jobferry.services.releases.restore import RestorePlanned, RestoreStarted
from jobferry.services.workspaces.keys import KeyToTrust, parse_trust
from jobferry.storage import jobs as job_repo
from jobferry.storage import ledger as ledger_repo
from jobferry.storage import tasks as task_repo
from support.releases import (
    connected_team,
    production_of,
    release,
    run_release,
    signed_release,
    submit_job,
    take_in,
    trusting_team,
    two_releases_taken_in,
)


def _entry(data: bytes, name: str, *, parse: bool = True) -> Any:
    """One entry of a signed release file: parsed JSON, or its bytes."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        found = archive.read(name)
    return orjson.loads(found) if parse else found


def _forged(data: bytes) -> bytes:
    """The same file with a byte added to its package."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as archive:
        for info in source.infolist():
            body = source.read(info)
            archive.writestr(info, body + b" " if info.filename == PACKAGE else body)
    return out.getvalue()


def test_a_signed_release_is_taken_in_across_the_air_gap(services: Services) -> None:
    test_side = connected_team(services, "sales")
    data, pair = signed_release(services, test_side)
    public_key = pair.public_key
    assert _entry(data, APPROVALS)["counted"] == 1

    other = connected_team(services, "ops")
    with pytest.raises(ApprovalRefusedError, match=r"0 approval\(s\) verify with keys it trusts"):
        take_in(services, other.admin, data)
    services.keys.trust(other.admin, parse_trust({"name": "sales", "publicKey": public_key}))

    with pytest.raises(ApprovalRefusedError, match="not the package its approvals name"):
        take_in(services, other.admin, _forged(data))
    with pytest.raises(InvalidRequestError, match="not a signed release file"):
        take_in(services, other.admin, _entry(data, PACKAGE, parse=False))

    before = set(services.imports.scratch.glob("*.zip"))
    take_in(services, other.admin, data)
    assert set(services.imports.scratch.glob("*.zip")) == before  # its package copy is gone
    run_release(services)
    production = other.admin.workspace.production_id
    prod = services.accounts.scope(other.admin.actor, other.admin.actor.project_id, production)
    assert services.jobs.show(prod, "daily").document["name"] == "daily"

    # Taken in once (test_carried_once); another release approved against a production
    # without the job: production there now holds it, not the production it was approved on.
    later, _ = signed_release(services, test_side, name="later", pair=pair, description="2")
    with pytest.raises(BasisChangedError, match="not the production the release was approved"):
        take_in(services, other.admin, later)


def test_a_signed_release_taken_in_is_written_in_the_ledger_and_its_rollback_too(
    services: Services,
) -> None:
    test_side = connected_team(services, "sales")
    data, pair = signed_release(services, test_side)
    public_key = pair.public_key
    with services.db.transaction(readonly=True) as tx:
        found = job_repo.get_job(tx, test_side.developer.workspace.id, "daily")
    assert found is not None
    other = trusting_team(services, public_key)
    take_in(services, other.admin, data)
    run_release(services)

    ((entry, objects),) = services.ledger.ledger(other.admin).entries
    shown = entry_document(entry, objects)
    assert (shown["action"], shown["package_id"], shown["package_name"]) == (
        "deploy",
        None,
        "carried",
    )
    assert shown["source_workspace_id"] == test_side.admin.workspace.id
    assert shown["deployer"] == other.admin.actor.name
    (approval,) = shown["approvals"]
    assert approval["user_name"] == test_side.deployer.actor.name
    assert approval["key_id"]
    assert approval["public_key"] == public_key
    assert approval["plan_hash"] == _entry(data, APPROVALS)["planHash"]
    prod = production_of(services, other)
    job = services.jobs.show(prod, "daily")
    assert services.jobs.status(prod, "daily").status is JobStatus.STOPPED  # left as it was
    # the job (and the scripts it runs) as the sending workspace identifies them, at the
    # version production holds
    put = {o["name"]: o for o in shown["objects"]}
    assert {(o["kind"], n, o["action"]) for n, o in put.items()} == {
        ("job", "daily", "put"),
        ("script", "daily_sql", "put"),
        ("script", "daily_sh", "put"),
    }
    assert (put["daily"]["uid"], put["daily"]["version"]) == (found.uid, job.version)
    held = services.ledger.ledger(other.admin).production
    assert {(s.name, s.entry_id) for s in held} == {(n, entry.id) for n in put}

    done = services.release_rollback.rollback(other.deployer, None)
    assert (done.package_id, done.package_name, done.undone.count) == (None, "carried", 3)
    with pytest.raises(JobNotFoundError):
        services.jobs.show(prod, "daily")
    back = services.ledger.ledger(other.admin)
    rolled, undone = back.entries[-1]
    assert (rolled.action, rolled.target_entry, rolled.source_id) == (
        "rollback",
        entry.id,
        test_side.admin.workspace.id,
    )
    assert {(o.name, o.action) for o in undone} == {(n, "delete") for n in put}
    assert back.production == ()


def test_a_production_of_signed_releases_is_restored_to_an_earlier_one(
    services: Services,
) -> None:
    # the second release is approved against the sending side's production, which holds the
    # first as this production does
    sales, ops = two_releases_taken_in(services)
    prod = production_of(services, ops)
    assert services.jobs.show(prod, "daily").document.get("description") == "second cut"
    first, second = (e for e, _ in services.ledger.ledger(ops.admin).entries)

    planned = services.restores.restore_entry(ops.deployer, first.id, dry_run=True)
    assert isinstance(planned, RestorePlanned)
    assert (planned.package_id, planned.entry_id) == (None, first.id)
    assert planned.plan is not None
    assert planned.plan.summary.overwrite == 1  # the job, by its identity
    with pytest.raises(InvalidRequestError, match="is not a restore of the signed release"):
        services.restores.restore_entry(ops.deployer, second.id, plan_id=planned.plan.plan_id)
    started = services.restores.restore_entry(ops.deployer, first.id, plan_id=planned.plan.plan_id)
    assert isinstance(started, RestoreStarted)
    run_release(services)
    assert "description" not in services.jobs.show(prod, "daily").document
    restored, objects = services.ledger.ledger(ops.admin).entries[-1]
    assert (restored.action, restored.target_entry, restored.source_id) == (
        "restore",
        first.id,
        sales.admin.workspace.id,
    )
    assert [(o.name, o.action) for o in objects] == [("daily", "put")]
    assert services.restores.restore_entry(ops.deployer, first.id, dry_run=True).plan is None
    with pytest.raises(RollbackRefusedError, match="is not a release"):
        services.restores.restore_entry(ops.deployer, restored.id, dry_run=True)


def test_a_restore_that_would_carry_two_workspaces_identities_is_refused(
    services: Services,
) -> None:
    sales = connected_team(services, "sales")
    data, pair = signed_release(services, sales)
    ops = trusting_team(services, pair.public_key)
    submit_job(services, ops.developer, "own")
    own = release(services, ops, "own-release")
    take_in(services, ops.admin, data)
    run_release(services)
    # back to the state after its own release: the signed release's objects are deleted, a
    # package of the other server's identities
    planned = services.restores.restore(ops.deployer, own, dry_run=True)
    assert isinstance(planned, RestorePlanned)
    assert planned.plan is not None
    assert planned.plan.summary.delete == 3
    # naming the local release to roll back says which release came after it
    with pytest.raises(RollbackRefusedError, match="signed release 'carried' taken in"):
        services.release_rollback.rollback(ops.deployer, own)
    # a local release after it: back to the first would change objects of both
    submit_job(services, ops.developer, "own", description="second cut")
    release(services, ops, "own-release-2")
    with pytest.raises(RollbackRefusedError, match="released from two workspaces") as refused:
        services.restores.restore(ops.deployer, own, dry_run=True)
    assert "release-packages/last/rollback" in refused.value.message


def test_a_signed_release_whose_plan_expired_unapplied_is_forgotten_with_it(
    services: Services,
) -> None:
    sales = connected_team(services, "sales")
    data, pair = signed_release(services, sales)
    ops = trusting_team(services, pair.public_key)
    taken = take_in(services, ops.admin, data)
    later = now_ms() + 10 * 24 * 3600 * 1000
    services.imports.sweep(later)  # its import, queued, still needs the plan: kept
    with services.db.transaction(readonly=True) as tx:
        assert ledger_repo.carried_of_plan(tx, taken.plan_id) is not None
    services.tasks.finish(taken.task_id, TaskStatus.FAILED, "Stopped before it ran.")
    services.imports.sweep(later)  # the plan expired unapplied
    with services.db.transaction(readonly=True) as tx:
        assert ledger_repo.carried_of_plan(tx, taken.plan_id) is None


def test_a_signed_release_taken_in_to_start_starts_its_new_batch_jobs(
    services: Services,
) -> None:
    sales = connected_team(services, "sales")
    data, pair = signed_release(services, sales)
    ops = trusting_team(services, pair.public_key)
    take_in(services, ops.admin, data, StartupMode.START)
    run_release(services)
    prod = production_of(services, ops)
    assert services.jobs.status(prod, "daily").status is not JobStatus.STOPPED
    ((entry, _),) = services.ledger.ledger(ops.admin).entries
    assert (entry.startup_mode, entry.started_jobs()) == (1, ["daily"])
    # its rollback stops the job it started, then removes it
    services.release_rollback.rollback(ops.deployer, None)
    with pytest.raises(JobNotFoundError):
        services.jobs.show(prod, "daily")


def test_production_names_an_object_once_when_two_workspaces_released_it(
    services: Services,
) -> None:
    """Production released its own ``daily``, then took in another server's ``daily`` (matched
    by name, so overwritten): two identities, one object. What production holds names it
    once, as the newest entry left it; and gone, once a release deletes it by either."""
    sales = connected_team(services, "sales")
    _, pair = signed_release(services, sales, name="first", deploy=True)
    data, _ = signed_release(services, sales, name="second", pair=pair, description="second")
    ops = trusting_team(services, pair.public_key)
    submit_job(services, ops.developer, "daily")  # as the other side's first release holds it
    release(services, ops, "own-release")
    take_in(services, ops.admin, data)
    run_release(services)
    view = services.ledger.ledger(ops.admin)
    named = [(o.kind, o.name) for o in view.production]
    assert len(named) == len(set(named)), named
    carried = view.entries[-1][0].id
    (daily,) = (o for o in view.production if o.name == "daily")
    assert daily.entry_id == carried


@pytest.mark.parametrize("listed", [True, False], ids=["trusted-then-distrusted", "never-trusted"])
def test_a_signed_release_approved_with_a_distrusted_key_is_refused_naming_it(
    services: Services, listed: bool
) -> None:
    """An approval signed by a key the workspace distrusts is not merely left uncounted (an
    approval "missing", whose fix was to trust the key): the release is refused, naming the
    approver, the key and when and by whom it was distrusted."""
    data, pair = signed_release(services, connected_team(services, "sales"))
    other = connected_team(services, "ops")
    if listed:
        services.keys.trust(
            other.admin, parse_trust({"name": "alice", "publicKey": pair.public_key})
        )
        services.keys.distrust(other.admin, pair.key_id)
    else:
        services.keys.distrust_public_key(other.admin, KeyToTrust("alice", pair.public_key))

    with pytest.raises(ApprovalKeyDistrustedError) as refused:
        take_in(services, other.admin, data)

    error = refused.value
    assert error.code == "DLF.9067"
    assert f"approval is signed by key {pair.key_id} ('alice'), which the workspace distrusts" in (
        error.problem
    )
    assert "distrusted on " in error.problem
    assert "by admin" in error.problem
    assert "trust it again (POST /v1/{project_id}/trusted-keys" in error.message
    assert (error.context["key_id"], error.context["distrusted_by"]) == (pair.key_id, "admin")
    assert error.context["user"] == error.problem.split("'s approval")[0].rsplit(": ", 1)[1]
    with pytest.raises(JobNotFoundError):  # nothing was imported
        services.jobs.show(production_of(services, other), "daily")


def _approvals_edited(data: bytes, edit: Any) -> bytes:
    """The same file with its approvals file rewritten by ``edit`` (nothing in it is signed
    but each approval's statement)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as archive:
        for info in source.infolist():
            body = source.read(info)
            if info.filename == APPROVALS:
                body = orjson.dumps(edit(orjson.loads(body)))
            archive.writestr(info, body)
    return out.getvalue()


def test_one_key_counts_once_however_many_names_its_approvals_carry(
    services: Services,
) -> None:
    """The user an approval names travels unsigned beside it: one trusted key's signature
    listed again under another name (the approvers list edited to match) is still one
    approver's, and does not make up a workspace's rule of two."""
    data, pair = signed_release(services, connected_team(services, "sales"))
    ops = trusting_team(services, pair.public_key)
    services.release_approvals.set_rule(ops.admin, {"requireApprovals": 2})

    def twice(document: dict[str, Any]) -> dict[str, Any]:
        (approval,) = document["approvals"]
        document["approvals"].append({**approval, "user": "mallory"})
        document["approvers"] = [*document["approvers"], "mallory"]
        return document

    with pytest.raises(ApprovalRefusedError) as refused:
        take_in(services, ops.admin, _approvals_edited(data, twice))
    error = refused.value
    assert "1 approval(s) verify with keys it trusts, 2 needed" in error.problem
    assert f"mallory: its key {pair.key_id} approved for " in error.problem
    assert error.context["rule"] == "approval.carried"
    with pytest.raises(JobNotFoundError):  # nothing was imported
        services.jobs.show(production_of(services, ops), "daily")


def test_a_key_distrusted_before_a_signed_releases_import_applies_refuses_it(
    services: Services,
) -> None:
    """Taking a signed release in checks its approvals and queues its import; a key the
    workspace distrusts before that import applies (a leak found meanwhile) refuses it there,
    as it would have refused the take-in: nothing imported, nothing in the ledger."""
    data, pair = signed_release(services, connected_team(services, "sales"))
    ops = trusting_team(services, pair.public_key)
    taken = take_in(services, ops.admin, data)
    services.keys.distrust(ops.admin, pair.key_id)
    run_release(services)

    prod = production_of(services, ops)
    with pytest.raises(JobNotFoundError):
        services.jobs.show(prod, "daily")
    assert services.ledger.ledger(ops.admin).entries == ()
    with services.db.transaction(readonly=True) as tx:
        task = task_repo.get_task(tx, prod.workspace.id, taken.task_id)
    assert task is not None
    assert f"signed by key {pair.key_id} ('approver'), which the workspace distrusts" in (
        task.message
    )
    result = orjson.loads(task.result or "{}")
    assert (result["errorCode"], result["remedy"]) == ("DLF.9067", "distrusted_approver")
