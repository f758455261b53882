"""The export use cases (``services.exporting.service``) without HTTP: a single job's package
and a batch's, the batch cap, name-list exports refused until every name matches, and a
background workspace export kept in the download center and remembered as the last, its file
named for the moment it was cut in UTC; an export its ``obsPath`` refuses remembered nowhere."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from typing import Any

import pytest

from jobferry.domain.enums import TaskStatus
from jobferry.errors import InvalidRequestError, JobNotFoundError, ObsBucketNotFoundError
from jobferry.services import taskprogress
from jobferry.services.audit import AuditQuery
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.exporting import contents as contents_module
from jobferry.services.exporting import selection as selection_module
from jobferry.services.exporting import service as service_module
from jobferry.services.exporting.options import ExportRequest, parse_background_export
from jobferry.storage.importing.ledger import last_export_to
from support.clock import local_zone
from support.console import admin_scope, seed
from support.exporting import entries
from support.progress import said_by


@pytest.fixture
def scope(services: Services) -> Scope:
    scope = admin_scope(services)
    seed(services, scope, ("a_job", "b_job"))
    return scope


def test_a_job_is_exported_with_what_it_uses(services: Services, scope: Scope) -> None:
    outcome = services.exports.export_job(scope, "a_job", ExportRequest())
    assert outcome.file_name == "DLF_a_job.zip"
    assert outcome.data is not None
    assert "jobs/a_job.job" in entries(outcome.data)
    assert "scripts/a_job_sql.script" in entries(outcome.data)
    assert "jobs/b_job.job" not in entries(outcome.data)
    with pytest.raises(JobNotFoundError):
        services.exports.export_job(scope, "no_job", ExportRequest())


def test_a_batch_gets_a_folder_per_job_up_to_its_cap(services: Services, scope: Scope) -> None:
    outcome = services.exports.export_batch(scope, ExportRequest(names=("a_job", "b_job")))
    assert outcome.file_name == "jobs.zip"
    assert outcome.data is not None
    assert {"jobs/a_job/a_job.job", "jobs/b_job/b_job.job"} <= set(entries(outcome.data))
    services.exports.settings = services.settings.model_copy(update={"export_batch_max_jobs": 1})
    with pytest.raises(InvalidRequestError, match="at most 1"):
        services.exports.export_batch(scope, ExportRequest(names=("a_job", "b_job")))


def test_a_name_list_export_is_refused_until_every_name_matches(
    services: Services, scope: Scope
) -> None:
    request = parse_background_export({"mode": "names", "names": ["a_job", "A_JOB", "nope"]})
    with pytest.raises(InvalidRequestError, match="Matched 1, failed 2") as refused:
        services.exports.prepare(scope, request)
    reasons = {d["name"]: d["reason"] for d in refused.value.context["details"]}
    assert "did you mean 'a_job'" in reasons["A_JOB"]
    assert set(reasons) == {"A_JOB", "nope"}


def test_a_name_list_export_of_submitted_versions_is_refused_at_once_for_a_job_never_submitted(
    services: Services, scope: Scope
) -> None:
    """It was queued and its task then failed: refused before the task, changing nothing."""
    job = services.jobs.detail(scope, "a_job").job.document
    services.jobs.create(scope, {**job, "name": "draft", "targetStatus": "SAVED"})
    body = {"mode": "names", "names": ["a_job", "draft"], "exportStatus": "SUBMIT"}
    tasks = services.tasks.list_tasks(scope, limit=100).total
    with pytest.raises(InvalidRequestError, match=r"'draft' in workspace .* were never submitted"):
        services.exports.prepare(scope, parse_background_export(body))
    assert services.tasks.list_tasks(scope, limit=100).total == tasks
    submitted = services.exports.prepare(
        scope, parse_background_export({**body, "names": ["a_job"]})
    )
    assert submitted.names == ["a_job"]


def test_a_workspace_export_lands_in_the_download_center(services: Services, scope: Scope) -> None:
    prepared = services.exports.prepare(scope, parse_background_export({"mode": "workspace"}))
    services.exports.run(prepared)

    task = services.tasks.show(scope, prepared.task_id)
    assert task.status is TaskStatus.SUCCESSFUL, task.message
    assert task.outcome["jobs"] == 2
    assert task.outcome["fileName"].startswith(f"{scope.workspace.name}_workspace_")
    since = parse_background_export({"mode": "workspace", "changed": "sinceLastExport"})
    assert services.exports.prepare(scope, since).since is not None


def test_a_package_is_named_for_when_it_was_cut_in_utc_whatever_the_server_s_zone(
    services: Services, scope: Scope
) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    with local_zone("Asia/Shanghai"):  # UTC+8: a local stamp would be eight hours ahead
        prepared = services.exports.prepare(scope, parse_background_export({"mode": "workspace"}))
        services.exports.run(prepared)
    after = datetime.now(UTC)
    name = services.tasks.show(scope, prepared.task_id).outcome["fileName"]
    stamp = datetime.strptime(name.rsplit("_", 1)[1], "%Y%m%dT%H%M%S.%fZ.zip")
    assert before <= stamp.replace(tzinfo=UTC) <= after, name


def test_a_background_export_says_how_many_jobs_it_wrote_as_it_writes_them(
    services: Services, scope: Scope, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(selection_module, "BATCH", 1)  # a job a batch
    monkeypatch.setattr(taskprogress, "PROGRESS_EVERY", 0.0)
    said = said_by(services, monkeypatch)
    prepared = services.exports.prepare(scope, parse_background_export({"mode": "workspace"}))
    services.exports.run(prepared)

    assert said == [
        (10, "Writing 2 job(s)."),
        (50, "Wrote 1 of 2 job(s)."),
        (90, "Wrote 2 of 2 job(s)."),
    ]
    assert services.tasks.show(scope, prepared.task_id).progress == 100


def test_an_export_is_one_moment_of_the_workspace_whatever_commits_while_it_reads(
    services: Services, scope: Scope, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The export has read the job; before it reads the script the job runs, another operator
    # (or an import) commits a change of that script.
    definitions = contents_module._definitions
    before = services.scripts.show(scope, "a_job_sh").document

    def changed_meanwhile(*args: Any, **kwargs: Any) -> Any:
        if not committed:
            edit = threading.Thread(
                target=services.scripts.update,
                args=(scope, "a_job_sh", {**before, "content": "echo changed"}),
            )
            edit.start()
            edit.join(30)
            committed.append(True)
        return definitions(*args, **kwargs)

    committed: list[bool] = []
    monkeypatch.setattr(contents_module, "_definitions", changed_meanwhile)

    outcome = services.exports.export_job(scope, "a_job", ExportRequest())

    assert committed  # the change was committed while the export read
    assert services.scripts.show(scope, "a_job_sh").document["content"] == "echo changed"
    assert outcome.data is not None
    script = json.loads(entries(outcome.data)["scripts/a_job_sh.script"])
    assert script["content"] == "echo hi"  # as it was when the export began, with its job


def test_submitted_versions_bring_the_jobs_those_versions_depend_on(
    services: Services, scope: Scope
) -> None:
    # c_job's submitted version depends on a_job; saved since (not submitted), it depends on
    # b_job instead: the package of its submitted version needs a_job, not b_job.
    job = json.loads(json.dumps(services.jobs.show(scope, "a_job").document))
    job = {k: v for k, v in job.items() if k not in ("id", "createTime", "lastUpdateUser")}
    job["name"] = "c_job"
    job["schedule"]["cron"]["dependJobs"] = {"jobs": ["a_job"]}
    services.jobs.create(scope, job)
    job["schedule"]["cron"]["dependJobs"] = {"jobs": ["b_job"]}
    services.jobs.update(scope, "c_job", {**job, "targetStatus": "SAVED"})

    request = ExportRequest(submitted=True, with_upstream=True)
    outcome = services.exports.export_job(scope, "c_job", request)

    assert outcome.data is not None
    jobs = sorted(path for path in entries(outcome.data) if path.startswith("jobs/"))
    assert jobs == ["jobs/a_job.job", "jobs/c_job.job"]
    developed = services.exports.export_job(scope, "c_job", ExportRequest(with_upstream=True))
    assert developed.data is not None
    assert "jobs/b_job.job" in entries(developed.data)
    assert "jobs/a_job.job" not in entries(developed.data)


def test_the_upstream_of_submitted_versions_is_read_a_batch_at_a_time(
    services: Services, scope: Scope, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two jobs selected, one version read at a time (``CLOSURE_BATCH``): each brings the
    job its submitted version depends on, as one batch of both would."""
    base = json.loads(json.dumps(services.jobs.show(scope, "a_job").document))
    base = {k: v for k, v in base.items() if k not in ("id", "createTime", "lastUpdateUser")}
    for name, upstream in (("c_job", "a_job"), ("d_job", "b_job")):
        job = json.loads(json.dumps(base))
        job["name"] = name
        job["schedule"]["cron"]["dependJobs"] = {"jobs": [upstream]}
        services.jobs.create(scope, job)
    monkeypatch.setattr(selection_module, "CLOSURE_BATCH", 1)

    request = ExportRequest(submitted=True, with_upstream=True, names=("c_job", "d_job"))
    outcome = services.exports.export_batch(scope, request)

    assert outcome.data is not None
    jobs = sorted(
        path.rsplit("/", 1)[-1] for path in entries(outcome.data) if path.endswith(".job")
    )
    assert jobs == ["a_job.job", "b_job.job", "c_job.job", "d_job.job"]


