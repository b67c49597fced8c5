"""Signals of change: which areas changed more than is plausible noise between two periods.

Noise model (no quota). A published figure is rounded: a value with ``d`` decimals may be off by
half a unit, so the change between two years may be off by ``0,5·10^-d1 + 0,5·10^-d2`` from rounding
alone (2022 whole-number shares against 2024 shares with one decimal: up to 0,55 points). Each area's
change ``d`` is compared with the general movement of comparable areas (median of ``d``, same level and
scope — by default the areas of the New Towns). An area is a signal only when

    |d − median(d)| > rounding noise of its two values + the minimum meaningful change

(``MIN_CHANGE`` per indicator, in its unit; for the Leefbaarometer 0,02 score points). There is no
quota: if nothing moved beyond the noise, nothing is flagged, and the page says how many changes were
tested and how many exceed the noise. The robust z ((d − median) / 1,4826·MAD) is still given as
context, not as the rule. The sign is oriented by the indicator's direction: "achteruit" means worse
than the general movement. Areas with fewer than 200 inhabitants in either year are left out:
(almost) uninhabited areas change by new construction, not by what happens to residents.

Both years are on one area division, that of the later year's values (``indicators/harmonise.py``):
a value of an area that changed between the divisions is converted through the crosswalk (and flagged
``omgerekend``); an area whose earlier value has no crosswalk to that division is left out and counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from gebiedsatlas.analysis.matrix import cached, gemeente_codes, indicator_matrix, scope_codes
from gebiedsatlas.areas.codes import Level
from gebiedsatlas.areas.index import area_index
from gebiedsatlas.indicators.catalogue import Direction, load_catalogue
from gebiedsatlas.indicators.harmonise import harmonised_values, is_unconvertible, latest_boundary_year
from gebiedsatlas.indicators.values import available_periods, observations
from gebiedsatlas.status import Status

DEFAULT_Z = 2.0
# Areas with fewer inhabitants (in either year) are left out of the comparison.
MIN_INHABITANTS = 200
# Smallest change worth a signal, in the indicator's unit: the catalogue's ``min_change`` (others: 0).
MIN_CHANGE = {i.id: i.min_change for i in load_catalogue().indicators.values() if i.min_change}


def rounding_noise(decimals_from, decimals_to):
    """The largest change rounding alone can make: half a unit of each value's published precision."""
    return 0.5 * 10.0 ** -np.asarray(decimals_from, dtype=float) + 0.5 * 10.0 ** -np.asarray(decimals_to, dtype=float)


def exceeds_noise(changes: pd.Series, noise: pd.Series | float, min_change: float) -> pd.Series:
    """True where a change differs from the general movement (median) by more than its noise plus the
    minimum meaningful change. No quota: changes within the noise are never flagged."""
    if changes.empty:
        return changes.astype(bool)
    general = float(changes.median())
    return (changes - general).abs() > (noise + min_change + 1e-12)


def robust_z(changes: pd.Series) -> pd.Series:
    """(d − median) / (1.4826 · MAD); falls back to the sd when the MAD is 0, NaN when no spread."""
    finite = changes.dropna()
    if finite.empty:
        return changes * np.nan
    median = finite.median()
    scale = 1.4826 * (finite - median).abs().median()
    # A MAD that is zero but for rounding (ties shifted by float noise) is zero.
    if not scale > 1e-9 * max(1.0, float(finite.abs().max())):
        scale = finite.std(ddof=1) if len(finite) > 1 else np.nan
    if not scale or not np.isfinite(scale):
        return changes * np.nan
    return (changes - median) / scale


@dataclass
class ChangeSignals:
    indicator_id: str
    period_from: int
    period_to: int
    level: str
    scope: str
    z_threshold: float
    min_change: float
    median_change: float | None
    noise_scale: float | None
    compared: int
    table: pd.DataFrame = field(repr=False)
    excluded_small: int = 0  # areas left out for having fewer than ``MIN_INHABITANTS`` inhabitants
    boundary_year: int | None = None  # the one area division both years are on
    converted: int = 0  # areas with a value converted to that division ("omgerekend")
    unconvertible: int = 0  # areas left out: their earlier value has no crosswalk to that division
    exceeding: int = 0  # changes larger than rounding noise + minimum meaningful change (= signals)

    @property
    def boundary_note(self) -> str | None:
        """Which division the comparison uses, in Dutch (None without values)."""
        if self.boundary_year is None:
            return None
        text = f"Beide jaren op de gebiedsindeling van {self.boundary_year}"
        if self.converted:
            text += (f"; bij {self.converted} gebied(en) is een waarde omgerekend omdat de grenzen veranderden "
                     "(kolom ‘omgerekend’)")
        text += "."
        if self.unconvertible:
            text += (f" {self.unconvertible} gebied(en) doen niet mee: er is geen omrekentabel naar de "
                     f"grenzen van {self.boundary_year}.")
        return text

    def rows(self, signals_only: bool = False) -> list[dict]:
        frame = self.table[self.table["signal"]] if signals_only else self.table
        out = []
        for code, row in frame.iterrows():
            item = {"area_code": code}
            for key, value in row.items():
                if isinstance(value, float | np.floating):
                    value = None if not np.isfinite(value) else float(value)
                elif isinstance(value, np.bool_):
                    value = bool(value)
                item[key] = value
            out.append(item)
        return out


