"""A refresh (``services/remotes/refresh.py``) at the service level, against the strict DataArts
stand-in: the shadow is brought to exactly what the remote holds (created, overwritten,
deleted, unchanged), its jobs read in bulk, with SDK calls only."""

from __future__ import annotations

from collections import Counter
from json import dumps

import httpx2
import pytest

from jobferry.domain.audit import AuditQuery
from jobferry.domain.enums import JobStatus
from jobferry.errors import RemoteAuthError
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.remotes.records import RemoteChange
from jobferry.storage.importing import ledger as ledger_repo
from jobferry.storage.importing import target as target_repo
from support.builders import make_job, make_resource, make_script
from support.console import admin_actor
from support.standin import DataArtsStandin, Fault
from support.standin_workspace import Request


@pytest.fixture
def standin() -> DataArtsStandin:
    standin = DataArtsStandin()
    standin.workspace.put_script(make_script("daily_sales_sql"))
    standin.workspace.put_script(make_script("daily_sales_sh", type="Shell", content="echo hi"))
    standin.workspace.put_resource(make_resource("udf_jar"))
    standin.workspace.put_job(make_job("daily_sales"), status="SCHEDULING")
    standin.workspace.put_job(make_job("weekly_sales"), submit=False)
    return standin


def _jobs(services: Services, shadow: Scope) -> dict[str, JobStatus]:
    """The shadow's jobs of both types and their status."""
    jobs = {}
    for job_type in ("BATCH", "REAL_TIME"):
        _, rows = services.jobs.list_jobs(
            shadow, job_type=job_type, job_name=None, tags=None, limit=100, offset=0
        )
        jobs.update({job.name: job.status for job in rows})
    return jobs


def test_a_refresh_copies_what_the_remote_holds_into_the_shadow(
    services: Services, shadow: Scope
) -> None:
    assert _jobs(services, shadow) == {
        "daily_sales": JobStatus.SCHEDULING,
        "weekly_sales": JobStatus.STOPPED,
    }
    total, _ = services.scripts.list_scripts(shadow, script_name=None, limit=10, offset=0)
    assert total == 2
    assert services.jobs.show(shadow, "daily_sales", submitted=True) is not None


def test_a_second_refresh_reads_only_and_writes_only_what_changed(
    services: Services, standin: DataArtsStandin, shadow: Scope
) -> None:
    standin.workspace.edit_job("weekly_sales", logPath="obs://bucket/logs/weekly")
    del standin.workspace.jobs["daily_sales"]
    standin.workspace.put_job(make_job("hourly_sales"))
    standin.reset()
    done = services.remotes.refresh(admin_actor(services), "prod")
    assert done.counts["job"] == {"created": 1, "updated": 1, "deleted": 1, "unchanged": 0}
    assert done.counts["script"]["unchanged"] == 2
    assert set(_jobs(services, shadow)) == {"weekly_sales", "hourly_sales"}
    assert not {"show_job", "create_job", "update_job"} & set(standin.calls())
    assert standin.refused() == []


def test_a_refresh_reads_every_job_in_batches_of_a_hundred(
    services: Services, standin: DataArtsStandin, shadow: Scope
) -> None:
    for n in range(205):
        standin.workspace.put_job(make_job(f"job_{n:03d}"))
    standin.reset()
    done = services.remotes.refresh(admin_actor(services), "prod")
    assert done.counts["job"]["created"] == 205
    exports = [c for c in standin.calls() if c == "export_job_list"]
    # the 205 new jobs: 3 batches of development states, 3 of submitted versions (the two the
    # last refresh read are listed as they were then: not exported again)
    assert len(exports) == 6
    # 100 a page; offset 100 asked first as rows finds nothing: DataArts' offset counts pages;
    # then the real-time jobs (none)
    assert standin.calls().count("list_jobs") == 5
    assert standin.refused() == []


def test_a_job_deleted_in_the_remote_between_two_pages_costs_no_other_job_its_place(
    services: Services, standin: DataArtsStandin, shadow: Scope
) -> None:
    """job_000, on the first page of the list, is deleted once that page has answered: every
    job after it moves up a row, job_100 onto the first page. The refresh still reads job_100
    (the shadow does not take it as deleted in the remote)."""
    for n in range(250):
        standin.workspace.put_job(make_job(f"job_{n:03d}"))
    services.remotes.refresh(admin_actor(services), "prod")
    first_page: list[str] = []

    def deleting(request: httpx2.Request) -> httpx2.Response:
        answer = standin.handle(request)
        listed = request.url.path.endswith("/jobs") and request.method == "GET"
        if listed and request.url.params.get("jobType") == "BATCH" and not first_page:
            first_page.append(request.url.params["offset"])
            del standin.workspace.jobs["job_000"]
        return answer

    services.remotes.transport = httpx2.MockTransport(deleting)
    services.remotes.refresh(admin_actor(services), "prod")
    assert first_page == ["0"]
    with services.db.transaction(readonly=True) as tx:
        held = {
            job.name for job in target_repo.objects_after(tx, shadow.workspace.id, "job", "", 300)
        }
    assert "job_100" in held
    assert set(standin.workspace.jobs) <= held
    assert standin.refused() == []


