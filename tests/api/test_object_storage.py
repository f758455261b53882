"""obsPath exports and an S3-backed download center, against a real S3 HTTP server."""

from __future__ import annotations

import hashlib
import logging
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from jobferry.api.app import create_app
from jobferry.services.container import Services
from jobferry.settings import Settings
from jobferry.storage import Database
from jobferry.storage.schema import upgrade
from jobferry.tasks.runner import TaskRunner
from support.clients import ADMIN_AK, ADMIN_SK, PROJECT_ID, SignedClient, wait_task
from support.exporting import entries, seed
from support.importing import post_package
from support.s3server import S3_ENV, S3Server


@pytest.fixture
def s3_api(
    settings: Settings,
    s3_server: S3Server,
    bucket: str,
) -> Iterator[SignedClient]:
    """The app with obs:// mapped to the test S3 server and the download center in a bucket."""
    yield from s3_app(settings, s3_server.endpoint, bucket)


def s3_app(settings: Settings, endpoint: str, bucket: str) -> Iterator[SignedClient]:
    """The app with obs:// mapped to ``endpoint`` and the download center in ``bucket``."""
    configured = settings.model_copy(
        update={
            "s3_endpoint_url": endpoint,
            "package_store": "s3",
            "s3_bucket": bucket,
            "s3_connect_timeout_seconds": 1,
            **S3_ENV,
        }
    )
    db = Database(configured.resolved_database_url())
    upgrade(db)
    services = Services.build(configured, db)
    services.accounts.bootstrap(configured.project_id, ADMIN_AK, ADMIN_SK)
    with TestClient(create_app(services, TaskRunner(services))) as client:
        yield SignedClient(client, ADMIN_AK, ADMIN_SK)
    db.dispose()


