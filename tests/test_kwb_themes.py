"""The KWB catalogue in the store and on the pages: real gemeente housing figures under their themes.

The bundled real figures (data/cbs/kwb2020_2025_gemeenten_woningen.csv, see PROVENANCE) cover gemeenten
only; indicators without any figure (energy, income, care, amenities until `gebiedsatlas fetch cbs`) must
not be shown as if they had values.
"""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select

from conftest import axe_violations
from gebiedsatlas.store import db
from gebiedsatlas.store.models import Observation

NTA = ("GM0034", "GM0502", "GM0794", "GM0356", "GM1930", "GM0439", "GM0637")


def _bundled(data_dir, year: str) -> dict[str, dict[str, str]]:
    with (data_dir / "cbs" / "kwb2020_2025_gemeenten_woningen.csv").open(encoding="utf-8") as fh:
        return {r["gwb_code"]: r for r in csv.DictReader(fh) if r["year"] == year}


def _section(html: str, theme: str) -> str:
    part = html[html.index(f'id="thema-{theme}"'):]
    return part[:part.index("</section>")]


def test_real_gemeente_housing_figures_are_in_the_store(db_url, data_dir):
    with db.session_scope(db_url) as session:
        def value(code, indicator, period):
            return session.execute(select(Observation.value, Observation.status, Observation.source_id).where(
                Observation.area_code == code, Observation.indicator_id == indicator,
                Observation.period == period)).one()

        # CBS KWB 2024 and 2022, Almere and Nieuwegein (whole percentages, as published).
        assert value("GM0034", "huurwoningen_corporatie", 2024) == (27, "observed", "cbs-kwb-gemeenten")
        assert value("GM0034", "huurwoningen_corporatie", 2022) == (27, "observed", "cbs-kwb-gemeenten")
        assert value("GM0356", "huurwoningen_overige_verhuurders", 2024) == (13, "observed", "cbs-kwb-gemeenten")
        assert value("GM0034", "koopwoningen", 2024) == (62, "observed", "cbs-kwb-gemeenten")
        assert value("GM0034", "woz_waarde", 2024) == (375, "observed", "cbs-kwb-gemeenten")
        # 2022 koop and WOZ stay with the 85318NED copy they were checked against.
        assert value("GM0034", "koopwoningen", 2022)[2] == "cbs-kwb-2022"

        counts = dict(session.execute(
            select(Observation.period, func.count()).where(Observation.indicator_id == "huurwoningen_corporatie",
                                                           Observation.status == "observed")
            .group_by(Observation.period)).all())
        levels = {code[:2] for (code,) in session.execute(select(Observation.area_code).where(
            Observation.indicator_id == "huurwoningen_corporatie"))}
        energy = session.scalar(select(func.count()).select_from(Observation).where(
            Observation.indicator_id.in_(["aardgas_gemiddeld", "huishoudens_sociaal_minimum", "afstand_huisarts"])))
    assert counts == {2022: 345, 2024: 342}  # every gemeente of both editions
    assert levels == {"GM"}  # no wijk or buurt figure is bundled for tenure; none is made up
    assert energy == 0  # these arrive with `gebiedsatlas fetch cbs`


def test_nta_share_is_recomputed_from_the_gemeenten_by_woningvoorraad(client, data_dir):
    bundled = _bundled(data_dir, "2024")
    with (data_dir / "cbs" / "kwb2024_85984NED_gemeenten_wijken_nl.csv").open(encoding="utf-8") as fh:
        stock = {r["code"]: float(r["Woningvoorraad_35"]) for r in csv.DictReader(fh) if r["soort"] == "Gemeente"}
    expected = sum(float(bundled[c]["p_wcorpw"]) * stock[c] for c in NTA) / sum(stock[c] for c in NTA)
    rows = list(csv.DictReader(io.StringIO(
        client.get("/vergelijken.csv?areas=GM0034,GM0637,nta&format=csv&vorm=lang").text)))
    corporatie = {r["gebied_code"]: r for r in rows if r["indicator_id"] == "huurwoningen_corporatie"}
    assert (corporatie["GM0034"]["waarde"], corporatie["GM0637"]["waarde"]) == ("27", "34")
    assert corporatie["GM0034"]["periode"] == "2024"
    assert abs(float(corporatie["nta"]["waarde"]) - expected) < 0.5  # 32 %: weighted, not the plain mean
    assert round(expected) == 32


