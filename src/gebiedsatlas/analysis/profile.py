"""Area profiles (gebiedsprofiel): everything the atlas knows about one area, grouped by theme.

For each indicator of the catalogue the profile holds the area's latest value with its status, the
values of its references at the same period (by default its gemeente, the New Towns together and
Nederland) with a better/worse mark that follows the indicator's direction, the area's rank among
its siblings (same parent, same level), the trend series where more than one period exists, and the
source, method and definition of the figure.

Trends use one boundary year throughout: the area's latest division (``indicators/harmonise.py``).
Values published on other boundaries are kept where the area did not change, converted through the
stored crosswalk where it did (status ``converted``, "omgerekend"), and shown without a number where
no crosswalk exists. Reference series are put on the same division (a gemeente like the area, an area
set from its harmonised members; Nederland as a whole has no boundary changes). ``TrendBasis`` says so
in words. Groups computed by a ``loader`` (e.g. similar areas) cannot be harmonised and get no trend.

References are pluggable (``Reference``): pass your own list to ``build_profile`` to compare with,
for example, an area set of the same type. Aggregates of area sets and Nederland are cached per
import, because computing Nederland for the whole catalogue takes about a second.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gebiedsatlas.areas.codes import NETHERLANDS_CODE, Level
from gebiedsatlas.areas.index import AreaIndex, AreaInfo, area_index
from gebiedsatlas.areas.sets import NEW_TOWNS_SET_ID
from gebiedsatlas.indicators.catalogue import (
    AggregationMethod,
    Catalogue,
    Direction,
    IndicatorDef,
    SourceInfo,
    load_catalogue,
)
from gebiedsatlas.indicators.harmonise import (
    harmonised_group_values,
    harmonised_values,
    is_unconvertible,
    latest_boundary_year,
)
from gebiedsatlas.indicators.values import area_set_values, area_values, netherlands_values, observations
from gebiedsatlas.status import Status
from gebiedsatlas.store.models import AreaCrosswalk, ImportRun

# Mark words: the text the interface shows next to a comparison (never colour alone).
BETTER, WORSE, EQUAL = "beter", "slechter", "gelijk"
HIGHER, LOWER = "hoger", "lager"


@dataclass(frozen=True)
class Value:
    """One value of one area (or reference) for one period; ``value`` is None without a number."""

    period: int
    value: float | None
    status: str
    source_id: str | None = None
    method: str | None = None
    boundary_year: int | None = None
    # In a trend: the boundary year the value was published on, when that is not ``boundary_year``.
    from_year: int | None = None

    @property
    def has_value(self) -> bool:
        return self.value is not None and self.status in (Status.OBSERVED.value, Status.DERIVED.value,
                                                          Status.CONVERTED.value)

    @property
    def converted(self) -> bool:
        """Moved to other boundaries through the crosswalk ("omgerekend")."""
        return self.status == Status.CONVERTED.value

    @property
    def unconvertible(self) -> bool:
        """No number because its boundary year has no crosswalk to the trend's boundary year."""
        return not self.has_value and is_unconvertible(self.method)

    @property
    def status_label(self) -> str:
        try:
            return Status(self.status).label
        except ValueError:
            return self.status

    def as_dict(self) -> dict:
        out = {"period": self.period, "value": self.value if self.has_value else None,
               "status": self.status, "source_id": self.source_id, "method": self.method,
               "boundary_year": self.boundary_year}
        if self.from_year is not None:
            out["published_boundary_year"] = self.from_year
        return out


@dataclass(frozen=True)
class Reference:
    """Something to compare an area with: a real area (a gemeente, ``NL01``) or an area set.

    ``loader(session, indicator_ids)`` may be given for references that are neither (e.g. a group
    computed on the fly); it must return long-form rows like ``indicators.values``.
    """

    key: str
    label: str
    code: str
    kind: str = "area"  # "area" or "set"
    loader: Callable[[Session, list[str]], pd.DataFrame] | None = field(default=None, compare=False)

    def as_dict(self) -> dict:
        return {"key": self.key, "label": self.label, "code": self.code, "kind": self.kind}


