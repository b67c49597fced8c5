"""Every page type on a 390 px phone: nothing scrolls sideways, the navigation is one disclosure
button, the profile's comparison values stay visible (stacked per indicator); and screenshots of the
profile on a desktop (1366×768) and a phone (390×844), kept in test-artifacts/ for a person to look at.

Logged in as an administrator with the fictional demo agreements loaded, so the agreement, account
and admin pages are visited too (a private store copy and server)."""

from __future__ import annotations

import pytest

from accounts_support import login_in_browser, member
from conftest import ARTIFACTS_DIR, LiveServer, axe_violations

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 768}
MAP_QUERY = "indicator=laag_inkomen&level=wijk&scope=GM0034&period=2022"
PROFILE = "/gebied/WK050205"

PAGE_TYPES = [
    "/",
    "/zoeken?q=Nisse",
    f"/kaart?{MAP_QUERY}",
    f"/kaart/tabel?{MAP_QUERY}",
    "/gebied/NL01",
    "/gebied/PV28",
    "/gebied/GM0034",
    PROFILE,
    "/gebied/BU05020555",
    "/gebied/WK050205/kwetsbaarheid",
    "/gebied/GM0034?vergelijk=vergelijkbaar",
    "/vergelijken",
    "/vergelijken?areas=GM0034,GM0356,nta",
    "/indicatoren",
    "/indicator/inwoners",
    "/indicator/laag_inkomen?level=wijk&scope=GM0034",
    "/bronnen",
    "/methode/kwetsbaarheid",
    "/aandachtsgebieden",
    "/aandachtsgebieden?scope=GM0034&level=buurt",
    "/typologie",
    "/signalen",
    "/afwijkingen",
    "/afspraken?voorbeeld=1",
    "/afspraken/1",
    "/afspraken/1/geschiedenis",
    "/afspraken/1/bij-ondertekening",
    "/afspraken/monitoring?voorbeeld=1",
    "/afspraken/cyclus?voorbeeld=1",
    "/afspraken/excel",
    "/afspraken/kaart",
    "/afspraken/nieuw?voorbeeld=1",
    "/afspraken/gebied/WK035601",
    "/account",
    "/beheer",
    "/beheer/gebruikers",
    "/beheer/logboek",
    "/beheer/rechten",
    "/docs",
    "/redoc",
    "/bestaat-niet",
]


@pytest.fixture(scope="module")
def demo_server(template_db, tmp_path_factory):
    """A server on a private store with the demo agreements and an administrator."""
    import shutil

    from conftest import sqlite_url
    from gebiedsatlas.agreements import demo
    from gebiedsatlas.store import db

    path = tmp_path_factory.mktemp("phone") / "atlas.sqlite"
    shutil.copy(template_db, path)
    url = sqlite_url(path)
    with db.session_scope(url) as session:
        demo.load_demo(session)
    email = member(url, None, None, email="beheer-telefoon@test.invalid", admin=True)
    server = LiveServer(url)
    server.admin = email
    yield server
    server.stop()


def test_no_page_scrolls_sideways_on_a_phone(browser, demo_server):
    context = browser.new_context(viewport=PHONE, locale="nl-NL")
    page = context.new_page()
    try:
        login_in_browser(page, demo_server.url, demo_server.admin)
        too_wide = {}
        for path in PAGE_TYPES:
            page.goto(demo_server.url + path, wait_until="load")
            page.wait_for_timeout(200)  # scripts that fill tables after load (map tables, fragments)
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > PHONE["width"]:
                too_wide[path] = width
        assert too_wide == {}
    finally:
        context.close()


def test_navigation_collapses_into_a_disclosure_button(browser, live_server):
    context = browser.new_context(viewport=PHONE, locale="nl-NL")
    page = context.new_page()
    try:
        page.goto(live_server.url + "/")
        button = page.get_by_role("button", name="Menu")
        assert button.get_attribute("aria-expanded") == "false"
        assert button.get_attribute("aria-controls") == "hoofdmenu"
        menu = page.locator("#hoofdmenu")
        assert not menu.is_visible()
        # The collapsed navigation is one row: the main content starts high on the screen.
        assert page.locator("nav[aria-label='Hoofdmenu']").bounding_box()["height"] < 60
        button.focus()
        page.keyboard.press("Enter")
        assert button.get_attribute("aria-expanded") == "true" and menu.is_visible()
        assert menu.get_by_role("link", name="Kaart", exact=True).is_visible()
        page.keyboard.press("Escape")
        assert button.get_attribute("aria-expanded") == "false" and not menu.is_visible()
        assert axe_violations(page) == []
        # On a desktop the list is always shown and the button is not.
        page.set_viewport_size(DESKTOP)
        assert menu.is_visible() and not button.is_visible()
    finally:
        context.close()


def test_profile_on_a_phone_keeps_every_comparison_visible(browser, live_server):
    context = browser.new_context(viewport=PHONE, locale="nl-NL")
    page = context.new_page()
    try:
        page.goto(live_server.url + PROFILE)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        row = page.locator("tr[data-indicator='laag_inkomen']")
        row.scroll_into_view_if_needed()
        for role, label in (("area", "Oostgaarde Noord"), ("gemeente", "Capelle aan den IJssel"),
                            ("nta", "New Towns"), ("nl", "Nederland")):
            cell = row.locator(f"td[data-role='{role}']")
            box = cell.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], role
            assert cell.get_attribute("data-label") == label
        # The label is shown with the value (CSS generated content from data-label).
        before = row.locator("td[data-role='gemeente']").evaluate(
            "el => getComputedStyle(el, '::before').content")
        assert "Capelle aan den IJssel" in before
        assert axe_violations(page) == []
    finally:
        context.close()


def _scroll_through(page) -> None:
    """Scroll every chart into view, so lazily drawn charts are drawn for the screenshot (the page
    grows while they draw, so a fixed list of scroll positions can miss the last ones). Charts in a
    hidden part of the page (display: none) are never drawn, and are not waited for."""
    visible = "[...document.querySelectorAll('[data-vega-spec]')].filter(el => el.offsetParent !== null)"
    for index in range(page.evaluate(f"{visible}.length")):
        page.evaluate(f"{visible}[{index}].scrollIntoView()")
        page.wait_for_timeout(60)
    page.wait_for_function(f"() => {visible}.every(el => ['ready', 'error'].includes(el.dataset.chartState))",
                           timeout=60_000)
    page.evaluate("window.scrollTo(0, 0)")


@pytest.mark.parametrize("name,viewport", [("desktop", DESKTOP), ("telefoon", PHONE)])
def test_profile_screenshots(browser, live_server, name, viewport):
    """Screenshots for a person to look at (test-artifacts/profiel-*.png): the first screen and the
    whole page. The first screen must show the summary."""
    context = browser.new_context(viewport=viewport, locale="nl-NL")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(live_server.url + PROFILE)
        page.locator("[data-area-map][data-ready]").wait_for(state="attached", timeout=30_000)
        ARTIFACTS_DIR.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS_DIR / f"profiel-{name}-eerste-scherm.png"))
        summary_top = page.locator("#kop-samenvatting").bounding_box()["y"]
        assert summary_top < viewport["height"]
        _scroll_through(page)
        page.screenshot(path=str(ARTIFACTS_DIR / f"profiel-{name}-hele-pagina.png"), full_page=True)
        assert page.locator("[data-chart-state='error']").count() == 0
        assert errors == []
    finally:
        context.close()
