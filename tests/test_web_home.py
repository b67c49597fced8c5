"""Home, search and sources pages, and the Dutch formatting used on every page."""

from __future__ import annotations

import re
from datetime import date

import pytest

from conftest import axe_violations
from gebiedsatlas.web.formatting import (
    NO_DATA,
    format_date,
    format_number,
    format_percent,
    format_signed,
    format_value,
)

# --- Dutch formatting -----------------------------------------------------------------------


def test_numbers_the_dutch_way():
    assert format_number(226500) == "226.500"
    assert format_number(4.1, 1) == "4,1"
    assert format_number(17942942) == "17.942.942"
    assert format_number(4.04107, 3) == "4,041"
    assert format_number(-1234.5, 1) == "-1.234,5"
    assert format_number(-0.01, 1) == "0,0"  # no "-0,0"
    assert format_number(None) == NO_DATA and format_number(float("nan")) == NO_DATA


def test_percent_signed_and_dates():
    assert format_percent(36.7) == "36,7%"
    assert format_signed(0.25, 2) == "+0,25" and format_signed(-0.25, 2) == "-0,25"
    assert format_signed(0.0, 1) == "0,0"
    assert format_date(date(2024, 1, 1)) == "1 januari 2024"
    assert format_date("2025-12-15") == "15 december 2025"


def test_value_with_status_is_never_a_number_when_suppressed_or_missing():
    assert format_value(43.6, "observed", 1, "%") == "43,6%"
    assert format_value(226500, "derived") == "226.500"
    assert format_value(120.0, "observed", 0, "× € 1.000") == "120 × € 1.000"
    assert format_value(12.0, "suppressed", 1, "%") == NO_DATA  # even if a number slipped through
    assert format_value(None, "missing") == NO_DATA
    assert format_value(0.0, "observed") == "0"  # a real zero stays a zero


# --- pages ----------------------------------------------------------------------------------

NEW_TOWNS = ["Almere", "Capelle aan den IJssel", "Helmond", "Nieuwegein", "Nissewaard", "Purmerend", "Zoetermeer"]


def _row(html: str, code: str) -> str:
    match = re.search(rf'<tr[^>]*data-code="{code}".*?</tr>', html, re.S)
    assert match, code
    return match.group(0)


def test_home_shows_key_figures_of_the_new_towns_nta_and_netherlands(client):
    html = client.get("/").text
    for name in NEW_TOWNS:
        assert name in html
    almere = _row(html, "GM0034")
    assert "226.500" in almere  # inwoners 1 januari 2024 (CBS KWB 2024)
    assert "36,7" in almere  # laag inkomen 2022 (CBS KWB 2022)
    assert "767.511" in _row(html, "nta")  # the seven New Towns together, inwoners 2024
    netherlands = _row(html, "NL01")
    assert "17.942.942" in netherlands  # sum of all gemeenten, inwoners 2024
    # The Leefbaarometer is bundled only for the New Towns: no number for Nederland.
    assert re.search(r'data-indicator="lbm_score"[^>]*>\s*<span class="atlas-nodata">geen gegevens', netherlands)
    assert 'href="/gebied/GM0034"' in html and 'action="/zoeken"' in html
    assert "Bron: CBS, CC BY 4.0; Leefbaarometer 3.0, Ministerie van BZK" in html


def test_search_page_finds_almere_haven(client):
    html = client.get("/zoeken", params={"q": "Almere Haven"}).text
    assert 'href="/gebied/WK003401">Centrum Almere Haven</a>' in html
    assert client.get("/zoeken", params={"q": "WK003401"}).text.count('href="/gebied/WK003401"') == 1
    assert "Geen gebied gevonden" in client.get("/zoeken", params={"q": "qqqxxyz"}).text


def test_sources_page_lists_every_source_status_and_rule(client):
    html = client.get("/bronnen").text
    for source in client.get("/api/sources").json()["sources"]:
        assert source["title"] in html and source["licence"] in html and source["attribution"] in html
    for label in ("Waargenomen", "Geheim", "Geen gegevens", "Afgeleid", "Omgerekend"):
        assert label in html
    assert "gemiddelde gewogen naar inwoners" in html  # e.g. laag_inkomen's aggregation rule


@pytest.mark.browser
def test_home_search_suggestions_and_axe(live_server, page):
    page.goto(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "nl"
    page.fill("#zoekterm", "Almere Haven")
    suggestion = page.locator("#zoek-suggesties a", has_text="Centrum Almere Haven")
    suggestion.wait_for(timeout=10_000)
    assert suggestion.get_attribute("href") == "/gebied/WK003401"
    assert axe_violations(page) == []
    # Without the suggestions the form still submits to the server-rendered results.
    page.press("#zoekterm", "Enter")
    page.wait_for_url("**/zoeken?q=Almere+Haven")
    assert page.locator(".atlas-results a", has_text="Centrum Almere Haven").count() == 1
    assert axe_violations(page) == []
    assert not page.js_errors


@pytest.mark.browser
def test_sources_page_axe_and_keyboard_skip_link(live_server, page):
    page.goto(live_server.url + "/bronnen")
    page.keyboard.press("Tab")
    skip = page.locator(".utrecht-skip-link")
    assert skip.evaluate("el => el === document.activeElement")
    assert skip.is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#inhoud"
    assert axe_violations(page) == []
