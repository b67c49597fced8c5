"""The opgavekaart: ``/opgave`` (page), ``/api/opgave`` (JSON/CSV) and the exports of the matching areas.

- ``/opgave?scope=nta&level=buurt&min_<layer>=40&max_<layer>=0`` — the form is a GET form, so the URL
  holds the whole state and can be shared.
- ``/opgave.csv`` (``format=csv`` or ``csv-nl``), ``/opgave.xlsx``, ``/opgave.geojson`` (for QGIS):
  the matching areas with every layer's value, status, year and source.

The page only renders what ``gebiedsatlas.analysis.opgave`` computes; the map is drawn by
``static/js/analysis-map.js`` from the boundaries of ``/api/analysis/geojson`` and the colours the page
embeds (matching, not matching, not judged).
"""

from __future__ import annotations

import io
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy.orm import Session

from gebiedsatlas.analysis.opgave import (
    LAYERS,
    NEW_TOWNS_SCOPE,
    OpgaveResult,
    export_rows,
    filter_opgave,
    parse_thresholds,
)
from gebiedsatlas.areas.geometry import feature_collection
from gebiedsatlas.areas.index import area_index
from gebiedsatlas.errors import InputError
from gebiedsatlas.safe_cells import text_cells
from gebiedsatlas.web.deps import get_session
from gebiedsatlas.web.exports import csv_response
from gebiedsatlas.web.formatting import format_value
from gebiedsatlas.web.templating import templates

router = APIRouter()
SessionDep = Annotated[Session, Depends(get_session)]

# Colours of the map: matching areas dark, the others light; not judged = the grey of "geen gegevens"
# (analysis-map.js draws an area without a colour grey and dashed).
MATCH_COLOUR = "#08519c"
NO_MATCH_COLOUR = "#f2f0f7"
UNKNOWN_COLOUR = "#d9d9d9"
THRESHOLD_PARAMS = tuple(f"{op}_{spec.id}" for spec in LAYERS for op in ("min", "max"))
_MAX_PARAM = 50  # longer values are not numbers anyone types


def _params(request: Request) -> dict[str, str]:
    """The query parameters this page knows (others are ignored), each cut to a sane length."""
    known = ("scope", "level", *THRESHOLD_PARAMS)
    return {k: v[:_MAX_PARAM] for k, v in request.query_params.items() if k in known}


def _result(session: Session, params: dict[str, str]) -> OpgaveResult:
    return filter_opgave(session, params.get("scope") or NEW_TOWNS_SCOPE, params.get("level") or "wijk",
                         parse_thresholds(params))


def _result_or_400(session: Session, request: Request) -> OpgaveResult:
    try:
        return _result(session, _params(request))
    except InputError as exc:
        raise HTTPException(400, str(exc)) from None


def _query_string(result: OpgaveResult) -> str:
    """The URL parameters that restore ``result`` (only the thresholds that were given)."""
    params = {"scope": result.scope, "level": result.level.value}
    for t in result.thresholds:
        params[f"{t.op}_{t.layer_id}"] = f"{t.value:g}"
    return urlencode(params)


def _attribution(result: OpgaveResult) -> str:
    lines = {v.source for a in result.matches for v in a.values.values() if v.source}
    return "; ".join(sorted(lines)) or "Bron: zie /bronnen"


# --- API and exports -------------------------------------------------------------------------------

ScopeQuery = Annotated[str, Query(description="nta (alle New Towns) of een gemeentecode", max_length=20)]
LevelQuery = Annotated[str, Query(description="wijk of buurt", max_length=20)]
FormatQuery = Annotated[str, Query(description="json, csv of csv-nl (Excel NL)", pattern="^(json|csv|csv-nl)$")]


@router.get("/api/opgave", tags=["api"], summary="Opgavekaart: wijken of buurten die aan drempels per laag voldoen")
def api_opgave(request: Request, session: SessionDep, scope: ScopeQuery = NEW_TOWNS_SCOPE,
               level: LevelQuery = "wijk",
               format: FormatQuery = "json"):
    """The layers of the opgave (each with its own value, year and source; no single index) and the
    areas that meet every threshold. Thresholds are parameters ``min_<laag>`` (≥) and ``max_<laag>``
    (≤), e.g. ``min_aandeel_bouwperiode_1960_1989=40``. Areas without a value for a filtered layer do
    not match and are counted in ``counts.without_value``; a layer without data says ``nog niet
    geladen`` with the command that loads it."""
    result = _result_or_400(session, request)
    if format != "json":
        return _csv(result, format)
    return result.as_dict()


def _csv(result: OpgaveResult, dialect: str) -> Response:
    columns, rows = export_rows(result)
    return csv_response(rows, columns, dialect=dialect,
                        filename=f"opgave-{result.scope}-{result.level.value}", attribution=_attribution(result))


@router.get("/opgave.csv", include_in_schema=False)
def opgave_csv(request: Request, session: SessionDep,
               format: Annotated[str, Query(pattern="^(csv|csv-nl)$")] = "csv"):
    return _csv(_result_or_400(session, request), format)