@dataclass(frozen=True)
class ReferenceComparison:
    """The value of a reference at the area's period, and how the area compares with it."""

    reference: Reference
    value: Value | None
    comparison: str | None  # hoger / lager / gelijk (as displayed, i.e. after rounding)
    mark: str | None  # beter / slechter / gelijk by the indicator's direction; None when neutral

    def as_dict(self) -> dict:
        return {"reference": self.reference.as_dict(),
                "value": self.value.as_dict() if self.value else None,
                "comparison": self.comparison, "mark": self.mark}


@dataclass(frozen=True)
class SiblingRank:
    """Rank 1 is the best by the indicator's direction (the highest for neutral indicators)."""

    rank: int
    of: int
    period: int
    level: Level
    parent_code: str
    parent_name: str
    basis: str  # "best" or "highest"

    def as_dict(self) -> dict:
        return {"rank": self.rank, "of": self.of, "period": self.period, "level": self.level.value,
                "parent_code": self.parent_code, "parent_name": self.parent_name, "basis": self.basis}


@dataclass(frozen=True)
class TrendSeries:
    key: str  # "area" or a reference key
    label: str
    code: str
    points: tuple[Value, ...]

    def as_dict(self) -> dict:
        return {"key": self.key, "label": self.label, "code": self.code,
                "points": [p.as_dict() for p in self.points]}


@dataclass(frozen=True)
class TrendBasis:
    """The one boundary year of a profile's trends, and what that took (said in words by ``note``)."""

    boundary_year: int | None  # None: Nederland, whose outline does not change
    converted: int = 0  # trend points converted through the crosswalk
    kept: int = 0  # trend points published on other boundaries of an area that did not change
    from_years: tuple[int, ...] = ()  # the other boundary years the trend points were published on
    unconvertible_years: tuple[int, ...] = ()  # boundary years without a crosswalk (points without number)
    left_out: tuple[str, ...] = ()  # references that cannot be harmonised and have no trend

    @property
    def note(self) -> str:
        if self.boundary_year is None:
            return ("Nederland als geheel heeft geen grenswijzigingen: de trends zijn de cijfers zoals ze "
                    "gepubliceerd en berekend zijn.")
        year = self.boundary_year
        which = "eerdere" if all(y < year for y in self.from_years) else "andere"
        text = f"Trends op de gebiedsindeling van {year}"
        if self.converted:
            text += (f"; waarden van {which} jaren zijn omgerekend waar de grenzen veranderden (gemarkeerd als "
                     "‘omgerekend’).")
        elif self.kept:
            text += (f"; waarden van {which} jaren worden omgerekend waar de grenzen veranderden. Hier waren de "
                     "grenzen gelijk: de cijfers staan er zoals gepubliceerd.")
        elif not self.unconvertible_years:
            text += ": alle cijfers zijn op deze indeling gepubliceerd."
        else:
            text += "."
        if self.unconvertible_years:
            years = " en ".join(map(str, self.unconvertible_years))
            text += (f" Voor cijfers op de gebiedsindeling van {years} is er geen omrekentabel naar {year}: "
                     "die staan als ‘geen gegevens’.")
        if self.left_out:
            text += (f" {' en '.join(self.left_out)} staan niet in de trends: die groep is niet om te rekenen "
                     "naar één gebiedsindeling.")
        return text

    def as_dict(self) -> dict:
        return {"boundary_year": self.boundary_year, "converted": self.converted,
                "kept": self.kept, "from_years": list(self.from_years),
                "unconvertible_years": list(self.unconvertible_years), "left_out": list(self.left_out),
                "note": self.note}


@dataclass(frozen=True)
class TrendNote:
    """Why some points of a trend series are converted or without a number."""

    series: str
    periods: tuple[int, ...]
    converted: bool
    method: str


