"""The distribution of one indicator over all areas of a level: histogram bins, summary statistics
and the top and bottom lists (for the indicator page).

Bins are computed here rather than in the chart, so the chart and its table alternative show the
same counts. Areas without a number (suppressed, missing) are counted apart, never binned.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gebiedsatlas.areas.codes import Level
from gebiedsatlas.areas.index import area_index
from gebiedsatlas.indicators.catalogue import Catalogue, Direction, IndicatorDef, load_catalogue
from gebiedsatlas.indicators.values import area_values, available_periods
from gebiedsatlas.status import Status
from gebiedsatlas.store.models import ImportRun, Observation

LIST_LENGTH = 10


class DistributionError(ValueError):
    """A request that cannot be answered; the message is Dutch and names the field."""


@dataclass(frozen=True)
class AreaValue:
    code: str
    name: str
    value: float
    parent_code: str | None


@dataclass(frozen=True)
class Bin:
    lower: float
    upper: float
    count: int


@dataclass(frozen=True)
class Distribution:
    indicator: IndicatorDef
    level: Level
    period: int | None
    periods: tuple[int, ...]  # all periods of the indicator
    scope: str | None  # parent code or area-set id, None for the whole country
    values: tuple[AreaValue, ...]  # areas with a number, best first (highest first when neutral)
    without_value: int  # areas of the level in scope that have no number for this period
    bins: tuple[Bin, ...]
    source_ids: tuple[str, ...]

    @property
    def count(self) -> int:
        return len(self.values)

    @property
    def top(self) -> tuple[AreaValue, ...]:
        """The best ``LIST_LENGTH`` by the indicator's direction (the highest when neutral)."""
        return self.values[:LIST_LENGTH]

    @property
    def bottom(self) -> tuple[AreaValue, ...]:
        """The worst ``LIST_LENGTH`` (the lowest when neutral), worst first."""
        return tuple(reversed(self.values[-LIST_LENGTH:])) if self.values else ()

    def stats(self) -> dict[str, float | None]:
        numbers = np.array([v.value for v in self.values])
        if not len(numbers):
            return {"n": 0, "min": None, "median": None, "mean": None, "max": None}
        return {"n": len(numbers), "min": float(numbers.min()), "median": float(np.median(numbers)),
                "mean": float(numbers.mean()), "max": float(numbers.max())}

    def as_dict(self) -> dict:
        return {
            "indicator": self.indicator.id, "level": self.level.value, "period": self.period,
            "periods": list(self.periods), "scope": self.scope, "without_value": self.without_value,
            "stats": self.stats(),
            "bins": [{"lower": b.lower, "upper": b.upper, "count": b.count} for b in self.bins],
            "top": [v.__dict__ for v in self.top], "bottom": [v.__dict__ for v in self.bottom],
        }


def nice_step(span: float, target_bins: int) -> float:
    """A round bin width (1, 2, 2.5 or 5 × 10^k) giving about ``target_bins`` bins over ``span``."""
    if span <= 0 or not math.isfinite(span):
        return 1.0
    raw = span / max(1, target_bins)
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def histogram(numbers: list[float], target_bins: int | None = None) -> list[Bin]:
    """Equal-width bins with round edges; the last bin includes its upper edge."""
    if not numbers:
        return []
    lo, hi = min(numbers), max(numbers)
    if lo == hi:
        return [Bin(lo, hi, len(numbers))]
    # About sqrt(n) bins, between 5 and 25: readable for 7 gemeenten and for 14,000 buurten.
    target = target_bins or max(5, min(25, round(math.sqrt(len(numbers)))))
    step = nice_step(hi - lo, target)
    first = math.floor(lo / step)
    # Edges as multiples of the step, rounded: 3.8 rather than 3.8000000000000003.
    edges = [round((first + i) * step, 10) for i in range(int(math.ceil(hi / step)) - first + 1)]
    if edges[-1] < hi:
        edges.append(round(edges[-1] + step, 10))
    counts, _ = np.histogram(numbers, bins=edges)
    return [Bin(float(edges[i]), float(edges[i + 1]), int(counts[i])) for i in range(len(counts))]


