"""Issue 15 for the atlas pages: search ranking, exports, compare, indicators without data, maps with
context and the home page. Real bundled data, real HTTP, real Chromium with axe-core."""

from __future__ import annotations

import csv
import io
import json

import pytest
from openpyxl import load_workbook
from shapely.geometry import Point, shape

from conftest import ARTIFACTS_DIR, axe_violations

POLICE = "Geregistreerde misdrijven"


# --- search ranking -------------------------------------------------------------------------------

def test_search_ranks_gemeenten_then_wijken_then_buurten_with_their_gemeente(client):
    found = client.get("/api/areas", params={"q": "Nisse", "limit": 6}).json()["areas"]
    # The issue: a buurt in Borsele came before the gemeente Nissewaard.
    assert [(a["name"], a["level"], a["gemeente_name"]) for a in found[:4]] == [
        ("Nissewaard", "gemeente", None), ("Nisse", "wijk", "Borsele"),
        ("Buitengebied Nisse", "buurt", "Borsele"), ("Kern Nisse", "buurt", "Borsele")]
    almere = client.get("/api/areas", params={"q": "almere", "limit": 4}).json()["areas"]
    assert almere[0]["code"] == "GM0034"
    assert {a["level"] for a in almere[1:]} == {"wijk"} and {a["gemeente_name"] for a in almere[1:]} == {"Almere"}
    levels = [a["level"] for a in client.get("/api/areas", params={"q": "Lelystad", "limit": 6}).json()["areas"]]
    assert levels == sorted(levels, key=["gemeente", "wijk", "buurt"].index)
    page = client.get("/zoeken", params={"q": "Nisse"}).text
    assert page.index(">Nissewaard<") < page.index(">Nisse<")
    assert "Wijk · WK" in page and "Borsele" in page


# --- exports --------------------------------------------------------------------------------------

def _csv(text: str, delimiter: str = ",") -> list[dict]:
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff")), delimiter=delimiter))


def test_compare_download_is_the_table_on_screen_rounded_with_dutch_status(client):
    url = "/vergelijken.csv?areas=GM0034,GM0637,nta"
    wide = _csv(client.get(url + "&format=csv").text)
    inwoners = next(r for r in wide if r["indicator_id"] == "inwoners")
    assert [inwoners[c] for c in ("Almere", "Zoetermeer", "New Town Alliantie")] == ["226500", "128434", "767511"]
    assert inwoners["New Town Alliantie status"] == "derived"  # plain CSV keeps the API's codes
    laag = next(r for r in wide if r["indicator_id"] == "laag_inkomen")
    assert laag["Almere"] == "36.7" and laag["periode"] == "2022"
    # The New Towns together: a derived share, rounded to the one decimal the page shows.
    assert len(laag["New Town Alliantie"].split(".")[1]) == 1
    nl = client.get(url + "&format=csv-nl").content.decode("utf-8")
    rows = _csv(nl, ";")
    laag_nl = next(r for r in rows if r["indicator_id"] == "laag_inkomen")
    assert laag_nl["Almere"] == "36,7" and laag_nl["Almere status"] == "waargenomen"
    assert laag_nl["New Town Alliantie status"] == "afgeleid"
    # The long form stays an option, rounded too.
    long_rows = _csv(client.get(url + "&format=csv&vorm=lang").text)
    nta = next(r for r in long_rows if r["indicator_id"] == "laag_inkomen" and r["gebied_code"] == "nta")
    assert nta["waarde"] == laag["New Town Alliantie"]
    assert all(len(r["waarde"].split(".")[1]) <= 3 for r in long_rows if "." in r["waarde"])


def test_profile_download_is_wide_with_references_and_comparison_words(client):
    rows = _csv(client.get("/gebied/WK003401.csv?format=csv-nl").content.decode("utf-8"), ";")
    laag = next(r for r in rows if r["indicator_id"] == "laag_inkomen")
    shown = [laag[c] for c in ("Centrum Almere Haven", "Almere", "rang", "rang_van")]
    assert shown == ["43,6", "36,7", "42", "48"]
    assert laag["vergelijking met Almere"] == "slechter"
    assert laag["Centrum Almere Haven status"] == "waargenomen"
    police = next(r for r in rows if r["indicator_id"] == "misdrijven")
    assert police["Centrum Almere Haven"] == "" and police["Centrum Almere Haven status"] == "geen gegevens"


