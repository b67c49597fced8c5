"""The atlas works without internet: no page, the API documentation included, makes a request to any
host but the atlas' own server (vendored assets, no CDN, no web fonts, no remote favicon).

Each page is opened in a real Chromium against the live server; every request the page makes is
recorded (``page.on("request")``), and any request to another host is also aborted, so a regression
fails here instead of waiting for a network that is not there.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.browser

MAP_QUERY = "indicator=laag_inkomen&level=wijk&scope=GM0034&period=2022"

PAGES = [
    "/",
    f"/kaart?{MAP_QUERY}",
    f"/kaart/tabel?{MAP_QUERY}",
    "/gebied/GM0034",
    "/gebied/WK003401",
    "/vergelijken?areas=GM0034,GM0356",
    "/indicatoren",
    "/indicator/inwoners",
    "/bronnen",
    "/kwaliteit",
    "/aandachtsgebieden",
    "/opgave?scope=GM0356&level=buurt&max_lbm_voorzieningen=0",
    "/woonprogramma",
    "/woonprogramma/GM0034",
    "/typologie",
    "/signalen",
    "/afwijkingen",
    "/methode/kwetsbaarheid",
    "/afspraken",
    "/afspraken/monitoring",
    "/afspraken/cyclus",
    "/inloggen",
    "/afspraken/excel",
    "/afspraken/kaart",
    "/docs",
    "/redoc",
]


def foreign_requests(urls: list[str], server_url: str) -> list[str]:
    """The URLs that leave the server at ``server_url`` (inline ``data:`` URLs stay in the page;
    a ``blob:`` URL must belong to the server's origin)."""
    own = urlsplit(server_url).netloc
    foreign = []
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme == "data":
            continue
        if parts.scheme == "blob":
            parts = urlsplit(url[len("blob:"):])
        if parts.scheme not in ("http", "https", "ws", "wss") or parts.netloc != own:
            foreign.append(url)
    return foreign


def test_foreign_requests_are_recognised():
    server = "http://127.0.0.1:8123"
    urls = [f"{server}/static/x.js", "data:image/png;base64,AAAA", f"blob:{server}/0a-1b",
            "https://cdn.example.org/swagger-ui.css", "http://127.0.0.1:9999/x", "blob:https://example.org/1",
            "http://localhost:8123/x", "ws://example.org/socket", "chrome-extension://abc/x.js"]
    assert foreign_requests(urls, server) == urls[3:]


@pytest.fixture
def recording_page(browser, live_server):
    """A fresh page that records every request and aborts those to another host."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="nl-NL")
    own = urlsplit(live_server.url).netloc

    def route(route):
        if urlsplit(route.request.url).netloc == own:
            route.continue_()
        else:
            route.abort("internetdisconnected")

    context.route("**/*", route)
    page = context.new_page()
    page.requests = []
    page.js_errors = []
    page.on("request", lambda request: page.requests.append(request.url))
    page.on("pageerror", lambda exc: page.js_errors.append(str(exc)))
    yield page
    context.close()


@pytest.mark.parametrize("path", PAGES)
def test_page_loads_nothing_from_another_host(recording_page, live_server, path):
    page = recording_page
    response = page.goto(live_server.url + path, wait_until="networkidle", timeout=60_000)
    assert response.status == 200, path
    if path == "/docs":
        # Swagger UI rendered the operations from /openapi.json.
        operation = page.locator(".opblock-summary-path[data-path='/api/areas']")
        operation.wait_for(timeout=30_000)
        assert page.locator(".opblock").count() > 20
        summary = page.locator(".opblock-get", has=operation).locator(".opblock-summary")
        assert "GET" in summary.inner_text() and "/api/areas" in summary.inner_text()
    elif path == "/redoc":
        # ReDoc's side menu lists the API operations, by tag, with their summaries.
        item = page.locator(".menu-content li[role=menuitem][aria-label='Gebieden zoeken']")
        item.wait_for(state="attached", timeout=30_000)
        assert item.get_attribute("data-item-id").endswith("/operation/search_areas_api_areas_get")
        assert page.locator(".menu-content li[data-item-id*='/operation/']").count() > 20
    page.wait_for_load_state("networkidle")
    assert any(url.startswith(live_server.url) for url in page.requests)
    assert foreign_requests(page.requests, live_server.url) == [], path
    assert page.js_errors == [], path
