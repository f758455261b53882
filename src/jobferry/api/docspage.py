"""The browsable API document (``/docs``) kept out of the console's origin.

Swagger UI loads its script and style sheet from a public CDN, a version that moves with every
release of its major version. Served as an ordinary page of this origin, that script could
read and post the console's pages with a signed-in admin's session (same origin: the session
cookie goes with its requests, and the CSRF token is in the pages it reads). The page is sent
with ``Content-Security-Policy: sandbox``: the browser runs it in an origin of its own (opaque),
where nothing of this origin is readable; ``/openapi.json``, public and without credentials,
allows any origin to read it, so the sandboxed page still shows the document.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse

DOCS_POLICY = (
    "sandbox allow-scripts allow-popups allow-popups-to-escape-sandbox; frame-ancestors 'none'"
)
"""The page runs its scripts in an origin of its own and is never framed."""


def install_docs(app: FastAPI) -> None:
    """Serve ``/openapi.json`` (readable from any origin) and ``/docs`` (sandboxed)."""

    @app.get("/openapi.json", include_in_schema=False)
    def openapi_document() -> JSONResponse:
        return JSONResponse(app.openapi(), headers={"Access-Control-Allow-Origin": "*"})

    @app.get("/docs", include_in_schema=False)
    def docs_page() -> HTMLResponse:
        page = get_swagger_ui_html(openapi_url="/openapi.json", title=f"{app.title} - API")
        page.headers["Content-Security-Policy"] = DOCS_POLICY
        page.headers["X-Content-Type-Options"] = "nosniff"
        page.headers["Referrer-Policy"] = "no-referrer"
        return page
