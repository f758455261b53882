"""The DataArts calls that write one kind of definition (a job, a script, a resource): create,
update and delete answer 204 and are the same for each kind but for the service they call and
the names on the wire (the operation ids, the path parameter, the body's model). An update or
delete that passed over another user's lock (the soft lock policy) says whose in a header
(``X-Jobferry-Locked-By``), the answer's body as DataArts' own.

The path parameter is named by the kind (``Path(alias=…)``), so ``/jobs/{job_name}`` and
``/scripts/{script_name}`` document the parameter each has always had."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from fastapi import APIRouter, Path, Request, Response

from jobferry.api import bodies
from jobferry.api.auth import ScopeDep
from jobferry.api.wire import (
    BodyDep,
    body_doc,
    lock_passed,
    lock_passed_response,
    no_content,
    parse_object,
)
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.definitions.publishing import parse_delete
from jobferry.web import services_of

Handler = Callable[..., Response]


class Definitions(Protocol):
    """A service writing one kind of definition from its DataArts document."""

    def create(self, scope: Scope, body: dict[str, Any], /) -> object: ...

    def update(self, scope: Scope, name: str, body: dict[str, Any], /) -> str | None: ...

    def delete(self, scope: Scope, name: str, /) -> str | None: ...


@dataclass(frozen=True)
class DefinitionCalls:
    """The write calls of one kind: ``noun`` names the handlers (``create_job``…), ``key`` the
    path parameter and ``model`` the DataArts document a body holds; ``locked``: a kind users
    lock (jobs, scripts), whose update and delete may say a lock passed over."""

    noun: str
    key: str
    model: str
    service: Callable[[Services], Definitions]
    locked: bool = False

    def create(self, router: APIRouter) -> None:
        """``POST ""``: a definition from its document (204)."""

        @self._call(router, "POST", "", "create", body_doc(self.model))
        def create(request: Request, scope: ScopeDep, raw: BodyDep) -> Response:
            body = parse_object(raw, required=True, what=self.model)
            self.service(services_of(request)).create(scope, body)
            return no_content()

    def update(self, router: APIRouter) -> None:
        """``PUT /{key}``: the definition replaced by a document (204)."""

        @self._call(router, "PUT", f"/{{{self.key}}}", "update", body_doc(self.model))
        def update(
            request: Request, scope: ScopeDep, raw: BodyDep, name: str = Path(alias=self.key)
        ) -> Response:
            body = parse_object(raw, required=True, what=self.model)
            locked_by = self.service(services_of(request)).update(scope, name, body)
            return lock_passed(no_content(), locked_by)

    def delete(self, router: APIRouter) -> None:
        """``DELETE /{key}`` with DataArts' optional ``DeleteReq`` body, checked and not used
        (204)."""
        doc = body_doc("DeleteReq", required=False, schema=bodies.DELETE_REQ)

        @self._call(router, "DELETE", f"/{{{self.key}}}", "delete", doc)
        def delete(
            request: Request, scope: ScopeDep, raw: BodyDep, name: str = Path(alias=self.key)
        ) -> Response:
            parse_delete(parse_object(raw, required=False, what="DeleteReq"))
            locked_by = self.service(services_of(request)).delete(scope, name)
            return lock_passed(no_content(), locked_by)

    def _call(
        self, router: APIRouter, method: str, path: str, verb: str, body: dict[str, Any]
    ) -> Callable[[Handler], Handler]:
        """Register a handler as DataArts' ``{verb}_{noun}``, answering 204."""
        name = f"{verb}_{self.noun}"
        passed = verb != "create" and self.locked
        return router.api_route(
            path,
            methods=[method],
            status_code=204,
            openapi_extra=body,
            summary=name,
            name=name,
            responses=lock_passed_response(204, "Successful Response") if passed else None,
        )
