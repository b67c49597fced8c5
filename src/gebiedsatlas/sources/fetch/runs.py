"""A record of every fetch (``fetch_run``), so the atlas can say which data was fetched and when.

Recording is best effort: a fetch also works without a store (or with one that is busy), it then
just leaves no record. No data in the store changes here.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from gebiedsatlas.config import Settings
from gebiedsatlas.sources.fetch.cache import Fetcher, SourceUnavailable
from gebiedsatlas.store.fetch_runs import CONNECTORS  # noqa: F401  (re-exported for the commands)

log = logging.getLogger(__name__)

def store_exists(url: str) -> bool:
    """False for an SQLite file that is not there: looking must not create an empty store."""
    from pathlib import Path

    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return True
    return Path(parsed.database).exists()


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def is_offline(exc: Exception) -> bool:
    """A source that could not be reached at all (no network, refused, timeouts), not an HTTP error."""
    return isinstance(exc, SourceUnavailable) and not exc.reason.startswith("HTTP")


def outcome_of(exc: Exception) -> str:
    return "offline" if is_offline(exc) else "mislukt"


def record(connector: str, started: datetime, outcome: str, fetcher: Fetcher | None = None,
           message: str | None = None, database_url: str | None = None) -> None:
    from sqlalchemy import inspect
    from sqlalchemy.exc import SQLAlchemyError

    from gebiedsatlas.store import db
    from gebiedsatlas.store.models import FetchRun

    url = database_url or Settings.from_env().database_url
    if not store_exists(url):
        return
    try:
        if not db.is_initialised(url) or not inspect(db.get_engine(url)).has_table("fetch_run"):
            return
        with db.session_scope(url) as session:
            session.add(FetchRun(connector=connector, started_at=started, finished_at=now(), outcome=outcome,
                                 downloaded=len(fetcher.downloaded) if fetcher else 0,
                                 reused=len(fetcher.reused) if fetcher else 0,
                                 message=(message or "")[:2000] or None))
    except SQLAlchemyError as exc:  # a busy or read-only store must not fail the fetch
        log.warning("fetch run not recorded: %s", type(exc).__name__)
