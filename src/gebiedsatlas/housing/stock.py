"""The dwelling stock per wijk by segment: CBS figures from the store, and the parties' own uploads.

Tenure from the KWB: ``woningvoorraad`` × ``koopwoningen`` / ``huurwoningen_corporatie`` /
``huurwoningen_overige_verhuurders`` (%) of the same year. Without those figures the answer says so
("geen CBS-cijfers") instead of a number. Party figures (a corporation's upload) are kept apart: pages
show both, side by side, never mixed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gebiedsatlas.store.housing import PartyStock, PartyStockUpload, StockChange
from gebiedsatlas.store.models import Area, Observation

TENURE_INDICATORS = {"koop": "koopwoningen", "corporatie": "huurwoningen_corporatie",
                     "particulier": "huurwoningen_overige_verhuurders"}
STOCK = "woningvoorraad"
TYPE_INDICATORS = {"eengezins": "eengezinswoningen", "meergezins": "meergezinswoningen"}
PERIOD_INDICATORS = ("bag_bouwperiode_voor_1945", "bag_bouwperiode_1945_1959", "bag_bouwperiode_1960_1969",
                     "bag_bouwperiode_1970_1979", "bag_bouwperiode_1980_1989", "bag_bouwperiode_1990_1999",
                     "bag_bouwperiode_2000_2009", "bag_bouwperiode_2010_plus", "bag_bouwperiode_onbekend")
WITH_VALUE = ("observed", "derived", "converted")
NO_CBS = ("geen CBS-cijfers: de woningvoorraad naar eigendom (koop, corporatie, overige verhuurders) staat nog niet "
          "in de atlas. Laad de Kerncijfers wijken en buurten met deze kolommen (gebiedsatlas import).")
NO_WIJK_TENURE = ("De verdeling naar eigendom per wijk staat nog niet in de atlas; die verschijnt na "
                  "gebiedsatlas fetch cbs --area-set nta (of na een upload van het eigen bezit van een corporatie). "
                  "Tot dan rekent het woonprogramma met de cijfers van de hele gemeente.")


@dataclass
class WijkStock:
    """Dwellings of one area in one year by tenure (counts derived from the CBS shares; floats, rounded on display)."""

    code: str
    name: str
    year: int
    total: float
    tenure: dict[str, float]
    shares: dict[str, float]  # as CBS publishes them (%)

    @property
    def unknown(self) -> float:
        return max(self.total - sum(self.tenure.values()), 0.0)


@dataclass
class GemeenteStock:
    gemeente_code: str
    year: int | None
    wijken: dict[str, WijkStock] = field(default_factory=dict)
    note: str | None = None  # why there is no figure (or, at gemeente level, why there is none per wijk)
    # "wijk": tenure per wijk; "gemeente": only the gemeente's own figures (``gemeente``), wijken empty.
    level: str = "wijk"
    gemeente: WijkStock | None = None
    building_periods: dict[str, dict[str, float]] = field(default_factory=dict)
    dwelling_types: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def total(self) -> dict[str, float]:
        if self.level == "gemeente" and self.gemeente is not None:
            return {"totaal": self.gemeente.total, **self.gemeente.tenure}
        out: dict[str, float] = defaultdict(float)
        for w in self.wijken.values():
            out["totaal"] += w.total
            for k, v in w.tenure.items():
                out[k] += v
        return dict(out)


def _values(session: Session, codes: list[str], indicators: list[str]) -> dict[tuple[str, str, int], float]:
    if not codes:
        return {}
    rows = session.execute(select(Observation.area_code, Observation.indicator_id, Observation.period,
                                  Observation.value)
                           .where(Observation.area_code.in_(codes), Observation.indicator_id.in_(indicators),
                                  Observation.status.in_(WITH_VALUE), Observation.value.is_not(None)))
    return {(a, i, p): v for a, i, p, v in rows}


def wijken_of(session: Session, gemeente_code: str) -> dict[str, str]:
    """Code -> name of the wijken of the gemeente (newest boundary year in the store)."""
    rows = session.execute(select(Area.code, Area.name).where(Area.level == "wijk", Area.parent_code == gemeente_code)
                           .order_by(Area.name))
    return dict(rows.all())


def buurten_of(session: Session, gemeente_code: str) -> dict[str, str]:
    """Code -> name of the buurten of the gemeente (every boundary year in the store)."""
    rows = session.execute(select(Area.code, Area.name).where(Area.level == "buurt",
                                                              Area.code.like(f"BU{gemeente_code[2:]}%"))
                           .order_by(Area.code))
    return dict(rows.all())


def cbs_stock(session: Session, gemeente_code: str) -> GemeenteStock:
    """The newest year in which every wijk with a stock has the three tenure shares."""
    wijken = wijken_of(session, gemeente_code)
    values = _values(session, list(wijken), [STOCK, *TENURE_INDICATORS.values(), *TYPE_INDICATORS.values(),
                                             *PERIOD_INDICATORS])
    years = sorted({p for (_a, i, p) in values if i == TENURE_INDICATORS["corporatie"]}, reverse=True)
    for year in years:
        out = GemeenteStock(gemeente_code, year)
        for code, name in wijken.items():
            total = values.get((code, STOCK, year))
            shares = {t: values.get((code, ind, year)) for t, ind in TENURE_INDICATORS.items()}
            if total is None or any(v is None for v in shares.values()):
                continue
            out.wijken[code] = WijkStock(code, name, year, total, {t: total * s / 100 for t, s in shares.items()},
                                         shares)
            types = {t: values.get((code, ind, year)) for t, ind in TYPE_INDICATORS.items()}
            if all(v is not None for v in types.values()):
                out.dwelling_types[code] = {t: total * s / 100 for t, s in types.items()}
        if out.wijken:
            periods = sorted({p for (_a, i, p) in values if i in PERIOD_INDICATORS}, reverse=True)
            if periods:
                for code in out.wijken:
                    found = {ind.removeprefix("bag_bouwperiode_"): values.get((code, ind, periods[0]))
                             for ind in PERIOD_INDICATORS}
                    if any(v is not None for v in found.values()):
                        out.building_periods[code] = {k: v for k, v in found.items() if v is not None}
            return out
    whole = gemeente_tenure(session, gemeente_code)
    if whole is not None:  # the bundled KWB has tenure per gemeente only: use it, labelled as such
        return GemeenteStock(gemeente_code, whole.year, note=NO_WIJK_TENURE, level="gemeente", gemeente=whole)
    return GemeenteStock(gemeente_code, None, note=NO_CBS)


def gemeente_tenure(session: Session, gemeente_code: str) -> WijkStock | None:
    """The gemeente's own stock by tenure (KWB, newest year with the stock and all three shares)."""
    name = session.scalar(select(Area.name).where(Area.code == gemeente_code)) or gemeente_code
    values = _values(session, [gemeente_code], [STOCK, *TENURE_INDICATORS.values()])
    for year in sorted({p for (_a, _i, p) in values}, reverse=True):
        total = values.get((gemeente_code, STOCK, year))
        shares = {t: values.get((gemeente_code, ind, year)) for t, ind in TENURE_INDICATORS.items()}
        if total is not None and all(v is not None for v in shares.values()):
            return WijkStock(gemeente_code, name, year, total, {t: total * v / 100 for t, v in shares.items()},
                             shares)
    return None


