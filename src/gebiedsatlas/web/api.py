"""The JSON API under ``/api``. Every table is also available as CSV (``?format=csv|csv-nl``)."""

from __future__ import annotations

import json
from typing import Annotated

import orjson
import pandas as pd
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from gebiedsatlas.areas.codes import NETHERLANDS_CODE, Level
from gebiedsatlas.areas.geometry import feature_collection, geometry_years
from gebiedsatlas.areas.index import area_index
from gebiedsatlas.indicators.catalogue import load_catalogue
from gebiedsatlas.indicators.values import (
    VALUE_COLUMNS,
    area_set_values,
    area_values,
    available_periods,
    latest_period,
)
from gebiedsatlas.status import Status
from gebiedsatlas.store.models import ImportRun, Source
from gebiedsatlas.web.cache import cached_response
from gebiedsatlas.web.deps import get_session
from gebiedsatlas.web.exports import FORMATS, csv_response
from gebiedsatlas.web.params import OptionalYear, year_list

router = APIRouter(prefix="/api", tags=["api"])

SessionDep = Annotated[Session, Depends(get_session)]
FormatQuery = Annotated[str, Query(description="json, csv of csv-nl (Excel NL: ; en decimale komma)",
                                   pattern="^(json|csv|csv-nl)$")]
AREA_COLUMNS = ["code", "name", "level", "parent_code", "first_year", "last_year"]