@dataclass(frozen=True)
class Figure:
    """One indicator in the profile."""

    indicator: IndicatorDef
    current: Value | None
    references: tuple[ReferenceComparison, ...]
    rank: SiblingRank | None
    trend: tuple[TrendSeries, ...]  # empty unless the area has more than one period
    source: SourceInfo | None

    @property
    def has_figures(self) -> bool:
        """Whether anything is known for the area or a reference (a suppressed value counts: it is said)."""
        return self.current is not None or any(r.value is not None for r in self.references)

    @property
    def trend_notes(self) -> list[TrendNote]:
        """Trend points that need a word (converted ones, ones without a crosswalk), one note per
        series and method with the periods it applies to."""
        notes: dict[tuple[str, bool, str | None], list[int]] = {}
        labels = {}
        for series in self.trend:
            labels[series.key] = series.label
            for p in series.points:
                if p.converted or p.unconvertible:
                    notes.setdefault((series.key, p.converted, p.method), []).append(p.period)
        return [TrendNote(labels[key], tuple(periods), converted, method or "")
                for (key, converted, method), periods in notes.items()]

    def as_dict(self) -> dict:
        ind = self.indicator
        return {
            "indicator": {"id": ind.id, "label": ind.label, "description": ind.description,
                          "theme": ind.theme, "unit": ind.unit, "direction": ind.direction.value,
                          "decimals": ind.decimals, "aggregation": ind.aggregation.describe()},
            "current": self.current.as_dict() if self.current else None,
            "references": [r.as_dict() for r in self.references],
            "rank": self.rank.as_dict() if self.rank else None,
            "trend": [s.as_dict() for s in self.trend],
            "source": ({"id": self.source.id, "title": self.source.title,
                        "publisher": self.source.publisher, "licence": self.source.licence,
                        "attribution": self.source.attribution, "url": self.source.url}
                       if self.source else None),
        }


@dataclass(frozen=True)
class ThemeSection:
    id: str
    label: str
    figures: tuple[Figure, ...]


@dataclass(frozen=True)
class ChildArea:
    area: AreaInfo
    inwoners: Value | None


@dataclass(frozen=True)
class AreaProfile:
    area: AreaInfo
    parents: tuple[AreaInfo, ...]  # from Nederland down to the direct parent (a breadcrumb)
    references: tuple[Reference, ...]
    themes: tuple[ThemeSection, ...]
    children: tuple[ChildArea, ...]
    sibling_count: int
    trend_basis: TrendBasis | None = None  # None when the profile has no trends

    @property
    def figures(self) -> list[Figure]:
        return [f for t in self.themes for f in t.figures]

    def figure(self, indicator_id: str) -> Figure:
        return next(f for f in self.figures if f.indicator.id == indicator_id)

    @property
    def sources(self) -> list[SourceInfo]:
        seen: dict[str, SourceInfo] = {}
        for f in self.figures:
            if f.source:
                seen.setdefault(f.source.id, f.source)
        return list(seen.values())

    def as_dict(self) -> dict:
        return {
            "area": self.area.as_dict(),
            "parents": [p.as_dict() for p in self.parents],
            "references": [r.as_dict() for r in self.references],
            "themes": [{"id": t.id, "label": t.label, "figures": [f.as_dict() for f in t.figures]}
                       for t in self.themes],
            "children": [{**c.area.as_dict(), "inwoners": c.inwoners.as_dict() if c.inwoners else None}
                         for c in self.children],
            "sibling_count": self.sibling_count,
            "trend_basis": self.trend_basis.as_dict() if self.trend_basis else None,
            "attribution": "; ".join(sorted({s.attribution for s in self.sources})),
        }

    def rows(self) -> list[dict]:
        """Everything on the profile as long-form rows (for CSV): the area's values in every
        period shown (on the trends' boundary year, ``grenzen``), each reference's values with the
        comparison mark, ranks, and child areas. Where the latest published figure differs from its
        trend point (converted to other boundaries), it is given too, on its own boundaries."""
        rows: list[dict] = []
        area = self.area
        for theme in self.themes:
            for fig in theme.figures:
                ind = fig.indicator
                base = {"thema": theme.label, "indicator_id": ind.id, "indicator": ind.label,
                        "eenheid": ind.unit, "richting": ind.direction.label,
                        "bron": fig.source.attribution if fig.source else ""}
                series = {s.key: s for s in fig.trend}

                def add(code: str, name: str, role: str, value: Value, extra: dict | None = None,
                        _base: dict = base) -> None:
                    rows.append({**_base, "gebied_code": code, "gebied_naam": name, "rol": role,
                                 "periode": value.period, "waarde": value.value if value.has_value else None,
                                 "status": value.status, "methode": value.method,
                                 "grenzen": value.boundary_year, **(extra or {})})

                area_points = series["area"].points if "area" in series else (
                    (fig.current,) if fig.current else ())
                rank = {"rang": fig.rank.rank, "rang_van": fig.rank.of} if fig.rank else {}
                current = fig.current
                as_published = current is not None and any(
                    p.period == current.period and (p.value, p.status) == (current.value, current.status)
                    for p in area_points)
                for point in area_points:
                    at_current = current is not None and point.period == current.period
                    add(area.code, area.name, "gebied", point, rank if at_current and as_published else None)
                if current is not None and not as_published:
                    add(area.code, area.name, "gebied (laatst gepubliceerd)", current, rank)
                for comp in fig.references:
                    ref = comp.reference
                    points = series[ref.key].points if ref.key in series else (
                        (comp.value,) if comp.value else ())
                    for point in points:
                        extra = {}
                        if fig.current and point.period == fig.current.period:
                            extra = {"vergelijking": comp.mark or comp.comparison}
                        add(ref.code, ref.label, f"referentie: {ref.key}", point, extra)
        for child in self.children:
            if child.inwoners:
                rows.append({"thema": "Onderliggende gebieden", "indicator_id": "inwoners",
                             "indicator": "Inwoners", "eenheid": "aantal", "richting": "neutraal",
                             "gebied_code": child.area.code, "gebied_naam": child.area.name,
                             "rol": f"onderliggend gebied ({child.area.level.value})",
                             "periode": child.inwoners.period,
                             "waarde": child.inwoners.value if child.inwoners.has_value else None,
                             "status": child.inwoners.status, "methode": child.inwoners.method, "bron": ""})
        return rows


