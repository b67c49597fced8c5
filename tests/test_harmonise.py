"""Trends on one boundary year: the crosswalks an import builds, values on the boundaries of 2024, and
the area profile's harmonised trends -- on the real bundled data of the New Towns.

Real facts used (docs/live-data.md): the 154 wijk codes of the seven New Towns are the same in 2022 and
2024; weighted by 2024 buurt inhabitants (each buurt placed in the wijk its code names), 153 wijken are
unchanged from 2022 to 2024 and 150 both ways; the other four (WK003440, WK003473, WK003474, WK003479)
have no inhabitants and are weighted by area, where the two editions' outlines differ. Weighted by area
alone (``gebiedsatlas crosswalk --weighting oppervlakte``), 65 % of the 2022 outline of WK035607
(Blokhoeve, Nieuwegein) lies in the 2024 WK035606 (Huis de Geer): the store ``by_area`` converts real
values there. Leefbaarometer wijk scores are published on the wijk boundaries of 2022, KWB 2022 on those
of 2022 and KWB 2024 on those of 2024.
"""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from sqlalchemy import func, select

from conftest import sqlite_url
from gebiedsatlas.analysis.profile import build_profile
from gebiedsatlas.areas import crosswalk as cw
from gebiedsatlas.indicators.catalogue import load_catalogue
from gebiedsatlas.indicators.harmonise import harmonised_group_values, harmonised_values
from gebiedsatlas.sources.importer import import_bundled
from gebiedsatlas.store import db
from gebiedsatlas.store.models import AreaCrosswalk, Observation

NTA = ["GM0034", "GM0356", "GM0439", "GM0502", "GM0637", "GM0794", "GM1930"]


@pytest.fixture(scope="module")
def session(db_url):
    with db.session_scope(db_url) as s:
        yield s


def published(session, code: str, indicator: str, period: int) -> float:
    """A figure straight from the store, as imported from the published file."""
    return session.scalar(select(Observation.value).where(
        Observation.area_code == code, Observation.indicator_id == indicator, Observation.period == period))


def weight(session, from_code: str, to_code: str) -> float:
    return session.scalar(select(AreaCrosswalk.weight).where(
        AreaCrosswalk.from_code == from_code, AreaCrosswalk.to_code == to_code,
        AreaCrosswalk.from_year == 2022, AreaCrosswalk.to_year == 2024))


def rebuild_by_area(url: str) -> None:
    """Replace the imported wijk crosswalk 2022 <-> 2024 by one weighted by area, as a user would."""
    from typer.testing import CliRunner

    from gebiedsatlas.cli import app

    result = CliRunner().invoke(app, ["crosswalk", "--from-year", "2022", "--to-year", "2024", "--area-set", "nta",
                                      "--weighting", "oppervlakte"], env={"GEBIEDSATLAS_DATABASE_URL": url})
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def by_area(template_db, tmp_path_factory):
    """A copy of the imported store whose wijk crosswalk is weighted by area: real wijken converted."""
    path = tmp_path_factory.mktemp("by_area") / "atlas.sqlite"
    shutil.copy(template_db, path)
    rebuild_by_area(sqlite_url(path))
    with db.session_scope(sqlite_url(path)) as s:
        yield s


# --- the crosswalks of the bundled boundaries ---------------------------------------------------------

