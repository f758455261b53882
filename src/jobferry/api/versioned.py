"""The calls of a document saved as versions under a name (a profile, a route, a route's policy):
one version (the newest, or ``?version=N``), every version newest first, and a new version
saved. One set of handlers, registered on each router that keeps such a document."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from fastapi import APIRouter, Request, Response

from jobferry.api.auth import ScopeDep
from jobferry.api.wire import BodyDep, VersionQuery, json
from jobferry.errors import InvalidRequestError
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.web import services_of

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class Versioned(Protocol[T_co]):
    """A service keeping a kind of document as versions under a name."""

    def get(self, scope: Scope, name: str, version: int | None, /) -> T_co: ...

    def versions(self, scope: Scope, name: str, /) -> Sequence[T_co]: ...

    def put(self, scope: Scope, name: str, body: Any, /) -> T_co: ...


@dataclass(frozen=True)
class VersionedDocument(Generic[T]):
    """How one kind of versioned document goes on the wire.

    ``noun`` names the handlers (``get_{noun}``, ``{noun}_versions``, ``put_{noun}``: the
    OpenAPI operation ids); ``read`` turns a saved body into what the service's ``put`` takes.
    """

    noun: str
    service: Callable[[Services], Versioned[T]]
    present: Callable[[T], dict[str, Any]]
    read: Callable[[bytes], object]


def required_document(raw: bytes, what: str) -> bytes:
    """A document body read by the service itself (JSON or YAML): refused only when empty."""
    if not raw.strip():
        raise InvalidRequestError(f"The request needs the {what}.")
    return raw


def version_routes(
    router: APIRouter,
    path: str,
    document: VersionedDocument[T],
    summaries: tuple[str, str, str],
    body: dict[str, Any],
) -> None:
    """Register on ``router`` the get, versions and put calls of the document at ``path`` (its
    ``{name}`` in it), with their ``summaries`` in that order and ``body`` the put's OpenAPI
    request body."""
    one, every, save = summaries

    @router.get(path, summary=one, name=f"get_{document.noun}")
    def get_version(
        request: Request, scope: ScopeDep, name: str, version: VersionQuery = None
    ) -> Response:
        found = document.service(services_of(request)).get(scope, name, version)
        return json(document.present(found))

    @router.get(f"{path}/versions", summary=every, name=f"{document.noun}_versions")
    def list_versions(request: Request, scope: ScopeDep, name: str) -> Response:
        found = document.service(services_of(request)).versions(scope, name)
        return json({"versions": [document.present(v) for v in found]})

    @router.put(path, summary=save, openapi_extra=body, name=f"put_{document.noun}")
    def put_version(request: Request, scope: ScopeDep, raw: BodyDep, name: str) -> Response:
        saved = document.service(services_of(request)).put(scope, name, document.read(raw))
        return json(document.present(saved))
