"""A record of every fetch (``fetch_run``), so the atlas can say which data was fetched and when.

Recording is best effort: a fetch also works without a store (or with one that is busy), it then
just leaves no record. No data in the store changes here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from gebiedsatlas.config import Settings
from gebiedsatlas.sources.fetch.cache import Fetcher, SourceUnavailable

log = logging.getLogger(__name__)

# connector -> (what it fetches, in Dutch; the command that updates it)
CONNECTORS: dict[str, tuple[str, str]] = {
    "cbs": ("CBS Kerncijfers wijken en buurten", "gebiedsatlas fetch cbs --area-set nta"),
    "politie": ("Geregistreerde misdrijven (politie)", "gebiedsatlas fetch politie --area-set nta"),
    "pdok": ("Wijk- en buurtkaart (PDOK)", "gebiedsatlas fetch pdok --area-set nta"),
    "leefbaarometer": ("Leefbaarometer", "gebiedsatlas fetch leefbaarometer"),
    "bag": ("Woningen per bouwperiode (BAG)", "gebiedsatlas fetch bag --area-set nta"),
    "energielabels": ("Energielabels (EP-online)", "gebiedsatlas fetch energielabels"),
    "klimaat": ("Hittestress en overstroming (klimaatrasters)", "gebiedsatlas fetch klimaat --area-set nta"),
}


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


@dataclass(frozen=True)
class ConnectorState:
    connector: str
    title: str
    command: str
    last_ok: datetime | None
    last_attempt: datetime | None
    last_outcome: str | None
    imported: bool  # an import ran after the last successful fetch


def connector_states(session) -> list[ConnectorState]:
    """Per connector: the last successful fetch, the last attempt, and whether it has been imported since."""
    from sqlalchemy import func, inspect, select

    from gebiedsatlas.store.models import FetchRun, ImportRun

    if not inspect(session.get_bind()).has_table("fetch_run"):
        runs = {}
    else:
        runs = {}
        for run in session.scalars(select(FetchRun).order_by(FetchRun.id)):
            state = runs.setdefault(run.connector, {"ok": None, "attempt": None, "outcome": None})
            state["attempt"], state["outcome"] = run.finished_at, run.outcome
            if run.outcome == "ok":
                state["ok"] = run.finished_at
    last_import = session.scalar(select(func.max(ImportRun.finished_at)).where(ImportRun.status == "ok"))
    out = []
    for connector, (title, command) in CONNECTORS.items():
        state = runs.get(connector, {})
        ok = state.get("ok")
        out.append(ConnectorState(connector, title, command, ok, state.get("attempt"), state.get("outcome"),
                                  bool(ok and last_import and last_import >= ok)))
    return out