def indicator_distribution(session: Session, indicator_id: str, level: Level, *, period: int | None = None,
                           parent: str | None = None, area_set: str | None = None,
                           catalogue: Catalogue | None = None) -> Distribution:
    """All areas of ``level`` (in ``parent`` or ``area_set``, else the whole country) for one period
    (default: the latest in which areas of that level have values)."""
    catalogue = catalogue or load_catalogue()
    if indicator_id not in catalogue:
        raise DistributionError(f"indicator: onbekende indicator {indicator_id!r}")
    # All buurten of Nederland take ~0.5 s; a distribution only changes with a new import.
    key = (*store_version(session), indicator_id, level, period, parent, area_set)
    cached = _cache.get(key) if catalogue is load_catalogue() else None
    if cached is not None:
        return cached
    result = _distribution(session, catalogue, indicator_id, level, period, parent, area_set)
    if catalogue is load_catalogue():
        with _lock:
            if len(_cache) >= CACHE_SIZE:
                _cache.pop(next(iter(_cache)))
            _cache[key] = result
    return result


CACHE_SIZE = 64
_cache: dict[tuple, Distribution] = {}
_lock = threading.Lock()


def store_version(session: Session) -> tuple[str, int | None]:
    """The store URL and its last import run: cached results are valid until the next import."""
    return str(session.get_bind().url), session.scalar(select(func.max(ImportRun.id)))


_periods: dict[tuple, dict[str, list[int]]] = {}


def periods_by_indicator(session: Session) -> dict[str, list[int]]:
    """Every indicator's periods in the store, in one query (cached per import)."""
    key = store_version(session)
    found = _periods.get(key)
    if found is None:
        found = {}
        rows = session.execute(select(Observation.indicator_id, Observation.period).distinct()
                               .order_by(Observation.indicator_id, Observation.period))
        for indicator_id, period in rows:
            found.setdefault(indicator_id, []).append(int(period))
        _periods[key] = found  # one small entry per import run
    return found


def _distribution(session: Session, catalogue: Catalogue, indicator_id: str, level: Level, period: int | None,
                  parent: str | None, area_set: str | None) -> Distribution:
    indicator = catalogue[indicator_id]
    index = area_index(session)
    if parent is not None and parent not in index.areas:
        raise DistributionError(f"parent: onbekend gebied {parent!r}")
    if area_set is not None and area_set not in index.sets:
        raise DistributionError(f"area_set: onbekende gebiedsset {area_set!r}")
    periods = tuple(available_periods(session, indicator_id))
    if period is not None and period not in periods:
        raise DistributionError(f"period: {period} is niet beschikbaar voor {indicator.label}; kies uit "
                                + ", ".join(str(p) for p in periods))
    codes_all = index.at_level(level, parent=parent, area_set=area_set)
    # Latest period first; an earlier one only when the latest has no numbers for this level.
    candidates = [period] if period is not None else list(reversed(periods))
    period = candidates[0] if candidates else None
    in_period = area_values(session, [], [indicator_id], [])
    for candidate in candidates:
        frame = area_values(session, codes_all, [indicator_id], [candidate])
        has_number = frame["status"].isin([Status.OBSERVED.value, Status.DERIVED.value]) & frame["value"].notna()
        if has_number.any():
            period, in_period = candidate, frame[has_number]
            break
    scope_codes = index.at_level(level, parent=parent, area_set=area_set, year=period) if period else codes_all
    parents = [index.areas[c].parent_code for c in in_period["area_code"].tolist()]
    values = [AreaValue(code, name, float(value), parent_code) for code, name, value, parent_code in zip(
        in_period["area_code"].tolist(), in_period["area_name"].tolist(), in_period["value"].tolist(), parents,
        strict=True)]
    # Best first: descending unless higher is worse; ties by name for a stable list.
    descending = indicator.direction is not Direction.HIGHER_IS_WORSE
    values.sort(key=lambda v: (-v.value if descending else v.value, v.name))
    with_number = {v.code for v in values}
    return Distribution(
        indicator=indicator, level=level, period=period, periods=periods,
        scope=parent or area_set, values=tuple(values),
        without_value=sum(1 for c in scope_codes if c not in with_number),
        bins=tuple(histogram([v.value for v in values])),
        source_ids=tuple(sorted(set(in_period["source_id"].dropna()))),
    )
