"""The calls of a document saved as versions under a name (a profile, a route, a route's policy):
one version (the newest, or ``?version=N``), every version newest first, and a new version
saved. One set of handlers, registered on each router that keeps such a document.

A version's answer carries its number as an entity tag (``ETag: "3"``), and a save honours the
HTTP conditions on it: ``If-Match: "3"`` saves only over version 3 (a writer that read it
never saves over a change made since), ``If-Match: *`` only over one that exists, and
``If-None-Match: *`` only when there is none (a create never saves over one). A condition that
does not hold answers 412 ``DLF.9018`` and saves nothing. A removal honours ``If-Match`` the
same way (:data:`RemovalDep`): a remover that read version 3 never removes a version 4."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, Protocol, TypeVar

from fastapi import APIRouter, Depends, Header, Request, Response

from jobferry.api.auth import ScopeDep
from jobferry.api.wire import BodyDep, VersionQuery, json, no_content, refusals
from jobferry.domain.saving import CREATE, EXISTING, Expected
from jobferry.errors import InvalidRequestError
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.web import services_of


class Numbered(Protocol):
    """A saved version, by its number."""

    @property
    def version(self) -> int: ...


T = TypeVar("T", bound=Numbered)
T_co = TypeVar("T_co", bound=Numbered, covariant=True)

IfMatch = Annotated[
    str | None,
    Header(alias="If-Match", description='save only over this version ("3"), or * any one'),
]
IfNoneMatch = Annotated[
    str | None, Header(alias="If-None-Match", description="*: save only when there is none")
]


ETAG = {
    "ETag": {
        "description": 'The version\'s number as an entity tag ("3"): If-Match takes it back',
        "schema": {"type": "string"},
    }
}
TAGGED: dict[int | str, Any] = {200: {"description": "The version", "headers": ETAG}}
"""The OpenAPI ``responses`` of a call answering one version, tagged."""
STALE = (
    412,
    "DLF.9018: the condition (If-Match, If-None-Match) does not hold: the newest version is "
    "not the one expected (saved since it was read, or one exists for a create); nothing is "
    "saved or removed",
)
SAVED: dict[int | str, Any] = {**TAGGED, **refusals(STALE)}
"""The OpenAPI ``responses`` of a save on a condition: the version saved, tagged, or 412."""
REMOVED: dict[int | str, Any] = refusals(STALE)
"""The OpenAPI ``responses`` of a removal on ``If-Match``."""


class Versioned(Protocol[T_co]):
    """A service keeping a kind of document as versions under a name."""

    def get(self, scope: Scope, name: str, version: int | None, /) -> T_co: ...

    def versions(self, scope: Scope, name: str, /) -> Sequence[T_co]: ...

    def put(self, scope: Scope, name: str, body: Any, expected: Expected | None, /) -> T_co: ...


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


def expected_of(if_match: IfMatch = None, if_none_match: IfNoneMatch = None) -> Expected | None:
    """The condition a save's ``If-Match`` / ``If-None-Match`` headers set (None: none)."""
    if if_match is not None and if_none_match is not None:
        raise InvalidRequestError(
            "Give If-Match or If-None-Match, not both: If-Match names the version to save "
            "over, If-None-Match: * saves only when there is none.",
            parameter="If-Match",
        )
    if if_none_match is not None:
        if if_none_match.strip() != "*":
            raise InvalidRequestError(
                f"If-None-Match takes only * here (save only when there is none), not "
                f"{if_none_match!r}.",
                parameter="If-None-Match",
            )
        return CREATE
    if if_match is None:
        return None
    tag = if_match.strip().removeprefix("W/").strip('"')
    if tag == "*":
        return EXISTING
    if not tag.isdigit() or int(tag) < 1:
        raise InvalidRequestError(
            f'If-Match takes the version to save over, as its answer\'s ETag gives it ("3"), '
            f"or *; not {if_match!r}.",
            parameter="If-Match",
        )
    return Expected(int(tag))


ExpectedDep = Annotated[Expected | None, Depends(expected_of)]
"""A save's condition, from its ``If-Match`` / ``If-None-Match`` headers."""


def removal_expected(if_match: IfMatch = None) -> Expected | None:
    """The condition a removal's ``If-Match`` sets: only when the newest version is that one
    (``*``: any; a removal of what does not exist is refused anyway)."""
    return expected_of(if_match, None)


RemovalDep = Annotated[Expected | None, Depends(removal_expected)]
"""A removal's condition, from its ``If-Match`` header."""


def tagged(answer: Response, saved: Numbered) -> Response:
    """``answer`` with the version's number as its entity tag."""
    answer.headers["ETag"] = f'"{saved.version}"'
    return answer


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

    @router.get(path, summary=one, name=f"get_{document.noun}", responses=TAGGED)
    def get_version(
        request: Request, scope: ScopeDep, name: str, version: VersionQuery = None
    ) -> Response:
        found = document.service(services_of(request)).get(scope, name, version)
        return tagged(json(document.present(found)), found)

    @router.get(f"{path}/versions", summary=every, name=f"{document.noun}_versions")
    def list_versions(request: Request, scope: ScopeDep, name: str) -> Response:
        found = document.service(services_of(request)).versions(scope, name)
        return json({"versions": [document.present(v) for v in found]})

    @router.put(
        path, summary=save, openapi_extra=body, name=f"put_{document.noun}", responses=SAVED
    )
    def put_version(
        request: Request, scope: ScopeDep, raw: BodyDep, name: str, expected: ExpectedDep
    ) -> Response:
        service = document.service(services_of(request))
        saved = service.put(scope, name, document.read(raw), expected)
        return tagged(json(document.present(saved)), saved)


class Removable(Protocol):
    """A service removing a versioned document with all its versions, on a condition."""

    def delete(self, scope: Scope, name: str, expected: Expected | None = None, /) -> None: ...


def removal_route(
    router: APIRouter, path: str, noun: str, service: Callable[[Services], Removable], summary: str
) -> None:
    """Register on ``router`` the removal of the document at ``path`` (``DELETE``, honouring
    ``If-Match``; operation ``delete_{noun}``)."""

    @router.delete(path, status_code=204, summary=summary, name=f"delete_{noun}", responses=REMOVED)
    def remove(
        request: Request, scope: ScopeDep, name: str, expected: RemovalDep = None
    ) -> Response:
        service(services_of(request)).delete(scope, name, expected)
        return no_content()
