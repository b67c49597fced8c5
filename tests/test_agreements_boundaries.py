"""The atlas series behind outcome targets on one boundary year -- on the real bundled data.

Real facts used (see tests/test_harmonise.py and docs/live-data.md): Leefbaarometer wijk scores are
published on the wijk boundaries of 2022, KWB 2022 on those of 2022 and KWB 2024 on those of 2024. With
the wijk crosswalk weighted by area (``gebiedsatlas crosswalk --weighting oppervlakte``, the store
``by_area``), 65 % of the 2022 outline of WK035607 (Blokhoeve, Nieuwegein) lies in the 2024 WK035606
(Huis de Geer): Huis de Geer's 2022 values are converted. CBS counted 635 inhabitants in Huis de Geer and
1,775 in Blokhoeve in 2022, and 695 in Huis de Geer in 2024; the Leefbaarometer 2024 scores are 4.1679
(Huis de Geer) and 4.139 (Blokhoeve). With the crosswalk the import builds (by inhabitants), the wijken of
Nieuwegein are unchanged and keep their published figures. Amsterdam (GM0363) has boundaries of 2022
only: its 2022 figures have no crosswalk to 2024.
"""

from __future__ import annotations

import io
import shutil

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from typer.testing import CliRunner

from accounts_support import login, login_in_browser, member
from conftest import LiveServer, axe_violations, make_client, sqlite_url
from gebiedsatlas.agreements import excel, monitoring, parties, services
from gebiedsatlas.agreements.history import Actor
from gebiedsatlas.agreements.progress import atlas_series, commitment_progress, prefetch_series, series_key
from gebiedsatlas.agreements.projection import fit_trend
from gebiedsatlas.agreements.scope import scope_values
from gebiedsatlas.areas.codes import Level
from gebiedsatlas.areas.index import area_index
from gebiedsatlas.config import REPO_DIR
from gebiedsatlas.store import db
from gebiedsatlas.store.agreements import Party
from gebiedsatlas.store.models import AreaCrosswalk, Observation

ACTOR = Actor("tester", "Gemeente Nieuwegein")
LBM_YEARS = [2002, 2008, 2012, 2014, 2016, 2018, 2020, 2022, 2024]


def _seeded_copy(template_db, path, by_area: bool) -> str:
    shutil.copy(template_db, path)
    url = sqlite_url(path)
    if by_area:
        from gebiedsatlas.cli import app

        result = CliRunner().invoke(app, ["crosswalk", "--from-year", "2022", "--to-year", "2024", "--area-set",
                                          "nta", "--weighting", "oppervlakte"], env={"GEBIEDSATLAS_DATABASE_URL": url})
        assert result.exit_code == 0, result.output
    with db.session_scope(url) as session:
        parties.seed_signatories(session, REPO_DIR / "data")
    db.get_engine(url).dispose()  # closes the pooled connection: the WAL is written back before any copy
    return url


@pytest.fixture(scope="module")
def by_area_template(template_db, tmp_path_factory):
    """The imported store with the wijk crosswalk weighted by area (real wijken converted)."""
    return tmp_path_factory.mktemp("afspraken_by_area") / "template.sqlite", template_db


@pytest.fixture
def by_area(by_area_template, tmp_path) -> str:
    path, template_db = by_area_template
    if not path.exists():
        _seeded_copy(template_db, path, by_area=True)
    copy = tmp_path / "by_area.sqlite"
    shutil.copy(path, copy)
    return sqlite_url(copy)


@pytest.fixture
def store(template_db, tmp_path) -> str:
    """The imported store as it is (crosswalk by inhabitants: Nieuwegein's wijken unchanged)."""
    return _seeded_copy(template_db, tmp_path / "afspraken.sqlite", by_area=False)


def _party(session, name: str) -> Party:
    return session.scalar(select(Party).where(Party.name == name))


def _agreement(session):
    gemeente = _party(session, "Gemeente Nieuwegein")
    corporation = _party(session, "Jutphaas Wonen")
    agreement = services.create_agreement(session, services.parse_agreement(session, {
        "title": "Prestatieafspraken Nieuwegein 2026–2029", "gemeente_code": "GM0356", "period_start": "2026",
        "period_end": "2029", "party_ids": [gemeente.id, corporation.id]}), ACTOR)
    return agreement, gemeente


