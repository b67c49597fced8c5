"""Comparing two to six areas side by side: one row per indicator, one column per area.

Each row uses one period for all areas (the latest in which at least one of them has a value, or
the requested period), so the numbers in a row are comparable. Areas may be real areas, ``NL01``
(Nederland) or an area set such as ``nta`` (the New Towns together, aggregated by each indicator's
rule).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from gebiedsatlas.analysis.profile import Reference, Value, rank_among, reference_values, values_by_indicator
from gebiedsatlas.areas.codes import NETHERLANDS_CODE
from gebiedsatlas.areas.index import area_index
from gebiedsatlas.indicators.catalogue import (
    AggregationMethod,
    Catalogue,
    Direction,
    IndicatorDef,
    SourceInfo,
    load_catalogue,
)
from gebiedsatlas.indicators.values import area_values

MIN_AREAS, MAX_AREAS = 2, 6


class CompareError(ValueError):
    """A comparison request that cannot be answered; the message is Dutch and names the field."""


@dataclass(frozen=True)
class CompareArea:
    code: str
    name: str
    level: str  # gemeente, wijk, buurt, land, or "gebiedsset"

    def as_dict(self) -> dict:
        return {"code": self.code, "name": self.name, "level": self.level}


@dataclass(frozen=True)
class CompareRow:
    indicator: IndicatorDef
    period: int | None
    values: tuple[Value | None, ...]  # one per area, None when the area has no row for the period
    ranks: tuple[int | None, ...]  # 1 = best by direction (highest when neutral), among these areas
    source: SourceInfo | None

    def as_dict(self, areas: Sequence[CompareArea]) -> dict:
        return {
            "indicator_id": self.indicator.id, "label": self.indicator.label, "unit": self.indicator.unit,
            "direction": self.indicator.direction.value, "period": self.period,
            "values": [{"area": a.code, **(v.as_dict() if v else {"value": None, "status": "missing"}),
                        "rank": r} for a, v, r in zip(areas, self.values, self.ranks, strict=True)],
            "attribution": self.source.attribution if self.source else None,
        }


@dataclass(frozen=True)
class Comparison:
    areas: tuple[CompareArea, ...]
    themes: tuple[tuple[str, str, tuple[CompareRow, ...]], ...]  # (theme id, label, rows)

    @property
    def rows_flat(self) -> list[CompareRow]:
        return [r for _, _, rows in self.themes for r in rows]

    def row(self, indicator_id: str) -> CompareRow:
        return next(r for r in self.rows_flat if r.indicator.id == indicator_id)

    def as_dict(self) -> dict:
        return {"areas": [a.as_dict() for a in self.areas],
                "themes": [{"id": t, "label": label, "rows": [r.as_dict(self.areas) for r in rows]}
                           for t, label, rows in self.themes]}

    def rows(self) -> list[dict]:
        """Long form for CSV: one row per indicator × area."""
        out = []
        for _, label, rows in self.themes:
            for row in rows:
                for area, value, rank in zip(self.areas, row.values, row.ranks, strict=True):
                    out.append({
                        "thema": label, "indicator_id": row.indicator.id, "indicator": row.indicator.label,
                        "eenheid": row.indicator.unit, "richting": row.indicator.direction.label,
                        "gebied_code": area.code, "gebied_naam": area.name, "niveau": area.level,
                        "periode": row.period,
                        "waarde": value.value if value and value.has_value else None,
                        "status": value.status if value else "missing",
                        "methode": value.method if value else None, "rang": rank,
                        "bron": row.source.attribution if row.source else "",
                    })
        return out


COMPARE_COLUMNS = ["thema", "indicator_id", "indicator", "eenheid", "richting", "gebied_code", "gebied_naam",
                   "niveau", "periode", "waarde", "status", "methode", "rang"]


def compare_areas(session: Session, codes: Sequence[str], *, indicator_ids: Sequence[str] | None = None,
                  period: int | None = None, catalogue: Catalogue | None = None) -> Comparison:
    """Compare ``codes`` (2 to 6 area codes or area-set ids); raises CompareError for bad input."""
    catalogue = catalogue or load_catalogue()
    index = area_index(session)
    codes = list(dict.fromkeys(c.strip() for c in codes if c and c.strip()))  # keep order, drop doubles
    if not MIN_AREAS <= len(codes) <= MAX_AREAS:
        raise CompareError(f"areas: kies {MIN_AREAS} tot {MAX_AREAS} verschillende gebieden, "
                           f"gevonden {len(codes)}")
    unknown = [c for c in codes if c not in index.areas and c not in index.sets]
    if unknown:
        raise CompareError(f"areas: onbekende gebiedscode(s) {', '.join(unknown)}; verwacht bijvoorbeeld "
                           "GM0034, WK003401, BU00340101, NL01 of nta")
    wanted = [i for i in (indicator_ids or catalogue.indicators)]
    missing = [i for i in wanted if i not in catalogue]
    if missing:
        raise CompareError(f"indicators: onbekende indicator(en) {', '.join(missing)}")

    areas: list[CompareArea] = []
    values: list[dict[str, dict[int, Value]]] = []
    plain = [c for c in codes if c in index.areas and c != NETHERLANDS_CODE]
    plain_frame = area_values(session, plain, wanted) if plain else None
    for code in codes:
        if code in index.sets:
            area_set = index.sets[code]
            areas.append(CompareArea(code, area_set.name, "gebiedsset"))
            frame = reference_values(session, Reference(code, area_set.name, code, kind="set"), catalogue)
            values.append(values_by_indicator(frame, code))
        elif code == NETHERLANDS_CODE:
            areas.append(CompareArea(code, index.areas[code].name, index.areas[code].level.value))
            frame = reference_values(session, Reference("nl", "Nederland", code), catalogue)
            values.append(values_by_indicator(frame, code))
        else:
            info = index.areas[code]
            areas.append(CompareArea(code, info.name, info.level.value))
            values.append(values_by_indicator(plain_frame, code))

    # Counts (inhabitants, dwellings) are only ranked among areas of one level: the New Towns
    # together always have more inhabitants than one of them.
    same_level = len({a.level for a in areas}) == 1
    themes = []
    for theme_id, indicators in catalogue.by_theme().items():
        rows = []
        for ind in indicators:
            if ind.id not in wanted:
                continue
            per_area = [v.get(ind.id, {}) for v in values]
            rows.append(_row(ind, per_area, period, catalogue, rank=same_level or not_a_count(ind)))
        if rows:
            themes.append((theme_id, catalogue.themes[theme_id], tuple(rows)))
    return Comparison(tuple(areas), tuple(themes))


def not_a_count(ind: IndicatorDef) -> bool:
    return ind.aggregation.method is not AggregationMethod.SUM


def _row(ind: IndicatorDef, per_area: list[dict[int, Value]], period: int | None,
         catalogue: Catalogue, rank: bool = True) -> CompareRow:
    with_value = sorted({p for by_period in per_area for p, v in by_period.items() if v.has_value})
    if period is not None and period in with_value:
        chosen = period
    else:
        chosen = with_value[-1] if with_value else max((p for bp in per_area for p in bp), default=None)
    cells = tuple(bp.get(chosen) if chosen is not None else None for bp in per_area)
    numbers = [c.value for c in cells if c and c.has_value]
    direction = ind.direction if ind.direction is not Direction.NEUTRAL else Direction.HIGHER_IS_BETTER
    ranks = tuple(rank_among(c.value, numbers, direction) if rank and c and c.has_value and len(numbers) > 1
                  else None for c in cells)
    source_id = next((c.source_id for c in cells if c and c.source_id), None)
    return CompareRow(ind, chosen, cells, ranks, catalogue.sources.get(source_id) if source_id else None)
