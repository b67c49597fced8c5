"""The last resort for an unexpected exception: log the traceback, answer a short Dutch message.

Bad input is answered where it is read (400/404/422 with what was expected); this handler is only
for bugs. It never shows a traceback: ``/api`` gets JSON ``{"detail": ...}``, everything else an
HTML page in the site's layout. The response carries the security headers itself, because
Starlette's ``ServerErrorMiddleware`` that calls it sits outside every other middleware.
"""

from __future__ import annotations

import logging

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from gebiedsatlas.web.headers import SecurityHeaders
from gebiedsatlas.web.templating import templates

logger = logging.getLogger("gebiedsatlas.web")

TITLE = "Er ging iets mis"
MESSAGE = ("Er ging iets mis in de Gebiedsatlas; dat ligt niet aan u. Probeer het later nog eens. "
           "Blijft het misgaan, meld dan het adres van deze pagina en het tijdstip.")


def _headers(request: Request) -> dict[str, str]:
    settings = request.app.state.settings
    return SecurityHeaders(tls=settings.tls, tile_url=settings.tile_url).for_path(request.url.path)


def unhandled_exception(request: Request, exc: Exception) -> Response:
    """Status 500 with a Dutch message; the traceback goes to the log only."""
    logger.error("Onverwachte fout bij %s %s", request.method, request.url.path, exc_info=exc)
    headers = _headers(request)
    path = request.url.path
    if path == "/api" or path.startswith("/api/") or path == "/openapi.json":
        return JSONResponse({"detail": MESSAGE}, status_code=500, headers=headers)
    try:
        return templates.TemplateResponse(request, "atlas_message.html", {"title": TITLE, "text": MESSAGE},
                                          status_code=500, headers=headers)
    except Exception:  # the page layout itself failed: plain HTML, still no traceback
        logger.exception("Ook de foutpagina kon niet worden getoond")
        return HTMLResponse(f'<!DOCTYPE html><html lang="nl"><title>{TITLE}</title><h1>{TITLE}</h1>'
                            f"<p>{MESSAGE}</p></html>", status_code=500, headers=headers)
