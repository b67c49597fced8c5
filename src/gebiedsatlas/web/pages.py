"""HTML pages of the atlas: home, search, map and sources (server-rendered, progressively enhanced).

``templates`` is re-exported here so other page routers can ``from gebiedsatlas.web.pages import
templates`` and extend ``base.html``.
"""

from __future__ import annotations

import json
import math
import threading
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from gebiedsatlas.analysis.availability import indicators_with_data, missing_sources
from gebiedsatlas.analysis.choropleth import MAP_LEVELS, SCOPE_NETHERLANDS, MapQuery, map_data, store_version
from gebiedsatlas.analysis.classify import Method
from gebiedsatlas.analysis.distribution import periods_by_indicator
from gebiedsatlas.areas.codes import NETHERLANDS_CODE, Level
from gebiedsatlas.areas.index import area_index
from gebiedsatlas.errors import InputError
from gebiedsatlas.indicators.catalogue import load_catalogue
from gebiedsatlas.indicators.values import area_set_values, area_values, available_periods, latest_period
from gebiedsatlas.status import Status
from gebiedsatlas.store.models import Source
from gebiedsatlas.web.cache import cached_response
from gebiedsatlas.web.deps import get_session
from gebiedsatlas.web.formatting import format_value
from gebiedsatlas.web.params import MAX_YEAR, MIN_YEAR, OptionalYear, parse_year
from gebiedsatlas.web.templating import templates

__all__ = ["router", "templates"]

router = APIRouter(include_in_schema=False)
SessionDep = Annotated[Session, Depends(get_session)]

NEW_TOWNS_SET = "nta"
HOME_INDICATORS = ("inwoners", "woningvoorraad", "laag_inkomen", "lbm_score")
# Maps with more areas than this load their table after the map is drawn (see map.html).
INLINE_TABLE_ROWS = 1000
_home_cache: dict[tuple, dict] = {}
_home_lock = threading.Lock()


def _cell(row) -> dict:
    """A value cell for a template: number or None, with its status and method note."""
    value = None if row is None or math.isnan(row["value"]) else float(row["value"])
    status = Status.MISSING.value if row is None else row["status"]
    return {"value": value, "status": status, "method": None if row is None else row["method"]}


def home_figures(session: Session) -> dict:
    """Key figures of the seven New Towns, the New Towns together and Nederland (latest periods)."""
    key = (str(session.get_bind().url), store_version(session))
    with _home_lock:
        if key in _home_cache:
            return _home_cache[key]
    catalogue = load_catalogue()
    index = area_index(session)
    towns = list(index.sets[NEW_TOWNS_SET].members)
    periods = {i: latest_period(session, i) for i in HOME_INDICATORS}
    frame = area_values(session, [*towns, NETHERLANDS_CODE], list(HOME_INDICATORS))
    sets = area_set_values(session, NEW_TOWNS_SET, list(HOME_INDICATORS))
    rows_by = {(r["area_code"], r["indicator_id"], r["period"]): r for r in frame.to_dict("records")}
    rows_by |= {(NEW_TOWNS_SET, r["indicator_id"], r["period"]): r for r in sets.to_dict("records")}
    columns = [{"indicator": catalogue[i], "period": periods[i]} for i in HOME_INDICATORS]
    rows = []
    for code, name, kind in ([(c, index.areas[c].name, "gemeente") for c in towns]
                             + [(NEW_TOWNS_SET, index.sets[NEW_TOWNS_SET].name, "set"),
                                (NETHERLANDS_CODE, "Nederland", "land")]):
        cells = [_cell(rows_by.get((code, i, periods[i]))) for i in HOME_INDICATORS]
        rows.append({"code": code, "name": name, "kind": kind, "cells": cells})
    result = {"columns": columns, "rows": rows}
    with _home_lock:
        _home_cache[key] = result
    return result


def data_status(session: Session) -> dict:
    """Which data the atlas serves: the bundled snapshot, what was fetched (and imported) when, how to update."""
    from gebiedsatlas.store import fetch_runs

    return {"bundled": fetch_runs.BUNDLED, "update_all": fetch_runs.UPDATE_ALL,
            "last_import": fetch_runs.last_import(session), "connectors": fetch_runs.connector_states(session)}


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: SessionDep):
    """The seven New Towns at a glance: the key table, a map of their wijken on one key indicator (the
    Leefbaarometer by default, ``?indicator=`` another), a search box and a card for every section."""
    return templates.TemplateResponse(request, "home.html", {
        "figures": home_figures(session), "data_status": data_status(session),
        "tile_url": request.app.state.settings.tile_url,
        **_home_map(request, session)})


HOME_MAP_INDICATOR = "lbm_score"


