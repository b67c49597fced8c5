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

from gebiedsatlas.indicators.aggregate import aggregate_groups, input_period_note
from gebiedsatlas.indicators.catalogue import AggregationMethod, Catalogue
from gebiedsatlas.periods import nearest_period
from gebiedsatlas.status import Status

OBSERVATION_COLUMNS = [
    "area_code", "indicator_id", "period", "value", "status", "source_id", "boundary_year", "method",
]


# String columns are categorical: at national scale (about 18 million rows) this keeps the frame small
# and the grouping fast.
CATEGORICAL_COLUMNS = ("area_code", "indicator_id", "status", "source_id", "method")
_VALUED = (Status.OBSERVED.value, Status.DERIVED.value)
_PERIOD_FACTOR = 10_000  # group keys: parent code number × 10,000 + period
_MEMBERS_FACTOR = 1_000_000  # method note keys: used × 1,000,000 + members (× distinct coverages + coverage)


def _is_compact(obs: pd.DataFrame) -> bool:
    return list(obs.columns) == OBSERVATION_COLUMNS and all(
        (isinstance(obs[c].dtype, pd.CategoricalDtype) and obs[c].cat.categories.dtype == object)
        if c in CATEGORICAL_COLUMNS else obs[c].dtype == (np.float64 if c == "value" else np.int32)
        for c in OBSERVATION_COLUMNS)


def compact(obs: pd.DataFrame) -> pd.DataFrame:
    """The observations with categorical string columns and 32-bit integer years (no copy if already)."""
    if _is_compact(obs):
        return obs
    out = {}
    for column in OBSERVATION_COLUMNS:
        series = obs[column]
        if column in CATEGORICAL_COLUMNS:
            cat = series if isinstance(series.dtype, pd.CategoricalDtype) else series.astype("category")
            if cat.cat.categories.dtype != object:  # one category dtype, so frames can be united
                # from_codes keeps the codes (set_categories would look up every row again)
                cat = pd.Series(pd.Categorical.from_codes(cat.cat.codes.to_numpy(),
                                                          cat.cat.categories.astype(object), validate=False),
                                index=cat.index)
            out[column] = cat
        elif column == "value":
            out[column] = series.astype(float)
        else:
            out[column] = series.astype(np.int32)
    return pd.DataFrame(out)


def _recode(codes: np.ndarray, own: pd.Index, categories: pd.Index) -> np.ndarray:
    """Codes into ``own`` categories as codes into ``categories`` (a superset); -1 (no value) stays -1.

    A lookup table per category, not per row: recoding a national-size column costs one take.
    """
    table = np.append(categories.get_indexer(own), -1)  # code -1 picks the appended -1
    return table[codes]


