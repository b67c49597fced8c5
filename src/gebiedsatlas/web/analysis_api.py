"""The analysis API under ``/api/analysis``: references, deviations, peers, kwetsbaarheidsscore,
aandachtsgebieden, typology and change signals. Every table is also CSV (``format=csv|csv-nl``)."""

from __future__ import annotations

import math
from typing import Annotated

import numpy as np
from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import Response
from sqlalchemy.orm import Session

from gebiedsatlas.analysis.attention import attention_areas
from gebiedsatlas.analysis.change import change_signals
from gebiedsatlas.analysis.peers import DEFAULT_K, default_period, find_peers
from gebiedsatlas.analysis.reference import REFERENCE_KINDS, ReferenceKind, compare, scope_deviations
from gebiedsatlas.analysis.summary import area_summary
from gebiedsatlas.analysis.typology import DEFAULT_K as TYPOLOGY_K
from gebiedsatlas.analysis.typology import typology
from gebiedsatlas.analysis.vulnerability import load_config, vulnerability
from gebiedsatlas.areas.codes import Level
from gebiedsatlas.areas.geometry import feature_collection
from gebiedsatlas.areas.index import area_index
from gebiedsatlas.indicators.catalogue import load_catalogue
from gebiedsatlas.web.deps import get_session
from gebiedsatlas.web.exports import csv_response
from gebiedsatlas.web.params import OptionalYear, YearFrom, YearTo

router = APIRouter(prefix="/api/analysis", tags=["analyse"])

SessionDep = Annotated[Session, Depends(get_session)]
FormatQuery = Annotated[str, Query(description="json, csv of csv-nl (Excel NL: ; en decimale komma)",
                                   pattern="^(json|csv|csv-nl)$")]
LevelQuery = Annotated[str, Query(description="wijk of buurt (gemeente kan ook)")]
ScopeQuery = Annotated[str, Query(description="nta (de zeven New Towns), nl (heel Nederland) of een gemeentecode")]
CBS = "Bron: CBS, CC BY 4.0"
LBM = "Bron: Leefbaarometer 3.0, Ministerie van BZK"
ATTRIBUTION = f"{CBS}; {LBM}; bewerking Gebiedsatlas"


def clean(value):
    """JSON-safe scalars: NaN/inf -> None, numpy -> Python."""
    if isinstance(value, float | np.floating):
        return None if not math.isfinite(float(value)) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    return value


def _split(text: str | None) -> list[str]:
    return [p.strip() for p in (text or "").split(",") if p.strip()]


def _level(text: str) -> Level:
    try:
        level = Level(text)
    except ValueError:
        raise HTTPException(400, f"level: verwacht gemeente, wijk of buurt, gevonden {text!r}") from None
    if level not in (Level.GEMEENTE, Level.WIJK, Level.BUURT):
        raise HTTPException(400, f"level: verwacht gemeente, wijk of buurt, gevonden {text!r}")
    return level


def _scope(session: Session, scope: str) -> str:
    index = area_index(session)
    if scope == "nl" or scope in index.sets:
        return scope
    if scope in index.areas and index.areas[scope].level is Level.GEMEENTE:
        return scope
    raise HTTPException(404, f"scope: onbekend; verwacht nta, nl of een gemeentecode (GMnnnn), gevonden {scope!r}")


def _area(session: Session, code: str) -> str:
    if code not in area_index(session).areas:
        raise HTTPException(404, f"onbekend gebied {code!r}")
    return code


def _table(rows: list[dict], columns: list[str], fmt: str, filename: str, body: dict) -> dict | Response:
    rows = [clean(r) for r in rows]
    if fmt != "json":
        return csv_response(rows, columns, dialect=fmt, filename=filename, attribution=ATTRIBUTION)
    return {**clean(body), "count": len(rows), "rows": rows, "attribution": ATTRIBUTION}


@router.get("/references", summary="Referentiegroepen")
def list_references():
    return {"references": [
        {"id": k.value, "label": k.label(Level.WIJK), "description": k.description} for k in ReferenceKind
    ]}


