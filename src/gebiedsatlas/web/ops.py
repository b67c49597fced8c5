"""Operations endpoints for a reverse proxy, a process manager or monitoring (docs/deployment.md).

``GET /health`` — liveness: the process answers; it touches no database, so a slow or absent store
never gets a healthy process restarted.
``GET /ready`` — readiness: the store answers a trivial query and its schema is at the newest Alembic
revision of this version of the code; otherwise 503 with the reason in Dutch (``reden``). Neither
answer says where the database is or what the driver said (that goes to the ``gebiedsatlas.ops`` log).
"""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from gebiedsatlas import __version__
from gebiedsatlas.store import db
from gebiedsatlas.store.models import ImportRun
from gebiedsatlas.web.deps import get_settings

router = APIRouter(tags=["beheer"])
logger = logging.getLogger("gebiedsatlas.ops")

NO_STORE = {"Cache-Control": "no-store"}
READY = "gereed"
NOT_READY = "niet gereed"
MIGRATE_HINT = "voer `gebiedsatlas migrate` uit"


class NotReady(Exception):
    """The store cannot serve the atlas; the message is the Dutch reason."""


@cache
def schema_heads() -> tuple[str, ...]:
    """The head revision(s) of the migrations shipped with this code."""
    return tuple(sorted(ScriptDirectory.from_config(db.alembic_config("sqlite://")).get_heads()))


def check_store(database_url: str) -> dict:
    """What ``/ready`` reports about the store at ``database_url``; raises ``NotReady`` with the reason."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:") \
            and not Path(url.database).is_file():
        # Connecting would create an empty file; a probe must not change anything.
        raise NotReady("Het databasebestand bestaat niet: voer `gebiedsatlas import` uit "
                       "(of `gebiedsatlas migrate` voor alleen het schema).")
    try:
        with db.get_engine(database_url).connect() as connection:
            connection.execute(text("SELECT 1")).scalar_one()
            current = tuple(sorted(MigrationContext.configure(connection).get_current_heads()))
            last_import = None
            if current:
                last_import = connection.execute(select(func.max(ImportRun.finished_at))).scalar()
    except Exception as exc:
        logger.warning("readiness: the store does not answer: %s: %s", type(exc).__name__, exc)
        raise NotReady("De database is niet bereikbaar.") from None
    expected = schema_heads()
    if not current:
        raise NotReady(f"Het databaseschema is nog niet aangemaakt: {MIGRATE_HINT}.")
    if current != expected:
        raise NotReady(f"Het databaseschema heeft versie {', '.join(current)}, deze versie van de "
                       f"Gebiedsatlas verwacht {', '.join(expected)}: {MIGRATE_HINT}.")
    return {"schema": ", ".join(current),
            "laatste_import": last_import.isoformat(timespec="seconds") if last_import else None}


@router.get("/health", summary="Leeft het proces? (zonder database)")
def health() -> JSONResponse:
    """Liveness: 200 as long as the process answers requests. Does not touch the database."""
    return JSONResponse({"status": "ok", "versie": __version__}, headers=NO_STORE)


@router.get(
    "/ready",
    summary="Kan de atlas verzoeken afhandelen? (database bereikbaar en bijgewerkt)",
    responses={503: {"description": "Niet gereed; `reden` zegt waarom",
                     "content": {"application/json": {"example": {
                         "status": NOT_READY,
                         "reden": f"Het databaseschema is nog niet aangemaakt: {MIGRATE_HINT}."}}}}},
)
def ready(request: Request) -> JSONResponse:
    """Readiness: 200 when the store answers and its schema is at the newest migration, else 503."""
    try:
        report = check_store(get_settings(request).database_url)
    except NotReady as exc:
        return JSONResponse({"status": NOT_READY, "reden": str(exc)}, status_code=503, headers=NO_STORE)
    return JSONResponse({"status": READY, "versie": __version__, **report}, headers=NO_STORE)