@router.get("/opgave.xlsx", include_in_schema=False)
def opgave_xlsx(request: Request, session: SessionDep):
    """The matching areas as an Excel workbook: one sheet with the areas, one with the layers and filters."""
    result = _result_or_400(session, request)
    columns, rows = export_rows(result)
    wb = Workbook()
    sheet = wb.active
    sheet.title = "Gebieden"
    sheet.append(columns)
    for row in rows:
        sheet.append([row.get(c) for c in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    layers = wb.create_sheet("Lagen en filters")
    layers.append(["laag", "omschrijving", "eenheid", "status", "laatste jaar", "laden met", "filter"])
    by_layer = {}
    for t in result.thresholds:
        by_layer.setdefault(t.layer_id, []).append(f"{t.symbol} {t.value:g}")
    for layer in result.layers:
        layers.append([layer.id, layer.label, layer.unit, "geladen" if layer.loaded else layer.absent_text,
                       layer.latest_period, None if layer.loaded else layer.spec.load_command,
                       " en ".join(by_layer.get(layer.id, [])) or None])
    layers.append([])
    layers.append(["selectie", result.scope_label])
    layers.append(["niveau", result.level.plural])
    layers.append(["bron", _attribution(result)])
    text_cells(wb)  # area names and sources stay text, never formulas
    buffer = io.BytesIO()
    wb.save(buffer)
    return Response(buffer.getvalue(),
                    media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition":
                             f'attachment; filename="opgave-{result.scope}-{result.level.value}.xlsx"'})


@router.get("/opgave.geojson", include_in_schema=False)
def opgave_geojson(request: Request, session: SessionDep):
    """The matching areas with their boundaries (WGS84) and every layer's value, for QGIS."""
    result = _result_or_400(session, request)
    features = []
    for area in result.matches:
        props = {"code": area.code, "naam": area.name, "gemeente": area.gemeente}
        for layer in result.layers:
            v = area.values.get(layer.id)
            props[layer.id] = v.value if v else None
            props[f"{layer.id}_status"] = v.status if v else layer.absent_text
            props[f"{layer.id}_jaar"] = v.period if v else None
            props[f"{layer.id}_bron"] = v.source if v else None
        features.append((area.code, props))
    return Response(feature_collection(session, features, result.period), media_type="application/geo+json",
                    headers={"Content-Disposition":
                             f'attachment; filename="opgave-{result.scope}-{result.level.value}.geojson"'})


# --- the page --------------------------------------------------------------------------------------

def _scopes(session: Session) -> list[tuple[str, str]]:
    index = area_index(session)
    members = index.sets[NEW_TOWNS_SCOPE].members if NEW_TOWNS_SCOPE in index.sets else ()
    return [(NEW_TOWNS_SCOPE, "Alle zeven New Towns")] + [(c, index.areas[c].name) for c in members]


def _map_data(result: OpgaveResult) -> dict:
    """Per area its colour and the text of its tooltip (outcome and the filtered layers' values)."""
    by_id = {layer.id: layer for layer in result.layers}
    filtered = list(dict.fromkeys(t.layer_id for t in result.thresholds))
    colours, labels = {}, {}
    for area in result.areas:
        parts = []
        for layer_id in filtered:
            layer, v = by_id[layer_id], area.values[layer_id]
            parts.append(f"{layer.label}: {format_value(v.value, v.status, layer.decimals, layer.unit)}")
        if not result.thresholds:
            outcome = "geen filter gekozen"
        elif area.outcome == "onbekend":
            outcome = "niet te beoordelen (geen waarde)"
        else:
            outcome = area.outcome
        labels[area.code] = outcome + (" · " + "; ".join(parts) if parts else "")
        if area.outcome == "voldoet":
            colours[area.code] = MATCH_COLOUR
        elif area.outcome == "voldoet niet":
            colours[area.code] = NO_MATCH_COLOUR
    geo = urlencode({"layer": "boundaries", "scope": result.scope, "level": result.level.value,
                     "period": result.period or ""})
    return {"geojson": f"/api/analysis/geojson?{geo}", "colours": colours, "labels": labels}


@router.get("/opgave", response_class=HTMLResponse, include_in_schema=False)
def opgave_page(request: Request, session: SessionDep):
    """The layers of the opgave side by side: choose a scope and level, set thresholds, see map and list."""
    params = _params(request)
    try:
        result, error = _result(session, params), None
    except InputError as exc:
        error = str(exc)
        # Show the page with the same choices, without the bad threshold's effect.
        safe = {k: v for k, v in params.items() if k in ("scope", "level")}
        try:
            result = _result(session, safe)
        except InputError:
            result = _result(session, {})
    query = _query_string(result)
    scopes = _scopes(session)
    if result.scope not in dict(scopes):  # another gemeente by URL: the form shows what is on screen
        scopes.append((result.scope, result.scope_label))
    return templates.TemplateResponse(request, "opgave.html", {
        "result": result,
        "error": error,
        "params": params,
        "scopes": scopes,
        "levels": [("wijk", "Wijken"), ("buurt", "Buurten")],
        "map_data": _map_data(result),
        "colours": {"match": MATCH_COLOUR, "no_match": NO_MATCH_COLOUR, "unknown": UNKNOWN_COLOUR},
        "query": query,
        "tile_url": request.app.state.settings.tile_url,
        # Gemeente outlines and place names around the map; at an area-set scope one town at a time.
        "context_url": "/api/reference-layer?" + urlencode({"scope": result.scope}),
        "towns": area_index(session).towns(result.scope),
        "filtered": {t.layer_id for t in result.thresholds},
        "sources": _layer_sources(result),
    }, status_code=400 if error else 200)


def _layer_sources(result: OpgaveResult) -> dict[str, list[str]]:
    """Per loaded layer the distinct source lines of the values shown (the table's "Bron: …")."""
    found: dict[str, set[str]] = {}
    for area in result.areas:
        for layer_id, v in area.values.items():
            if v.source:
                found.setdefault(layer_id, set()).add(v.source)
    return {k: sorted(v) for k, v in found.items()}