def _home_map(request: Request, session: Session) -> dict:
    """The home map: the wijken of the New Towns, one town at a time, on one indicator."""
    present = indicators_with_data(session)
    wanted = request.query_params.get("indicator") or HOME_MAP_INDICATOR
    catalogue = load_catalogue()
    indicator = wanted if wanted in present and wanted in catalogue else HOME_MAP_INDICATOR
    if indicator not in present or NEW_TOWNS_SET not in area_index(session).sets:
        return {"home_map": None}
    data = map_data(session, MapQuery(indicator, "wijk", NEW_TOWNS_SET))
    q = data["query"]
    map_json = json.dumps(_client_data(data), separators=(",", ":"), ensure_ascii=False).replace("</", "<\\/")
    return {"home_map": {
        "data": data, "map_json": map_json,
        "geojson_url": "/api/geojson?" + urlencode({"level": "wijk", "period": q["period"], "area_set": NEW_TOWNS_SET}),
        "context_url": "/api/reference-layer?" + urlencode({"scope": NEW_TOWNS_SET}),
        "towns": area_index(session).towns(NEW_TOWNS_SET), "share_url": _map_url(q),
        "choices": [(catalogue.themes[t], [i for i in inds if i.id in present])
                    for t, inds in catalogue.by_theme().items() if any(i.id in present for i in inds)],
    }}


@router.get("/zoeken", response_class=HTMLResponse)
def search(request: Request, session: SessionDep,
           q: Annotated[str, Query(max_length=100)] = ""):
    """Search any gemeente, wijk or buurt by name or code (server-rendered results)."""
    index = area_index(session)
    found = index.search(q, limit=50) if q.strip() else []
    results = [{"area": a, "parents": [p.name for p in index.ancestors(a.code)
                                        if p.level in (Level.GEMEENTE, Level.WIJK)]} for a in found]
    return templates.TemplateResponse(request, "search.html", {"q": q, "results": results})


def _map_options(session: Session) -> dict:
    """Choices for the map form: indicators by theme, levels, scopes, methods."""
    catalogue = load_catalogue()
    index = area_index(session)
    towns = [index.areas[c] for c in index.sets[NEW_TOWNS_SET].members]
    gemeenten = sorted((a for a in index.areas.values() if a.level is Level.GEMEENTE), key=lambda a: a.name)
    # Only indicators with data are offered; the others are named once, with how to load them.
    present = indicators_with_data(session)
    themes = [(catalogue.themes[t], [i for i in inds if i.id in present]) for t, inds in catalogue.by_theme().items()]
    return {
        "themes": [(label, inds) for label, inds in themes if inds],
        "missing": missing_sources(session, catalogue),
        "periods_json": json.dumps(periods_by_indicator(session), separators=(",", ":")),
        "levels": [(lv.value, lv.label) for lv in MAP_LEVELS],
        "towns": towns,
        "gemeenten": gemeenten,
        "sets": [s for s in index.sets.values()],
        "methods": [(m.value, m.label) for m in Method],
        "references": [("", "Geen (de waarden zelf)"), (NETHERLANDS_CODE, "Afwijking t.o.v. Nederland"),
                       (NEW_TOWNS_SET, "Afwijking t.o.v. de New Towns samen")],
    }


@router.get("/kaart", response_class=HTMLResponse)
def map_page(
    request: Request,
    session: SessionDep,
    indicator: str = MapQuery.indicator,
    level: str = MapQuery.level,
    scope: str = MapQuery.scope,
    period: str = "",
    method: str = MapQuery.method,
    k: str = str(MapQuery.k),
    ref: str = "",
    renderer: str = "canvas",
):
    """A choropleth of one indicator; the URL holds the whole state of the map."""
    error = None
    data = None
    try:
        try:
            period_value = parse_year(period) if period else None
        except ValueError:
            raise InputError("kaart", "ongeldige periode", column="period",
                             expected=f"een jaartal van {MIN_YEAR} tot en met {MAX_YEAR}", found=period[:100]) from None
        try:
            k_value = int(k)
        except ValueError:
            raise InputError("kaart", "ongeldig aantal klassen", column="k", expected="2 tot en met 9",
                             found=k) from None
        data = map_data(session, MapQuery(indicator, level, scope, period_value, method, k_value, ref))
    except InputError as exc:
        error = str(exc)
    renderer = "svg" if renderer == "svg" else "canvas"
    tile_url = request.app.state.settings.tile_url
    if data is None:
        context = {"options": _map_options(session), "error": error, "data": None, "periods": [],
                   "renderer": renderer, "tile_url": tile_url,
                   "query": {"indicator": indicator, "level": level, "scope": scope, "period": period,
                             "method": method, "k": k, "ref": ref}}
        return templates.TemplateResponse(request, "map.html", context, status_code=400)
    # The page of all NL wijken is ~0.5 MB of HTML: render once per map state and import run.
    key = ("kaart", *sorted(data["query"].items()), renderer, tile_url)
    return cached_response(request, session, key,
                           lambda: _render_map(request, session, data, renderer, tile_url),
                           "text/html; charset=utf-8")


