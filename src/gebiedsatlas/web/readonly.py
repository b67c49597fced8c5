"""Writes to a store that cannot take them: one clean Dutch 503 instead of a 500.

- ``ReadOnlyStore`` (pure ASGI middleware): when the store was opened read-only
  (``store/readonly.py``), every POST/PUT/PATCH/DELETE is answered 503 "de database is alleen-lezen"
  before anything else runs (no login, no audit line: nothing can be written).
- ``database_fault`` (exception handler): a write or read that fails on a recognised fault of the store
  (``store/faults.py``: read-only, busy, disk full, PostgreSQL unreachable) is answered 503 with that
  sentence; anything else goes on to the last-resort 500 of ``web/errors.py``.

The answers carry ``Retry-After`` for the passing faults and never the driver's message.
"""

from __future__ import annotations

import logging

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from gebiedsatlas.store import faults
from gebiedsatlas.store.readonly import is_read_only
from gebiedsatlas.web import errors
from gebiedsatlas.web.templating import templates

logger = logging.getLogger("gebiedsatlas.web")

MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
READ_ONLY_MESSAGE = ("De database is alleen-lezen: bekijken kan, wijzigen nu niet. Probeer het later opnieuw of "
                     "meld het de beheerder.")
TITLE = "Tijdelijk niet beschikbaar"


def _is_api(path: str) -> bool:
    return path == "/api" or path.startswith("/api/") or path == "/openapi.json"


def unavailable(request: Request, message: str, retry_after: int | None = None) -> Response:
    """503 with ``message``: JSON ``{"detail": …}`` for the API, the site's message page otherwise."""
    # The security headers come from SecurityHeadersMiddleware, which is outside both callers.
    headers = {"Retry-After": str(retry_after)} if retry_after else {}
    if _is_api(request.url.path):
        return JSONResponse({"detail": message}, status_code=503, headers=headers)
    try:
        return templates.TemplateResponse(request, "atlas_message.html", {"title": TITLE, "text": message},
                                          status_code=503, headers=headers)
    except Exception:  # pragma: no cover - the layout itself failed
        return HTMLResponse(f'<!DOCTYPE html><html lang="nl"><title>{TITLE}</title><h1>{TITLE}</h1>'
                            f"<p>{message}</p></html>", status_code=503, headers=headers)


class ReadOnlyStore:
    """Refuse writes up front when the store is read-only."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in MUTATING \
                and is_read_only(scope["app"].state.settings.database_url):
            response = unavailable(Request(scope, receive), READ_ONLY_MESSAGE)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def database_fault(request: Request, exc: Exception) -> Response:
    """503 with the sentence of a recognised store fault; the last-resort 500 for anything else."""
    fault = faults.classify(exc, request.app.state.settings.database_url)
    if fault is None or fault.kind == faults.IO:
        return errors.unhandled_exception(request, exc)
    logger.warning("Database niet beschikbaar bij %s %s: %s", request.method, request.url.path, fault.kind)
    message = READ_ONLY_MESSAGE if fault.kind == faults.READ_ONLY else {
        faults.BUSY: "De database is even bezet. Probeer het over een minuut opnieuw.",
        faults.FULL: "De database kan nu niets opslaan (de schijf is vol); er is niets gewijzigd. Meld het de "
                     "beheerder.",
    }.get(fault.kind, "De database is nu niet bereikbaar. Probeer het later opnieuw of meld het de beheerder.")
    return unavailable(request, message, retry_after=60 if fault.kind == faults.BUSY else None)
