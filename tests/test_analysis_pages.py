"""The analysis pages in a real Chromium: aandachtsgebieden, typologie, signalen and the method page,
with their maps drawn and no serious or critical axe-core violations."""

from __future__ import annotations

import re

import pytest

from conftest import axe_violations


def test_pages_render_without_javascript(client):
    page = client.get("/aandachtsgebieden", params={"scope": "GM0034"}).text
    assert "Staatsliedenwijk" in page and "Veel inwoners met een laag inkomen" in page
    page = client.get("/signalen").text
    assert "Oosterwold" in page and "achteruit" in page
    page = client.get("/methode/kwetsbaarheid").text
    assert 'id="typologie"' in page and "Index of Multiple Deprivation" in page and "4,102265" in page
    # Unknown choices fall back with a message instead of an error page.
    page = client.get("/signalen", params={"indicator": "bestaat_niet", "van": "abc"})
    assert page.status_code == 200 and "geen twee meetjaren" in page.text


def wait_for_map(page, features: int):
    page.wait_for_function("() => window.analysisMap && window.analysisMap.drawn", timeout=30000)
    assert page.evaluate("window.analysisMap.error") is None
    assert page.evaluate("window.analysisMap.featureCount") >= features


@pytest.mark.browser
def test_aandachtsgebieden_page_map_list_and_accessibility(page, live_server):
    page.goto(live_server.url + "/aandachtsgebieden", timeout=90000)
    wait_for_map(page, 140)
    rows = page.locator("#aandachtsgebieden tbody tr")
    assert rows.count() >= 10
    assert "Staatsliedenwijk" in rows.first.inner_text()
    # Per-gemeente cards: seven New Towns, each with its own top list.
    assert page.locator(".atlas-card").count() == 7
    assert axe_violations(page) == []
    # Choosing a gemeente narrows the list.
    page.select_option("#scope", "GM0794")
    page.click("button[type=submit]")
    wait_for_map(page, 10)
    assert "Helmond-Oost" in page.locator("#aandachtsgebieden tbody tr").first.inner_text()
    assert page.js_errors == []


@pytest.mark.browser
def test_typologie_and_signalen_pages(page, live_server):
    page.goto(live_server.url + "/typologie?scope=GM0356", timeout=90000)
    wait_for_map(page, 20)
    assert page.locator(".atlas-card").count() == 6
    assert page.locator("#typen tbody tr").count() >= 20
    assert axe_violations(page) == []
    page.goto(live_server.url + "/signalen?indicator=lbm_overlast_onveiligheid&van=2018&tot=2024", timeout=90000)
    wait_for_map(page, 140)
    assert page.locator("#signalen tbody tr").count() >= 1
    assert axe_violations(page) == []
    assert page.js_errors == []


@pytest.mark.browser
def test_method_page_is_accessible(page, live_server):
    page.goto(live_server.url + "/methode/kwetsbaarheid")
    assert page.locator("h1").inner_text().startswith("Methode")
    assert page.locator("table").count() == 3  # reference groups, where to find, current settings
    assert axe_violations(page) == []


def test_area_analysis_page_and_fragment(client):
    page = client.get("/gebied/WK050205/kwetsbaarheid")
    assert page.status_code == 200 and "Oostgaarde Noord" in page.text
    assert "Rang 1 van 9 in Capelle aan den IJssel" in " ".join(page.text.split())
    fragment = client.get("/gebied/WK050205/kwetsbaarheid", params={"fragment": 1}).text
    assert "<html" not in fragment and "Vergelijkbare wijken" in fragment
    assert client.get("/gebied/XX99/kwetsbaarheid").status_code == 404


@pytest.mark.browser
def test_profile_loads_type_and_kwetsbaarheid(page, live_server):
    page.goto(live_server.url + "/gebied/WK003425", timeout=90000)
    page.wait_for_selector("#kwetsbaarheid[aria-busy=false]", timeout=60000)
    text = " ".join(page.locator("#kwetsbaarheid").inner_text().split())
    assert "Kwetsbaarheidsscore 2022: 1,65" in text and re.search(r"Rang 1 van \d+ in Almere", text)
    assert "Wijken met veel huurwoningen" in text
    assert page.locator("#kwetsbaarheid a[href^='/gebied/WK']:not([href*='vergelijk'])").count() == 10  # peers
    assert page.locator("#kwetsbaarheid a[href='/gebied/WK003425?vergelijk=vergelijkbaar#kop-overzicht']").count() == 1
    assert axe_violations(page) == []


