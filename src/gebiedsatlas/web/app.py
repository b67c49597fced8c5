"""The FastAPI application: API, pages and static files."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.gzip import GZipMiddleware
from sqlalchemy.exc import DBAPIError
from starlette.middleware.sessions import SessionMiddleware

import gebiedsatlas.web.harmonised as harmonised_api
from gebiedsatlas import __version__
from gebiedsatlas.config import Settings
from gebiedsatlas.web import (
    account_pages,
    admin_pages,
    agreements_api,
    agreements_pages,
    api,
    atlas_pages,
    errors,
    housing_pages,
    login_pages,
    map_api,
    opgave_pages,
    pages,
)
from gebiedsatlas.web.access_log import AccessLogMiddleware
from gebiedsatlas.web.analysis_api import router as analysis_api_router
from gebiedsatlas.web.analysis_pages import router as analysis_pages_router
from gebiedsatlas.web.api_docs import router as api_docs_router
from gebiedsatlas.web.auth import SESSION_COOKIE, SESSION_MAX_AGE, AuditFailures, LoginRequired
from gebiedsatlas.web.headers import SecurityHeadersMiddleware
from gebiedsatlas.web.ops import router as ops_router
from gebiedsatlas.web.readonly import ReadOnlyStore, database_fault
from gebiedsatlas.web.static_files import CompressedStaticFiles

STATIC_DIR = Path(__file__).resolve().parent / "static"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    app = FastAPI(
        title="Gebiedsatlas API",
        version=__version__,
        description=(
            "Cijfers per gemeente, wijk en buurt voor de New Town Alliantie. Elke tabel is ook "
            "als CSV te downloaden met `?format=csv` of `?format=csv-nl` (Excel NL). "
            "Bron: CBS, CC BY 4.0; Leefbaarometer 3.0, Ministerie van BZK."
        ),
        # /docs and /redoc come from api_docs.py: vendored, no CDN.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    # Innermost first: failed writes are logged; a private atlas asks for a login; sessions are
    # signed cookies (HttpOnly, SameSite=Lax, Secure behind TLS); responses are compressed.
    app.add_middleware(AuditFailures)
    if not settings.atlas_public:
        app.add_middleware(LoginRequired)
    app.add_middleware(ReadOnlyStore)  # a read-only store: writes get 503 before a guard or audit line
    app.add_middleware(SessionMiddleware, secret_key=settings.session_secret(), session_cookie=SESSION_COOKIE,
                       max_age=SESSION_MAX_AGE, same_site="lax", https_only=settings.tls)
    # Level 6 (like the response cache) instead of Starlette's 9: a third of the time for ~8 % more bytes.
    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=6)
    app.add_middleware(SecurityHeadersMiddleware, tls=settings.tls, tile_url=settings.tile_url)
    app.add_exception_handler(Exception, errors.unhandled_exception)  # last resort: no traceback shown
    app.add_exception_handler(DBAPIError, database_fault)  # read-only, busy, full, unreachable: 503
    # Added last = outermost: logs what the client got (status, compressed size, whole duration).
    app.add_middleware(AccessLogMiddleware)
    app.mount("/static", CompressedStaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(api.router)
    app.include_router(harmonised_api.router)
    app.include_router(map_api.router)
    app.include_router(pages.router)
    app.include_router(analysis_api_router)
    app.include_router(analysis_pages_router)
    app.include_router(atlas_pages.router)
    app.include_router(opgave_pages.router)
    app.include_router(agreements_api.router)
    app.include_router(agreements_pages.router)
    app.include_router(housing_pages.router)
    app.include_router(login_pages.router)
    app.include_router(account_pages.router)
    app.include_router(admin_pages.router)
    app.include_router(api_docs_router)
    app.include_router(ops_router)
    return app
