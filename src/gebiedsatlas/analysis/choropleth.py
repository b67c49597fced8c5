"""The data behind one choropleth map: which areas, their values, a reference and the classes.

A map is described by a ``MapQuery`` (indicator, level, scope, period, classification, reference).
``map_data`` returns everything the map page, its table and the ``/api/classify`` endpoint need;
results are cached in memory per store and import run (a new import gives new maps).
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import asdict, dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gebiedsatlas.analysis.classify import (
    NO_DATA_COLOUR,
    TOO_SMALL_COLOUR,
    Classification,
    Method,
    classify,
    classify_deviation,
)
from gebiedsatlas.areas.codes import NETHERLANDS_CODE, Level
from gebiedsatlas.areas.geometry import geometry_years
from gebiedsatlas.areas.index import area_index
from gebiedsatlas.errors import InputError
from gebiedsatlas.indicators.catalogue import AggregationMethod, load_catalogue
from gebiedsatlas.indicators.values import area_set_values, area_values, available_periods, netherlands_values
from gebiedsatlas.status import Status
from gebiedsatlas.store.models import ImportRun

MAP_LEVELS = (Level.GEMEENTE, Level.WIJK, Level.BUURT)
SCOPE_NETHERLANDS = NETHERLANDS_CODE
REFERENCES = ("", NETHERLANDS_CODE, "nta")
_WHERE = "kaart"


@dataclass(frozen=True)
class MapQuery:
    """The whole state of a map; every field is a URL parameter of ``/kaart``."""

    indicator: str = "laag_inkomen"
    level: str = "wijk"
    scope: str = "nta"  # NL01 = heel Nederland, an area set id, or a gemeente code
    period: int | None = None  # None = the latest period of the indicator
    method: str = Method.QUANTILES.value
    k: int = 5
    ref: str = ""  # "" = the values themselves; NL01 or nta = deviation from that reference

    def params(self) -> dict[str, str]:
        """The query as URL parameters (for links that restore this map)."""
        return {k: str(v) for k, v in asdict(self).items() if v not in (None, "")}


def validate(session: Session, query: MapQuery) -> MapQuery:
    """Check a query against the catalogue and the store; fill in the period.

    Raises InputError naming the parameter and what was expected.
    """
    catalogue = load_catalogue()
    if query.indicator not in catalogue:
        raise InputError(_WHERE, "onbekende indicator", column="indicator",
                         expected="een indicator uit de catalogus", found=query.indicator)
    if query.level not in {lv.value for lv in MAP_LEVELS}:
        raise InputError(_WHERE, "onbekend niveau", column="level", expected="gemeente, wijk of buurt",
                         found=query.level)
    index = area_index(session)
    if query.scope != SCOPE_NETHERLANDS and query.scope not in index.sets:
        area = index.get(query.scope)
        if area is None or area.level is not Level.GEMEENTE:
            raise InputError(_WHERE, "onbekend gebied", column="scope",
                             expected="NL01 (Nederland), een gebiedsset (nta) of een gemeentecode",
                             found=query.scope)
    try:
        method = Method(query.method)
    except ValueError:
        raise InputError(_WHERE, "onbekende klassenindeling", column="method",
                         expected=", ".join(m.value for m in Method), found=query.method) from None
    if not 2 <= int(query.k) <= 9:
        raise InputError(_WHERE, "ongeldig aantal klassen", column="k", expected="2 tot en met 9",
                         found=query.k)
    if query.ref not in REFERENCES:
        raise InputError(_WHERE, "onbekende referentie", column="ref",
                         expected="leeg, NL01 (Nederland) of nta (New Towns)", found=query.ref)
    if query.ref and catalogue[query.indicator].aggregation.method is AggregationMethod.SUM:
        # An area's count minus the count of all of Nederland says nothing; shares and means compare.
        raise InputError(_WHERE, "een afwijking kan niet voor een aantal", column="ref",
                         expected="geen referentie, of een indicator die een percentage, gemiddelde of score is",
                         found=query.ref)
    periods = available_periods(session, query.indicator)
    period = query.period if query.period is not None else (periods[-1] if periods else None)
    if period not in periods:
        raise InputError(_WHERE, "geen cijfers voor deze periode", column="period",
                         expected=", ".join(map(str, periods)) or "een periode met cijfers", found=period)
    return MapQuery(query.indicator, query.level, query.scope, period, method.value, int(query.k), query.ref)


def scope_codes(session: Session, query: MapQuery) -> list[str]:
    """The areas of the query's level inside its scope, in the area division of its period."""
    index = area_index(session)
    level = Level(query.level)
    if query.scope == SCOPE_NETHERLANDS:
        return index.at_level(level, year=query.period)
    if query.scope in index.sets:
        return index.at_level(level, area_set=query.scope, year=query.period)
    return index.at_level(level, parent=query.scope, year=query.period)