class _NoBucket:
    """Object storage holding no bucket at all."""

    def put_file(self, bucket: str, key: str, source: object, store: str | None = None) -> None:
        raise ObsBucketNotFoundError(f"OBS bucket '{bucket}' does not exist.", path=bucket)


def test_an_export_its_obs_path_refuses_is_neither_remembered_nor_audited(
    services: Services, scope: Scope
) -> None:
    services.exports.object_storage = _NoBucket  # type: ignore[assignment]
    request = ExportRequest(deletions_for="prod", obs_path="obs://nope/out/")
    with pytest.raises(ObsBucketNotFoundError):
        services.exports.export_job(scope, "a_job", request)
    with services.db.transaction(readonly=True) as tx:
        assert last_export_to(tx, scope.workspace.id, "prod") is None  # its deletions still due
    exports = AuditQuery(action="package.export")
    assert services.audit.list_entries(scope, 10, 0, exports).total == 0


def test_a_background_export_its_obs_path_refuses_keeps_nothing_in_the_download_center(
    services: Services, scope: Scope
) -> None:
    services.exports.object_storage = _NoBucket  # type: ignore[assignment]
    body = {"mode": "workspace", "obsPath": "obs://nope/out/"}
    prepared = services.exports.prepare(scope, parse_background_export(body))
    services.exports.run(prepared)
    task = services.tasks.show(scope, prepared.task_id)
    assert (task.status, task.message) == (TaskStatus.FAILED, "OBS bucket 'nope' does not exist.")
    assert services.downloads.list_downloads(scope).downloads == []
    assert list((services.settings.data_dir / "packages").rglob("*.zip")) == []


def test_two_exports_in_one_second_are_kept_under_two_names(
    services: Services, scope: Scope, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A background export's file is named for its workspace, its mode and when, to the
    millisecond: two made in the same second are not one name twice in the download center
    (nor one file in object storage written over the other)."""
    names = []
    for at in (1796014730123, 1796014730456):
        monkeypatch.setattr(service_module, "now_ms", lambda at=at: at)
        prepared = services.exports.prepare(scope, parse_background_export({"mode": "workspace"}))
        services.exports.run(prepared)
        names.append(services.tasks.show(scope, prepared.task_id).outcome["fileName"])
    stem = f"{scope.workspace.name}_workspace_20261130T045850"
    assert names == [f"{stem}.123Z.zip", f"{stem}.456Z.zip"]