def test_build_import_crosswalks_on_the_bundled_boundaries(fresh_db_url):
    with db.session_scope(fresh_db_url) as s:
        s.execute(AreaCrosswalk.__table__.delete())
        built = cw.build_import_crosswalks(s)
    # Wijken: 2022 (tmap) against 2024 (dissolved from the 2024 buurten), only where both exist.
    # Every 2024 buurt is placed in the 2022 wijk its code names; only uninhabited Lagekant goes by area.
    assert built["wijk"] == [{"from_year": 2022, "to_year": 2024, "gemeenten": 7, "areas": 154,
                              "methods": {"unchanged": 153, "area": 1}}]
    # Gemeenten: the seven New Towns, whose 2024 outline is the union of their 2024 buurten.
    assert built["gemeente"] == [{"from_year": 2022, "to_year": 2024, "gemeenten": 7, "areas": 7,
                                  "methods": {"unchanged": 7}}]
    assert "buurt" not in built  # buurt boundaries of one year only
    with db.session_scope(fresh_db_url) as s:
        forward = cw.load_crosswalk(s, 2022, 2024)
        assert forward.loc[forward["from_code"] == "WK003406", ["to_code", "weight", "method"]].values.tolist() \
            == [["WK003406", 1.0, "unchanged"]]
        assert set(forward.loc[forward["from_code"] == "WK003473", "to_code"]) == {"WK003473", "WK003474"}
        before = s.scalar(select(func.count()).select_from(AreaCrosswalk))
        # Rebuilding replaces the same rows (idempotent), and a wijk crosswalk leaves the gemeenten alone.
        cw.build_import_crosswalks(s)
        assert s.scalar(select(func.count()).select_from(AreaCrosswalk)) == before
        cw.store_crosswalk(s, forward[forward["from_code"].str.startswith("WK")])
        assert s.scalar(select(func.count()).where(AreaCrosswalk.from_code.like("GM%"))) == 14


def test_gebiedsatlas_import_builds_the_crosswalks(template_db, data_dir, tmp_path):
    # The bundled import alone (no `gebiedsatlas crosswalk` step) makes the trends harmonised.
    path = tmp_path / "atlas.sqlite"
    shutil.copy(template_db, path)
    with db.session_scope(sqlite_url(path)) as s:
        s.execute(AreaCrosswalk.__table__.delete())
    summary = import_bundled(sqlite_url(path), data_dir)
    with db.session_scope(sqlite_url(path)) as s:
        assert s.scalar(select(func.count()).where(AreaCrosswalk.from_code.like("WK%"))) > 300
    assert summary["crosswalks"]["wijk"][0]["areas"] == 154


# --- values on the boundaries of 2024 -----------------------------------------------------------------

def test_wijken_that_kept_their_buurten_keep_their_published_figures(session):
    # De Grienden and De Marken (Almere Haven) kept their buurten: CBS counted 2,285 and 2,310, and 3,000
    # and 2,995 inhabitants. BU00340503 straddles their generalised 2022 outlines but is coded in WK003405.
    frame = harmonised_values(session, ["WK003405", "WK003406"], ["inwoners", "lbm_score"], 2024)
    at = frame.set_index(["area_code", "indicator_id", "period"])
    assert not frame["status"].eq("converted").any()
    for code, (before, after) in {"WK003405": (2285, 2310), "WK003406": (3000, 2995)}.items():
        assert at.loc[(code, "inwoners", 2022), ["value", "status"]].tolist() == [before, "observed"]
        assert at.loc[(code, "inwoners", 2022), "method"] == "gebied ongewijzigd tussen de indelingen van 2022 en 2024"
        assert at.loc[(code, "inwoners", 2024), "value"] == after
    assert at.loc[("WK003406", "lbm_score", 2024), "value"] == 4.0234  # as published on the 2022 wijken


def test_an_uninhabited_wijk_is_converted_by_area(session):
    # Overig Almere Poort on its 2024 outline takes 22 % of Lagekant's 2022 area; both had 0 inhabitants.
    frame = harmonised_values(session, ["WK003474"], ["inwoners", "stedelijkheid"], 2024)
    at = frame.set_index(["indicator_id", "period"])
    assert at.loc[("inwoners", 2022), ["value", "status"]].tolist() == [0, "converted"]
    assert "2 gebied(en) van 2022" in at.loc[("inwoners", 2022), "method"]
    assert pd.isna(at.loc[("stedelijkheid", 2022), "value"])


