"""A refresh run as a task of its own (``services/remotes/refresh_task.py``) at the service
level, against the strict DataArts stand-in: queued in the shadow workspace (refused at once,
queuing nothing, for an unknown remote or a caller who may not refresh it), run as a task
thread runs it, ended with what it did or with the refusal."""

from __future__ import annotations

import pytest

from jobferry.domain.enums import Role, TaskKind, TaskStatus
from jobferry.domain.remedies import Remedy
from jobferry.errors import ConflictError, PermissionDeniedError, RemoteNotFoundError
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.remotes.records import Refresh
from jobferry.services.taskviews import Task
from support.builders import make_job
from support.console import admin_actor
from support.progress import said_by
from support.releases import person
from support.standin import DataArtsStandin, Fault


def job_names(services: Services, shadow: Scope) -> list[str]:
    _, jobs = services.jobs.list_jobs(
        shadow, job_type=None, job_name=None, tags=None, limit=100, offset=0
    )
    return sorted(job.name for job in jobs)


def run_queued(services: Services, shadow: Scope) -> Task:
    """Claim the queued refresh and run it, as a task thread does; the task then."""
    claimed = services.tasks.claim((TaskKind.REFRESH,), look_first=False)
    assert claimed is not None
    services.refresh_tasks.run(claimed)
    return services.tasks.show(shadow, claimed.id)


def test_a_queued_refresh_brings_the_shadow_to_the_remote_and_ends_with_what_it_did(
    services: Services, standin: DataArtsStandin, shadow: Scope
) -> None:
    standin.workspace.put_job(make_job("weekly_sales"))

    queued = services.refresh_tasks.start(admin_actor(services), "prod")

    assert queued.workspace_id == shadow.workspace.id
    assert job_names(services, shadow) == ["daily_sales"]  # not yet
    ended = run_queued(services, shadow)
    assert ended.id == queued.task_id
    assert ended.kind is TaskKind.REFRESH
    assert ended.status is TaskStatus.SUCCESSFUL, ended.message
    done = Refresh.of(ended.outcome["refresh"])
    assert ended.outcome["remote"] == "prod"
    assert done.counts["job"]["created"] == 1
    assert ended.message == f"Refreshed remote 'prod': {done.said()}."
    assert job_names(services, shadow) == ["daily_sales", "weekly_sales"]
    last = services.remotes.get(admin_actor(services), "prod").last_refresh
    assert last is not None
    assert last.at == done.at  # the remote's last refresh is this one


def test_a_refresh_the_remote_refuses_fails_its_task_saying_why(
    services: Services, standin: DataArtsStandin, shadow: Scope
) -> None:
    services.refresh_tasks.start(admin_actor(services), "prod")
    standin.reset()
    standin.call_faults[1] = Fault.REFUSE  # the refresh's first read

    ended = run_queued(services, shadow)

    assert ended.status is TaskStatus.FAILED
    assert "prod" in ended.message
    assert ended.outcome["errorCode"]
    assert job_names(services, shadow) == ["daily_sales"]  # kept


def test_what_may_not_be_refreshed_is_refused_at_once_and_queues_nothing(
    services: Services, shadow: Scope
) -> None:
    with pytest.raises(RemoteNotFoundError):
        services.refresh_tasks.start(admin_actor(services), "nowhere")
    viewer = person(services, shadow.workspace.id, "vera", Role.VIEWER).actor
    with pytest.raises(PermissionDeniedError, match="refresh remote 'prod'"):
        services.refresh_tasks.start(viewer, "prod")
    assert services.tasks.claim((TaskKind.REFRESH,), look_first=False) is None


def test_a_second_refresh_is_refused_while_one_is_queued_and_taken_once_it_ended(
    services: Services, shadow: Scope
) -> None:
    first = services.refresh_tasks.start(admin_actor(services), "prod")

    with pytest.raises(
        ConflictError, match=f"queued or running already \\(task {first.task_id}"
    ) as busy:
        services.refresh_tasks.start(admin_actor(services), "prod")

    assert busy.value.remedy is Remedy.FOLLOW_TASK
    assert (busy.value.context["task_id"], busy.value.context["workspace"]) == (
        first.task_id,
        shadow.workspace.name,
    )
    run_queued(services, shadow)
    assert services.refresh_tasks.start(admin_actor(services), "prod").task_id != first.task_id


def test_a_queued_refresh_says_how_many_jobs_it_read_and_when_it_writes(
    services: Services,
    standin: DataArtsStandin,
    shadow: Scope,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    standin.workspace.put_job(make_job("weekly_sales"))
    queued = services.refresh_tasks.start(admin_actor(services), "prod")
    said = said_by(services, monkeypatch, queued.task_id)

    ended = run_queued(services, shadow)

    assert ended.id == queued.task_id
    assert ended.status is TaskStatus.SUCCESSFUL, ended.message
    assert said[0] == (0, "Reading the remote.")
    read = [message for _, message in said if message.startswith("Read 2 of 2 job(s)")]
    assert read, said  # daily_sales and weekly_sales
    assert read[-1].endswith(" calls).")
    # the remote's list says two jobs: two read is as far as reading goes
    assert (80, read[-1]) in said
    assert said[-1] == (
        85,
        f"Writing what changed into shadow workspace '{shadow.workspace.name}'.",
    )
