"""How a remote's refusal reads (``services/remotes/refusals.py``): an error answer's code and
message in any spelling the SDKs accept, and the credentials' refusal, whose fix edits the
remote (it exists: its key is wrong) or gives the key's user a role (a 403)."""

from __future__ import annotations

import httpx2

from jobferry.services.remotes.refusals import answer_fix, auth_refused, envelope, studio_fix


def test_an_error_answer_is_read_in_either_spelling() -> None:
    top = httpx2.Response(400, json={"error_code": "DLF.0100", "error_msg": "no job"})
    listed = httpx2.Response(400, json={"errors": [{"error_code": "DLF.6201", "error_msg": "x"}]})
    assert envelope(top) == ("DLF.0100", "no job")
    assert envelope(listed) == ("DLF.6201", "x")
    assert envelope(httpx2.Response(502, text="bad\ngateway")) == ("", "bad gateway")


def test_a_refused_signature_says_to_edit_the_remote_s_key_not_to_add_it() -> None:
    refused = auth_refused("prod", "ws1", "list_jobs", "HTTP 401 APIGW.0301", {"remote": "prod"})
    assert "jobferry remotes edit prod --secret-key @FILE" in refused.message
    assert "--access-key AK" in refused.message
    assert "remotes add" not in refused.message
    assert refused.context == {"remote": "prod"}


def test_a_refused_role_says_the_key_lacks_a_role_in_the_remote_workspace() -> None:
    refused = auth_refused("prod", "ws1", "update_job", "HTTP 403 DLF.6888", {}, role=True)
    assert "its access key lacks a role in workspace 'ws1' of the remote" in refused.message
    assert "Give the key's user that role in DataArts" in refused.message
    assert "secret key is wrong" not in refused.message


def test_an_unpublished_studio_call_names_the_studio_endpoint_to_give_or_check() -> None:
    factory = "https://dayu-dlf.cn-north-4.myhuaweicloud.com"
    given = studio_fix("prod", factory, None)
    assert given == (
        "give the remote its DataArts Studio endpoint (jobferry remotes edit prod "
        "--studio-endpoint https://dayu.cn-north-4.myhuaweicloud.com)"
    )
    assert "https://dayu.<region>.myhuaweicloud.com" in studio_fix("prod", "https://gw", None)
    checked = studio_fix("prod", factory, "https://studio.example")
    assert checked.startswith("check the remote's Studio endpoint https://studio.example")


def test_an_answer_that_the_remote_is_not_there_says_what_to_check_and_what_cannot_change() -> None:
    said = answer_fix("prod", "DLF.0819", False, "https://dayu-dlf.example", None)
    assert "jobferry remotes show prod" in said
    assert "jobferry remotes edit prod --endpoint URL" in said
    assert "jobferry remotes add NEW_NAME" in said
    studio = answer_fix("prod", "APIGW.0101", True, "https://dayu-dlf.example", None)
    assert "--studio-endpoint" in studio
    assert answer_fix("prod", "DLF.0100", False, "https://dayu-dlf.example", None) == ""
