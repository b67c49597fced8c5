"""Area profiles, comparisons and indicator distributions on the real bundled data."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gebiedsatlas.analysis.compare import CompareError, compare_areas
from gebiedsatlas.analysis.distribution import (
    DistributionError,
    histogram,
    indicator_distribution,
    nice_step,
    periods_by_indicator,
)
from gebiedsatlas.analysis.profile import (
    BETTER,
    EQUAL,
    WORSE,
    build_profile,
    compare_values,
    rank_among,
)
from gebiedsatlas.areas.codes import Level
from gebiedsatlas.indicators.catalogue import Direction, load_catalogue
from gebiedsatlas.store import db
from gebiedsatlas.store.models import Area, Observation

WIJK = "WK003401"  # Centrum Almere Haven


@pytest.fixture(scope="module")
def session(db_url):
    with db.session_scope(db_url) as s:
        yield s


@pytest.fixture(scope="module")
def wijk_profile(session):
    return build_profile(session, WIJK)


def sibling_values_direct(session, parent: str, level: str, indicator: str, period: int) -> dict[str, float]:
    """The siblings' published numbers straight from the store (independent of the profile code)."""
    rows = session.execute(
        select(Observation.area_code, Observation.value)
        .join(Area, Area.code == Observation.area_code)
        .where(Area.parent_code == parent, Area.level == level, Observation.indicator_id == indicator,
               Observation.period == period, Observation.value.is_not(None),
               Observation.status.in_(["observed", "derived"]))
    ).all()
    return dict(rows)


def test_gemeente_profile_has_the_published_figures(session):
    profile = build_profile(session, "GM0034")
    inwoners = profile.figure("inwoners")
    assert (inwoners.current.period, inwoners.current.value, inwoners.current.status) == (2024, 226_500, "observed")
    # A gemeente is compared with the New Towns and Nederland, not with itself.
    refs = {c.reference.key: c for c in inwoners.references}
    assert set(refs) == {"nta", "nl"}
    assert refs["nl"].value.value == 17_942_942
    assert refs["nta"].value.status == "derived"
    # The seven New Towns together in 2024 (sum of the published figures).
    assert refs["nta"].value.value == 226_500 + 67_925 + 95_874 + 65_971 + 87_639 + 95_168 + 128_434
    assert [p.code for p in profile.parents] == ["NL01", "PV24"]
    assert inwoners.source.attribution == "Bron: CBS, CC BY 4.0"


def test_wijk_profile_with_gemeente_new_towns_and_netherlands(wijk_profile):
    assert wijk_profile.area.name == "Centrum Almere Haven"
    assert [p.code for p in wijk_profile.parents] == ["NL01", "PV24", "GM0034"]
    assert [r.key for r in wijk_profile.references] == ["gemeente", "nta", "nl"]
    assert wijk_profile.references[0].code == "GM0034" and wijk_profile.references[0].label == "Almere"

    inwoners = wijk_profile.figure("inwoners")
    assert inwoners.current.value == 1765 and inwoners.current.period == 2024
    refs = {c.reference.key: c for c in inwoners.references}
    assert refs["gemeente"].value.value == 226_500 and refs["nl"].value.value == 17_942_942
    # A count is not compared with the (bigger) gemeente, and its trend is the area's own.
    assert refs["gemeente"].comparison is None and refs["gemeente"].mark is None
    trend = {s.key: {p.period: p.value for p in s.points} for s in inwoners.trend}
    assert trend == {"area": {2022: 1635, 2024: 1765}}
    # A neutral share: hoger/lager but no better/worse judgement. 65+: 33,0% against Almere's 13,7%.
    older = {c.reference.key: c for c in wijk_profile.figure("aandeel_65_plus").references}
    assert (older["gemeente"].comparison, older["gemeente"].mark) == ("hoger", None)
    shares = {s.key: {p.period for p in s.points} for s in wijk_profile.figure("aandeel_65_plus").trend}
    assert shares["area"] == shares["gemeente"] == shares["nl"] == {2022, 2024}


