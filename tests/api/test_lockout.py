"""Access key lockout after failed signatures in a row (in-process, SQLite and PostgreSQL)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from jobferry.services.container import Services
from jobferry.signing import format_sdk_date
from jobferry.storage import lockouts as lockouts_repo
from jobferry.storage.tx import Tx
from support.accounts import new_user
from support.builders import make_job
from support.clients import SignedClient, assert_error


def job_total(api: SignedClient) -> int:
    total: int = api.call("GET", "/jobs").json()["total"]
    return total


def fail(client: SignedClient, times: int) -> None:
    """Signatures made with a wrong secret key for ``client``'s access key."""
    wrong = client.as_user(client.ak, "not-the-secret-key")
    for _ in range(times):
        response = wrong.call("POST", "/jobs", make_job())
        assert_error(response, "APIGW.0301", "verify aksk signature fail", status=401)


def test_five_failed_signatures_lock_the_key_even_for_a_good_one(
    api: SignedClient, caplog: pytest.LogCaptureFixture
) -> None:
    dave = new_user(api, "dave", "developer")
    with caplog.at_level(logging.WARNING, logger="jobferry.security"):
        fail(dave, 5)
    refused = dave.call("POST", "/jobs", make_job())
    assert_error(
        refused,
        "APIGW.0301",
        "AK access failed to reach the limit, forbidden",
        dave.ak,
        "locked after 5 failed signatures in a row until ",
        "(300 s from now)",
        f"'jobferry admin unlock-key {dave.ak}'",
        status=401,
    )
    assert "clock" not in refused.json()["error_msg"]
    assert 290 <= refused.json()["retry_after"] <= 300
    assert dave.call("GET", "/jobs").status_code == 401
    assert job_total(api) == 0
    warnings = [r.getMessage() for r in caplog.records if r.name == "jobferry.security"]
    assert warnings == [f"access key {dave.ak} locked for 300 s after 5 failed signatures in a row"]
    assert dave.sk not in caplog.text


def test_a_locked_key_leaves_other_keys_alone(api: SignedClient) -> None:
    dave = new_user(api, "dave", "developer")
    fail(dave, 5)
    assert api.call("POST", "/jobs", make_job()).status_code == 204
    assert job_total(api) == 1


def test_a_good_signature_resets_the_count(api: SignedClient) -> None:
    dave = new_user(api, "dave", "developer")
    fail(dave, 4)
    assert dave.call("GET", "/jobs").status_code == 200
    fail(dave, 4)
    assert dave.call("POST", "/jobs", make_job()).status_code == 204
    assert job_total(api) == 1


def test_failures_of_an_unknown_access_key_lock_nothing(api: SignedClient) -> None:
    stranger = api.as_user("UNKNOWNAK00000000000", "whatever-secret")
    for _ in range(7):
        response = stranger.call("POST", "/jobs", make_job())
        assert_error(response, "APIGW.0301", "ak not exist", status=401)
    assert api.call("POST", "/jobs", make_job()).status_code == 204


def test_refusals_other_than_a_wrong_signature_do_not_count(api: SignedClient) -> None:
    dave = new_user(api, "dave", "developer")
    stale = format_sdk_date(datetime.now(UTC) - timedelta(minutes=20))
    for _ in range(6):
        response = dave.call("POST", "/jobs", make_job(), extra_headers={"X-Sdk-Date": stale})
        assert_error(response, "APIGW.0301", "window", status=401)
    assert dave.call("POST", "/jobs", make_job()).status_code == 204


def test_a_revoked_key_takes_its_lock_with_it(api: SignedClient) -> None:
    dave = new_user(api, "dave", "developer")
    fail(dave, 5)
    assert api.call("DELETE", f"/users/dave/credentials/{dave.ak}").status_code == 204
    assert_error(dave.call("GET", "/jobs"), "APIGW.0301", "ak not exist", status=401)


def test_each_failed_signature_says_how_many_more_lock_the_key(api: SignedClient) -> None:
    dave = new_user(api, "dave", "developer")
    wrong = dave.as_user(dave.ak, "not-the-secret-key")
    said = [wrong.call("POST", "/jobs", make_job()).json()["error_msg"] for _ in range(5)]
    for left, message in zip((4, 3, 2, 1), said, strict=False):
        assert "verify aksk signature fail" in message
        assert (
            f"{left} more failed signature(s) in a row lock access key '{dave.ak}' for 300 s"
            in (message)
        )
    assert f"After 5 failed signatures in a row access key '{dave.ak}' is now locked" in said[4]
    assert f"jobferry admin unlock-key {dave.ak}" in said[4]
    stranger = api.as_user("UNKNOWNAK00000000000", "whatever-secret")
    unknown = stranger.call("POST", "/jobs", make_job()).json()["error_msg"]
    assert "more failed signature" not in unknown  # nothing is counted for an unknown key


def test_a_write_by_a_key_verified_moments_ago_reads_no_key_state(
    api: SignedClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Writes are checked against the key this process verified moments ago, as reads are: its
    state is read from storage once, not on every call. A lock set by another process holds
    once the key's entry here has expired (``JOBFERRY_AUTH_CACHE_SECONDS``)."""
    dave = new_user(api, "dave", "developer")
    reads: list[str] = []
    stored = lockouts_repo.key_state

    def counted(tx: Tx, access_key: str) -> lockouts_repo.KeyState | None:
        reads.append(access_key)
        return stored(tx, access_key)

    monkeypatch.setattr(lockouts_repo, "key_state", counted)
    for n in range(3):
        assert dave.call("POST", "/jobs", make_job(f"job_{n}")).status_code == 204
    assert reads == [dave.ak]
    until = int((datetime.now(UTC) + timedelta(minutes=5)).timestamp() * 1000)
    with services.db.transaction() as tx:  # as another server process locking it would
        lockouts_repo.count_failure(tx, dave.ak)
        lockouts_repo.lock(tx, dave.ak, until)
    services.accounts.forget_key(dave.ak)  # its entry here expired
    refused = dave.call("POST", "/jobs", make_job("job_3"))
    assert_error(refused, "APIGW.0301", "AK access failed to reach the limit", status=401)
    assert job_total(api) == 3
