"""The opgavekaart in a real Chromium: thresholds set by keyboard only, the list and the map follow,
the map is usable by keyboard, axe finds nothing, and the page fits a 390 px phone.

Real data: the Leefbaarometer 3.0 dimensions of the wijken of Nieuwegein (2024, data/leefbaarometer);
the expected matches are worked out by hand in tests/test_opgave.py.
"""

from __future__ import annotations

import json

import pytest

from conftest import ARTIFACTS_DIR, AXE_URL
from gebiedsatlas.web.opgave_pages import MATCH_COLOUR, NO_MATCH_COLOUR

pytestmark = pytest.mark.browser

ACTIVE = "() => { const a = document.activeElement; return [a.id, a.getAttribute('href'), " \
         "a.getAttribute('aria-label'), a.tagName]; }"
MATCHES = {"WK035618", "WK035622"}  # Het Klooster, De Wiers


def _all_axe_violations(page) -> list[dict]:
    """Every axe-core violation (any impact) of WCAG 2.1 A/AA on the current page."""
    page.add_script_tag(url=AXE_URL)
    result = page.evaluate("""async () => await axe.run(document, {runOnly: {type: 'tag',
        values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})""")
    return [{"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"][:5]]}
            for v in result["violations"]]


def _wait_for_map(page) -> None:
    page.wait_for_function("() => window.analysisMap && window.analysisMap.drawn", timeout=30_000)
    assert page.evaluate("window.analysisMap.error") is None


def _tab_to(page, element_id: str, limit: int = 60) -> None:
    """Press Tab until the element with ``element_id`` has the focus (keyboard only, no clicks)."""
    for _ in range(limit):
        if page.evaluate(ACTIVE)[0] == element_id:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"#{element_id} not reached with Tab")


def test_thresholds_by_keyboard_update_list_and_map(live_server, page):
    page.goto(f"{live_server.url}/opgave")
    _wait_for_map(page)
    # Before filtering: every wijk of the seven New Towns is listed and drawn as matching.
    rows_before = page.locator("#opgave-tabel tbody tr").count()
    fills = dict(page.evaluate("analysisMap.fills()"))
    assert rows_before == len(fills) == page.evaluate("analysisMap.featureCount") > 100
    assert set(fills.values()) == {MATCH_COLOUR}
    # At the seven towns' scope the map shows one town at a time, with gemeente outlines and names around it.
    switch = page.locator("[data-town-switch][data-shown]")
    switch.wait_for(state="visible", timeout=15_000)
    assert switch.locator("button[data-town]").count() == 8  # seven towns and "Alle 7"
    assert switch.locator("button[aria-pressed=true]").count() == 1
    page.wait_for_function("() => document.querySelectorAll('#analysis-map .atlas-place').length > 0", timeout=15_000)

    # Keyboard only: choose Nieuwegein, then "≤ -0,01" fysieke omgeving and "≤ -0,02" voorzieningen.
    _tab_to(page, "scope")
    page.keyboard.type("Nieuweg")
    assert page.locator("#scope").input_value() == "GM0356"
    _tab_to(page, "max_lbm_fysieke_omgeving")
    page.keyboard.type("-0,01")
    _tab_to(page, "max_lbm_voorzieningen")
    page.keyboard.type("-0,02")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "scope=GM0356" in page.url and "max_lbm_voorzieningen=-0%2C02" in page.url
    _wait_for_map(page)

    # The list: exactly the two wijken, with their published values.
    codes = set(page.evaluate("() => Array.from(document.querySelectorAll('#opgave-tabel tbody tr'), "
                              "(tr) => tr.dataset.code)"))
    assert codes == MATCHES
    assert "2 van de 22 wijken voldoen" in page.locator("#kop-resultaat").inner_text()
    wiers = page.locator("#opgave-tabel tr[data-code=WK035622]").inner_text()
    assert "De Wiers" in wiers and "-0,215" in wiers and "-0,027" in wiers
    # The map: the 22 wijken of Nieuwegein, the two matches dark, the rest light.
    fills = dict(page.evaluate("analysisMap.fills()"))
    assert len(fills) == 22
    assert {c for c, f in fills.items() if f == MATCH_COLOUR} == MATCHES
    assert {f for c, f in fills.items() if c not in MATCHES} == {NO_MATCH_COLOUR}
    embedded = json.loads(page.locator("#analysis-map-data").text_content())
    assert embedded["labels"]["WK035622"].startswith("voldoet · Fysieke omgeving (Leefbaarometer): -0,215")

    assert _all_axe_violations(page) == []

    # The map by keyboard: one tab stop; typing a name goes to that wijk, its label says why it matches.
    _tab_to(page, "analysis-map")
    page.keyboard.press("ArrowRight")
    page.keyboard.type("de wiers")
    _, href, label, _ = page.evaluate(ACTIVE)
    assert href == "/gebied/WK035622"
    assert label.startswith("De Wiers (Nieuwegein), voldoet · Fysieke omgeving (Leefbaarometer): -0,215")
    page.keyboard.press("Enter")
    page.wait_for_url("**/gebied/WK035622", timeout=15_000, wait_until="load")
    # The profile's Opgave section: the same layers, values, year and source.
    section = page.locator("#opgave").inner_text()
    assert "Fysieke omgeving (Leefbaarometer)" in section and "-0,215" in section and "2024" in section
    assert "Bron: Leefbaarometer 3.0" in section
    assert not page.js_errors


def test_opgave_fits_a_phone_and_a_laptop_axe_clean(live_server, browser):
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    url = (f"{live_server.url}/opgave?scope=nta&level=buurt&max_lbm_fysieke_omgeving=-0%2C05"
           "&max_lbm_voorzieningen=0")
    for width in (1366, 390):
        context = browser.new_context(viewport={"width": width, "height": 900}, locale="nl-NL")
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
        try:
            page.goto(url)
            _wait_for_map(page)
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            assert page.locator("#opgave-tabel tbody tr").count() == len(
                [c for c, f in page.evaluate("analysisMap.fills()") if f == MATCH_COLOUR]) > 0
            page.screenshot(path=str(ARTIFACTS_DIR / f"opgave-{width}.png"), full_page=True)
            assert _all_axe_violations(page) == []
            page.goto(f"{live_server.url}/gebied/BU03560101")
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            page.locator("#opgave").screenshot(path=str(ARTIFACTS_DIR / f"opgave-profiel-{width}.png"))
            assert errors == []
        finally:
            context.close()