def test_a_changed_wijk_gets_its_2022_values_converted(by_area):
    session = by_area
    frame = harmonised_values(session, ["WK035606", "WK035607"], ["inwoners", "woz_waarde", "lbm_score",
                                                                   "stedelijkheid"], 2024)
    at = frame.set_index(["area_code", "indicator_id", "period"])
    share = weight(session, "WK035607", "WK035606")
    assert share == pytest.approx(0.65, abs=0.001)
    # Huis de Geer on its 2024 boundaries in 2022, by area: its own 635 inhabitants plus 65 % of Blokhoeve's
    # 1,775 (CBS counted 695 in 2024 -- area weighting on generalised outlines is crude).
    inw06, inw07 = published(session, "WK035606", "inwoners", 2022), published(session, "WK035607", "inwoners", 2022)
    assert (inw06, inw07) == (635, 1775)
    geer = at.loc[("WK035606", "inwoners", 2022)]
    assert geer["value"] == pytest.approx(inw06 + share * inw07)
    assert geer["status"] == "converted" and geer["from_year"] == 2022
    # 100 %: another 4 % of its 2024 outline lies in the 2022 outline of WK035608, but that is under 1 % of
    # the unchanged WK035608 and under 10 % of Huis de Geer: noise on both sides, dropped both ways.
    assert geer["method"] == ("omgerekend naar grenzen 2024: aantallen verdeeld naar aandeel, "
                              "2 gebied(en) van 2022, dekking 100%")
    assert at.loc[("WK035607", "inwoners", 2022), "value"] == pytest.approx((1 - share) * inw07)
    # Inhabitants are conserved.
    assert at.loc[("WK035606", "inwoners", 2022), "value"] + at.loc[("WK035607", "inwoners", 2022), "value"] \
        == pytest.approx(inw06 + inw07)
    # The WOZ value (a mean per dwelling) is re-weighted by apportioned dwellings, not averaged.
    w06, w07 = published(session, "WK035606", "woningvoorraad", 2022), published(session, "WK035607",
                                                                                  "woningvoorraad", 2022)
    woz = (368 * w06 + 375 * share * w07) / (w06 + share * w07)
    assert (published(session, "WK035606", "woz_waarde", 2022), published(session, "WK035607", "woz_waarde",
                                                                           2022)) == (368, 375)
    assert at.loc[("WK035606", "woz_waarde", 2022), "value"] == pytest.approx(woz)
    # The Leefbaarometer 2024 score is published on the 2022 wijken: converted too, weighted by inhabitants.
    lbm = (4.1679 * inw06 + 4.139 * share * inw07) / (inw06 + share * inw07)
    assert at.loc[("WK035606", "lbm_score", 2024), "value"] == pytest.approx(lbm)
    assert at.loc[("WK035606", "lbm_score", 2024), "status"] == "converted"
    # A class cannot be split: no number, and why.
    urban = at.loc[("WK035606", "stedelijkheid", 2022)]
    assert pd.isna(urban["value"]) and urban["status"] == "missing"
    assert "niet op te tellen en het gebied is veranderd" in urban["method"]
    # Values already on the 2024 boundaries stand as published.
    assert at.loc[("WK035606", "inwoners", 2024), ["value", "status"]].tolist() == [695, "observed"]