DEVIATION_COLUMNS = ["area_code", "area_name", "indicator_id", "period", "reference", "reference_label",
                     "value", "reference_value", "raw_difference", "difference", "relative_difference",
                     "z_score", "percentile_rank", "index", "reference_count", "assessment", "reference_note"]


@router.get("/deviations", summary="Afwijkingen van een gebied ten opzichte van referenties")
def get_deviations(
    session: SessionDep,
    area: Annotated[str, Query(description="gebiedscode")],
    indicators: Annotated[str, Query(description="indicator-id's, komma-gescheiden")],
    references: Annotated[str | None, Query(description=f"komma-gescheiden uit {', '.join(REFERENCE_KINDS)}")] = None,
    period: OptionalYear = None,
    k: Annotated[int, Query(ge=1, le=50)] = DEFAULT_K,
    format: FormatQuery = "json",
):
    _area(session, area)
    catalogue = load_catalogue()
    ids = _split(indicators)
    unknown = [i for i in ids if i not in catalogue]
    if unknown or not ids:
        raise HTTPException(404 if unknown else 400,
                            f"onbekende indicator(en): {', '.join(unknown)}" if unknown
                            else "indicators: geef minstens één indicator-id")
    kinds = _split(references) or REFERENCE_KINDS
    bad = [r for r in kinds if r not in REFERENCE_KINDS]
    if bad:
        raise HTTPException(400, f"references: verwacht {', '.join(REFERENCE_KINDS)}, gevonden {', '.join(bad)}")
    rows = [compare(session, area, i, kind, period, k).row() for i in ids for kind in kinds]
    return _table(rows, DEVIATION_COLUMNS, format, f"afwijkingen-{area}", {"area": area})


SCOPE_DEVIATION_COLUMNS = ["area_code", "area_name", "gemeente_name", "reference_label", "value",
                           "reference_value", "raw_difference", "difference", "relative_difference", "z_score",
                           "percentile_rank", "index", "reference_count", "assessment"]


@router.get("/deviations/map", summary="Alle gebieden van een selectie ten opzichte van een referentie")
def get_scope_deviations(
    session: SessionDep,
    indicator: Annotated[str, Query(description="indicator-id")],
    reference: Annotated[str, Query(description=f"een van {', '.join(REFERENCE_KINDS)}")] = "nederland",
    level: LevelQuery = "wijk", scope: ScopeQuery = "nta", period: OptionalYear = None,
    k: Annotated[int, Query(ge=1, le=50)] = DEFAULT_K, format: FormatQuery = "json",
):
    if indicator not in load_catalogue():
        raise HTTPException(404, f"onbekende indicator {indicator!r}")
    if reference not in REFERENCE_KINDS:
        raise HTTPException(400, f"reference: verwacht {', '.join(REFERENCE_KINDS)}, gevonden {reference!r}")
    frame = scope_deviations(session, indicator, reference, _level(level), _scope(session, scope), period, k)
    rows = frame.to_dict("records")
    body = {"indicator": indicator, "reference": reference, "level": level, "scope": scope,
            "direction": load_catalogue()[indicator].direction.value}
    return _table(rows, SCOPE_DEVIATION_COLUMNS, format, f"afwijkingen-{indicator}-{reference}-{scope}", body)


PEER_COLUMNS = ["code", "name", "gemeente", "distance"]


@router.get("/peers/{code}", summary="Vergelijkbare gebieden (structuurkenmerken)")
def get_peers(session: SessionDep, code: str, k: Annotated[int, Query(ge=1, le=50)] = DEFAULT_K,
              scope: ScopeQuery = "nl", period: OptionalYear = None, format: FormatQuery = "json"):
    _area(session, code)
    scope = _scope(session, scope)
    try:
        result = find_peers(session, code, k=k, period=period, scope=scope)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    rows = [{**p.__dict__, "z": result.peer_z.get(p.code)} for p in result.peers]
    body = {"area_code": code, "level": result.level, "period": result.period, "scope": result.scope,
            "features": result.features, "candidates": result.candidates, "area_z": result.area_z,
            "distance": "euclidisch op z-scores van de kenmerken (gestandaardiseerd over de kandidaten)"}
    return _table(rows, PEER_COLUMNS, format, f"vergelijkbaar-{code}", body)


