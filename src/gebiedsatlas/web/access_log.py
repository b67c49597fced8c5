"""The access log: one record per HTTP request on the ``gebiedsatlas.access`` logger.

A small ASGI middleware (outside every other middleware, so the duration and the status are what the
client got, compressed size included). Each record carries the fields ``method``, ``path``, ``query``,
``status``, ``duration_ms``, ``bytes``, ``client`` and ``user_agent``; with the JSON formatter of
``gebiedsatlas.logs`` that is one JSON line per request with ``time`` (ISO 8601, UTC, when the
response finished). The query string is kept for finding a slow or failing URL, but parameters that
may carry a secret (``token``, ``password``, …, and ``code``/``state`` of a login callback) are
dropped from it. ``client`` is the address uvicorn gives: behind a reverse proxy the one from
``X-Forwarded-For`` when the proxy is trusted (``GEBIEDSATLAS_FORWARDED_ALLOW_IPS``).
"""

from __future__ import annotations

import logging
import time
from urllib.parse import unquote_plus

from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger("gebiedsatlas.access")

USER_AGENT_MAX = 200
# A query parameter whose name contains one of these, or is one of the exact names, is not logged.
_SECRET_PARTS = ("token", "password", "passwd", "secret", "apikey", "api_key", "signature")
_SECRET_NAMES = frozenset({"code", "state", "key", "sig", "session"})


def is_secret_parameter(name: str) -> bool:
    name = name.strip().lower()
    return name in _SECRET_NAMES or any(part in name for part in _SECRET_PARTS)


def loggable_query(raw: str) -> str:
    """``raw`` (the undecoded query string) without the parameters that may carry a secret; the other
    parameters keep their order and their encoding."""
    if not raw:
        return ""
    kept = [part for part in raw.split("&")
            if part and not is_secret_parameter(unquote_plus(part.split("=", 1)[0]))]
    return "&".join(kept)


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return ""


class AccessLogMiddleware:
    """Log every HTTP request (not lifespan or websocket events) once it has been answered; a request
    whose handler failed before answering is logged with status 500, as the server answers it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not logger.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500
        size = 0

        async def send_and_observe(message: Message) -> None:
            nonlocal status, size
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                size += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, send_and_observe)
        finally:
            self._log(scope, status, size, (time.perf_counter() - start) * 1000)

    @staticmethod
    def _log(scope: Scope, status: int, size: int, duration_ms: float) -> None:
        client = scope.get("client")
        query = loggable_query(scope.get("query_string", b"").decode("latin-1"))
        fields = {
            "method": scope["method"],
            "path": scope["path"],
            "query": query,
            "status": status,
            "duration_ms": round(duration_ms, 1),
            "bytes": size,
            "client": client[0] if client else "",
            "user_agent": _header(scope, b"user-agent")[:USER_AGENT_MAX],
        }
        target = scope["path"] + (f"?{query}" if query else "")
        logger.info('%s "%s %s" %s %.1f ms', fields["client"] or "-", scope["method"], target, status,
                    duration_ms, extra=fields)
