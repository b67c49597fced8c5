"""Security headers on every response, and a strict Content-Security-Policy that the pages keep (no
violations in Chromium, charts and maps still drawn)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from conftest import DATA_DIR, LiveServer
from gebiedsatlas.config import Settings
from gebiedsatlas.web.app import create_app
from gebiedsatlas.web.headers import SecurityHeaders, tile_source


def _csp(response) -> dict[str, str]:
    policy = response.headers["content-security-policy"]
    return {part.strip().split(" ", 1)[0]: part.strip().split(" ", 1)[1] for part in policy.split(";")}


def _assert_security_headers(response) -> None:
    csp = _csp(response)
    assert csp["script-src"] == "'self'"  # no 'unsafe-inline', no 'unsafe-eval'
    assert csp["frame-ancestors"] == "'none'" and csp["object-src"] == "'none'"
    assert csp["default-src"] == "'self'" and csp["base-uri"] == "'self'"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"


@pytest.mark.parametrize("url", ["/", "/gebied/GM0034", "/api/status", "/api/areas?q=Almere&format=csv",
                                 "/static/css/atlas.css", "/static/vendor/leaflet/leaflet.js",
                                 "/bestaat-niet", "/api/analysis/vulnerability?period=-1"])
def test_security_headers_on_pages_api_static_and_errors(client, url):
    response = client.get(url, headers={"Accept-Encoding": "gzip"})
    _assert_security_headers(response)
    assert "strict-transport-security" not in response.headers  # no TLS setting: no HSTS


def test_hsts_only_when_tls_is_on(db_url):
    with TestClient(create_app(Settings(database_url=db_url, data_dir=DATA_DIR, tls=True))) as tls_client:
        for url in ("/", "/api/status", "/static/css/atlas.css"):
            response = tls_client.get(url)
            assert response.headers["strict-transport-security"] == "max-age=31536000"
            _assert_security_headers(response)


@pytest.mark.parametrize(("value", "expected"), [("true", True), ("1", True), ("ja", True), (" JA ", True),
                                                 ("", False), ("0", False), ("nee", False), ("false", False)])
def test_tls_setting_from_the_environment(monkeypatch, value, expected):
    monkeypatch.setenv("GEBIEDSATLAS_TLS", value)
    assert Settings.from_env().tls is expected


def test_tls_is_off_without_the_variable(monkeypatch):
    monkeypatch.delenv("GEBIEDSATLAS_TLS", raising=False)
    assert Settings.from_env().tls is False


def test_docs_have_their_own_policy_and_other_paths_do_not(client):
    docs = _csp(client.get("/docs"))
    assert docs["script-src"] == "'self'" and docs["worker-src"] == "'self' blob:"
    assert docs["frame-ancestors"] == "'none'" and _csp(client.get("/redoc")) == docs
    assert _csp(client.get("/openapi.json"))["script-src"] == "'self'"
    headers = SecurityHeaders()
    assert "worker-src 'self' blob:" in headers.for_path("/docs/oauth2-redirect")["Content-Security-Policy"]
    assert "worker-src" not in headers.for_path("/docsx")["Content-Security-Policy"]


def test_basemap_tiles_are_allowed_images():
    assert tile_source("https://{s}.tile.example.org/{z}/{x}/{y}.png") == "https://*.tile.example.org"
    assert tile_source("https://service.pdok.nl/brt/wmts/{z}/{x}/{y}.png") == "https://service.pdok.nl"
    assert tile_source("") is None and tile_source("tiles/{z}.png") is None
    csp = SecurityHeaders(tile_url="https://service.pdok.nl/{z}/{x}/{y}.png").for_path("/kaart")
    assert "img-src 'self' data: https://service.pdok.nl;" in csp["Content-Security-Policy"]


# ------------------------------------------------------------------------------------- in Chromium

WATCH_CSP = """window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => window.__csp.push(
  e.violatedDirective + " " + e.blockedURI + " " + (e.sourceFile || "") + ":" + e.lineNumber));"""
MAIN_PAGES = ["/", "/kaart", "/gebied/GM0034", "/vergelijken?areas=GM0034,GM0356", "/indicator/inwoners",
              "/kaart?indicator=inwoners&level=buurt&scope=GM0034&renderer=svg", "/aandachtsgebieden",
              "/gebied/WK003401", "/opgave?scope=nta&level=buurt&max_lbm_fysieke_omgeving=-0%2C05"]


def _visit(browser, url: str) -> tuple:
    """Open ``url`` in a context that enforces the CSP; (page, context, violations, console messages)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="nl-NL")
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text)
            if "Content Security Policy" in m.text or m.text.startswith("Refused to") else None)
    page.on("pageerror", lambda exc: console.append(f"pageerror: {exc}"))
    page.add_init_script(WATCH_CSP)
    page.goto(url, wait_until="networkidle")
    return page, context, console


