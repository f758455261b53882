"""The extension calls of one kind of definition's history (a job's, a script's): its
submitted versions, what changed from one state to another, one version given back as the
development state, and the development state submitted. The same for each kind
but for the path parameter, named by the kind (``Path(alias=…)``) as its DataArts calls
name it."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Path, Request, Response

from jobferry.api.auth import ScopeDep
from jobferry.api.paging import FromVersion, ToVersion
from jobferry.api.presenters.definitions import (
    comparison_view,
    restored_view,
    submitted_view,
    version_view,
)
from jobferry.api.wire import (
    BodyDep,
    json,
    json_list,
    lock_passed,
    lock_passed_response,
    parse_object,
)
from jobferry.domain.enums import ObjectKind
from jobferry.web import services_of


@dataclass(frozen=True)
class VersionCalls:
    """``GET /{key}/versions``, ``GET /{key}/compare``, ``POST
    /{key}/versions/{version}/restore`` and ``POST /{key}/submit`` of ``kind``."""

    kind: ObjectKind
    key: str

    def register(self, router: APIRouter) -> None:
        """Add the calls to ``router``."""
        kind, key = self.kind, self.key

        @router.get(
            f"/{{{key}}}/versions",
            summary=f"List a {kind}'s submitted versions (extension)",
            name=f"list_{kind}_versions",
        )
        def versions(request: Request, scope: ScopeDep, name: str = Path(alias=key)) -> Response:
            listed = services_of(request).comparisons.versions(scope, kind, name)
            return json_list("versions", [version_view(v) for v in listed])

        @router.get(
            f"/{{{key}}}/compare",
            summary=f"Compare two states of a {kind} (extension)",
            name=f"compare_{kind}",
        )
        def compare(
            request: Request,
            scope: ScopeDep,
            name: str = Path(alias=key),
            older: FromVersion = None,
            newer: ToVersion = None,
        ) -> Response:
            ends = (older, newer)
            comparison = services_of(request).comparisons.compare(scope, kind, name, ends)
            return json(comparison_view(comparison))

        @router.post(
            f"/{{{key}}}/versions/{{version}}/restore",
            summary=f"Restore a {kind} to a submitted version (extension)",
            name=f"restore_{kind}_version",
            responses=lock_passed_response(200, "Successful Response"),
        )
        def restore(
            request: Request, scope: ScopeDep, version: int, name: str = Path(alias=key)
        ) -> Response:
            restores = services_of(request).version_restores
            restored = restores.restore(scope, kind, name, version)
            return lock_passed(json(restored_view(restored)), restored.locked_by)

        @router.post(
            f"/{{{key}}}/submit",
            summary=f"Submit a {kind}'s development state as a version (extension)",
            name=f"submit_{kind}",
            responses=lock_passed_response(200, "Successful Response"),
        )
        def submit(
            request: Request, scope: ScopeDep, raw: BodyDep, name: str = Path(alias=key)
        ) -> Response:
            body = parse_object(raw, required=False, what="a submit's body")
            submits = services_of(request).version_submits
            submitted = submits.submit(scope, kind, name, body)
            return lock_passed(json(submitted_view(submitted)), submitted.locked_by)
