"""The body of ``POST /v3/auth/tokens`` (IAM's, Keystone v3's shape), parsed once.

Only the ``password`` method is served, and only a token scoped to a project::

    {"auth": {"identity": {"methods": ["password"],
                           "password": {"user": {"name", "password", "domain": {"name"|"id"}}}},
              "scope": {"project": {"id"|"name"}}}}

IAM names a user by its domain (the account) and its name; jobferry has no accounts above
projects, and a user's name is unique in its project, so the user is looked up in the project
the token is scoped to. The user's ``domain`` is still required, as IAM requires it with a user
name (clients send it), but any domain is accepted: it names nothing in jobferry.
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

    def __repr__(self) -> str:  # never the password, in a log or a traceback
        return f"PasswordAuth(user_name={self.user_name!r}, project={self.project_id!r})"


def parse_password_auth(body: object) -> PasswordAuth:
    """The request's user, password and project; 400 naming the field that is missing or of
    the wrong type, and the shape to send."""
    auth = _member(body, "auth", "auth")
    identity = _member(auth, "identity", "auth.identity")
    _check_methods(identity.get("methods"))
    user = _member(_member(identity, "password", "auth.identity.password"), "user", _USER)
    domain = _member(user, "domain", f"{_USER}.domain")
    if not _text(domain.get("name")) and not _text(domain.get("id")):
        raise _missing(f"{_USER}.domain.name")
    name, password = user.get("name"), user.get("password")
    if not _text(name):
        raise _missing(f"{_USER}.name")
    if not isinstance(password, str) or not password:
        raise _missing(f"{_USER}.password")
    project = _member(_member(auth, "scope", "auth.scope"), "project", "auth.scope.project")
    project_id, project_name = project.get("id"), project.get("name")
    if _text(project_id):
        return PasswordAuth(str(name), password, project_id=project_id)
    if _text(project_name):
        return PasswordAuth(str(name), password, project_name=project_name)
    raise _missing("auth.scope.project.id")


_USER = "auth.identity.password.user"


def _text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


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
