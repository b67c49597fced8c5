"""The area profile, compare and indicator pages: real HTTP, real Chromium, real figures."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import httpx
import pytest

from conftest import axe_violations
from gebiedsatlas.indicators.catalogue import load_catalogue

WIJK = "WK003401"  # Centrum Almere Haven, Almere


def row(page, indicator: str):
    return page.locator(f"tr[data-indicator='{indicator}']").first


def cell(page, indicator: str, role: str) -> str:
    return row(page, indicator).locator(f"td[data-role='{role}']").inner_text()


# --- server-side (no browser) ----------------------------------------------------------------------

def test_profile_csv_in_both_dialects_with_attribution(client):
    plain = client.get(f"/gebied/{WIJK}.csv?format=csv&vorm=lang")
    assert plain.status_code == 200 and plain.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(plain.text)))
    laag = next(r for r in rows if r["indicator_id"] == "laag_inkomen" and r["gebied_code"] == WIJK)
    assert (laag["waarde"], laag["periode"], laag["rang"], laag["rang_van"]) == ("43.6", "2022", "42", "48")
    assert laag["bron"] == "Bron: CBS, CC BY 4.0"
    lbm = next(r for r in rows if r["indicator_id"] == "lbm_score" and r["gebied_code"] == WIJK
               and r["periode"] == "2002")
    assert lbm["bron"] == "Bron: Leefbaarometer 3.0, Ministerie van BZK"

    excel = client.get(f"/api/profile/{WIJK}?format=csv-nl")
    text = excel.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows_nl = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    laag_nl = next(r for r in rows_nl if r["indicator_id"] == "laag_inkomen" and r["gebied_code"] == WIJK)
    assert laag_nl["waarde"] == "43,6" and laag_nl["bron"] == "Bron: CBS, CC BY 4.0"
    assert len(rows_nl) == len(rows)


def test_profile_json_api(client):
    body = client.get(f"/api/profile/{WIJK}").json()
    assert body["area"]["name"] == "Centrum Almere Haven"
    figures = {f["indicator"]["id"]: f for t in body["themes"] for f in t["figures"]}
    assert figures["inwoners"]["current"]["value"] == 1765
    gemeente = figures["laag_inkomen"]["references"][0]
    assert gemeente["reference"]["code"] == "GM0034" and gemeente["mark"] == "slechter"
    assert "Bron: CBS, CC BY 4.0" in body["attribution"]


def test_compare_csv_both_dialects_and_bad_input(client):
    plain = client.get("/vergelijken.csv?areas=GM0034,GM0637,nta&format=csv&vorm=lang").text
    rows = list(csv.DictReader(io.StringIO(plain)))
    inwoners = {r["gebied_code"]: r["waarde"] for r in rows if r["indicator_id"] == "inwoners"}
    assert inwoners == {"GM0034": "226500", "GM0637": "128434", "nta": "767511"}
    assert all(r["bron"] for r in rows)
    excel = client.get("/api/compare?areas=GM0034,GM0637&format=csv-nl").content.decode("utf-8")
    assert excel.startswith("\ufeff") and ";36,7;" in excel
    assert client.get("/api/compare?areas=GM0034").status_code == 400
    assert client.get("/api/compare?areas=GM0034,Qwertyuiop").status_code == 404


def test_unknown_area_and_indicator_give_a_dutch_404_page(client):
    page = client.get("/gebied/GM9999")
    assert page.status_code == 404 and "Gebied niet gevonden" in page.text
    assert client.get("/indicator/bestaat_niet").status_code == 404
    assert client.get("/api/profile/GM9999").status_code == 404


# --- browser ---------------------------------------------------------------------------------------

@pytest.mark.browser
def test_wijk_profile_shows_real_figures_trend_and_map(page, live_server):
    page.goto(f"{live_server.url}/gebied/{WIJK}")
    assert page.locator("h1").inner_text() == "Centrum Almere Haven"
    assert "Almere" in page.locator("nav[aria-label='Kruimelpad']").inner_text()
    # Inhabitants (CBS KWB 2024) of the wijk, Almere and Nederland, Dutch thousands separator.
    assert cell(page, "inwoners", "area").startswith("1.765")
    assert cell(page, "inwoners", "gemeente").startswith("226.500")
    assert cell(page, "inwoners", "nl").startswith("17.942.942")
    # Low incomes 2022: 43,6% against Almere's 36,7%: worse, in words and icon (not colour alone).
    assert cell(page, "laag_inkomen", "area").startswith("43,6%")
    gemeente = cell(page, "laag_inkomen", "gemeente")
    assert "36,7%" in gemeente and "slechter" in gemeente and "▼" in gemeente
    assert cell(page, "laag_inkomen", "rank").startswith("42e van 48")
    # Definition and source one click away.
    definition = row(page, "laag_inkomen").locator("details")
    definition.locator("summary").click()
    assert "laagste 40%" in definition.inner_text() and "CC BY 4.0" in definition.inner_text()
    # Leefbaarometer trend 2002-2024 drawn as SVG, with its table alternative.
    trend = page.locator("figure[data-trend='lbm_score']")
    trend.scroll_into_view_if_needed()  # charts are drawn when they scroll into view
    trend.locator(".atlas-chart svg").wait_for(timeout=30_000)
    assert trend.locator("figcaption").inner_text().endswith("2002–2024")
    table_text = trend.locator("table").text_content()
    assert "2002" in table_text and "3,909" in table_text
    # The small map: every sibling wijk drawn once, this one highlighted.
    page.wait_for_selector("[data-area-map][data-ready]")
    expected = httpx.get(f"{live_server.url}/api/geojson?level=wijk&parent=GM0034&period=2024").json()
    drawn = page.locator("[data-area-map]").get_attribute("data-ready")
    assert drawn == str(len(expected["features"]))
    assert page.locator("[data-area-map] path.leaflet-interactive").count() == len(expected["features"])
    # Child areas.
    children = page.locator("#kop-onderliggend").locator("xpath=..").inner_text()
    assert "Centrum Haven Noord" in children and "795" in children
    assert not page.js_errors
    assert axe_violations(page) == []


@pytest.mark.browser
def test_profile_prints_as_a_clean_a4(page, live_server):
    page.goto(f"{live_server.url}/gebied/GM0034")
    page.wait_for_selector("[data-area-map][data-ready]")
    page.emulate_media(media="print")
    assert not page.locator(".atlas-nav").is_visible()
    assert not page.locator(".leaflet-control-zoom").is_visible()
    assert not page.locator(".atlas-actions").first.is_visible()
    assert page.locator("tr[data-indicator='inwoners']").is_visible()
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") > 1


@pytest.mark.browser
def test_profile_csv_download_from_the_page(page, live_server):
    page.goto(f"{live_server.url}/gebied/{WIJK}")
    with page.expect_download() as info:
        page.get_by_role("link", name="Download CSV voor Excel (NL)").click()
    content = Path(info.value.path()).read_text(encoding="utf-8")
    assert content.startswith("\ufeff") and "Bron: CBS, CC BY 4.0" in content
    assert ";1765;" in content


@pytest.mark.browser
def test_compare_three_areas(page, live_server):
    page.goto(f"{live_server.url}/vergelijken")
    page.get_by_label("Gebieden (namen of codes").fill("Almere, Zoetermeer, nta")
    page.get_by_role("button", name="Vergelijk").click()
    page.wait_for_url("**/vergelijken?areas=*")
    headers = page.locator("table[data-theme='bevolking'] thead th").all_inner_texts()
    assert headers[2:] == ["Almere", "Zoetermeer", "New Town Alliantie"]
    values = row(page, "inwoners").locator("td.atlas-num").all_inner_texts()
    assert [v.split("\n")[0] for v in values] == ["226.500", "128.434", "767.511"]
    laag = row(page, "laag_inkomen").locator("td.atlas-num").all_inner_texts()
    assert laag[0].startswith("36,7%") and laag[1].startswith("36,2%")
    page.locator("section[aria-labelledby='thema-bevolking'] .atlas-chart").first.scroll_into_view_if_needed()
    page.locator("section[aria-labelledby='thema-bevolking'] .atlas-chart svg").first.wait_for(timeout=30_000)
    assert page.locator("a", has_text="Download CSV voor Excel (NL)").count() == 1
    assert not page.js_errors
    assert axe_violations(page) == []


@pytest.mark.browser
def test_indicator_page_histogram_and_lists(page, live_server):
    page.goto(f"{live_server.url}/indicatoren")
    assert page.locator("tr[data-indicator]").count() == len(load_catalogue().indicators)
    assert axe_violations(page) == []
    page.get_by_role("link", name="Personen met een laag inkomen").click()
    page.wait_for_url("**/indicator/laag_inkomen")
    assert page.locator("h1").inner_text() == "Personen met een laag inkomen"
    assert "hoger is slechter" in page.locator("#kop-definitie").locator("xpath=..").inner_text()
    page.locator("figure[data-histogram] .atlas-chart").scroll_into_view_if_needed()
    page.locator("figure[data-histogram] .atlas-chart svg").wait_for(timeout=30_000)
    # CBS KWB 2022: the lowest share of low incomes is Rozendaal (31,2%), the highest Pekela (48,4%).
    top = page.locator("[data-list='top'] tbody tr")
    bottom = page.locator("[data-list='bottom'] tbody tr")
    assert top.count() == 10 and bottom.count() == 10
    assert "Rozendaal" in top.first.inner_text() and "31,2%" in top.first.inner_text()
    assert "Pekela" in bottom.first.inner_text() and "48,4%" in bottom.first.inner_text()
    map_link = page.get_by_role("link", name="Bekijk personen met een laag inkomen op de kaart")
    assert "indicator=laag_inkomen" in map_link.get_attribute("href")
    assert not page.js_errors
    assert axe_violations(page) == []


@pytest.mark.browser
def test_wide_tables_on_a_narrow_screen_are_reachable_by_keyboard(page, live_server):
    page.set_viewport_size({"width": 420, "height": 900})
    page.goto(f"{live_server.url}/vergelijken?areas=GM0034,GM0637,GM0331,nta")
    scroll = page.locator(".atlas-table-scroll").first
    scroll.wait_for()
    assert scroll.evaluate("el => el.scrollWidth > el.clientWidth")
    assert scroll.get_attribute("tabindex") == "0" and scroll.get_attribute("role") == "region"
    assert scroll.get_attribute("aria-label").startswith("Tabel")
    scroll.focus()
    page.keyboard.press("ArrowRight")
    # Functions, not expressions: polling an expression uses eval(), which the page's CSP refuses.
    page.wait_for_function("() => document.querySelector('.atlas-table-scroll').scrollLeft > 0")
    assert axe_violations(page) == []
    page.set_viewport_size({"width": 1600, "height": 900})  # now it fits: no needless tab stop
    page.wait_for_function("() => !document.querySelector('.atlas-table-scroll').hasAttribute('tabindex')")


def test_indicators_without_any_figure_are_one_line_not_rows_of_geen_gegevens(client):
    # The bundled data has no registered crime (a source to fetch): one sentence names those indicators;
    # the Leefbaarometer's safety dimension, with figures, keeps its row in the same theme.
    page = client.get("/gebied/WK003405").text
    veiligheid = page[page.index('id="thema-veiligheid"'):]
    veiligheid = veiligheid[:veiligheid.index("</section>")]
    assert 'data-indicator="lbm_overlast_onveiligheid"' in veiligheid and "<tr" in veiligheid
    line = veiligheid[veiligheid.index("data-no-figures"):]
    assert "Geen cijfers voor De Grienden en de vergelijkingsgebieden" in line
    assert 'href="/indicator/misdrijven"' in line and 'href="/indicator/woninginbraken_per_1000"' in line
    assert '<tr class="utrecht-table__row" data-indicator="misdrijven"' not in page
    assert page.count('data-indicator="inwoners"') >= 1  # indicators with figures keep their rows
