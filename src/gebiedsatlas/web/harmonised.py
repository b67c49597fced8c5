"""``GET /api/harmonised``: values on the boundaries of one target year, for trends across boundary changes.

Values already on the target boundaries pass unchanged; values of other boundary years are converted
through the stored crosswalk (``areas/crosswalk.py``; build it with ``gebiedsatlas crosswalk``) and get
status ``converted`` ("omgerekend") with their method and share of overlap. A value whose boundary
year has no crosswalk to the target is returned without a number (status ``missing``) and says so.
"""

from __future__ import annotations

from typing import Annotated

import numpy as np
import pandas as pd
from fastapi import APIRouter, HTTPException, Query

from gebiedsatlas.areas import crosswalk as cw
from gebiedsatlas.areas.index import area_index
from gebiedsatlas.indicators.catalogue import load_catalogue
from gebiedsatlas.indicators.values import VALUE_COLUMNS, observations
from gebiedsatlas.sources.values import Status
from gebiedsatlas.web.api import (
    FormatQuery,
    SessionDep,
    _attribution,
    _check_indicators,
    _int_list,
    _records,
    _split,
    selected_area_codes,
)
from gebiedsatlas.web.exports import csv_response

router = APIRouter(prefix="/api", tags=["api"])
COLUMNS = [*VALUE_COLUMNS, "status_label"]


@router.get("/harmonised", summary="Waarden op de grenzen van één jaar (omgerekend waar nodig)")
def get_harmonised(
    session: SessionDep,
    indicators: Annotated[str, Query(description="indicator-id's, komma-gescheiden")],
    boundary_year: Annotated[int, Query(description="het grenzenjaar waarop alle waarden komen")],
    areas: Annotated[str | None, Query(description="gebiedscodes, komma-gescheiden")] = None,
    level: Annotated[str | None, Query(description="alle gebieden van dit niveau…")] = None,
    parent: Annotated[str | None, Query(description="…binnen dit gebied")] = None,
    area_set: Annotated[str | None, Query(description="…binnen deze gebiedsset")] = None,
    periods: Annotated[str | None, Query(description="jaartallen, komma-gescheiden")] = None,
    format: FormatQuery = "json",
):
    index = area_index(session)
    indicator_ids = _check_indicators(_split(indicators))
    period_list = _int_list(periods, "periods")
    codes = selected_area_codes(index, areas, level, parent, area_set)
    if not codes:
        raise HTTPException(400, "kies gebieden met areas= of level=")
    catalogue = load_catalogue()
    needed = sorted(set(indicator_ids) | {i for ind in indicator_ids for i in catalogue[ind].aggregation.inputs})

    own = observations(session, codes, indicator_ids, period_list)
    direct = own[own["boundary_year"] == boundary_year]
    parts = [direct]
    done = set(zip(direct["area_code"], direct["indicator_id"], direct["period"], strict=True))
    for from_year in cw.crosswalk_years(session, boundary_year):
        forward = cw.load_crosswalk(session, from_year, boundary_year)
        forward = forward[forward["to_code"].isin(codes)]
        if forward.empty:
            continue
        backward = cw.load_crosswalk(session, boundary_year, from_year)
        source = observations(session, sorted(set(forward["from_code"])), needed, None)
        source = source[source["boundary_year"] == from_year]
        converted = cw.convert_values(source, forward, backward, catalogue, indicator_ids)
        if converted.empty:
            continue
        if period_list:
            converted = converted[converted["period"].isin(period_list)]
        keys = list(zip(converted["area_code"], converted["indicator_id"], converted["period"], strict=True))
        converted = converted[[k not in done for k in keys]]
        first_source = source.groupby(["indicator_id", "period"])["source_id"].first()
        converted["source_id"] = [first_source.get((i, p)) for i, p in
                                  zip(converted["indicator_id"], converted["period"], strict=True)]
        done |= set(zip(converted["area_code"], converted["indicator_id"], converted["period"], strict=True))
        parts.append(converted)
    # Values on other boundaries that could not be converted: no number, and the reason.
    stranded = own[own["boundary_year"] != boundary_year]
    stranded = stranded[[k not in done for k in zip(stranded["area_code"], stranded["indicator_id"],
                                                    stranded["period"], strict=True)]]
    if not stranded.empty:
        parts.append(stranded.assign(
            value=np.nan, status=Status.MISSING.value,
            method=[f"geen omrekentabel van grenzen {y} naar {boundary_year}" for y in stranded["boundary_year"]]))
    frame = pd.concat([p for p in parts if not p.empty], ignore_index=True) if any(
        not p.empty for p in parts) else pd.DataFrame(columns=VALUE_COLUMNS)
    frame["area_name"] = frame["area_code"].map(lambda c: index.areas[c].name if c in index.areas else c)
    frame["level"] = frame["area_code"].map(lambda c: index.areas[c].level.value if c in index.areas else None)
    frame["boundary_year"] = boundary_year
    frame["status_label"] = frame["status"].map(lambda s: Status(s).label)
    frame = frame.reindex(columns=COLUMNS).sort_values(["indicator_id", "period", "area_code"], kind="stable")
    rows = _records(frame)
    attribution = _attribution(session, {s for s in frame["source_id"] if s})
    if format != "json":
        return csv_response(rows, COLUMNS, dialect=format, filename=f"waarden-grenzen-{boundary_year}",
                            attribution=attribution)
    return {
        "boundary_year": boundary_year,
        "note": f"Alle waarden op de gebiedsgrenzen van {boundary_year}; waarden van andere grenzen zijn "
                "omgerekend (status 'converted', 'omgerekend') met de methode en de overlap.",
        "count": len(rows), "values": rows, "attribution": attribution,
    }
