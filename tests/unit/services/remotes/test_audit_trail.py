"""A remote's audit trail (tests/api/test_audit_coverage.py names this test for the remote
calls it cannot make without a DataArts endpoint): added, refreshed, changed and removed,
each one entry by the project admin naming the remote, and a refresh's copies of the
remote's objects one entry each in the shadow, by the same user."""

from __future__ import annotations

from jobferry.services.container import Services
from jobferry.services.remotes.records import RemoteChange
from jobferry.storage import audit as audit_repo
from support.builders import make_job
from support.clients import PROJECT_ID
from support.console import admin_actor
from support.standin import FACTORY, DataArtsStandin

Line = tuple[str, str, str | None, str | None]


def _last(services: Services) -> int:
    with services.db.transaction(readonly=True) as tx:
        _, rows = audit_repo.list_entries(tx, PROJECT_ID, None, limit=1, offset=0)
    return rows[0][0] if rows else 0


def _since(services: Services, last: int) -> list[Line]:
    with services.db.transaction(readonly=True) as tx:
        _, rows = audit_repo.list_entries(tx, PROJECT_ID, None, limit=100, offset=0)
    return [
        (r.actor, r.action, r.object_kind, r.object_name)
        for entry_id, r in reversed(rows)
        if entry_id > last
    ]


def test_each_change_to_a_remote_is_one_entry_by_the_admin(
    services: Services, standin: DataArtsStandin
) -> None:
    admin = admin_actor(services)
    services.remotes.transport = standin.transport()
    standin.add_workspace(standin.workspace_id).put_job(make_job("daily_sales"))

    last = _last(services)
    services.remotes.add(admin, standin.spec())
    assert _since(services, last) == [(admin.name, "remote.add", "remote", "prod")]

    last = _last(services)
    services.remotes.refresh(admin, "prod")
    refreshed = _since(services, last)
    assert refreshed[-1] == (admin.name, "remote.refresh", "remote", "prod")
    assert (admin.name, "job.create", "job", "daily_sales") in refreshed
    assert {who for who, _, _, _ in refreshed} == {admin.name}

    last = _last(services)
    services.remotes.change(admin, "prod", RemoteChange(endpoint=FACTORY + "/gateway"))
    assert _since(services, last) == [(admin.name, "remote.change", "remote", "prod")]

    last = _last(services)
    services.remotes.remove(admin, "prod")
    assert _since(services, last) == [(admin.name, "remote.remove", "remote", "prod")]