PROFILE_COLUMNS = ["thema", "indicator_id", "indicator", "eenheid", "richting", "gebied_code", "gebied_naam",
                   "rol", "periode", "waarde", "status", "methode", "vergelijking", "rang", "rang_van", "grenzen"]


# --- references ------------------------------------------------------------------------------------

def default_references(index: AreaIndex, code: str) -> list[Reference]:
    """Gemeente (for a wijk or buurt), the New Towns together and Nederland, as applicable."""
    area = index.areas[code]
    refs: list[Reference] = []
    if area.level in (Level.WIJK, Level.BUURT):
        gemeente = index.gemeente_of(code)
        if gemeente is not None:
            refs.append(Reference("gemeente", gemeente.name, gemeente.code))
    if area.level is not Level.LAND and NEW_TOWNS_SET_ID in index.sets:
        refs.append(Reference("nta", "New Towns", NEW_TOWNS_SET_ID, kind="set"))
    if area.level is not Level.LAND:
        refs.append(Reference("nl", "Nederland", NETHERLANDS_CODE))
    return refs


_cache: dict[tuple, pd.DataFrame] = {}
_cache_lock = threading.Lock()


def _version(session: Session) -> tuple[str, tuple]:
    """What cached profiles depend on: the store, its last import and its crosswalk (which
    ``gebiedsatlas crosswalk`` can rebuild between imports)."""
    imported = select(func.max(ImportRun.id)).scalar_subquery()
    walk = select(func.count(), func.sum(AreaCrosswalk.weight)).select_from(AreaCrosswalk)
    row = session.execute(walk.add_columns(imported)).one()
    return str(session.get_bind().url), (row[2], row[0], row[1])


def reference_values(session: Session, reference: Reference, catalogue: Catalogue | None = None) -> pd.DataFrame:
    """All values (every indicator and period) of a reference; aggregates are cached per import."""
    catalogue = catalogue or load_catalogue()
    ids = list(catalogue.indicators)
    if reference.loader is not None:
        return reference.loader(session, ids)
    if reference.kind == "area" and reference.code != NETHERLANDS_CODE:
        return area_values(session, [reference.code], ids)  # a plain query, fast enough uncached
    key = (*_version(session), reference.kind, reference.code)
    cached = _cache.get(key)
    if cached is not None:
        return cached
    if reference.kind == "set":
        frame = area_set_values(session, reference.code, ids)
    else:
        frame = netherlands_values(session, ids)
    with _cache_lock:
        # Keep only the current import's entries: older versions are dead weight.
        for old in [k for k in _cache if k[:2] != key[:2] and k[0] == key[0]]:
            del _cache[old]
        _cache[key] = frame
    return frame