def test_agreement_excel_opens_on_its_data_sheet(fresh_db_url):
    from gebiedsatlas.agreements import excel
    from gebiedsatlas.agreements.demo import load_demo
    from gebiedsatlas.store import db

    with db.session_scope(fresh_db_url) as session:
        agreement = load_demo(session)[0]
        workbook = load_workbook(io.BytesIO(excel.agreement_workbook(session, agreement, 2026)))
    assert workbook.active.title == "Voortgang"
    assert [ws.title for ws in workbook.worksheets if ws.sheet_view.tabSelected] == ["Voortgang"]
    assert workbook["Voortgang"]["B2"].value  # the first commitment, not the instructions


# --- compare --------------------------------------------------------------------------------------

def test_compare_accepts_new_towns_and_nederland_by_name_and_keeps_names(client):
    page = client.get("/vergelijken", params={"areas": "Almere, New Towns, Nederland"})
    assert page.status_code == 200
    assert 'value="Almere, New Town Alliantie, Nederland"' in page.text
    assert client.get("/api/compare", params={"areas": "Zoetermeer,new towns"}).status_code == 200
    # A name shared by several areas keeps its code, so the form gives the same comparison again.
    again = client.get("/vergelijken", params={"areas": "WK020201,GM0034"}).text
    assert "(WK020201)" in again
    # No raw counts as bars across areas of very different size: only shares, rates and scores.
    specs = [json.loads(part.split(">", 1)[1].split("</script>", 1)[0])
             for part in page.text.split('<script type="application/json"')[1:]]
    titles = [c["title"]["text"] for spec in specs for c in spec["vconcat"]]
    assert titles and not any(t.startswith(("Inwoners,", "Mannen,", "Woningvoorraad,")) for t in titles)
    assert any(t.startswith("Personen met een laag inkomen (%)") for t in titles)
    axes = [c["encoding"]["x"]["axis"] for spec in specs for c in spec["vconcat"]]
    assert all(a["labelOverlap"] and a["tickCount"] == 3 for a in axes)


# --- indicators without data ----------------------------------------------------------------------

def test_indicators_without_data_are_not_offered_and_named_once(client):
    page = client.get("/kaart").text
    select = page.split('id="f-indicator"', 1)[1].split("</select>", 1)[0]
    assert "misdrijven" not in select and "lbm_score" in select
    # One note per source without data (police, BAG, energy labels, ...), each naming its command.
    assert page.count("zijn nog niet geladen") == page.count('class="atlas-missing-data"') >= 1
    assert page.count("gebiedsatlas fetch politie") == 1 and POLICE in page
    compare = client.get("/vergelijken", params={"areas": "GM0034,GM0637"}).text
    assert 'data-indicator="misdrijven"' not in compare
    assert compare.count("gebiedsatlas fetch politie") == 1


# --- maps -----------------------------------------------------------------------------------------

def test_reference_layer_has_outlines_and_label_points_inside(client):
    body = client.get("/api/reference-layer", params={"scope": "nta"}).json()
    focus = {f["properties"]["name"] for f in body["features"] if f["properties"]["focus"]}
    assert focus == {"Almere", "Capelle aan den IJssel", "Helmond", "Nieuwegein", "Nissewaard", "Purmerend",
                     "Zoetermeer"}
    assert len(body["features"]) > len(focus)  # the neighbours, for context
    for feature in body["features"]:
        assert shape(feature["geometry"]).contains(Point(*feature["properties"]["label"]))
    one = client.get("/api/reference-layer", params={"scope": "GM0356"}).json()
    assert [f["properties"]["name"] for f in one["features"] if f["properties"]["focus"]] == ["Nieuwegein"]
    assert "Utrecht" in {f["properties"]["name"] for f in one["features"]}
    assert client.get("/api/reference-layer", params={"scope": "XX"}).status_code == 404


def _external(page, base: str) -> list[str]:
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url) if not r.url.startswith((base, "data:", "blob:")) else None)
    return seen