def scope_label(session: Session, scope: str) -> str:
    index = area_index(session)
    if scope == SCOPE_NETHERLANDS:
        return "Nederland"
    if scope in index.sets:
        return index.sets[scope].name
    return index.areas[scope].name


def reference_value(session: Session, ref: str, indicator: str, period: int) -> dict:
    """The value of Nederland or an area set for one indicator and period (aggregated by its rule)."""
    if ref == NETHERLANDS_CODE:
        frame = netherlands_values(session, [indicator], [period])
    else:
        frame = area_set_values(session, ref, [indicator], [period])
    if frame.empty:
        return {"code": ref, "name": scope_label(session, ref), "value": None,
                "status": Status.MISSING.value, "method": "geen cijfers"}
    row = frame.iloc[0]
    value = None if math.isnan(row["value"]) else float(row["value"])
    return {"code": ref, "name": row["area_name"], "value": value, "status": row["status"],
            "method": row["method"]}


def _build(session: Session, query: MapQuery) -> dict:
    indicator = load_catalogue()[query.indicator]
    index = area_index(session)
    # Only areas with a boundary can be drawn; the legend counts what the map shows.
    all_codes = scope_codes(session, query)
    codes = [c for c in all_codes if geometry_years(session, c)]
    without_geometry = len(all_codes) - len(codes)
    frame = area_values(session, codes, [query.indicator], [query.period])
    by_code = {r.area_code: r for r in frame.itertuples(index=False)}
    areas = []
    for code in codes:
        row = by_code.get(code)
        status = row.status if row is not None else Status.MISSING.value
        value = None
        if row is not None and Status(status).has_value and not math.isnan(row.value):
            value = float(row.value)
        areas.append({"code": code, "name": index.areas[code].name, "value": value, "status": status})
    values = [a["value"] for a in areas]
    reference = None
    if query.ref:
        reference = reference_value(session, query.ref, query.indicator, query.period)
    if reference is not None and reference["value"] is not None:
        result: Classification = classify_deviation(values, reference["value"], query.method, query.k,
                                                     indicator.direction)
        shown = [None if v is None else v - reference["value"] for v in values]
    else:
        result = classify(values, query.method, query.k, indicator.direction)
        shown = values
    for area, cls, mapped in zip(areas, result.assignments, shown, strict=True):
        area["class"] = cls
        area["mapped"] = mapped
    classification = result.as_dict()
    classification.update(split_no_data(areas, classification["no_data"]["count"]))
    return {
        "query": asdict(query),
        "indicator": {"id": indicator.id, "label": indicator.label, "unit": indicator.unit,
                      "decimals": indicator.decimals, "direction": indicator.direction.value,
                      "direction_label": indicator.direction.label, "description": indicator.description},
        "scope": {"code": query.scope, "name": scope_label(session, query.scope)},
        "level": query.level,
        "level_plural": Level(query.level).plural,
        "period": query.period,
        "reference": reference,
        "classification": classification,
        "without_geometry": without_geometry,
        "areas": areas,
    }


def split_no_data(areas: list[dict], no_data_count: int) -> dict:
    """The areas without a class, split: "te kleine aantallen" (status ``too_small``) apart from "geen
    gegevens" (missing, secret, implausible). A too-small base is a different fact from an absent figure,
    so the legend counts it on its own line.

    ``areas`` have ``class`` and ``status``; ``no_data_count`` is the classifier's count of areas without
    a class. Returns the ``no_data`` count without the too-small ones and a ``too_small`` entry.
    """
    too_small = sum(1 for a in areas if a["class"] is None and a["status"] == Status.TOO_SMALL.value)
    return {"no_data": {"count": no_data_count - too_small, "colour": NO_DATA_COLOUR},
            "too_small": {"count": too_small, "colour": TOO_SMALL_COLOUR, "label": Status.TOO_SMALL.label}}


_cache: OrderedDict[tuple, dict] = OrderedDict()
_lock = threading.Lock()
_CACHE_SIZE = 64


def store_version(session: Session) -> int | None:
    """The latest import run: cached map data is valid until the next import."""
    return session.scalar(select(func.max(ImportRun.id)))


def map_data(session: Session, query: MapQuery) -> dict:
    """Validated, classified map data for ``query`` (cached per store and import run).

    Raises InputError for a query that does not fit the catalogue or the store.
    """
    query = validate(session, query)
    key = (str(session.get_bind().url), store_version(session), query)
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    data = _build(session, query)
    with _lock:
        _cache[key] = data
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return data