def _split(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def _level(text: str | None) -> Level | None:
    if text is None:
        return None
    try:
        return Level(text)
    except ValueError:
        raise HTTPException(400, f"level: verwacht een van {', '.join(lv.value for lv in Level)}, "
                                 f"gevonden {text!r}") from None


def _sources(session: Session) -> dict[str, Source]:
    return {s.id: s for s in session.scalars(select(Source))}


def _attribution(session: Session, source_ids) -> str:
    sources = _sources(session)
    return "; ".join(sorted({sources[s].attribution for s in source_ids if s in sources}))


def shown_decimals(frame: pd.DataFrame) -> list[int]:
    """Decimals each value is shown with: the precision its source publishes (``decimals_for``)."""
    catalogue = load_catalogue()
    return [catalogue[i].decimals_for(s, st) if i in catalogue else 0
            for i, s, st in zip(frame["indicator_id"], frame["source_id"], frame["status"], strict=True)]


def _column(series: pd.Series) -> list:
    """One column as Python values, NaN/NA as None."""
    if series.dtype.kind == "f":  # the common case, at C speed: ``tolist`` then a NaN test per value
        return [None if v != v else v for v in series.tolist()]
    if series.isna().any():
        series = series.astype(object).where(series.notna(), None)
    return series.tolist()


def _records(frame: pd.DataFrame) -> list[dict]:
    """JSON-safe rows: NaN becomes null, numpy scalars become Python numbers (column by column)."""
    if frame.empty:
        return []
    columns = list(frame.columns)
    values = [_column(frame[c]) for c in columns]
    return [dict(zip(columns, row, strict=True)) for row in zip(*values, strict=True)]


def json_response(body: dict) -> Response:
    """Serialise with orjson: the standard encoder needs ~90 ms for one indicator over all buurten."""
    option = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY  # what ``json.dumps`` accepted
    return Response(orjson.dumps(body, default=str, option=option), media_type="application/json")


def _check_indicators(ids: list[str]) -> list[str]:
    catalogue = load_catalogue()
    unknown = [i for i in ids if i not in catalogue]
    if unknown:
        raise HTTPException(404, f"onbekende indicator(en): {', '.join(unknown)}")
    if not ids:
        raise HTTPException(400, "indicators: geef minstens één indicator-id")
    return ids


def _with_gemeente(index, area) -> dict:
    """An area with the gemeente it lies in, so a wijk or buurt suggestion can say where it is."""
    row = area.as_dict()
    gemeente = index.gemeente_of(area.code) if area.level in (Level.WIJK, Level.BUURT) else None
    row["gemeente_code"] = gemeente.code if gemeente else None
    row["gemeente_name"] = gemeente.name if gemeente else None
    return row


@router.get("/areas", summary="Gebieden zoeken")
def search_areas(
    session: SessionDep,
    q: Annotated[str | None, Query(description="code of (begin van een) naam")] = None,
    level: Annotated[str | None, Query(description="land, provincie, gemeente, wijk, buurt")] = None,
    parent: Annotated[str | None, Query(description="alleen gebieden binnen deze code")] = None,
    area_set: Annotated[str | None, Query(description="alleen gebieden binnen deze gebiedsset")] = None,
    limit: Annotated[int, Query(ge=1, le=20000)] = 50,
    format: FormatQuery = "json",
):
    index = area_index(session)
    lvl = _level(level)
    if area_set is not None:
        if area_set not in index.sets:
            raise HTTPException(404, f"onbekende gebiedsset {area_set!r}")
        inside = set(index.at_level(lvl or Level.GEMEENTE, area_set=area_set))
        found = [a for a in index.search(q, level=lvl or Level.GEMEENTE, limit=20000)
                 if a.code in inside][:limit]
    else:
        if parent is not None and parent not in index.areas:
            raise HTTPException(404, f"onbekend gebied {parent!r}")
        found = index.search(q, level=lvl, parent=parent, limit=limit)
    rows = [_with_gemeente(index, a) for a in found]
    if format != "json":
        return csv_response(rows, AREA_COLUMNS, dialect=format, filename="gebieden",
                            attribution=_attribution(session, ["cbs-kwb-2024"]))
    return {"count": len(rows), "areas": rows}


@router.get("/areas/{code}", summary="Eén gebied met bovenliggende en onderliggende gebieden")
def get_area(session: SessionDep, code: str):
    index = area_index(session)
    area = index.get(code)
    if area is None:
        raise HTTPException(404, f"onbekend gebied {code!r}")
    return {
        **area.as_dict(),
        "level_label": area.level.label,
        "parents": [a.as_dict() for a in index.ancestors(code)],
        "children": [index.areas[c].as_dict() for c in index.children.get(code, [])],
        "area_sets": [s.id for s in index.sets.values() if code in s.members],
        "geometry_years": geometry_years(session, code),
    }


@router.get("/area-sets", summary="Gebiedssets")
def list_area_sets(session: SessionDep):
    return {"area_sets": [s.as_dict() for s in area_index(session).sets.values()]}


@router.get("/area-sets/{set_id}", summary="Eén gebiedsset met leden")
def get_area_set(session: SessionDep, set_id: str, format: FormatQuery = "json"):
    index = area_index(session)
    if set_id not in index.sets:
        raise HTTPException(404, f"onbekende gebiedsset {set_id!r}")
    area_set = index.sets[set_id]
    members = [index.areas[c].as_dict() for c in area_set.members if c in index.areas]
    if format != "json":
        return csv_response(members, AREA_COLUMNS, dialect=format, filename=f"gebiedsset-{set_id}",
                            attribution=_attribution(session, ["cbs-kwb-2024"]))
    return {**area_set.as_dict(), "members": members}


def _indicator_dict(ind) -> dict:
    return {
        "id": ind.id, "label": ind.label, "description": ind.description, "theme": ind.theme,
        "unit": ind.unit, "direction": ind.direction.value, "decimals": ind.decimals,
        "aggregation": ind.aggregation.as_dict(),
        "sources": [{"source": c.source, "column": c.column} for c in ind.columns],
        "compute": (({"sum": list(ind.compute.terms)} if ind.compute.terms else
                     {"numerator": ind.compute.numerator, "denominator": ind.compute.denominator,
                      "scale": ind.compute.scale}) if ind.compute else None),
        "publication": ind.publication or None,
    }


INDICATOR_COLUMNS = ["id", "label", "theme", "unit", "direction", "decimals", "description"]


@router.get("/indicators", summary="De indicatorcatalogus")
def list_indicators(theme: str | None = None, format: FormatQuery = "json"):
    catalogue = load_catalogue()
    rows = [_indicator_dict(i) for i in catalogue.indicators.values()
            if theme is None or i.theme == theme]
    if format != "json":
        return csv_response(rows, INDICATOR_COLUMNS, dialect=format, filename="indicatoren")
    return {"themes": catalogue.themes, "indicators": rows}


@router.get("/indicators/{indicator_id}", summary="Eén indicator met beschikbare perioden")
def get_indicator(session: SessionDep, indicator_id: str):
    _check_indicators([indicator_id])
    ind = load_catalogue()[indicator_id]
    return {**_indicator_dict(ind), "periods": available_periods(session, indicator_id)}


def selected_area_codes(index, areas: str | None, level: str | None, parent: str | None,
                        area_set: str | None) -> list[str]:
    """The areas a request names: explicit codes plus all areas of ``level`` in a parent or area set."""
    codes = _split(areas)
    unknown = [c for c in codes if c not in index.areas]
    if unknown:
        raise HTTPException(404, f"onbekende gebieden: {', '.join(unknown)}")
    lvl = _level(level)
    if lvl is not None:
        if area_set is not None and area_set not in index.sets:
            raise HTTPException(404, f"onbekende gebiedsset {area_set!r}")
        if parent is not None and parent not in index.areas:
            raise HTTPException(404, f"onbekend gebied {parent!r}")
        codes += index.at_level(lvl, parent=parent, area_set=area_set)
    return codes


@router.get("/values", summary="Waarden voor gebieden × indicatoren × perioden")
def get_values(
    session: SessionDep,
    indicators: Annotated[str, Query(description="indicator-id's, komma-gescheiden")],
    areas: Annotated[str | None, Query(description="gebiedscodes, komma-gescheiden; NL01 = Nederland")] = None,
    level: Annotated[str | None, Query(description="alle gebieden van dit niveau…")] = None,
    parent: Annotated[str | None, Query(description="…binnen dit gebied")] = None,
    area_set: Annotated[str | None, Query(description="…binnen deze gebiedsset")] = None,
    sets: Annotated[str | None, Query(description="gebiedssets als geheel (afgeleid)")] = None,
    periods: Annotated[str | None, Query(description="jaartallen, komma-gescheiden")] = None,
    format: FormatQuery = "json",
):
    index = area_index(session)
    indicator_ids = _check_indicators(_split(indicators))
    period_list = year_list(periods, "periods")
    codes = selected_area_codes(index, areas, level, parent, area_set)
    set_ids = _split(sets)
    for set_id in set_ids:
        if set_id not in index.sets:
            raise HTTPException(404, f"onbekende gebiedsset {set_id!r}")
    if not codes and not set_ids:
        raise HTTPException(400, "kies gebieden met areas=, level= of sets=")
    parts = [area_values(session, codes, indicator_ids, period_list)] if codes else []
    parts += [area_set_values(session, s, indicator_ids, period_list) for s in set_ids]
    frame = pd.concat(parts, ignore_index=True)
    frame = frame.sort_values(["indicator_id", "period", "area_code"], kind="stable")
    sources = _sources(session)
    frame["bron"] = frame["source_id"].map({s: sources[s].attribution for s in sources}).fillna("")
    frame["decimals"] = shown_decimals(frame)
    rows = _records(frame)
    source_ids = set(frame["source_id"].unique())  # not ``set(column)``: 14,574 element look-ups
    if format != "json":
        return csv_response(rows, VALUE_COLUMNS, dialect=format, filename="waarden",
                            attribution=_attribution(session, source_ids))
    return json_response({"count": len(rows), "values": rows,
                          "attribution": _attribution(session, source_ids)})


@router.get("/geojson", summary="Gebieden van een niveau als GeoJSON, met een indicatorwaarde")
def get_geojson(
    request: Request,
    session: SessionDep,
    level: Annotated[str, Query(description="gemeente, wijk, buurt of provincie")],
    parent: str | None = None,
    area_set: str | None = None,
    indicator: str | None = None,
    period: OptionalYear = None,
):
    # Built once per store and import run, then served gzipped from memory (with ETag).
    key = ("geojson", level, parent, area_set, indicator, period)
    return cached_response(request, session, key,
                           lambda: _geojson_body(session, level, parent, area_set, indicator, period),
                           "application/geo+json")


def _geojson_body(session: Session, level: str, parent: str | None, area_set: str | None,
                  indicator: str | None, period: int | None) -> str:
    index = area_index(session)
    lvl = _level(level)
    if area_set is not None and area_set not in index.sets:
        raise HTTPException(404, f"onbekende gebiedsset {area_set!r}")
    if parent is not None and parent not in index.areas:
        raise HTTPException(404, f"onbekend gebied {parent!r}")
    values: dict[str, dict] = {}
    unit = None
    attribution = _attribution(session, ["cbs-wbk-2022"])
    if indicator is not None:
        _check_indicators([indicator])
        unit = load_catalogue()[indicator].unit
        period = period or latest_period(session, indicator)
    codes = index.at_level(lvl, parent=parent, area_set=area_set, year=period)
    if indicator is not None:
        frame = area_values(session, codes, [indicator], [period] if period else None)
        values = {r["area_code"]: r for r in _records(frame)}
        attribution = _attribution(session, set(frame["source_id"]) | {"cbs-wbk-2022"})
    features = []
    for code in codes:
        area = index.areas[code]
        props = {"code": code, "name": area.name, "level": area.level.value,
                 "parent_code": area.parent_code}
        if indicator is not None:
            row = values.get(code)
            props.update(indicator=indicator, period=period, unit=unit,
                         value=row["value"] if row else None,
                         status=row["status"] if row else Status.MISSING.value)
        features.append((code, props))
    body = feature_collection(session, features, period)
    return body[:-1] + ',"attribution":' + json.dumps(attribution) + "}"


@router.get("/sources", summary="Bronnen met licentie en bronvermelding")
def list_sources(session: SessionDep):
    return {"sources": [
        {"id": s.id, "publisher": s.publisher, "title": s.title, "table_id": s.table_id,
         "year": s.year, "licence": s.licence, "attribution": s.attribution, "url": s.url,
         "description": s.description}
        for s in _sources(session).values()
    ], "statuses": {s.value: s.label for s in Status}}


@router.get("/status", summary="Laatste import")
def import_status(session: SessionDep):
    run = session.scalars(select(ImportRun).order_by(ImportRun.id.desc()).limit(1)).first()
    if run is None:
        return {"imported": False}
    return {"imported": True, "finished_at": run.finished_at, "summary": run.summary,
            "netherlands": NETHERLANDS_CODE, "formats": FORMATS}