def test_a_converted_value_states_the_coverage_of_the_rows_it_rests_on(by_area):
    # Real case, by area: the 2022 WOZ value of Overig Almere Haven (WK003416, 1 dwelling) is suppressed; De
    # Velden (WK003409, 590 dwellings, WOZ 514) has 29 % of its 2022 outline in WK003416's 2024 outline.
    # One direction is the truth: the forward rows (2022 -> 2024) that apportion the dwellings also give
    # the note. WK003416 receives w16 * 1 + w09 * 590 apportioned dwellings, the valued part is w09 * 590:
    # the value rests on De Velden for over 99 % of its weight, and says so (it said "overlap 3%" before,
    # the share of WK003416's area in De Velden, from the backward rows).
    session = by_area
    assert published(session, "WK003416", "woz_waarde", 2022) is None
    assert published(session, "WK003409", "woz_waarde", 2022) == 514
    assert published(session, "WK003409", "woningvoorraad", 2022) == 590
    assert published(session, "WK003416", "woningvoorraad", 2022) == 1
    w09, w16 = weight(session, "WK003409", "WK003416"), weight(session, "WK003416", "WK003416")
    assert w09 == pytest.approx(0.29, abs=0.01)
    coverage = w09 * 590 / (w16 * 1 + w09 * 590)
    assert coverage > 0.99
    frame = harmonised_values(session, ["WK003416"], ["woz_waarde", "inwoners", "woningvoorraad"], 2024,
                              periods=[2022])
    at = frame.set_index("indicator_id")
    assert at.loc["woz_waarde", ["value", "status"]].tolist() == [514, "converted"]
    assert at.loc["woz_waarde", "method"].endswith(f"1 gebied(en) van 2022, dekking {coverage:.0%}")
    # The dwellings shown beside it are the same rows' apportioned count.
    assert at.loc["woningvoorraad", "value"] == pytest.approx(w16 * 1 + w09 * 590)
    assert at.loc["inwoners", "method"].endswith("2 gebied(en) van 2022, dekking 100%")
    # No converted value anywhere in the New Towns has a number with no coverage.
    codes = list(cw.load_crosswalk(session, 2022, 2024)["to_code"].unique())
    every = harmonised_values(session, codes, ["woz_waarde", "inwoners", "lbm_score"], 2024)
    converted = every[every["status"] == "converted"]
    assert len(converted) > 100 and converted["method"].str.contains(r"dekking (?:<1|[1-9]\d*)%$").all()


def test_an_unchanged_wijk_keeps_its_published_trend(session):
    # Centrum Almere Haven did not change: every trend value is the published one, status and all.
    frame = harmonised_values(session, ["WK003401"], ["inwoners", "lbm_score"], 2024)
    stored = session.execute(select(Observation.indicator_id, Observation.period, Observation.value,
                                    Observation.status).where(
        Observation.area_code == "WK003401", Observation.indicator_id.in_(["inwoners", "lbm_score"]))).all()
    assert len(stored) == len(frame) == 2 + 9
    got = {(r.indicator_id, r.period): (r.value, r.status) for r in frame.itertuples()}
    assert got == {(i, p): (v, s) for i, p, v, s in stored}
    assert got[("inwoners", 2022)] == (1635, "observed") and got[("lbm_score", 2002)] == (3.909, "observed")
    assert set(frame["boundary_year"]) == {2024}
    kept = frame[frame["from_year"] == 2022]
    assert set(kept["method"]) == {"gebied ongewijzigd tussen de indelingen van 2022 en 2024"}


def test_values_without_a_crosswalk_lose_their_number_and_say_why(session):
    # Amsterdam has boundaries of 2022 only: its 2022 figures cannot be put on the 2024 division.
    frame = harmonised_values(session, ["GM0363"], ["inwoners"], 2024).set_index("period")
    assert pd.isna(frame.loc[2022, "value"]) and frame.loc[2022, "status"] == "missing"
    assert frame.loc[2022, "method"] == "geen omrekentabel van de grenzen van 2022 naar 2024"
    assert frame.loc[2024, "value"] == published(session, "GM0363", "inwoners", 2024)


def test_the_new_towns_on_the_2024_division_add_up_to_the_published_figures(session):
    catalogue = load_catalogue()
    frame = harmonised_group_values(session, "nta", NTA, ["inwoners", "lbm_score"], 2024, catalogue)
    at = frame.set_index(["indicator_id", "period"])
    for period in (2022, 2024):
        total = sum(published(session, code, "inwoners", period) for code in NTA)
        assert at.loc[("inwoners", period), "value"] == total
        assert at.loc[("inwoners", period), "status"] == "derived"
    assert at.loc[("inwoners", 2022), "value"] == 747_385
    assert set(frame["boundary_year"]) == {2024}


