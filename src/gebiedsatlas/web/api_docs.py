"""The API documentation pages, /docs (Swagger UI) and /redoc (ReDoc), served without any CDN.

FastAPI's own pages load Swagger UI and ReDoc from a CDN, a Google font and a remote favicon, so they
are blank without internet; the app is created with ``docs_url=None, redoc_url=None`` and these routes
take their place. Both viewers are vendored under ``static/vendor/`` (``scripts/vendor-assets.sh``).
The pages carry no inline script (Content-Security-Policy friendly): Swagger UI is started by
``static/js/api-docs.js``, which reads the OpenAPI URL from a data attribute, and ReDoc starts itself
on its ``<redoc spec-url>`` element.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from gebiedsatlas.web.templating import templates

router = APIRouter(include_in_schema=False)


def _context(request: Request) -> dict:
    app = request.app
    root = request.scope.get("root_path", "").rstrip("/")
    return {"title": app.title, "openapi_url": root + (app.openapi_url or "/openapi.json"), "root": root}


@router.get("/docs", response_class=HTMLResponse)
def swagger_ui(request: Request) -> HTMLResponse:
    """Swagger UI: every operation of the API, with "Try it out"."""
    return templates.TemplateResponse(request, "api_docs_swagger.html", _context(request))


@router.get("/redoc", response_class=HTMLResponse)
def redoc(request: Request) -> HTMLResponse:
    """ReDoc: the API as a readable reference."""
    return templates.TemplateResponse(request, "api_docs_redoc.html", _context(request))