def concat_observations(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate observation frames, keeping the columns categorical.

    New categories are appended after the first frame's, so the first frame's codes stay valid and
    are copied once; the others are recoded through a lookup table of their categories.
    """
    frames = [compact(f) for f in frames if len(f)]
    if not frames:
        return compact(pd.DataFrame({c: [] for c in OBSERVATION_COLUMNS}))
    if len(frames) == 1:
        return frames[0]
    columns = {}
    for column in OBSERVATION_COLUMNS:
        parts = [f[column] for f in frames]
        if column in CATEGORICAL_COLUMNS:
            categories = parts[0].cat.categories
            extra = pd.Index(pd.unique(np.concatenate([p.cat.categories.to_numpy(dtype=object)
                                                         for p in parts[1:]])), dtype=object)
            categories = categories.append(extra.difference(categories, sort=False))
            codes = [parts[0].cat.codes.to_numpy()] + [
                _recode(p.cat.codes.to_numpy(), p.cat.categories, categories) for p in parts[1:]]
            dtype = np.int8 if len(categories) < 127 else np.int16 if len(categories) < 32_767 else np.int32
            columns[column] = pd.Categorical.from_codes(
                np.concatenate([c.astype(dtype, copy=False) for c in codes]), categories=categories,
                validate=False)
        else:
            columns[column] = np.concatenate([p.to_numpy() for p in parts])
    return pd.DataFrame(columns, copy=False)


def compute_shares(obs: pd.DataFrame, catalogue: Catalogue) -> pd.DataFrame:
    """Add derived rows for every ``compute:`` indicator; returns the extended frame."""
    obs = compact(obs)
    rules = [ind for ind in catalogue.indicators.values() if ind.compute]
    if not rules:
        return obs
    needed = {i for r in rules for i in r.compute.inputs}
    valued = obs[obs["indicator_id"].isin(needed) & obs["status"].isin(_VALUED)]
    new = []
    for ind in rules:
        if ind.compute.terms:
            rows = _sum_rows(valued, ind)
            if rows is not None:
                own = obs[obs["indicator_id"] == ind.id]
                existing = pd.MultiIndex.from_arrays([own["area_code"].astype(str), own["period"]])
                keys = pd.MultiIndex.from_arrays([rows["area_code"], rows["period"]])
                new.append(rows[~keys.isin(existing)])
            continue
        num = valued[valued["indicator_id"] == ind.compute.numerator]
        den = valued[valued["indicator_id"] == ind.compute.denominator]
        pair = num.merge(den[["area_code", "period", "value"]], on=["area_code", "period"],
                         suffixes=("", "_den"))
        pair = pair[pair["value_den"] > 0]
        if pair.empty:
            continue
        own = obs[obs["indicator_id"] == ind.id]
        existing = pd.MultiIndex.from_arrays([own["area_code"].astype(str), own["period"]])
        rows = pd.DataFrame({
            "area_code": pair["area_code"].astype(str).to_numpy(),
            "indicator_id": ind.id,
            "period": pair["period"].to_numpy(),
            "value": (pair["value"] / pair["value_den"] * ind.compute.scale).to_numpy(),
            "status": Status.DERIVED.value,
            "source_id": pair["source_id"].astype(str).to_numpy(),
            "boundary_year": pair["boundary_year"].to_numpy(),
            "method": ind.compute.describe(),
        })
        keys = pd.MultiIndex.from_arrays([rows["area_code"], rows["period"]])
        new.append(rows[~keys.isin(existing)])
    return concat_observations([obs, *new]) if new else obs


def _sum_rows(valued: pd.DataFrame, ind) -> pd.DataFrame | None:
    """Derived rows for a ``compute: {sum: [...]}`` indicator: only where every term has a value."""
    terms = ind.compute.terms
    parts = valued[valued["indicator_id"].isin(terms)]
    if parts.empty:
        return None
    frame = pd.DataFrame({"area_code": parts["area_code"].astype(str).to_numpy(),
                          "period": parts["period"].to_numpy(), "value": parts["value"].to_numpy(),
                          "source_id": parts["source_id"].astype(str).to_numpy(),
                          "boundary_year": parts["boundary_year"].to_numpy()})
    grouped = frame.groupby(["area_code", "period"], sort=False).agg(
        value=("value", "sum"), count=("value", "size"), source_id=("source_id", "first"),
        boundary_year=("boundary_year", "first")).reset_index()
    grouped = grouped[grouped["count"] == len(terms)]  # a missing or suppressed term: no sum
    if grouped.empty:
        return None
    return pd.DataFrame({
        "area_code": grouped["area_code"].to_numpy(), "indicator_id": ind.id,
        "period": grouped["period"].to_numpy(), "value": grouped["value"].to_numpy(dtype=float),
        "status": Status.DERIVED.value, "source_id": grouped["source_id"].to_numpy(),
        "boundary_year": grouped["boundary_year"].to_numpy(), "method": ind.compute.describe(),
    })


def derive_parents(obs: pd.DataFrame, parent_of: dict[str, str], catalogue: Catalogue,
                   child_prefix: str) -> pd.DataFrame:
    """Derive parent values from children whose code starts with ``child_prefix`` (BU or WK).

    Vectorised per indicator (all periods at once), so a national buurt source with a hundred
    indicators and ten years derives its wijken and gemeenten in seconds.
    """
    obs = compact(obs)
    new = _derived_rows(obs, parent_of, catalogue, child_prefix)
    # Concatenated after ``_derived_rows`` has returned, so that its per-child arrays (~25 bytes a buurt
    # value) are freed: otherwise they, the old frame and the new one all make the import's memory peak.
    return concat_observations([obs, *new]) if new else obs


def _derived_rows(obs: pd.DataFrame, parent_of: dict[str, str], catalogue: Catalogue,
                  child_prefix: str) -> list[pd.DataFrame]:
    """The derived parent rows of ``derive_parents``, one compact frame per indicator."""
    categories = obs["area_code"].cat.categories
    codes = obs["area_code"].cat.codes.to_numpy()
    # Parents are resolved per category (about 18,000 codes), not per row.
    parent_of_category, parent_names = pd.factorize(pd.Series(categories).map(parent_of).to_numpy(dtype=object))
    child_category = np.asarray(categories.str.startswith(child_prefix), dtype=bool) & (parent_of_category >= 0)
    mask = child_category[codes]
    if not mask.any():
        return []
    child_codes = codes[mask]
    parent_codes = parent_of_category[child_codes].astype(np.int32)
    valued_status = np.asarray(obs["status"].cat.categories.isin(_VALUED), dtype=bool)
    has_value = valued_status[obs["status"].cat.codes.to_numpy()[mask]]
    value = np.where(has_value, obs["value"].to_numpy()[mask], np.nan)
    period = obs["period"].to_numpy()[mask]
    indicator_codes = obs["indicator_id"].cat.codes.to_numpy()[mask]
    indicator_names = obs["indicator_id"].cat.categories
    periods_of: dict[str, list[int]] = {}
    for code in np.unique(indicator_codes[has_value]):
        periods_of[indicator_names[code]] = sorted(set(period[has_value & (indicator_codes == code)].tolist()))
    lookups: dict[str, pd.Series] = {}

    def lookup(input_id: str) -> pd.Series:
        """Valued child values of one indicator, keyed by area code number × 10,000 + period."""
        if input_id not in lookups:
            where = has_value & (indicator_codes == indicator_names.get_loc(input_id)) \
                if input_id in indicator_names else np.zeros(len(value), dtype=bool)
            keys = child_codes[where].astype(np.int64) * _PERIOD_FACTOR + period[where]
            lookups[input_id] = pd.Series(value[where], index=keys)
        return lookups[input_id]

    is_parent = np.append(np.asarray(categories.isin(list(parent_names)), dtype=bool), False)
    parent_rows = obs.loc[is_parent[codes], ["area_code", "indicator_id", "period"]]
    # Parent values the sources publish, as group keys per indicator (a derived value never replaces one).
    parent_position = pd.Index(parent_names).get_indexer(parent_rows["area_code"].astype(object))
    existing_keys = parent_position.astype(np.int64) * _PERIOD_FACTOR + parent_rows["period"].to_numpy()
    existing_indicator = parent_rows["indicator_id"].astype(object).to_numpy()
    grouped, indicators = pd.factorize(existing_indicator)
    order = np.argsort(grouped, kind="stable")
    bounds = np.searchsorted(grouped[order], np.arange(len(indicators) + 1))
    existing = {i: existing_keys[order[bounds[n]:bounds[n + 1]]] for n, i in enumerate(indicators)}
    del order
    del parent_rows, parent_position, existing_keys, existing_indicator
    source_codes = obs["source_id"].cat.codes.to_numpy()[mask]
    source_names = obs["source_id"].cat.categories
    boundary = obs["boundary_year"].to_numpy()[mask]
    new = []
    for code in np.unique(indicator_codes):
        indicator_id = indicator_names[code]
        rule = catalogue[indicator_id].aggregation
        if rule.method is AggregationMethod.NONE:
            continue
        rows = np.flatnonzero(indicator_codes == code)
        compute = catalogue[indicator_id].compute
        if compute is not None:
            # A share the catalogue computes from two counts is computed for the parent from the
            # parent's own counts (``compute_shares`` after the counts are derived), never averaged
            # from the children's shares: the share must match the counts shown beside it. Only
            # periods without those counts (the 2022 shares) are aggregated.
            rows = rows[~np.isin(period[rows], periods_of.get(compute.numerator, []))]
            if not len(rows):
                continue
        group = parent_codes[rows].astype(np.int64) * _PERIOD_FACTOR + period[rows]
        frame = pd.DataFrame({"group": group, "value": value[rows]})
        used_by_period: dict[int, dict[str, int | None]] = {}
        for role in ("weight", "numerator", "denominator"):
            input_id = getattr(rule, role)
            if not input_id:
                continue
            available = periods_of.get(input_id, [])
            nearest = {p: nearest_period(available, p) for p in np.unique(period[rows]).tolist()}
            for p, at in nearest.items():
                used_by_period.setdefault(p, {})[input_id] = at
            at = np.array([nearest[p] if nearest[p] is not None else -1 for p in period[rows].tolist()])
            keys = child_codes[rows].astype(np.int64) * _PERIOD_FACTOR + at
            frame[role] = lookup(input_id).reindex(keys).to_numpy()
        result = aggregate_groups(rule, frame)
        keep = result["value"].notna().to_numpy(copy=True)
        if indicator_id in existing:
            keep &= ~np.isin(result["group"].to_numpy(), existing[indicator_id])
        result = result[keep]
        if result.empty:
            continue
        first = pd.DataFrame({"group": group, "source": source_codes[rows], "boundary": boundary[rows]}) \
            .groupby("group", sort=False).first()
        groups = result["group"].to_numpy()
        names = parent_names[groups // _PERIOD_FACTOR]
        periods = (groups % _PERIOD_FACTOR).astype(np.int32)
        describe = rule.describe()
        # One note per distinct (used, members, coverage), not one f-string per derived row.
        coverage, coverages = pd.factorize(result["coverage"].to_numpy())
        combo = (result["used"].to_numpy(np.int64) * _MEMBERS_FACTOR + result["members"].to_numpy(np.int64)) \
            * len(coverages) + coverage
        combos, distinct = pd.factorize(combo)
        notes = np.array([f"{describe}: {k // len(coverages) // _MEMBERS_FACTOR} van "
                          f"{k // len(coverages) % _MEMBERS_FACTOR} deelgebieden "
                          f"(dekking {coverages[k % len(coverages)]:.0%})" for k in distinct.tolist()], dtype=object)
        method_notes = notes[combos]
        suffix = {p: input_period_note(rule, p, used) for p, used in used_by_period.items()}
        if any(suffix.values()):
            # Which year's weights a past year used, per distinct (note, period): not per row.
            period_codes, distinct_periods = pd.factorize(periods)
            width = len(distinct_periods)
            keyed, keys = pd.factorize(combos.astype(np.int64) * width + period_codes)
            texts = np.array([notes[k // width] + suffix.get(int(distinct_periods[k % width]), "")
                              for k in keys.tolist()], dtype=object)
            method_notes = texts[keyed]
        derived = pd.DataFrame({
            "area_code": np.asarray(names, dtype=object),
            "indicator_id": indicator_id,
            "period": periods,
            "value": result["value"].to_numpy(),
            "status": Status.DERIVED.value,
            "source_id": np.asarray(source_names[first.loc[groups, "source"].to_numpy()], dtype=object),
            "boundary_year": first.loc[groups, "boundary"].to_numpy(),
            "method": method_notes,
        })
        new.append(compact(derived))  # categorical right away: a million method strings add up
    return new
