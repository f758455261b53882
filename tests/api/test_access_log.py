"""One access-log line a request at info: method, path, status, duration, request id, access
key; never the secret key, a signature or a body."""

from __future__ import annotations

import logging

import pytest

from jobferry.logformat import log_config
from support.builders import make_job
from support.clients import ADMIN_AK, ADMIN_SK, SignedClient


def test_each_request_is_logged_with_its_request_id_and_access_key(
    api: SignedClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="jobferry.access")
    created = api.call("POST", "/jobs", make_job("logged_job"))
    missing = api.call("GET", "/jobs/no_such_job")
    lines = [r.getMessage() for r in caplog.records if r.name == "jobferry.access"]
    assert len(lines) == 2
    assert lines[0].startswith(f"POST /v1/{api.project_id}/jobs {created.status_code} ")
    assert f"request_id={created.headers['X-Request-Id']}" in lines[0]
    assert f"ak={ADMIN_AK}" in lines[0]
    assert f" {missing.status_code} " in lines[1]
    text = "\n".join(lines)
    assert ADMIN_SK not in text
    assert "Signature" not in text
    assert "logged_job" not in text  # bodies are not logged


def test_unsigned_requests_are_logged_without_a_key(
    api: SignedClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="jobferry.access")
    api.client.get(f"/v1/{api.project_id}/jobs")
    (line,) = [r.getMessage() for r in caplog.records if r.name == "jobferry.access"]
    assert " 401 " in line
    assert line.endswith("ak=-")


def test_the_server_logs_jobferry_loggers_at_the_configured_level() -> None:
    config = log_config("warning")
    assert config["loggers"]["jobferry"]["level"] == "WARNING"
    assert config["loggers"]["jobferry"]["handlers"] == ["default"]
    assert log_config("info")["loggers"]["jobferry"]["level"] == "INFO"
