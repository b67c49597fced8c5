"""Values Gebiedsatlas derives on import, always with status ``derived`` and a method note.

- ``compute_shares``: shares the catalogue defines from two counts (``compute:``), e.g. the share of
  0-14 year olds from the count of 0-14 year olds and inhabitants, where no published share exists.
- ``derive_parents``: wijken from buurten and gemeenten from wijken, by each indicator's
  aggregation rule, where the source publishes no value for the parent at all (a suppressed parent
  value stays suppressed).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gebiedsatlas.indicators.aggregate import aggregate_groups, nearest_period
from gebiedsatlas.indicators.catalogue import AggregationMethod, Catalogue
from gebiedsatlas.sources.values import Status

OBSERVATION_COLUMNS = [
    "area_code", "indicator_id", "period", "value", "status", "source_id", "boundary_year", "method",
]


def _with_value(obs: pd.DataFrame) -> pd.DataFrame:
    return obs[obs["status"].isin([Status.OBSERVED.value, Status.DERIVED.value])]


def compute_shares(obs: pd.DataFrame, catalogue: Catalogue) -> pd.DataFrame:
    """Add derived rows for every ``compute:`` indicator; returns the extended frame."""
    new = []
    existing = obs.set_index(["area_code", "indicator_id", "period"]).index
    valued = _with_value(obs)
    for ind in catalogue.indicators.values():
        if not ind.compute:
            continue
        num = valued[valued.indicator_id == ind.compute.numerator]
        den = valued[valued.indicator_id == ind.compute.denominator]
        pair = num.merge(den[["area_code", "period", "value"]], on=["area_code", "period"],
                         suffixes=("", "_den"))
        pair = pair[pair["value_den"] > 0]
        if pair.empty:
            continue
        rows = pd.DataFrame({
            "area_code": pair["area_code"],
            "indicator_id": ind.id,
            "period": pair["period"],
            "value": pair["value"] / pair["value_den"] * ind.compute.scale,
            "status": Status.DERIVED.value,
            "source_id": pair["source_id"],
            "boundary_year": pair["boundary_year"],
            "method": f"{ind.compute.numerator} / {ind.compute.denominator} × {ind.compute.scale:g}",
        })
        keys = pd.MultiIndex.from_frame(rows[["area_code", "indicator_id", "period"]])
        new.append(rows[~keys.isin(existing)])
    return pd.concat([obs, *new], ignore_index=True) if new else obs


def derive_parents(obs: pd.DataFrame, parent_of: dict[str, str], catalogue: Catalogue,
                   child_prefix: str) -> pd.DataFrame:
    """Derive parent values from children whose code starts with ``child_prefix`` (BU or WK)."""
    children = obs[obs["area_code"].str.startswith(child_prefix)].copy()
    if children.empty:
        return obs
    children["group"] = children["area_code"].map(parent_of)
    existing = obs.set_index(["area_code", "indicator_id", "period"]).index
    valued = _with_value(children)
    periods_of = {i: set(f["period"]) for i, f in valued.groupby("indicator_id")}
    series_of = {
        key: f.set_index("area_code")["value"]
        for key, f in valued.groupby(["indicator_id", "period"])
    }
    new = []
    for (indicator_id, period), members in children.groupby(["indicator_id", "period"]):
        rule = catalogue[indicator_id].aggregation
        if rule.method is AggregationMethod.NONE:
            continue
        frame = members[["area_code", "group", "value", "source_id", "boundary_year"]].copy()
        frame.loc[members["status"].isin([Status.SUPPRESSED.value, Status.MISSING.value]),
                  "value"] = np.nan
        for role in ("weight", "numerator", "denominator"):
            input_id = getattr(rule, role)
            if not input_id:
                continue
            at = nearest_period(periods_of.get(input_id, set()), period)
            frame[role] = frame["area_code"].map(series_of.get((input_id, at), pd.Series()))
        result = aggregate_groups(rule, frame)
        result = result[result["value"].notna()]
        if result.empty:
            continue
        first = frame.groupby("group")[["source_id", "boundary_year"]].first()
        rows = pd.DataFrame({
            "area_code": result["group"],
            "indicator_id": indicator_id,
            "period": period,
            "value": result["value"],
            "status": Status.DERIVED.value,
            "source_id": result["group"].map(first["source_id"]),
            "boundary_year": result["group"].map(first["boundary_year"]),
            "method": [
                f"{rule.describe()}: {u} van {m} deelgebieden (dekking {c:.0%})"
                for u, m, c in zip(result["used"], result["members"], result["coverage"],
                                   strict=True)
            ],
        })
        keys = pd.MultiIndex.from_frame(rows[["area_code", "indicator_id", "period"]])
        new.append(rows[~keys.isin(existing)])
    return pd.concat([obs, *new], ignore_index=True) if new else obs