def test_better_worse_follows_direction(session, wijk_profile):
    # Personen met een laag inkomen: higher is worse. Centrum Almere Haven 43,6% vs Almere 36,7%.
    laag = wijk_profile.figure("laag_inkomen")
    assert laag.indicator.direction is Direction.HIGHER_IS_WORSE
    assert (laag.current.value, laag.current.period) == (43.6, 2022)
    marks = {c.reference.key: (c.value.value, c.mark) for c in laag.references}
    assert marks["gemeente"] == (36.7, WORSE)
    assert marks["nta"][1] == WORSE and marks["nl"][1] == WORSE
    # Duin (23,0%) has fewer low incomes than Almere: better.
    duin = build_profile(session, "WK003466", indicator_ids=["laag_inkomen"]).figure("laag_inkomen")
    assert duin.current.value == 23.0 and duin.references[0].mark == BETTER
    # Leefbaarometer score: higher is better; 3,9705 < Almere's derived 4,02.
    lbm = wijk_profile.figure("lbm_score")
    assert lbm.references[0].mark == WORSE
    # The Leefbaarometer has no national value per year but a fixed reference level (4,102265), shown
    # under its own name instead of "Nederland": 3,9705 is below it.
    nl = next(c for c in lbm.references if c.reference.key == "nl")
    assert nl.reference.label == "Leefbaarometer-referentieniveau"
    assert nl.value.value == 4.102265 and nl.mark == WORSE


def test_compare_values_rounds_like_the_display():
    ind = load_catalogue()["laag_inkomen"]  # one decimal, higher is worse
    assert compare_values(40.04, 40.0, ind) == (EQUAL, EQUAL)
    # One unit of the published precision is within the tolerance: 40,1 and 40,0 may both be 40,05.
    assert compare_values(40.1, 40.0, ind) == (EQUAL, EQUAL)
    assert compare_values(40.2, 40.0, ind) == ("hoger", WORSE)
    assert compare_values(39.8, 40.0, ind) == ("lager", BETTER)
    assert compare_values(10, 20, load_catalogue()["inwoners"]) == ("lager", None)


@pytest.mark.parametrize(("code", "indicator"), [
    (WIJK, "laag_inkomen"),  # higher is worse
    (WIJK, "lbm_score"),  # higher is better
    (WIJK, "inwoners"),  # neutral: rank 1 = highest
    ("BU00340101", "inwoners"),
])
def test_rank_among_siblings_matches_a_direct_computation(session, code, indicator):
    profile = build_profile(session, code, indicator_ids=[indicator])
    figure = profile.figure(indicator)
    area = profile.area
    others = sibling_values_direct(session, area.parent_code, area.level.value, indicator, figure.current.period)
    own = others[code]
    assert own == pytest.approx(figure.current.value)
    if figure.indicator.direction is Direction.HIGHER_IS_WORSE:
        expected = 1 + sum(v < own for v in others.values())
    else:
        expected = 1 + sum(v > own for v in others.values())
    assert (figure.rank.rank, figure.rank.of) == (expected, len(others))
    assert figure.rank.parent_code == area.parent_code


def test_rank_of_centrum_almere_haven_in_low_incomes(wijk_profile):
    rank = wijk_profile.figure("laag_inkomen").rank
    # 48 wijken of Almere have a published share in 2022; 6 of them have more low incomes than 43,6%.
    assert (rank.rank, rank.of, rank.parent_name, rank.basis) == (42, 48, "Almere", "best")


def test_rank_among_handles_ties():
    assert rank_among(5, [5, 5, 3], Direction.HIGHER_IS_BETTER) == 1
    assert rank_among(3, [5, 5, 3], Direction.HIGHER_IS_BETTER) == 3
    assert rank_among(3, [5, 5, 3], Direction.HIGHER_IS_WORSE) == 1


def test_leefbaarometer_trend_2002_to_2024(wijk_profile):
    trend = {s.key: s for s in wijk_profile.figure("lbm_score").trend}
    area_points = {p.period: p.value for p in trend["area"].points}
    assert sorted(area_points) == [2002, 2008, 2012, 2014, 2016, 2018, 2020, 2022, 2024]
    assert area_points[2002] == pytest.approx(3.909)
    assert area_points[2024] == pytest.approx(3.9705)
    assert "gemeente" in trend and "nta" in trend
    # One period only: no trend.
    assert wijk_profile.figure("laag_inkomen").trend == ()


def test_children_sources_and_csv_rows(wijk_profile):
    assert [(c.area.code, c.inwoners.value) for c in wijk_profile.children] == [
        ("BU00340101", 795), ("BU00340102", 965)]
    assert {s.id for s in wijk_profile.sources} >= {"cbs-kwb-2022", "cbs-kwb-2024", "lbm3"}
    rows = wijk_profile.rows()
    area_2022 = [r for r in rows if r["indicator_id"] == "inwoners" and r["rol"] == "gebied"
                 and r["periode"] == 2022]
    assert area_2022[0]["waarde"] == 1635
    laag_gemeente = next(r for r in rows if r["indicator_id"] == "laag_inkomen" and r["gebied_code"] == "GM0034")
    assert laag_gemeente["vergelijking"] == WORSE and laag_gemeente["bron"] == "Bron: CBS, CC BY 4.0"
    # A missing value stays empty with its status, never 0.
    missing = [r for r in rows if r["status"] in ("missing", "suppressed")]
    assert all(r["waarde"] is None for r in missing)