def test_a_read_throttled_during_a_refresh_is_made_again(
    services: Services, standin: DataArtsStandin, shadow: Scope
) -> None:
    standin.workspace.put_job(make_job("hourly_sales"))
    standin.reset()
    standin.call_faults.update({1: Fault.THROTTLE, 3: Fault.THROTTLE})
    done = services.remotes.refresh(admin_actor(services), "prod")
    assert done.counts["job"]["created"] == 1
    throttled = [s for s in standin.seen if s.status == 429]
    assert len(throttled) == 2
    for refused in throttled:  # made again, and answered: the lists are read side by side,
        # so the two throttled calls may be two lists, two calls of one path (the batch and
        # the real-time jobs), or one call and its first retry
        again = [
            s
            for s in standin.seen
            if s.number > refused.number and s.path == refused.path and s.status == 200
        ]
        assert again, standin.seen
    assert done.calls == len(standin.seen)


def test_a_refresh_reads_real_time_jobs_too(
    services: Services, standin: DataArtsStandin, shadow: Scope
) -> None:
    standin.workspace.put_job(make_job("clicks_stream", processType="REAL_TIME"))
    services.remotes.refresh(admin_actor(services), "prod")
    assert "clicks_stream" in _jobs(services, shadow)


def test_a_refresh_keeps_a_connections_category(
    services: Services, standin: DataArtsStandin, shadow: Scope
) -> None:
    standin.workspace.put_connection("dli_conn", "DLI", region="cn-north-4", category="DLI")
    services.remotes.refresh(admin_actor(services), "prod")
    shown = services.environment.get(shadow, "connection", "dli_conn")
    assert shown.type == "DLI"
    assert shown.config.get("dwCategory") == "DLI"


def test_a_job_renamed_on_the_remote_is_renamed_in_the_shadow_and_a_deleted_one_remembered(
    services: Services, standin: DataArtsStandin, shadow: Scope
) -> None:
    before = services.jobs.show(shadow, "weekly_sales").id
    rename = Request("update_factory_job_name", {"job_name": "weekly_sales"}, {}, {"name": "wk"})
    assert standin.workspace.update_factory_job_name(rename)[0] == 200
    standin.workspace.put_job(make_job("hourly_sales"))
    del standin.workspace.jobs["daily_sales"]
    standin.reset()
    done = services.remotes.refresh(admin_actor(services), "prod")
    # wk is weekly_sales renamed (its creation stamp, its definition but its name); hourly_sales
    # is new (its definition differs from daily_sales', gone in the same refresh)
    assert done.counts["job"] == {"created": 1, "updated": 1, "deleted": 1, "unchanged": 0}
    assert set(_jobs(services, shadow)) == {"wk", "hourly_sales"}
    assert services.jobs.show(shadow, "wk").id == before
    with services.db.transaction(readonly=True) as tx:
        tombstones = ledger_repo.deletions_since(tx, shadow.workspace.id, 0)
    assert [(t.kind, t.name) for t in tombstones] == [("job", "daily_sales")]
    assert standin.refused() == []


def test_an_unchanged_refresh_makes_only_the_list_calls(
    services: Services, standin: DataArtsStandin, shadow: Scope
) -> None:
    for n in range(205):
        standin.workspace.put_job(make_job(f"job_{n:03d}"))
    services.remotes.refresh(admin_actor(services), "prod")
    standin.reset()
    done = services.remotes.refresh(admin_actor(services), "prod")
    assert done.counts["job"] == {"created": 0, "updated": 0, "deleted": 0, "unchanged": 207}
    calls = Counter(standin.calls())
    # no export at all (every job's list entry is as recorded: the recorded hashes stand), no
    # read of one job, script or resource; the lists at 100 a page: batch jobs in page numbers
    # (the first page, then pages 1 and 2 at once: the first refresh found that the stand-in
    # counts pages), real-time jobs, scripts, resources, the connections (the list answers no
    # settings: each of the stand-in's two is shown) and the environment variables
    assert calls == {
        "list_jobs": 4,
        "show_dataconnection": 2,
        "list_scripts": 1,
        "list_resources": 1,
        "list_dataconnections": 1,
        "show_factory_env": 1,
    }
    assert done.calls == sum(calls.values())
    assert standin.refused() == []


