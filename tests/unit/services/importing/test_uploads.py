"""Where packages come from (``services.importing.uploads``): uploads kept for a while under a
file name without its folders, refused past the size limit, named only by paths that can name
a package, expired and swept (but those a task still running reads, and the plan it applies);
a package opened for one read leaves no copy behind."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path
from typing import cast

import pytest

from jobferry.domain.enums import Role, TaskStatus
from jobferry.errors import (
    DownloadNotFoundError,
    InvalidRequestError,
    ObsPathError,
    ObsReadError,
    PermissionDeniedError,
    PlanStaleError,
)
from jobferry.package.reader import ReadLimits
from jobferry.services.container import Services
from jobferry.services.context import Scope, now_ms
from jobferry.services.downloads import download_path
from jobferry.services.importing.plan import Plan
from jobferry.services.importing.request import parse_import_request
from jobferry.services.importing.uploads import PackageSource, upload_name
from jobferry.storage.blobs import BlobStore
from jobferry.storage.importing import plans as plan_repo
from support.builders import make_job
from support.clock import held_clock
from support.console import PASSWORD, admin_scope, make_user
from support.packages import write_package
from support.planning import jobs_with_dependencies, upload, workspace, write_objects


@pytest.fixture
def scope(services: Services) -> Scope:
    return admin_scope(services)


@pytest.fixture
def source(services: Services) -> PackageSource:
    return services.imports.packages


def test_an_upload_is_kept_under_its_file_name_and_read_back_whole(
    source: PackageSource, scope: Scope, tmp_path: Path
) -> None:
    data = write_package(tmp_path / "p.zip").read_bytes()

    kept = source.upload(scope, io.BytesIO(data), "../../exports/DLF_daily.zip")

    assert kept.path.startswith("upload://")
    assert kept.file_name == "DLF_daily.zip"  # no folders, never a path of this machine
    assert kept.size == len(data)
    assert source.title(scope, kept.path) == "DLF_daily.zip"
    with source.open(scope, kept.path) as reader:
        assert reader.sha256 == kept.sha256
        assert {obj.name for obj in reader.objects()} >= {"daily_sales"}
    assert list(source.scratch.iterdir()) == []  # the local copy is gone


def test_an_upload_over_the_package_limit_is_refused_and_nothing_kept(
    source: PackageSource, scope: Scope
) -> None:
    small = replace(source, limits=ReadLimits(max_package_bytes=10))
    with pytest.raises(InvalidRequestError, match="larger than 10 bytes") as refused:
        small.upload(scope, io.BytesIO(b"x" * 11), "big.zip")
    assert refused.value.context["limit"] == 10
    assert list(source.scratch.iterdir()) == []


def test_only_paths_that_can_name_a_package_are_taken(source: PackageSource, scope: Scope) -> None:
    with pytest.raises(ObsReadError, match="upload it again"):
        source.check_path(scope, "upload://no-such-upload")
    for bad in ("obs://", "/etc/passwd", "obs://bucket/../secret.zip", "http://x/p.zip"):
        with pytest.raises(ObsPathError):
            source.check_path(scope, bad)
    source.check_path(scope, "obs://bucket/exports/DLF_job.zip")  # fetched later, in the task
    assert (
        source.title(scope, "obs://bucket/exports/DLF_job.zip")
        == "obs://bucket/exports/DLF_job.zip"
    )
    with pytest.raises(ObsPathError, match="names a folder"):
        source.fetch(scope, "obs://bucket/exports/")


def test_an_upload_of_another_workspace_is_not_found(
    services: Services, source: PackageSource, scope: Scope, tmp_path: Path
) -> None:
    path = source.upload(scope, io.BytesIO(write_package(tmp_path / "p.zip").read_bytes()), "p.zip")
    other = services.accounts.create_workspace(scope.actor, scope.actor.project_id, "other")
    with pytest.raises(ObsReadError):
        source.check_path(admin_scope(services, other), path.path)


def test_expired_uploads_are_refused_then_swept(
    source: PackageSource, scope: Scope, tmp_path: Path
) -> None:
    data = write_package(tmp_path / "p.zip").read_bytes()
    short = replace(source, ttl_seconds=0)
    gone = short.upload(scope, io.BytesIO(data), "gone.zip").path
    kept = source.upload(scope, io.BytesIO(data), "kept.zip").path

    with pytest.raises(ObsReadError):
        source.check_path(scope, gone)
    assert source.sweep(now_ms()) == 1
    source.check_path(scope, kept)
    assert source.sweep(now_ms() + source.ttl_seconds * 1000 + 1) == 1
    with pytest.raises(ObsReadError):
        source.check_path(scope, kept)


class _Stuck:
    """A blob store that cannot remove what it holds."""

    def __init__(self, store: BlobStore) -> None:
        self.store = store

    def remove(self, location: str) -> None:
        raise OSError(f"{location} is busy")


def test_an_expired_upload_whose_file_cannot_be_removed_is_swept_by_the_next_sweep(
    services: Services, source: PackageSource, scope: Scope, tmp_path: Path
) -> None:
    data = write_package(tmp_path / "p.zip").read_bytes()
    replace(source, ttl_seconds=0).upload(scope, io.BytesIO(data), "gone.zip")
    stuck = replace(source, uploads=cast(BlobStore, _Stuck(source.uploads)))

    with pytest.raises(OSError, match="busy"):
        stuck.sweep(now_ms())
    with services.db.transaction(readonly=True) as tx:
        assert [u.file_name for u in plan_repo.expired_uploads(tx, now_ms())] == ["gone.zip"]
    assert source.sweep(now_ms()) == 1
    with services.db.transaction(readonly=True) as tx:
        assert plan_repo.expired_uploads(tx, now_ms()) == []


def test_a_package_of_another_workspaces_download_center_is_read_where_it_is_kept(
    services: Services, source: PackageSource, scope: Scope, tmp_path: Path
) -> None:
    made = services.downloads.keep(
        scope, None, "DLF_daily.zip", {"mode": "names"}, write_package(tmp_path / "p.zip")
    )
    other = services.accounts.create_workspace(scope.actor, scope.actor.project_id, "other")
    path = download_path(scope.workspace.id, made.id)

    title = source.title(admin_scope(services, other), path)
    fetched = source.fetch(admin_scope(services, other), path)

    assert title.startswith("DLF_daily.zip (exported from workspace 'default' on ")
    (kept,) = (services.settings.data_dir / "packages").rglob("DLF_daily.zip")
    assert fetched.stat().st_ino == kept.stat().st_ino  # a second name, not a copy
    fetched.unlink()


def test_a_download_center_path_is_refused_to_whom_may_not_use_that_download_center(
    services: Services, source: PackageSource, scope: Scope, tmp_path: Path
) -> None:
    made = services.downloads.keep(
        scope, None, "DLF_daily.zip", {"mode": "names"}, write_package(tmp_path / "p.zip")
    )
    other = services.accounts.create_workspace(scope.actor, scope.actor.project_id, "other")
    make_user(services, "stranger", Role.DEVELOPER, other)
    actor = services.signin.authenticate(scope.actor.project_id, "stranger", PASSWORD)
    stranger = services.accounts.scope(actor, scope.actor.project_id, other)
    with pytest.raises(PermissionDeniedError, match="has no role in workspace 'default'"):
        source.check_path(stranger, download_path(scope.workspace.id, made.id))
    with pytest.raises(InvalidRequestError, match="download://<workspace id>/<package id>"):
        source.check_path(scope, "download://only-a-workspace")
    with pytest.raises(DownloadNotFoundError):
        source.check_path(scope, download_path(scope.workspace.id, "no-such-package"))


def test_an_upload_s_name_drops_any_folder_and_fits_its_record(
    source: PackageSource, scope: Scope
) -> None:
    assert upload_name("C:\\Users\\me\\exports\\DLF_daily.zip") == "DLF_daily.zip"
    assert upload_name("..") == upload_name("exports/") == "package.zip"
    long = f"{'x' * 300}.zip"
    assert upload_name(long) == f"{'x' * 252}.zip"
    kept = source.upload(scope, io.BytesIO(b"PK"), long)  # PostgreSQL holds 256 characters
    assert source.title(scope, kept.path) == f"{'x' * 252}.zip"


def test_an_import_queued_before_its_upload_and_plan_expired_runs_after_the_sweep(
    services: Services, tmp_path: Path
) -> None:
    prod = workspace(services, "prod")
    package = write_objects(tmp_path / "p.zip", jobs_with_dependencies(make_job("ja")))
    ttl_ms = services.imports.packages.ttl_seconds * 1000
    with held_clock(1_900_000_000_000) as clock:
        body = {"path": upload(services, prod, package), "sameNamePolicy": "OVERWRITE"}
        plan = services.imports.plan(prod, parse_import_request(body))
        assert isinstance(plan, Plan)
        clock.move(ttl_ms - 1000)
        queued = parse_import_request({**body, "planId": plan.plan_id})
        prepared = services.imports.prepare(prod, queued)  # no free task thread: it waits
        clock.move(2000)

        assert services.imports.sweep(clock.now) == 0  # what the queued import reads is kept
        services.imports.run(prepared)

        task = services.tasks.show(prod, prepared.task_id)
        assert task.status == TaskStatus.SUCCESSFUL, task.message
        assert services.imports.sweep(clock.now) == 1  # once it ended, they go
        with pytest.raises(PlanStaleError):
            services.imports.plans.plan(prod, plan.plan_id)