def test_obs_path_export_answers_the_new_folder_and_writes_the_zip_inside_it(
    s3_api: SignedClient,
    s3_server: S3Server,
    bucket: str,
) -> None:
    seed(s3_api)
    before = int(time.time() * 1000)
    response = s3_api.call(
        "POST", "/jobs/daily_sales/export", {"obsPath": f"obs://{bucket}/exports/"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    folder = body["obsPath"]
    prefix = f"obs://{bucket}/exports/daily_sales_exported/"
    assert folder.startswith(prefix), body
    assert before <= int(folder.removeprefix(prefix)) <= int(time.time() * 1000)
    assert body["path"] == f"{folder}/daily_sales.zip"
    key = body["path"].removeprefix(f"obs://{bucket}/")
    data = s3_server.client.get_object(Bucket=bucket, Key=key)["Body"].read()
    assert hashlib.sha256(data).hexdigest() == body["sha256"]
    assert "jobs/daily_sales.job" in entries(data)
    direct = s3_api.call("POST", "/jobs/daily_sales/export").content
    assert direct == data, "obsPath and streamed exports are the same bytes"


def test_obs_path_without_trailing_slash_is_a_folder_too(
    s3_api: SignedClient,
    bucket: str,
) -> None:
    seed(s3_api)
    for given in (f"obs://{bucket}/exports", f"obs://{bucket}/exports/"):
        body = s3_api.call("POST", "/jobs/daily_sales/export", {"obsPath": given}).json()
        assert body["obsPath"].startswith(f"obs://{bucket}/exports/daily_sales_exported/"), body
    at_root = s3_api.call("POST", "/jobs/daily_sales/export", {"obsPath": f"obs://{bucket}"})
    assert at_root.json()["obsPath"].startswith(f"obs://{bucket}/daily_sales_exported/")


def test_batch_export_to_obs_writes_jobs_zip_in_a_jobs_exported_folder(
    s3_api: SignedClient,
    s3_server: S3Server,
    bucket: str,
) -> None:
    seed(s3_api)
    body = {"jobList": ["daily_sales"], "obsPath": f"obs://{bucket}/drop/"}
    answer = s3_api.call("POST", "/jobs/batch-export", body).json()
    assert answer["obsPath"].startswith(f"obs://{bucket}/drop/jobs_exported/"), answer
    assert answer["path"] == f"{answer['obsPath']}/jobs.zip"
    key = answer["path"].removeprefix(f"obs://{bucket}/")
    assert s3_server.client.head_object(Bucket=bucket, Key=key)["ContentLength"] > 0


def test_exported_obs_folder_chains_into_import_as_the_terraform_provider_does(
    s3_api: SignedClient,
    bucket: str,
) -> None:
    # The provider keeps folder_path = answer obsPath minus the input obs_path, then imports
    # obs_path + folder_path + "/" + job + ".zip".
    seed(s3_api)
    obs_path = f"obs://{bucket}/jobs-storage/"
    answer = s3_api.call("POST", "/jobs/daily_sales/export", {"obsPath": obs_path}).json()
    folder_path = answer["obsPath"].removeprefix(obs_path)
    body = {
        "path": f"{obs_path}{folder_path}/daily_sales.zip",
        "sameNamePolicy": "OVERWRITE",
        "targetStatus": "SAVED",
    }
    task = wait_task(s3_api, s3_api.call("POST", "/jobs/import", body).json()["taskId"])
    assert task["status"] == "SUCCESSFUL", task


def test_unknown_bucket_answers_dlf_1242(s3_api: SignedClient) -> None:
    seed(s3_api)
    response = s3_api.call(
        "POST", "/jobs/daily_sales/export", {"obsPath": "obs://no-such-bucket-here/x/"}
    )
    assert (response.status_code, response.json()["error_code"]) == (400, "DLF.1242")
    assert "no-such-bucket-here" in response.json()["error_msg"]


def test_download_center_can_live_in_object_storage(
    s3_api: SignedClient,
    s3_server: S3Server,
    bucket: str,
) -> None:
    seed(s3_api)
    task = wait_task(
        s3_api, s3_api.call("POST", "/exports", {"mode": "workspace"}).json()["taskId"]
    )
    assert task["status"] == "SUCCESSFUL", task
    item = s3_api.call("GET", f"/downloads/{task['result']['downloadId']}").json()
    assert item["store"] == "s3"
    keys = [o["Key"] for o in s3_server.client.list_objects_v2(Bucket=bucket)["Contents"]]
    assert len(keys) == 1
    assert keys[0].startswith("jobferry/packages/")
    content = s3_api.call("GET", f"/downloads/{item['id']}/content").content
    assert hashlib.sha256(content).hexdigest() == item["sha256"]
    assert s3_api.call("DELETE", f"/downloads/{item['id']}").status_code == 204
    assert "Contents" not in s3_server.client.list_objects_v2(Bucket=bucket)


def test_workspace_export_task_can_also_upload_to_obs(
    s3_api: SignedClient,
    s3_server: S3Server,
    bucket: str,
    tmp_path: Path,
) -> None:
    seed(s3_api)
    started = s3_api.call(
        "POST", "/exports", {"mode": "workspace", "obsPath": f"obs://{bucket}/nightly/"}
    )
    task = wait_task(s3_api, started.json()["taskId"])
    assert task["result"]["obs"]["path"].startswith(f"obs://{bucket}/nightly/default_workspace_")


@pytest.fixture
def unreachable_api(settings: Settings) -> Iterator[SignedClient]:
    """The app with its package store in object storage that nothing answers for."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        endpoint = f"http://127.0.0.1:{sock.getsockname()[1]}"
    yield from s3_app(settings, endpoint, "jf-packages")


def test_an_upload_while_the_package_store_is_unreachable_is_a_503_to_retry(
    unreachable_api: SignedClient,
) -> None:
    response = post_package(unreachable_api, b"PK" + bytes(1000))
    body = response.json()
    assert (response.status_code, body["error_code"]) == (503, "DLF.9505"), body
    assert response.headers["Retry-After"] == str(body["retry_after"])
    assert "the upload store (bucket 'jf-packages', JOBFERRY_S3_BUCKET)" in body["error_msg"]
    assert "JOBFERRY_S3_ENDPOINT_URL" in body["error_msg"]
    assert "obs://" not in body["error_msg"], "no path the client never gave"


def test_an_upload_the_package_store_refused_is_a_warning_of_the_server_log(
    unreachable_api: SignedClient, caplog: pytest.LogCaptureFixture
) -> None:
    """As a failed task's line says its message: the operator's log names the request id the
    user was given, the store and why it did not serve."""
    with caplog.at_level(logging.WARNING, logger="jobferry.api"):
        response = post_package(unreachable_api, b"PK" + bytes(1000))

    body = response.json()
    assert body["error_code"] == "DLF.9505", body
    [line] = [r for r in caplog.records if r.name == "jobferry.api"]
    said = line.getMessage()
    assert line.levelno == logging.WARNING
    assert f"POST /v1/{PROJECT_ID}/packages (request {body['request_id']}) refused DLF.9505" in said
    assert f"endpoint={body['endpoint']} setting=JOBFERRY_S3_ENDPOINT_URL" in said
    assert "did not serve the upload store (bucket 'jf-packages', JOBFERRY_S3_BUCKET)" in said
    problem = body["error_msg"].split(" Retry in a minute")[0]  # the reason, before the fix
    assert said.endswith(f": {' '.join(problem.split())}"), said