def test_a_job_renamed_on_the_remote_after_its_submit_keeps_its_submitted_version(
    services: Services, standin: DataArtsStandin, shadow: Scope
) -> None:
    # the batch export puts each job in a folder of its name; the submitted version of a job
    # renamed since its submit still holds its old name (``wk/daily_sales.job``), and a new job
    # took that old name (``daily_sales/daily_sales.job``): the folder says whose each is
    before = services.jobs.show(shadow, "daily_sales", submitted=True)
    assert before is not None
    rename = Request("update_factory_job_name", {"job_name": "daily_sales"}, {}, {"name": "wk"})
    assert standin.workspace.update_factory_job_name(rename)[0] == 200
    standin.workspace.put_job(make_job("daily_sales", description="a new job, the old name"))
    standin.reset()
    done = services.remotes.refresh(admin_actor(services), "prod")
    assert done.counts["job"]["created"] == 1
    assert set(_jobs(services, shadow)) == {"wk", "daily_sales", "weekly_sales"}
    renamed = services.jobs.show(shadow, "wk", submitted=True)
    assert renamed is not None
    assert renamed.document.get("description") == before.document.get("description")
    taken = services.jobs.show(shadow, "daily_sales", submitted=True)
    assert taken is not None
    assert taken.document.get("description") == "a new job, the old name"
    assert standin.refused() == []


def test_a_refresh_refused_the_credentials_stops_at_its_first_call(
    services: Services, standin: DataArtsStandin, shadow: Scope
) -> None:
    # its reads go side by side; after a failed signature, each would count towards the
    # remote's lock of the key, for everyone using it
    actor = admin_actor(services)
    services.remotes.change(actor, "prod", RemoteChange(secret_key="not-the-secret"))
    standin.reset()
    with pytest.raises(RemoteAuthError, match="jobferry remotes edit prod --secret-key @FILE"):
        services.remotes.refresh(actor, "prod")
    assert len(standin.seen) == 1


def test_a_connection_whose_secret_settings_changed_on_the_remote_names_them_anew(
    services: Services, standin: DataArtsStandin, shadow: Scope
) -> None:
    # the shadow names which secret settings are set on the remote, so that a plan does not
    # report them missing; one registered here by hand (dws_conn, its password given) keeps
    # what it was given
    actor = admin_actor(services)
    dw_id = standin.workspace.put_connection("c_one", "DWS", host="10.0.1.1", privateKey="k")
    services.remotes.refresh(actor, "prod")
    assert services.environment.get(shadow, "connection", "c_one").secret_keys == ("privateKey",)
    standin.workspace.connections[dw_id].config = {"host": "10.0.1.1", "password": "pw"}
    hand = next(c for c in standin.workspace.connections.values() if c.name == "dws_conn")
    hand.config = {"host": "10.0.1.2", "privateKey": "k"}
    done = services.remotes.refresh(actor, "prod")
    assert done.counts["connection"]["updated"] == 2
    assert services.environment.get(shadow, "connection", "c_one").secret_keys == ("password",)
    assert services.environment.get(shadow, "connection", "dws_conn").secret_keys == ("password",)


def test_every_audit_line_of_a_refresh_says_which_remote_it_refreshed(
    services: Services, standin: DataArtsStandin, shadow: Scope
) -> None:
    # the environment's lines too: a connection may be registered in the shadow by hand, and
    # its line must not read as one
    actor = admin_actor(services)
    standin.workspace.put_connection("c_one", "DWS", host="10.0.1.1")
    standin.workspace.variables["region"] = "eu"
    services.remotes.refresh(actor, "prod")
    standin.workspace.connections.clear()
    standin.workspace.variables["region"] = "cn"
    standin.workspace.put_job(make_job("hourly_sales"))
    services.remotes.refresh(actor, "prod")
    page = services.audit.list_entries(shadow, 100, 0, AuditQuery())
    lines = {(e.action, e.object_name): e.detail for e in page.entries}
    for line in [
        ("environment.create", "c_one"),
        ("environment.delete", "c_one"),
        ("variable.create", "region"),
        ("variable.update", "region"),
        ("job.create", "hourly_sales"),
    ]:
        detail = lines[line]
        assert isinstance(detail, dict), line
        assert detail.get("refreshOf") == "prod", (line, detail)


def test_a_job_started_or_stopped_on_the_remote_is_in_the_shadows_audit_log(
    services: Services, standin: DataArtsStandin, shadow: Scope
) -> None:
    # its definition unchanged: the refresh writes only its scheduling status, and says so
    actor = admin_actor(services)
    standin.workspace.jobs["daily_sales"].status = "STOPPED"
    services.remotes.refresh(actor, "prod")
    standin.workspace.jobs["daily_sales"].status = "SCHEDULING"
    done = services.remotes.refresh(actor, "prod")
    assert done.counts["job"]["updated"] == 1
    page = services.audit.list_entries(shadow, 100, 0, AuditQuery(object_name="daily_sales"))
    said = [(e.action, e.detail) for e in page.entries if e.action in ("job.start", "job.stop")]
    # newest first; the first refresh made it scheduled, as the remote had it
    assert [action for action, _ in said] == ["job.start", "job.stop", "job.start"]
    assert {dumps(detail) for _, detail in said} == {dumps({"refreshOf": "prod"})}
