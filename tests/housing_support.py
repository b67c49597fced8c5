"""Test helper for the woonprogramma: SYNTHETIC tenure shares for the wijken of one gemeente.

The bundled KWB files of this branch have no tenure per wijk (``huurwoningen_corporatie`` etc. come with
the catalogue work). To test the scenario pages, these helpers write clearly labelled synthetic shares
(source ``synthetisch-test``) next to the real dwelling stock; no test asserts them as real figures."""

from __future__ import annotations

from sqlalchemy import select

from gebiedsatlas.housing.stock import STOCK, TENURE_INDICATORS
from gebiedsatlas.store import db
from gebiedsatlas.store.models import Indicator, Observation, Source

SYNTHETIC_SOURCE = "synthetisch-test"


def add_synthetic_tenure(url: str, gemeente_code: str, year: int = 2024) -> list[str]:
    """Koop/corporatie/overig shares for every wijk of the gemeente with a stock in ``year``; returns the wijken."""
    with db.session_scope(url) as session:
        session.merge(Source(id=SYNTHETIC_SOURCE, publisher="test", title="Synthetisch: eigendom (test)",
                             licence="-", attribution="synthetisch"))
        for ind in TENURE_INDICATORS.values():
            if session.get(Indicator, ind) is None:
                session.add(Indicator(id=ind, label=ind, theme="wonen", unit="%", direction="neutral",
                                      aggregation={"method": "none"}))
        session.flush()
        wijken = list(session.scalars(select(Observation.area_code).where(
            Observation.indicator_id == STOCK, Observation.period == year, Observation.value > 0,
            Observation.area_code.like(f"WK{gemeente_code[2:]}%")).order_by(Observation.area_code)))
        for i, code in enumerate(wijken):
            corporatie = 10.0 + (i * 17) % 50
            shares = {"koopwoningen": 85.0 - corporatie, "huurwoningen_corporatie": corporatie,
                      "huurwoningen_overige_verhuurders": 12.0}
            for ind, value in shares.items():
                session.merge(Observation(indicator_id=ind, period=year, area_code=code, value=value,
                                          status="observed", source_id=SYNTHETIC_SOURCE, boundary_year=year))
    return wijken
