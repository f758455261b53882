"""The browsable API document (``/docs``): Swagger UI served by this server, in a sandbox.

Swagger UI's script, style sheet and icon are files of an installed package (``fastapi-offline``,
which bundles a pinned Swagger UI 5), served under ``/docs/static/``: the page works on a
server without a way out (an air-gapped site) and runs the script this install was made with,
not whatever a public CDN serves that day. The page is still sent with
``Content-Security-Policy: sandbox``: the browser runs it in an origin of its own (opaque),
where nothing of this origin is readable, so no script on it can read or post the console's
pages with a signed-in admin's session. ``/openapi.json``, public and without credentials,
allows any origin to read it, so the sandboxed page still shows the document.

The page reads; it does not call. Every call needs a signature (AK/SK) or a token Swagger UI
cannot make, so its *Try it out* is switched off rather than left to fail.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

DOCS_POLICY = (
    "sandbox allow-scripts allow-popups allow-popups-to-escape-sandbox; frame-ancestors 'none'"
)
"""The page runs its scripts in an origin of its own and is never framed."""

ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon.png": "image/png",
}
"""The files of the installed Swagger UI the page loads, and their types."""
STATIC = "/docs/static"
READ_ONLY = {"supportedSubmitMethods": [], "defaultModelsExpandDepth": 0}
"""Swagger UI without *Try it out*, its schemas folded."""


def _asset_dir() -> Path:
    return Path(str(files("fastapi_offline") / "static"))


def install_docs(app: FastAPI) -> None:
    """Serve ``/openapi.json`` (readable from any origin), ``/docs`` (sandboxed) and the
    Swagger UI files it loads."""
    assets = _asset_dir()

    @app.get("/openapi.json", include_in_schema=False)
    def openapi_document() -> JSONResponse:
        return JSONResponse(app.openapi(), headers={"Access-Control-Allow-Origin": "*"})

    @app.get("/docs", include_in_schema=False)
    def docs_page() -> HTMLResponse:
        page = get_swagger_ui_html(
            openapi_url="/openapi.json",
            title=f"{app.title} - API",
            swagger_js_url=f"{STATIC}/swagger-ui-bundle.js",
            swagger_css_url=f"{STATIC}/swagger-ui.css",
            swagger_favicon_url=f"{STATIC}/favicon.png",
            swagger_ui_parameters=READ_ONLY,
        )
        page.headers["Content-Security-Policy"] = DOCS_POLICY
        page.headers["X-Content-Type-Options"] = "nosniff"
        page.headers["Referrer-Policy"] = "no-referrer"
        return page

    @app.get(STATIC + "/{name}", include_in_schema=False)
    def docs_asset(name: str) -> Response:
        media = ASSETS.get(name)
        if media is None:
            raise StarletteHTTPException(404)  # answered as any unknown path
        return FileResponse(
            assets / name,
            media_type=media,
            headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"},
        )
