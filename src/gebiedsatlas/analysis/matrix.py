"""Wide tables of indicator values (one row per area, one column per indicator) for the analyses.

The store is long-form; every analysis here works on an area × indicator matrix. A value is taken
from the requested period or, where the indicator has no value for that period, from the nearest
period in which the *same area code* has one (e.g. household figures exist only for 2024, income
only for 2022). The period actually used is kept, so pages can say which year a figure refers to.
Suppressed and missing values stay NaN: they are never filled in.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gebiedsatlas.areas.codes import Level
from gebiedsatlas.areas.index import AreaIndex, area_index
from gebiedsatlas.indicators.values import observations
from gebiedsatlas.status import Status
from gebiedsatlas.store.models import ImportRun

SCOPES_HELP = "nta (de zeven New Towns), nl (heel Nederland) of een gemeentecode GMnnnn"

_cache: dict[tuple, object] = {}
_lock = threading.Lock()


def store_version(session: Session) -> tuple[str, int | None]:
    """Identifies the store and its last import, so cached analyses are redone after an import."""
    return str(session.get_bind().url), session.scalar(select(func.max(ImportRun.id)))


def cached(session: Session, key: tuple, compute):
    """Memoise ``compute()`` per store version; analyses are pure functions of the imported data."""
    full = (store_version(session), *key)
    with _lock:
        if full in _cache:
            return _cache[full]
    value = compute()
    with _lock:
        if len(_cache) > 256:  # a crude bound: the keys are few (level × period × scope)
            _cache.clear()
        _cache[full] = value
    return value


@dataclass(frozen=True)
class Matrix:
    """Values (area × indicator) and the period each value comes from."""

    values: pd.DataFrame
    periods: pd.DataFrame

    def available(self, indicator_id: str) -> pd.Series:
        return self.values[indicator_id].notna()


def scope_codes(index: AreaIndex, level: Level, scope: str, period: int | None) -> list[str]:
    """Area codes of ``level`` in a scope: ``nl`` (all), ``nta`` (the New Towns) or a gemeente code."""
    if scope == "nl":
        return index.at_level(level, year=period)
    if scope in index.sets:
        return index.at_level(level, area_set=scope, year=period)
    if scope in index.areas:
        return index.at_level(level, parent=scope, year=period)
    raise KeyError(scope)


def indicator_matrix(session: Session, codes: list[str], indicator_ids: list[str],
                     period: int, exact: bool = False) -> Matrix:
    """The value of every indicator for every area, from ``period`` or the nearest period.

    ``exact``: only values of ``period`` itself (typology and peers: features of one year, so an area
    is not described by a mix of years)."""
    # For many areas one query over the indicators beats thousands of bound IN parameters.
    wanted = set(codes)
    long = observations(session, None if len(codes) > 5000 else codes, indicator_ids, None)
    if len(codes) > 5000:
        long = long[long["area_code"].isin(wanted)]
    usable = long["status"].isin([Status.OBSERVED.value, Status.DERIVED.value]) & long["value"].notna()
    if exact:
        usable &= long["period"] == period
    long = long[usable].copy()
    # Nearest period first; on a tie the earlier period (an older figure is published, a later one
    # would be "from the future" relative to the request).
    long["distance"] = (long["period"] - period).abs()
    long = long.sort_values(["area_code", "indicator_id", "distance", "period"])
    best = long.drop_duplicates(["area_code", "indicator_id"])
    values = best.pivot(index="area_code", columns="indicator_id", values="value")
    periods = best.pivot(index="area_code", columns="indicator_id", values="period")
    values = values.reindex(index=codes, columns=indicator_ids).astype(float)
    periods = periods.reindex(index=codes, columns=indicator_ids)
    return Matrix(values=values, periods=periods)


def area_names(session: Session, codes) -> dict[str, str]:
    index = area_index(session)
    return {c: index.areas[c].name for c in codes if c in index.areas}


def gemeente_codes(session: Session, codes) -> dict[str, str | None]:
    index = area_index(session)
    out = {}
    for code in codes:
        gemeente = index.gemeente_of(code)
        out[code] = gemeente.code if gemeente else None
    return out


def finite(values) -> np.ndarray:
    """The finite numbers in ``values`` as a float array."""
    array = np.asarray(values, dtype=float)
    return array[np.isfinite(array)]