def test_profile_groups_the_new_indicators_under_their_themes(client):
    html = client.get("/gebied/GM0034").text
    wonen = _section(html, "wonen")
    assert 'data-indicator="huurwoningen_corporatie"' in wonen and 'data-indicator="huurwoningen"' in wonen
    # Themes whose indicators have no figures yet: one line naming them, no rows of "geen gegevens".
    energie = _section(html, "energie_klimaat")
    assert "Energie en klimaat" in energie and "data-no-figures" in energie
    assert 'href="/indicator/aardgas_gemiddeld"' in energie and "<tr" not in energie
    for theme, indicator in (("bestaanszekerheid", "huishoudens_sociaal_minimum"), ("zorg", "jeugdzorg"),
                             ("voorzieningen", "afstand_huisarts")):
        section = _section(html, theme)
        assert f'href="/indicator/{indicator}"' in section
        assert f'<tr class="utrecht-table__row" data-indicator="{indicator}"' not in section


def test_compare_and_indicator_pages_use_the_themes(client):
    compare = client.get("/vergelijken?areas=GM0034,GM0637").text
    wonen = compare[compare.index('data-theme="wonen"'):]
    wonen = wonen[:wonen.index("</table>")]
    assert "Huurwoningen van een woningcorporatie" in wonen
    index = client.get("/indicatoren").text
    for theme, label, indicator in (("energie_klimaat", "Energie en klimaat", "aardgas_gemiddeld"),
                                    ("bestaanszekerheid", "Bestaanszekerheid", "bijstand_per_1000"),
                                    ("zorg", "Zorg", "wmo_clienten_per_1000"),
                                    ("voorzieningen", "Voorzieningen", "scholen_binnen_3km"),
                                    ("wonen", "Wonen", "huurwoningen_overige_verhuurders")):
        section = _section(index, theme)
        assert label in section and f"/indicator/{indicator}" in section, theme
    page = client.get("/indicator/huurwoningen_corporatie").text
    assert "Afronding en geheimhouding" in page and "20 woningen of meer" in page
    assert "neutraal" in page and "Wonen" in page


def test_map_offers_the_new_indicator_under_its_theme_with_real_values(client):
    page = client.get("/kaart?indicator=huurwoningen_corporatie&level=gemeente&scope=nta&period=2024")
    assert page.status_code == 200
    wonen = page.text[page.text.index('<optgroup label="Wonen">'):]
    wonen = wonen[:wonen.index("</optgroup>")]
    assert 'value="huurwoningen_corporatie" selected' in wonen
    # The map's table (its text alternative): each New Town with its real 2024 share.
    for code, share in (("GM0034", "27"), ("GM0637", "34"), ("GM0356", "29")):
        cell = page.text[page.text.index(f'<tr data-code="{code}">'):]
        assert f'<td data-sort="{share}.0">{share}<' in cell[:cell.index("\n")], code


def test_inhabitants_15_to_65_are_the_sum_of_three_published_age_groups(db_url, data_dir):
    # The base of the benefit rates: derived only where all three CBS age groups have a value.
    with (data_dir / "cbs" / "kwb2024_85984NED_buurten_nl.csv").open(encoding="utf-8") as fh:
        buurt = next(r for r in csv.DictReader(fh) if r["WijkenEnBuurten"] == "BU00340101")
    expected = sum(int(buurt[k]) for k in ("k_15Tot25Jaar_9", "k_25Tot45Jaar_10", "k_45Tot65Jaar_11"))
    with db.session_scope(db_url) as session:
        row = session.execute(select(Observation.value, Observation.status, Observation.method).where(
            Observation.area_code == "BU00340101", Observation.indicator_id == "leeftijd_15_64",
            Observation.period == 2024)).one()
    assert (row.value, row.status) == (expected, "derived")
    assert row.method == "leeftijd_15_24 + leeftijd_25_44 + leeftijd_45_64"


def test_api_describes_the_sum_rule_and_cbs_publication_rules(client):
    body = client.get("/api/indicators/leeftijd_15_64").json()
    assert body["compute"] == {"sum": ["leeftijd_15_24", "leeftijd_25_44", "leeftijd_45_64"]}
    corporatie = client.get("/api/indicators/huurwoningen_corporatie").json()
    assert corporatie["theme"] == "wonen" and corporatie["direction"] == "neutral" and corporatie["decimals"] == 0
    assert "20 woningen of meer" in corporatie["publication"] and 2024 in corporatie["periods"]
    assert client.get("/api/indicators/aardgas_gemiddeld").json()["theme"] == "energie_klimaat"


@pytest.mark.browser
@pytest.mark.parametrize("path", ["/gebied/GM0637", "/indicator/huurwoningen_corporatie?level=gemeente&scope=nta",
                                  "/indicatoren"])
def test_new_theme_sections_at_390_px_and_axe_clean(page, live_server, path):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}{path}")
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    assert page.locator("#thema-energie_klimaat").count() + page.locator("text=Afronding en geheimhouding").count()
    assert axe_violations(page) == []
    assert not page.js_errors