def _outcome(session, agreement, party, **fields):
    raw = {"text": "Effectdoel op een atlasindicator, gemeten in de wijk", "theme": "leefbaarheid",
           "party_ids": [party.id], "scope_kind": "wijk", "target_kind": "outcome", "target_year": "2029", **fields}
    return services.add_commitment(session, agreement, services.parse_commitment(session, agreement, raw), ACTOR)


def _published(session, code: str, indicator: str, period: int) -> float:
    return session.scalar(select(Observation.value).where(
        Observation.area_code == code, Observation.indicator_id == indicator, Observation.period == period))


def _share(session) -> float:
    return session.scalar(select(AreaCrosswalk.weight).where(
        AreaCrosswalk.from_code == "WK035607", AreaCrosswalk.to_code == "WK035606",
        AreaCrosswalk.from_year == 2022, AreaCrosswalk.to_year == 2024))


# ---------------------------------------------------------------- a changed wijk: converted values

def test_baseline_and_series_of_a_changed_wijk_are_on_the_2024_boundaries(by_area):
    with db.session_scope(by_area) as session:
        agreement, gemeente = _agreement(session)
        share = _share(session)
        assert share == pytest.approx(0.65, abs=0.001)
        inw06, inw07 = _published(session, "WK035606", "inwoners", 2022), _published(session, "WK035607",
                                                                                       "inwoners", 2022)
        assert (inw06, inw07) == (635, 1775)
        # Huis de Geer's 2022 count is published on the 2022 boundaries; on those of 2024 it also holds 65 %
        # of Blokhoeve. The baseline read from the atlas is that converted figure, not the published 635.
        people = _outcome(session, agreement, gemeente, scope_codes="WK035606", indicator_id="inwoners",
                          baseline_year="2022", target_value="800")
        assert people.baseline_year == 2022
        assert people.baseline_value == pytest.approx(inw06 + share * inw07) and people.baseline_value > 1700
        series = atlas_series(session, people)
        assert [(p["year"], p["status"], p["converted"], p["from_year"], p["boundary_year"]) for p in series] == [
            (2022, "converted", True, 2022, 2024), (2024, "observed", False, 2024, 2024)]
        assert series[1]["value"] == 695
        assert series[0]["method"].startswith("omgerekend naar grenzen 2024: aantallen verdeeld naar aandeel")

        # The Leefbaarometer of Huis de Geer: every year published on the 2022 wijken, all converted, and the
        # projection is the least-squares line through the converted series.
        lbm = _outcome(session, agreement, gemeente, scope_codes="WK035606", indicator_id="lbm_score",
                       baseline_year="2024", target_value="4.3")
        progress = commitment_progress(session, lbm, 2026)
        atlas = [p for p in progress.series if p["source"] == "atlas"]
        assert [p["year"] for p in atlas] == LBM_YEARS and all(p["converted"] for p in atlas)
        expected_2024 = (4.1679 * inw06 + 4.139 * share * inw07) / (inw06 + share * inw07)
        assert (_published(session, "WK035606", "lbm_score", 2024),
                _published(session, "WK035607", "lbm_score", 2024)) == (4.1679, 4.139)
        assert atlas[-1]["value"] == pytest.approx(expected_2024)
        assert lbm.baseline_value == pytest.approx(expected_2024)
        trend = fit_trend([(p["year"], p["value"]) for p in atlas])
        assert progress.trend.slope == pytest.approx(trend.slope)
        assert progress.projected_value == pytest.approx(trend.at(2029))
        assert progress.current_value == pytest.approx(expected_2024) and progress.current_year == 2024
        basis = progress.basis
        assert basis.boundary_year == 2024 and basis.converted_years == tuple(LBM_YEARS)
        assert basis.note == ("Atlasreeks op de gebiedsindeling van 2024; omgerekende jaren gemarkeerd (2002, 2008, "
                              "2012, 2014, 2016, 2018, 2020, 2022 en 2024).")


def test_several_wijken_are_aggregated_from_their_harmonised_values(by_area):
    with db.session_scope(by_area) as session:
        agreement, gemeente = _agreement(session)
        both = _outcome(session, agreement, gemeente, scope_codes="WK035606, WK035607", indicator_id="inwoners",
                        target_value="2500")
        series = atlas_series(session, both)
        # Inhabitants are conserved: the two wijken together count the published total in both years.
        assert [(p["year"], p["value"], p["status"]) for p in series] == [(2022, 635 + 1775, "converted"),
                                                                         (2024, 695 + 1765, "derived")]
        assert commitment_progress(session, both, 2026).basis.converted_years == (2022,)


