"""Marks with a tolerance, interval scales, the Leefbaarometer reference level and the noise model of
change signals (issue 14, items 4 and 5). Hand-calculated cases; synthetic data is labelled so."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gebiedsatlas.analysis.change import exceeds_noise, rounding_noise
from gebiedsatlas.analysis.deviation import deviation
from gebiedsatlas.analysis.profile import EQUAL, HIGHER, LOWER, WORSE, build_profile, compare_values
from gebiedsatlas.indicators.catalogue import Direction, load_catalogue

CAT = load_catalogue()


def test_tolerance_follows_the_coarsest_published_precision():
    assert CAT["aandeel_0_14"].tolerance == 1.0  # 2022 whole numbers
    assert CAT["laag_inkomen"].tolerance == pytest.approx(0.1)
    assert CAT["lbm_score"].tolerance == pytest.approx(0.001)


@pytest.mark.parametrize(("indicator", "a", "b", "expected"), [
    ("aandeel_0_14", 59.0, 60.0, (EQUAL, None)),  # both may be 59,5
    ("aandeel_0_14", 59.0, 61.0, (LOWER, None)),  # neutral: no judgement
    ("laag_inkomen", 30.0, 30.1, (EQUAL, EQUAL)),
    ("laag_inkomen", 30.2, 30.0, (HIGHER, WORSE)),  # higher is worse
    ("lbm_score", 4.1000, 4.1009, (EQUAL, EQUAL)),
])
def test_marks_have_a_tolerance(indicator, a, b, expected):
    assert compare_values(a, b, CAT[indicator]) == expected


def test_no_index_or_relative_difference_on_interval_scales():
    assert CAT["lbm_score"].interval and CAT["lbm_afwijking"].interval and not CAT["laag_inkomen"].interval
    dev = deviation(3.8, 4.102265, np.array([]), Direction.HIGHER_IS_BETTER, interval=True)
    assert dev.difference == pytest.approx(-0.302265)
    assert dev.relative_difference is None and dev.index is None
    ratio = deviation(30.0, 20.0, np.array([]), Direction.HIGHER_IS_WORSE)
    assert ratio.relative_difference == pytest.approx(-50.0) and ratio.index == pytest.approx(50.0)


def test_leefbaarometer_reference_is_named_and_filled(db_url):
    from gebiedsatlas.store import db

    with db.session_scope(db_url) as session:
        profile = build_profile(session, "WK003401")
        figure = profile.figure("lbm_score")
        nl = [c for c in figure.references if c.reference.code == "NL01"][0]
        assert nl.reference.label == "Leefbaarometer-referentieniveau"
        assert nl.value.value == 4.102265  # 3.75752949841581 + 0.344735352727876 in the published buurt file
        assert nl.mark in ("beter", "slechter", "gelijk")


# --- noise model -----------------------------------------------------------------------------------

def test_rounding_noise_by_hand():
    assert rounding_noise(0, 1) == pytest.approx(0.55)  # 2022 whole number against 2024 one decimal
    assert rounding_noise(3, 3) == pytest.approx(0.001)


def _synthetic_changes(real_change: float = 0.0) -> tuple[pd.Series, pd.Series]:
    """synthetic: 300 areas whose true share did not change; 2022 published as whole numbers, 2024 with
    one decimal. Optionally one area (A0) really changed by ``real_change`` points."""
    rng = np.random.default_rng(14)
    truth = pd.Series(rng.uniform(5, 60, 300), index=[f"A{i}" for i in range(300)])
    later = truth.copy()
    later.iloc[0] += real_change
    change = later.round(1) - truth.round(0)
    noise = pd.Series(rounding_noise(0, 1), index=truth.index)
    return change, noise


def test_pure_noise_gives_no_signal():
    change, noise = _synthetic_changes()
    assert change.abs().max() > 0.4  # rounding alone moves values by up to half a point…
    assert not exceeds_noise(change, noise, 0.0).any()  # …and none of it is a signal (no quota)


def test_a_real_change_beyond_the_noise_is_the_only_signal():
    change, noise = _synthetic_changes(real_change=3.0)
    flagged = exceeds_noise(change, noise, 0.0)
    assert list(flagged[flagged].index) == ["A0"]
    # A minimum meaningful change above the real change silences it.
    assert not exceeds_noise(change, noise, 3.0).any()


def test_signal_page_says_how_many_changes_were_tested(client):
    r = client.get("/api/analysis/change", params={"indicator": "lbm_score", "level": "wijk"})
    assert r.status_code == 200
    body = r.json()
    assert body["compared"] > 100
    assert body["exceeding"] == body["signals"]
    page = client.get("/signalen", params={"indicator": "lbm_score"}).text
    assert f"{body['compared']} veranderingen getest, {body['exceeding']}" in page


# --- kwetsbaarheidsscore: one measure everywhere ------------------------------------------------------

def test_score_components_must_follow_the_catalogue_direction():
    from gebiedsatlas.analysis.vulnerability import parse_config
    from gebiedsatlas.errors import InputError

    with pytest.raises(InputError) as err:  # hbo_wo is neutral in the catalogue
        parse_config({"components": [{"id": "hbo_wo", "weight": 1, "direction": "higher_is_better"}]})
    assert "richting wijkt af van de indicatorcatalogus" in str(err.value)
    with pytest.raises(InputError):
        parse_config({"components": [{"id": "laag_inkomen", "weight": 1, "direction": "higher_is_better"}]})


def test_bundled_score_needs_every_part_and_has_no_neutral_parts():
    from gebiedsatlas.analysis.vulnerability import load_config

    config = load_config()
    assert config.min_coverage == 1.0
    assert "hbo_wo" not in config.ids
    assert all(c.direction is CAT[c.id].direction for c in config.components)


def test_areas_with_fewer_parts_get_no_score_by_hand():
    from gebiedsatlas.analysis.vulnerability import composite

    # synthetic: A has both parts (z 1 and 2, weights 3 and 1 -> 1,25); B lacks part b.
    x = pd.DataFrame({"a": [1.0, 2.0], "b": [2.0, np.nan]}, index=["A", "B"])
    out = composite(x, pd.Series({"a": 3.0, "b": 1.0}), min_coverage=1.0)
    assert out.at["A", "score"] == pytest.approx(1.25)
    assert np.isnan(out.at["B", "score"]) and out.at["B", "coverage"] == pytest.approx(0.75)


def test_every_part_is_scaled_on_the_same_areas(db_url):
    from gebiedsatlas.analysis.vulnerability import national_centers, vulnerability
    from gebiedsatlas.areas.codes import Level
    from gebiedsatlas.store import db

    with db.session_scope(db_url) as session:
        result = vulnerability(session, Level.WIJK, 2022, "nta")
        centers = national_centers(session, result.config, 2022)
    complete = result.raw_population.dropna()
    assert 100 < len(complete) < 200  # the New Town wijken: the only ones with every part
    # Each standardised part = (oriented value − national centre) / sd over exactly those wijken.
    code = result.table.index[0]
    for c in result.config.components:
        sd = (complete[c.id] * c.vulnerable_sign).std(ddof=1)
        expected = (result.raw.at[code, c.id] * c.vulnerable_sign - centers[c.id]) / sd
        assert result.standardised.at[code, c.id] == pytest.approx(min(3.0, max(-3.0, expected)))
    scored = result.table.dropna(subset=["score"])
    assert set(scored.index) <= set(complete.index)


def test_rank_interval_covers_weights_standardisation_and_parts():
    import dataclasses

    from gebiedsatlas.analysis.vulnerability import load_config, orient, sensitivity_intervals

    config = load_config()
    rng = np.random.default_rng(3)  # synthetic: 40 areas with all six parts
    raw = pd.DataFrame(rng.normal(size=(40, len(config.ids))), columns=config.ids,
                       index=[f"A{i}" for i in range(40)])
    oriented = orient(raw, config.components)
    centers = pd.Series(0.0, index=config.ids)
    fixed = dataclasses.replace(config, spread=0.0, sensitivity_methods=("z-sd",), leave_one_out=False, draws=5)
    tight = sensitivity_intervals(oriented, list(raw.index), centers, fixed)
    assert (tight["rank_low"] == tight["rank_high"]).all()  # nothing varies: one rank
    wide = sensitivity_intervals(oriented, list(raw.index), centers, config)
    assert ((wide["rank_low"] <= wide["rank_median"]) & (wide["rank_median"] <= wide["rank_high"])).all()
    assert (wide["rank_high"] - wide["rank_low"]).mean() > 0  # the choices move the ranks


# --- typology and peers: one year, no redundant shares, categories as categories ------------------------

def test_urbanity_is_encoded_as_a_category_by_hand():
    from gebiedsatlas.analysis.peers import encode

    # synthetic: three areas in urbanity classes 1, 2 and 5 and one numeric feature that is equal.
    pool = pd.DataFrame({"stedelijkheid": [1.0, 2.0, 5.0], "koopwoningen": [50.0, 50.0, 50.0]},
                        index=["A", "B", "C"])
    z = encode(pool)
    assert sorted(z.columns) == ["koopwoningen", "stedelijkheid=1", "stedelijkheid=2", "stedelijkheid=5"]

    def distance(a: str, b: str) -> float:
        return float(np.sqrt(((z.loc[a] - z.loc[b]) ** 2).sum()))

    # Class 1 is as far from class 2 as from class 5: a category, not a number.
    assert distance("A", "B") == pytest.approx(1.0) and distance("A", "C") == pytest.approx(1.0)


def test_peer_and_type_features_leave_out_one_age_share_and_use_one_year():
    from gebiedsatlas.analysis.peers import FEATURES

    ids = [f.id for f in FEATURES]
    assert "aandeel_25_44" not in ids
    assert {"aandeel_0_14", "aandeel_15_24", "aandeel_45_64", "aandeel_65_plus"} <= set(ids)
    assert [f.id for f in FEATURES if f.categorical] == ["stedelijkheid"]


def test_typology_features_are_of_one_year(db_url):
    from gebiedsatlas.analysis.matrix import indicator_matrix
    from gebiedsatlas.analysis.typology import typology
    from gebiedsatlas.areas.codes import Level
    from gebiedsatlas.store import db

    with db.session_scope(db_url) as session:
        result = typology(session, Level.WIJK, 2022)
        # Density is published for wijken only in 2024: a 2022 typology does not borrow it.
        assert "bevolkingsdichtheid" not in result.features
        exact = indicator_matrix(session, ["WK003425"], ["bevolkingsdichtheid", "koopwoningen"], 2022, exact=True)
        assert np.isnan(exact.values.at["WK003425", "bevolkingsdichtheid"])
        assert exact.periods.at["WK003425", "koopwoningen"] == 2022
        assert any(c.startswith("stedelijkheid") for c in result.features)
