"""One area's analysis summary (type, kwetsbaarheidsscore, drivers) for the area profile page."""

from __future__ import annotations

import math

from sqlalchemy.orm import Session

from gebiedsatlas.analysis.attention import explain
from gebiedsatlas.analysis.reference import NTA_SET
from gebiedsatlas.analysis.typology import typology
from gebiedsatlas.analysis.vulnerability import load_config, vulnerability
from gebiedsatlas.areas.codes import Level, level_of
from gebiedsatlas.areas.index import area_index


def _rank_in(result, code: str) -> dict | None:
    table = result.table
    if code not in table.index or math.isnan(table.at[code, "score"]):
        return None
    return {"rank": int(table.at[code, "rank"]), "of": int(table["score"].notna().sum()),
            "rank_low": float(table.at[code, "rank_low"]), "rank_high": float(table.at[code, "rank_high"])}


def area_summary(session: Session, code: str, period: int | None = None) -> dict:
    """Type and kwetsbaarheidsscore of a wijk or buurt; parts without data are ``None``.

    ``{"type": {...} | None, "vulnerability": {...} | None}``; the vulnerability part has the score,
    coverage, drivers (labels), a Dutch explanation, and the rank within the gemeente and within the
    New Towns with its sensitivity interval.
    """
    index = area_index(session)
    if code not in index.areas:
        raise KeyError(code)
    level = level_of(code)
    out: dict = {"area_code": code, "type": None, "vulnerability": None}
    if level not in (Level.WIJK, Level.BUURT):
        return out
    types = typology(session, level, period)
    area_type = types.type_of(code)
    if area_type is not None:
        out["type"] = {"id": area_type.id, "name": area_type.name, "description": area_type.description,
                       "period": types.period}
    gemeente = index.gemeente_of(code)
    in_nta = gemeente is not None and gemeente.code in index.sets.get(NTA_SET, ()).members \
        if NTA_SET in index.sets else False
    scope = NTA_SET if in_nta else (gemeente.code if gemeente else "nl")
    result = vulnerability(session, level, period, scope)
    if code in result.table.index and not math.isnan(result.table.at[code, "score"]):
        row = result.table.loc[code]
        config = load_config()
        drivers = list(row["drivers"])
        local = vulnerability(session, level, period, gemeente.code) if gemeente else None
        out["vulnerability"] = {
            "score": float(row["score"]), "coverage": float(row["coverage"]),
            "n_components": int(row["n_components"]), "total_components": len(config.components),
            "drivers": [config.component(d).label for d in drivers],
            "explanation": explain(drivers, None, config, level, float(row["coverage"]), float(row["score"])),
            "period": result.period,
            "rank_gemeente": _rank_in(local, code) if local is not None else None,
            "rank_nta": _rank_in(result, code) if scope == NTA_SET else None,
        }
    return out