def test_dashboard_prefetch_gives_the_same_series_as_one_commitment_at_a_time(by_area):
    with db.session_scope(by_area) as session:
        agreement, gemeente = _agreement(session)
        wijken = area_index(session).at_level(Level.WIJK, parent="GM0356", year=2024)
        assert len(wijken) == 22
        made = [_outcome(session, agreement, gemeente, scope_codes=code, indicator_id=indicator, target_value="5")
                for code in wijken for indicator in ("lbm_score", "inwoners", "woz_waarde")]
        cache = prefetch_series(session, made)
        assert len(cache) == len(made)
        assert cache == {series_key(c): atlas_series(session, c) for c in made}
        converted = {c.scope_codes[0] for c in made if any(p["converted"] for p in cache[series_key(c)])}
        assert {"WK035606", "WK035607"} <= converted


# ---------------------------------------------------------------- unchanged areas: as before

def test_unchanged_areas_keep_the_published_series(store):
    """Where the boundaries did not change, the series is what the published values gave before."""
    with db.session_scope(store) as session:
        agreement, gemeente = _agreement(session)
        scopes = [("wijk", "WK035601", "lbm_score"), ("wijk", "WK035601", "inwoners"),
                  ("wijk", "WK035601, WK035603", "lbm_score"), ("gemeente", "", "lbm_score"),
                  ("gebiedsset", "nta", "inwoners")]
        for kind, codes, indicator in scopes:
            c = _outcome(session, agreement, gemeente, scope_kind=kind, scope_codes=codes, indicator_id=indicator,
                         target_value="5")
            published = scope_values(session, "GM0356", kind, list(c.scope_codes or []), indicator)
            published = published[published["status"].isin(["observed", "derived"]) & published["value"].notna()]
            before = sorted(zip(published["period"].astype(int), published["value"], strict=True))
            series = atlas_series(session, c)
            assert [p["year"] for p in series] == [y for y, _ in before], (kind, codes, indicator)
            assert [p["value"] for p in series] == pytest.approx([v for _, v in before]), (kind, codes, indicator)
            assert not any(p["converted"] or p["value"] is None for p in series)
        jutphaas = agreement.commitments[0]
        progress = commitment_progress(session, jutphaas, 2026)
        assert [p["value"] for p in progress.series] == [_published(session, "WK035601", "lbm_score", y)
                                                         for y in LBM_YEARS]
        assert progress.basis.kept_years == tuple(LBM_YEARS) and progress.basis.converted_years == ()
        assert progress.basis.note == ("Atlasreeks op de gebiedsindeling van 2024; de grenzen van dit gebied waren in "
                                       "de andere jaren gelijk, de waarden staan er zoals gepubliceerd.")


def test_a_year_without_crosswalk_has_no_number_and_stays_out_of_the_projection(store):
    with db.session_scope(store) as session:
        amsterdam = services.create_party(session, "Gemeente Amsterdam", "gemeente", ACTOR, gemeente_code="GM0363")
        other = services.create_party(session, "Woningcorporatie in Amsterdam", "woningcorporatie", ACTOR)
        agreement = services.create_agreement(session, services.parse_agreement(session, {
            "title": "Prestatieafspraken Amsterdam", "gemeente_code": "GM0363", "period_start": "2026",
            "period_end": "2029", "party_ids": [amsterdam.id, other.id]}), ACTOR)
        c = services.add_commitment(session, agreement, services.parse_commitment(session, agreement, {
            "text": "Aantal inwoners van Amsterdam naar 950.000 in 2029", "theme": "beschikbaarheid",
            "party_ids": [amsterdam.id], "target_kind": "outcome", "indicator_id": "inwoners",
            "baseline_year": "2022", "target_value": "950000", "target_year": "2029"}), ACTOR)
        # No baseline from 2022: that figure is on boundaries without a crosswalk to 2024.
        assert c.baseline_value is None
        progress = commitment_progress(session, c, 2026)
        assert [(p["year"], p["value"], p["status"]) for p in progress.series] == [
            (2022, None, "missing"), (2024, _published(session, "GM0363", "inwoners", 2024), "observed")]
        assert progress.series[0]["method"] == "geen omrekentabel van de grenzen van 2022 naar 2024"
        # One measurement with a number: no trend (the 2022 figure is not mixed in).
        assert progress.status == "niet_meetbaar" and progress.trend is None
        assert progress.basis.unconvertible_years == (2022,)
        assert progress.basis.note == ("Atlasreeks op de gebiedsindeling van 2024. Voor 2022 is er geen omrekentabel "
                                       "naar 2024: geen gegevens, telt niet mee in de trend.")
        # A value the party reports for that year fills it (as for any year the atlas has no number for).
        services.report_realisation(session, c, services.parse_realisation(session, c, {
            "year": "2025", "value": "940000", "reported_by_party_id": [amsterdam.id]}), ACTOR)
        session.expire(c)
        assert commitment_progress(session, c, 2026).trend.first_year == 2024