def reference_trend_values(session: Session, reference: Reference, boundary_year: int | None,
                           catalogue: Catalogue | None = None) -> pd.DataFrame | None:
    """A reference's values on the boundaries of ``boundary_year``, for trends; None when the
    reference cannot be put on one division (a group built by a ``loader``)."""
    catalogue = catalogue or load_catalogue()
    if reference.loader is not None:
        return None
    if boundary_year is None or reference.code == NETHERLANDS_CODE:
        # Nederland as a whole: the same outline on every division.
        frame = reference_values(session, reference, catalogue)
        return frame if boundary_year is None else frame.assign(boundary_year=boundary_year)
    ids = list(catalogue.indicators)
    if reference.kind == "area":
        return harmonised_values(session, [reference.code], ids, boundary_year, catalogue=catalogue)
    index = area_index(session)
    if reference.code not in index.sets:
        return None
    key = (*_version(session), "harmonised", reference.code, boundary_year)
    cached = _cache.get(key)
    if cached is None:
        cached = harmonised_group_values(session, reference.code, sorted(index.sets[reference.code].members), ids,
                                         boundary_year, catalogue)
        with _cache_lock:
            _cache[key] = cached
    return cached


# --- values -> objects -----------------------------------------------------------------------------

def _to_value(row) -> Value:
    raw = row.value
    number = None if raw is None or (isinstance(raw, float) and math.isnan(raw)) else float(raw)
    method = row.method if isinstance(row.method, str) else None
    boundary = None if pd.isna(row.boundary_year) else int(row.boundary_year)
    origin = getattr(row, "from_year", None)
    origin = None if origin is None or pd.isna(origin) or int(origin) == boundary else int(origin)
    return Value(period=int(row.period), value=number, status=str(row.status),
                 source_id=row.source_id if isinstance(row.source_id, str) else None,
                 method=method, boundary_year=boundary, from_year=origin)


def values_by_indicator(frame: pd.DataFrame, code: str | None = None) -> dict[str, dict[int, Value]]:
    """indicator -> period -> Value (for one area code, or all rows when ``code`` is None)."""
    out: dict[str, dict[int, Value]] = {}
    if code is not None:
        frame = frame[frame["area_code"] == code]
    for row in frame.itertuples(index=False):
        out.setdefault(row.indicator_id, {})[int(row.period)] = _to_value(row)
    return out


def compare_values(value: float, other: float, indicator: IndicatorDef) -> tuple[str, str | None]:
    """(hoger/lager/gelijk, beter/slechter/gelijk or None for neutral).

    Equal means equal within the indicator's tolerance (``IndicatorDef.tolerance``) after rounding to the
    shown decimals: a mark must not claim a difference the source cannot tell apart.
    """
    a, b = round(value, indicator.decimals), round(other, indicator.decimals)
    # Within the source's precision two values are "gelijk" (catalogue ``tolerance``; by default one
    # unit of the coarsest published precision: whole-number shares 59 and 60 may both be 59,5).
    if abs(a - b) <= indicator.tolerance + 1e-9:
        return EQUAL, (None if indicator.direction is Direction.NEUTRAL else EQUAL)
    comparison = HIGHER if a > b else LOWER
    sign = indicator.direction.sign
    if sign == 0:
        return comparison, None
    better = (a > b) == (sign > 0)
    return comparison, BETTER if better else WORSE


def rank_among(value: float, others: Sequence[float], direction: Direction) -> int:
    """Competition rank of ``value`` among ``others`` (which include it): 1 + how many are better."""
    if direction is Direction.HIGHER_IS_WORSE:
        return 1 + sum(1 for o in others if o < value)
    return 1 + sum(1 for o in others if o > value)


def siblings_of(index: AreaIndex, code: str) -> list[str]:
    """Areas with the same parent and the same level (the area itself included)."""
    area = index.areas[code]
    if not area.parent_code:
        return []
    return [c for c in index.children.get(area.parent_code, []) if index.areas[c].level is area.level]


# --- the profile -----------------------------------------------------------------------------------

def build_profile(session: Session, code: str, *, references: Sequence[Reference] | None = None,
                  indicator_ids: Sequence[str] | None = None,
                  catalogue: Catalogue | None = None) -> AreaProfile:
    """The profile of ``code``; raises KeyError for an unknown area.

    ``references`` defaults to ``default_references`` (gemeente, New Towns, Nederland);
    ``indicator_ids`` defaults to the whole catalogue.
    """
    catalogue = catalogue or load_catalogue()
    index = area_index(session)
    if code not in index.areas:
        raise KeyError(code)
    # Profiles with the default references depend only on the import: cache them (a profile takes
    # ~70 ms to build; 8 visitors at once would otherwise queue on it).
    key = None
    if references is None and catalogue is load_catalogue():
        key = (*_version(session), code, tuple(indicator_ids) if indicator_ids else None)
        cached = _profiles.get(key)
        if cached is not None:
            return cached
    profile = _build(session, index, code, references, indicator_ids, catalogue)
    if key is not None:
        with _cache_lock:
            if len(_profiles) >= PROFILE_CACHE_SIZE:
                _profiles.pop(next(iter(_profiles)))  # the oldest entry
            _profiles[key] = profile
    return profile