@pytest.mark.browser
def test_map_with_context_town_switch_year_list_and_legend(live_server, page):
    base = live_server.url
    external = _external(page, base)
    page.goto(f"{base}/kaart?indicator=laag_inkomen&level=wijk&scope=nta")
    page.wait_for_selector("#atlas-map[data-context=ready]")
    # One town at a time: the map starts on Almere, with its name on the map.
    switch = page.locator("[data-town-switch]")
    assert switch.is_visible() and switch.get_attribute("data-shown") == "GM0034"
    assert page.get_by_role("button", name="Almere").get_attribute("aria-pressed") == "true"
    assert "Almere" in page.locator(".atlas-place").all_inner_texts()
    almere_centre = page.evaluate("() => window.atlasMap.map.getCenter().lat")
    page.get_by_role("button", name="Helmond").click()
    helmond_centre = page.evaluate("() => window.atlasMap.map.getCenter().lat")
    assert 51.4 < helmond_centre < 51.5 and 52.3 < almere_centre < 52.45
    assert "Helmond" in page.locator(".atlas-place").all_inner_texts()
    # The legend says which end is worse.
    legend = page.locator("#atlas-legend").inner_text()
    assert "klasse 5: slechtst" in legend and "klasse 1: best" in legend
    # The year list follows the indicator without a submit.
    years = page.locator("#f-period option").all_inner_texts()
    assert years == ["Laatste", "2022"]
    page.select_option("#f-indicator", "lbm_score")
    years = page.locator("#f-period option").all_inner_texts()
    assert years[:3] == ["Laatste", "2002", "2008"] and years[-1] == "2024"
    assert page.locator("#f-period").input_value() == "2022"  # kept: the Leefbaarometer has 2022 too
    page.select_option("#f-period", "2008")
    page.select_option("#f-indicator", "laag_inkomen")
    assert page.locator("#f-period").input_value() == ""  # 2008 is not there: back to "Laatste"
    assert external == []
    assert axe_violations(page) == []
    page.screenshot(path=str(ARTIFACTS_DIR / "ux-kaart-1366.png"))
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(ARTIFACTS_DIR / "ux-kaart-390.png"))


@pytest.mark.browser
def test_map_tooltip_names_the_worse_end(live_server, page):
    page.goto(f"{live_server.url}/kaart?indicator=lbm_score&level=wijk&scope=GM0034")
    page.wait_for_selector("#atlas-map[data-state=drawn]")
    page.locator("#atlas-map").focus()
    page.keyboard.press("ArrowRight")
    label = page.evaluate("() => document.activeElement.getAttribute('aria-label')")
    assert "van 5 (1 = slechtst)" in label


@pytest.mark.browser
def test_home_map_cards_and_key_table_on_a_phone(live_server, page):
    base = live_server.url
    external = _external(page, base)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}/")
    # The key table starts within the first screen of a phone.
    top = page.evaluate("() => document.getElementById('kerncijfers').getBoundingClientRect().top")
    assert top < 844
    page.wait_for_selector("#atlas-map[data-context=ready]")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(ARTIFACTS_DIR / "ux-home-390.png"), full_page=True)
    page.set_viewport_size({"width": 1366, "height": 768})
    assert "Leefbaarometer-score per wijk, 2024" in page.locator("#kaart-kop").inner_text()
    drawn = page.evaluate("() => window.atlasMap.featureCount")
    expected = len(page.request.get(f"{base}/api/geojson?level=wijk&period=2024&area_set=nta").json()["features"])
    assert drawn == expected > 100
    legend = page.locator("#atlas-legend").inner_text()
    assert "klasse 1: slechtst" in legend  # higher Leefbaarometer is better: the lowest class is worst
    # A card for every section of the navigation.
    nav = [h for h in page.locator("nav a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
           if h.startswith("/") and h != "/" and not h.startswith("/inloggen")]
    cards = page.locator(".atlas-cards a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    assert set(nav) <= set(cards) and {"/kaart", "/vergelijken", "/afspraken"} <= set(cards)
    assert external == []
    assert axe_violations(page) == []
    page.screenshot(path=str(ARTIFACTS_DIR / "ux-home-1366.png"))
