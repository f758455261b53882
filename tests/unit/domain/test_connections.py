"""Which connection settings are secrets, and how they are masked and merged."""

from __future__ import annotations

import pytest

from jobferry.domain.connections import (
    SECRET_MASK,
    is_secret_key,
    masked,
    merged_secrets,
    secret_role,
    split_secrets,
)


@pytest.mark.parametrize(
    "key", ["password", "db_password", "nsPassword", "secretKey", "sk", "accessToken", "pwd"]
)
def test_secret_shaped_keys_are_secrets(key: str) -> None:
    assert is_secret_key(key)


@pytest.mark.parametrize("key", ["userName", "kmsKey", "clusterName", "ak", "sslEnable", "port"])
def test_other_settings_are_not(key: str) -> None:
    assert not is_secret_key(key)


def test_split_keeps_settings_apart_and_drops_masks_and_nulls() -> None:
    config = {"host": "h", "password": "pw", "db_password": SECRET_MASK, "token": None, "sk": 7}
    assert split_secrets(config) == ({"host": "h"}, {"password": "pw", "sk": "7"})


def test_masked_shows_every_set_secret_as_the_mask() -> None:
    assert masked({"host": "h"}, ("password",)) == {"host": "h", "password": SECRET_MASK}


def test_merge_replaces_sent_secrets_keeps_others_and_empty_removes() -> None:
    stored = {"password": "old", "sk": "k"}
    assert merged_secrets(stored, {"password": "new"}) == {"password": "new", "sk": "k"}
    assert merged_secrets(stored, {"sk": ""}) == {"password": "old"}


@pytest.mark.parametrize(
    ("keys", "role"),
    [
        (("password", "db_password", "Passwd", "pwd", "nsPassword"), "password"),
        (("sk", "secretKey", "secret_key"), "secret"),
        (("accessToken", "token"), "token"),
        (("private-key", "privateKey"), "privatekey"),
        (("keytab",), "keytab"),
    ],
)
def test_secret_roles_fold_every_spelling_of_one_secret(keys: tuple[str, ...], role: str) -> None:
    assert {secret_role(key) for key in keys} == {role}


def test_unrelated_secrets_keep_distinct_roles() -> None:
    assert len({secret_role(k) for k in ("password", "sk", "token", "keytab")}) == 4


def test_masked_hides_a_secret_the_settings_hold_in_plain_text() -> None:
    config = {"host": "h", "password": "pw", "token": "", "db_password": SECRET_MASK}
    assert masked(config, ()) == {
        "host": "h",
        "password": SECRET_MASK,
        "token": "",
        "db_password": SECRET_MASK,
    }