@pytest.mark.browser
def test_afwijkingen_page_with_a_chosen_reference(page, live_server):
    page.goto(live_server.url + "/afwijkingen?indicator=laag_inkomen&referentie=peers&scope=GM0794", timeout=90000)
    wait_for_map(page, 10)
    assert page.locator("h1").inner_text() == "Personen met een laag inkomen ten opzichte van vergelijkbare wijken"
    assert page.locator("#afwijkingen tbody tr").count() >= 12
    page.select_option("#referentie", "gemeente")
    page.click("button[type=submit]")
    wait_for_map(page, 10)
    assert "gemeente" in page.locator("h1").inner_text()
    assert axe_violations(page) == []
    assert page.js_errors == []


def test_profile_compared_with_similar_areas_on_request(client):
    plain = client.get("/gebied/WK050205").text
    assert "Vergelijkbare wijken</th>" not in plain
    page = client.get("/gebied/WK050205", params={"vergelijk": "vergelijkbaar"})
    assert page.status_code == 200 and "Vergelijkbare wijken</th>" in page.text
    fragment = client.get("/gebied/WK050205/kwetsbaarheid", params={"fragment": 1}).text
    assert "/gebied/WK050205?vergelijk=vergelijkbaar" in fragment
    # Unknown areas and gemeenten keep the default references.
    assert client.get("/gebied/GM0502", params={"vergelijk": "vergelijkbaar"}).status_code == 200
    assert client.get("/gebied/XX99", params={"vergelijk": "vergelijkbaar"}).status_code == 404


def test_aandachtsgebieden_rule_can_be_changed_on_the_page(client):
    strict = client.get("/aandachtsgebieden", params={"scope": "GM0034", "drempel": "1,3", "slechtste": "0"}).text
    # Only Staatsliedenwijk (1,54) and De Wierden (1,34) have a score of 1,3 or more in Almere.
    assert "2 aandachtsgebieden van" in strict
    assert 'value="1,3"' in strict
    bad = client.get("/aandachtsgebieden", params={"drempel": "veel"})
    assert bad.status_code == 200 and "Drempel: verwacht een getal van -3 tot 3" in bad.text


@pytest.mark.browser
def test_aandachtsgebieden_map_by_keyboard(page, live_server):
    """The analysis map has the keyboard access of /kaart (map-keyboard.js): one tab stop, arrow keys and
    type-ahead move a link over the areas, its name is the tooltip text, Enter opens the profile."""
    page.goto(live_server.url + "/aandachtsgebieden?scope=GM0034&level=wijk", timeout=90000)
    wait_for_map(page, 10)
    data = page.evaluate("JSON.parse(document.getElementById('analysis-map-data').textContent)")
    geo = page.evaluate("(url) => fetch(url).then((r) => r.json())", data["geojson"])
    names = {f["id"]: f["properties"]["name"] for f in geo["features"]}
    active = "() => { const a = document.activeElement; return [a.id, a.getAttribute('href'), " \
             "a.getAttribute('aria-label'), a.closest('#analysis-map') !== null]; }"
    page.locator("form button[type=submit]").focus()
    page.keyboard.press("Tab")
    assert page.evaluate(active)[0] == "analysis-map"
    page.keyboard.press("ArrowRight")
    _, href, label, inside = page.evaluate(active)
    code = href.removeprefix("/gebied/")
    assert inside and code in names and label.startswith(names[code])
    # Type-ahead to Staatsliedenwijk, the first aandachtsgebied of Almere (see the list test above).
    page.keyboard.type("staatsl")
    _, href, label, _ = page.evaluate(active)
    code = href.removeprefix("/gebied/")
    assert names[code] == "Staatsliedenwijk"
    assert label == f"Staatsliedenwijk (Almere), {data['labels'][code]}"
    assert page.locator("#analysis-map path.atlas-map__focus-ring").count() == 2
    assert page.locator(".atlas-tooltip").inner_text().replace("\n", ", ") == label
    assert axe_violations(page) == []
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/gebied/{code}", timeout=15_000, wait_until="commit")
    assert page.js_errors == []
