"""A remote's audit trail (tests/api/test_audit_coverage.py names this test for the remote
calls it cannot make without a DataArts endpoint): added, refreshed, changed and removed,
each one entry by the project admin naming the remote, and a refresh's copies of the
remote's objects one entry each in the shadow, by the same user."""

from __future__ import annotations

from jobferry.services.container import Services
from jobferry.services.remotes.records import RemoteChange
from support.audits import entries_since, last_entry
from support.builders import make_job
from support.console import admin_actor
from support.standin import FACTORY, DataArtsStandin


def test_each_change_to_a_remote_is_one_entry_by_the_admin(
    services: Services, standin: DataArtsStandin
) -> None:
    admin = admin_actor(services)
    services.remotes.transport = standin.transport()
    standin.add_workspace(standin.workspace_id).put_job(make_job("daily_sales"))

    last = last_entry(services)
    services.remotes.add(admin, standin.spec())
    assert entries_since(services, last) == [(admin.name, "remote.add", "remote", "prod")]

    last = last_entry(services)
    services.remotes.refresh(admin, "prod")
    refreshed = entries_since(services, last)
    assert refreshed[-1] == (admin.name, "remote.refresh", "remote", "prod")
    assert (admin.name, "job.create", "job", "daily_sales") in refreshed
    assert {who for who, _, _, _ in refreshed} == {admin.name}

    last = last_entry(services)
    services.remotes.change(admin, "prod", RemoteChange(endpoint=FACTORY + "/gateway"))
    assert entries_since(services, last) == [(admin.name, "remote.change", "remote", "prod")]

    last = last_entry(services)
    services.remotes.remove(admin, "prod")
    assert entries_since(services, last) == [(admin.name, "remote.remove", "remote", "prod")]
