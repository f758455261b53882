"""How a remote's refusal reads: the error code and message of an error answer, in any
spelling DataArts' SDKs accept, and the credentials' refusal (a 401 or 403) with its fix."""

from __future__ import annotations

from typing import Any

import httpx2
import orjson

from jobferry.errors import RemoteAuthError


def _error_pair(body: dict[str, Any]) -> tuple[object, object]:
    """(code, message) of an error body: top level in any of the SDK's spellings, else the
    first of its ``errors``."""
    code = body.get("error_code") or body.get("errorCode") or body.get("code")
    message = body.get("error_msg") or body.get("errorMsg") or body.get("message")
    errors = body.get("errors")
    first = errors[0] if isinstance(errors, list) and errors else None
    if isinstance(first, dict):
        code, message = code or first.get("error_code"), message or first.get("error_msg")
    return code, message


def envelope(response: httpx2.Response) -> tuple[str, str]:
    """(error code, message) of an error answer, in any spelling the SDK accepts."""
    try:
        body = orjson.loads(response.content) if response.content else None
    except orjson.JSONDecodeError:
        body = None
    if isinstance(body, dict):
        code, message = _error_pair(body)
        if code or message:
            return str(code or ""), str(message or "")
    text = response.text.strip().replace("\n", " ")[:300]
    return "", text or response.reason_phrase


def auth_refused(
    remote: str,
    workspace: str,
    call: str,
    said: str,
    context: dict[str, Any],
    *,
    role: bool = False,
) -> RemoteAuthError:
    """The remote's refusal of its key (a 401: the key or its signature; ``role``, a 403: the
    key's user lacks the role in the remote workspace), with the fix: the remote exists, so
    it is edited, not added again."""
    edit = f"jobferry remotes edit {remote}"
    if role:
        return RemoteAuthError(
            f"Remote '{remote}' refused {call} ({said}): its access key lacks a role in "
            f"workspace '{workspace}' of the remote that allows it. Give the key's user that "
            f"role in DataArts, or give the remote another key ({edit} --access-key AK "
            "--secret-key @FILE).",
            **context,
        )
    return RemoteAuthError(
        f"Remote '{remote}' refused the credentials for {call} ({said}): its access key or "
        "secret key is wrong, or the key is locked after failed signatures. Give the remote "
        f"its current secret key ({edit} --secret-key @FILE; with --access-key AK for a new "
        "key pair).",
        **context,
    )


def studio_fix(remote: str, endpoint: str, studio: str | None) -> str:
    """What to do when the host a Studio call went to does not publish it: give the remote
    the Studio SDK's endpoint (``dayu.<region>``, the Factory's ``dayu-dlf.<region>``), or
    check the one it has."""
    edit = f"jobferry remotes edit {remote} --studio-endpoint"
    if studio:
        return f"check the remote's Studio endpoint {studio} ({edit} URL)"
    guess = "https://dayu.<region>.myhuaweicloud.com"
    if "://dayu-dlf." in endpoint:
        guess = endpoint.replace("://dayu-dlf.", "://dayu.", 1)
    return f"give the remote its DataArts Studio endpoint ({edit} {guess})"


NOT_THERE_CODES = frozenset({"APIGW.0101", "DLF.0819"})
"""Remote answers meaning the endpoint, project or workspace named is not there: the
gateway's "no such API" and DataArts' "no such workspace"."""


def not_there_fix(remote: str) -> str:
    """What to do when the remote's endpoint, project or workspace is not there: check them;
    an endpoint moves in place, a project or workspace id does not (the shadow mirrors that
    workspace): another remote reaches the right one."""
    return (
        f"check the remote's endpoint, project id and workspace id (jobferry remotes show "
        f"{remote}); move its endpoint with jobferry remotes edit {remote} --endpoint URL; a "
        "project or workspace id does not change: add a remote of the right one (jobferry "
        "remotes add NEW_NAME … --workspace ID)"
    )


def answer_fix(remote: str, code: str, studio_call: bool, endpoint: str, studio: str | None) -> str:
    """What an error answer's refusal adds (``; …``) when the answer says the remote is not
    where it points: a Studio call's host that does not publish it, or an endpoint, project
    or workspace not there; else nothing."""
    if studio_call and code == "APIGW.0101":  # a host that does not publish it
        return f"; {studio_fix(remote, endpoint, studio)}"
    if code in NOT_THERE_CODES:
        return f"; {not_there_fix(remote)}"
    return ""