PROFILE_CACHE_SIZE = 256
_profiles: dict[tuple, AreaProfile] = {}


def _build(session: Session, index: AreaIndex, code: str, references: Sequence[Reference] | None,
           indicator_ids: Sequence[str] | None, catalogue: Catalogue) -> AreaProfile:
    area = index.areas[code]
    refs = list(references) if references is not None else default_references(index, code)
    wanted = [i for i in (indicator_ids or catalogue.indicators) if i in catalogue]

    if code == NETHERLANDS_CODE:
        own = reference_values(session, Reference("nl", area.name, code), catalogue)
    else:
        own = area_values(session, [code], wanted)
    own_values = values_by_indicator(own, code)
    ref_values = {r.key: values_by_indicator(reference_values(session, r, catalogue)) for r in refs}
    # Trends: everything on the area's latest division (Nederland has no boundary changes).
    boundary_year = None if code == NETHERLANDS_CODE else latest_boundary_year(own)
    if boundary_year is None:
        trend_own = own_values
    else:
        trend_own = values_by_indicator(
            harmonised_values(session, [code], wanted, boundary_year, catalogue=catalogue), code)
    ref_trends: dict[str, dict[str, dict[int, Value]] | None] = {}
    for ref in refs:
        frame = reference_trend_values(session, ref, boundary_year, catalogue)
        ref_trends[ref.key] = None if frame is None else values_by_indicator(frame)

    siblings = siblings_of(index, code)
    sibling_values = _sibling_values(session, siblings, own_values) if len(siblings) > 1 else None
    parent = index.areas.get(area.parent_code) if area.parent_code else None

    themes = []
    for theme_id, indicators in catalogue.by_theme().items():
        figures = []
        for ind in indicators:
            if ind.id not in wanted:
                continue
            figures.append(_figure(ind, area, own_values.get(ind.id, {}), refs, ref_values, sibling_values,
                                   parent, catalogue, trend_own.get(ind.id, {}), ref_trends))
        if figures:
            themes.append(ThemeSection(theme_id, catalogue.themes[theme_id], tuple(figures)))

    return AreaProfile(
        area=area,
        parents=tuple(reversed(index.ancestors(code))),
        references=tuple(refs),
        themes=tuple(themes),
        children=tuple(_children(session, index, code)),
        sibling_count=len(siblings),
        trend_basis=_trend_basis(boundary_year, [f for t in themes for f in t.figures], refs, ref_trends),
    )


def _trend_basis(boundary_year: int | None, figures: list[Figure], refs: list[Reference],
                 ref_trends: dict[str, dict | None]) -> TrendBasis | None:
    points = [p for f in figures for s in f.trend for p in s.points]
    if not points:
        return None
    unconvertible = sorted({p.from_year for p in points if p.unconvertible and p.from_year is not None})
    left_out = tuple(r.label for r in refs if ref_trends.get(r.key) is None)
    return TrendBasis(boundary_year, converted=sum(p.converted for p in points),
                      kept=sum(p.has_value and not p.converted and p.from_year is not None for p in points),
                      from_years=tuple(sorted({p.from_year for p in points if p.from_year is not None})),
                      unconvertible_years=tuple(unconvertible), left_out=left_out)


def _sibling_values(session: Session, siblings: list[str],
                    own_values: dict[str, dict[int, Value]]) -> dict[tuple[str, int], list[float]]:
    """(indicator, period) -> the siblings' numbers, for the periods the profile shows."""
    periods = sorted({max(by_period) for by_period in own_values.values() if by_period})
    frame = observations(session, siblings, sorted(own_values), periods or None)
    frame = frame[frame["status"].isin([Status.OBSERVED.value, Status.DERIVED.value]) & frame["value"].notna()]
    return {(ind, int(period)): group.tolist()
            for (ind, period), group in frame.groupby(["indicator_id", "period"])["value"]}