def _config_dict() -> dict:
    config = load_config()
    return {
        "name": config.name, "method": config.method, "scale": config.scale, "cap": config.cap,
        "min_coverage": config.min_coverage, "threshold": config.threshold, "worst_share": config.worst_share,
        "sensitivity": {"draws": config.draws, "spread": config.spread, "seed": config.seed},
        "components": [{"id": c.id, "label": c.label, "domain": c.domain, "direction": c.direction.value,
                        "weight": c.weight, "phrase": c.phrase} for c in config.components],
    }


@router.get("/vulnerability/config", summary="De methode van de kwetsbaarheidsscore")
def get_vulnerability_config():
    return _config_dict()


@router.get("/vulnerability", summary="Kwetsbaarheidsscore per gebied (drijvers, dekking, gevoeligheid)")
def get_vulnerability(session: SessionDep, level: LevelQuery = "wijk", period: OptionalYear = None,
                      scope: ScopeQuery = "nta", format: FormatQuery = "json"):
    result = vulnerability(session, _level(level), period, _scope(session, scope))
    ids = result.config.ids
    columns = ["area_code", "area_name", "gemeente_code", "gemeente_name", "score", "rank", "rank_low",
               "rank_median", "rank_high", "coverage", "n_components", "inwoners", "no_score_reason", "drivers"]
    columns += [c for cid in ids for c in (cid, f"{cid}_std")]
    body = {"level": result.level, "period": result.period, "scope": result.scope,
            "standardised_on": result.population, "method": _config_dict()}
    return _table(result.rows(), columns, format, f"kwetsbaarheid-{result.level}-{result.scope}", body)


ATTENTION_COLUMNS = ["area_code", "area_name", "gemeente_code", "gemeente_name", "score", "rank", "of",
                     "rank_low", "rank_high", "coverage", "reasons", "driver_labels", "explanation"]


@router.get("/attention", summary="Aandachtsgebieden met uitleg")
def get_attention(session: SessionDep, level: LevelQuery = "wijk", period: OptionalYear = None,
                  scope: ScopeQuery = "nta",
                  threshold: Annotated[float | None, Query(description="drempel van de score")] = None,
                  worst_share: Annotated[float | None, Query(ge=0, le=1, description="aandeel slechtste")] = None,
                  format: FormatQuery = "json"):
    result = attention_areas(session, _level(level), period, _scope(session, scope), threshold, worst_share)
    body = {"level": result.level, "period": result.period, "scope": result.scope,
            "threshold": result.threshold, "worst_share": result.worst_share, "scored": result.scored}
    return _table(result.rows(), ATTENTION_COLUMNS, format, f"aandachtsgebieden-{result.scope}", body)


TYPE_COLUMNS = ["area_code", "area_name", "gemeente_name", "type_id", "type_name"]


@router.get("/typology", summary="Typologie: gebiedstypen en het type per gebied")
def get_typology(session: SessionDep, level: LevelQuery = "wijk", period: OptionalYear = None,
                 k: Annotated[int, Query(ge=2, le=12)] = TYPOLOGY_K, scope: ScopeQuery = "nta",
                 format: FormatQuery = "json"):
    from gebiedsatlas.analysis.matrix import scope_codes

    lvl = _level(level)
    scope = _scope(session, scope)
    result = typology(session, lvl, period, k)
    index = area_index(session)
    rows = []
    for code in scope_codes(index, lvl, scope, result.period):
        area_type = result.type_of(code)
        gemeente = index.gemeente_of(code)
        rows.append({"area_code": code, "area_name": index.areas[code].name,
                     "gemeente_name": gemeente.name if gemeente else None,
                     "type_id": area_type.id if area_type else None,
                     "type_name": area_type.name if area_type else None})
    body = {"level": result.level, "period": result.period, "k": result.k, "features": result.features,
            "fitted_on": result.fitted_on, "scope": scope,
            "types": [{"id": t.id, "name": t.name, "description": t.description, "size": t.size,
                       "centroid_z": t.centroid_z} for t in result.types]}
    return _table(rows, TYPE_COLUMNS, format, f"typologie-{result.level}-{scope}", body)


