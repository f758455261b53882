"""The body of POST /v3/auth/tokens is IAM's password method scoped to a project; anything else
is refused naming the field and the shape to send."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from jobferry.errors import InvalidRequestError
from jobferry.services.accounts.tokenrequest import PasswordAuth, parse_password_auth

BODY: dict[str, Any] = {
    "auth": {
        "identity": {
            "methods": ["password"],
            "password": {
                "user": {"name": "alice", "password": "pw-123456789", "domain": {"name": "acct"}}
            },
        },
        "scope": {"project": {"id": "p1"}},
    }
}


def changed(path: str, value: object) -> dict[str, Any]:
    body = copy.deepcopy(BODY)
    *parents, last = path.split(".")
    holder = body
    for key in parents:
        holder = holder[key]
    if value is None:
        del holder[last]
    else:
        holder[last] = value
    return body


def test_the_password_method_scoped_to_a_project_is_read() -> None:
    assert parse_password_auth(BODY) == PasswordAuth("alice", "pw-123456789", project_id="p1")
    by_name = changed("auth.scope.project", {"name": "default", "domain": {"name": "acct"}})
    assert parse_password_auth(by_name) == PasswordAuth(
        "alice", "pw-123456789", project_name="default"
    )
    assert "pw-123456789" not in repr(parse_password_auth(BODY))


@pytest.mark.parametrize(
    ("path", "value", "parameter"),
    [
        ("auth", None, "auth"),
        ("auth.identity", [], "auth.identity"),
        ("auth.identity.methods", None, "auth.identity.methods"),
        ("auth.identity.methods", ["token"], "auth.identity.methods"),
        ("auth.identity.methods", ["password", "totp"], "auth.identity.methods"),
        ("auth.identity.password.user.name", None, "auth.identity.password.user.name"),
        ("auth.identity.password.user.name", 7, "auth.identity.password.user.name"),
        ("auth.identity.password.user.password", "", "auth.identity.password.user.password"),
        ("auth.identity.password.user.domain", None, "auth.identity.password.user.domain"),
        ("auth.identity.password.user.domain", {}, "auth.identity.password.user.domain.name"),
        ("auth.scope", None, "auth.scope"),
        ("auth.scope.project", {"domain": {"name": "x"}}, "auth.scope.project.id"),
    ],
)
def test_a_malformed_request_is_refused_naming_the_field(
    path: str, value: object, parameter: str
) -> None:
    with pytest.raises(InvalidRequestError) as refused:
        parse_password_auth(changed(path, value))
    assert refused.value.status == 400
    assert refused.value.context["parameter"] == parameter
    assert parameter in refused.value.message
    assert "pw-123456789" not in refused.value.message


def test_a_body_that_is_no_object_is_refused() -> None:
    with pytest.raises(InvalidRequestError) as refused:
        parse_password_auth(["auth"])
    assert refused.value.context["parameter"] == "body"


def test_a_user_is_named_by_id_alone_as_the_go_sdk_sends_it() -> None:
    """gophertelekomcloud's body for AuthOptions{UserID, Password, TenantID}: no domain."""
    body = changed("auth.identity.password.user", {"id": "12", "password": "pw-123456789"})
    assert parse_password_auth(body) == PasswordAuth(
        "", "pw-123456789", project_id="p1", user_id="12"
    )
    assert "pw-123456789" not in repr(parse_password_auth(body))
    assert "12" in repr(parse_password_auth(body))
    blank = changed("auth.identity.password.user", {"id": " ", "password": "pw-123456789"})
    with pytest.raises(InvalidRequestError) as refused:
        parse_password_auth(blank)  # no id: then a name, which takes its domain
    assert refused.value.context["parameter"] == "auth.identity.password.user.domain"


def test_a_token_scoped_to_a_domain_alone_is_refused_naming_the_project() -> None:
    """What the Go SDK sends when given a domain and no project (TenantID/TenantName)."""
    body = changed("auth.scope", {"domain": {"name": "acct"}})
    with pytest.raises(InvalidRequestError) as refused:
        parse_password_auth(body)
    assert refused.value.code == "DLF.3051"
    assert refused.value.context["parameter"] == "auth.scope.project"
    assert "scoped to a project only" in refused.value.message
    assert "project's id" in refused.value.message


@pytest.mark.parametrize(
    ("path", "value", "code"),
    [
        ("auth.identity.password.user.password", 12345, "DLF.3051"),
        ("auth.identity.password.user.password", None, "DLF.0802"),
        ("auth.identity.password.user.name", 7, "DLF.3051"),
        ("auth.identity.password.user.name", " ", "DLF.0802"),
        ("auth.identity.password.user.domain", {"name": 1}, "DLF.3051"),
        ("auth.scope.project", {"id": 42}, "DLF.3051"),
        ("auth.scope.project", {"name": ["default"]}, "DLF.3051"),
        ("auth.scope.project", {"id": ""}, "DLF.0802"),
    ],
)
def test_a_field_of_the_wrong_type_is_not_called_missing(
    path: str, value: object, code: str
) -> None:
    """docs/api.md: DLF.0802 when a field is missing, DLF.3051 when it has the wrong type."""
    body = changed(path, value)  # None: the field left out
    with pytest.raises(InvalidRequestError) as refused:
        parse_password_auth(body)
    assert refused.value.code == code, refused.value.message
    assert refused.value.context["parameter"].startswith(path), refused.value.context


def test_a_user_id_of_another_type_is_refused_naming_it() -> None:
    body = changed("auth.identity.password.user", {"id": 18, "password": "pw-123456789"})
    with pytest.raises(InvalidRequestError) as refused:
        parse_password_auth(body)
    assert (refused.value.code, refused.value.context["parameter"]) == (
        "DLF.3051",
        "auth.identity.password.user.id",
    )
