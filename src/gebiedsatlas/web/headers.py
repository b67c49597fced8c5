"""Security headers on every response: a small pure-ASGI middleware.

- ``Content-Security-Policy``: scripts only from the app itself (no inline scripts, no ``eval``);
  JSON data islands (``<script type="application/json">``) are data, not scripts, and need nothing.
  ``frame-ancestors 'none'`` (and ``X-Frame-Options: DENY`` for old browsers): no page in a frame.
- ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: strict-origin-when-cross-origin``.
- ``Strict-Transport-Security`` only when the site is served over TLS (``Settings.tls``,
  ``GEBIEDSATLAS_TLS``): sent over plain HTTP it would lock browsers out of a test server.

The policy is a constant with per-path overrides (``PATH_POLICIES``, longest prefix wins), e.g. for
the API documentation at ``/docs`` and ``/redoc``. A header the response already has is left as it is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY: dict[str, str] = {
    "default-src": "'self'",
    # No 'unsafe-eval': Vega would compile chart expressions with Function(); the pages pass vegaEmbed
    # ``ast: true``, so the vendored vega-embed uses its bundled expression interpreter instead.
    "script-src": "'self'",
    # 'unsafe-inline' for styles only (checked in Chromium): vega-embed and its tooltip handler insert
    # <style> elements, the legends of the map and analysis pages colour their swatches with a style
    # attribute per class (colours from the data), and the prestatieafspraken forms and printable
    # report use style attributes and a <style> block. Inline styles cannot run code; scripts stay strict.
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}

# /docs and /redoc (web/api_docs.py) run vendored Swagger UI and ReDoc from /static with no inline
# script; ReDoc builds its search index in a Web Worker made from a blob: URL, and both set inline styles.
DOCS_POLICY: dict[str, str] = {
    **CONTENT_SECURITY_POLICY,
    "worker-src": "'self' blob:",
}
PATH_POLICIES: dict[str, dict[str, str]] = {"/docs": DOCS_POLICY, "/redoc": DOCS_POLICY}

HSTS = "max-age=31536000"
STATIC_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


def tile_source(tile_url: str) -> str | None:
    """The CSP source of a basemap tile URL template (``{s}`` subdomains become ``*``)."""
    if not tile_url:
        return None
    parts = urlsplit(tile_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    host = re.sub(r"\{[^}]*\}", "*", parts.netloc)
    return f"{parts.scheme}://{host}"


def policy_text(directives: Mapping[str, str], *, img_sources: tuple[str, ...] = ()) -> str:
    """The header value of a policy, with extra image sources (the basemap tiles)."""
    values = dict(directives)
    if img_sources:
        values["img-src"] = " ".join([values.get("img-src", "'self'"), *img_sources])
    return "; ".join(f"{name} {value}" for name, value in values.items())


class SecurityHeaders:
    """The security headers for a request path, computed once per policy."""

    def __init__(self, *, tls: bool = False, tile_url: str = "",
                 policy: Mapping[str, str] = CONTENT_SECURITY_POLICY,
                 path_policies: Mapping[str, Mapping[str, str]] = PATH_POLICIES) -> None:
        tiles = tile_source(tile_url)
        img = (tiles,) if tiles else ()
        common = dict(STATIC_HEADERS)
        if tls:
            common["Strict-Transport-Security"] = HSTS
        self._default = {"Content-Security-Policy": policy_text(policy, img_sources=img), **common}
        # Longest prefix first, so /docs/oauth2-redirect can have its own entry next to /docs.
        self._by_prefix = [
            (prefix, {"Content-Security-Policy": policy_text(p, img_sources=img), **common})
            for prefix, p in sorted(path_policies.items(), key=lambda item: -len(item[0]))
        ]

    def for_path(self, path: str) -> dict[str, str]:
        for prefix, headers in self._by_prefix:
            if path == prefix or path.startswith(prefix.rstrip("/") + "/"):
                return headers
        return self._default


class SecurityHeadersMiddleware:
    """Adds ``SecurityHeaders`` to every HTTP response (pure ASGI: streaming bodies pass untouched)."""

    def __init__(self, app: ASGIApp, *, tls: bool = False, tile_url: str = "",
                 policy: Mapping[str, str] = CONTENT_SECURITY_POLICY,
                 path_policies: Mapping[str, Mapping[str, str]] = PATH_POLICIES) -> None:
        self.app = app
        self.headers = SecurityHeaders(tls=tls, tile_url=tile_url, policy=policy, path_policies=path_policies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self.headers.for_path(scope.get("path", ""))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in extra.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)
