"""What was fetched when: the ``fetch_run`` records (migration 0008) per connector, for the pages.

A domain-free store query, so the web can say which data is the bundled snapshot, which was fetched
(and imported) when, and how to update it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from gebiedsatlas.store.models import FetchRun, ImportRun

# connector -> (what it fetches, in Dutch; the command that updates it)
CONNECTORS: dict[str, tuple[str, str]] = {
    "cbs": ("CBS Kerncijfers wijken en buurten", "gebiedsatlas fetch cbs --area-set nta"),
    "woningvoorraad": ("Woningvoorraad en mutaties per gemeente (CBS 81955NED)",
                      "gebiedsatlas fetch woningvoorraad --area-set nta"),
    "politie": ("Geregistreerde misdrijven (politie)", "gebiedsatlas fetch politie --area-set nta"),
    "pdok": ("Wijk- en buurtkaart (PDOK)", "gebiedsatlas fetch pdok --area-set nta"),
    "leefbaarometer": ("Leefbaarometer", "gebiedsatlas fetch leefbaarometer"),
    "bag": ("Woningen per bouwperiode (BAG)", "gebiedsatlas fetch bag --area-set nta"),
    "energielabels": ("Energielabels (EP-online)", "gebiedsatlas fetch energielabels"),
    "klimaat": ("Hittestress en overstroming (klimaatrasters)", "gebiedsatlas fetch klimaat --area-set nta"),
}

BUNDLED = ("CBS Kerncijfers wijken en buurten 2022 en 2024, woningvoorraad en mutaties 2012–2020, "
           "de Leefbaarometer 2002–2024 (New Towns) en de "
           "wijk- en buurtgrenzen 2022/2024")
UPDATE_ALL = "gebiedsatlas fetch alles --area-set nta"


@dataclass(frozen=True)
class ConnectorState:
    connector: str
    title: str
    command: str
    last_ok: datetime | None
    last_attempt: datetime | None
    last_outcome: str | None
    imported: bool  # an import ran after the last successful fetch


def connector_states(session: Session) -> list[ConnectorState]:
    """Per connector: the last successful fetch, the last attempt, and whether it has been imported since."""
    runs: dict[str, dict] = {}
    if inspect(session.get_bind()).has_table("fetch_run"):
        for run in session.scalars(select(FetchRun).order_by(FetchRun.id)):
            state = runs.setdefault(run.connector, {"ok": None, "attempt": None, "outcome": None})
            state["attempt"], state["outcome"] = run.finished_at, run.outcome
            if run.outcome == "ok":
                state["ok"] = run.finished_at
    imported_at = last_import(session)
    out = []
    for connector, (title, command) in CONNECTORS.items():
        state = runs.get(connector, {})
        ok = state.get("ok")
        out.append(ConnectorState(connector, title, command, ok, state.get("attempt"), state.get("outcome"),
                                  bool(ok and imported_at and imported_at >= ok)))
    return out


def last_import(session: Session) -> datetime | None:
    return session.scalar(select(func.max(ImportRun.finished_at)).where(ImportRun.status == "ok"))