# ---------------------------------------------------------------- party stock

def party_stock(session: Session, party_id: int, gemeente_code: str | None = None) -> tuple[PartyStockUpload | None,
                                                                                             dict[str, dict[str, int]]]:
    """The newest upload of a party and its dwellings per wijk and segment (buurten summed to wijken)."""
    upload = session.scalar(select(PartyStockUpload).where(PartyStockUpload.party_id == party_id)
                            .order_by(PartyStockUpload.version.desc()).limit(1))
    if upload is None:
        return None, {}
    stmt = select(PartyStock).where(PartyStock.upload_id == upload.id)
    if gemeente_code:
        stmt = stmt.where(PartyStock.area_code.like(f"BU{gemeente_code[2:]}%"))
    out: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in session.scalars(stmt):
        out["WK" + row.area_code[2:8]][row.segment] += row.dwellings
    return upload, {w: dict(s) for w, s in out.items()}


def party_stock_per_wijk(session: Session, gemeente_code: str) -> dict[int, tuple[PartyStockUpload,
                                                                                   dict[str, dict[str, int]]]]:
    """Every party with an upload touching this gemeente: its newest upload and its figures per wijk."""
    party_ids = session.scalars(select(PartyStockUpload.party_id).distinct())
    out = {}
    for party_id in party_ids:
        upload, per_wijk = party_stock(session, party_id, gemeente_code)
        if upload is not None and per_wijk:
            out[party_id] = (upload, per_wijk)
    return out


# ---------------------------------------------------------------- 81955NED history

def stock_changes(session: Session, gemeente_code: str) -> list[StockChange]:
    return list(session.scalars(select(StockChange).where(StockChange.gemeente_code == gemeente_code)
                                .order_by(StockChange.year)))


def stock_change_years(session: Session) -> tuple[int | None, int | None]:
    return session.execute(select(func.min(StockChange.year), func.max(StockChange.year))).one()


def new_builds_per_wijk(session: Session, gemeente_code: str) -> dict[str, dict[int, float]]:
    """KWB ``nieuwbouw_woningen`` per wijk and year, when the catalogue and store have it."""
    wijken = wijken_of(session, gemeente_code)
    out: dict[str, dict[int, float]] = defaultdict(dict)
    for (code, _i, year), value in _values(session, list(wijken), ["nieuwbouw_woningen"]).items():
        out[code][year] = value
    return dict(out)
