"""Values converted to the boundaries of another year through a crosswalk (``areas/crosswalk.py``).

Counts are apportioned by the weights; rates are recomputed from apportioned numerators and
denominators, and averages from apportioned weights, with the indicator's own aggregation rule
(``indicators/aggregate.py``), never by averaging rates. Non-additive indicators (rule ``none``) move
only with unchanged or recoded areas. Every converted value gets status ``converted`` ("omgerekend")
and a method text with its coverage ("dekking").

One direction is the truth: the forward rows (from the boundaries the value was published on to the
target boundaries) give both the converted number and its note. The coverage is the share of what the
to-area receives through those rows -- apportioned counts, weights or denominators, by the indicator's
own rule -- that comes from source areas with a value (``aggregate_groups``' ``coverage``). It used to
be taken from the backward rows (to->from), which are rescaled and cleaned on their own: a value could
rest for 99 % on one source area and say "overlap 3%".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gebiedsatlas.indicators.aggregate import aggregate_groups
from gebiedsatlas.indicators.catalogue import AggregationMethod, Catalogue
from gebiedsatlas.periods import nearest_period
from gebiedsatlas.status import Status


def _valued(values: pd.DataFrame) -> pd.DataFrame:
    ok = values["status"].isin([Status.OBSERVED.value, Status.DERIVED.value, Status.CONVERTED.value])
    return values.assign(value=values["value"].where(ok))


CONVERTED_COLUMNS = ["area_code", "indicator_id", "period", "value", "status", "source_id", "boundary_year",
                     "method"]


def lookup_values(table: pd.Series, indicator_id: str, codes: np.ndarray, periods: np.ndarray) -> np.ndarray:
    """Values of ``table`` (indexed by indicator, area, period) for these areas and periods (NaN if absent)."""
    keys = pd.MultiIndex.from_arrays([np.full(len(codes), indicator_id, dtype=object), codes, periods])
    return table.reindex(keys).to_numpy(dtype=float)


def convert_values(values: pd.DataFrame, forward: pd.DataFrame,
                   catalogue: Catalogue, indicator_ids: list[str],
                   periods: list[int] | None = None) -> pd.DataFrame:
    """Values of ``indicator_ids`` on the from boundaries, expressed on the to boundaries.

    ``values`` are long-form observations on the from boundaries (``area_code, indicator_id, period,
    value, status, source_id``), including the inputs the rules need (weights, numerators,
    denominators) in any period (the nearest one is used). ``forward`` are the crosswalk rows from->to,
    the only rows used: for the numbers and for their coverage note. Returns one row per to-area,
    indicator and period (of ``periods``, or all) with status ``converted`` (or ``missing`` with the reason).
    """
    if forward.empty or values.empty:
        return pd.DataFrame(columns=CONVERTED_COLUMNS)
    from_year, to_year = int(forward["from_year"].iloc[0]), int(forward["to_year"].iloc[0])
    values = _valued(values).drop_duplicates(["indicator_id", "area_code", "period"])
    table = values.set_index(["indicator_id", "area_code", "period"])["value"]
    periods_of = {i: sorted(set(f)) for i, f in values.groupby("indicator_id")["period"]}
    links = forward.rename(columns={"weight": "share"})[["from_code", "to_code", "share"]]
    out = []
    for indicator_id in indicator_ids:
        rule = catalogue[indicator_id].aggregation
        wanted = [p for p in periods_of.get(indicator_id, []) if periods is None or p in periods]
        if not wanted:
            continue
        # Every link in every period at once; a group is one to-area in one period.
        frame = links.merge(pd.DataFrame({"period": wanted}), how="cross")
        codes, when = frame["from_code"].to_numpy(dtype=object), frame["period"].to_numpy()
        frame["group"] = frame["to_code"] + "@" + frame["period"].astype(str)
        value = lookup_values(table, indicator_id, codes, when)
        frame["value"] = value * frame["share"].to_numpy() if rule.method is AggregationMethod.SUM else value
        for role in ("weight", "numerator", "denominator"):
            input_id = getattr(rule, role)
            if input_id:
                nearest = {p: nearest_period(periods_of.get(input_id, []), p) for p in wanted}
                at = frame["period"].map(nearest).fillna(-1).astype(int).to_numpy()
                frame[role] = lookup_values(table, input_id, codes, at) * frame["share"].to_numpy()  # apportioned
        carry = rule.method is AggregationMethod.NONE
        result = _carry_whole(frame) if carry else aggregate_groups(rule, frame)
        has = pd.Series(~np.isnan(value), index=frame.index)
        sources = has.groupby(frame["group"]).sum()
        # The coverage of the same aggregation that made the number, over the same forward rows.
        share = result["coverage"].astype(float).fillna(0.0).to_numpy()
        count = result["group"].map(sources).fillna(0).astype(int).to_numpy()
        # A number must rest on some weight: none from sources that pass it nothing (a guard).
        ok = result["value"].notna().to_numpy() & (share > 0)
        reasons = np.where(result["value"].notna().to_numpy() & (share <= 0), NO_OVERLAP, result["reason"])
        describe = _describe(rule)
        # A value without a number states no coverage: for counts the forward rows know only how many
        # parts lack a value, not how much of the area they are (the reason says which).
        methods = [f"omgerekend naar grenzen {to_year}: {describe}, {n} gebied(en) van {from_year}"
                   + (f", dekking {overlap_text(s)}" if good else f"; {reason}")
                   for n, s, good, reason in zip(count, share, ok, reasons, strict=True)]
        split = result["group"].str.rsplit("@", n=1, expand=True)
        out.append(pd.DataFrame({
            "area_code": split[0].to_numpy(), "indicator_id": indicator_id,
            "period": split[1].astype(int).to_numpy(),
            "value": np.where(ok, result["value"].to_numpy(dtype=float), np.nan),
            "status": np.where(ok, Status.CONVERTED.value, Status.MISSING.value),
            "source_id": None, "boundary_year": to_year, "method": methods,
        }))
    if not out:
        return pd.DataFrame(columns=CONVERTED_COLUMNS)
    return pd.concat(out, ignore_index=True)[CONVERTED_COLUMNS]


NO_OVERLAP = "de brongebieden met een waarde geven dit gebied niets door"


def overlap_text(share: float) -> str:
    """The coverage of a converted value in words: a whole percentage, ``<1%`` for a small coverage that is
    not none (so ``0%`` always means none)."""
    return "<1%" if 0 < share < 0.005 else f"{share:.0%}"


def _describe(rule) -> str:
    if rule.method is AggregationMethod.SUM:
        return "aantallen verdeeld naar aandeel"
    if rule.method is AggregationMethod.RATIO:
        return f"{rule.numerator} en {rule.denominator} verdeeld, verhouding opnieuw berekend"
    if rule.method is AggregationMethod.WEIGHTED_MEAN:
        return f"gemiddelde opnieuw gewogen naar verdeeld {rule.weight}"
    return "ongewijzigd overgenomen"


def _carry_whole(frame: pd.DataFrame) -> pd.DataFrame:
    """Rule ``none``: a value moves only when the to-area is one whole from-area (unchanged/recoded): by the
    forward rows, it receives from that one area only, and all of it."""
    groups = frame.groupby("group", sort=False)
    summary = groups.agg(members=("share", "size"), share=("share", "first"), value=("value", "first"))
    whole = (summary["members"] == 1) & (summary["share"] == 1.0)
    return pd.DataFrame({
        "group": summary.index,
        "value": summary["value"].where(whole).to_numpy(dtype=float),
        "members": summary["members"].to_numpy(), "used": summary["members"].to_numpy(),
        "coverage": whole.astype(float).to_numpy(),
        "reason": "niet om te rekenen: deze indicator is niet op te tellen en het gebied is veranderd",
    })
