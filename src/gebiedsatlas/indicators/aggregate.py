"""Combining the values of several areas into one, by the indicator's aggregation rule.

One vectorised implementation serves every use: gemeenten derived from their wijken on import, and
the New Towns, any area set and the Netherlands at query time. Each result says how much of the
members it covers; below ``MIN_COVERAGE`` no value is given rather than a misleading one.

Rules:
- ``sum``: the sum, only when every member has a value (a partial sum would be an undercount).
- ``weighted_mean``: Σ(value·weight) / Σweight over members with both; coverage is the share of the
  total weight that has a value.
- ``ratio``: Σnumerator / Σdenominator × scale over members with both; coverage is the share of the
  total denominator.
- ``none``: never aggregated.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gebiedsatlas.indicators.catalogue import AggregationMethod, AggregationRule

MIN_COVERAGE = 0.8


@dataclass(frozen=True)
class Aggregate:
    value: float | None
    members: int
    used: int
    coverage: float | None
    reason: str | None = None  # why there is no value

    @property
    def has_value(self) -> bool:
        return self.value is not None


def aggregate_groups(rule: AggregationRule, frame: pd.DataFrame) -> pd.DataFrame:
    """Aggregate ``frame`` per ``group``.

    ``frame`` has one row per member with columns ``group``, ``value`` and, as the rule needs,
    ``weight``, ``numerator``, ``denominator`` (NaN where unknown). Returns one row per group with
    ``value`` (NaN when not computable), ``members``, ``used``, ``coverage`` and ``reason``.
    """
    groups = frame.groupby("group", sort=False)
    out = pd.DataFrame({"members": groups.size()})
    value = frame["value"].astype(float)

    if rule.method is AggregationMethod.SUM:
        used_mask = value.notna()
        out["used"] = used_mask.groupby(frame["group"]).sum()
        out["value"] = value.groupby(frame["group"]).sum(min_count=1)
        out["coverage"] = out["used"] / out["members"]
        complete = out["used"] == out["members"]
        out["reason"] = np.where(complete, None, "niet alle deelgebieden hebben een waarde")
        out.loc[~complete, "value"] = np.nan
    elif rule.method in (AggregationMethod.WEIGHTED_MEAN, AggregationMethod.RATIO):
        if rule.method is AggregationMethod.WEIGHTED_MEAN:
            weight = frame["weight"].astype(float)
            weight = weight.where(weight > 0)
            used_mask = value.notna() & weight.notna()
            top = (value * weight).where(used_mask)
        else:
            weight = frame["denominator"].astype(float)
            numerator = frame["numerator"].astype(float)
            used_mask = numerator.notna() & weight.notna()
            top = numerator.where(used_mask) * rule.scale
        bottom = weight.where(used_mask)
        by = frame["group"]
        out["used"] = used_mask.groupby(by).sum()
        sum_bottom = bottom.groupby(by).sum(min_count=1)
        total_weight = weight.groupby(by).sum(min_count=1)
        out["value"] = top.groupby(by).sum(min_count=1) / sum_bottom.where(sum_bottom != 0)
        out["coverage"] = (sum_bottom / total_weight).fillna(0.0)
        enough = out["coverage"] >= MIN_COVERAGE
        out["reason"] = np.where(
            enough, None, f"minder dan {MIN_COVERAGE:.0%} van het gewicht heeft een waarde"
        )
        out.loc[~enough, "value"] = np.nan
    else:
        out["used"] = 0
        out["value"] = np.nan
        out["coverage"] = np.nan
        out["reason"] = "deze indicator is niet op te tellen"
    out["reason"] = out["reason"].where(out["value"].isna(), None)
    return out.reset_index()


def aggregate(rule: AggregationRule, members: pd.DataFrame) -> Aggregate:
    """Aggregate one group of members (same columns as ``aggregate_groups`` minus ``group``)."""
    if members.empty:
        return Aggregate(None, 0, 0, None, "geen deelgebieden")
    row = aggregate_groups(rule, members.assign(group=0)).iloc[0]
    value = None if pd.isna(row["value"]) else float(row["value"])
    coverage = None if pd.isna(row["coverage"]) else float(row["coverage"])
    return Aggregate(value, int(row["members"]), int(row["used"]), coverage, row["reason"])




def input_period_note(rule: AggregationRule, period: int, used: dict[str, int | None]) -> str:
    """Which year's weights (or counts) an aggregate used, when not its own year.

    ``used`` maps each input id of ``rule`` to the period it was taken from. Past years' aggregates are
    weighted by that year's inhabitants where the store has them; where it does not (the Leefbaarometer
    2002-2020 against inhabitants of 2022 and 2024) the note says so, so the reader knows that areas
    built later weigh in as if they already existed.
    """
    parts = [f"{input_id} van {at}" for input_id, at in used.items()
             if at is not None and at != period and input_id in rule.inputs]
    if not parts:
        return ""
    return f"; gewogen met {', '.join(parts)} (geen cijfer van {period} beschikbaar)"