# ---------------------------------------------------------------- where it is said

def test_pages_api_and_exports_say_which_division(by_area):
    with db.session_scope(by_area) as session:
        agreement, gemeente = _agreement(session)
        c = _outcome(session, agreement, gemeente, scope_codes="WK035606", indicator_id="inwoners",
                     baseline_year="2022", target_value="800")
        ids = agreement.id, c.id
        workbook = load_workbook(io.BytesIO(excel.agreement_workbook(session, agreement, 2026)))
        overview = monitoring.monitoring_overview(session, reference_year=2026)
    voortgang = workbook["Voortgang"]
    assert voortgang["G1"].value == "atlasreeks"
    assert voortgang["G2"].value == "Atlasreeks op de gebiedsindeling van 2024; omgerekende jaren gemarkeerd (2022)."
    assert overview["series_basis"].note == (
        "Effectdoelen: 1 atlasreeks op de gebiedsindeling van 2024 (de laatste van het gebied); in 1 daarvan zijn "
        "jaren omgerekend waar de grenzen veranderden (gemarkeerd bij de afspraak).")
    reader = member(by_area, "Gemeente Nieuwegein", "lezer")
    with make_client(by_area) as client:
        assert client.get(f"/afspraken/afspraak/{ids[1]}").status_code == 404  # a concept: parties only
        login(client, reader)
        page = client.get(f"/afspraken/afspraak/{ids[1]}").text
        assert 'id="atlasreeks-basis" data-boundary-year="2024">Atlasreeks op de gebiedsindeling van 2024; ' \
               "omgerekende jaren gemarkeerd (2022).</p>" in page
        assert "Waarden voor Wijk: Huis de Geer (WK035606), op de gebiedsindeling van 2024" in page
        assert "<td>omgerekend naar grenzen 2024: aantallen verdeeld naar aandeel, 2 gebied(en) van 2022" in page
        assert "Atlasreeks op de gebiedsindeling van 2024; omgerekend: 2022." in client.get(f"/afspraken/{ids[0]}").text
        assert "Effectdoelen: 1 atlasreeks op de gebiedsindeling van 2024" in client.get("/afspraken/monitoring").text
        api = client.get(f"/api/commitments/{ids[1]}").json()["progress"]
        assert api["series_basis"]["boundary_year"] == 2024 and api["series_basis"]["converted_years"] == [2022]
        assert [p["converted"] for p in api["series"]] == [True, False]
        assert client.get("/api/agreements/monitoring").json()["series_basis"]["boundary_years"] == [2024]


@pytest.mark.browser
def test_commitment_page_with_converted_years_in_chromium(by_area, page):
    with db.session_scope(by_area) as session:
        agreement, gemeente = _agreement(session)
        c = _outcome(session, agreement, gemeente, scope_codes="WK035606", indicator_id="lbm_score",
                     baseline_year="2024", target_value="4.3")
        commitment_id = c.id
    reader = member(by_area, "Gemeente Nieuwegein", "lezer")
    server = LiveServer(by_area)
    try:
        login_in_browser(page, server.url, reader)
        page.goto(f"{server.url}/afspraken/afspraak/{commitment_id}")
        page.wait_for_selector("#grafiek svg, #grafiek canvas")
        assert page.locator("#atlasreeks-basis").inner_text().startswith(
            "Atlasreeks op de gebiedsindeling van 2024; omgerekende jaren gemarkeerd")
        rows = page.locator("#meetwaarden tbody tr")
        assert rows.count() == 9 and all("omgerekend" in t for t in rows.all_inner_texts())
        assert axe_violations(page) == []
        assert page.js_errors == []
    finally:
        server.stop()