def default_periods(session: Session, indicator_id: str) -> tuple[int, int]:
    """The last two periods of an indicator that have values."""
    periods = available_periods(session, indicator_id)
    if len(periods) < 2:
        raise ValueError(f"{indicator_id} heeft maar {len(periods)} periode(n): geen verandering te meten")
    return periods[-2], periods[-1]


def change_signals(session: Session, indicator_id: str, period_from: int | None = None,
                   period_to: int | None = None, level: Level | str = Level.WIJK, scope: str = "nta",
                   z_threshold: float = DEFAULT_Z, min_change: float | None = None,
                   min_inhabitants: float = MIN_INHABITANTS) -> ChangeSignals:
    """Changes of one indicator between two periods with their robust z and signal flag."""
    level = Level(level)
    ind = load_catalogue()[indicator_id]
    if period_from is None or period_to is None:
        period_from, period_to = default_periods(session, indicator_id)
    min_change = MIN_CHANGE.get(indicator_id, 0.0) if min_change is None else min_change

    def compute() -> ChangeSignals:
        index = area_index(session)
        codes = scope_codes(index, level, scope, period_to)
        # Exact periods only, both on the later year's division: a change needs a value in both years
        # for the same area on the same boundaries.
        boundary_year = latest_boundary_year(observations(session, codes, [indicator_id], [period_to]))
        values = (harmonised_values(session, codes, [indicator_id], boundary_year, [period_from, period_to])
                  if boundary_year is not None else pd.DataFrame(columns=["area_code", "period", "value",
                                                                          "status", "method"]))
        usable = values["status"].isin([s.value for s in Status if s.has_value]) & values["value"].notna()
        by_period = {p: f.set_index("area_code") for p, f in values[usable].groupby("period")}
        empty = pd.DataFrame(columns=["value", "status"])
        first, last = by_period.get(period_from, empty), by_period.get(period_to, empty)
        table = pd.DataFrame({"value_from": first["value"].reindex(codes).astype(float),
                              "value_to": last["value"].reindex(codes).astype(float)}).dropna()

        def precision(frame: pd.DataFrame) -> pd.Series:
            sources = frame["source_id"] if "source_id" in frame else pd.Series(None, index=frame.index)
            return pd.Series([ind.decimals_for(None if pd.isna(src) else str(src), str(st))
                              for src, st in zip(sources, frame["status"], strict=True)], index=frame.index,
                             dtype=float)
        converted_codes = set(first.index[first["status"] == Status.CONVERTED.value]) | set(
            last.index[last["status"] == Status.CONVERTED.value])
        table["omgerekend"] = table.index.isin(converted_codes)
        stranded = values[(values["period"] == period_from).to_numpy()
                          & np.array([is_unconvertible(m) for m in values["method"]], dtype=bool)]
        unconvertible = int(stranded["area_code"].isin(last.index).sum())
        # (Almost) uninhabited areas change by new construction, not by what happens to residents.
        people_from = indicator_matrix(session, list(table.index), ["inwoners"], period_from).values["inwoners"]
        people_to = indicator_matrix(session, list(table.index), ["inwoners"], period_to).values["inwoners"]
        inhabited = (people_from.fillna(0) >= min_inhabitants) & (people_to.fillna(0) >= min_inhabitants)
        excluded = int((~inhabited).sum())
        table = table[inhabited.reindex(table.index, fill_value=False)]
        table["change"] = table["value_to"] - table["value_from"]
        sign = -1 if ind.direction is Direction.HIGHER_IS_WORSE else 1
        table["robust_z"] = robust_z(table["change"]) * sign  # oriented: negative = worse than trend
        table["ruis"] = rounding_noise(precision(first).reindex(table.index).fillna(ind.decimals),
                                       precision(last).reindex(table.index).fillna(ind.decimals))
        table["signal"] = exceeds_noise(table["change"], table["ruis"], min_change)
        if ind.direction is Direction.NEUTRAL:
            words = np.where(table["robust_z"] < 0, "sterker gedaald", "sterker gestegen")
        else:
            words = np.where(table["robust_z"] < 0, "achteruit", "vooruit")
        table["signal_label"] = np.where(table["signal"], words, "binnen de ruis")
        gemeenten = gemeente_codes(session, table.index)
        table.insert(0, "area_name", [index.areas[c].name for c in table.index])
        table.insert(1, "gemeente_name", [index.areas[gemeenten[c]].name if gemeenten[c] else None
                                          for c in table.index])
        table = table.sort_values("robust_z")
        finite = table["change"]
        median = float(finite.median()) if len(finite) else None
        mad = float(1.4826 * (finite - finite.median()).abs().median()) if len(finite) else None
        return ChangeSignals(indicator_id=indicator_id, period_from=period_from, period_to=period_to,
                             level=level.value, scope=scope, z_threshold=z_threshold, min_change=min_change,
                             median_change=median, noise_scale=mad, compared=len(table), table=table,
                             excluded_small=excluded, boundary_year=boundary_year,
                             converted=int(table["omgerekend"].sum()), unconvertible=unconvertible,
                             exceeding=int(table["signal"].sum()))

    key = ("change", indicator_id, period_from, period_to, level.value, scope, z_threshold, min_change,
           min_inhabitants)
    return cached(session, key, compute)