def _violations(page, console: list[str]) -> list[str]:
    return page.evaluate("window.__csp") + console


@pytest.mark.browser
@pytest.mark.parametrize("path", MAIN_PAGES)
def test_main_pages_have_no_csp_violations(browser, live_server, path):
    page, context, console = _visit(browser, live_server.url + path)
    try:
        charts = page.locator(".atlas-chart[data-vega-spec]")
        if charts.count():  # profile, compare, indicator: every chart drawn (by the CSP-safe interpreter)
            page.wait_for_function("() => document.querySelectorAll('.atlas-chart--ready').length === "
                                   "document.querySelectorAll('.atlas-chart[data-vega-spec]').length")
            assert page.locator(".atlas-chart--ready svg").count() == charts.count()
        if page.locator("[data-area-map]").count():  # the profile's small map
            page.wait_for_function("() => document.querySelector('[data-area-map]').dataset.ready")
            assert page.locator("[data-area-map]").get_attribute("data-ready") not in ("error", "0")
        if path.startswith("/kaart"):
            page.wait_for_function("() => window.atlasMap && window.atlasMap.drawn")
            assert page.evaluate("window.atlasMap.featureCount") > 0
            # map-prefetch.js started the boundaries request; map.js used it instead of asking again.
            geojson = page.evaluate("performance.getEntriesByType('resource')"
                                    ".filter(e => e.name.includes('/api/geojson')).length")
            assert geojson == 1
        page.wait_for_timeout(300)  # late violations (e.g. a chart's tooltip styles)
        assert _violations(page, console) == []
    finally:
        context.close()


@pytest.mark.browser
def test_map_form_resets_the_year_when_the_indicator_changes(browser, live_server):
    page, context, console = _visit(browser, live_server.url + "/kaart?indicator=inwoners")
    try:
        page.select_option("#f-period", index=1)  # a year instead of "Laatste"
        assert page.locator("#f-period").input_value() != ""
        page.select_option("#f-indicator", "woningvoorraad")
        assert page.locator("#f-period").input_value() == ""
        assert _violations(page, console) == []
    finally:
        context.close()


@pytest.mark.browser
def test_commitment_chart_draws_under_the_csp(browser, fresh_db_url):
    from gebiedsatlas.agreements.demo import load_demo
    from gebiedsatlas.store import db
    from gebiedsatlas.store.agreements import Commitment

    with db.session_scope(fresh_db_url) as session:
        load_demo(session)
        ids = session.scalars(select(Commitment.id).where(Commitment.target_kind == "outcome")).all()
    server = LiveServer(fresh_db_url)
    try:
        page, context, console = _visit(browser, f"{server.url}/afspraken/afspraak/{ids[0]}")
        try:
            page.wait_for_selector("#grafiek canvas")  # vega-embed's default renderer
            size = page.evaluate("[document.querySelector('#grafiek canvas').width, "
                                 "document.querySelector('#grafiek canvas').height]")
            assert size[0] > 300 and size[1] > 150
            assert _violations(page, console) == []
        finally:
            context.close()
    finally:
        server.stop()