# --- the profile --------------------------------------------------------------------------------------

def test_profile_trends_of_a_changed_wijk_are_converted_and_say_so(by_area):
    session = by_area
    profile = build_profile(session, "WK035607")  # Blokhoeve, by area 35 % of its 2022 outline stays
    basis = profile.trend_basis
    assert basis.boundary_year == 2024 and basis.converted > 0
    assert basis.note.startswith("Trends op de gebiedsindeling van 2024; waarden van eerdere jaren zijn "
                                 "omgerekend waar de grenzen veranderden")
    trend = {s.key: {p.period: p for p in s.points} for s in profile.figure("inwoners").trend}
    point = trend["area"][2022]
    assert point.converted and point.value == pytest.approx(1775 * (1 - weight(session, "WK035607", "WK035606")))
    assert point.from_year == 2022 and point.boundary_year == 2024
    assert trend["area"][2024].value == 1765 and not trend["area"][2024].converted
    # The key figure stays the published one; the trend's 2024 Leefbaarometer point is on 2024 boundaries.
    lbm = profile.figure("lbm_score")
    assert (lbm.current.value, lbm.current.boundary_year) == (4.139, 2022)
    area = next(s for s in lbm.trend if s.key == "area")
    assert all(p.converted for p in area.points) and len(area.points) == 9
    notes = lbm.trend_notes
    assert len(notes) == 1 and notes[0].periods == (2002, 2008, 2012, 2014, 2016, 2018, 2020, 2022, 2024)
    # References on the same division: Nieuwegein (unchanged) and the New Towns keep their figures.
    gemeente = next(s for s in lbm.trend if s.key == "gemeente")
    assert not any(p.converted for p in gemeente.points)
    # CSV: the trend on 2024 boundaries, and the latest published figure on its own boundaries.
    rows = [r for r in profile.rows() if r["indicator_id"] == "lbm_score" and r["periode"] == 2024
            and r["gebied_code"] == "WK035607"]
    assert {(r["rol"], r["status"], r["grenzen"]) for r in rows} == {
        ("gebied", "converted", 2024), ("gebied (laatst gepubliceerd)", "observed", 2022)}


def test_profile_trends_of_an_unchanged_wijk_are_the_published_figures(session):
    profile = build_profile(session, "WK003401")
    assert profile.trend_basis.converted == 0 and profile.trend_basis.kept > 0
    assert "Hier waren de grenzen gelijk" in profile.trend_basis.note
    area = next(s for s in profile.figure("lbm_score").trend if s.key == "area")
    assert [p.value for p in area.points] == [
        published(session, "WK003401", "lbm_score", p) for p in (2002, 2008, 2012, 2014, 2016, 2018, 2020, 2022,
                                                                  2024)]
    assert profile.as_dict()["trend_basis"]["boundary_year"] == 2024


def test_profile_without_a_crosswalk_says_so(session):
    profile = build_profile(session, "GM0363")
    assert profile.trend_basis.unconvertible_years == (2022,)
    assert "Voor cijfers op de gebiedsindeling van 2022 is er geen omrekentabel naar 2024" in profile.trend_basis.note
    point = next(p for p in profile.figure("inwoners").trend[0].points if p.period == 2022)
    assert point.value is None and point.unconvertible and not point.has_value


def test_nederland_has_no_boundary_changes(session):
    basis = build_profile(session, "NL01").trend_basis
    assert basis.boundary_year is None and basis.note.startswith("Nederland als geheel heeft geen grenswijzigingen")


