"""Aggregation rules on known numbers and on the real store."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gebiedsatlas.indicators.aggregate import MIN_COVERAGE, aggregate
from gebiedsatlas.indicators.catalogue import AggregationMethod, AggregationRule
from gebiedsatlas.indicators.values import area_set_values, netherlands_values
from gebiedsatlas.periods import nearest_period
from gebiedsatlas.store import db

SUM = AggregationRule(AggregationMethod.SUM)
MEAN = AggregationRule(AggregationMethod.WEIGHTED_MEAN, weight="inwoners")
RATIO = AggregationRule(AggregationMethod.RATIO, numerator="a", denominator="b", scale=100)
NONE = AggregationRule(AggregationMethod.NONE)


def frame(**columns) -> pd.DataFrame:
    return pd.DataFrame(columns)


def test_sum_needs_every_member():
    assert aggregate(SUM, frame(value=[1.0, 2.0, 3.0])).value == 6.0
    partial = aggregate(SUM, frame(value=[1.0, None, 3.0]))
    assert partial.value is None and partial.used == 2 and partial.members == 3
    assert "niet alle" in partial.reason


def test_weighted_mean_uses_weights_and_reports_coverage():
    result = aggregate(MEAN, frame(value=[10.0, 20.0], weight=[1.0, 3.0]))
    assert result.value == pytest.approx(17.5)
    assert result.coverage == 1.0
    # A missing value with a small weight still gives a value, with its coverage.
    result = aggregate(MEAN, frame(value=[10.0, 20.0, None], weight=[1.0, 8.0, 1.0]))
    assert result.value == pytest.approx((10 + 160) / 9)
    assert result.coverage == pytest.approx(0.9)
    # Below the coverage threshold there is no value rather than a misleading one.
    low = aggregate(MEAN, frame(value=[10.0, None], weight=[1.0, 9.0]))
    assert low.value is None and low.coverage < MIN_COVERAGE


def test_ratio_is_recomputed_from_sums_not_averaged():
    # Shares 50 % of 10 and 10 % of 90: the ratio of sums is 14 %, the mean of shares 30 %.
    result = aggregate(RATIO, frame(value=[50.0, 10.0], numerator=[5.0, 9.0], denominator=[10.0, 90.0]))
    assert result.value == pytest.approx(14.0)


def test_not_aggregable():
    result = aggregate(NONE, frame(value=[1.0, 2.0]))
    assert result.value is None and "niet op te tellen" in result.reason


def test_nearest_period_prefers_later_on_tie():
    assert nearest_period({2022, 2024}, 2023) == 2024
    assert nearest_period({2022, 2024}, 2002) == 2022
    assert nearest_period(set(), 2020) is None


@given(st.lists(st.tuples(st.floats(0, 1000), st.floats(0.1, 1000)), min_size=1, max_size=30))
def test_weighted_mean_lies_between_min_and_max(pairs):
    values, weights = zip(*pairs, strict=True)
    result = aggregate(MEAN, frame(value=list(values), weight=list(weights)))
    assert min(values) - 1e-9 <= result.value <= max(values) + 1e-9


@given(st.lists(st.floats(0, 1e6), min_size=1, max_size=30), st.floats(0.001, 1000))
def test_sum_scales_with_the_unit(values, factor):
    plain = aggregate(SUM, frame(value=values)).value
    scaled = aggregate(SUM, frame(value=[v * factor for v in values])).value
    assert math.isclose(scaled, plain * factor, rel_tol=1e-9, abs_tol=1e-6)


def test_netherlands_from_gemeenten_matches_cbs_totals(db_url):
    with db.session_scope(db_url) as session:
        nl = netherlands_values(session, ["inwoners"])
    totals = dict(zip(nl["period"], nl["value"], strict=True))
    assert totals == {2022: 17_590_672, 2024: 17_942_942}
    assert set(nl["status"]) == {"derived"}


def test_new_towns_together(db_url):
    with db.session_scope(db_url) as session:
        nta = area_set_values(session, "nta", ["inwoners", "lbm_score"], [2024])
    rows = nta.set_index("indicator_id")
    # 226,500 + 67,925 + 95,874 + 65,971 + 87,639 + 95,168 + 128,434
    assert rows.loc["inwoners", "value"] == 767_511
    # The Leefbaarometer has no gemeente scores: derived from wijken, weighted by inhabitants.
    assert rows.loc["lbm_score", "status"] == "derived"
    assert 3.9 < rows.loc["lbm_score", "value"] < 4.2


def test_leefbaarometer_for_nederland_is_not_made_up_from_seven_towns(db_url):
    with db.session_scope(db_url) as session:
        nl = netherlands_values(session, ["lbm_score"], [2024])
    row = nl.iloc[0]
    assert row["status"] == "missing" and math.isnan(row["value"])
