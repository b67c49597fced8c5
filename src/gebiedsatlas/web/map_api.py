"""``/api/classify``: the classes, colours and per-area values of a choropleth map, as JSON."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from sqlalchemy.orm import Session

from gebiedsatlas.analysis.choropleth import MapQuery, map_data
from gebiedsatlas.areas.context import focus_gemeenten, reference_layer
from gebiedsatlas.areas.index import area_index
from gebiedsatlas.errors import InputError
from gebiedsatlas.web.cache import cached_response
from gebiedsatlas.web.deps import get_session
from gebiedsatlas.web.params import OptionalYear

router = APIRouter(prefix="/api", tags=["api"])


@router.get("/classify", summary="Klassenindeling en kleuren voor een kaart")
def get_classification(
    request: Request,
    session: Annotated[Session, Depends(get_session)],
    indicator: Annotated[str, Query(description="indicator-id")] = MapQuery.indicator,
    level: Annotated[str, Query(description="gemeente, wijk of buurt")] = MapQuery.level,
    scope: Annotated[str, Query(description="NL01 (heel Nederland), nta of een gemeentecode")] = MapQuery.scope,
    period: OptionalYear = None,
    method: Annotated[str, Query(description="quantiles, natural_breaks of equal_interval")] = MapQuery.method,
    k: Annotated[int, Query(description="aantal klassen (2-9)")] = MapQuery.k,
    ref: Annotated[str, Query(description="leeg, NL01 of nta: afwijking van deze referentie")] = "",
):
    """Breaks, colours and counts per class, and per area its value, status and class.

    Areas without a number (geheim, geen gegevens) have ``class: null`` and are counted apart.
    """
    query = MapQuery(indicator, level, scope, period, method, k, ref)
    try:
        data = map_data(session, query)
    except InputError as exc:
        raise HTTPException(400, str(exc)) from None
    return cached_response(request, session, ("classify", *sorted(data["query"].items())),
                           lambda: json.dumps(data, separators=(",", ":"), allow_nan=False),
                           "application/json")


@router.get("/reference-layer", summary="Referentielaag voor kaarten: gemeentegrenzen en plaatsnamen")
def get_reference_layer(
    request: Request,
    session: Annotated[Session, Depends(get_session)],
    scope: Annotated[str, Query(description="NL01, een gebiedsset (nta) of een gebiedscode", max_length=20)]
    = "NL01",
):
    """The gemeenten around a map's scope as GeoJSON, each with its name and a point for the label;
    ``focus`` marks the gemeenten the map is about. From the bundled boundaries: no external request."""
    index = area_index(session)
    if scope not in index.sets and scope.upper() not in index.areas and scope.upper() not in ("NL", "NL01"):
        raise HTTPException(404, f"scope: onbekend gebied of gebiedsset {scope!r}; verwacht NL01, nta of een code")
    focus = focus_gemeenten(index, scope)
    key = ("reference-layer", tuple(focus) if focus is not None else None)
    return cached_response(request, session, key, lambda: reference_layer(session, index, focus),
                           "application/geo+json")
