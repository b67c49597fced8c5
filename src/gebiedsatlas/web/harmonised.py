"""``GET /api/harmonised``: values on the boundaries of one target year, for trends across boundary changes.

The rules live in the domain (``indicators/harmonise.py``, on the crosswalk of ``areas/crosswalk.py``):
values already on the target boundaries, or of an area that did not change, pass as published; values
of changed areas are converted and get status ``converted`` ("omgerekend") with their method and
coverage (from the same forward crosswalk rows as the number); a value whose boundary year has no
crosswalk to the target is returned without a number (status ``missing``) and says so.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from gebiedsatlas.areas.index import area_index
from gebiedsatlas.indicators.harmonise import harmonised_values
from gebiedsatlas.indicators.values import VALUE_COLUMNS
from gebiedsatlas.status import Status
from gebiedsatlas.web.api import (
    FormatQuery,
    SessionDep,
    _attribution,
    _check_indicators,
    _records,
    _split,
    selected_area_codes,
)
from gebiedsatlas.web.exports import csv_response
from gebiedsatlas.web.params import year_list, year_query

router = APIRouter(prefix="/api", tags=["api"])
COLUMNS = [*VALUE_COLUMNS, "status_label"]


@router.get("/harmonised", summary="Waarden op de grenzen van één jaar (omgerekend waar nodig)")
def get_harmonised(
    session: SessionDep,
    indicators: Annotated[str, Query(description="indicator-id's, komma-gescheiden")],
    boundary_year: Annotated[int, year_query("Het grenzenjaar waarop alle waarden komen.")],
    areas: Annotated[str | None, Query(description="gebiedscodes, komma-gescheiden")] = None,
    level: Annotated[str | None, Query(description="alle gebieden van dit niveau…")] = None,
    parent: Annotated[str | None, Query(description="…binnen dit gebied")] = None,
    area_set: Annotated[str | None, Query(description="…binnen deze gebiedsset")] = None,
    periods: Annotated[str | None, Query(description="jaartallen, komma-gescheiden")] = None,
    format: FormatQuery = "json",
):
    index = area_index(session)
    indicator_ids = _check_indicators(_split(indicators))
    period_list = year_list(periods, "periods")
    codes = selected_area_codes(index, areas, level, parent, area_set)
    if not codes:
        raise HTTPException(400, "kies gebieden met areas= of level=")
    frame = harmonised_values(session, codes, indicator_ids, boundary_year, period_list)
    frame["area_name"] = frame["area_code"].map(lambda c: index.areas[c].name if c in index.areas else c)
    frame["level"] = frame["area_code"].map(lambda c: index.areas[c].level.value if c in index.areas else None)
    frame["boundary_year"] = boundary_year
    frame["status_label"] = frame["status"].map(lambda s: Status(s).label)
    frame = frame.reindex(columns=COLUMNS).sort_values(["indicator_id", "period", "area_code"], kind="stable")
    rows = _records(frame)
    attribution = _attribution(session, {s for s in frame["source_id"] if isinstance(s, str)})
    if format != "json":
        return csv_response(rows, COLUMNS, dialect=format, filename=f"waarden-grenzen-{boundary_year}",
                            attribution=attribution)
    return {
        "boundary_year": boundary_year,
        "note": f"Alle waarden op de gebiedsgrenzen van {boundary_year}; waarden van andere grenzen zijn "
                "omgerekend waar de grenzen veranderden (status 'converted', 'omgerekend') met de methode en de "
                "dekking (uit dezelfde rijen van de omrekentabel als het getal). Zonder omrekentabel: geen getal "
                "(status 'missing') met de reden.",
        "count": len(rows), "values": rows, "attribution": attribution,
    }