def _figure(ind: IndicatorDef, area: AreaInfo, own: dict[int, Value], refs: list[Reference],
            ref_values: dict[str, dict[str, dict[int, Value]]],
            sibling_values: dict[tuple[str, int], list[float]] | None,
            parent: AreaInfo | None, catalogue: Catalogue, trend_own: dict[int, Value],
            ref_trends: dict[str, dict[str, dict[int, Value]] | None]) -> Figure:
    periods = sorted(own)
    current = own[periods[-1]] if periods else None
    # Counts (sum-aggregated: inhabitants, dwellings, hectares) grow with the size of an area:
    # a wijk always has fewer inhabitants than Nederland, so no comparison or reference trend is
    # drawn for them; the reference values are still given.
    comparable = ind.aggregation.method is not AggregationMethod.SUM
    # References are shown for the area's period; without any row for the area, for their own
    # latest period (so a buurt without a published figure still shows its gemeente's).
    ref_period = current.period if current else max(
        (p for ref in refs for p in ref_values[ref.key].get(ind.id, {})), default=None)
    comparisons = []
    for ref in refs:
        ref_value = ref_values[ref.key].get(ind.id, {}).get(ref_period)
        if ref.code == NETHERLANDS_CODE and ind.reference_level is not None and ref_period is not None:
            # The Leefbaarometer has no national value per year, but a fixed reference level: shown
            # under its own name, never as "Nederland".
            ref = Reference(ref.key, ind.reference_label or ref.label, ref.code, ref.kind)
            ref_value = Value(ref_period, ind.reference_level, Status.OBSERVED.value,
                              ind.columns[0].source if ind.columns else None,
                              "vast referentieniveau van de bron, in elk jaar hetzelfde")
        comparison = mark = None
        if comparable and current and current.has_value and ref_value and ref_value.has_value:
            comparison, mark = compare_values(current.value, ref_value.value, ind)
        comparisons.append(ReferenceComparison(ref, ref_value, comparison, mark))

    rank = None
    if current and current.has_value and sibling_values is not None and parent is not None:
        others = sibling_values.get((ind.id, current.period), [])
        if len(others) > 1:
            rank = SiblingRank(
                rank=rank_among(current.value, others, ind.direction), of=len(others),
                period=current.period, level=area.level, parent_code=parent.code, parent_name=parent.name,
                basis="highest" if ind.direction is Direction.NEUTRAL else "best")

    # The trend: the area's values on one division (``trend_own``), references on the same one.
    trend: tuple[TrendSeries, ...] = ()
    trend_periods = sorted(trend_own)
    if len(trend_periods) > 1:
        series = [TrendSeries("area", area.name, area.code, tuple(trend_own[p] for p in trend_periods))]
        for ref in refs if comparable else ():
            harmonised = ref_trends.get(ref.key)
            if harmonised is None:
                continue
            by_period = harmonised.get(ind.id, {})
            points = tuple(by_period[p] for p in trend_periods if p in by_period)
            if any(p.has_value for p in points):
                series.append(TrendSeries(ref.key, ref.label, ref.code, points))
        trend = tuple(series)

    source_id = current.source_id if current else (ind.columns[0].source if ind.columns else None)
    return Figure(ind, current, tuple(comparisons), rank, trend, catalogue.sources.get(source_id))


def _children(session: Session, index: AreaIndex, code: str) -> list[ChildArea]:
    """Child areas with their latest number of inhabitants (as a size hint in the list)."""
    codes = index.children.get(code, [])
    if not codes:
        return []
    frame = observations(session, codes, ["inwoners"])
    latest: dict[str, Value] = {}
    for row in frame.sort_values("period").itertuples(index=False):
        latest[row.area_code] = _to_value(row)
    return [ChildArea(index.areas[c], latest.get(c)) for c in codes]


def profile_references(session: Session, code: str, *, with_peers: bool) -> list | None:
    """References for the area profile: ``None`` (the defaults) unless similar areas are asked for
    too (wijken and buurten only): then gemeente, New Towns, Nederland and the area's structural peers."""
    from gebiedsatlas.analysis.reference import peers_profile_reference

    index = area_index(session)
    area = index.areas.get(code)
    if not with_peers or area is None or area.level not in (Level.WIJK, Level.BUURT):
        return None
    return [*default_references(index, code), peers_profile_reference(session, code)]
