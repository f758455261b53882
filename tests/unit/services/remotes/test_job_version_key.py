"""A remote's exports carry each job's ``version``, the version exported (``"1"``, ``"2"``…,
as DataArts' console exports do and the stand-in's): the server's, not the job's definition.
A submit on the remote that changes nothing of the job changes nothing of its shadow, and a
plan into the shadow of the job as it is finds nothing to change."""

from __future__ import annotations

import copy
from pathlib import Path

from jobferry.domain.enums import SameNamePolicy
from jobferry.services.container import Services
from jobferry.services.context import Scope
from support.console import admin_actor
from support.planning import jobs_package, plan_of
from support.standin import DataArtsStandin
from support.standin_workspace import Request


def _submitted_again(standin: DataArtsStandin, name: str) -> None:
    """The job submitted on the remote as it is: its next version, the same definition."""
    job = standin.workspace.jobs[name]
    job.submitted.append(copy.deepcopy(job.doc))
    job.touch()
    standin.reset()


def test_the_remotes_exports_carry_the_version_exported(
    standin: DataArtsStandin, shadow: Scope
) -> None:
    _submitted_again(standin, "daily_sales")
    exported = standin.workspace.batch_export()
    assert b'"version":"2"' in exported
    _, shown = standin.workspace.show_job(Request("show_job", {"job_name": "daily_sales"}, {}, {}))
    assert shown["version"] == "2"


def test_a_submit_on_the_remote_changing_nothing_leaves_the_shadows_job_unchanged(
    services: Services, standin: DataArtsStandin, shadow: Scope
) -> None:
    assert "version" not in services.jobs.show(shadow, "daily_sales").document
    _submitted_again(standin, "daily_sales")

    done = services.remotes.refresh(admin_actor(services), "prod")

    assert done.counts["job"] == {"created": 0, "updated": 0, "deleted": 0, "unchanged": 1}
    assert "version" not in services.jobs.show(shadow, "daily_sales").document


def test_a_plan_into_the_shadow_of_the_job_as_the_remote_holds_it_changes_no_field(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    _submitted_again(standin, "daily_sales")
    services.remotes.refresh(admin_actor(services), "prod")
    package = jobs_package(tmp_path / "p.zip", "daily_sales")

    plan = plan_of(services, shadow, package, same_name_policy=SameNamePolicy.OVERWRITE)

    assert plan.line("daily_sales")["action"] == "UNCHANGED"