def _render_map(request: Request, session: Session, data: dict, renderer: str, tile_url: str) -> str:
    """The HTML of a map page with valid ``data``."""
    q = data["query"]
    geo = {"level": q["level"], "period": q["period"]}
    if q["scope"] in area_index(session).sets:
        geo["area_set"] = q["scope"]
    elif q["scope"] != SCOPE_NETHERLANDS:
        geo["parent"] = q["scope"]
    # The JSON the map script joins to the geometry; "</" escaped so it cannot close the script tag.
    map_json = json.dumps(_client_data(data), separators=(",", ":"), ensure_ascii=False).replace("</", "<\\/")
    context = {
        "request": request, "options": _map_options(session), "error": None, "data": data,
        "renderer": renderer, "tile_url": tile_url, "query": q,
        "periods": available_periods(session, q["indicator"]),
        "geojson_url": "/api/geojson?" + urlencode(geo), "map_json": map_json,
        "context_url": "/api/reference-layer?" + urlencode({"scope": q["scope"]}),
        "towns": area_index(session).towns(q["scope"]),
        "share_url": _map_url(q),
        "inline_table": len(data["areas"]) <= INLINE_TABLE_ROWS,
        "table_url": "/kaart/tabel?" + urlencode(_url_params(q)),
    }
    return templates.get_template("map.html").render(context)


def _url_params(q: dict) -> dict:
    return {k: v for k, v in q.items() if v not in (None, "")}


def _map_url(q: dict) -> str:
    return "/kaart?" + urlencode(_url_params(q))


@router.get("/kaart/tabel", response_class=HTMLResponse)
def map_table_page(
    request: Request,
    session: SessionDep,
    indicator: str = MapQuery.indicator,
    level: str = MapQuery.level,
    scope: str = MapQuery.scope,
    period: OptionalYear = None,
    method: str = MapQuery.method,
    k: int = MapQuery.k,
    ref: str = "",
    fragment: bool = False,
):
    """The data of a map as a table: a page of its own, or (``fragment=1``) the table for the map page."""
    try:
        data = map_data(session, MapQuery(indicator, level, scope, period, method, k, ref))
    except InputError as exc:
        raise HTTPException(400, str(exc)) from None
    name = "_map_table.html" if fragment else "map_table.html"
    key = ("kaart-tabel", *sorted(data["query"].items()), fragment)
    return cached_response(request, session, key, lambda: templates.get_template(name).render(
        {"request": request, "data": data, "map_url": _map_url(data["query"])}), "text/html; charset=utf-8")


def _client_data(data: dict) -> dict:
    """What the map script needs: per area its class and its formatted value (Dutch)."""
    ind = data["indicator"]
    # A third element 1 marks "te kleine aantallen": drawn apart from "geen gegevens".
    areas = {a["code"]: [a["class"], format_value(a["value"], a["status"], ind["decimals"], ind["unit"])]
             + ([1] if a["class"] is None and a["status"] == "too_small" else [])
             for a in data["areas"]}
    colours = [c["colour"] for c in data["classification"]["classes"]]
    worse = {"higher_is_worse": "high", "higher_is_better": "low"}.get(ind["direction"])
    return {"areas": areas, "colours": colours, "noData": data["classification"]["no_data"]["colour"],
            "tooSmall": data["classification"]["too_small"]["colour"],
            "period": data["period"], "label": ind["label"], "worse": worse}


@router.get("/bronnen", response_class=HTMLResponse)
def sources_page(request: Request, session: SessionDep):
    """Every source with licence and attribution, the value statuses and the aggregation rules."""
    catalogue = load_catalogue()
    sources = list(session.scalars(select(Source).order_by(Source.publisher, Source.year)))
    return templates.TemplateResponse(request, "sources.html", {
        "sources": sources, "statuses": list(Status), "catalogue": catalogue, "data_status": data_status(session),
    })


QUALITY_PAGE_ROWS = 500


@router.get("/kwaliteit", response_class=HTMLResponse)
def quality_page(request: Request, session: SessionDep,
                 status: Annotated[str, Query()] = Status.IMPLAUSIBLE.value):
    """The data-quality report: values not shown as numbers, per indicator, each with its reason."""
    from gebiedsatlas.indicators.quality import quality_counts, quality_rows

    if status not in (Status.IMPLAUSIBLE.value, Status.TOO_SMALL.value):
        raise HTTPException(400, "kies status=implausible of status=too_small")
    catalogue = load_catalogue()
    counts = quality_counts(session)
    rows = quality_rows(session, status, QUALITY_PAGE_ROWS + 1)
    return templates.TemplateResponse(request, "quality.html", {
        "counts": counts, "rows": rows[:QUALITY_PAGE_ROWS], "more": len(rows) > QUALITY_PAGE_ROWS,
        "status": Status(status), "statuses": [Status.IMPLAUSIBLE, Status.TOO_SMALL], "catalogue": catalogue,
        "limit": QUALITY_PAGE_ROWS,
    })
