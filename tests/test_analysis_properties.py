"""Property-based tests (Hypothesis) of the pure analysis steps, on synthetic component tables.

The tables here are synthetic by necessity (invariances need arbitrary inputs); they are never shown
to users. Real-data behaviour is tested in test_analysis_real.py.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from gebiedsatlas.analysis.change import robust_z
from gebiedsatlas.analysis.deviation import deviation
from gebiedsatlas.analysis.vulnerability import (
    Component,
    composite,
    exponential_transform,
    fit,
    orient,
    rank_intervals,
    standardise,
)
from gebiedsatlas.indicators.catalogue import Direction

COMPONENTS = (
    Component("a", "A", "inkomen", Direction.HIGHER_IS_WORSE, 0.5, "veel a"),
    Component("b", "B", "werk", Direction.HIGHER_IS_BETTER, 0.3, "weinig b"),
    Component("c", "C", "leefbaarheid", Direction.HIGHER_IS_BETTER, 0.2, "weinig c"),
)
WEIGHTS = pd.Series({c.id: c.weight for c in COMPONENTS})

finite = st.floats(min_value=-1e3, max_value=1e3, allow_nan=False, allow_infinity=False)
tables = arrays(np.float64, st.tuples(st.integers(5, 30), st.just(3)), elements=finite).map(
    lambda a: pd.DataFrame(a, columns=["a", "b", "c"], index=[f"X{i}" for i in range(len(a))]))


def scores(values: pd.DataFrame, method: str = "z", centers: pd.Series | None = None,
           fitted=None, cap: float | None = 3.0) -> pd.Series:
    oriented = orient(values, COMPONENTS)
    if method == "exponential":
        x = exponential_transform(oriented)
    else:
        fitted = fitted or fit(oriented, centers)
        x = standardise(oriented, fitted, cap)
    return composite(x, WEIGHTS, 0.4)["score"]


@settings(max_examples=60, deadline=None)
@given(tables, st.sampled_from(["a", "b", "c"]), st.floats(min_value=1e-3, max_value=1e3),
       st.sampled_from(["z", "exponential"]))
def test_scores_are_invariant_to_the_unit_of_a_component(values, column, factor, method):
    assume(values.std().min() > 1e-6)
    # Ranks (the exponential method) are only unit-free if rescaling keeps every order: values that
    # differ by a rounding error can become equal (or swap) once multiplied, which no method can help.
    distinct = np.sort(values[column].unique())
    assume(len(distinct) < 2 or np.diff(distinct).min() > 1e-9 * max(1.0, float(np.abs(distinct).max())))
    centers = orient(values, COMPONENTS).iloc[0]  # a reference value that scales along with the unit
    scaled = values.copy()
    scaled[column] = scaled[column] * factor
    scaled_centers = orient(scaled, COMPONENTS).iloc[0]
    before = scores(values, method, centers)
    after = scores(scaled, method, scaled_centers)
    assert np.allclose(before, after, atol=1e-9, rtol=1e-9)


@settings(max_examples=60, deadline=None)
@given(tables, st.sampled_from(COMPONENTS), st.floats(min_value=0.01, max_value=100))
def test_score_is_monotonic_in_each_component(values, component, step):
    """Making one component worse for one area never lowers its score (standardisation fixed)."""
    fitted = fit(orient(values, COMPONENTS))
    worse = values.copy()
    # Worse = higher for higher_is_worse, lower for higher_is_better.
    worse.iloc[0, worse.columns.get_loc(component.id)] += step * component.vulnerable_sign
    before, after = scores(values, fitted=fitted).iloc[0], scores(worse, fitted=fitted).iloc[0]
    assert after >= before - 1e-12
    # Without the cap it strictly rises.
    before, after = scores(values, fitted=fitted, cap=None).iloc[0], scores(worse, fitted=fitted, cap=None).iloc[0]
    assert after > before


@settings(max_examples=40, deadline=None)
@given(tables, st.sampled_from(COMPONENTS))
def test_exponential_transform_is_monotonic_in_each_component(values, component):
    worse = values.copy()
    column = worse.columns.get_loc(component.id)
    worse.iloc[0, column] = worse.iloc[:, column].max() + 1 if component.vulnerable_sign > 0 else \
        worse.iloc[:, column].min() - 1
    assert scores(worse, "exponential").iloc[0] >= scores(values, "exponential").iloc[0] - 1e-12


@settings(max_examples=60, deadline=None)
@given(tables, st.lists(st.tuples(st.integers(0, 4), st.sampled_from(["a", "b", "c"])), max_size=8))
def test_missing_components_are_left_out_and_reported_in_the_coverage(values, holes):
    with_holes = values.copy()
    for row, column in holes:
        with_holes.iloc[row, with_holes.columns.get_loc(column)] = np.nan
    x = standardise(orient(with_holes, COMPONENTS), fit(orient(values, COMPONENTS)), 3.0)
    result = composite(x, WEIGHTS, 0.4)
    for code in x.index:
        available = x.loc[code].notna()
        coverage = WEIGHTS[available].sum() / WEIGHTS.sum()
        assert math.isclose(result.at[code, "coverage"], coverage, abs_tol=1e-12)
        assert result.at[code, "n_components"] == available.sum()
        if coverage < 0.4 - 1e-12:
            assert math.isnan(result.at[code, "score"])  # too little data: no score, never 0
        else:
            expected = (x.loc[code][available] * WEIGHTS[available]).sum() / WEIGHTS[available].sum()
            assert math.isclose(result.at[code, "score"], expected, rel_tol=1e-9, abs_tol=1e-9)


@settings(max_examples=30, deadline=None)
@given(tables)
def test_rank_intervals_contain_the_median_rank(values):
    x = standardise(orient(values, COMPONENTS), fit(orient(values, COMPONENTS)), 3.0)
    ranks = rank_intervals(x, WEIGHTS, draws=50, spread=0.5, seed=1)
    assert ((ranks["rank_low"] <= ranks["rank_median"]) & (ranks["rank_median"] <= ranks["rank_high"])).all()
    assert ranks["rank_low"].min() >= 1 and ranks["rank_high"].max() <= len(values)
    # No spread in the weights: every draw gives the same ranks.
    fixed = rank_intervals(x, WEIGHTS, draws=10, spread=0.0, seed=1)
    assert (fixed["rank_low"] == fixed["rank_high"]).all()


values_or_none = st.one_of(st.none(), finite, st.just(float("nan")))


@settings(max_examples=100, deadline=None)
@given(values_or_none, values_or_none, st.lists(st.one_of(finite, st.just(float("nan"))), max_size=20))
def test_deviation_handles_missing_values_and_orients_by_direction(value, reference, group):
    better = deviation(value, reference, np.array(group, dtype=float), Direction.HIGHER_IS_BETTER)
    worse = deviation(value, reference, np.array(group, dtype=float), Direction.HIGHER_IS_WORSE)
    missing = value is None or math.isnan(value) or reference is None or math.isnan(reference)
    if missing:
        assert better.difference is None and better.index is None and worse.difference is None
    else:
        assert better.difference == -worse.difference
        if reference != 0:
            assert math.isclose(better.index - 100, 100 - worse.index, abs_tol=1e-6)
    n = sum(1 for g in group if not math.isnan(g))
    assert better.reference_count == n
    if better.percentile_rank is not None:
        assert 0 <= better.percentile_rank <= 100
        # Mid-rank percentiles of the two directions add up to 100.
        assert math.isclose(better.percentile_rank + worse.percentile_rank, 100, abs_tol=1e-9)
    if better.z_score is not None:
        assert math.isclose(better.z_score, -worse.z_score, abs_tol=1e-12)


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, st.integers(5, 40), elements=st.integers(-1000, 1000).map(lambda i: i / 100)),
       st.integers(-500, 500).map(lambda i: i / 100), st.floats(0.1, 100))
def test_robust_z_of_changes_is_invariant_to_shift_and_scale(changes, shift, scale):
    series = pd.Series(changes)
    assume(series.std() > 1e-6)
    a = robust_z(series)
    b = robust_z(series * scale + shift)
    assert np.allclose(a.fillna(0), b.fillna(0), atol=1e-6)
