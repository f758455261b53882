"""The body of ``POST /v3/auth/tokens`` (IAM's, Keystone v3's shape), parsed once.

Only the ``password`` method is served, and only a token scoped to a project::

    {"auth": {"identity": {"methods": ["password"],
                           "password": {"user": {"name", "password", "domain": {"name"|"id"}}}},
              "scope": {"project": {"id"|"name"}}}}

IAM names a user by its domain (the account) and its name; jobferry has no accounts above
projects, and a user's name is unique in its project, so the user is looked up in the project
the token is scoped to. The user's ``domain`` is still required, as IAM requires it with a user
name (clients send it), but any domain is accepted: it names nothing in jobferry.

A user may instead be named by ``id`` alone (``{"user": {"id", "password"}}``, no domain, as
IAM takes it and the Go SDK sends it when given a user id): the id the token's answer names
(``token.user.id``). A token scoped to a domain alone (``"scope": {"domain": …}``, what the
Go SDK sends when given no project) is refused naming ``auth.scope.project``: every call here is
a project's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jobferry.errors import InvalidRequestError, RequiredParameterError

_SHAPE = (
    'send {"auth": {"identity": {"methods": ["password"], "password": {"user": {"name", '
    '"password", "domain": {"name"}}}}, "scope": {"project": {"id"}}}}'
)


@dataclass(frozen=True)
class PasswordAuth:
    """A token request: the user's name and password, and the project the token is for (by
    id or by name, one of the two)."""

    user_name: str
    password: str
    project_id: str | None = None
    project_name: str | None = None
    user_id: str | None = None
    """The user by id (``user.id``), in place of ``user_name`` (then empty)."""

    def __repr__(self) -> str:  # never the password, in a log or a traceback
        user = f"user_id={self.user_id!r}" if self.user_id else f"user_name={self.user_name!r}"
        return f"PasswordAuth({user}, project={self.project_id!r})"


def parse_password_auth(body: object) -> PasswordAuth:
    """The request's user, password and project; 400 naming the field that is missing
    (``DLF.0802``) or of the wrong type (``DLF.3051``), and the shape to send."""
    auth = _member(body, "auth", "auth")
    identity = _member(auth, "identity", "auth.identity")
    _check_methods(identity.get("methods"))
    user = _member(_member(identity, "password", "auth.identity.password"), "user", _USER)
    user_id = _text_field(user, "id", f"{_USER}.id")
    name = "" if user_id else _user_name(user)
    password = _text_field(user, "password", f"{_USER}.password", blank=True)
    if not password:
        raise _missing(f"{_USER}.password")
    project = _project(_member(auth, "scope", "auth.scope"))
    project_id = _text_field(project, "id", "auth.scope.project.id")
    project_name = _text_field(project, "name", "auth.scope.project.name")
    if project_id:
        return PasswordAuth(name, password, project_id=project_id, user_id=user_id)
    if project_name:
        return PasswordAuth(name, password, project_name=project_name, user_id=user_id)
    raise _missing("auth.scope.project.id")


def _user_name(user: dict[str, Any]) -> str:
    """A user named by name, which takes its domain (any domain: it names nothing here)."""
    domain = _member(user, "domain", f"{_USER}.domain")
    named = _text_field(domain, "name", f"{_USER}.domain.name")
    if not named and not _text_field(domain, "id", f"{_USER}.domain.id"):
        raise _missing(f"{_USER}.domain.name")
    name = _text_field(user, "name", f"{_USER}.name")
    if name is None:
        raise _missing(f"{_USER}.name")
    return name


def _project(scope: dict[str, Any]) -> dict[str, Any]:
    """``scope.project``; a scope of a domain alone is refused naming the project to send."""
    if scope.get("project") is None and scope.get("domain") is not None:
        raise InvalidRequestError(
            "This server issues tokens scoped to a project only: 'auth.scope' names a domain; "
            "send auth.scope.project with the project's id (or its name), the project whose "
            "calls the token is for.",
            parameter="auth.scope.project",
        )
    return _member(scope, "project", "auth.scope.project")


_USER = "auth.identity.password.user"


_JSON_TYPES = ((bool, "a boolean"), (int, "a number"), (float, "a number"), (list, "an array"))


def _text_field(parent: dict[str, Any], key: str, path: str, *, blank: bool = False) -> str | None:
    """``parent[key]`` when it is text; ``None`` when it is absent, null or blank (``blank``:
    kept as it is, for a password); a value of another type (a number, an array, an object)
    is refused naming it."""
    value = parent.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        kind = next((name for t, name in _JSON_TYPES if isinstance(value, t)), "an object")
        raise InvalidRequestError(
            f"The token request's '{path}' must be text, not {kind}; {_SHAPE}.",
            parameter=path,
        )
    return value if blank or value.strip() else None


def _member(parent: object, key: str, path: str) -> dict[str, Any]:
    """``parent[key]``, which must be a JSON object."""
    if not isinstance(parent, dict):
        raise InvalidRequestError(
            f"The token request's body must be a JSON object; {_SHAPE}.", parameter="body"
        )
    found = parent.get(key)
    if found is None:
        raise _missing(path)
    if not isinstance(found, dict):
        raise InvalidRequestError(
            f"The token request's '{path}' must be a JSON object; {_SHAPE}.", parameter=path
        )
    return found


def _check_methods(methods: object) -> None:
    if methods is None:
        raise _missing("auth.identity.methods")
    if not isinstance(methods, list) or methods != ["password"]:
        raise InvalidRequestError(
            "This server issues tokens for the password method only: "
            f"'auth.identity.methods' is {methods!r}; send [\"password\"] with the user's name, "
            "domain and password (a token, an assumed role, MFA and federation are not served).",
            parameter="auth.identity.methods",
        )


def _missing(path: str) -> RequiredParameterError:
    return RequiredParameterError(
        f"The token request has no '{path}'; {_SHAPE}. A user's name and password are those "
        "of the web console (a user without a console password cannot get a token), and "
        "a token is for one project: name it by id (or name) in auth.scope.project.",
        parameter=path,
    )