def test_suppressed_or_missing_value_has_no_number(session):
    # De Steiger (WK003414) has no published share of low incomes in 2022.
    figure = build_profile(session, "WK003414", indicator_ids=["laag_inkomen"]).figure("laag_inkomen")
    assert figure.current.status in ("missing", "suppressed")
    assert not figure.current.has_value and figure.rank is None
    assert all(c.mark is None for c in figure.references)


def test_references_shown_where_the_area_has_no_figure(session):
    # Men per buurt are not in the bundled KWB 2024 extract; Almere's figure is still shown.
    figure = build_profile(session, "BU00340101", indicator_ids=["mannen"]).figure("mannen")
    assert figure.current is None and figure.rank is None
    refs = {c.reference.key: c for c in figure.references}
    assert (refs["gemeente"].value.period, refs["gemeente"].value.value) == (2024, 112_303)
    assert refs["gemeente"].mark is None


def test_unknown_area_raises(session):
    with pytest.raises(KeyError):
        build_profile(session, "GM9999")


def test_compare_three_areas(session):
    comparison = compare_areas(session, ["GM0034", "GM0637", "nta"])
    assert [a.name for a in comparison.areas] == ["Almere", "Zoetermeer", "New Town Alliantie"]
    row = comparison.row("inwoners")
    assert row.period == 2024
    assert [v.value for v in row.values] == [226_500, 128_434, 767_511]
    # Counts are ranked only among areas of one level (the New Towns together are always bigger).
    assert row.ranks == (None, None, None)
    assert compare_areas(session, ["GM0637", "GM0034"], indicator_ids=["inwoners"]).row("inwoners").ranks == (2, 1)
    laag = comparison.row("laag_inkomen")  # 2022: Almere 36,7, Zoetermeer 36,2; lower is better
    assert [v.value for v in laag.values[:2]] == [36.7, 36.2]
    assert laag.ranks[:2] == (2, 1)
    csv_rows = comparison.rows()
    assert {r["gebied_code"] for r in csv_rows} == {"GM0034", "GM0637", "nta"}


@pytest.mark.parametrize(("codes", "message"), [
    (["GM0034"], "2 tot 6"),
    (["GM0034", "GM0637", "GM0502", "GM0794", "GM0356", "GM1930", "GM0439"], "2 tot 6"),
    (["GM0034", "GM9999"], "GM9999"),
])
def test_compare_rejects_bad_input(session, codes, message):
    with pytest.raises(CompareError, match=message):
        compare_areas(session, codes)


def test_distribution_of_low_incomes_over_gemeenten(session):
    dist = indicator_distribution(session, "laag_inkomen", Level.GEMEENTE)
    direct = session.execute(
        select(Observation.area_code, Observation.value)
        .where(Observation.indicator_id == "laag_inkomen", Observation.period == 2022,
               Observation.area_code.like("GM%"), Observation.value.is_not(None))
    ).all()
    assert dist.period == 2022 and dist.count == len(direct)
    assert sum(b.count for b in dist.bins) == dist.count
    lowest = min(v for _, v in direct)
    highest = max(v for _, v in direct)
    # Higher is worse: the top list starts with the lowest share, the bottom list with the highest.
    assert dist.top[0].value == lowest and dist.bottom[0].value == highest
    assert len(dist.top) == 10 and len(dist.bottom) == 10
    assert dist.bins[0].lower <= lowest and dist.bins[-1].upper >= highest


def test_distribution_within_the_new_towns_and_bad_period(session):
    dist = indicator_distribution(session, "lbm_score", Level.WIJK, area_set="nta")
    assert dist.period == 2024 and dist.count > 100
    assert dist.top[0].value == max(v.value for v in dist.values)  # higher is better
    with pytest.raises(DistributionError, match="period"):
        indicator_distribution(session, "inwoners", Level.GEMEENTE, period=1999)


def test_periods_by_indicator(session):
    periods = periods_by_indicator(session)
    assert periods["inwoners"] == [2022, 2024]
    assert periods["lbm_score"] == [2002, 2008, 2012, 2014, 2016, 2018, 2020, 2022, 2024]


def test_histogram_bins_are_round():
    assert nice_step(17.2, 18) == 1
    assert nice_step(0.62, 7) == 0.1
    bins = histogram([3.8045, 3.95, 4.05, 4.4191])
    assert bins[0].lower == 3.8 and bins[-1].upper >= 4.4191
    assert sum(b.count for b in bins) == 4