CHANGE_COLUMNS = ["area_code", "area_name", "gemeente_name", "value_from", "value_to", "change", "robust_z",
                  "signal", "signal_label", "omgerekend"]


@router.get("/change", summary="Signalen van verandering tussen twee perioden")
def get_change(session: SessionDep,
               indicator: Annotated[str, Query(description="indicator-id")] = "lbm_afwijking",
               period_from: YearFrom = None,
               period_to: YearTo = None,
               level: LevelQuery = "wijk", scope: ScopeQuery = "nta",
               z: Annotated[float, Query(gt=0, description="drempel voor |robuuste z|")] = 2.0,
               min_change: float | None = None,
               signals_only: bool = False, format: FormatQuery = "json"):
    if indicator not in load_catalogue():
        raise HTTPException(404, f"onbekende indicator {indicator!r}")
    try:
        result = change_signals(session, indicator, period_from, period_to, _level(level),
                                _scope(session, scope), z, min_change)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    body = {"indicator": indicator, "from": result.period_from, "to": result.period_to, "level": result.level,
            "scope": result.scope, "z_threshold": result.z_threshold, "min_change": result.min_change,
            "median_change": result.median_change, "noise_scale": result.noise_scale,
            "compared": result.compared, "exceeding": result.exceeding, "excluded_small": result.excluded_small,
            "signals": int(result.table["signal"].sum()), "boundary_year": result.boundary_year,
            "converted": result.converted, "unconvertible": result.unconvertible,
            "boundary_note": result.boundary_note}
    return _table(result.rows(signals_only), CHANGE_COLUMNS, format,
                  f"signalen-{indicator}-{result.period_from}-{result.period_to}", body)


@router.get("/area/{code}", summary="Type en kwetsbaarheid van één gebied (voor het gebiedsprofiel)")
def get_area_summary(session: SessionDep, code: str, period: OptionalYear = None):
    _area(session, code)
    return clean(area_summary(session, code, period))


@router.get("/geojson", summary="Kaartlaag: kwetsbaarheid, typologie of signalen als GeoJSON")
def get_layer(session: SessionDep,
              layer: Annotated[str, Query(pattern="^(vulnerability|typology|change|boundaries)$")],
              level: LevelQuery = "wijk", scope: ScopeQuery = "nta", period: OptionalYear = None,
              indicator: str = "lbm_afwijking", period_from: YearFrom = None,
              period_to: YearTo = None):
    from gebiedsatlas.analysis.matrix import scope_codes

    lvl = _level(level)
    scope = _scope(session, scope)
    index = area_index(session)
    props: dict[str, dict] = {}
    if layer == "vulnerability":
        result = attention_areas(session, lvl, period, scope)
        attention = {a.area_code: a for a in result.areas}
        vul = vulnerability(session, lvl, period, scope)
        year = vul.period
        for code, row in vul.table.iterrows():
            a = attention.get(code)
            props[code] = {"score": clean(row["score"]), "rank": clean(row["rank"]),
                           "coverage": clean(row["coverage"]), "attention": a is not None,
                           "explanation": a.explanation if a else None}
    elif layer == "typology":
        result = typology(session, lvl, period)
        year = result.period
        for code in scope_codes(index, lvl, scope, year):
            t = result.type_of(code)
            props[code] = {"type_id": t.id if t else None, "type_name": t.name if t else None}
    elif layer == "boundaries":
        # Only names and boundaries: pages colour them with figures they embed themselves.
        year = period or default_period(lvl)
    else:
        if indicator not in load_catalogue():
            raise HTTPException(404, f"onbekende indicator {indicator!r}")
        try:
            result = change_signals(session, indicator, period_from, period_to, lvl, scope)
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from None
        year = result.period_to
        for row in result.rows():
            props[row["area_code"]] = {k: row[k] for k in ("change", "robust_z", "signal", "signal_label")}
    features = []
    for code in scope_codes(index, lvl, scope, year):
        gemeente = index.gemeente_of(code)
        features.append((code, {"code": code, "name": index.areas[code].name,
                                "gemeente": gemeente.name if gemeente else None, **props.get(code, {})}))
    return Response(feature_collection(session, features, year), media_type="application/geo+json")