def test_api_harmonised_uses_the_domain_rules(client):
    body = client.get("/api/harmonised", params={"indicators": "inwoners",
                                                 "areas": "WK003474,WK003405,WK003401,GM0363",
                                                 "boundary_year": 2024, "periods": "2022"}).json()
    by_code = {v["area_code"]: v for v in body["values"]}
    assert (by_code["WK003474"]["value"], by_code["WK003474"]["status_label"]) == (0, "omgerekend")
    assert (by_code["WK003405"]["value"], by_code["WK003405"]["status"]) == (2285, "observed")
    assert (by_code["WK003401"]["value"], by_code["WK003401"]["status"]) == (1635, "observed")
    assert by_code["GM0363"]["value"] is None and "geen omrekentabel" in by_code["GM0363"]["method"]
    profile = client.get("/api/profile/WK003474").json()
    assert profile["trend_basis"]["boundary_year"] == 2024
    inwoners = next(f for t in profile["themes"] for f in t["figures"] if f["indicator"]["id"] == "inwoners")
    point = next(p for p in inwoners["trend"][0]["points"] if p["period"] == 2022)
    assert point["status"] == "converted" and point["published_boundary_year"] == 2022


# --- signals of change: both years on one division ------------------------------------------------------

def test_change_signals_compare_both_years_on_one_division(session, by_area):
    from gebiedsatlas.analysis.change import change_signals

    # Leefbaarometer wijk scores: both years published on the 2022 wijken, nothing to convert.
    lbm = change_signals(session, "lbm_afwijking", 2022, 2024, "wijk", "nta")
    assert (lbm.boundary_year, lbm.converted, lbm.unconvertible) == (2022, 0, 0)
    # KWB inhabitants: 2022 on the 2022 wijken, 2024 on the 2024 wijken -> compared on 2024's. By inhabitants
    # every inhabited wijk is unchanged: both years as published.
    people = change_signals(session, "inwoners", 2022, 2024, "wijk", "nta")
    assert people.boundary_year == 2024 and people.converted == 0
    assert people.table.loc["WK003406", ["value_from", "value_to"]].tolist() == [3000, 2995]
    assert people.table.loc["WK003401", ["value_from", "value_to"]].tolist() == [1635, 1765]
    # On the crosswalk by area, changed wijken are converted and flagged.
    by_area_people = change_signals(by_area, "inwoners", 2022, 2024, "wijk", "nta")
    converted = by_area_people.table[by_area_people.table["omgerekend"]]
    # 18: WK003408, WK003417 and WK003466 pass 2-6 % of their 2022 area to a 2024 wijk for which that is over
    # 10 %, so they are not unchanged; WK193011's 3 % in WK193012 is noise on both sides (WK193012 unchanged).
    # (19 with the former 1 % sliver threshold: WK043903 then kept a 1,8 % sliver of WK043905, under 5 % of
    # both wijken, and fell just under the 90 % for unchanged.)
    assert by_area_people.converted == len(converted) == 18 and {"WK035606", "WK035607"} <= set(converted.index)
    assert converted.loc["WK035607", "value_from"] == pytest.approx(
        1775 * (1 - weight(by_area, "WK035607", "WK035606")))
    assert "Beide jaren op de gebiedsindeling van 2024" in people.boundary_note
    # Gemeenten of the whole country: only the seven New Towns have a crosswalk 2022 -> 2024.
    national = change_signals(session, "aandeel_65_plus", 2022, 2024, "gemeente", "NL01")
    assert national.compared == 7 and national.unconvertible > 300
    assert "doen niet mee: er is geen omrekentabel naar de grenzen van 2024" in national.boundary_note


def test_signals_page_and_api_say_which_division(client):
    page = client.get("/signalen", params={"indicator": "aandeel_65_plus", "van": 2022, "tot": 2024}).text
    assert "Beide jaren op de gebiedsindeling van 2024" in page
    body = client.get("/api/analysis/change", params={"indicator": "aandeel_65_plus", "from": 2022,
                                                      "to": 2024}).json()
    assert body["boundary_year"] == 2024 and body["converted"] == 0
    assert not any(r["omgerekend"] for r in body["rows"])
